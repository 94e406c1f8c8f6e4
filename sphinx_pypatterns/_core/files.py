"""Reading one file of a checkout safely, and the stamps that say whether it changed."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

from .errors import CheckoutError

__all__ = [
    "MAX_TREE_ENTRIES",
    "RACY_NS",
    "is_racy",
    "read_regular",
    "stat_signature",
    "too_large",
    "tree_fingerprint",
    "tree_paths",
]

_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symlink"),
)


def _not_regular(shown: str, mode: int) -> CheckoutError:
    if stat.S_ISDIR(mode):
        return CheckoutError(f"{shown} is a folder, not a file", subtype="not_a_file")
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "an unknown kind of file")
    return CheckoutError(f"{shown} is not a regular file ({kind})", subtype="not_a_file")


def too_large(shown: str, size: int, max_bytes: int) -> CheckoutError:
    return CheckoutError(
        f"{shown} has {size} bytes, over the limit of {max_bytes} (pypatterns_max_file_bytes)",
        subtype="file_too_large",
    )


def read_regular(real: str, shown: str, *, max_bytes: int, follow: bool = True) -> bytes:
    """The bytes of the regular file ``real`` (``shown`` in messages); raise ``CheckoutError``.

    Never blocks, and never reads what is not a regular file: a FIFO, socket or
    device is refused by its type before it is opened, and the decision that
    counts is made on the opened descriptor (``fstat``), so the path is not
    trusted twice. It is opened with ``O_NONBLOCK`` (a FIFO put in place in
    between cannot block) and, unless ``follow``, with ``O_NOFOLLOW``.
    """
    try:
        mode = (os.stat if follow else os.lstat)(real).st_mode
    except OSError:
        raise CheckoutError(f"{shown} does not exist in the checkout", subtype="missing_file") from None
    if not stat.S_ISREG(mode):
        raise _not_regular(shown, mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CheckoutError(f"{shown} became a symlink while it was read", subtype="missing_file") from None
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.ENODEV):
            raise CheckoutError(f"{shown} is not a regular file", subtype="not_a_file") from None
        raise CheckoutError(f"cannot read {shown}: {exc.strerror}", subtype="missing_file") from None
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(shown, info.st_mode)
        if info.st_size > max_bytes:
            raise too_large(shown, info.st_size, max_bytes)
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise CheckoutError(f"cannot read {shown}: {exc.strerror}", subtype="missing_file") from None
    if len(data) > max_bytes:  # it grew after fstat
        raise too_large(shown, len(data), max_bytes)
    return data


#: A file changed less than this before a stamp was taken may change again without its times
#: showing it (file times advance by a clock tick; some file systems keep whole seconds, FAT two).
RACY_NS = 2_000_000_000

#: A plain folder with more entries than this is not fingerprinted (``pypatterns check`` does not cache it).
MAX_TREE_ENTRIES = 200_000


def stat_signature(st: os.stat_result) -> str:
    """Type, device, inode, size, modification and change time: the change time moves on every
    write, also when a tool puts the modification time back, and a file replaced has a new inode."""
    return f"{st.st_mode:o}.{st.st_dev}.{st.st_ino}.{st.st_size}.{st.st_mtime_ns}.{st.st_ctime_ns}"


def is_racy(st: os.stat_result, since_ns: int | None = None) -> bool:
    """The file changed within :data:`RACY_NS` before ``since_ns`` (default: now), or after it."""
    since = time.time_ns() if since_ns is None else since_ns
    return max(st.st_mtime_ns, st.st_ctime_ns) >= since - RACY_NS


def tree_fingerprint(root: str | Path) -> str:
    """The fingerprint of a plain folder: a hash of every entry's relative name and
    :func:`stat_signature`, walked with ``os.scandir`` without following symlinks (a symlink's own
    entry is hashed; reads never leave the folder, so its target is hashed where it lies).

    About 20 ms for the 2,500 entries of the CPython stdlib. "" (no fingerprint) when an entry
    changed within :data:`RACY_NS`, the folder cannot be listed, or it has over
    :data:`MAX_TREE_ENTRIES` entries. Nothing is opened, so a FIFO cannot block it.
    """
    digest = hashlib.sha256()
    since = time.time_ns()
    count = 0
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel) if rel else root) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if not rel:
                return ""
            digest.update(f"{rel}\0unlisted {exc.errno}\n".encode("utf-8", "surrogateescape"))
            continue
        for entry in entries:
            name = f"{rel}/{entry.name}" if rel else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                digest.update(f"{name}\0gone {exc.errno}\n".encode("utf-8", "surrogateescape"))
                continue
            count += 1
            if count > MAX_TREE_ENTRIES or is_racy(st, since):
                return ""
            digest.update(f"{name}\0{stat_signature(st)}\n".encode("utf-8", "surrogateescape"))
            if entry.is_dir(follow_symlinks=False):
                stack.append(name)
    return f"tree {os.path.realpath(root)} {digest.hexdigest()}"


def tree_paths(root: str | Path) -> list[str]:
    """The relative paths (``/``-separated) of the files under ``root``, at most :data:`MAX_TREE_ENTRIES`.

    A walk that follows no symlink, so it never leaves the folder (a symlink is listed as
    the entry it is); a folder that cannot be listed is skipped. Nothing is opened.
    For a missing file's hint only: never on the happy path.
    """
    found: list[str] = []
    for top, folders, names in os.walk(root):
        folders.sort()
        rel = os.path.relpath(top, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in sorted(names))
        if len(found) >= MAX_TREE_ENTRIES:
            return found[:MAX_TREE_ENTRIES]
    return found
