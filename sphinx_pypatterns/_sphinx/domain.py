"""The ``pp`` domain: the build state of sphinx-pypatterns, and nothing else.

Collected while reading (the directives' ``note_*`` and :meth:`process_doc`, through
:mod:`.collect`), merged from parallel readers (:meth:`merge_domaindata`), computed
globally once at ``env-updated`` (:mod:`.global_step`), rendered at resolve time
(:mod:`.render`). What is derived from the data (the id index, the evidence picture,
the back-links) is owned by one :class:`.derived.Derived`, dropped by :meth:`changed`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Set
from typing import Any, ClassVar, cast

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from .._core.evidence import Picture
from .._core.manifest import Manifest
from .._core.records import (
    SUBTYPE,
    CandidateRecord,
    CitationRecord,
    ClaimRecord,
    CountRecord,
    HeaderRecord,
    ItemRecord,
    VerdictRecord,
)
from .._core.verify import CitationKey
from .collect import collect_page
from .derived import Derived
from .directives import CiteDirective, PatternDirective, SmellDirective, SourceNoteDirective
from .global_pages import ChecklistDirective, DashboardDirective, MatrixDirective, PinTableDirective
from .global_step import PARSE_SUBTYPES, citation_key
from .ids import check_duplicate_id
from .incremental import read_digest
from .indices import EvidenceIndex
from .log import warn
from .nodes import add_page_number
from .roles import CandidateRole, CiteRole, CountRole, PPXRefRole

__all__ = ["PypatternsDomain"]

#: The per-page keys of the data: what :meth:`clear_doc` drops and :meth:`merge_domaindata` takes.
_PAGE_KEYS = ("headers", "citations", "counts", "claims", "candidates", "xrefs", "globals", "items", "digests")


class PypatternsDomain(Domain):
    """Patterns, smells, source notes, candidates and citations."""

    name = "pp"
    label = "Python patterns"
    object_types = {
        "pattern": ObjType("pattern", "pattern", "any"),
        "smell": ObjType("smell", "smell", "any"),
        "source-note": ObjType("source note", "source-note", "any"),
    }
    roles = {
        "pattern": PPXRefRole(warn_dangling=True, innernodeclass=nodes.inline),
        "smell": PPXRefRole(warn_dangling=True, innernodeclass=nodes.inline),
        "source-note": PPXRefRole(warn_dangling=True, innernodeclass=nodes.inline),
        "candidate": CandidateRole(),
        "cite": CiteRole(),
        "count": CountRole(),
    }
    directives = {
        "pattern": PatternDirective,
        "smell": SmellDirective,
        "source-note": SourceNoteDirective,
        "cite": CiteDirective,
        "pattern-checklist": ChecklistDirective,
        "evidence-matrix": MatrixDirective,
        "evidence-dashboard": DashboardDirective,
        "pin-table": PinTableDirective,
    }
    indices = [EvidenceIndex]
    initial_data: ClassVar[dict[str, Any]] = {
        "headers": {},  # docname -> HeaderRecord: one header per page
        "citations": {},  # docname -> [CitationRecord]
        "counts": {},  # docname -> [CountRecord]
        "count_cache": {},  # count as written -> [its checkout's fingerprint, CountResult]
        "claims": {},  # docname -> [ClaimRecord] of a header page, for the claim rules
        "candidates": {},  # docname -> [CandidateRecord]
        "xrefs": {},  # docname -> [[kind, id]]
        "globals": {},  # docname -> sorted kinds of global pages it shows (checklist, matrix, dashboard)
        "items": {},  # docname -> [ItemRecord] of a source note's repeated patterns
        "view": {},  # docname -> hash of the global data it shows
        "view_key": "",  # digest of what every view is made of, at the last build (incremental.views_key)
        "pins": {},  # upstream -> what its verdicts depend on: the pin's fields and the checkout's state
        "stamps": {},  # upstream read from a folder -> {path cited -> stamp of the file read}
        "names": None,  # the upstream names the pages were read with (None: never read)
        "origins": {},  # upstream -> how its checkout was materialised (no paths)
        "docset": [],  # every docname at the last build: adding or removing a page moves every page's navigation
        "digests": {},  # docname -> digest of what the page contributes, as read (incremental.read_digest)
        "manifest": None,  # Manifest | None
    }
    data_version = 14  # 13: counts, their cache, and claims; 14: a pattern's :no-smell: reason

    def __init__(self, env: BuildEnvironment) -> None:
        super().__init__(env)
        #: when this build began: a folder file changed since (or just before) gets a racy stamp
        self.started_ns = time.time_ns()
        self._derived: Derived | None = None
        #: verdicts of the citations of the pages cleared in this build, taken at env-updated
        self._earlier: dict[tuple[CitationKey, bool], VerdictRecord] = {}

    # -- data access -------------------------------------------------------

    @property
    def headers(self) -> dict[str, HeaderRecord]:
        return cast("dict[str, HeaderRecord]", self.data["headers"])

    @property
    def citations(self) -> dict[str, list[CitationRecord]]:
        return cast("dict[str, list[CitationRecord]]", self.data["citations"])

    @property
    def claims(self) -> dict[str, list[ClaimRecord]]:
        return cast("dict[str, list[ClaimRecord]]", self.data["claims"])

    @property
    def counts(self) -> dict[str, list[CountRecord]]:
        return cast("dict[str, list[CountRecord]]", self.data["counts"])

    @property
    def candidates(self) -> dict[str, list[CandidateRecord]]:
        return cast("dict[str, list[CandidateRecord]]", self.data["candidates"])

    @property
    def xrefs(self) -> dict[str, list[list[str]]]:
        return cast("dict[str, list[list[str]]]", self.data["xrefs"])

    @property
    def items(self) -> dict[str, list[ItemRecord]]:
        return cast("dict[str, list[ItemRecord]]", self.data["items"])

    @property
    def global_pages(self) -> dict[str, list[str]]:
        return cast("dict[str, list[str]]", self.data["globals"])

    @property
    def manifest(self) -> Manifest | None:
        return cast("Manifest | None", self.data["manifest"])

    def all_headers(self) -> Iterator[HeaderRecord]:
        for docname in sorted(self.headers):
            yield self.headers[docname]

    def upstream_names(self) -> frozenset[str]:
        manifest = self.manifest
        if manifest is not None and manifest.upstreams:
            return manifest.names
        return frozenset(self.env.config.pypatterns_upstreams)

    # -- derived state: one owner, one invalidation point ------------------

    def changed(self) -> None:
        """The data changed: what is derived from it is computed again when next asked for."""
        self._derived = None

    @property
    def _now(self) -> Derived:
        if self._derived is None:
            self._derived = Derived(self)
        return self._derived

    def index(self) -> dict[tuple[str, str], HeaderRecord]:
        return self._now.index

    def picture(self) -> Picture:
        """The global evidence picture, computed once per change of the data."""
        return self._now.picture

    def backlinks(self, record: HeaderRecord) -> dict[str, list[str]]:
        """Docnames that point at ``record``, by relation."""
        return self._now.links.of(record)

    def permalink(self, rec: CitationRecord) -> str:
        manifest = self.manifest
        if manifest is None or rec["upstream"] not in manifest.upstreams or not rec["path"]:
            return ""
        return manifest.upstreams[rec["upstream"]].permalink(rec["path"], rec["start"], rec["end"])

    def take_earlier_verdicts(self) -> dict[tuple[CitationKey, bool], VerdictRecord]:
        earlier, self._earlier = self._earlier, {}
        return earlier

    # -- reading -------------------------------------------------------------

    def note_header(self, record: HeaderRecord, location: tuple[str, int] | str) -> None:
        docname = record["docname"]
        first = self.headers.get(docname)
        if first is not None:
            warn(
                f"a second header directive on this page ({record['kind']}); the first, a {first['kind']}, "
                f"is at line {first['lineno']}: one page holds one header",
                "duplicate_header",
                location,
            )
            return
        check_duplicate_id(self.env, self.headers, record, location, (d for d in self.headers if d != docname))
        self.headers[docname] = record
        self.changed()

    def note_global_page(self, docname: str, kind: str) -> None:
        kinds = self.global_pages.setdefault(docname, [])
        if kind not in kinds:
            kinds.append(kind)
            kinds.sort()

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        page = collect_page(env, docname, document, self.headers.get(docname))
        for key, value in (
            ("citations", page.citations),
            ("counts", page.counts),
            ("claims", page.claims),
            ("candidates", page.candidates),
            ("xrefs", page.xrefs),
            ("items", page.items),
        ):
            if value:
                self.data[key][docname] = value
        self.data["digests"][docname] = read_digest(self, docname)
        self.changed()

    def clear_doc(self, docname: str) -> None:
        # a page read again mostly cites what it cited: its verdicts wait for env-updated,
        # which takes them while the pins hold instead of verifying those citations again
        for rec in self.citations.get(docname, ()):
            verdict = rec["verdict"]
            if verdict is not None and verdict[SUBTYPE] not in PARSE_SUBTYPES:
                self._earlier[(citation_key(rec), rec["block"])] = verdict
        for key in (*_PAGE_KEYS, "view"):
            self.data[key].pop(docname, None)
        self.changed()

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        known_to_worker = set(otherdata["headers"])
        for docname in sorted(docnames):
            record = otherdata["headers"].get(docname)
            if record is not None:
                others = (d for d in self.headers if d not in known_to_worker and d not in docnames)
                check_duplicate_id(self.env, self.headers, record, (docname, record["lineno"]), others)
            for key in _PAGE_KEYS:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]
        self.changed()

    # -- resolving -----------------------------------------------------------

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        kind = "pattern" if typ == "candidate" else typ
        record = self.index().get((kind, target.strip()))
        if record is None:
            return None
        if not node.get("refexplicit") and typ != "candidate" and record["title"]:
            contnode = nodes.inline(record["title"], record["title"], classes=contnode.get("classes", []))
        anchor = record["anchor"] if record["anchor"] else ""
        refnode = make_refnode(builder, fromdocname, record["docname"], anchor, contnode, f"{kind} {record['id']}")
        if builder.format == "latex":
            add_page_number(refnode, record["docname"], anchor)
        return refnode

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        results = []
        for kind in ("pattern", "smell", "source-note"):
            ref = self.resolve_xref(env, fromdocname, builder, kind, target, node, contnode)
            if ref is not None:
                results.append((f"pp:{kind}", ref))
        return results

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for (kind, ident), rec in sorted(self.index().items()):  # a source note's title is mostly its name
            shown = f"{rec['title'] or ident}{' (source note)' if kind == 'source-note' else ''}"
            yield ident, shown, kind, rec["docname"], rec["anchor"], 1
