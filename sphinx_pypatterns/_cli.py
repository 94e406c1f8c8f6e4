"""The ``pypatterns`` command: ``new``, ``sync`` and ``check``."""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._cache import Entry, PageResult, VerdictCache, cache_key
from ._checkouts import CheckoutSpec, locate_checkout, parse_checkouts_spec
from ._config import checked_config, conf_line
from ._defaults import DEFAULT_MAX_EXTRACT_BYTES, DEFAULT_MAX_FILE_BYTES, KINDS, SLUG_RE, UPSTREAM_NAME_RE
from ._errors import PypatternsError, TargetError
from ._manifest import Manifest, load_manifest
from ._scan import FoundCitation, iter_pages, scan_page
from ._targets import parse_target
from ._templates import FOLDERS, page_template

if TYPE_CHECKING:
    from sphinx.util.tags import Tags

    from ._verify import Verifier

__all__ = ["main"]


class _LazyTags:
    """conf.py's ``tags``: Sphinx's own ``Tags``, imported only when conf.py uses it (check starts fast)."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._tags: Tags | None = None

    def _real(self) -> Tags:
        if self._tags is None:
            from sphinx.util.tags import Tags

            self._tags = Tags(self._names)
        return self._tags

    def __getattr__(self, name: str) -> object:
        if name in ("_names", "_tags"):  # not set yet (a copy made without __init__)
            raise AttributeError(name)
        return getattr(self._real(), name)

    def __contains__(self, tag: str) -> bool:
        return tag in self._real()

    def __iter__(self) -> Iterator[str]:
        return iter(self._real())

    def __str__(self) -> str:
        return str(self._real())

    def __repr__(self) -> str:
        return repr(self._real())


def _conf_error(conf: Path, exc: BaseException) -> PypatternsError:
    """conf.py failed: where (its innermost line in conf.py) and what, without a traceback."""
    if isinstance(exc, SyntaxError) and exc.filename == str(conf):
        return PypatternsError(f"{conf}:{exc.lineno or 0}: syntax error in conf.py: {exc.msg}", subtype="config")
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(conf):
            line = tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, SystemExit):
        what = "conf.py (or a module it imports) called sys.exit()"
    else:
        import traceback

        what = "conf.py raised " + traceback.format_exception_only(exc)[-1].strip()
    return PypatternsError(f"{conf}:{line}: {what}", subtype="config")


def read_conf(conf: Path, tags: Sequence[str] = ()) -> dict[str, object]:
    """Run conf.py the way Sphinx's ``eval_config_file`` does and return its names.

    The same namespace (``__file__`` and ``tags``, Sphinx's ``Tags`` holding
    ``tags``, the ``-t`` tags), run in conf.py's folder; an exception or
    ``sys.exit()`` in it becomes a :class:`PypatternsError` naming its line.
    """
    namespace: dict[str, object] = {"__file__": str(conf), "tags": _LazyTags(tags)}
    with contextlib.chdir(conf.parent):
        try:
            exec(compile(conf.read_bytes(), str(conf), "exec"), namespace)
        except (Exception, SystemExit) as exc:  # what Sphinx turns into a ConfigError
            raise _conf_error(conf, exc) from None
    return namespace


class _Project:
    """What the CLI needs from a project's conf.py, read without building."""

    def __init__(self, srcdir: Path, confdir: Path, tags: Sequence[str] = ()) -> None:
        self.srcdir = srcdir
        self.confdir = confdir
        conf = confdir / "conf.py"
        values = read_conf(conf, tags) if conf.is_file() else {}
        # the build's own check of every pypatterns_* value: the same warnings, the same defaults
        clean, problems = checked_config(values)
        for name, message in problems:
            print(f"{conf}:{conf_line(confdir, name)}: config: {message}", file=sys.stderr)
        manifest = clean["pypatterns_manifest"]
        self.manifest_path = (confdir / manifest) if isinstance(manifest, str) and manifest else None
        checkouts = clean["pypatterns_checkouts"]
        self.checkouts_value: str | list[str] | tuple[str, ...] = os.environ.get("PYPATTERNS_CHECKOUTS") or (
            checkouts if isinstance(checkouts, (str, list, tuple)) else ""
        )
        self.require_anchor = clean["pypatterns_require_anchor"] is True
        max_bytes = clean["pypatterns_max_file_bytes"]
        self.max_bytes = max_bytes if isinstance(max_bytes, int) else DEFAULT_MAX_FILE_BYTES
        # the pages Sphinx reads: conf.py's include_patterns and exclude_patterns, as Sphinx reads them
        self.exclude = _patterns(values.get("exclude_patterns"), [])
        self.include = _patterns(values.get("include_patterns"), ["**"])

    def manifest(self) -> Manifest:
        if self.manifest_path is None:
            raise PypatternsError("conf.py sets no pypatterns_manifest", subtype="no_manifest")
        return load_manifest(self.manifest_path)

    def checkouts(self) -> CheckoutSpec:
        return parse_checkouts_spec(self.checkouts_value, base=self.srcdir)


