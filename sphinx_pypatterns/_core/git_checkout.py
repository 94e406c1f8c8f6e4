"""A git repository read at the pinned commit through one ``git cat-file --batch`` process."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .defaults import COMMIT_RE, DEFAULT_MAX_FILE_BYTES
from .errors import CheckoutError
from .files import MAX_TREE_ENTRIES, too_large
from .git import git_command
from .targets import validate_relpath

if TYPE_CHECKING:
    import subprocess  # imported where a process starts: a cached check never starts one

__all__ = ["GitCheckout"]

DEFAULT_MAX_BYTES = DEFAULT_MAX_FILE_BYTES


#: ``<oid> SP <type> SP <size>``: that many bytes of the object follow, then LF.
_OBJECT_REPLY = re.compile(rb"([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+) ([0-9]{1,20})")
#: With ``--follow-symlinks``: ``<kind> SP <size>``, then that many bytes and LF.
_FOLLOW_REPLY = re.compile(rb"(symlink|dangling|loop|notdir) ([0-9]{1,20})")
#: How long listing the tree at the commit may take (a missing file's hint; a timeout gives none).
_LIST_SECONDS = 60


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

    def _git_dir(self) -> Path:
        dot_git = self.repo / ".git"
        return dot_git if dot_git.exists() else self.repo

    def _process(self) -> subprocess.Popen[bytes]:
        import subprocess

        if self._proc is None:
            # a read: no transport (a partial clone never fetches), no hooks, no discovery (--git-dir)
            argv, env = git_command(["cat-file", "--batch", "--follow-symlinks"], git_dir=self._git_dir())
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
            raise too_large(path, reply.size, self.max_bytes)
        return f"blob:{reply.oid}", reply.data

    def paths(self) -> list[str]:
        """The paths of the files of the tree at the pinned commit, at most :data:`MAX_TREE_ENTRIES`:
        for a missing file's hint, never on the happy path.

        One ``git ls-tree -r -z --name-only`` of the pinned commit (validated: 40 hex
        characters), started the one way the extension starts git (:func:`git_command`: no
        transport, no hooks), never through a shell. Raises ``CheckoutError``.
        """
        import subprocess

        self._check_commit()
        argv, env = git_command(
            ["ls-tree", "-r", "-z", "--name-only", "--full-tree", self.commit], git_dir=self._git_dir()
        )
        try:
            done = subprocess.run(
                argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=_LIST_SECONDS
            )
        except (OSError, subprocess.TimeoutExpired):
            raise CheckoutError(f"cannot list the files of {self.repo}", subtype="checkout_missing") from None
        if done.returncode != 0:
            raise CheckoutError(f"cannot list the files of {self.repo}", subtype="checkout_missing")
        names = done.stdout.split(b"\0")[:MAX_TREE_ENTRIES]
        return [name.decode("utf-8", "replace") for name in names if name]

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
