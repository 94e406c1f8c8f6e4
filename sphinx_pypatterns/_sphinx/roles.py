"""Roles: ``cite``, ``candidate`` and the cross-reference roles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from docutils.nodes import system_message
from docutils.parsers.rst import roles as rst_roles
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.docutils import SphinxRole, is_role_registered

from .._core.config_values import BARE_ROLES, conf_line
from .._core.defaults import SLUG_RE
from .._core.errors import TargetError
from .._core.targets import parse_anchor, parse_target, split_title, visible
from .access import domain_of
from .log import as_subtype, warn
from .nodes import pp_cite, pp_count
from .placement import included_source, location_of, role_line

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

__all__ = [
    "TARGET_SHAPE",
    "CandidateRole",
    "CiteRole",
    "CountRole",
    "PPXRefRole",
    "make_cite_node",
    "register_bare_roles",
]

#: What a citation target looks like, for messages.
TARGET_SHAPE = "a target looks like 'upstream:path:LINE' or 'upstream:path:START-END'"


def make_cite_node(
    env: BuildEnvironment,
    text: str,
    symbol: str,
    title: str,
    docname: str,
    lineno: int,
    *,
    block: bool = False,
    source: str = "",
) -> pp_cite:
    """Parse a target and return the placeholder; parse errors warn here, at read time.

    ``source`` is the included file the citation is written in (see :func:`included_source`).
    """
    domain = domain_of(env)
    counter = int(env.temp_data.get("pp_cite_counter") or 0) + 1
    env.temp_data["pp_cite_counter"] = counter
    node = pp_cite(
        "",
        target=text.strip(),
        symbol=symbol,
        title=title,
        docname=docname,
        lineno=lineno,
        source=source,
        block=block,
        node_id=f"cite-{counter}",
    )
    node.line = lineno
    try:
        target = parse_target(text, known_upstreams=domain.upstream_names(), symbol=symbol)
    except TargetError as exc:
        message = exc.message
        if exc.subtype in ("empty_target", "bad_target") and "'upstream:path:LINE'" not in message:
            message = f"{message}; {TARGET_SHAPE}"
        shown = visible(text.strip()[:100])  # an echoed U+202E would reorder the warning line
        if block:
            written = f":::{{cite}} {shown}" if shown else "a cite directive with no target on its first line"
        else:
            written = f"{{cite}}`{shown}`"
        warn(f"{message} (in {written})", as_subtype(exc.subtype), location_of(env, docname, source, lineno))
        node["error"] = exc.subtype
        node["message"] = message
        return node
    node["upstream"] = target.upstream
    node["path"] = target.path
    node["start"] = target.start
    node["end"] = target.end
    return node


def _where(role: SphinxRole) -> tuple[str, int]:
    """The included file (``""``: the page) and the exact line of ``role``."""
    source, reported = role.get_source_info()
    included = included_source(role.env, source)
    return included, role_line(role.env, role.rawtext, reported or role.lineno, included)


class CiteRole(SphinxRole):
    """``{cite}`upstream:path:N-M``` or ``{cite}`Title <upstream:path:N-M>```."""

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        title, text = split_title(self.text)
        source, lineno = _where(self)
        symbol = parse_anchor(title) or "" if title else ""
        return [make_cite_node(self.env, text, symbol, title, self.env.docname, lineno, source=source)], []


class CountRole(SphinxRole):
    """``{count}`N <upstream:GLOB:PATTERN>```: the number ``N``, counted again at the pin on every build."""

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        from .._core.counting import expected_number, parse_count

        title, text = split_title(self.text)
        source, lineno = _where(self)
        counter = int(self.env.temp_data.get("pp_count_counter") or 0) + 1
        self.env.temp_data["pp_count_counter"] = counter
        node = pp_count("", spec=text.strip(), expected=-1, docname=self.env.docname, lineno=lineno, source=source)
        node["node_id"] = f"count-{counter}"
        node.line = lineno
        where = location_of(self.env, self.env.docname, source, lineno)
        shown = visible(self.text.strip()[:100])
        try:
            spec = parse_count(text)
            if spec.upstream not in domain_of(self.env).upstream_names():
                raise TargetError(f"unknown upstream {spec.upstream!r}", subtype="unknown_upstream")
            expected = expected_number(title, text)
        except TargetError as exc:
            warn(f"{exc.message} (in {{count}}`{shown}`)", as_subtype(exc.subtype), where)
            node["error"] = f"{exc.subtype}\x00{exc.message}"
            return [node], []
        node["expected"] = expected
        return [node], []


class PPXRefRole(XRefRole):
    """A cross-reference role that always targets the ``pp`` domain."""

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        return self.run_at(*_where(self))

    def run_at(self, source: str, lineno: int) -> tuple[list[nodes.Node], list[system_message]]:
        """Run the role, placed at ``lineno`` of the page or of the included file ``source``."""
        self.name = "pp:" + self.name.rpartition(":")[2]
        if not self.target.strip():
            warn(
                f"the {{{self.name[3:]}}} role has an empty target",
                "empty_target",
                location_of(self.env, self.env.docname, source, lineno),
            )
            return [nodes.inline(self.rawtext, self.title)], []
        result, messages = super().run()
        for node in result:
            if isinstance(node, nodes.Element):
                node.line = lineno
                if source:  # an included file: a warning about the reference names it (see _on_missing_reference)
                    node["pp_source"] = source
        return result, messages


class CandidateRole(PPXRefRole):
    """``{candidate}`id```: nominates a pattern id; links once the pattern exists."""

    def __init__(self) -> None:
        super().__init__(warn_dangling=False, innernodeclass=nodes.literal)

    def run(self) -> tuple[list[nodes.Node], list[system_message]]:
        source, lineno = _where(self)  # once: a second search would find the next role of the same text
        target = self.target.strip()
        if target and not SLUG_RE.match(target):
            warn(
                f"candidate id {target!r} is not a lower-case slug",
                "bad_id",
                location_of(self.env, self.env.docname, source, lineno),
            )
        return self.run_at(source, lineno)


def register_bare_roles(app: Sphinx, config: Config) -> None:
    """``config-inited``, once every extension is set up: the ``pp`` roles also under their bare
    names (``pypatterns_bare_roles``), each one only where no other extension owns the name.

    A name another extension registered (sphinxcontrib-bibtex's ``cite``) stays theirs, with one
    ``role_clash`` warning that says how to cite here (``{pp:cite}``) and how to silence it.
    """
    from .domain import PypatternsDomain

    wanted = [name for name in config.pypatterns_bare_roles if name in BARE_ROLES]
    for name in wanted:
        role = PypatternsDomain.roles[name]
        owner = _owner(app, name) if is_role_registered(name) else None
        if owner is None:
            app.add_role(name, role, override=True)
            continue
        others = [n for n in wanted if n != name]
        warn(
            f"the role {{{name}}} belongs to {owner}, loaded with sphinx-pypatterns, so {{{name}}}`…` is "
            f"{owner}'s here: write {{pp:{name}}}`…` for this extension's (pypatterns check reads it), and set "
            f"pypatterns_bare_roles = {others!r} in conf.py to keep it so without this warning",
            "role_clash",
            f"{Path(app.confdir, 'conf.py')}:{conf_line(app.confdir, 'pypatterns_bare_roles') or conf_line(app.confdir, 'extensions')}",
        )


def _owner(app: Sphinx, name: str) -> str | None:
    """The extension that registered the role ``name`` (``None``: this one, from an earlier build)."""
    registered = getattr(rst_roles, "_roles", {}).get(name)
    module = str(getattr(registered, "__module__", "") or type(registered).__module__)
    if module.split(".")[0] == "sphinx_pypatterns":
        return None
    extensions = sorted((e for e in app.extensions if module == e or module.startswith(e + ".")), key=len)
    return extensions[-1] if extensions else module or "another extension"
