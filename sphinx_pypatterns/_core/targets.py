"""Parsing and validating citation targets: ``upstream:path:start-end``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .errors import TargetError
from .hints import did_you_mean
from .quotes import join_anchor, parse_quotes, split_anchor

__all__ = [
    "CitationKey",
    "CitationTarget",
    "anchor_occurs",
    "parse_anchor",
    "parse_target",
    "split_title",
    "url_path",
    "validate_relpath",
    "visible",
    "without_lines",
]

_UPSTREAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LINES_RE = re.compile(r"^(\d{1,18})(?:-(\d{1,18}))?$")
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
MAX_PATH_CHARS = 1024
MAX_COMPONENT_CHARS = 255
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

#: Invisible characters that are not of category Cf (which is refused whole): the other
#: Default_Ignorable_Code_Points of Unicode (fillers, variation selectors, the grapheme
#: joiner) and the blank braille pattern.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
#: Look-alikes of the characters that give a target its structure: a path holding one
#: reads as folders (``/``), a backslash or a colon that it does not have.
_LOOKALIKES = {
    "/": "\u2044\u2215\u2571\u29f8\uff0f",
    "\\": "\u2216\u2572\u29f5\u29f9\ufe68\uff3c",
    ":": "\u02f8\u2236\ua789\ufe13\ufe55\uff1a",
}
_LOOKALIKE_OF = {ch: of for of, chars in _LOOKALIKES.items() for ch in chars}


@dataclass(frozen=True, order=True)
class CitationTarget:
    """A parsed, validated citation target. Lines are 1-based and inclusive; ``start`` and ``end``
    are 0 for a target without lines, which cites its symbol's span (:func:`parse_target`)."""

    upstream: str
    path: str
    start: int
    end: int

    def __str__(self) -> str:
        if not self.start:
            return f"{self.upstream}:{self.path}"
        lines = str(self.start) if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.upstream}:{self.path}:{lines}"

    @property
    def lines_label(self) -> str:
        """``74`` or ``74–80`` (en dash), for display."""
        return lines_label(self.start, self.end)


class CitationKey(NamedTuple):
    """What a citation's verdict depends on, besides the pin: the one key of every verdict
    (the build's records, the background verifier's answers, ``pypatterns check``)."""

    upstream: str
    path: str
    start: int
    end: int
    symbol: str

    @property
    def target(self) -> CitationTarget:
        return CitationTarget(self.upstream, self.path, self.start, self.end)

    def file_order(self) -> tuple[str, str, int, int, str]:
        """File by file, each file's upstreams together: a blob two upstreams share is parsed once."""
        return self.path, self.upstream, self.start, self.end, self.symbol


def lines_label(start: int, end: int) -> str:
    """``74`` or ``74–80`` (en dash): a line range as every output shows it."""
    return str(start) if start == end else f"{start}\u2013{end}"


def _refused_char(ch: str) -> str:
    """Why ``ch`` may not be in a path (naming its code point), or ``""``."""
    category = unicodedata.category(ch)
    point = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    named = f"{point} {name}" if name else point
    if category == "Cc":
        return f"{point}, a NUL or control character" if ch == "\0" else f"{point}, a control character"
    if category == "Cs":
        return f"{point}, a lone surrogate (the mark of an undecodable byte)"
    if category == "Cf":
        return f"{named}, an invisible formatting character (bidirectional control, zero-width or tag)"
    if category in ("Zl", "Zp"):
        return f"{named}, an invisible line or paragraph separator"
    if ch in _INVISIBLE:
        return f"{named}, an invisible character"
    if ch in _LOOKALIKE_OF:
        return f"{named}, which looks like {_LOOKALIKE_OF[ch]!r}"
    return ""


def _check_characters(path: str) -> None:
    """Refuse control, invisible and look-alike characters, naming the first one and its place."""
    if path.isascii():
        found = _ASCII_CONTROL_RE.search(path)
        if found is None:
            return
        candidates: list[tuple[int, str]] = [(found.start(), found.group())]
    else:
        candidates = [(i, ch) for i, ch in enumerate(path) if ord(ch) < 32 or ord(ch) >= 127]
    for index, ch in candidates:
        reason = _refused_char(ch)
        if reason:
            raise TargetError(
                f"the path contains {reason} at character {index + 1}; a path must read as the file it names",
                subtype="bad_path",
            )


def visible(text: str) -> str:
    """``text`` for a message: every character a path may not hold (control, invisible, look-alike) escaped.

    A bidirectional override echoed raw would reorder the rest of the
    warning's line on a terminal (its subtype included); ``\\u202e`` cannot.
    """
    if text.isascii() and _ASCII_CONTROL_RE.search(text) is None:
        return text
    return "".join(_escape(ch) if _refused_char(ch) else ch for ch in text)


def _escape(ch: str) -> str:
    point = ord(ch)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def url_path(path: str) -> str:
    """Percent-encode a relative path for a URL: every component as UTF-8, keeping the ``/`` between them.

    Only the unreserved characters (letters, digits, ``-._~``) stay as they
    are, so a ``#``, ``?``, ``%``, space or non-ASCII character in a file's
    name is never read as a fragment, a query or an escape. Every URL that
    holds a cited path is built with it.
    """
    from urllib.parse import quote  # here: a warm check builds no URL

    return quote(path, safe="/")


