"""The ``pypatterns`` command: ``new``, ``sync``, ``check`` and ``fix``."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .._core.checkouts import CheckoutSpec, locate_checkout
from .._core.counting import CountSpec, read_count
from .._core.defaults import DEFAULT_MAX_EXTRACT_BYTES, KINDS
from .._core.errors import PypatternsError, TargetError
from .._core.lock import lock_path
from .._core.manifest import Manifest
from .._core.pages import iter_pages
from .._core.scan import FoundCitation, scan_page
from .._core.targets import CitationKey, parse_target
from .bump import add_bump_parser
from .check_cache import Entry, PageResult, VerdictCache, cache_key
from .fix import add_fix_parser
from .locking import write_lock
from .new_page import cmd_new
from .outdated import add_outdated_parser
from .pin import add_pin_parser
from .project import Project, project_of

if TYPE_CHECKING:
    pass

__all__ = ["main"]


def _parse_mirrors(values: list[str]) -> dict[str, str]:
    mirrors = {}
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not name or not folder:
            raise PypatternsError(f"--mirror takes NAME=DIR, not {value!r}", subtype="sync_failed")
        mirrors[name] = str(Path(folder).resolve())
    return mirrors


def _cmd_sync(args: argparse.Namespace) -> int:
    from .sync import sync_upstreams

    project = project_of(args)
    manifest = project.manifest()
    root, _named = project.checkouts()
    start = time.monotonic()
    outcomes = sync_upstreams(
        manifest,
        root,
        only=args.upstream or (),
        mirrors=_parse_mirrors(args.mirror or []),
        max_extract_bytes=args.max_extract_mb * 1024 * 1024,
        verify=args.verify,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    done = Counter(o.action for o in outcomes)
    print(
        f"sync: {done['materialised']} materialised, {done['present']} already present "
        f"({time.monotonic() - start:.1f} s)"
    )
    return 0


def _fingerprints(manifest: Manifest, spec: CheckoutSpec, max_bytes: int) -> dict[str, str]:
    prints = {}
    for name, upstream in sorted(manifest.upstreams.items()):
        try:
            checkout = locate_checkout(upstream, spec, max_bytes=max_bytes)
        except PypatternsError:
            prints[name] = ""  # missing: nothing is cached, every citation reports it
            continue
        prints[name] = checkout.fingerprint
        checkout.close()
    return prints


def _name(found: FoundCitation) -> str:
    """A citation's (or a count's) key in the check cache: its text as written."""
    return f"{'c' if found.count else 'd' if found.directive else 'r'}{found.raw}"


class Wanted(NamedTuple):
    """A count to make: the number its role states, and what it counts."""

    expected: int
    spec: CountSpec


def _count_refusal(found: FoundCitation, manifest: Manifest) -> Entry | Wanted:
    """The entry of a count refused as written (as the build refuses it), else what to count."""
    try:
        expected, spec = read_count(found.raw)
    except TargetError as exc:
        return "", f"{exc.subtype}: {exc.message}"
    if spec.upstream not in manifest.names:
        return "", f"unknown_upstream: {{count}}`{found.raw.strip()[:80]}`: unknown upstream {spec.upstream!r}"
    return Wanted(expected, spec)


def _refusal(found: FoundCitation, manifest: Manifest) -> Entry | CitationKey:
    """The entry of a citation refused as written, else the key it is verified by."""
    try:
        target = parse_target(found.target, known_upstreams=manifest.names, symbol=found.symbol)
    except TargetError as exc:
        return "", f"{exc.subtype}: {exc.message}"
    written = found.raw.partition("\x00")[2].strip() if found.directive else ""
    if written and not found.symbol:  # the build refuses it the same way, and verifies nothing
        return target.upstream, f"bad_target: the :symbol: {written!r} is not a dotted Python name"
    return CitationKey(target.upstream, target.path, target.start, target.end, found.symbol)


def _verify_entries(
    project: Project,
    manifest: Manifest,
    wanted: dict[str, CitationKey],
    *,
    symbol_cache: bool,
    digests: dict[CitationKey, str] | None = None,
    counts: dict[str, Wanted] | None = None,
) -> dict[str, Entry]:
    """The entries of the citations to verify and of the ``counts`` to make, through the one
    verification path and the one counting path (none: no verifier starts).

    ``digests`` receives the lock digest of every verified range (``check --update-lock``)."""
    counts = counts or {}
    if not wanted and not counts:
        return {}
    from .._core.counting import count_many, mismatch_message
    from .._core.fill import fill_range
    from .._core.symbol_cache import SymbolCache
    from .._core.verdict_messages import worded_for_form
    from .._core.verify import FILES_HELD, Verdict, Verifier, verify_many
    from .background import cpus_available

    spec, max_bytes = project.checkouts(), project.max_bytes
    cache = SymbolCache(project.srcdir / ".pypatterns" / "symbols" if symbol_cache else None)  # the build's, too
    with Verifier(manifest, spec, max_bytes=max_bytes, max_files=FILES_HELD, symbol_cache=cache) as verifier:
        # a symbol-only citation is verified at its symbol's span, as the build verifies it
        resolved = {key: fill_range(verifier, key) if not key.start else key for key in set(wanted.values())}
        keys = (key for key in resolved.values() if isinstance(key, CitationKey))
        # alone on the machine, unlike the build's background verifier: parse on every CPU
        workers = cpus_available()
        verdicts = dict(verify_many(verifier, keys, require_anchor=project.require_anchor, workers=workers))
        counted = count_many(verifier, [what for _, what in counts.values()])
    if digests is not None:
        from .._core.lock import text_digest

        digests.update({key: text_digest(v.lines) for key, v in verdicts.items() if v.ok})
    entries: dict[str, Entry] = {}
    for name, written in wanted.items():
        filled = resolved[written]
        verdict = filled if isinstance(filled, Verdict) else verdicts[filled]
        target = filled.target if isinstance(filled, CitationKey) else written.target
        # worded for the citation's form: a directive's name starts with "d" (see _name)
        message = worded_for_form(verdict.subtype, verdict.message, target, block=name.startswith("d"))
        entries[name] = written.upstream, "" if verdict.ok else f"{verdict.subtype}: {target}: {message}"
    for name, (expected, what) in counts.items():
        got = counted[what]
        if isinstance(got, PypatternsError):
            entries[name] = what.upstream, f"{got.subtype}: {{count}}`{what}` cannot be counted: {got.message}"
            continue
        mismatch = mismatch_message(expected, str(what), got.count, got.files, got.skipped)
        entries[name] = what.upstream, "" if mismatch is None else f"count_mismatch: {mismatch}"
    return entries


def _cmd_check(args: argparse.Namespace) -> int:
    project = project_of(args)
    # --update-lock: the text as it is now, not against the lock it replaces (which may not even parse)
    manifest = project.manifest(with_lock=not args.update_lock)
    start = time.monotonic()
    key = None
    digests: dict[CitationKey, str] | None = None
    if args.update_lock:
        if project.manifest_path is None:
            print("pypatterns check: --update-lock needs a manifest (pypatterns_manifest)", file=sys.stderr)
            return 2
        digests = {}
    if not args.no_cache and not args.update_lock and project.manifest_path is not None:
        options = {"require_anchor": project.require_anchor, "max_bytes": project.max_bytes, "bare": project.bare_cite}
        prints = _fingerprints(manifest, project.checkouts(), project.max_bytes)
        lock = lock_path(project.manifest_path)
        locked = lock.read_bytes() if lock.is_file() else b""
        key = cache_key(project.manifest_path.read_bytes() + b"\0" + locked, prints, options)
    cache = VerdictCache(project.srcdir / ".pypatterns" / "check-cache.json", key)
    # every page read and scanned first; then one verification of what the cache does not hold
    pages: list[tuple[str, str, PageResult | list[FoundCitation] | str]] = []
    entries: dict[str, Entry] = {}
    wanted: dict[str, CitationKey] = {}
    to_count: dict[str, Wanted] = {}
    for path, rel in iter_pages(project.srcdir, project.exclude, project.include):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            digest = hashlib.sha256(data).hexdigest()
            result = cache.page(rel, digest)
            if result is not None:
                pages.append((rel, digest, result))
                continue
            text = data.decode("utf-8")
            found = list(scan_page(rel, text, bare_cite=project.bare_cite, counts=True, bare_count=project.bare_count))
        except (UnicodeDecodeError, OSError) as exc:
            pages.append((rel, "", f"{rel}: source_encoding: cannot read: {exc}"))
            continue
        for cite in found:
            name = _name(cite)
            if name in entries or name in wanted or name in to_count:
                continue
            cached = cache.get(name)
            if cached is not None:
                entries[name] = cached
                continue
            refused: Entry
            if cite.count:
                counting = _count_refusal(cite, manifest)
                if isinstance(counting, Wanted):
                    to_count[name] = counting
                    continue
                refused = counting
            else:
                verifying = _refusal(cite, manifest)
                if isinstance(verifying, CitationKey):
                    wanted[name] = verifying
                    continue
                refused = verifying
            entries[name] = refused
            cache.put(name, refused)
        pages.append((rel, digest, found))
    verified = _verify_entries(
        project, manifest, wanted, symbol_cache=not args.no_cache, digests=digests, counts=to_count
    )
    for name, entry in verified.items():
        cache.put(name, entry)
    entries.update(verified)
    per_upstream: Counter[str] = Counter()
    failures: list[str] = []
    count = counts = 0
    for rel, digest, outcome in pages:
        if isinstance(outcome, str):
            failures.append(outcome)
            continue
        if isinstance(outcome, list):
            result = PageResult()
            for cite in outcome:
                result.add(entries[_name(cite)], f"{cite.file}:{cite.line}", counted=cite.count)
            cache.put_page(rel, digest, result)
            outcome = result
        count += outcome.count
        counts += outcome.counts
        per_upstream.update(outcome.per_upstream)
        failures.extend(outcome.failures)
    cache.save()
    elapsed = time.monotonic() - start
    for name in sorted(per_upstream):
        print(f"{name:20} {per_upstream[name]:6d} citations")
    for failure in failures:
        print(failure)
    counted = f"{counts} counts, " if counts else ""
    print(f"check: {count} citations, {counted}{len(failures)} failures ({elapsed:.2f} s)")
    if digests is not None and project.manifest_path is not None:
        print(write_lock(project.manifest_path, manifest, digests))
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pypatterns", description="sphinx-pypatterns commands: new pages, pinned checkouts, citation checks"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="write a new page with every required section in place")
    new.add_argument("kind", choices=KINDS)
    new.add_argument("id")
    new.add_argument("--srcdir", default=".", help="the Sphinx source folder (default: .)")
    new.set_defaults(func=cmd_new)

    for name, func, text in (
        ("sync", _cmd_sync, "materialise the pinned upstreams into the checkouts folder"),
        ("check", _cmd_check, "verify every citation without building HTML"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("srcdir", nargs="?", default=".", help="the Sphinx source folder (default: .)")
        cmd.add_argument("-c", "--confdir", help="folder of conf.py (default: docs/ if it has conf.py, else srcdir)")
        cmd.add_argument(
            "-t", "--tag", action="append", metavar="TAG", help="define TAG for conf.py, like sphinx-build -t"
        )
        cmd.set_defaults(func=func)
        if name == "check":
            cmd.add_argument(
                "--no-cache",
                action="store_true",
                help="read and keep no cache: neither verdicts (.pypatterns/check-cache.json) nor symbols (.pypatterns/symbols/)",
            )
            cmd.add_argument(
                "--update-lock",
                action="store_true",
                help="write the evidence lock beside the manifest: a digest of the text under every verified citation",
            )
        if name == "sync":
            cmd.add_argument("--upstream", action="append", metavar="NAME", help="only this upstream (repeatable)")
            cmd.add_argument(
                "--mirror", action="append", metavar="NAME=DIR", help="clone NAME from a local git repository"
            )
            cmd.add_argument(
                "--max-extract-mb",
                type=int,
                default=DEFAULT_MAX_EXTRACT_BYTES // (1024 * 1024),
                help="refuse sdists that unpack to more than this (default: %(default)s)",
            )
            cmd.add_argument(
                "--verify", action="store_true", help="compare each sdist with the git tree at its commit (git source)"
            )
    add_pin_parser(sub)
    add_fix_parser(sub)
    add_bump_parser(sub)
    add_outdated_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PypatternsError as exc:
        print(f"pypatterns {args.command}: {exc}", file=sys.stderr)
        return 1
