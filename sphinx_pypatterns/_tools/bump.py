"""``pypatterns bump UPSTREAM``: move one upstream's pin, and every citation of it with the pin.

1. The new pin comes from the options: ``--to VERSION`` for an upstream pinned by an sdist (pip
   downloads it, its sha256 is computed and its recorded commit read, as ``pypatterns pin`` does),
   or ``--commit`` and ``--tag``. It is materialised beside the old one (``pypatterns sync``), or
   read from the repository that ``conf.py`` names.
2. Every citation of the upstream is relocated (:mod:`.._core.relocate`) and classed unchanged,
   moved, changed (to review: old and new text are shown) or vanished (left as written).
3. The pages are rewritten in place, only the targets of moved and changed citations, byte for
   byte; the manifest's table gets the new tag, commit and sdist; the evidence lock gets the
   digests at the new pin. ``--dry-run`` prints the diff and writes nothing.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .._core.errors import PypatternsError, TargetError
from .._core.hints import did_you_mean
from .._core.lock import lock_path, text_digest
from .._core.manifest import Manifest, SdistSource, Upstream, parse_manifest
from .._core.pages import iter_pages
from .._core.relocate import CHANGED, KINDS, MOVED, VANISHED, Relocation, Relocator, git_renames
from .._core.scan import FoundCitation, scan_page
from .._core.targets import CitationKey, parse_target, without_lines
from .fix import BREAK, target_span
from .locking import write_lock
from .pin import _toml_string
from .project import Project, project_of

__all__ = ["add_bump_parser", "repin_table"]


@dataclass
class _Cite:
    rel: str
    found: FoundCitation
    written: CitationKey  #: as written (a symbol-only target has no lines)
    key: CitationKey  #: with its lines (a symbol-only target's filled in at the old pin)


def add_bump_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("bump", help="move an upstream's pin and relocate every citation of it")
    cmd.add_argument("upstream", help="the upstream to move, as the manifest names it")
    cmd.add_argument("srcdir", nargs="?", default=".", help="the Sphinx source folder (default: .)")
    cmd.add_argument("-c", "--confdir", help="folder of conf.py (default: docs/ if it has conf.py, else srcdir)")
    cmd.add_argument("--to", dest="version", help="the new release: its sdist is downloaded with pip")
    cmd.add_argument("--tag", dest="release_tag", help="the new tag (default: the old tag with the new version)")
    cmd.add_argument("--commit", help="the new commit (required when the sdist records none, or without --to)")
    cmd.add_argument("--dry-run", action="store_true", help="print the changes as a diff; write nothing")
    cmd.add_argument("--report", metavar="FILE", help="also write the relocation report as Markdown to FILE")
    cmd.set_defaults(func=cmd_bump, tag=None)


def _new_pin(old: Upstream, args: argparse.Namespace) -> tuple[Upstream, str]:
    """The upstream at its new pin, and how its commit is known."""
    given = (args.commit or "").lower()
    if not args.version:
        if not given or not args.release_tag:
            raise PypatternsError("give --to VERSION, or --commit and --tag", subtype="manifest")
        if old.sdists:
            raise PypatternsError(f"{old.name} is pinned by an sdist: give --to VERSION", subtype="manifest")
        return replace(old, tag=args.release_tag, commit=given), "given with --commit"
    if len(old.sdists) != 1:
        raise PypatternsError(
            f"--to needs an upstream pinned by one sdist; {old.name} has {len(old.sdists)}", subtype="manifest"
        )
    sdist = old.sdists[0]
    tag = args.release_tag or (old.tag.replace(sdist.version, args.version) if sdist.version in old.tag else "")
    if not tag:
        raise PypatternsError(
            f"the tag {old.tag!r} does not hold the version {sdist.version}: give --tag", subtype="manifest"
        )
    from .attest import commit_records
    from .pin import _commit
    from .sync import download_sdist, safe_extract

    with tempfile.TemporaryDirectory(prefix="pypatterns-bump-") as work:
        archive = download_sdist(sdist.name, args.version, Path(work))
        sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
        tree = Path(work) / "tree"
        safe_extract(archive, tree)
        records = [(r.file, r.commit) for r in commit_records(tree, sdist.mount)]
    commit = _commit(records, given)
    how = "attested by " + " and ".join(f for f, _ in records) if records else "given with --commit (unattested)"
    new_sdist = SdistSource(sdist.name, args.version, sha256, sdist.mount)
    return replace(old, tag=tag, commit=commit, sdists=(new_sdist,)), how


def repin_table(text: str, old: Upstream, new: Upstream) -> str:
    """The manifest text with ``old``'s table holding ``new``'s tag, commit and sdist; every other
    byte as it was. Raises :class:`PypatternsError` when a value is not where it is expected."""
    header = re.compile(
        r'^[ \t]*\[[ \t]*(?:"' + re.escape(old.name) + '"|' + re.escape(old.name) + r")[ \t]*\][ \t]*(?:#.*)?$", re.M
    )
    found = header.search(text)
    if found is None:
        raise PypatternsError(
            f"cannot find the table [{old.name}] in the manifest: edit it by hand", subtype="manifest"
        )
    end = re.compile(r"^[ \t]*\[", re.M).search(text, found.end())
    body_end = end.start() if end else len(text)
    body = text[found.end() : body_end]
    values: list[tuple[str, str, str]] = [("tag", old.tag, new.tag), ("commit", old.commit, new.commit)]
    for before, after in zip(old.sdists, new.sdists, strict=True):
        values += [("requirement", before.requirement, after.requirement), ("sha256", before.sha256, after.sha256)]
    for key, was, now in values:
        pattern = re.compile(r"(\b" + key + r"[ \t]*=[ \t]*)" + re.escape(_toml_string(was)))
        body, count = pattern.subn(_replacement(_toml_string(now)), body, count=1)
        if count != 1:
            raise PypatternsError(
                f"cannot find {key} = {_toml_string(was)} in [{old.name}]: edit it by hand", subtype="manifest"
            )
    return text[: found.end()] + body + text[body_end:]


def _replacement(written: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(1) + written


def _citations(project: Project, manifest: Manifest, name: str) -> tuple[dict[str, str], list[_Cite]]:
    texts: dict[str, str] = {}
    cites: list[_Cite] = []
    for path, rel in iter_pages(project.srcdir, project.exclude, project.include):
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # check reports it
        for found in scan_page(rel, text, bare_cite=project.bare_cite):
            if not found.target.startswith(name + ":"):
                continue
            try:
                target = parse_target(found.target, known_upstreams=manifest.names, symbol=found.symbol or None)
            except TargetError:
                continue
            if target.upstream != name:
                continue
            key = CitationKey(target.upstream, target.path, target.start, target.end, found.symbol)
            texts[path] = text
            cites.append(_Cite(path, found, key, key))
    return texts, cites


def cmd_bump(args: argparse.Namespace) -> int:
    from .._core.fill import fill_range
    from .._core.git_checkout import GitCheckout
    from .._core.symbol_cache import SymbolCache
    from .._core.verify import Verifier
    from .sync import sync_upstreams

    project = project_of(args)
    manifest = project.manifest(with_lock=False)
    name = args.upstream
    if name not in manifest.upstreams:
        raise PypatternsError(
            f"no upstream {name!r} in the manifest{did_you_mean(name, manifest.upstreams)}", subtype="unknown_upstream"
        )
    assert project.manifest_path is not None
    old = manifest.upstreams[name]
    new, attested = _new_pin(old, args)
    if new.commit == old.commit:
        print(f"bump: {name} is already pinned at {old.commit[:12]}; nothing to do", file=sys.stderr)
        return 0
    raw = project.manifest_path.read_bytes().decode("utf-8")
    new_text = repin_table(raw, old, new)
    new_manifest = parse_manifest(new_text, path=str(project.manifest_path))
    if new_manifest.upstreams[name] != new:
        raise PypatternsError(
            "the rewritten table does not read back as the new pin: edit it by hand", subtype="manifest"
        )
    spec = project.checkouts()
    if name not in spec[1]:
        sync_upstreams(new_manifest, spec[0], only=[name], progress=lambda m: print(m, file=sys.stderr))
    started = time.monotonic()
    texts, cites = _citations(project, manifest, name)
    cache = SymbolCache(project.srcdir / ".pypatterns" / "symbols")
    relocations: dict[CitationKey, Relocation] = {}
    digests: dict[CitationKey, str] = {}
    with (
        Verifier(manifest, spec, max_bytes=project.max_bytes, symbol_cache=cache) as before,
        Verifier(new_manifest, spec, max_bytes=project.max_bytes, symbol_cache=cache) as after,
    ):
        for cite in cites:
            if not cite.key.start:
                filled = fill_range(before, cite.key)
                if isinstance(filled, CitationKey):
                    cite.key = filled
        old_co, new_co = before.checkout_for(name), after.checkout_for(name)
        if not isinstance(old_co, GitCheckout) and name in spec[1]:
            raise PypatternsError(
                f"{name} is read from a folder that conf.py names ({spec[1][name]}): a folder holds one tree,"
                " so there is no old and new pin to compare; name a git repository, or let sync materialise both",
                subtype="manifest",
            )
        renames: dict[str, str] = {}
        if isinstance(old_co, GitCheckout) and isinstance(new_co, GitCheckout) and old_co.repo == new_co.repo:
            git_dir = old_co.repo / ".git" if (old_co.repo / ".git").exists() else old_co.repo
            renames = git_renames(str(git_dir), old.commit, new.commit)
        relocator = Relocator(before, after, name, renames)
        for key in sorted({c.key for c in cites if c.key.start}):
            relocations[key] = relocator.relocate(key)
        for rel in relocations.values():
            if rel.new is not None:
                verdict = after.verify(rel.new.target, rel.new.symbol, require_anchor=project.require_anchor)
                if verdict.ok:
                    digests[rel.new] = text_digest(verdict.lines)
    elapsed = time.monotonic() - started
    rewritten = _rewrite(texts, cites, relocations)
    counts: Counter[str] = Counter()
    for cite in cites:
        found = relocations.get(cite.key)
        counts[found.kind if found else VANISHED] += 1
    lines = [f"bump: {name} {old.tag} ({old.commit[:12]}) -> {new.tag} ({new.commit[:12]}), commit {attested}"]
    lines += [f"  {kind:10} {counts[kind]:5d}" for kind in KINDS]
    lines.append(f"  {len(cites)} citations ({len(relocations)} distinct ranges) relocated in {elapsed:.2f} s")
    report = _report(project, name, old, new, cites, relocations, counts, elapsed)
    for cite in cites:
        got = relocations.get(cite.key)
        if got is None or got.kind in (CHANGED, VANISHED):
            where = f"{Path(cite.rel).relative_to(project.srcdir)}:{cite.found.line}"
            now = f" -> {got.new.target}" if got and got.new else ""
            why = got.how if got else "not resolved at the old pin"
            lines.append(f"  {got.kind if got else VANISHED}: {where}: {cite.found.target}{now} ({why})")
    if args.dry_run:
        for path, text in sorted(rewritten.items()):
            _diff(Path(path).relative_to(project.srcdir).as_posix(), texts[path], text)
        _diff(project.manifest_path.name, raw, new_text)
        print("\n".join(lines), file=sys.stderr)
        print("bump: --dry-run: nothing written", file=sys.stderr)
    else:
        for path, text in rewritten.items():
            Path(path).write_bytes(text.encode("utf-8"))
        project.manifest_path.write_bytes(new_text.encode("utf-8"))
        lines.append(write_lock(project.manifest_path, new_manifest, digests, only=name))
        lines.append(
            f"  {len(rewritten)} page(s) rewritten; {project.manifest_path.name} and {lock_path(project.manifest_path).name} updated"
        )
        print("\n".join(lines), file=sys.stderr)
    if args.report:
        Path(args.report).write_text(report, encoding="utf-8")
    return 1 if counts[CHANGED] or counts[VANISHED] else 0


def _rewrite(texts: dict[str, str], cites: list[_Cite], relocations: dict[CitationKey, Relocation]) -> dict[str, str]:
    """The pages whose targets change: only the moved and changed ones, byte for byte."""
    out: dict[str, str] = {}
    for path, text in texts.items():
        starts = [0, *(m.end() for m in BREAK.finditer(text))]
        taken: set[int] = set()
        edits: list[tuple[int, int, str]] = []
        for cite in (c for c in cites if c.rel == path):
            span = target_span(text, starts, cite.found, taken)
            rel = relocations.get(cite.key)
            if span is None or rel is None or rel.new is None or rel.kind not in (MOVED, CHANGED):
                continue
            new = rel.new
            if without_lines(cite.found.target) and rel.how.startswith("symbol"):
                target = f"{new.upstream}:{new.path}"  # still the symbol's whole span: it stays symbol-only
            else:
                target = f"{new.upstream}:{new.path}:{new.start}" + (f"-{new.end}" if new.end != new.start else "")
            if target != cite.found.target:
                edits.append((*span, target))
        if edits:
            for start, end, target in sorted(edits, reverse=True):
                text = text[:start] + target + text[end:]
            out[path] = text
    return out


def _report(
    project: Project,
    name: str,
    old: Upstream,
    new: Upstream,
    cites: list[_Cite],
    relocations: dict[CitationKey, Relocation],
    counts: Counter[str],
    elapsed: float,
) -> str:
    out = [
        f"# Bump of {name}: {old.tag} to {new.tag}\n",
        f"From `{old.commit}` to `{new.commit}`, in {elapsed:.2f} s.\n",
    ]
    out += ["| class | citations |", "|---|---|"] + [f"| {kind} | {counts[kind]} |" for kind in KINDS] + [""]
    for kind in (CHANGED, VANISHED, MOVED):
        chosen = [
            (c, relocations.get(c.key))
            for c in cites
            if (relocations.get(c.key) or Relocation(c.key, VANISHED, None, "")).kind == kind
        ]
        if not chosen:
            continue
        out.append(f"## {kind.capitalize()} ({len(chosen)})\n")
        for cite, rel in chosen:
            where = f"{Path(cite.rel).relative_to(project.srcdir).as_posix()}:{cite.found.line}"
            now = f" → `{rel.new.target}`" if rel and rel.new else ""
            out.append(f"- `{where}`: `{cite.found.target}`{now} ({rel.how if rel else 'not resolved'})")
            if kind == CHANGED and rel is not None:
                diff = difflib.unified_diff(list(rel.old_text), list(rel.new_text), "old", "new", lineterm="", n=1)
                out += ["", "  ```diff", *(f"  {line}" for line in diff), "  ```", ""]
        out.append("")
    return "\n".join(out)


def _diff(rel: str, before: str, after: str) -> None:
    for line in difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
    ):
        sys.stdout.write(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
