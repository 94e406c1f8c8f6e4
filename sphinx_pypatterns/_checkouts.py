"""Checkout providers: read a file of an upstream at its pinned commit.

Two kinds exist:

* :class:`FolderCheckout`, a materialised tree (what ``pypatterns sync``
  writes); reads never leave its root, symlinks included;
* :class:`GitCheckout`, a git repository (bare or not) read **at the pinned
  commit** through one long-lived ``git cat-file --batch`` process, never
  from the working tree.

:func:`locate_checkout` finds the one to use for an upstream.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from ._defaults import COMMIT_RE, DEFAULT_MAX_FILE_BYTES
from ._errors import CheckoutError, PypatternsError
from ._git import git_command
from ._manifest import Upstream
from ._targets import validate_relpath

if TYPE_CHECKING:
    import subprocess  # imported where a process starts: a cached check never starts one

__all__ = [
    "MARKER",
    "Checkout",
    "CheckoutSpec",
    "FolderCheckout",
    "GitCheckout",
    "locate_checkout",
    "parse_checkouts_spec",
    "read_marker",
    "tree_fingerprint",
]

MARKER = ".pypatterns-sync.json"
DEFAULT_MAX_BYTES = DEFAULT_MAX_FILE_BYTES


class Checkout(Protocol):
    """What the verifier needs from a checkout."""

    description: str
    #: How the tree was materialised, without any path of the machine (for the pin table).
    origin: str

    @property
    def fingerprint(self) -> str:
        """Identifies the checkout's content for caches; "" when it cannot be identified."""
        ...

    def read(self, path: str) -> tuple[str, bytes]:
        """Return ``(content_key, data)`` for a relative path, or raise CheckoutError."""
        ...

    def close(self) -> None: ...


