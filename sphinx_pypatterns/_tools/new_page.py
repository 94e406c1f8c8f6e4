"""``pypatterns new``: a new page with every required section, written only inside the source folder."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import os
import sys
from pathlib import Path

from .._core.defaults import SLUG_RE, UPSTREAM_NAME_RE
from .._core.errors import PypatternsError
from .project import Project
from .templates import FOLDERS, page_template

__all__ = ["cmd_new"]


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


def _project(srcdir: Path) -> Project:
    """The project's settings, from conf.py in ``srcdir`` (or ``srcdir/docs``), as ``check`` reads them."""
    root = srcdir.resolve()
    confdir = root / "docs" if (root / "docs" / "conf.py").is_file() else root  # as project_of finds it
    return Project(root, confdir)


def _unpinned(project: Project, ident: str) -> str:
    """Why a source note for ``ident`` would name no upstream the build knows ("" if it names one)."""
    if project.manifest_path is not None:
        try:
            names = sorted(project.manifest().upstreams)
        except PypatternsError as exc:
            return f"cannot read the manifest to check {ident!r}: {exc}"
        where = f"the manifest {project.manifest_path.name}"
    elif project.upstream_names:
        names, where = sorted(project.upstream_names), "pypatterns_upstreams"
    else:
        return ""  # nothing names the upstreams: the build accepts any
    if ident in names:
        return ""
    near = difflib.get_close_matches(ident, names, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"{ident!r} is not an upstream of {where}{hint}: pin it there first, then write its source note"


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


def cmd_new(args: argparse.Namespace) -> int:
    kind, ident = args.kind, args.id
    problem = _id_problem(kind, ident)
    if problem:
        print(f"pypatterns new: {ident!r} {problem}", file=sys.stderr)
        return 2
    try:
        project = _project(Path(args.srcdir))
    except PypatternsError as exc:
        print(f"pypatterns new: {exc}", file=sys.stderr)
        return 1
    if kind == "source-note":
        problem = _unpinned(project, ident)
        if problem:
            print(f"pypatterns new: {problem}", file=sys.stderr)
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
        text = page_template(
            kind, ident, project.sections.get(kind), areas=project.areas, rule_words=project.rule_words
        )
        _create_inside(srcdir, folder, name, text)
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
