"""The ``pp`` domain: all build state of sphinx-pypatterns.

Collected while reading (directives and :meth:`process_doc`), merged from
parallel workers (:meth:`merge_domaindata`), computed globally once at
``env-updated`` (:meth:`on_env_updated`), rendered at resolve time.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Set
from typing import Any, ClassVar, cast

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from .._core.checkouts import FolderCheckout, GitCheckout
from .._core.errors import CheckoutError
from .._core.evidence import Picture, compute_picture
from .._core.manifest import Manifest, Upstream
from .._core.records import (
    MESSAGE,
    OK,
    SUBTYPE,
    CandidateRecord,
    CitationRecord,
    HeaderRecord,
    ItemRecord,
    VerdictRecord,
)
from .._core.targets import CitationTarget
from .._core.verify import Verifier
from .._tools.background import Prefetched, PrefetchKey
from .config import evidence_rules, required_sections
from .directives import (
    ChecklistDirective,
    CiteDirective,
    DashboardDirective,
    MatrixDirective,
    PatternDirective,
    PinTableDirective,
    SmellDirective,
    SourceNoteDirective,
)
from .indices import EvidenceIndex
from .log import warn
from .nodes import add_page_number, pp_cite
from .placement import location_of
from .roles import CandidateRole, CiteRole, PPXRefRole

__all__ = ["PypatternsDomain"]

_NS = {"pattern": "ps", "smell": "ps", "source-note": "note"}


def _ns(kind: str) -> str:
    return _NS.get(kind, kind)


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
        "headers": {},  # docname -> [HeaderRecord]
        "citations": {},  # docname -> [CitationRecord]
        "candidates": {},  # docname -> [CandidateRecord]
        "xrefs": {},  # docname -> [[kind, id]]
        "globals": {},  # docname -> sorted kinds of global pages it shows (checklist, matrix, dashboard)
        "items": {},  # docname -> [ItemRecord] of a source note's repeated patterns
        "view": {},  # docname -> hash of the global data it shows
        "pins": {},  # upstream -> what its verdicts depend on: the pin's fields and the checkout's state
        "stamps": {},  # upstream read from a folder -> {path cited -> stamp of the file read}
        "names": None,  # the upstream names the pages were read with (None: never read)
        "origins": {},  # upstream -> how its checkout was materialised (no paths)
        "docset": [],  # every docname at the last build: adding or removing a page moves every page's navigation
        "digests": {},  # docname -> digest of what the page contributes, as read (see evidence_digest)
        "manifest": None,  # Manifest | None
    }
    data_version = 8  # 8: folder files stamped, the upstream names of the last reading kept

    def __init__(self, env: BuildEnvironment) -> None:
        super().__init__(env)
        #: when this build began: a folder file changed since (or just before) gets a racy stamp
        self._started_ns = time.time_ns()

    # -- data access -------------------------------------------------------

    @property
    def headers(self) -> dict[str, list[HeaderRecord]]:
        return cast("dict[str, list[HeaderRecord]]", self.data["headers"])

    @property
    def citations(self) -> dict[str, list[CitationRecord]]:
        return cast("dict[str, list[CitationRecord]]", self.data["citations"])

    @property
    def candidates(self) -> dict[str, list[CandidateRecord]]:
        return cast("dict[str, list[CandidateRecord]]", self.data["candidates"])

    @property
    def manifest(self) -> Manifest | None:
        return cast("Manifest | None", self.data["manifest"])

    @property
    def items(self) -> dict[str, list[ItemRecord]]:
        return cast("dict[str, list[ItemRecord]]", self.data["items"])

    @property
    def global_pages(self) -> dict[str, list[str]]:
        return cast("dict[str, list[str]]", self.data["globals"])

    def note_global_page(self, docname: str, kind: str) -> None:
        kinds = self.global_pages.setdefault(docname, [])
        if kind not in kinds:
            kinds.append(kind)
            kinds.sort()

    def picture(self) -> Picture:
        """The global evidence picture, computed once per change of the data."""
        picture: Picture | None = self.__dict__.get("_picture_cache")
        if picture is None:
            picture = compute_picture(
                self.headers,
                self.citations,
                self.candidates,
                self.items,
                sorted(self.upstream_names()),
                list(self.env.config.pypatterns_areas),
                evidence_rules(self.env.config),
            )
            self.__dict__["_picture_cache"] = picture
        return picture

    def upstream_names(self) -> frozenset[str]:
        manifest = self.manifest
        if manifest is not None and manifest.upstreams:
            return manifest.names
        return frozenset(self.env.config.pypatterns_upstreams)

    def all_headers(self) -> Iterator[HeaderRecord]:
        for docname in sorted(self.headers):
            yield from self.headers[docname]

    def _index(self) -> dict[tuple[str, str], HeaderRecord]:
        """``(kind, id) -> header``, the first by document name winning; rebuilt only after a change."""
        index: dict[tuple[str, str], HeaderRecord] | None = self.__dict__.get("_index_cache")
        if index is None:
            index = {}
            for record in self.all_headers():
                if record["id"]:
                    index.setdefault((record["kind"], record["id"]), record)
            self.__dict__["_index_cache"] = index
        return index

    def _changed(self) -> None:
        self.__dict__.pop("_index_cache", None)
        self.__dict__.pop("_picture_cache", None)
        self.__dict__.pop("_reverse_cache", None)

    def _where(self, docname: str, lineno: int) -> str:
        return f"{self.env.doc2path(docname, False)}:{lineno}"

    # -- reading -------------------------------------------------------------

    def note_header(self, record: HeaderRecord, location: tuple[str, int] | str) -> None:
        docname = record["docname"]
        mine = self.headers.setdefault(docname, [])
        if mine:
            first = mine[0]
            warn(
                f"a second header directive on this page ({record['kind']}); the first, a {first['kind']}, "
                f"is at line {first['lineno']}: one page holds one header",
                "duplicate_header",
                location,
            )
        else:
            self._check_duplicate(record, location, (d for d in self.headers if d != docname))
        mine.append(record)
        self._changed()

    def _check_duplicate(self, record: HeaderRecord, location: tuple[str, int] | str, others: Iterable[str]) -> None:
        if not record["id"]:
            return
        for other in sorted(others):
            for existing in self.headers.get(other, [])[:1]:
                if _ns(existing["kind"]) == _ns(record["kind"]) and existing["id"] == record["id"]:
                    warn(
                        f"duplicate id {record['id']!r}: {self._where(record['docname'], record['lineno'])} "
                        f"({record['kind']}) and {self._where(other, existing['lineno'])} ({existing['kind']})",
                        "duplicate_id",
                        location,
                    )
                    return

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        top = next((n for n in document.children if isinstance(n, nodes.section)), None)
        title = top[0].astext() if top is not None and top.children and isinstance(top[0], nodes.title) else ""
        headers = self.headers.get(docname, [])
        for record in headers:
            record["title"] = title or record["id"]
        self._changed()
        cards = [n for n in document.findall(nodes.container) if n.get("pp-kind")]
        for card in cards[:1]:  # a second header has its own warning (duplicate_header)
            self._check_placement(card, top, docname)
        if headers and top is not None:
            headers[0]["sections"] = _section_lines(top)
            self._check_sections(headers[0], top, docname)
        section_of = _section_titles(top)
        if headers and headers[0]["kind"] == "source-note" and top is not None:
            items = _repeated_items(top, docname, evidence_rules(env.config).repeated_section)
            if items:
                self.items[docname] = items
        citations: list[CitationRecord] = []
        for node in document.findall(pp_cite):
            citations.append(_citation_record(node, section_of))
            # the record holds these now; the doctree, kept in memory until written, keeps only
            # what the resolver reads (docname, node_id, title, target)
            for key in _RECORDED:
                node.attributes.pop(key, None)
        if citations:
            self.citations[docname] = citations
        candidates: list[CandidateRecord] = []
        xrefs: list[list[str]] = []
        for ref in document.findall(pending_xref):
            if ref.get("refdomain") != "pp":
                continue
            target = str(ref.get("reftarget", ""))
            if ref.get("reftype") == "candidate":
                candidates.append(CandidateRecord(id=target, docname=docname, lineno=ref.line or 0))
            else:
                xrefs.append([str(ref.get("reftype")), target])
        if candidates:
            self.candidates[docname] = candidates
        if xrefs:
            self.data["xrefs"][docname] = xrefs
        self.data["digests"][docname] = self._read_digest(docname)

    def _read_digest(self, docname: str) -> str:
        """What ``docname`` contributes to the global data, as read (before verification)."""
        part = [
            self.headers.get(docname, []),
            self.citations.get(docname, []),
            self.candidates.get(docname, []),
            self.data["xrefs"].get(docname, []),
            self.items.get(docname, []),
            self.global_pages.get(docname, []),
        ]
        return hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest()

    def evidence_digest(self, documents: dict[str, tuple[str, str]]) -> str:
        """Changes whenever ``evidence.json`` would: every page's read data, the pins and checkouts
        (verdicts follow from these), the manifest, the pages with their paths and titles, the rules."""
        manifest = self.manifest
        payload = [
            sorted(self.data["digests"].items()),
            self.data["pins"],
            self.data["stamps"],
            self.data["origins"],
            sorted(
                [u.name, u.repository, u.tag, u.commit, u.license, list(u.sources)]
                for u in (manifest.upstreams.values() if manifest else [])
            ),
            sorted(documents.items()),
            repr(evidence_rules(self.env.config)),
            sorted(self.upstream_names()),
            list(self.env.config.pypatterns_areas),
        ]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def _check_placement(self, card: nodes.Element, top: nodes.Element | None, docname: str) -> None:
        location = (docname, card.line or 0)
        parent = card.parent
        if top is None or parent is not top:
            warn(
                f"the {card['pp-kind']} header must sit right under the page title, not inside "
                f"{'a ' + parent.tagname if parent is not None else 'nothing'}",
                "misplaced_header",
                location,
            )
            return
        before = parent.children[: parent.index(card)]
        if any(not isinstance(n, (nodes.title, nodes.target, nodes.comment)) for n in before):
            warn(f"the {card['pp-kind']} header must come right after the page title", "misplaced_header", location)

    def _check_sections(self, record: HeaderRecord, top: nodes.Element, docname: str) -> None:
        found: dict[str, nodes.section] = {}
        for child in top.children:
            if isinstance(child, nodes.section) and child.children:
                found.setdefault(child[0].astext().strip().casefold(), child)
        for name in required_sections(self.env.config, record["kind"]):
            section = found.get(name.strip().casefold())
            if section is None:
                warn(
                    f"the {record['kind']} page has no section {name!r} directly under the title",
                    "missing_section",
                    (docname, record["lineno"]),
                )
            elif not any(not isinstance(c, (nodes.title, nodes.comment, nodes.target)) for c in section.children):
                warn(f"the section {name!r} is empty", "empty_section", (docname, section[0].line or record["lineno"]))

    def clear_doc(self, docname: str) -> None:
        # a page read again mostly cites what it cited: its verdicts wait for env-updated,
        # which takes them while the pins hold instead of verifying those citations again
        earlier = self._earlier_verdicts()
        for rec in self.citations.get(docname, ()):
            verdict = rec["verdict"]
            if verdict is not None and verdict[SUBTYPE] not in _PARSE_SUBTYPES:
                earlier[(*_verdict_key(rec), rec["block"])] = verdict
        for key in ("headers", "citations", "candidates", "xrefs", "globals", "items", "view", "digests"):
            self.data[key].pop(docname, None)
        self._changed()

    def outdated_by_upstreams(self) -> list[str]:
        """``env-get-outdated``: the pages to read again because the upstream names changed.

        A page checks its citations' and its source note's upstream against the names while it
        is read (``unknown_upstream``, whose message lists the known names); when a name is added
        to or removed from the manifest, the pages that name it, and the pages holding an unknown
        upstream, are read again, as a clean build would read them.
        """
        names = sorted(self.upstream_names())
        before = cast("list[str] | None", self.data["names"])
        self.data["names"] = names
        if before is None or before == names:
            return []
        flipped, known = set(names) ^ set(before), set(before)
        outdated = {
            docname
            for docname, recs in self.citations.items()
            if any(
                _named_upstream(rec) in flipped
                or rec["upstream"] in flipped
                or (rec["verdict"] is not None and rec["verdict"][SUBTYPE] == "unknown_upstream")
                for rec in recs
            )
        }
        outdated.update(
            docname
            for docname, headers in self.headers.items()
            for h in headers
            if h["kind"] == "source-note" and h["id"] and (h["id"] in flipped or h["id"] not in known)
        )
        return sorted(outdated)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        known_to_worker = set(otherdata["headers"])
        for docname in sorted(docnames):
            for record in otherdata["headers"].get(docname, [])[:1]:
                others = (d for d in self.headers if d not in known_to_worker and d not in docnames)
                self._check_duplicate(record, (docname, record["lineno"]), others)
            for key in ("headers", "citations", "candidates", "xrefs", "globals", "items", "digests"):
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]
        self._changed()

    # -- the global step ----------------------------------------------------

    def on_env_updated(
        self, verifier: Verifier | None, prefetched: Mapping[PrefetchKey, Prefetched] | None = None
    ) -> list[str]:
        """Check global rules, verify new citations (taking ``prefetched`` verdicts where they
        apply), return the pages to rewrite."""
        index = self._index()
        for record in self.all_headers():
            if record["kind"] != "smell":
                continue
            for target in record["inverts"]:
                if ("pattern", target) not in index:
                    warn(
                        f"the smell {record['id']!r} inverts {target!r}, which names no pattern",
                        "unknown_pattern",
                        (record["docname"], record["lineno"]),
                    )
        self._verify(verifier, prefetched or {})
        self._changed()
        for finding in self.picture().findings:
            warn(finding.message, finding.subtype, (finding.docname, finding.lineno))
        changed = self._changed_views(self._index())
        docset = sorted(self.env.found_docs)
        if self.data["docset"] != docset:
            # Sphinx rewrites only the toctree's parent, so a neighbour's next/previous links and every
            # sidebar would be stale: a new or removed page rewrites every page, as a clean build would
            first = not self.data["docset"]
            self.data["docset"] = docset
            if not first:
                return docset
        return changed

    def _earlier_verdicts(self) -> dict[tuple[str, str, int, int, str, bool], VerdictRecord]:
        """Verdicts of the citations of pages cleared in this build (not pickled)."""
        earlier: dict[tuple[str, str, int, int, str, bool], VerdictRecord]
        earlier = self.__dict__.setdefault("_earlier_verdicts_cache", {})
        return earlier

    def _verify(self, verifier: Verifier | None, prefetched: Mapping[PrefetchKey, Prefetched]) -> None:
        manifest = self.manifest
        pins = cast("dict[str, str]", self.data["pins"])
        earlier = self.__dict__.pop("_earlier_verdicts_cache", {})
        if verifier is not None:
            current: dict[str, str] = {}
            origins: dict[str, str] = {}
            folders: dict[str, FolderCheckout] = {}
            for name, upstream in sorted((manifest.upstreams if manifest else {}).items()):
                try:
                    checkout = verifier.checkout_for(name)
                    where, origins[name] = checkout.description, checkout.origin
                    if isinstance(checkout, GitCheckout):
                        # a repository named in conf.py may receive the pinned commit later
                        where += f"|commit {checkout.commit_state()}"
                    else:
                        folders[name] = checkout
                except CheckoutError as exc:
                    where, origins[name] = f"error:{exc}", "not materialised"
                current[name] = _pin_state(upstream, where)
            self.data["origins"] = origins
            changed = {name for name in set(current) | set(pins) if current.get(name) != pins.get(name)}
            stale = self._stale_files(folders)
            earlier = {key: v for key, v in earlier.items() if key[0] not in changed and (key[0], key[1]) not in stale}
            if changed or stale:
                for records in self.citations.values():
                    for rec in records:
                        if (
                            (rec["upstream"] in changed or (rec["upstream"], rec["path"]) in stale)
                            and rec["verdict"] is not None
                            and rec["verdict"][SUBTYPE] not in _PARSE_SUBTYPES
                        ):
                            rec["verdict"] = None
            self.data["pins"] = current
        require_anchor = bool(self.env.config.pypatterns_require_anchor)
        # the cited lines are kept only where they are printed: cite directives, and
        # inline citations when their compact excerpts are on
        keep_inline_lines = bool(self.env.config.pypatterns_print_inline_excerpts)
        pending = {d: [r for r in recs if r["verdict"] is None] for d, recs in sorted(self.citations.items())}
        # verify file by file, so the verifier holds few files at a time (the build's memory peak),
        # each file's upstreams together (a blob two upstreams share is parsed once)
        order = sorted(
            (r for recs in pending.values() for r in recs), key=lambda r: (r["path"], r["upstream"], r["start"])
        )
        for rec in order:
            if verifier is None or manifest is None or rec["upstream"] not in manifest.upstreams:
                rec["verdict"] = (
                    False,
                    "no_manifest",
                    f"no manifest pins upstream {rec['upstream']!r}: set pypatterns_manifest in conf.py",
                    (),
                )
                continue
            keep = rec["block"] or keep_inline_lines
            key = _verdict_key(rec)
            kept = earlier.get((*key, rec["block"]))
            if kept is not None:
                rec["verdict"] = kept
                continue
            found = prefetched.get(key)
            if found is not None and (found.lines is not None or not keep):
                ok, subtype, message, lines = found.ok, found.subtype, found.message, found.lines or ()
            else:
                target = CitationTarget(rec["upstream"], rec["path"], rec["start"], rec["end"])
                result = verifier.verify(target, rec["symbol"], require_anchor=require_anchor)
                ok, subtype, message, lines = result.ok, result.subtype, result.message, result.lines
            if ok and not keep:
                rec["verdict"] = _VERIFIED  # shared (also in the pickled environment): never mutated in place
                continue
            rec["verdict"] = (ok, subtype, message, tuple(lines) if keep else ())
        for docname, recs in pending.items():
            self._report(docname, recs)

    def _stale_files(self, folders: Mapping[str, FolderCheckout]) -> set[tuple[str, str]]:
        """Stamp every cited file of a folder checkout; return the (upstream, path) whose stamp
        changed since the last build: exactly their citations are verified again."""
        before = cast("dict[str, dict[str, str]]", self.data["stamps"])
        stamps: dict[str, dict[str, str]] = {}
        stale: set[tuple[str, str]] = set()
        for records in self.citations.values():
            for rec in records:
                name, path = rec["upstream"], rec["path"]
                checkout = folders.get(name)
                if checkout is None or not path:
                    continue
                mine = stamps.setdefault(name, {})
                if path not in mine:
                    mine[path] = checkout.stamp(path, self._started_ns)
                    if before.get(name, {}).get(path) != mine[path]:
                        stale.add((name, path))
        self.data["stamps"] = stamps
        return stale

    def _report(self, docname: str, pending: list[CitationRecord]) -> None:
        """Warn for every failed new citation of a page; a missing checkout once per upstream."""
        missing_reported: set[str] = set()
        for rec in pending:
            verdict = rec["verdict"]
            if verdict is None or verdict[OK]:
                continue
            # at the citation's line in its page, or in the file it was included from
            where = location_of(self.env, docname, rec.get("source", ""), rec["lineno"])
            if verdict[SUBTYPE] in ("checkout_missing", "commit_missing", "no_manifest"):
                if rec["upstream"] in missing_reported:
                    continue
                missing_reported.add(rec["upstream"])
                count = sum(1 for r in pending if r["upstream"] == rec["upstream"])
                warn(
                    f"{count} citation(s) of {rec['upstream']!r} on this page cannot be verified: {verdict[MESSAGE]}",
                    verdict[SUBTYPE],
                    where,
                )
                continue
            warn(f"{rec['target']}: {verdict[MESSAGE]}", verdict[SUBTYPE], where)

    def view_of(self, docname: str, index: dict[tuple[str, str], HeaderRecord]) -> dict[str, object]:
        """The global data that the page ``docname`` shows."""
        view: dict[str, object] = {}
        manifest = self.manifest
        for record in self.headers.get(docname, [])[:1]:
            view["backlinks"] = self.backlinks(record)
            if record["kind"] == "source-note" and manifest is not None and record["id"] in manifest.upstreams:
                up = manifest.upstreams[record["id"]]
                view["pin"] = [up.tag, up.commit, up.license]
        kinds = self.global_pages.get(docname, [])
        if "checklist" in kinds:
            view["checklist"] = [
                [r["area"], r["id"], r["rule"], r["docname"], r["title"]]
                for r in self.all_headers()
                if r["kind"] == "pattern"
            ]
        picture = self.picture()
        if "matrix" in kinds:
            view["matrix"] = [picture.upstreams, [[p.id, p.docname, p.title, p.per_upstream] for p in picture.patterns]]
        if "pins" in kinds:
            view["pins"] = [
                [u.name, u.repository, u.tag, u.commit, u.license, self.data["origins"].get(u.name, "")]
                for u in (manifest.upstreams.values() if manifest else [])
            ]
        if "dashboard" in kinds:
            view["dashboard"] = [
                [[c.id, c.nominated_by, c.pattern] for c in picture.candidates],
                picture.no_smell,
                picture.uncited_upstreams,
                [[f.subtype, f.docname, f.subject, f.message] for f in picture.findings],
                [[p.id, p.docname, p.title] for p in picture.patterns],
            ]
        if self.headers.get(docname):
            view["evidence"] = picture.per_doc.get(docname, {})
        refs = self.data["xrefs"].get(docname, []) + [["candidate", c["id"]] for c in self.candidates.get(docname, [])]
        if refs:
            targets = []
            for kind, ident in refs:
                rec = index.get(("pattern" if kind == "candidate" else kind, ident))
                targets.append([kind, ident, rec["docname"] if rec else "", rec["title"] if rec else ""])
            view["refs"] = targets
        if docname in self.citations:
            view["citations"] = [
                [r["target"], r["verdict"], self.permalink(r) if manifest else ""] for r in self.citations[docname]
            ]
        return view

    def _changed_views(self, index: dict[tuple[str, str], HeaderRecord]) -> list[str]:
        docs = (
            set(self.headers)
            | set(self.global_pages)
            | set(self.citations)
            | set(self.data["xrefs"])
            | set(self.candidates)
        )
        stored = cast("dict[str, str]", self.data["view"])
        changed = []
        for docname in sorted(docs):
            digest = hashlib.sha256(json.dumps(self.view_of(docname, index), sort_keys=True).encode()).hexdigest()
            if stored.get(docname) != digest:
                stored[docname] = digest
                changed.append(docname)
        return changed

    def _reverse(self) -> dict[tuple[str, str, str], set[str]]:
        """(relation, kind, id) -> docnames pointing there; rebuilt only after a change."""
        rev: dict[tuple[str, str, str], set[str]] | None = self.__dict__.get("_reverse_cache")
        if rev is None:
            rev = {}
            for cands in self.candidates.values():
                for c in cands:
                    rev.setdefault(("nominated_by", "pattern", c["id"]), set()).add(c["docname"])
            for r in self.all_headers():
                if r["kind"] == "smell":
                    for target in r["inverts"]:
                        rev.setdefault(("inverted_by", "pattern", target), set()).add(r["docname"])
            for d, refs in self.data["xrefs"].items():
                for kind, ident in refs:
                    rev.setdefault(("referenced_by", kind, ident), set()).add(d)
            self.__dict__["_reverse_cache"] = rev
        return rev

    def backlinks(self, record: HeaderRecord) -> dict[str, list[str]]:
        """Docnames that point at ``record``, by relation."""
        rev = self._reverse()
        links: dict[str, list[str]] = {}
        if record["kind"] == "pattern":
            links["nominated_by"] = sorted(rev.get(("nominated_by", "pattern", record["id"]), ()))
            links["inverted_by"] = sorted(rev.get(("inverted_by", "pattern", record["id"]), ()))
        if record["kind"] == "source-note":
            links["nominates"] = sorted({c["id"] for c in self.candidates.get(record["docname"], [])})
        already = {d for docs in links.values() for d in docs}
        links["referenced_by"] = sorted(
            d
            for d in rev.get(("referenced_by", record["kind"], record["id"]), ())
            if d != record["docname"] and d not in already
        )
        return links

    def permalink(self, rec: CitationRecord) -> str:
        manifest = self.manifest
        if manifest is None or rec["upstream"] not in manifest.upstreams or not rec["path"]:
            return ""
        return manifest.upstreams[rec["upstream"]].permalink(rec["path"], rec["start"], rec["end"])

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
        record = self._index().get((kind, target.strip()))
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
        for (kind, ident), record in sorted(self._index().items()):
            yield ident, record["title"] or ident, kind, record["docname"], record["anchor"], 1


#: The verdict of every verified citation whose lines are not kept.
_VERIFIED: VerdictRecord = (True, "", "", ())

#: pp_cite attributes copied into its CitationRecord at read time.
_RECORDED = ("symbol", "lineno", "source", "block", "upstream", "path", "start", "end", "error", "message")

_PARSE_SUBTYPES = frozenset({"bad_target", "bad_path", "bad_lines", "empty_target", "unknown_upstream"})


def _section_titles(top: nodes.Element | None) -> dict[int, str]:
    """Map id() of every node under a top-level section to that section's title."""
    mapping: dict[int, str] = {}
    if top is None:
        return mapping
    for child in top.children:
        if isinstance(child, nodes.section) and child.children:
            name = child[0].astext().strip()
            for node in child.findall(pp_cite):
                mapping[id(node)] = name
    return mapping


