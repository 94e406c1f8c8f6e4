"""Quote anchors: the exact code a citation is about, checked inside its range. Free of Sphinx imports.

A citation's anchor is written as its role's title or its directive's ``:symbol:`` and
``:shows:``: an optional dotted Python name, then any number of double-quoted strings
(``Response.raise_for_status "raise HTTPStatusError"``). Inside a quote, ``\\"`` is a double
quote and ``\\\\`` a backslash. The anchor is kept as one string in that form (canonical: one
space between parts), so every key, cache and record that held a symbol holds it unchanged.

A quote is found when its text, with every run of whitespace read as one space, occurs in the
cited lines read the same way (joined by spaces): a quote may cross a line break.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

__all__ = ["join_anchor", "nearest_text", "parse_quotes", "quote_found", "quote_lines", "shows_quotes", "split_anchor"]

_QUOTE_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def parse_quotes(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``(what comes before the first quote, the quotes)``; ``None`` when a quote is unclosed or
    empty, or text stands between or after the quotes."""
    first = text.find('"')
    if first < 0:
        return text.strip(), ()
    head, rest = text[:first].strip(), text[first:]
    quotes = []
    pos = 0
    for match in _QUOTE_RE.finditer(rest):
        if rest[pos : match.start()].strip():
            return None
        quote = " ".join(_unescape(match.group(1)).split())
        if not quote:
            return None
        quotes.append(quote)
        pos = match.end()
    if not quotes or rest[pos:].strip():
        return None
    return head, tuple(quotes)


def shows_quotes(value: str) -> str:
    """A ``:shows:`` value as quotes: ``"a" "b"`` as written; a value not in quotes is one quote
    (the options reader drops the quotes of a value that is wholly one quoted string)."""
    value = " ".join(value.split())
    if not value or value.startswith('"'):
        return value
    return f'"{_escape(value)}"'


def join_anchor(symbol: str, quotes: Sequence[str]) -> str:
    return " ".join([symbol] * bool(symbol) + [f'"{_escape(q)}"' for q in quotes])


def split_anchor(anchor: str) -> tuple[str, tuple[str, ...]]:
    """An anchor as :func:`join_anchor` writes it: ``(symbol, quotes)``."""
    if '"' not in anchor:
        return anchor, ()
    parsed = parse_quotes(anchor)
    return parsed if parsed is not None else (anchor, ())


def _joined(lines: Sequence[str]) -> tuple[str, list[int]]:
    """The lines as one whitespace-normalised string, and where each line starts in it."""
    starts, parts, at = [], [], 0
    for line in lines:
        words = " ".join(line.split())
        starts.append(at)
        if words:
            parts.append(words)
            at += len(words) + 1
    return " ".join(parts), starts


def quote_found(quote: str, lines: Sequence[str]) -> bool:
    return " ".join(quote.split()) in _joined(lines)[0]


def quote_lines(quote: str, lines: Sequence[str]) -> list[int]:
    """The 0-based indices of the lines the first occurrence of ``quote`` covers (none: not found)."""
    text, starts = _joined(lines)
    want = " ".join(quote.split())
    at = text.find(want)
    if at < 0:
        return []
    end = at + len(want)
    covered = []
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else len(text) + 1
        if start < end and at < stop and lines[index].strip():
            covered.append(index)
    return covered


def nearest_text(quote: str, lines: Sequence[str]) -> str:
    """The line of ``lines`` nearest to ``quote`` (stripped, at most 80 characters); ``""`` for none."""
    candidates = [line.strip() for line in lines if line.strip()]
    if not candidates:
        return ""
    best = max(candidates, key=lambda c: difflib.SequenceMatcher(None, quote, c, autojunk=False).ratio())
    return best if len(best) <= 80 else best[:77] + "..."
