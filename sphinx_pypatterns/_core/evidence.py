"""The global evidence picture: counts, matrix, dashboard and review rules.

No Sphinx imports: everything here is computed from the plain records the
domain keeps, so it is unit-tested directly and gives the same answer in
every builder and every process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .records import CandidateRecord, CitationRecord, ClaimRecord, HeaderRecord, ItemRecord

if TYPE_CHECKING:
    from .claims import ClaimRules

__all__ = [
    "CandidateStats",
    "EvidenceRules",
    "Finding",
    "Links",
    "PatternStats",
    "Picture",
    "compute_links",
    "compute_picture",
    "plural",
]


@dataclass(frozen=True)
class EvidenceRules:
    """The review checklist as thresholds (``pypatterns_*`` in conf.py); 0 or False turns a rule off."""

    min_upstreams: int = 2
    min_counterexample_citations: int = 1
    min_smell_citations: int = 1
    min_repeat_citations: int = 2
    require_nomination: bool = True
    min_nominations: int = 0
    require_smell: bool = False
    counterexamples_section: str = "Counterexamples"
    smell_evidence_section: str = "Evidence"
    repeated_section: str = "Repeated patterns"


@dataclass(frozen=True)
class Finding:
    """One broken review rule: a located ``pypatterns.<subtype>`` warning."""

    subtype: str
    docname: str
    lineno: int
    subject: str  # the pattern, smell or source-note id
    message: str


@dataclass
class PatternStats:
    id: str
    docname: str
    title: str
    area: str
    rule: str
    lineno: int
    per_upstream: dict[str, int]
    counterexample_citations: int
    inverted_by: list[str]  # smell ids
    nominated_by: list[str]  # docnames
    no_smell: str = ""  # the page's reason why no smell inverts it (``:no-smell:``)
    findings: list[Finding] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.per_upstream.values())


@dataclass
class CandidateStats:
    id: str
    nominated_by: list[str]  # docnames, sorted
    pattern: str  # docname of the pattern with this id, or ""


@dataclass
class Picture:
    """Everything the global pages show, computed once per build."""

    upstreams: list[str]
    patterns: list[PatternStats]
    candidates: list[CandidateStats]
    no_smell: list[str]  # pattern ids that no smell inverts
    uncited_upstreams: list[str]  # upstreams that no pattern cites
    findings: list[Finding]
    per_doc: dict[str, dict[str, int]]  # docname -> upstream -> parsed citations

    def column_totals(self) -> dict[str, int]:
        return {u: sum(p.per_upstream.get(u, 0) for p in self.patterns) for u in self.upstreams}

    def no_smell_reasons(self) -> list[tuple[str, str]]:
        """``(pattern id, reason)`` for every pattern that no smell inverts; ``""``: unexplained."""
        reasons = {p.id: p.no_smell for p in self.patterns}
        return [(ident, reasons.get(ident, "")) for ident in self.no_smell]


def _key(title: str) -> str:
    return title.strip().casefold()


def plural(n: int, word: str) -> str:
    """``"1 citation"``, ``"2 citations"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def compute_picture(
    headers: Mapping[str, HeaderRecord],
    citations: Mapping[str, Sequence[CitationRecord]],
    candidates: Mapping[str, Sequence[CandidateRecord]],
    items: Mapping[str, Sequence[ItemRecord]],
    upstreams: Sequence[str],
    areas: Sequence[str],
    rules: EvidenceRules,
    claims: Mapping[str, Sequence[ClaimRecord]] | None = None,
    claim_rules: ClaimRules | None = None,
) -> Picture:
    """The global picture; only parsed citations (with an upstream) count as evidence."""
    firsts = dict(sorted(headers.items()))
    per_doc: dict[str, dict[str, int]] = {}
    for docname, recs in sorted(citations.items()):
        counts: dict[str, int] = {}
        for rec in recs:
            if rec["upstream"]:
                counts[rec["upstream"]] = counts.get(rec["upstream"], 0) + 1
        per_doc[docname] = dict(sorted(counts.items()))
    nominations: dict[str, set[str]] = {}
    for docname, cands in candidates.items():
        for cand in cands:
            if cand["id"]:
                nominations.setdefault(cand["id"], set()).add(docname)
    seen: set[str] = set()
    pattern_heads: list[HeaderRecord] = []
    for head in firsts.values():
        if head["kind"] == "pattern" and head["id"] and head["id"] not in seen:
            seen.add(head["id"])
            pattern_heads.append(head)
    area_rank = {a: i for i, a in enumerate(areas)}
    pattern_heads.sort(key=lambda h: (area_rank.get(h["area"], len(area_rank)), h["area"], h["id"]))
    smells = [h for h in firsts.values() if h["kind"] == "smell"]
    findings: list[Finding] = []
    patterns: list[PatternStats] = []
    for head in pattern_heads:
        docname = head["docname"]
        counter = _key(rules.counterexamples_section)
        stats = PatternStats(
            id=head["id"],
            docname=docname,
            title=head["title"] or head["id"],
            area=head["area"],
            rule=head["rule"],
            lineno=head["lineno"],
            per_upstream=per_doc.get(docname, {}),
            counterexample_citations=sum(
                1 for r in citations.get(docname, []) if r["upstream"] and _key(r["section"]) == counter
            ),
            inverted_by=sorted(s["id"] for s in smells if head["id"] in s["inverts"]),
            nominated_by=sorted(nominations.get(head["id"], set())),
            no_smell=head.get("no_smell", ""),
        )
        stats.findings = _pattern_findings(stats, head, rules)
        findings.extend(stats.findings)
        patterns.append(stats)
    for head in smells:
        findings.extend(_smell_findings(head, citations.get(head["docname"], []), rules))
    for head in firsts.values():
        if head["kind"] == "source-note":
            findings.extend(_note_findings(head, items.get(head["docname"], []), rules))
    by_id = {p.id: p.docname for p in patterns}
    cand_stats = [
        CandidateStats(id=ident, nominated_by=sorted(docs), pattern=by_id.get(ident, ""))
        for ident, docs in sorted(nominations.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    cited = {u for p in patterns for u in p.per_upstream}
    if claims is not None and claim_rules is not None:
        from .claims import claim_findings

        findings.extend(claim_findings(headers, claims, claim_rules))
    findings.sort(key=lambda f: (f.docname, f.lineno, f.subtype, f.message))
    return Picture(
        upstreams=sorted(upstreams),
        patterns=patterns,
        candidates=cand_stats,
        no_smell=[p.id for p in patterns if not p.inverted_by],
        uncited_upstreams=sorted(u for u in upstreams if u not in cited),
        findings=findings,
        per_doc=per_doc,
    )


def _pattern_findings(stats: PatternStats, head: HeaderRecord, rules: EvidenceRules) -> list[Finding]:
    out: list[Finding] = []
    where = (stats.docname, stats.lineno)
    distinct = sorted(stats.per_upstream)
    if rules.min_upstreams and len(distinct) < rules.min_upstreams:
        names = ", ".join(distinct) or "none"
        out.append(
            Finding(
                "thin_evidence",
                *where,
                stats.id,
                f"the pattern {stats.id!r} cites {plural(len(distinct), 'upstream')} ({names}); "
                f"pypatterns_min_upstreams = {rules.min_upstreams}",
            )
        )
    if rules.min_counterexample_citations and stats.counterexample_citations < rules.min_counterexample_citations:
        line = head["sections"].get(_key(rules.counterexamples_section), stats.lineno)
        out.append(
            Finding(
                "uncited_counterexamples",
                stats.docname,
                line,
                stats.id,
                f"the section {rules.counterexamples_section!r} of {stats.id!r} has "
                f"{plural(stats.counterexample_citations, 'citation')}; "
                f"pypatterns_min_counterexample_citations = {rules.min_counterexample_citations}",
            )
        )
    if rules.min_nominations and 0 < len(stats.nominated_by) < rules.min_nominations:
        notes = ", ".join(stats.nominated_by)
        out.append(
            Finding(
                "thin_nomination",
                *where,
                stats.id,
                f"{plural(len(stats.nominated_by), 'source note')} ({notes}) nominate{'s' if len(stats.nominated_by) == 1 else ''} "
                f"{stats.id!r}; pypatterns_min_nominations = {rules.min_nominations}: a pattern synthesises what repeats "
                "across upstreams",
            )
        )
    if stats.no_smell and stats.inverted_by:
        out.append(
            Finding(
                "stale_no_smell",
                *where,
                stats.id,
                f"{stats.id!r} says why no smell inverts it (:no-smell:), but "
                f"{', '.join(repr(s) for s in stats.inverted_by)} "
                f"{'does' if len(stats.inverted_by) == 1 else 'do'}: drop :no-smell:",
            )
        )
    elif rules.require_smell and not stats.inverted_by and not stats.no_smell:
        out.append(
            Finding(
                "uninverted_pattern",
                *where,
                stats.id,
                f"no smell inverts {stats.id!r}: write one with ':inverts: {stats.id}', or say why none does "
                "with ':no-smell: reason' (pypatterns_require_smell)",
            )
        )
    if rules.require_nomination and not stats.nominated_by:
        out.append(
            Finding(
                "unnominated_pattern",
                *where,
                stats.id,
                f"no source note nominates {stats.id!r} with {{candidate}}`{stats.id}`: "
                "guidance needs evidence from the notes (pypatterns_require_nomination)",
            )
        )
    return out


def _smell_findings(head: HeaderRecord, recs: Sequence[CitationRecord], rules: EvidenceRules) -> list[Finding]:
    if not rules.min_smell_citations:
        return []
    section = _key(rules.smell_evidence_section)
    count = sum(1 for r in recs if r["upstream"] and _key(r["section"]) == section)
    if count >= rules.min_smell_citations:
        return []
    return [
        Finding(
            "uncited_smell",
            head["docname"],
            head["sections"].get(section, head["lineno"]),
            head["id"],
            f"the section {rules.smell_evidence_section!r} of the smell {head['id']!r} cites "
            f"{plural(count, 'upstream instance')}; pypatterns_min_smell_citations = {rules.min_smell_citations}",
        )
    ]


def _note_findings(head: HeaderRecord, items: Sequence[ItemRecord], rules: EvidenceRules) -> list[Finding]:
    if not rules.min_repeat_citations:
        return []
    return [
        Finding(
            "thin_repetition",
            item["docname"],
            item["lineno"],
            head["id"],
            f"the repeated pattern {item['text']!r} has {plural(item['citations'], 'citation')}; "
            f"a repeated pattern needs {rules.min_repeat_citations} (pypatterns_min_repeat_citations): "
            "move a one-off example to its own section",
        )
        for item in items
        if item["citations"] < rules.min_repeat_citations
    ]


@dataclass(frozen=True)
class Links:
    """Who points at whom: nominations, inversions and cross-references, reversed."""

    reverse: Mapping[tuple[str, str, str], frozenset[str]]  # (relation, kind, id) -> docnames
    nominations: Mapping[str, tuple[str, ...]]  # source note docname -> candidate ids

    def of(self, record: HeaderRecord) -> dict[str, list[str]]:
        """The docnames that point at the page of ``record``, by relation."""
        rev = self.reverse
        links: dict[str, list[str]] = {}
        if record["kind"] == "pattern":
            links["nominated_by"] = sorted(rev.get(("nominated_by", "pattern", record["id"]), ()))
            links["inverted_by"] = sorted(rev.get(("inverted_by", "pattern", record["id"]), ()))
        if record["kind"] == "source-note":
            links["nominates"] = sorted(set(self.nominations.get(record["docname"], ())))
        already = {d for docs in links.values() for d in docs}
        links["referenced_by"] = sorted(
            d
            for d in rev.get(("referenced_by", record["kind"], record["id"]), ())
            if d != record["docname"] and d not in already
        )
        return links


def compute_links(
    headers: Mapping[str, HeaderRecord],
    candidates: Mapping[str, Sequence[CandidateRecord]],
    xrefs: Mapping[str, Sequence[Sequence[str]]],
) -> Links:
    rev: dict[tuple[str, str, str], set[str]] = {}
    for cands in candidates.values():
        for c in cands:
            rev.setdefault(("nominated_by", "pattern", c["id"]), set()).add(c["docname"])
    for _docname, r in sorted(headers.items()):
        if r["kind"] == "smell":
            for target in r["inverts"]:
                rev.setdefault(("inverted_by", "pattern", target), set()).add(r["docname"])
    for d, refs in xrefs.items():
        for kind, ident in refs:
            rev.setdefault(("referenced_by", kind, ident), set()).add(d)
    nominations = {d: tuple(c["id"] for c in cands) for d, cands in candidates.items()}
    return Links({key: frozenset(docs) for key, docs in rev.items()}, nominations)
