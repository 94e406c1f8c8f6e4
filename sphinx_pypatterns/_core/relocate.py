"""Relocating citations from one pin of an upstream to the next: the core of ``pypatterns bump``.
Free of Sphinx imports.

Each citation is read at the old pin and looked for at the new one, through two verifiers:

- a symbol-anchored citation in a Python file: the symbol is resolved at the new pin, in the same
  file (or the file it was renamed to) and else in any Python file that defines it. A range that
  was the symbol's whole span becomes its new span; a part of it is mapped through a diff of the
  old span with the new one;
- any other citation: the same text is looked for in the new file (or the file it was renamed to,
  or a file of the same name), and else the lines are mapped through a diff of the old and new file.

Then it is classed, comparing the texts as the evidence lock does (:func:`.lock.normalised`):
*unchanged* (same path, lines and text), *moved* (the same text elsewhere), *changed* (the best
match differs: to review) or *vanished* (nothing to point at).
"""

from __future__ import annotations

import difflib
import posixpath
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .blobs import is_python
from .errors import PypatternsError
from .git import git_command
from .lock import normalised
from .quotes import quote_found, split_anchor
from .targets import CitationKey, CitationTarget
from .verify import Verifier

__all__ = ["CHANGED", "KINDS", "MOVED", "UNCHANGED", "VANISHED", "Relocation", "Relocator", "git_renames"]

UNCHANGED = "unchanged"
MOVED = "moved"
CHANGED = "changed"
VANISHED = "vanished"
#: The classes, in the order reports list them.
KINDS = (UNCHANGED, MOVED, CHANGED, VANISHED)


#: A changed citation's best match must share this much of its text (difflib's ratio of the
#: normalised texts); below it, what the diff points at is other code, and the citation vanished.
MIN_SIMILARITY = 0.3


def _similarity(old: Sequence[str], new: Sequence[str]) -> float:
    return difflib.SequenceMatcher(None, normalised(old), normalised(new), autojunk=False).ratio()


@dataclass(frozen=True)
class Relocation:
    """Where one citation goes at the new pin, and why."""

    old: CitationKey
    kind: str
    new: CitationKey | None  #: ``None``: vanished
    how: str  #: "symbol span", "part of the symbol, through a diff", "same text", "through a diff", …
    old_text: tuple[str, ...] = ()
    new_text: tuple[str, ...] = ()


def git_renames(repo: str, old: str, new: str) -> dict[str, str]:
    """Old path -> new path of the files git finds renamed between two commits of one repository
    (``git diff -M``); empty when git cannot tell. ``old`` and ``new`` are checked commit names."""
    argv, env = git_command(
        ["diff", "--no-ext-diff", "--no-textconv", "-M", "--name-status", "-z", old, new, "--"], git_dir=repo
    )
    try:
        done = subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    fields = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    renames: dict[str, str] = {}
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if status.startswith(("R", "C")) and i + 2 < len(fields):
            if status.startswith("R"):
                renames[fields[i + 1]] = fields[i + 2]
            i += 3
        else:
            i += 2
    return renames


