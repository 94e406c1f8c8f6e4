"""``pypatterns fix``: the line ranges of anchored citations, rewritten to their symbol's span.

A citation with a symbol anchor whose lines no longer lie in the symbol (``anchor_mismatch``:
the symbol moved) or lie past the file's end (``line_out_of_range``) is given the symbol's
whole span as its range, when the symbol has exactly one span in the file; a symbol-only
citation (``upstream:path.py``) has its span written in. A symbol with several spans is
reported, never guessed. Only the digits of the range change: every other byte of the page
(its line endings, its encoding) stays as it is. Without ``--write`` the changes are printed
as a unified diff.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .._core.errors import PypatternsError, TargetError
from .._core.fill import ambiguous, fill_range
from .._core.found import FoundCitation
from .._core.manifest import Manifest
from .._core.pages import iter_pages
from .._core.scan import scan_page
from .._core.targets import CitationKey, parse_target, without_lines
from .._core.verify import Verdict
from .project import Project, project_of

__all__ = ["BREAK", "add_fix_parser", "target_span"]

#: The verdicts that a range taken from the symbol's span mends.
_FIXABLE = frozenset({"anchor_mismatch", "line_out_of_range"})

#: A line break as the page's reader counts lines (markdown-it reads ``\r\n`` and ``\r`` as ``\n``).
BREAK = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class _Page:
    path: str
    rel: str
    text: str
    citations: list[tuple[FoundCitation, CitationKey]]


def add_fix_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``pypatterns fix``."""
    cmd = sub.add_parser("fix", help="rewrite the line ranges of anchored citations to their symbol's span")
    cmd.add_argument("srcdir", nargs="?", default=".", help="the Sphinx source folder (default: .)")
    cmd.add_argument("-c", "--confdir", help="folder of conf.py (default: docs/ if it has conf.py, else srcdir)")
    cmd.add_argument("-t", "--tag", action="append", metavar="TAG", help="define TAG for conf.py, like sphinx-build -t")
    cmd.add_argument("--write", action="store_true", help="write the changes (default: print them as a diff)")
    cmd.add_argument("pages", nargs="*", metavar="PAGE", help="only these pages of the project (default: every page)")
    cmd.set_defaults(func=cmd_fix)


def cmd_fix(args: argparse.Namespace) -> int:
    """0: nothing to fix, or every fix written; 1: a fix not written, or one that cannot be made; 2: a usage error."""
    project = project_of(args)
    manifest = project.manifest()
    chosen = _chosen_pages(project, args.pages)
    if isinstance(chosen, str):
        print(f"pypatterns fix: {chosen}", file=sys.stderr)
        return 2
    pages = [page for page in (_read(path, rel, project, manifest) for path, rel in chosen) if page is not None]
    ranges = _ranges(project, manifest, {key for page in pages for _, key in page.citations})
    problems = 0
    fixed = changed = 0
    for page in pages:
        taken: set[int] = set()
        starts = [0, *(m.end() for m in BREAK.finditer(page.text))]
        edits: list[tuple[int, int, str]] = []
        for cite, key in page.citations:
            new = ranges.get(key)
            if new is None:
                continue
            where = f"{page.rel}:{cite.line}"
            if isinstance(new, Verdict):
                print(f"{where}: {new.subtype}: {key.target}: {new.message}", file=sys.stderr)
                problems += 1
                continue
            span = _locate(page.text, starts, cite, taken)
            if span is None:
                print(f"{where}: cannot find the target {cite.target!r} as written: fix it by hand", file=sys.stderr)
                problems += 1
                continue
            edits.append((*span, str(new[0]) if new[0] == new[1] else f"{new[0]}-{new[1]}"))
        if not edits:
            continue
        text = page.text
        for start, end, digits in sorted(edits, reverse=True):
            text = text[:start] + (digits if start < end else f":{digits}") + text[end:]
        fixed += len(edits)
        changed += 1
        if args.write:
            Path(page.path).write_bytes(text.encode("utf-8"))
        else:
            _print_diff(page.rel, page.text, text)
    done = "written" if args.write else "to write (run with --write)"
    summary = [f"{fixed} range(s) in {changed} page(s) {done}"] if fixed else []
    summary += [f"{problems} to fix by hand"] if problems else []
    print(f"fix: {'; '.join(summary) or 'nothing to fix'}", file=sys.stderr)
    return 1 if problems or (fixed and not args.write) else 0


