"""A symbol-only citation's lines (``{cite}`Name <upstream:path.py>```): its symbol's one span,
filled in before the citation is verified, by the build, ``pypatterns check`` and ``pypatterns fix``."""

from __future__ import annotations

from .errors import PypatternsError
from .targets import CitationKey, lines_label
from .verify import Verdict, Verifier

__all__ = ["ambiguous", "fill_range", "spans_label"]


def fill_range(verifier: Verifier, key: CitationKey) -> CitationKey | Verdict:
    """``key`` (a target without lines) with its symbol's span as its lines, or the failed verdict.

    A symbol defined more than once in the file is ``ambiguous_symbol``: which one is
    meant is the author's to say, with the lines; one defined nowhere is
    ``unknown_symbol``. A file that cannot be read or parsed has the verifier's verdict.
    """
    try:
        spans = verifier.spans(key.target, key.symbol)
    except PypatternsError:
        return verifier.verify(key.target, key.symbol)
    if len(spans) == 1:
        start, end = spans[0]
        return key._replace(start=start, end=end)
    if spans:
        return ambiguous(key, spans)
    return Verdict(
        False,
        "unknown_symbol",
        f"no symbol {key.symbol!r} is defined in {key.upstream}:{key.path}, so the citation has no lines",
    )


def ambiguous(key: CitationKey, spans: list[tuple[int, int]]) -> Verdict:
    """The verdict on a citation whose symbol has several spans, when its lines are to be filled."""
    return Verdict(
        False,
        "ambiguous_symbol",
        f"`{key.symbol}` is defined {len(spans)} times in {key.upstream}:{key.path} ({spans_label(spans)}): "
        "write the lines of the one cited",
    )


def spans_label(spans: list[tuple[int, int]]) -> str:
    """``lines 7–9; line 12``: a symbol's spans, for messages."""
    return "; ".join(f"lines {lines_label(a, b)}" if a != b else f"line {a}" for a, b in spans)
