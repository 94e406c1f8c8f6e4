"""The global step, once per build at ``env-updated``: the cross-page rules, the verification of
every citation not yet verified, the review rules, and the pages to write again.

Verification takes, in order: the verdict a page read again had before (while the pin and,
for a folder, the file's stamp hold), the background verifier's verdict, and else
:func:`verify_many`, the one verification path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from .._core.checkouts import FolderCheckout, GitCheckout
from .._core.errors import CheckoutError
from .._core.fill import fill_range
from .._core.hints import did_you_mean
from .._core.manifest import Upstream
from .._core.records import MESSAGE, OK, POPUP_LINES, SUBTYPE, CitationRecord, CountResult, VerdictRecord
from .._core.targets import without_lines
from .._core.verdict_messages import worded_for_form
from .._core.verify import CitationKey, Verifier, verify_many
from .._tools.background import BackgroundVerdict
from .incremental import changed_views
from .log import as_subtype, warn
from .placement import location_of

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["PARSE_SUBTYPES", "citation_key", "global_step"]

#: Refusals made while the page is read: they stand until the page is read again.
PARSE_SUBTYPES = frozenset({"bad_target", "bad_path", "bad_lines", "empty_target", "unknown_upstream"})


def citation_key(rec: CitationRecord) -> CitationKey:
    return CitationKey(rec["upstream"], rec["path"], rec["start"], rec["end"], rec["symbol"])


def _worded(rec: CitationRecord, subtype: str, message: str) -> str:
    """The verdict's message for the citation's form: a role, or a ``cite`` directive (its ``:symbol:``)."""
    return worded_for_form(subtype, message, citation_key(rec).target, block=rec["block"])


def global_step(
    domain: PypatternsDomain, verifier: Verifier | None, background: Mapping[CitationKey, BackgroundVerdict]
) -> list[str]:
    """Check global rules, verify new citations, warn for the review rules; return the pages to rewrite."""
    index = domain.index()
    for record in domain.all_headers():
        if record["kind"] != "smell":
            continue
        for target in record["inverts"]:
            if ("pattern", target) not in index:
                hint = did_you_mean(target, (ident for kind, ident in index if kind == "pattern"))
                warn(
                    f"the smell {record['id']!r} inverts {target!r}, which names no pattern{hint}",
                    "unknown_pattern",
                    (record["docname"], record["lineno"]),
                )
    _verify(domain, verifier, background)
    _count(domain, verifier)
    domain.changed()
    for finding in domain.picture().findings:
        warn(finding.message, as_subtype(finding.subtype), (finding.docname, finding.lineno))
    changed = changed_views(domain)
    docset = sorted(domain.env.found_docs)
    if domain.data["docset"] != docset:
        # Sphinx rewrites only the toctree's parent, so a neighbour's next/previous links and every
        # sidebar would be stale: a new or removed page rewrites every page, as a clean build would
        first = not domain.data["docset"]
        domain.data["docset"] = docset
        if not first:
            return docset
    return changed


def _verify(
    domain: PypatternsDomain, verifier: Verifier | None, background: Mapping[CitationKey, BackgroundVerdict]
) -> None:
    manifest = domain.manifest
    pins = cast("dict[str, str]", domain.data["pins"])
    earlier = domain.take_earlier_verdicts()
    if verifier is not None:
        current: dict[str, str] = {}
        origins: dict[str, str] = {}
        folders: dict[str, FolderCheckout] = {}
        lock = manifest.lock if manifest else None
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
            current[name] = _pin_state(upstream, where, lock.section_digest(name) if lock else "")
        domain.data["origins"] = origins
        changed = {name for name in set(current) | set(pins) if current.get(name) != pins.get(name)}
        stale = _stale_files(domain, folders)
        earlier = {
            key: v
            for key, v in earlier.items()
            if key[0].upstream not in changed and (key[0].upstream, key[0].path) not in stale
        }
        if changed or stale:
            for records in domain.citations.values():
                for rec in records:
                    if (
                        (rec["upstream"] in changed or (rec["upstream"], rec["path"]) in stale)
                        and rec["verdict"] is not None
                        and rec["verdict"][SUBTYPE] not in PARSE_SUBTYPES
                    ):
                        rec["verdict"] = None
        domain.data["pins"] = current
    require_anchor = bool(domain.env.config.pypatterns_require_anchor)
    # the cited lines are all kept only where they are printed: cite directives, and inline
    # citations when their compact excerpts are on; other verified citations keep their popup's
    keep_inline_lines = bool(domain.env.config.pypatterns_print_inline_excerpts)
    pending = {d: [r for r in recs if r["verdict"] is None] for d, recs in sorted(domain.citations.items())}
    _fill(verifier, [r for recs in pending.values() for r in recs])
    todo: list[CitationRecord] = []
    for rec in (r for recs in pending.values() for r in recs if r["verdict"] is None):
        if verifier is None or manifest is None or rec["upstream"] not in manifest.upstreams:
            rec["verdict"] = (
                False,
                "no_manifest",
                f"no manifest pins upstream {rec['upstream']!r}: set pypatterns_manifest in conf.py",
                (),
            )
            continue
        keep = rec["block"] or keep_inline_lines
        key = citation_key(rec)
        kept = earlier.get((key, rec["block"]))
        if kept is not None:
            rec["verdict"] = kept
            continue
        found = background.get(key)
        if found is not None and (found.lines is not None or not keep):
            message = _worded(rec, found.subtype, found.message)
            rec["verdict"] = _record(found.ok, found.subtype, message, found.lines or (), keep)
            continue
        todo.append(rec)
    if todo and verifier is not None:
        # file by file, so the verifier holds few files at a time (the build's memory peak)
        verdicts = dict(verify_many(verifier, map(citation_key, todo), require_anchor=require_anchor))
        for rec in todo:
            verdict = verdicts[citation_key(rec)]
            keep = rec["block"] or keep_inline_lines
            message = _worded(rec, verdict.subtype, verdict.message)
            rec["verdict"] = _record(verdict.ok, verdict.subtype, message, verdict.lines, keep)
    for docname, recs in pending.items():
        _report(domain, docname, recs)


def _count(domain: PypatternsDomain, verifier: Verifier | None) -> None:
    """Count every ``{count}`` at the pin, on every build, and warn where the number written is not the count."""
    from .._core.counting import count_many, mismatch_message, parse_count
    from .._core.errors import PypatternsError

    wanted = {rec["spec"] for records in domain.counts.values() for rec in records if not rec["error"]}
    specs = {text: parse_count(text) for text in sorted(wanted)}
    # a count stands while its checkout's fingerprint does (a synced tree's marker, a repository's
    # commit and objects, a plain folder's entries): only new counts and moved checkouts are counted
    kept = cast("dict[str, list[object]]", domain.data["count_cache"])
    prints: dict[str, str] = {}
    for upstream in sorted({spec.upstream for spec in specs.values()}):
        try:
            prints[upstream] = verifier.checkout_for(upstream).fingerprint if verifier is not None else ""
        except PypatternsError:
            prints[upstream] = ""
    results: dict[str, CountResult | str] = {}
    for text, spec in specs.items():
        entry = kept.get(text)
        if prints[spec.upstream] and entry is not None and entry[0] == prints[spec.upstream]:
            results[text] = cast("CountResult", tuple(entry[1]))  # type: ignore[arg-type]
    todo = [spec for text, spec in specs.items() if text not in results]
    counted = count_many(verifier, todo) if verifier is not None and todo else {}
    for text, spec in specs.items():
        if text in results:
            continue
        got = counted.get(spec)
        if got is None:
            results[text] = f"no_manifest\x00no manifest pins upstream {spec.upstream!r}"
        elif isinstance(got, PypatternsError):
            results[text] = f"{got.subtype}\x00{got.message}"
        else:
            results[text] = (got.count, got.files, got.skipped, got.locations)
            if prints[spec.upstream]:
                kept[text] = [prints[spec.upstream], list(results[text])]
    for text in [t for t in kept if t not in specs]:
        del kept[text]  # no page counts it any more
    for docname, records in sorted(domain.counts.items()):
        for rec in records:
            where = location_of(domain.env, docname, rec["source"], rec["lineno"])
            if rec["error"]:
                rec["result"] = None  # refused while read, with its warning then
                continue
            found = results[rec["spec"]]
            if isinstance(found, str):
                rec["result"] = None
                subtype, _, message = found.partition("\x00")
                warn(f"{{count}}`{rec['spec']}` cannot be counted: {message}", as_subtype(subtype), where)
                continue
            rec["result"] = found
            mismatch = mismatch_message(rec["expected"], rec["spec"], found[0], found[1], found[2])
            if mismatch is not None:
                warn(mismatch, "count_mismatch", where)


def _fill(verifier: Verifier | None, records: list[CitationRecord]) -> None:
    """Give every symbol-only citation (a target without lines) its symbol's span as its lines,
    before anything reads them; one whose symbol has no span or several gets its failed verdict
    here (one without an anchor was refused while read, and has no path). A record kept from an
    earlier build is filled again: its pin moved."""
    for rec in sorted(records, key=lambda r: (r["path"], r["upstream"])):
        if not rec["path"] or not without_lines(rec["target"]):
            continue
        rec["start"] = rec["end"] = 0
        if verifier is None or rec["upstream"] not in verifier.manifest.upstreams:
            continue  # no manifest pins it: the verdict says so
        filled = fill_range(verifier, citation_key(rec))
        if isinstance(filled, CitationKey):
            rec["start"], rec["end"] = filled.start, filled.end
        else:
            rec["verdict"] = (False, filled.subtype, filled.message, ())


def _record(ok: bool, subtype: str, message: str, lines: tuple[str, ...], keep: bool) -> VerdictRecord:
    """All the cited lines when ``keep``; else the first :data:`POPUP_LINES` of a verified citation."""
    if keep:
        return (ok, subtype, message, tuple(lines))
    return (ok, subtype, message, tuple(lines[:POPUP_LINES]) if ok else ())


def _stale_files(domain: PypatternsDomain, folders: Mapping[str, FolderCheckout]) -> set[tuple[str, str]]:
    """Stamp every cited file of a folder checkout; return the (upstream, path) whose stamp
    changed since the last build: exactly their citations are verified again."""
    before = cast("dict[str, dict[str, str]]", domain.data["stamps"])
    stamps: dict[str, dict[str, str]] = {}
    stale: set[tuple[str, str]] = set()
    for records in domain.citations.values():
        for rec in records:
            name, path = rec["upstream"], rec["path"]
            checkout = folders.get(name)
            if checkout is None or not path:
                continue
            mine = stamps.setdefault(name, {})
            if path not in mine:
                mine[path] = checkout.stamp(path, domain.started_ns)
                if before.get(name, {}).get(path) != mine[path]:
                    stale.add((name, path))
    domain.data["stamps"] = stamps
    return stale


def _report(domain: PypatternsDomain, docname: str, pending: list[CitationRecord]) -> None:
    """Warn for every failed new citation of a page; a missing checkout once per upstream."""
    missing_reported: set[str] = set()
    for rec in pending:
        verdict = rec["verdict"]
        if verdict is None or verdict[OK]:
            continue
        # at the citation's line in its page, or in the file it was included from
        where = location_of(domain.env, docname, rec.get("source", ""), rec["lineno"])
        subtype = as_subtype(verdict[SUBTYPE])
        if subtype in ("checkout_missing", "commit_missing", "no_manifest"):
            if rec["upstream"] in missing_reported:
                continue
            missing_reported.add(rec["upstream"])
            count = sum(1 for r in pending if r["upstream"] == rec["upstream"])
            warn(
                f"{count} citation(s) of {rec['upstream']!r} on this page cannot be verified: {verdict[MESSAGE]}",
                subtype,
                where,
            )
            continue
        warn(f"{rec['target']}: {verdict[MESSAGE]}", subtype, where)


def _pin_state(upstream: Upstream, where: str, locked: str) -> str:
    """What the verdicts of ``upstream`` depend on besides the files: the commit, the sources that
    make its tree (they shape a missing file's message), the stdlib's Python (the parse hint) and
    the checkout's state, and the upstream's part of the evidence lock. Not the repository, tag or
    license: they change links, not verdicts."""
    sources = [[s.name, s.version, s.sha256, s.mount] for s in upstream.sdists]
    stdlib = [upstream.stdlib.python, upstream.stdlib.mount] if upstream.stdlib else None
    return json.dumps([upstream.commit, sources, stdlib, upstream.git, where, locked])
