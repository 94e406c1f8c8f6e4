"""Parsing and validating citation targets: ``upstream:path:start-end``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import TargetError

__all__ = ["CitationTarget", "parse_anchor", "parse_target", "split_title", "validate_relpath"]

_UPSTREAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LINES_RE = re.compile(r"^(\d{1,18})(?:-(\d{1,18}))?$")
_ANCHOR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
MAX_PATH_CHARS = 1024
MAX_COMPONENT_CHARS = 255


@dataclass(frozen=True, order=True)
class CitationTarget:
    """A parsed, validated citation target. Lines are 1-based and inclusive."""

    upstream: str
    path: str
    start: int
    end: int

    def __str__(self) -> str:
        lines = str(self.start) if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.upstream}:{self.path}:{lines}"

    @property
    def lines_label(self) -> str:
        """``74`` or ``74–80`` (en dash), for display."""
        return str(self.start) if self.start == self.end else f"{self.start}\u2013{self.end}"


def validate_relpath(path: str) -> str:
    """Return ``path`` if it is a safe, normalised path relative to a checkout.

    Refuses what could name a file outside the checkout or be mistaken for
    something else: empty, absolute, ``~``, ``..``/``.`` components, empty
    components, backslashes, NUL and control characters, URL-encoding,
    colons, option-shaped paths and over-long paths.
    """
    if not path:
        raise TargetError("the path is empty", subtype="bad_path")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        raise TargetError("the path contains a NUL or control character", subtype="bad_path")
    if "\ufffd" in path:
        # what a reader puts for a NUL or an undecodable byte (markdown-it does so for NUL)
        raise TargetError("the path contains U+FFFD, the mark of a NUL or undecodable byte", subtype="bad_path")
    shown = path if len(path) <= 80 else path[:77] + "..."
    if len(path) > MAX_PATH_CHARS:
        raise TargetError(f"the path is longer than {MAX_PATH_CHARS} characters", subtype="bad_path")
    if path.startswith("/"):
        raise TargetError(
            f"the path {shown!r} is absolute; write it relative to the repository root", subtype="bad_path"
        )
    if path.startswith("~"):
        raise TargetError(
            f"the path {shown!r} starts with '~'; write it relative to the repository root", subtype="bad_path"
        )
    if "\\" in path:
        raise TargetError(f"the path {shown!r} contains a backslash; use '/'", subtype="bad_path")
    if _PERCENT_RE.search(path):
        raise TargetError(f"the path {shown!r} is URL-encoded; write the plain path", subtype="bad_path")
    if ":" in path:
        raise TargetError(f"the path {shown!r} contains ':'", subtype="bad_path")
    if path.startswith("-"):
        raise TargetError(f"the path {shown!r} starts with '-'", subtype="bad_path")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise TargetError(
                f"the path {shown!r} is not normalised (empty, '.' or '..' component)", subtype="bad_path"
            )
        if len(part) > MAX_COMPONENT_CHARS:
            raise TargetError(
                f"a component of the path is longer than {MAX_COMPONENT_CHARS} characters", subtype="bad_path"
            )
    return path


def parse_target(text: str, *, known_upstreams: frozenset[str] | None = None) -> CitationTarget:
    """Parse ``upstream:path:N`` or ``upstream:path:N-M`` into a target.

    Raises :class:`TargetError` with subtype ``bad_target``, ``bad_path``,
    ``bad_lines`` or ``unknown_upstream``.
    """
    text = text.strip()
    if not text:
        raise TargetError("the citation target is empty", subtype="empty_target")
    upstream, sep, rest = text.partition(":")
    path, sep2, lines = rest.rpartition(":")
    if not sep or not sep2 or not upstream or not lines:
        raise TargetError(
            f"malformed citation target {text[:80]!r}: expected 'upstream:path:LINE' or 'upstream:path:START-END'",
            subtype="bad_target",
        )
    if not _UPSTREAM_RE.match(upstream):
        raise TargetError(f"malformed upstream name {upstream[:40]!r}", subtype="bad_target")
    if known_upstreams is not None and upstream not in known_upstreams:
        names = ", ".join(sorted(known_upstreams)) or "none"
        raise TargetError(f"unknown upstream {upstream!r} (known: {names})", subtype="unknown_upstream")
    validate_relpath(path)
    match = _LINES_RE.match(lines)
    if not match:
        raise TargetError(
            f"malformed line spec {lines[:40]!r}: expected N or START-END with 1 <= START <= END",
            subtype="bad_lines",
        )
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    if start < 1:
        raise TargetError("line numbers start at 1, not 0", subtype="bad_lines")
    if end < start:
        raise TargetError(f"reversed line range {start}-{end}", subtype="bad_lines")
    return CitationTarget(upstream, path, start, end)


def parse_anchor(title: str) -> str | None:
    """Return the symbol anchor named by a role title, or ``None``.

    A title that is a dotted Python name (optionally followed by ``()``) is
    a symbol anchor; anything else is display text only.
    """
    title = title.strip()
    if title.endswith("()"):
        title = title[:-2]
    return title if _ANCHOR_RE.match(title) else None


def split_title(text: str) -> tuple[str, str]:
    """Split role text ``Title <target>`` into ``(title, target)``; no title gives ``("", text)``."""
    stripped = text.strip()
    if stripped.endswith(">") and "<" in stripped:
        title, _, target = stripped[:-1].rpartition("<")
        return title.strip(), target
    return "", text