class FolderCheckout:
    """A plain folder holding the upstream's tree at the pinned commit."""

    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        description: str = "",
        origin: str = "",
        fingerprint: str = "",
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.description = description or f"folder {self.root}"
        self.origin = origin or "a local folder"
        #: a synced tree is identified by its marker (sync replaces it whole); a plain folder by its files
        self.fixed_fingerprint = fingerprint
        self._tree_fingerprint: str | None = None
        self._real_root = os.path.realpath(self.root)

    @property
    def fingerprint(self) -> str:
        """The marker of a synced tree, else the :func:`tree_fingerprint` of the folder (computed once)."""
        if self.fixed_fingerprint:
            return self.fixed_fingerprint
        if self._tree_fingerprint is None:
            self._tree_fingerprint = tree_fingerprint(self.root)
        return self._tree_fingerprint

    def stamp(self, path: str, since_ns: int | None = None) -> str:
        """What identifies the file that :meth:`read` would read for ``path``, without reading it.

        The resolved path and the file's :func:`stat_signature` (no file: why). A file changed
        within :data:`RACY_NS` before ``since_ns`` (default: now) or later gets a stamp that equals
        no other: its times may not show a second change in the same clock tick, so a caller that
        keeps stamps verifies its citations again next time.
        """
        try:
            validate_relpath(path)
            real = os.path.realpath(os.path.join(self._real_root, path), strict=True)
            st = os.stat(real)
        except PypatternsError as exc:
            return f"refused {exc.subtype}"
        except OSError as exc:
            return f"absent {exc.errno}"
        except ValueError:  # not encodable as a file name (a lone surrogate)
            return "refused unencodable"
        if is_racy(st, since_ns):
            return f"racy {time.time_ns()}"
        return f"{real}|{stat_signature(st)}"

    def read(self, path: str) -> tuple[str, bytes]:
        validate_relpath(path)
        full = os.path.join(self._real_root, path)
        try:
            real = os.path.realpath(full, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CheckoutError(f"{path} is a symlink loop", subtype="symlink_loop") from None
            raise CheckoutError(f"{path} does not exist in the checkout", subtype="missing_file") from None
        except ValueError:  # not encodable as a file name (a lone surrogate)
            raise CheckoutError(f"{path!r} cannot name a file", subtype="bad_path") from None
        if os.path.commonpath([real, self._real_root]) != self._real_root:
            raise CheckoutError(f"{path} is a symlink that leads outside the checkout", subtype="path_escapes")
        # no symlink is left in ``real``: open it without following one put there since
        return f"file:{real}", read_regular(real, path, max_bytes=self.max_bytes, follow=False)

    def close(self) -> None:
        return None


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


def _too_large(shown: str, size: int, max_bytes: int) -> CheckoutError:
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
            raise _too_large(shown, info.st_size, max_bytes)
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise CheckoutError(f"cannot read {shown}: {exc.strerror}", subtype="missing_file") from None
    if len(data) > max_bytes:  # it grew after fstat
        raise _too_large(shown, len(data), max_bytes)
    return data


#: ``<oid> SP <type> SP <size>``: that many bytes of the object follow, then LF.
_OBJECT_REPLY = re.compile(rb"([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+) ([0-9]{1,20})")
#: With ``--follow-symlinks``: ``<kind> SP <size>``, then that many bytes and LF.
_FOLLOW_REPLY = re.compile(rb"(symlink|dangling|loop|notdir) ([0-9]{1,20})")


@dataclass(frozen=True)
class _Reply:
    """One answer of ``git cat-file --batch --follow-symlinks``.

    ``kind``: the object's type (``blob``, ``tree``, ...), ``missing`` or
    ``ambiguous``, or ``symlink``, ``dangling``, ``loop`` or ``notdir``.
    ``data``: an object's content; ``None`` for the others, and for an object
    over the size limit (skipped unread).
    """

    kind: str
    oid: str = ""
    size: int = 0
    data: bytes | None = None


def _skip(stream: IO[bytes], count: int) -> bool:
    """Read and drop ``count`` bytes; False if the stream ended first."""
    while count > 0:
        chunk = stream.read(min(count, 1 << 20))
        if not chunk:
            return False
        count -= len(chunk)
    return True


class GitCheckout:
    """A git repository read at ``commit`` through one ``git cat-file --batch``."""

    def __init__(
        self,
        repo: str | Path,
        commit: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        description: str = "",
        origin: str = "",
        commit_known: bool = False,
    ) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        if not COMMIT_RE.match(commit):
            raise CheckoutError(f"refusing commit {commit[:50]!r}: not 40 hex characters", subtype="bad_commit")
        self.repo = Path(repo)
        self.commit = commit
        self.max_bytes = max_bytes
        self.description = description or f"git {self.repo} @ {commit[:12]}"
        self.origin = origin or "a git repository, read at the commit"
        # a commit names its content: the repository's place and the commit identify every read,
        # once the commit is there (a repository named in conf.py may receive it later)
        self._identity = f"git {os.path.realpath(self.repo)} {commit}"
        #: the commit is known to be present (a synced mirror: sync fetched it), no need to ask git
        self.commit_known = commit_known
        self._checked = False

    def commit_state(self) -> str:
        """``present``, ``absent`` or ``error <subtype>``; asks git unless the commit is known."""
        if self.commit_known or self._checked:
            return "present"
        try:
            self._check_commit()
        except CheckoutError as exc:
            return "absent" if exc.subtype == "commit_missing" else f"error {exc.subtype}"
        return "present"

    @property
    def fingerprint(self) -> str:
        """The repository and commit, and the state of its object store; "" when that cannot be told.

        A commit names its content, so the only change that matters is the commit arriving
        (a fetch into a repository named in conf.py). Every way it can arrive changes what is
        stamped here: its loose object file, the pack folder, the alternates, the shallow
        list. So ``pypatterns check`` learns of it from a few ``stat`` calls, without starting
        git. A repository whose object store is not a plain folder (a ``.git`` file of a
        worktree or submodule) is asked through git instead.
        """
        if self.commit_known:
            return self._identity
        dot_git = self.repo / ".git"
        git_dir = dot_git if dot_git.exists() else self.repo
        objects = git_dir / "objects"
        if not objects.is_dir():
            state = self.commit_state()
            if state.startswith("error"):
                return ""
            return self._identity if state == "present" else f"{self._identity} absent"
        stamps = []
        for path in (
            objects / self.commit[:2] / self.commit[2:],
            objects / "pack",
            objects / "info" / "alternates",
            git_dir / "shallow",
        ):
            try:
                st = os.stat(path)
            except OSError:
                stamps.append("-")
            else:
                stamps.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
        return f"{self._identity} objects {' '.join(stamps)}"

    def _process(self) -> subprocess.Popen[bytes]:
        import subprocess

        if self._proc is None:
            # a read: no transport (a partial clone never fetches), no hooks, no discovery (--git-dir)
            dot_git = self.repo / ".git"
            argv, env = git_command(
                ["cat-file", "--batch", "--follow-symlinks"], git_dir=dot_git if dot_git.exists() else self.repo
            )
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError as exc:
                raise CheckoutError(f"cannot run git: {exc.strerror}", subtype="checkout_missing") from None
        return self._proc

    def _request(self, spec: str) -> _Reply:
        """Send one request line; parse its answer by git's documented format, never by whitespace.

        A request holding a control character (a newline would make it two
        requests, and every later answer would belong to the one before) or
        one that cannot be encoded never reaches git: ``bad_path``.
        """
        if any(unicodedata.category(ch) == "Cc" for ch in spec):
            raise CheckoutError("the path contains a NUL or control character", subtype="bad_path")
        try:
            request = spec.encode("utf-8")
        except UnicodeEncodeError:
            raise CheckoutError("the path cannot be encoded as UTF-8", subtype="bad_path") from None
        proc = self._process()
        stdin: IO[bytes] | None = proc.stdin
        stdout: IO[bytes] | None = proc.stdout
        assert stdin is not None and stdout is not None
        header = b""
        try:
            stdin.write(request + b"\n")
            stdin.flush()
            header = stdout.readline()
            reply = self._parse(request, header, stdout)
        except OSError:
            reply = None
        if reply is None:
            self.close()  # out of step with git: no later answer can be trusted
            if not header:
                raise CheckoutError(f"{self.repo} is not a readable git repository", subtype="checkout_missing")
            raise CheckoutError(f"unexpected answer from git cat-file in {self.repo}", subtype="checkout_missing")
        return reply

    def _parse(self, request: bytes, header: bytes, stdout: IO[bytes]) -> _Reply | None:
        """The answer to ``request`` that starts with ``header``; ``None`` if git gives no such answer."""
        if not header.endswith(b"\n"):
            return None
        line = header[:-1]
        # "<object> SP missing LF", where <object> is the request as sent, spaces and all
        for word in (b"missing", b"ambiguous"):
            if line == request + b" " + word:
                return _Reply(word.decode("ascii"))
        found = _OBJECT_REPLY.fullmatch(line)
        if found is not None:
            size = int(found[3])
            data: bytes | None = None
            if size > self.max_bytes:
                if not _skip(stdout, size + 1):
                    return None
            else:
                data = stdout.read(size + 1)
                if len(data) != size + 1 or not data.endswith(b"\n"):
                    return None
                data = data[:-1]
            return _Reply(found[2].decode("ascii"), found[1].decode("ascii"), size, data)
        found = _FOLLOW_REPLY.fullmatch(line)
        if found is not None:
            size = int(found[2])
            if not _skip(stdout, size + 1):
                return None
            return _Reply(found[1].decode("ascii"), size=size)
        return None

    def _check_commit(self) -> None:
        if self._checked:
            return
        if self._request(f"{self.commit}^{{commit}}").kind != "commit":
            raise CheckoutError(
                f"commit {self.commit} is absent from the repository {self.repo}", subtype="commit_missing"
            )
        self._checked = True

    def read(self, path: str) -> tuple[str, bytes]:
        validate_relpath(path)
        self._check_commit()
        reply = self._request(f"{self.commit}:{path}")
        kind = reply.kind
        if kind in ("missing", "ambiguous", "dangling", "notdir"):
            raise CheckoutError(f"{path} does not exist at commit {self.commit[:12]}", subtype="missing_file")
        if kind == "symlink":
            raise CheckoutError(f"{path} is a symlink that leads outside the checkout", subtype="path_escapes")
        if kind == "loop":
            raise CheckoutError(f"{path} is a symlink loop", subtype="symlink_loop")
        if kind != "blob":
            raise CheckoutError(f"{path} is a {kind}, not a file", subtype="not_a_file")
        if reply.data is None:
            raise _too_large(path, reply.size, self.max_bytes)
        return f"blob:{reply.oid}", reply.data

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        import subprocess

        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __del__(self) -> None:
        self.close()


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


CheckoutSpec = tuple[str, dict[str, str]]


def parse_checkouts_spec(value: str | list[str] | tuple[str, ...], *, base: str | Path) -> CheckoutSpec:
    """Parse ``pypatterns_checkouts`` / ``PYPATTERNS_CHECKOUTS``.

    The value is a list (or an ``os.pathsep``-separated string) of entries.
    ``NAME=DIR`` names the checkout of one upstream (a git repository or a
    plain tree); an entry without ``=`` is the checkouts folder that
    ``pypatterns sync`` fills. Relative paths are taken from ``base``.
    Returns ``(root, {name: dir})``.
    """
    entries = value.split(os.pathsep) if isinstance(value, str) else list(value)
    root = ""
    named: dict[str, str] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        name, sep, folder = entry.partition("=")
        if sep and name and "/" not in name:
            named[name.strip()] = str(Path(base, os.path.expanduser(folder.strip())))
        else:
            root = str(Path(base, os.path.expanduser(entry)))
    if not root:
        root = str(Path(base, ".pypatterns", "checkouts"))
    return root, named


def _is_git_dir(folder: Path) -> bool:
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir()


def read_marker(folder: Path) -> dict[str, str] | None:
    """The sync marker of a checkout folder, or ``None`` if it has none (not a valid checkout)."""
    try:
        # a marker that is a FIFO or a device must not block the build: read only a regular file
        data = json.loads(read_regular(os.fspath(folder / MARKER), MARKER, max_bytes=1 << 20).decode("utf-8"))
    except (CheckoutError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def locate_checkout(
    upstream: Upstream, spec: CheckoutSpec, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> FolderCheckout | GitCheckout:
    """Return the checkout of ``upstream``; raise ``CheckoutError`` (``checkout_missing``)."""
    root, named = spec
    if upstream.name in named:
        folder = Path(named[upstream.name])
        if (folder / ".git").exists():
            return GitCheckout(folder, upstream.commit, max_bytes=max_bytes)
        if _is_git_dir(folder):
            return GitCheckout(folder, upstream.commit, max_bytes=max_bytes)
        if folder.is_dir():
            return FolderCheckout(folder, max_bytes=max_bytes)
        raise CheckoutError(
            f"the checkout of {upstream.name!r} named as {folder} does not exist", subtype="checkout_missing"
        )
    folder = Path(root) / upstream.folder_name
    marker = read_marker(folder)
    if marker is None or marker.get("commit") != upstream.commit:
        raise CheckoutError(
            f"no checkout of {upstream.name!r} at {upstream.commit[:12]} in {root}: run 'pypatterns sync'",
            subtype="checkout_missing",
        )
    origin = str(marker.get("origin") or "")
    if marker.get("kind") == "git":
        return GitCheckout(
            folder,
            upstream.commit,
            max_bytes=max_bytes,
            description=f"synced git mirror {folder}",
            origin=origin,
            commit_known=True,  # sync wrote the marker after fetching the commit
        )
    # a synced tree is never changed in place (sync replaces it whole): its marker identifies it
    fingerprint = "tree " + json.dumps(marker, sort_keys=True)
    return FolderCheckout(
        folder, max_bytes=max_bytes, description=f"synced tree {folder}", origin=origin, fingerprint=fingerprint
    )