def _section_lines(top: nodes.Element) -> dict[str, int]:
    """Casefolded title -> line of every section directly under the page title."""
    lines: dict[str, int] = {}
    for child in top.children:
        if isinstance(child, nodes.section) and child.children:
            lines.setdefault(child[0].astext().strip().casefold(), child[0].line or 0)
    return lines


def _repeated_items(top: nodes.Element, docname: str, title: str) -> list[ItemRecord]:
    """The top-level list items of the section ``title``, with their citation counts."""
    wanted = title.strip().casefold()
    section = next(
        (
            c
            for c in top.children
            if isinstance(c, nodes.section) and c.children and c[0].astext().strip().casefold() == wanted
        ),
        None,
    )
    items: list[ItemRecord] = []
    if section is None:
        return items
    for lst in section.children:
        if not isinstance(lst, (nodes.bullet_list, nodes.enumerated_list)):
            continue
        for item in lst.children:
            if not isinstance(item, nodes.list_item):
                continue
            cites = list(item.findall(pp_cite))
            lineno = item.line or next((n.line for n in item.findall(nodes.Element) if n.line), 0)
            words = " ".join(item.children[0].astext().split()) if item.children else ""
            items.append(
                ItemRecord(
                    docname=docname,
                    lineno=lineno or 0,
                    citations=sum(1 for c in cites if c.get("upstream")),
                    upstreams=sorted({str(c.get("upstream")) for c in cites if c.get("upstream")}),
                    text=words[:60] + ("\u2026" if len(words) > 60 else ""),
                )
            )
    return items


