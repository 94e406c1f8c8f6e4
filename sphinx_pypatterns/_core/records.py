"""Plain, picklable records kept in the domain's data."""

from __future__ import annotations

from typing import Final, TypedDict

__all__ = [
    "LINES",
    "MESSAGE",
    "OK",
    "POPUP_LINES",
    "SUBTYPE",
    "CandidateRecord",
    "CitationRecord",
    "ClaimRecord",
    "CountRecord",
    "CountResult",
    "HeaderRecord",
    "ItemRecord",
    "VerdictRecord",
]


class HeaderRecord(TypedDict):
    kind: str  # "pattern", "smell" or "source-note"
    id: str
    anchor: str
    docname: str
    lineno: int
    title: str
    area: str
    rule: str
    tags: list[str]
    inverts: list[str]
    summary: str
    no_smell: str  # a pattern's reason why no smell inverts it (``:no-smell:``), or ""
    upstream: str
    sections: dict[str, int]  # casefolded top-level section title -> line


#: A citation's verdict: ``(ok, subtype, message, cited lines)``, read with the indices below.
#: A plain tuple of atomic values: the garbage collector stops tracking it, and the
#: CitationRecord holding it, so thousands of records cost nothing at each collection
#: (a dict or a named tuple in their place would be tracked for good).
VerdictRecord = tuple[bool, str, str, tuple[str, ...]]
OK: Final = 0
SUBTYPE: Final = 1
MESSAGE: Final = 2
LINES: Final = 3
#: The cited lines an inline citation keeps when its lines are not printed: the first ones, that
#: its popup in HTML shows (a citation's lines are all kept where they are printed).
POPUP_LINES: Final = 12


class CitationRecord(TypedDict):
    target: str  # as written
    upstream: str
    path: str
    start: int
    end: int
    symbol: str
    title: str
    docname: str
    lineno: int
    source: str  # "": written in the page; else the included file it is written in, and lineno is its line
    node_id: str
    block: bool
    section: str  # title of the enclosing top-level section
    verdict: VerdictRecord | None


#: A count's result: ``(matches, files selected, files not read as text, ((path, line), …))``.
CountResult = tuple[int, int, int, tuple[tuple[str, int], ...]]


class CountRecord(TypedDict):
    """A ``{count}`` role: what it counts, the number written, and (from ``env-updated``) the result."""

    spec: str  # upstream:GLOB:PATTERN, as written
    expected: int  # the number written; -1 when none could be read
    docname: str
    lineno: int
    source: str
    node_id: str
    error: str  # a refusal while read: "subtype\x00message"
    result: CountResult | None


class ClaimRecord(TypedDict):
    """One claim of a header page, for the claim rules (:mod:`.claims`): a sentence of a
    paragraph, or a whole list item; its text without code, and whether a citation or a count
    stands in it."""

    lineno: int
    section: str  # title of the enclosing top-level section
    kind: str  # "sentence" or "item"
    top: bool  # an item of a list right under its section (not nested, not in an admonition)
    text: str
    cited: bool


class CandidateRecord(TypedDict):
    id: str
    docname: str
    lineno: int


class ItemRecord(TypedDict):
    """A top-level list item of a source note's "Repeated patterns" section."""

    docname: str
    lineno: int
    citations: int
    upstreams: list[str]
    text: str  # its first words, to name it in warnings and on the dashboard
