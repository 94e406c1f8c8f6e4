"""The evidence lock: a digest of the text under every citation at its pin. Free of Sphinx imports.

The lock sits next to the manifest (``upstreams.toml`` -> ``upstreams.lock``) and is TOML: one
table per upstream, holding the commit it was written at and one ``"path:lines" = "digest"``
line per cited range, sorted, so that a change to it reads as a small diff. It is keyed by the
cited range, not by a page or a line of one: editing a page's prose never touches it.

A digest is of the range's text normalised in three ways and no others: line endings (``\\r\\n``
and ``\\n`` read alike), trailing whitespace, and the indentation common to the range's lines.
Re-indenting a whole function, or converting a file to CRLF, keeps its digests; any other edit
of the cited text changes them.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ManifestError

__all__ = ["Lock", "format_lock", "load_lock", "lock_key", "lock_path", "normalised", "parse_lock", "text_digest"]

#: Hex digits kept of a digest's SHA-256: 64 bits tell two texts apart and keep a line short.
DIGEST_LENGTH = 16

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_DIGEST_RE = re.compile(f"[0-9a-f]{{{DIGEST_LENGTH}}}")

_HEADER = """\
# The evidence lock: for every cited range, a digest of its text at the pin (line endings,
# trailing whitespace and common indentation normalised). Written by
# `pypatterns check --update-lock` and by `pypatterns bump`; the build and `pypatterns check`
# report `pypatterns.content_changed` where the text under a citation no longer matches it.
"""


def lock_path(manifest_path: str | Path) -> Path:
    """The lock of a manifest: the same name with the suffix ``.lock``."""
    return Path(manifest_path).with_suffix(".lock")


def lock_key(path: str, start: int, end: int) -> str:
    """``"httpx/_models.py:820-830"``: a cited range of one upstream, as the lock names it."""
    return f"{path}:{start}" if start == end else f"{path}:{start}-{end}"


def normalised(lines: Iterable[str]) -> str:
    """The text a digest is taken of: trailing whitespace (and ``\\r``) stripped from each line,
    then the indentation common to the non-blank lines removed."""
    return textwrap.dedent("\n".join(line.rstrip() for line in lines))


def text_digest(lines: Iterable[str]) -> str:
    return hashlib.sha256(normalised(lines).encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True)
class Lock:
    """Upstream -> (the commit the entries were written at, range -> digest)."""

    commits: dict[str, str] = field(default_factory=dict)
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = ""

    def digest(self, upstream: str, path: str, start: int, end: int) -> str | None:
        return self.entries.get(upstream, {}).get(lock_key(path, start, end))

    def section_digest(self, upstream: str) -> str:
        """What the verdicts of ``upstream`` depend on in the lock (a build verifies again when it changes)."""
        section = [self.commits.get(upstream, ""), sorted(self.entries.get(upstream, {}).items())]
        return hashlib.sha256(json.dumps(section).encode()).hexdigest()


def parse_lock(text: str, *, path: str = "") -> Lock:
    """Parse a lock. Raises :class:`ManifestError` (subtype ``lock``) naming the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise ManifestError(
            f"malformed lock: {exc}", path=path, subtype="lock", line=int(found.group(1)) if found else 0
        ) from None
    commits: dict[str, str] = {}
    entries: dict[str, dict[str, str]] = {}
    for upstream, table in data.items():
        if not isinstance(table, dict):
            raise ManifestError(f"lock: {upstream!r} is not a table", path=path, subtype="lock")
        mine: dict[str, str] = {}
        for key, value in table.items():
            if key == "commit":
                if not isinstance(value, str):
                    raise ManifestError(f"lock: [{upstream}] commit is not a string", path=path, subtype="lock")
                commits[upstream] = value
            elif not isinstance(value, str) or not _DIGEST_RE.fullmatch(value):
                raise ManifestError(
                    f"lock: [{upstream}] {key!r} is not a digest of {DIGEST_LENGTH} hex digits",
                    path=path,
                    subtype="lock",
                )
            else:
                mine[key] = value
        entries[upstream] = mine
    return Lock(commits, entries, path)


def _line_of(text: str, key: str) -> int:
    """The line of ``key = …`` in the lock's text (0: not found)."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith((json.dumps(key, ensure_ascii=False), key)):
            return number
    return 0


def load_lock(path: str | Path) -> Lock | None:
    """The lock at ``path``; ``None`` when there is none. Raises :class:`ManifestError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"cannot read the lock: {exc.strerror or exc}", path=str(path), subtype="lock") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError("the lock is not valid UTF-8", path=str(path), subtype="lock") from None
    return parse_lock(text, path=str(path))


def format_lock(commits: Mapping[str, str], entries: Mapping[str, Mapping[str, str]]) -> str:
    """The lock's text: upstreams sorted, each with its commit first and its ranges sorted."""
    out = [_HEADER]
    for upstream in sorted(set(commits) | set(entries)):
        out.append(f"\n[{upstream if _BARE_KEY_RE.fullmatch(upstream) else json.dumps(upstream)}]\n")
        out.append(f"commit = {json.dumps(commits.get(upstream, ''))}\n")
        for key, digest in sorted(entries.get(upstream, {}).items(), key=lambda kv: _range_order(kv[0])):
            out.append(f"{json.dumps(key, ensure_ascii=False)} = {json.dumps(digest)}\n")
    return "".join(out)


def _range_order(key: str) -> tuple[str, int, int]:
    path, _, lines = key.rpartition(":")
    first, _, last = lines.partition("-")
    try:
        return (path, int(first), int(last or first))
    except ValueError:
        return (key, 0, 0)