class Relocator:
    """Relocates citations of one upstream from the ``old`` verifier's pin to the ``new`` one's."""

    def __init__(self, old: Verifier, new: Verifier, upstream: str, renames: Mapping[str, str] | None = None) -> None:
        self.old, self.new, self.upstream = old, new, upstream
        self.renames = dict(renames or {})
        #: (old path, new path) -> the line diff of the two files, made once
        self._opcodes: dict[tuple[str, str], Sequence[tuple[str, int, int, int, int]]] = {}

    # -- reading ---------------------------------------------------------------------------------
    def _lines(self, verifier: Verifier, path: str) -> list[str] | None:
        try:
            return verifier.lines_of(self.upstream, path)
        except PypatternsError:
            return None

    def _new_path(self, path: str) -> str | None:
        """The file's path at the new pin: the same, or the one it was renamed to; ``None``: neither."""
        listing = self.new.listing(self.upstream)
        for candidate in (path, self.renames.get(path)):
            if candidate and (candidate in listing if listing is not None else self._lines(self.new, candidate)):
                return candidate
        return None

    def _others(self, path: str, *, python: bool) -> list[str]:
        """Other files of the new tree that may hold what ``path`` held: the same name first."""
        listing = sorted(self.new.listing(self.upstream) or ())
        base = posixpath.basename(path)
        if python:
            same = [p for p in listing if p != path and p.endswith((".py", ".pyi"))]
        else:
            same = [p for p in listing if p != path and posixpath.basename(p) == base]
        return sorted(same, key=lambda p: (posixpath.basename(p) != base, p))

    # -- relocating ------------------------------------------------------------------------------
    def relocate(self, key: CitationKey) -> Relocation:
        old_lines = self._lines(self.old, key.path)
        if old_lines is None or key.end > len(old_lines) or key.start < 1:
            return Relocation(key, VANISHED, None, "not readable at the old pin")
        old_text = tuple(old_lines[key.start - 1 : key.end])
        symbol, quotes = split_anchor(key.symbol)
        if symbol and is_python(key.path):
            found = self._by_symbol(key, old_text)
        else:
            found = self._by_text(key, old_lines, old_text)
        if found is not None and quotes:
            found = self._by_quotes(found, quotes)
        if found is None:
            return Relocation(key, VANISHED, None, "nothing like it at the new pin", old_text)
        new, how = found
        new_lines = self._lines(self.new, new.path) or []
        new_text = tuple(new_lines[new.start - 1 : new.end])
        if normalised(old_text) != normalised(new_text):
            if _similarity(old_text, new_text) < MIN_SIMILARITY:
                return Relocation(
                    key, VANISHED, None, f"no similar text at the new pin ({how}: {new.path}:{new.start})", old_text
                )
            kind = CHANGED
        elif (new.path, new.start, new.end) == (key.path, key.start, key.end):
            kind = UNCHANGED
        else:
            kind = MOVED
        return Relocation(key, kind, new, how, old_text, new_text)

    def _spans(self, verifier: Verifier, path: str, symbol: str) -> list[tuple[int, int]]:
        try:
            return verifier.spans(CitationTarget(self.upstream, path, 1, 1), symbol)
        except PypatternsError:
            return []

    def _by_symbol(self, key: CitationKey, old_text: tuple[str, ...]) -> tuple[CitationKey, str] | None:
        old_spans = [s for s in self._spans(self.old, key.path, key.symbol) if s[0] <= key.start and key.end <= s[1]]
        if not old_spans:
            return None
        span = old_spans[0]
        old_lines = self._lines(self.old, key.path) or []
        span_text = old_lines[span[0] - 1 : span[1]]
        leaf = split_anchor(key.symbol)[0].rpartition(".")[2]
        path = self._new_path(key.path)
        candidates = [path] if path else []
        how = "symbol span"
        spans = self._spans(self.new, path, key.symbol) if path else []
        if not spans:
            how = "symbol found in another file"
            for other in self._others(key.path, python=True):
                lines = self._lines(self.new, other)
                if lines is None or not any(leaf in line for line in lines):
                    continue
                spans = self._spans(self.new, other, key.symbol)
                if spans:
                    candidates = [other]
                    break
        if not spans:
            return None
        new_path = candidates[0]
        new_lines = self._lines(self.new, new_path) or []
        # several spans (a name bound twice): the one whose text is nearest the old span's
        best = max(spans, key=lambda s: difflib.SequenceMatcher(None, span_text, new_lines[s[0] - 1 : s[1]]).ratio())
        if (key.start, key.end) == span:
            return key._replace(path=new_path, start=best[0], end=best[1]), how
        offset_start, offset_end = key.start - span[0], key.end - span[0]
        mapped = _map_range(span_text, new_lines[best[0] - 1 : best[1]], offset_start, offset_end)
        if mapped is None:
            return None
        return key._replace(path=new_path, start=best[0] + mapped[0], end=best[0] + mapped[1]), (
            "part of the symbol, through a diff"
        )

    def _by_quotes(self, found: tuple[CitationKey, str], quotes: tuple[str, ...]) -> tuple[CitationKey, str]:
        """A range whose quotes are not all in it moves, keeping its length, to the nearest place
        that holds them all (within the symbol's new span when it has one)."""
        new, how = found
        lines = self._lines(self.new, new.path) or []
        if all(quote_found(q, lines[new.start - 1 : new.end]) for q in quotes):
            return found
        size = new.end - new.start + 1
        places = [
            at
            for at in range(max(0, len(lines) - size) + 1)
            if all(quote_found(q, lines[at : at + size]) for q in quotes)
        ]
        if not places:
            return found  # classed by its text; the build then reports the quote
        at = min(places, key=lambda p: abs(p + 1 - new.start))
        return new._replace(start=at + 1, end=at + size), f"{how}, then to its quotes"

    def _by_text(
        self, key: CitationKey, old_lines: list[str], old_text: tuple[str, ...]
    ) -> tuple[CitationKey, str] | None:
        path = self._new_path(key.path)
        if path is not None:
            new_lines = self._lines(self.new, path) or []
            opcodes = self._opcodes.get((key.path, path))
            if opcodes is None:
                matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
                opcodes = self._opcodes[key.path, path] = list(matcher.get_opcodes())
            near = _map_range(old_lines, new_lines, key.start - 1, key.end - 1, opcodes)
            same = _occurrences(new_lines, old_text)
            if same:
                # the same text: where the diff puts it, else the nearest to where it was
                at = near[0] if near is not None else key.start - 1
                first = min(same, key=lambda s: abs(s - at))
                return key._replace(path=path, start=first + 1, end=first + len(old_text)), "same text"
            if near is not None:
                return key._replace(path=path, start=near[0] + 1, end=near[1] + 1), "through a diff"
            return None
        for other in self._others(key.path, python=False):
            lines = self._lines(self.new, other)
            if lines is None:
                continue
            same = _occurrences(lines, old_text)
            if len(same) == 1:
                return key._replace(
                    path=other, start=same[0] + 1, end=same[0] + len(old_text)
                ), "same text, another file"
        return None