def _pin_state(upstream: Upstream, where: str) -> str:
    """What the verdicts of ``upstream`` depend on besides the files: the commit, the sources that
    make its tree (they shape a missing file's message), the stdlib's Python (the parse hint) and
    the checkout's state. Not the repository, tag or license: they change links, not verdicts."""
    sources = [[s.name, s.version, s.sha256, s.mount] for s in upstream.sdists]
    stdlib = [upstream.stdlib.python, upstream.stdlib.mount] if upstream.stdlib else None
    return json.dumps([upstream.commit, sources, stdlib, upstream.git, where])


def _named_upstream(rec: CitationRecord) -> str:
    """The upstream a citation names as written (also when it was refused while read)."""
    return rec["target"].partition(":")[0].strip()


def _verdict_key(rec: CitationRecord) -> PrefetchKey:
    """What a citation's verdict depends on, besides the pins: upstream, path, lines, symbol."""
    return rec["upstream"], rec["path"], rec["start"], rec["end"], rec["symbol"]


def _citation_record(node: pp_cite, section_of: dict[int, str]) -> CitationRecord:
    error = node.get("error")
    verdict = None
    if error:
        verdict = (False, str(error), str(node.get("message", "")), ())
    # interned: thousands of records repeat a few upstreams, paths and section titles
    return CitationRecord(
        target=node["target"],
        upstream=sys.intern(node.get("upstream", "")),
        path=sys.intern(node.get("path", "")),
        start=node.get("start", 0),
        end=node.get("end", 0),
        symbol=node["symbol"],
        title=node["title"],
        docname=node["docname"],
        lineno=node["lineno"],
        source=str(node.get("source", "")),
        node_id=node["node_id"],
        block=bool(node.get("block")),
        section=sys.intern(section_of.get(id(node), "")),
        verdict=verdict,
    )
