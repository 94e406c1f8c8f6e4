"""Page templates for ``pypatterns new``."""

from __future__ import annotations

from collections.abc import Sequence

from .._core.defaults import DEFAULT_AREAS, DEFAULT_SECTIONS, PLACEHOLDER

__all__ = ["FOLDERS", "page_template"]

FOLDERS = {"pattern": "patterns", "smell": "smells", "source-note": "sources"}

#: Every placeholder begins with PLACEHOLDER: the build flags what is left of them (``unfinished``).
_HEADERS = {
    "pattern": ":id: {id}\n:area: {todo}: one of {areas}\n:rule: {todo}: one sentence, at most {words} words.\n",
    "smell": ":id: {id}\n:inverts: {todo}-pattern-id\n:summary: {todo}: one line.\n",
    "source-note": ":upstream: {id}\n",
}


def page_template(
    kind: str,
    ident: str,
    sections: Sequence[str] | None = None,
    *,
    areas: Sequence[str] = DEFAULT_AREAS,
    rule_words: int = 30,
) -> str:
    """A page with the header directive and every required section in place, each holding a
    placeholder the build flags until it is written; a pattern's lists the allowed areas."""
    title = ident.replace("-", " ").capitalize() if kind != "source-note" else ident
    header = _HEADERS[kind].format(id=ident, todo=PLACEHOLDER, areas=", ".join(areas), words=rule_words)
    out = [f"# {title}", "", f":::{{{kind}}}", header.rstrip("\n"), ":::", ""]
    for section in sections or DEFAULT_SECTIONS[kind]:
        out += [f"## {section}", "", f"{PLACEHOLDER}: write this section.", ""]
    return "\n".join(out)