def _occurrences(lines: Sequence[str], text: Sequence[str]) -> list[int]:
    """0-based starts of ``text`` in ``lines``, compared as the lock compares."""
    if not text:
        return []
    want = normalised(text)
    first = text[0].strip()
    n = len(text)
    return [i for i in range(len(lines) - n + 1) if lines[i].strip() == first and normalised(lines[i : i + n]) == want]


def _map_range(
    old: Sequence[str],
    new: Sequence[str],
    start: int,
    end: int,
    opcodes: Sequence[tuple[str, int, int, int, int]] | None = None,
) -> tuple[int, int] | None:
    """Map the 0-based inclusive range ``start``..``end`` of ``old`` into ``new`` through a line diff:
    a line kept maps to its place; a line replaced maps to its replacement (line for line when
    as many lines replace it, else the replacement's bounds). ``None``
    when every line of the range was deleted."""
    if opcodes is None:
        opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    first = last = None
    for tag, i1, i2, j1, j2 in opcodes:
        if i2 <= start or i1 > end:
            continue
        if tag == "equal":
            lo, hi = j1 + max(start, i1) - i1, j1 + min(end, i2 - 1) - i1
        elif tag == "replace" and i2 - i1 == j2 - j1:  # as many lines replaced as before: line for line
            lo, hi = j1 + max(start, i1) - i1, j1 + min(end, i2 - 1) - i1
        elif tag == "replace":
            lo, hi = j1, j2 - 1
        elif tag == "delete":
            continue
        else:  # "insert": no old lines
            continue
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
    if first is None or last is None or last < first:
        return None
    return first, last