def _chosen_pages(project: Project, named: list[str]) -> list[tuple[str, str]] | str:
    """The project's pages (as ``pypatterns check`` finds them), or only those named; a message if
    one named is not a page of the project."""
    pages = list(iter_pages(project.srcdir, project.exclude, project.include))
    if not named:
        return pages
    by_path = {Path(path).resolve(): (path, rel) for path, rel in pages}
    chosen = []
    for name in named:
        page = by_path.get(Path(name).resolve())
        if page is None:
            return f"{name} is not a page of the project in {project.srcdir}"
        chosen.append(page)
    return chosen


def _read(path: str, rel: str, project: Project, manifest: Manifest) -> _Page | None:
    """A page and its anchored citations, parsed as ``pypatterns check`` parses them; ``None``
    for a page that is not UTF-8 (``check`` reports it)."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{rel}: source_encoding: cannot read: {exc}", file=sys.stderr)
        return None
    citations = []
    for cite in scan_page(rel, text, bare_cite=project.bare_cite):
        if not cite.symbol:
            continue  # no symbol, no span to take the lines from
        try:
            target = parse_target(cite.target, known_upstreams=manifest.names, symbol=cite.symbol)
        except TargetError:
            continue  # refused as written: check reports it, nothing here mends it
        citations.append((cite, CitationKey(target.upstream, target.path, target.start, target.end, cite.symbol)))
    return _Page(path, rel, text, citations)


def _ranges(
    project: Project, manifest: Manifest, keys: set[CitationKey]
) -> dict[CitationKey, tuple[int, int] | Verdict]:
    """The new range of every citation that needs one, or the verdict that keeps it from one,
    through the one verification path (:func:`verify_many`)."""
    if not keys:
        return {}
    from .._core.symbol_cache import SymbolCache
    from .._core.verify import FILES_HELD, Verifier, verify_many

    cache = SymbolCache(project.srcdir / ".pypatterns" / "symbols")  # the build's and check's
    found: dict[CitationKey, tuple[int, int] | Verdict] = {}
    spec, max_bytes = project.checkouts(), project.max_bytes
    with Verifier(manifest, spec, max_bytes=max_bytes, max_files=FILES_HELD, symbol_cache=cache) as verifier:
        for key in sorted(k for k in keys if not k.start):
            filled = fill_range(verifier, key)
            found[key] = (filled.start, filled.end) if isinstance(filled, CitationKey) else filled
        with_lines = (k for k in keys if k.start)
        for key, verdict in verify_many(verifier, with_lines, require_anchor=project.require_anchor):
            if verdict.ok or verdict.subtype not in _FIXABLE:
                continue  # sound, or not mended by a range (check reports it)
            try:
                spans = verifier.spans(key.target, key.symbol)
            except PypatternsError:
                spans = []
            if len(spans) == 1:
                found[key] = spans[0]
            else:
                found[key] = ambiguous(key, spans) if spans else verdict
    return found


def target_span(text: str, starts: list[int], cite: FoundCitation, taken: set[int]) -> tuple[int, int] | None:
    """The offsets in ``text`` of ``cite``'s target as written, not one ``taken`` by an earlier citation."""
    if cite.line > len(starts):
        return None
    target = "(" + re.escape(cite.target) + ")"
    if cite.directive:  # the fence's or the reST directive's argument: ``{cite} T`` or ``cite:: T``
        patterns = [r"(?:\}|::)[ \t]*" + target + r"[ \t]*(?=[\r\n]|$)"]
    else:  # the role's ``<T>``, maybe across a line break; or the role's whole text, ``{cite}`T```
        patterns = [r"<\s*" + target + r"\s*>", r"\}`\s*" + target + r"\s*`"]
    for pattern in patterns:
        for match in re.finditer(pattern, text[starts[cite.line - 1] :]):
            at = starts[cite.line - 1] + match.start(1)
            if at in taken:
                continue
            taken.add(at)
            return at, starts[cite.line - 1] + match.end(1)
    return None


def _locate(text: str, starts: list[int], cite: FoundCitation, taken: set[int]) -> tuple[int, int] | None:
    """The offsets in ``text`` of the line spec of ``cite``'s target as written (an empty span at
    the path's end for a target without lines), not one ``taken`` by an earlier citation."""
    span = target_span(text, starts, cite, taken)
    if span is None:
        return None
    written = text[span[0] : span[1]]
    if without_lines(written):
        return span[1], span[1]
    return span[0] + written.rindex(":") + 1, span[1]


def _print_diff(rel: str, before: str, after: str) -> None:
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
    )
    for line in diff:
        sys.stdout.write(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
