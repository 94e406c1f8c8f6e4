"""Counted quantifiers: how often a pattern occurs in an upstream's files at the pin. Free of Sphinx imports.

A count is written ``{count}`N <upstream:GLOB:PATTERN>``` and renders ``N``; the build counts
the matches at the pin on every build and reports ``count_mismatch`` when the number is not
``N``, so a sentence built on it cannot go stale.

- ``GLOB`` selects files by their path in the checkout: ``*`` and ``?`` match within one path
  segment, ``**`` any number of segments (``src/**/*.py``: every ``.py`` file under ``src``).
  It holds no ``:``.
- ``PATTERN`` is everything after the second ``:``. Written between slashes (``/raise \\w+Error/``)
  it is a Python regular expression, matched over each file's text with ``re.MULTILINE``;
  otherwise it is a literal string, matched within each line. Matches do not overlap.

Files that cannot be read as text (binary, not UTF-8) are skipped and counted apart. Counts are
kept per file and pattern for the verifier's life (one pin): a file two counts share is read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import PypatternsError, TargetError
from .targets import split_title, validate_relpath
from .verify import Verifier

__all__ = [
    "CountResult",
    "CountSpec",
    "count_many",
    "count_matches",
    "expected_number",
    "glob_regex",
    "mismatch_message",
    "parse_count",
    "read_count",
]

_UPSTREAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Matched locations a result keeps (the count itself is exact).
MAX_LOCATIONS = 200


@dataclass(frozen=True)
class CountSpec:
    upstream: str
    glob: str
    pattern: str
    regex: bool

    def __str__(self) -> str:
        return f"{self.upstream}:{self.glob}:{self.pattern}"


@dataclass(frozen=True)
class CountResult:
    count: int
    files: int  #: files the glob selected
    skipped: int = 0  #: of those, files not read as text
    locations: tuple[tuple[str, int], ...] = field(default=())  #: (path, line) of the first matches


def glob_regex(glob: str) -> re.Pattern[str]:
    """A path glob as a regular expression over whole paths (see the module's rules)."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def parse_count(text: str) -> CountSpec:
    """Parse ``upstream:GLOB:PATTERN``. Raises :class:`TargetError` (``bad_count``)."""
    upstream, sep, rest = text.strip().partition(":")
    glob, sep2, pattern = rest.partition(":")
    if not sep or not sep2 or not upstream or not glob or not pattern:
        raise TargetError(
            f"malformed count {text.strip()[:80]!r}: expected 'upstream:GLOB:PATTERN' (PATTERN a literal, or /regex/)",
            subtype="bad_count",
        )
    if not _UPSTREAM_RE.match(upstream):
        raise TargetError(f"malformed upstream name {upstream[:40]!r}", subtype="bad_count")
    try:
        validate_relpath(glob.replace("**", "x").replace("*", "x").replace("?", "x"))
    except TargetError as exc:
        raise TargetError(f"the count's file glob {glob!r}: {exc.message}", subtype="bad_count") from None
    regex = len(pattern) >= 3 and pattern.startswith("/") and pattern.endswith("/")
    if regex:
        try:
            re.compile(pattern[1:-1], re.MULTILINE)
        except re.error as exc:
            raise TargetError(
                f"the count's regular expression {pattern!r} is invalid: {exc}", subtype="bad_count"
            ) from None
    return CountSpec(upstream, glob, pattern, regex)


def expected_number(title: str, target: str) -> int:
    """The number a count role states (its title). Raises :class:`TargetError` (``bad_count``)."""
    if not title.strip().isdigit():
        raise TargetError(
            f"a count states the number it expects: {{count}}`N <{target.strip()[:60]}>`", subtype="bad_count"
        )
    return int(title.strip())


def read_count(text: str) -> tuple[int, CountSpec]:
    """A count role's text, ``N <upstream:GLOB:PATTERN>``: the number it states and what it counts.

    Raises :class:`TargetError` (``bad_count``), the spec's error first, as the build reports it."""
    title, target = split_title(text)
    spec = parse_count(target)
    return expected_number(title, target), spec


def mismatch_message(expected: int, spec: str, found: int, files: int, skipped: int) -> str | None:
    """The ``count_mismatch`` message of a count that states ``expected`` and found ``found``; else ``None``."""
    if found == expected:
        return None
    where = f"{files} file(s)" + (f", {skipped} not read as text" if skipped else "")
    return (
        f"{{count}}`{expected} <{spec}>` counts {found} at the pin, not {expected} (in {where}): "
        f"write {found}, and read the sentence again"
    )


def _matches(spec: CountSpec, lines: list[str]) -> list[int]:
    """The 1-based line of every match in one file."""
    if not spec.regex:
        return [n for n, line in enumerate(lines, 1) for _ in range(line.count(spec.pattern))]
    text = "\n".join(lines)
    found = []
    for match in re.finditer(spec.pattern[1:-1], text, re.MULTILINE):
        if match.end() > match.start():  # an empty match counts nothing
            found.append(text.count("\n", 0, match.start()) + 1)
    return found


def _chosen(listing: frozenset[str], spec: CountSpec) -> list[str]:
    matcher = glob_regex(spec.glob).match
    return sorted(p for p in listing if matcher(p))


def count_many(verifier: Verifier, specs: list[CountSpec]) -> dict[CountSpec, CountResult | PypatternsError]:
    """Count every spec, reading each selected file once for all the specs that select it; a spec
    whose checkout cannot be listed gets the error."""
    results: dict[CountSpec, CountResult | PypatternsError] = {}
    by_upstream: dict[str, list[CountSpec]] = {}
    for spec in dict.fromkeys(specs):
        by_upstream.setdefault(spec.upstream, []).append(spec)
    for upstream, group in sorted(by_upstream.items()):
        listing = verifier.listing(upstream)
        if listing is None:
            error = _unlisted(verifier, upstream)
            results.update({spec: error for spec in group})
            continue
        chosen = {spec: _chosen(listing, spec) for spec in group}
        for path in sorted({p for paths in chosen.values() for p in paths}):
            wanting = [
                s for s in group if path in chosen[s] and (upstream, path, s.pattern, s.regex) not in verifier.counts
            ]
            if not wanting:
                continue
            try:
                lines: list[str] | None = verifier.lines_of(upstream, path)
            except PypatternsError:
                lines = None
            for spec in wanting:
                verifier.counts[(upstream, path, spec.pattern, spec.regex)] = (
                    None if lines is None else _matches(spec, lines)
                )
        for spec in group:
            results[spec] = _tally(verifier, spec, chosen[spec])
    return results


def _unlisted(verifier: Verifier, upstream: str) -> PypatternsError:
    """Why the checkout of ``upstream`` cannot be listed: its own error, else a ``checkout_missing``."""
    try:
        verifier.checkout_for(upstream)
    except PypatternsError as exc:
        return exc
    return PypatternsError(f"the checkout of {upstream!r} cannot be listed", subtype="checkout_missing")


def _tally(verifier: Verifier, spec: CountSpec, chosen: list[str]) -> CountResult:
    """The result of ``spec`` over its ``chosen`` files, whose matches :func:`count_many` cached."""
    total, skipped = 0, 0
    locations: list[tuple[str, int]] = []
    for path in chosen:
        found = verifier.counts[(spec.upstream, path, spec.pattern, spec.regex)]
        if found is None:
            skipped += 1
            continue
        total += len(found)
        locations.extend((path, n) for n in found[: max(0, MAX_LOCATIONS - len(locations))])
    return CountResult(total, len(chosen), skipped, tuple(locations))


def count_matches(verifier: Verifier, spec: CountSpec) -> CountResult:
    """Count one spec at the pin. Raises :class:`PypatternsError` when the checkout cannot be listed."""
    result = count_many(verifier, [spec])[spec]
    if isinstance(result, PypatternsError):
        raise result
    return result
