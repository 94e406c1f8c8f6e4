"""Roles: ``cite``, ``candidate`` and the cross-reference roles."""

from __future__ import annotations

from docutils import nodes
from docutils.nodes import system_message
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.docutils import SphinxRole

from ._defaults import SLUG_RE
from ._errors import TargetError
from ._log import warn
from ._nodes import pp_cite
from ._targets import parse_anchor, parse_target, split_title

__all__ = ["CandidateRole", "CiteRole", "PPXRefRole", "make_cite_node"]


def role_line(env: BuildEnvironment, rawtext: str, reported: int) -> int:
    """The exact line of an inline role in its page.

    MyST reports every role of a multi-line paragraph at the paragraph's first
    line; the role's own line is found in the source from there on, past the
    roles with the same text already placed.
    """
    lines: list[str] | None = env.temp_data.get("pp_source_lines")  # type: ignore[assignment]
    if lines is None:
        return reported  # kept by the source-read handler
    # MyST passes the role as ":name:`text`"; the page has "{name}`text`": match from the backtick
    first = rawtext[rawtext.find("`") :].split("\n", 1)[0] if "`" in rawtext else rawtext.split("\n", 1)[0]
    cursors: dict[str, tuple[int, int]] = env.temp_data.setdefault("pp_role_cursors", {})  # type: ignore[assignment]
    line, col = cursors.get(first, (0, 0))
    if line < reported - 1:
        line, col = reported - 1, 0
    for index in range(line, min(len(lines), reported - 1 + 1000)):
        found = lines[index].find(first, col if index == line else 0)
        if found >= 0:
            cursors[first] = (index, found + len(first))
            return index + 1
    return reported


def make_cite_node(
    env: BuildEnvironment, text: str, symbol: str, title: str, docname: str, lineno: int, *, block: bool = False
) -> pp_cite:
    """Parse a target and return the placeholder; parse errors warn here, at read time."""
    domain = env.get_domain("pp")
    counter = int(env.temp_data.get("pp_cite_counter") or 0) + 1
    env.temp_data["pp_cite_counter"] = counter
    node = pp_cite(
        "",
        target=text.strip(),
        symbol=symbol,
        title=title,
        docname=docname,
        lineno=lineno,
        block=block,
        node_id=f"cite-{counter}",
    )
    node.line = lineno
    try:
        target = parse_target(text, known_upstreams=domain.upstream_names())  # type: ignore[attr-defined]
    except TargetError as exc:
        warn(f"{exc.message} (in {{cite}}`{text.strip()[:100]}`)", exc.subtype, (docname, lineno))
        node["error"] = exc.subtype
        node["message"] = exc.message
        return node
    node["upstream"] = target.upstream
    node["path"] = target.path
    node["start"] = target.start
    node["end"] = target.end
    return node


class CiteRole(SphinxRole):
    """``{cite}`upstream:path:N-M``` or ``{cite}`Title <upstream:path:N-M>```."""

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        title, text = split_title(self.text)
        lineno = role_line(self.env, self.rawtext, self.get_source_info()[1] or self.lineno)
        symbol = parse_anchor(title) or "" if title else ""
        return [make_cite_node(self.env, text, symbol, title, self.env.docname, lineno)], []


class PPXRefRole(XRefRole):
    """A cross-reference role that always targets the ``pp`` domain."""

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        self.name = "pp:" + self.name.rpartition(":")[2]
        if not self.target.strip():
            lineno = role_line(self.env, self.rawtext, self.get_source_info()[1] or self.lineno)
            warn(f"the {{{self.name[3:]}}} role has an empty target", "empty_target", (self.env.docname, lineno))
            return [nodes.inline(self.rawtext, self.title)], []
        result, messages = super().run()
        lineno = role_line(self.env, self.rawtext, self.get_source_info()[1] or self.lineno)
        for node in result:
            if isinstance(node, nodes.Element):
                node.line = lineno
        return result, messages


class CandidateRole(PPXRefRole):
    """``{candidate}`id```: nominates a pattern id; links once the pattern exists."""

    def __init__(self) -> None:
        super().__init__(warn_dangling=False, innernodeclass=nodes.literal)

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        target = self.target.strip()
        if target and not SLUG_RE.match(target):
            lineno = role_line(self.env, self.rawtext, self.get_source_info()[1] or self.lineno)
            warn(f"candidate id {target!r} is not a lower-case slug", "bad_id", (self.env.docname, lineno))
        return super().run()
