"""The evidence index: every cited range, by upstream, file and line, with links to each citation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, cast, overload

from docutils import nodes
from sphinx.domains import Index, IndexEntry
from sphinx.util import texescape

from .._core.digest import json_digest
from .._core.evidence import plural
from .._core.records import CitationRecord
from .._core.targets import lines_label, without_lines

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["EvidenceIndex", "LazyEntries"]


def _range(rec: CitationRecord) -> str:
    lines = f"L{lines_label(rec['start'], rec['end'])}"
    return f"{lines} {rec['symbol']}" if rec["symbol"] else lines


class EvidenceIndex(Index):
    """Upstream → file → line range (and symbol); one entry per citing place."""

    name = "evidence"
    localname = "Evidence index"
    shortname = "evidence"

    def generate(self, docnames: Iterable[str] | None = None) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        # a list that makes its entries when read: the HTML builder holds every domain index
        # over the whole write phase, the entries (one per citation) are wanted by one page
        return cast("list[tuple[str, list[IndexEntry]]]", LazyEntries(self, docnames)), False

    def entries(self, docnames: Iterable[str] | None = None) -> list[tuple[str, list[IndexEntry]]]:
        """The index: one group per upstream, its files, each file's cited ranges."""
        domain = cast("PypatternsDomain", self.domain)
        # Sphinx's LaTeX writer prints an entry's docname raw into \pageref: give it the label's form
        latex = getattr(getattr(domain.env, "_builder_cls", None), "format", "") == "latex"
        doc = _latex_docname if latex else str
        wanted = set(docnames) if docnames is not None else None
        titles = {r["docname"]: r["title"] for r in domain.all_headers()}
        env_titles = domain.env.titles
        by_upstream: dict[str, dict[str, list[CitationRecord]]] = {}
        for docname, recs in sorted(domain.citations.items()):
            if wanted is not None and docname not in wanted:
                continue
            for rec in recs:
                if rec["upstream"] and rec["path"]:
                    by_upstream.setdefault(rec["upstream"], {}).setdefault(rec["path"], []).append(rec)
        content: list[tuple[str, list[IndexEntry]]] = []
        for upstream, files in sorted(by_upstream.items()):
            total = sum(len(recs) for recs in files.values())
            entries: list[IndexEntry] = []
            note = next((r for r in domain.all_headers() if r["kind"] == "source-note" and r["id"] == upstream), None)
            first = min((r for recs in files.values() for r in recs), key=_order)
            entries.append(
                IndexEntry(
                    f"{upstream} (all files)",
                    0,
                    doc(note["docname"] if note else first["docname"]),
                    note["anchor"] if note else first["node_id"],
                    f"{plural(total, 'citation')} of {plural(len(files), 'file')}",
                    "",
                    "",
                )
            )
            for path, recs in sorted(files.items()):
                recs.sort(key=_order)
                entries.append(
                    IndexEntry(
                        path, 1, doc(recs[0]["docname"]), recs[0]["node_id"], plural(len(recs), "citation"), "", ""
                    )
                )
                for rec in recs:
                    where = titles.get(rec["docname"]) or _title(env_titles, rec["docname"])
                    descr = f"{where}, line {rec['lineno']}"
                    # print has no column for the description: it goes in the entry's parentheses
                    extra = descr if latex else ""
                    entries.append(IndexEntry(_range(rec), 2, doc(rec["docname"]), rec["node_id"], extra, "", descr))
            content.append((upstream, entries))
        return content


class LazyEntries(Sequence[tuple[str, list[IndexEntry]]]):
    """:meth:`EvidenceIndex.entries`, made each time the index is read, never held."""

    def __init__(self, index: EvidenceIndex, docnames: Iterable[str] | None) -> None:
        self._index = index
        self._docnames = list(docnames) if docnames is not None else None

    def key(self) -> str:
        """A digest of what the entries are made of, without making them: the data, as read, of the
        pages they come from (their citations and headers; the titles and builder are the caller's),
        and the lines of their symbol-only citations, filled in at verification (they follow the pin)."""
        domain = cast("PypatternsDomain", self._index.domain)
        digests = cast("dict[str, str]", domain.data["digests"])
        wanted = set(self._docnames) if self._docnames is not None else None
        filled = [
            [d, r["node_id"], r["start"], r["end"]]
            for d, recs in sorted(domain.citations.items())
            if wanted is None or d in wanted
            for r in recs
            if r["path"] and without_lines(r["target"])
        ]
        return json_digest(
            [sorted((d, v) for d, v in digests.items() if wanted is None or d in wanted), self._docnames, filled]
        )

    def made(self) -> list[tuple[str, list[IndexEntry]]]:
        """The entries, made now (each call makes them again)."""
        return self._index.entries(self._docnames)

    def __bool__(self) -> bool:  # what Sphinx asks first: is there an index page at all?
        wanted = set(self._docnames) if self._docnames is not None else None
        return any(
            r["upstream"] and r["path"]
            for d, recs in cast("PypatternsDomain", self._index.domain).citations.items()
            if wanted is None or d in wanted
            for r in recs
        )

    def __iter__(self) -> Iterator[tuple[str, list[IndexEntry]]]:
        return iter(self.made())

    def __len__(self) -> int:
        return len(self.made())

    @overload
    def __getitem__(self, i: int) -> tuple[str, list[IndexEntry]]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, list[IndexEntry]]]: ...
    def __getitem__(self, i: int | slice) -> tuple[str, list[IndexEntry]] | list[tuple[str, list[IndexEntry]]]:
        return self.made()[i]


def _order(rec: CitationRecord) -> tuple[int, int, str, str, int]:
    return (rec["start"], rec["end"], rec["symbol"], rec["docname"], int(rec["node_id"].rpartition("-")[2] or 0))


def _title(titles: Mapping[str, nodes.Node], docname: str) -> str:
    node = titles.get(docname)
    return (node.astext() if node is not None else "") or docname


def _latex_docname(docname: str) -> str:
    """``docname`` as the LaTeX writer puts it into labels (``LaTeXTranslator.idescape``): TeX-safe.

    The writer labels each anchor ``\\detokenize{<docname:id> with every TeX special made '_'}``
    and prints an index entry's page reference as ``<docname>:\\detokenize{<id>}``; this makes
    the two the same string, and keeps the page's name from being read as TeX.
    """
    if not texescape.tex_replace_map:
        texescape.init()
    safe = docname.translate(texescape.tex_replace_map).encode("ascii", "backslashreplace").decode("ascii")
    return r"\detokenize{" + safe.replace("\\", "_") + "}"
