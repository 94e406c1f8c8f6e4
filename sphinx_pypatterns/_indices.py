"""The evidence index: every cited range, by upstream, file and line, with links to each citation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.domains import Index, IndexEntry

from ._evidence import plural
from ._records import CitationRecord

if TYPE_CHECKING:
    from ._domain import PypatternsDomain

__all__ = ["EvidenceIndex"]


def _range(rec: CitationRecord) -> str:
    lines = f"L{rec['start']}" if rec["start"] == rec["end"] else f"L{rec['start']}\u2013{rec['end']}"
    return f"{lines} {rec['symbol']}" if rec["symbol"] else lines


class EvidenceIndex(Index):
    """Upstream → file → line range (and symbol); one entry per citing place."""

    name = "evidence"
    localname = "Evidence index"
    shortname = "evidence"

    def generate(self, docnames: Iterable[str] | None = None) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        domain: PypatternsDomain = self.domain  # type: ignore[assignment]
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
                    note["docname"] if note else first["docname"],
                    note["anchor"] if note else first["node_id"],
                    f"{plural(total, 'citation')} of {plural(len(files), 'file')}",
                    "",
                    "",
                )
            )
            for path, recs in sorted(files.items()):
                recs.sort(key=_order)
                entries.append(
                    IndexEntry(path, 1, recs[0]["docname"], recs[0]["node_id"], plural(len(recs), "citation"), "", "")
                )
                for rec in recs:
                    where = titles.get(rec["docname"]) or _title(env_titles, rec["docname"])
                    descr = f"{where}, line {rec['lineno']}"
                    entries.append(IndexEntry(_range(rec), 2, rec["docname"], rec["node_id"], "", "", descr))
            content.append((upstream, entries))
        return content, False


def _order(rec: CitationRecord) -> tuple[int, int, str, str, int]:
    return (rec["start"], rec["end"], rec["symbol"], rec["docname"], int(rec["node_id"].rpartition("-")[2] or 0))


def _title(titles: Mapping[str, nodes.Node], docname: str) -> str:
    node = titles.get(docname)
    return (node.astext() if node is not None else "") or docname
