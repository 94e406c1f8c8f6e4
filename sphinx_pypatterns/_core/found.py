"""What a citation is in a MyST page: the names that cite, the directives whose body or
argument is not MyST, and :class:`FoundCitation`, a citation as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .targets import parse_anchor, split_title

__all__ = [
    "CITE_NAMES",
    "COUNT_NAMES",
    "MAY_CITE",
    "MAY_HOLD",
    "NO_ARGUMENT",
    "OPAQUE_BODY",
    "PLAIN_ARGUMENT",
    "FoundCitation",
]

#: Any text that could name the role or the directive (Sphinx lower-cases both names).
MAY_CITE = re.compile(r"cite", re.IGNORECASE)
#: Any text that could name a citation or a count.
MAY_HOLD = re.compile(r"cite|count", re.IGNORECASE)
CITE_NAMES = frozenset({"cite", "pp:cite"})
COUNT_NAMES = frozenset({"count", "pp:count"})

#: Directives whose body is not MyST (code, data, file names, other languages):
#: nothing in them is a citation. Every other directive's body is read as MyST.
OPAQUE_BODY = frozenset(
    {
        "code-block",
        "code",
        "sourcecode",
        "literalinclude",
        "highlight",
        "math",
        "raw",
        "toctree",
        "include",
        "image",
        "graphviz",
        "graph",
        "digraph",
        "mermaid",
        "productionlist",
        "tabularcolumns",
        "index",
        "doctest",
        "testcode",
        "testoutput",
        "testsetup",
        "testcleanup",
        "code-cell",
        "autosummary",
        "pattern",
        "smell",
        "source-note",
        "pattern-checklist",
        "evidence-matrix",
        "evidence-dashboard",
        "pin-table",
    }
)

#: Directives whose opening line is an argument that is not markup (a file, a language,
#: an expression): a role there is not parsed. On other directives the opening line is
#: a title parsed inline, or the first line of the body.
PLAIN_ARGUMENT = OPAQUE_BODY | {"figure", "only", "ifconfig", "default-domain", "default-role", "role"}

#: Directives that take no argument: MyST reads their opening line as the first line of the body.
NO_ARGUMENT = frozenset(
    {"note", "warning", "tip", "hint", "important", "attention", "caution", "danger", "error", "seealso", "todo"}
)


@dataclass(frozen=True)
class FoundCitation:
    """A citation as written: ``raw`` is the role's text, or a directive's target and ``:symbol:``.

    ``target`` and ``symbol`` are worked out on demand: a warm ``pypatterns check``
    looks the raw text up in its cache and never needs them.
    """

    file: str
    line: int
    raw: str
    directive: bool = False
    #: A role written with its bare name, ``{cite}`` (not ``{pp:cite}``): another extension
    #: may own that name (``pypatterns_bare_roles``).
    bare: bool = False
    #: A ``{count}`` role, not a citation: ``raw`` is its text, ``N <upstream:GLOB:PATTERN>``.
    count: bool = False

    @property
    def target(self) -> str:
        if self.directive:
            return self.raw.partition("\x00")[0]
        return split_title(self.raw)[1].strip()

    @property
    def symbol(self) -> str:
        if self.directive:
            return parse_anchor(self.raw.partition("\x00")[2]) or ""
        title = split_title(self.raw)[0]
        return parse_anchor(title) or "" if title else ""
