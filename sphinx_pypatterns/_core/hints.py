"""The "did you mean" part of a warning about a name that names nothing (no Sphinx imports).

Every warning about an unknown symbol, pattern, id, upstream, area, option or file
suggests the nearest names that do exist, found with :func:`difflib.get_close_matches`
on case-folded names (so ``httperror`` finds ``HTTPError``). Computed only when a
warning is given, never on the happy path.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher, get_close_matches

__all__ = ["close_matches", "did_you_mean", "quoted"]

#: How alike (:class:`difflib.SequenceMatcher` ratio) a name must be to be suggested.
CUTOFF = 0.6
#: A name less alike than the nearest by more than this is not suggested beside it.
BEHIND_NEAREST = 0.1


def close_matches(word: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` of ``candidates`` nearest to ``word``, nearest first; ``word`` itself never.

    Only those about as near as the nearest (:data:`BEHIND_NEAREST`): ``pkg/erors.py`` gets
    ``pkg/errors.py``, not also ``pkg/escape.py``.
    """
    by_fold: dict[str, list[str]] = {}
    for name in candidates:
        if name != word:
            by_fold.setdefault(name.casefold(), []).append(name)
    folded = word.casefold()
    found = get_close_matches(folded, list(by_fold), n=n, cutoff=CUTOFF)
    if not found:
        return []
    nearest = SequenceMatcher(None, folded, found[0]).ratio()
    near = [key for key in found if SequenceMatcher(None, folded, key).ratio() >= nearest - BEHIND_NEAREST]
    return [name for key in near for name in sorted(by_fold[key])][:n]


def quoted(names: list[str], joiner: str = "or") -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'``."""
    shown = [repr(name) for name in names]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {joiner} {shown[-1]}"


def did_you_mean(word: str, candidates: Iterable[str], *, n: int = 3) -> str:
    """`` (did you mean 'X'?)`` naming the nearest candidates, or ``""`` when none is near."""
    found = close_matches(word, candidates, n=n)
    return f" (did you mean {quoted(found)}?)" if found else ""