def validate_relpath(path: str) -> str:
    """Return ``path`` if it is a safe, normalised path relative to a checkout.

    Refuses what could name a file outside the checkout or be mistaken for
    something else: empty, absolute, ``~``, ``..``/``.`` components, empty
    components, backslashes, NUL and control characters, invisible
    characters (format characters such as bidirectional overrides and
    zero-width spaces, line and paragraph separators, other default-ignorable
    characters), look-alikes of ``/``, ``\\`` and ``:``, URL-encoding, colons,
    option-shaped paths and over-long paths.
    """
    if not path:
        raise TargetError("the path is empty", subtype="bad_path")
    _check_characters(path)
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


def parse_target(
    text: str, *, known_upstreams: frozenset[str] | None = None, symbol: str | None = None
) -> CitationTarget:
    """Parse ``upstream:path:N``, ``upstream:path:N-M``, or ``upstream:path`` into a target.

    ``upstream:path``, a target without lines, cites the whole span of its symbol
    anchor, as ``literalinclude``'s ``:pyobject:`` does: it is a Python file's, and
    its ``start`` and ``end`` are 0 until they are filled from the symbol's span
    (:func:`.fill.fill_range`). ``symbol`` is the citation's anchor: ``""`` (none)
    refuses a target without lines; ``None`` (a caller that parses the target alone,
    such as the build's role) leaves that to the caller, which checks it with the
    anchor.

    Raises :class:`TargetError` with subtype ``bad_target``, ``bad_path``,
    ``bad_lines`` or ``unknown_upstream``.
    """
    text = text.strip()
    if not text:
        raise TargetError("the citation target is empty", subtype="empty_target")
    upstream, sep, rest = text.partition(":")
    path, sep2, lines = rest.rpartition(":")
    if not sep2:  # no lines: a symbol-only target, checked below
        path = rest
    if not sep or not upstream or (not lines if sep2 else not path):
        raise TargetError(
            f"malformed citation target {text[:80]!r}: expected 'upstream:path:LINE' or 'upstream:path:START-END'",
            subtype="bad_target",
        )
    if not _UPSTREAM_RE.match(upstream):
        raise TargetError(f"malformed upstream name {upstream[:40]!r}", subtype="bad_target")
    if known_upstreams is not None and upstream not in known_upstreams:
        names = ", ".join(sorted(known_upstreams)) or "none"
        hint = did_you_mean(upstream, known_upstreams)
        raise TargetError(f"unknown upstream {upstream!r}{hint} (known: {names})", subtype="unknown_upstream")
    validate_relpath(path)
    if not sep2:
        _check_symbol_only(text, path, symbol)
        return CitationTarget(upstream, path, 0, 0)
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


def _check_symbol_only(text: str, path: str, symbol: str | None) -> None:
    """A target without lines is a Python file's, cited by a symbol anchor: else ``bad_target``, with the hint."""
    shown = text[:80]
    expected = "expected 'upstream:path:LINE' or 'upstream:path:START-END'"
    if not path.endswith((".py", ".pyi")):
        raise TargetError(
            f"the citation target {shown!r} has no lines: {expected} (only a Python file "
            "may be cited without lines, by a symbol anchor)",
            subtype="bad_target",
        )
    if symbol is not None and not split_anchor(symbol)[0]:  # no symbol (a quote gives no span)
        raise TargetError(
            f"the citation target {shown!r} has no lines, and the citation no symbol anchor to take them from: "
            f"{expected}, or name the symbol ({{cite}}`Name <{shown}>`, or ':symbol: Name' on a cite directive)",
            subtype="bad_target",
        )


def without_lines(text: str) -> bool:
    """Is ``text``, a target that :func:`parse_target` accepted, one without lines (``upstream:path``)?

    Neither an upstream name nor a path holds a colon: a target with lines has two.
    """
    return text.count(":") == 1


def parse_anchor(title: str) -> str | None:
    """Return the symbol anchor named by a role title, or ``None``.

    A title that is a dotted Python name (optionally followed by ``()``) is
    a symbol anchor; one made of double-quoted strings, after such a name or
    alone, is a quote anchor too (:mod:`.quotes`); anything else is display
    text only. Names are Python's
    identifiers, Unicode included (``Naïve.méthode``), checked per dotted
    part with :meth:`str.isidentifier`, and returned in NFKC, the form in
    which Python compares identifiers (so a decomposed ``Naïve`` or the
    ligature in ``ﬁle`` name what ``class Naïve`` and ``file`` define).
    """
    parsed = parse_quotes(title)
    if parsed is None:
        return None  # an unclosed or empty quote, or text after one: display text
    name, quotes = parsed
    if not name:
        return join_anchor("", quotes) if quotes else None
    if name.endswith("()"):
        name = name[:-2]
    if not name or not all(part.isidentifier() for part in name.split(".")):
        return None
    return join_anchor(name if name.isascii() else unicodedata.normalize("NFKC", name), quotes)


def anchor_occurs(anchor: str, lines: Iterable[str]) -> bool:
    """Does the anchor (as :func:`parse_anchor` returns it, in NFKC) occur in one of ``lines``?

    Each line is also compared in NFKC, so an anchor written with a ligature
    or a decomposed accent matches the text as the file spells it.
    """
    return any(
        anchor in line or (not line.isascii() and anchor in unicodedata.normalize("NFKC", line)) for line in lines
    )


def split_title(text: str) -> tuple[str, str]:
    """Split role text ``Title <target>`` into ``(title, target)``; no title gives ``("", text)``."""
    stripped = text.strip()
    if stripped.endswith(">") and "<" in stripped:
        title, _, target = stripped[:-1].rpartition("<")
        return title.strip(), target
    return "", text
