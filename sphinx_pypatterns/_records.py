"""Plain, picklable records kept in the domain's data."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["CandidateRecord", "CitationRecord", "HeaderRecord", "ItemRecord", "VerdictRecord"]


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
    upstream: str
    sections: dict[str, int]  # casefolded top-level section title -> line


class VerdictRecord(TypedDict):
    """Only atomic values (lines in a tuple): the garbage collector stops tracking the record,
    and the citation record holding it, so thousands of them cost nothing at each collection."""

    ok: bool
    subtype: str
    message: str
    lines: tuple[str, ...]


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
    node_id: str
    block: bool
    section: str  # title of the enclosing top-level section
    verdict: VerdictRecord | None


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