def _patterns(value: object, default: list[str]) -> list[str]:
    """A conf.py list of glob patterns; Sphinx's default when it is not a list of strings."""
    if isinstance(value, (list, tuple)) and all(isinstance(p, str) for p in value):
        return list(value)
    return default


def _project(args: argparse.Namespace) -> _Project:
    srcdir = Path(args.srcdir).resolve()
    confdir = (
        Path(args.confdir).resolve()
        if args.confdir
        else (srcdir / "docs" if (srcdir / "docs" / "conf.py").is_file() else srcdir)
    )
    return _Project(srcdir, confdir, args.tag or ())


def _id_problem(kind: str, ident: str) -> str:
    """Why ``ident`` cannot name a page of ``kind`` (empty if it can): the rule its header directive applies."""
    if kind == "source-note":  # a source note's id is its upstream's name in the manifest
        if UPSTREAM_NAME_RE.fullmatch(ident):
            return ""
        return (
            "is not an upstream name (letters, digits, '.', '_' and '-', starting with a letter or digit; 64 at most)"
        )
    if SLUG_RE.fullmatch(ident):
        return ""
    return "is not a lower-case slug (letters a-z, digits and single hyphens)"


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) that the file system holding ``folder`` (or its nearest parent) takes."""
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except (OSError, ValueError, AttributeError):  # missing, unsupported, or no pathconf at all
            continue
    return 255


class _EscapeError(Exception):
    """A folder on the way to the new page is not the folder that was checked."""


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_inside(srcdir: Path, folder: Path, name: str, text: str) -> None:
    """Create ``folder/name`` (``folder`` resolved, inside the resolved ``srcdir``) holding ``text``, exclusively.

    The folders from the nearest existing parent of ``srcdir`` down are made
    and entered one at a time, following no symlink, so nothing can redirect
    the write after the check; on failure the folders made are removed again.
    """
    base = srcdir
    while not base.exists() and base != base.parent:
        base = base.parent
    parts = folder.relative_to(base).parts
    if os.open not in os.supports_dir_fd or os.mkdir not in os.supports_dir_fd:  # pragma: no cover - not POSIX
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.resolve().is_relative_to(srcdir):
            raise _EscapeError
        with open(folder / name, "x", encoding="utf-8") as handle:
            handle.write(text)
        return
    fds = [os.open(base, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))]
    made: list[tuple[int, str]] = []
    try:
        for part in parts:
            try:
                os.mkdir(part, dir_fd=fds[-1])
                made.append((fds[-1], part))
            except FileExistsError:
                pass
            fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
        fd = os.open(name, _NEW_FLAGS, 0o666, dir_fd=fds[-1])
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        except BaseException:
            os.unlink(name, dir_fd=fds[-1])
            raise
    except BaseException:
        for parent, part in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(part, dir_fd=parent)
        raise
    finally:
        for fd in fds:
            os.close(fd)


def _cmd_new(args: argparse.Namespace) -> int:
    kind, ident = args.kind, args.id
    problem = _id_problem(kind, ident)
    if problem:
        print(f"pypatterns new: {ident!r} {problem}", file=sys.stderr)
        return 2
    name = f"{ident}.md"
    shown = Path(args.srcdir, FOLDERS[kind], name)
    try:
        srcdir = Path(args.srcdir).resolve()
        folder = (srcdir / FOLDERS[kind]).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        print(f"pypatterns new: cannot write {shown}: {exc}", file=sys.stderr)
        return 1
    if not folder.is_relative_to(srcdir):
        print(
            f"pypatterns new: {shown.parent} leads to {folder}, outside the source folder {srcdir}; not writing",
            file=sys.stderr,
        )
        return 1
    size, limit = len(os.fsencode(name)), _name_max(folder)
    if size > limit:
        print(
            f"pypatterns new: the id is too long for the file system: {FOLDERS[kind]}/ID.md would be a "
            f"{size}-byte file name, and file names there hold at most {limit} bytes",
            file=sys.stderr,
        )
        return 2
    try:
        _create_inside(srcdir, folder, name, page_template(kind, ident))
    except FileExistsError:
        print(f"pypatterns new: {shown} exists; not overwriting it", file=sys.stderr)
        return 1
    except _EscapeError:  # pragma: no cover - a folder swapped for a symlink while writing
        print(f"pypatterns new: {shown.parent} leads outside the source folder {srcdir}; not writing", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            print(f"pypatterns new: the id is too long for the file system: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"pypatterns new: cannot write {shown}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {shown}")
    return 0


def _parse_mirrors(values: list[str]) -> dict[str, str]:
    mirrors = {}
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not name or not folder:
            raise PypatternsError(f"--mirror takes NAME=DIR, not {value!r}", subtype="sync_failed")
        mirrors[name] = str(Path(folder).resolve())
    return mirrors


def _cmd_sync(args: argparse.Namespace) -> int:
    from ._sync import sync_upstreams

    project = _project(args)
    manifest = project.manifest()
    root, _named = project.checkouts()
    start = time.monotonic()
    outcomes = sync_upstreams(
        manifest,
        root,
        only=args.upstream or (),
        mirrors=_parse_mirrors(args.mirror or []),
        max_extract_bytes=args.max_extract_mb * 1024 * 1024,
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


class _LazyVerifier:
    """The verifier, started on the first citation the cache does not hold (a warm check needs none)."""

    def __init__(self, project: _Project, manifest: Manifest) -> None:
        self.project = project
        self.manifest = manifest
        self.verifier: Verifier | None = None

    def check(self, found: FoundCitation) -> Entry:
        try:
            target = parse_target(found.target, known_upstreams=self.manifest.names)
        except TargetError as exc:
            return "", f"{exc.subtype}: {exc.message}"
        written = found.raw.partition("\x00")[2].strip() if found.directive else ""
        if written and not found.symbol:  # the build refuses it the same way, and verifies nothing
            return target.upstream, f"bad_target: the :symbol: {written!r} is not a dotted Python name"
        if self.verifier is None:
            from ._verify import Verifier

            self.verifier = Verifier(self.manifest, self.project.checkouts(), max_bytes=self.project.max_bytes)
        verdict = self.verifier.verify(target, found.symbol, require_anchor=self.project.require_anchor)
        return target.upstream, "" if verdict.ok else f"{verdict.subtype}: {target}: {verdict.message}"

    def close(self) -> None:
        if self.verifier is not None:
            self.verifier.close()


def _check_page(rel: str, text: str, cache: VerdictCache, checker: _LazyVerifier) -> PageResult:
    result = PageResult()
    for found in scan_page(rel, text):
        name = f"{'d' if found.directive else 'r'}{found.raw}"
        entry = cache.get(name)
        if entry is None:
            entry = checker.check(found)
            cache.put(name, entry)
        result.add(entry, f"{found.file}:{found.line}")
    return result


def _cmd_check(args: argparse.Namespace) -> int:
    project = _project(args)
    manifest = project.manifest()
    per_upstream: Counter[str] = Counter()
    failures: list[str] = []
    count = 0
    start = time.monotonic()
    key = None
    if not args.no_cache and project.manifest_path is not None:
        options = {"require_anchor": project.require_anchor, "max_bytes": project.max_bytes}
        prints = _fingerprints(manifest, project.checkouts(), project.max_bytes)
        key = cache_key(project.manifest_path.read_bytes(), prints, options)
    cache = VerdictCache(project.srcdir / ".pypatterns" / "check-cache.json", key)
    checker = _LazyVerifier(project, manifest)
    try:
        for path, rel in iter_pages(project.srcdir, project.exclude, project.include):
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
                digest = hashlib.sha256(data).hexdigest()
                result = cache.page(rel, digest)
                if result is None:
                    result = _check_page(rel, data.decode("utf-8"), cache, checker)
                    cache.put_page(rel, digest, result)
            except (UnicodeDecodeError, OSError) as exc:
                failures.append(f"{rel}: source_encoding: cannot read: {exc}")
                continue
            count += result.count
            per_upstream.update(result.per_upstream)
            failures.extend(result.failures)
        cache.save()
    finally:
        checker.close()
    elapsed = time.monotonic() - start
    for name in sorted(per_upstream):
        print(f"{name:20} {per_upstream[name]:6d} citations")
    for failure in failures:
        print(failure)
    print(f"check: {count} citations, {len(failures)} failures ({elapsed:.2f} s)")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pypatterns", description="sphinx-pypatterns helper commands")
    sub = parser.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="write a new page with every required section in place")
    new.add_argument("kind", choices=KINDS)
    new.add_argument("id")
    new.add_argument("--srcdir", default=".", help="the Sphinx source folder (default: .)")
    new.set_defaults(func=_cmd_new)

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
                help="ignore and keep no verdict cache (.pypatterns/check-cache.json)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PypatternsError as exc:
        print(f"pypatterns {args.command}: {exc}", file=sys.stderr)
        return 1
