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
import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from ._defaults import COMMIT_RE, DEFAULT_MAX_FILE_BYTES
from ._errors import CheckoutError
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
]

MARKER = ".pypatterns-sync.json"
DEFAULT_MAX_BYTES = DEFAULT_MAX_FILE_BYTES


class Checkout(Protocol):
    """What the verifier needs from a checkout."""

    description: str
    #: How the tree was materialised, without any path of the machine (for the pin table).
    origin: str
    #: Identifies the checkout's content for caches, or "" if the content may change (a plain folder).
    fingerprint: str

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
        self.fingerprint = fingerprint
        self._real_root = os.path.realpath(self.root)

    def read(self, path: str) -> tuple[str, bytes]:
        validate_relpath(path)
        full = os.path.join(self._real_root, path)
        try:
            real = os.path.realpath(full, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CheckoutError(f"{path} is a symlink loop", subtype="symlink_loop") from None
            raise CheckoutError(f"{path} does not exist in the checkout", subtype="missing_file") from None
        if os.path.commonpath([real, self._real_root]) != self._real_root:
            raise CheckoutError(f"{path} is a symlink that leads outside the checkout", subtype="path_escapes")
        try:
            with open(real, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if not os.path.isfile(real):
                    raise CheckoutError(f"{path} is not a regular file", subtype="not_a_file")
                if size > self.max_bytes:
                    raise CheckoutError(
                        f"{path} has {size} bytes, over the limit of {self.max_bytes} (pypatterns_max_file_bytes)",
                        subtype="file_too_large",
                    )
                data = handle.read(self.max_bytes + 1)
        except IsADirectoryError:
            raise CheckoutError(f"{path} is a folder, not a file", subtype="not_a_file") from None
        except OSError as exc:
            raise CheckoutError(f"cannot read {path}: {exc.strerror}", subtype="missing_file") from None
        return f"file:{real}", data

    def close(self) -> None:
        return None


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
    ) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        if not COMMIT_RE.match(commit):
            raise CheckoutError(f"refusing commit {commit[:50]!r}: not 40 hex characters", subtype="bad_commit")
        self.repo = Path(repo)
        self.commit = commit
        self.max_bytes = max_bytes
        self.description = description or f"git {self.repo} @ {commit[:12]}"
        self.origin = origin or "a git repository, read at the commit"
        # a commit names its content: the repository's place and the commit identify every read
        self.fingerprint = f"git {os.path.realpath(self.repo)} {commit}"
        self._checked = False

    def _process(self) -> subprocess.Popen[bytes]:
        import subprocess

        if self._proc is None:
            env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self.repo), "cat-file", "--batch", "--follow-symlinks"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError as exc:
                raise CheckoutError(f"cannot run git: {exc.strerror}", subtype="checkout_missing") from None
        return self._proc

    def _request(self, spec: str) -> tuple[list[str], bytes | None]:
        proc = self._process()
        stdin: IO[bytes] | None = proc.stdin
        stdout: IO[bytes] | None = proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(spec.encode("utf-8") + b"\n")
            stdin.flush()
            header = stdout.readline()
        except (BrokenPipeError, OSError):
            header = b""
        if not header:
            self.close()
            raise CheckoutError(f"{self.repo} is not a readable git repository", subtype="checkout_missing")
        words = header.decode("utf-8", "replace").split()
        if len(words) == 2 and words[1] in ("missing", "ambiguous"):
            return words, None
        if words and words[0] in ("symlink", "dangling", "loop", "notdir") and len(words) == 2:
            size = int(words[1])
            stdout.read(size + 1)
            return words, None
        if len(words) == 3:
            size = int(words[2])
            data = stdout.read(size)
            stdout.read(1)
            return words, data
        self.close()
        raise CheckoutError(f"unexpected answer from git cat-file in {self.repo}", subtype="checkout_missing")

    def _check_commit(self) -> None:
        if self._checked:
            return
        words, _ = self._request(f"{self.commit}^{{commit}}")
        if len(words) != 3:
            raise CheckoutError(
                f"commit {self.commit} is absent from the repository {self.repo}", subtype="commit_missing"
            )
        self._checked = True

    def read(self, path: str) -> tuple[str, bytes]:
        validate_relpath(path)
        self._check_commit()
        words, data = self._request(f"{self.commit}:{path}")
        if len(words) == 3:
            kind = words[1]
        else:
            kind = words[1] if words[1] in ("missing", "ambiguous") else words[0]
        if kind in ("missing", "ambiguous", "dangling", "notdir"):
            raise CheckoutError(f"{path} does not exist at commit {self.commit[:12]}", subtype="missing_file")
        if kind == "symlink":
            raise CheckoutError(f"{path} is a symlink that leads outside the checkout", subtype="path_escapes")
        if kind == "loop":
            raise CheckoutError(f"{path} is a symlink loop", subtype="symlink_loop")
        if kind != "blob" or data is None:
            raise CheckoutError(f"{path} is a {kind}, not a file", subtype="not_a_file")
        if len(data) > self.max_bytes:
            raise CheckoutError(
                f"{path} has {len(data)} bytes, over the limit of {self.max_bytes} (pypatterns_max_file_bytes)",
                subtype="file_too_large",
            )
        return f"blob:{words[0]}", data

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
        data = json.loads((folder / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
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
            folder, upstream.commit, max_bytes=max_bytes, description=f"synced git mirror {folder}", origin=origin
        )
    # a synced tree is never changed in place (sync replaces it whole): its marker identifies it
    fingerprint = "tree " + json.dumps(marker, sort_keys=True)
    return FolderCheckout(
        folder, max_bytes=max_bytes, description=f"synced tree {folder}", origin=origin, fingerprint=fingerprint
    )
