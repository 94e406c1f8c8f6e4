"""Page templates for ``pypatterns new``."""

from __future__ import annotations

from .._core.defaults import DEFAULT_SECTIONS

__all__ = ["FOLDERS", "page_template"]

FOLDERS = {"pattern": "patterns", "smell": "smells", "source-note": "sources"}

_HEADERS = {
    "pattern": ":id: {id}\n:area: TODO-area\n:rule: TODO: one sentence, at most 30 words.\n",
    "smell": ":id: {id}\n:inverts: TODO-pattern-id\n:summary: TODO: one line.\n",
    "source-note": ":upstream: {id}\n",
}


def page_template(kind: str, ident: str, sections: list[str] | None = None) -> str:
    """A page with the header directive and every required section in place."""
    title = ident.replace("-", " ").capitalize() if kind != "source-note" else ident
    out = [f"# {title}", "", f":::{{{kind}}}", _HEADERS[kind].format(id=ident).rstrip("\n"), ":::", ""]
    for section in sections or DEFAULT_SECTIONS[kind]:
        out += [f"## {section}", "", "TODO", ""]
    return "\n".join(out)
