"""Incremental builds equal clean ones: which pages to read again and to write again.

- :func:`outdated_by_upstreams` (``env-get-outdated``): the pages that name an upstream
  added to or removed from the manifest;
- :func:`read_digest`: what a page contributes, as read;
- :func:`changed_views` (``env-updated``): the pages whose shown global data changed
  (none made again while :func:`views_key` holds);
- :func:`evidence_digest`: changes whenever ``evidence.json`` would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from .._core.config_values import SPECS
from .._core.digest import json_digest
from .._core.records import SUBTYPE, CitationRecord
from .config import evidence_rules

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["changed_views", "evidence_digest", "outdated_by_upstreams", "read_digest", "view_of", "views_key"]


def read_digest(domain: PypatternsDomain, docname: str) -> str:
    """What ``docname`` contributes to the global data, as read (before verification)."""
    part = [
        domain.headers.get(docname),
        domain.citations.get(docname, []),
        domain.counts.get(docname, []),
        domain.candidates.get(docname, []),
        domain.xrefs.get(docname, []),
        domain.items.get(docname, []),
        domain.global_pages.get(docname, []),
    ]
    return json_digest(part)


def evidence_digest(domain: PypatternsDomain, documents: dict[str, tuple[str, str]]) -> str:
    """Changes whenever ``evidence.json`` would: every page's read data, the pins and checkouts
    (verdicts follow from these), the manifest, the pages with their paths and titles, the rules."""
    manifest = domain.manifest
    payload = [
        sorted(domain.data["digests"].items()),
        domain.data["pins"],
        domain.data["stamps"],
        domain.data["origins"],
        sorted(
            [u.name, u.repository, u.tag, u.commit, u.license, list(u.sources)]
            for u in (manifest.upstreams.values() if manifest else [])
        ),
        sorted(documents.items()),
        repr(evidence_rules(domain.env.config)),
        sorted(domain.upstream_names()),
        list(domain.env.config.pypatterns_areas),
        # counts are made again on every build: a folder's counted files are not stamped
        sorted((d, [r["result"] for r in recs]) for d, recs in domain.counts.items()),
        # the claim rules' findings, not the claims: a prose edit that changes no finding keeps
        # the views and the evidence index (which the pages' read digests key)
        [[f.subtype, f.docname, f.lineno, f.message] for f in domain.picture().findings],
    ]
    return json_digest(payload)


def outdated_by_upstreams(domain: PypatternsDomain) -> list[str]:
    """``env-get-outdated``: the pages to read again because the upstream names changed.

    A page checks its citations' and its source note's upstream against the names while it
    is read (``unknown_upstream``, whose message lists the known names); when a name is added
    to or removed from the manifest, the pages that name it, and the pages holding an unknown
    upstream, are read again, as a clean build would read them.
    """
    names = sorted(domain.upstream_names())
    before = cast("list[str] | None", domain.data["names"])
    domain.data["names"] = names
    if before is None or before == names:
        return []
    flipped, known = set(names) ^ set(before), set(before)
    outdated = {
        docname
        for docname, recs in domain.citations.items()
        if any(
            _named_upstream(rec) in flipped
            or rec["upstream"] in flipped
            or (rec["verdict"] is not None and rec["verdict"][SUBTYPE] == "unknown_upstream")
            for rec in recs
        )
    }
    outdated.update(
        docname
        for docname, h in domain.headers.items()
        if h["kind"] == "source-note" and h["id"] and (h["id"] in flipped or h["id"] not in known)
    )
    return sorted(outdated)


def _named_upstream(rec: CitationRecord) -> str:
    """The upstream a citation names as written (also when it was refused while read)."""
    return rec["target"].partition(":")[0].strip()


def view_of(domain: PypatternsDomain, docname: str) -> dict[str, object]:
    """The global data that the page ``docname`` shows."""
    view: dict[str, object] = {}
    counts = domain.counts.get(docname)
    if counts:
        view["counts"] = [[r["node_id"], r["result"]] for r in counts]
    manifest = domain.manifest
    index = domain.index()
    record = domain.headers.get(docname)
    if record is not None:
        view["backlinks"] = domain.backlinks(record)
        if record["kind"] == "source-note" and manifest is not None and record["id"] in manifest.upstreams:
            up = manifest.upstreams[record["id"]]
            view["pin"] = [up.tag, up.commit, up.license]
    kinds = domain.global_pages.get(docname, [])
    if "checklist" in kinds:
        view["checklist"] = [
            [r["area"], r["id"], r["rule"], r["docname"], r["title"], sorted(r["tags"])]
            for r in domain.all_headers()
            if r["kind"] == "pattern"
        ]
    picture = domain.picture()
    if "matrix" in kinds:
        view["matrix"] = [picture.upstreams, [[p.id, p.docname, p.title, p.per_upstream] for p in picture.patterns]]
    if "pins" in kinds:
        view["pins"] = [
            [u.name, u.repository, u.tag, u.commit, u.license, domain.data["origins"].get(u.name, "")]
            for u in (manifest.upstreams.values() if manifest else [])
        ]
    if "dashboard" in kinds:
        view["dashboard"] = [
            [[c.id, c.nominated_by, c.pattern] for c in picture.candidates],
            picture.no_smell_reasons(),
            picture.uncited_upstreams,
            [[f.subtype, f.docname, f.subject, f.message] for f in picture.findings],
            [[p.id, p.docname, p.title] for p in picture.patterns],
        ]
    if record is not None:
        view["evidence"] = picture.per_doc.get(docname, {})
    refs = domain.xrefs.get(docname, []) + [["candidate", c["id"]] for c in domain.candidates.get(docname, [])]
    if refs:
        targets = []
        for kind, ident in refs:
            rec = index.get(("pattern" if kind == "candidate" else kind, ident))
            targets.append([kind, ident, rec["docname"] if rec else "", rec["title"] if rec else ""])
        view["refs"] = targets
    if docname in domain.citations:
        view["citations"] = [
            [r["target"], r["verdict"], domain.permalink(r) if manifest else ""] for r in domain.citations[docname]
        ]
    return view


def views_key(domain: PypatternsDomain) -> str:
    """A digest of everything the views (:func:`view_of`) are made of: while it holds, no view changed."""
    config = domain.env.config
    values = sorted((name, repr(getattr(config, name, None))) for name in SPECS)
    return json_digest([evidence_digest(domain, {}), values])


def changed_views(domain: PypatternsDomain) -> list[str]:
    """The pages whose shown global data changed since the last build (their digests are kept).

    When nothing the views are made of changed (:func:`views_key`), only the views of pages read
    again (their kept digest went with them) are made: one prose edit does not make them all.
    """
    docs = (
        set(domain.headers)
        | set(domain.global_pages)
        | set(domain.citations)
        | set(domain.counts)
        | set(domain.xrefs)
        | set(domain.candidates)
    )
    stored = cast("dict[str, str]", domain.data["view"])
    key = views_key(domain)
    same = domain.data["view_key"] == key
    domain.data["view_key"] = key
    changed = []
    for docname in sorted(docs):
        if same and docname in stored:
            continue
        digest = json_digest(view_of(domain, docname))
        if stored.get(docname) != digest:
            stored[docname] = digest
            changed.append(docname)
    return changed
