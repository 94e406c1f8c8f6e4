"""Where a citation or reference is written: its page (or the included file) and its line.

Docutils and MyST give a role the line of its paragraph, and a directive's included file
its including page; the build reports each at the line where it is written, found again
in the page's text with the scanner ``pypatterns check`` uses.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from sphinx.environment import BuildEnvironment

__all__ = ["directive_line", "included_source", "location_of", "role_line"]


def included_source(env: BuildEnvironment, source: str | os.PathLike[str] | None) -> str:
    """``""`` when ``source`` is the page being read, else that file's path relative to the source folder.

    Text brought in with ``{include}`` is parsed with the included file as its source
    (MyST numbers its lines from that file's first line): warnings about it name that file.
    """
    if not source or not env.docname:
        return ""
    source = os.fspath(source)
    known: dict[str, str] = env.temp_data.setdefault("pp_included", {})  # type: ignore[assignment]
    found = known.get(source)
    if found is None:
        page = os.path.normcase(os.path.abspath(env.doc2path(env.docname)))
        here = os.path.normcase(os.path.abspath(source))
        found = "" if here == page else Path(os.path.relpath(os.path.abspath(source), env.srcdir)).as_posix()
        known[source] = found
    return found


def location_of(env: BuildEnvironment, docname: str, source: str, line: int) -> tuple[str, int] | str:
    """Where to report line ``line`` of ``docname``, or of the included file ``source`` (see above)."""
    if not source:
        return docname, line
    # a string location is printed as it is (a docname is one without a colon)
    return f"{os.path.normpath(os.path.join(env.srcdir, source))}:{line}"


@dataclass
class _Text:
    """A page's (or an included file's) text as MyST reads it, for :func:`role_line`."""

    text: str
    starts: list[int]  # offset of the start of every line
    blanks: list[int]  # index of every blank line: no paragraph goes past one
    cursors: dict[str, int] = field(default_factory=dict)  # role text -> offset past its last match
    last: int = 0  # the offset past the last role placed: the next role of its paragraph is further on
    myst: bool = True  # read by MyST (not an rST page): its citations are found by ``scan_page``
    scanned: _Scanned | None = None  # made on the first citation placed in it

    @classmethod
    def of(cls, text: str) -> _Text:
        # as markdown-it reads it: CRLF and CR end lines, NUL becomes U+FFFD
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
        lines = text.split("\n")
        starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        return cls(text, starts, [i for i, line in enumerate(lines) if not line.strip()])

    def paragraph_end(self, line: int) -> int:
        """The offset of the first blank line at or after ``line`` (1-based): a paragraph ends there."""
        after = bisect_left(self.blanks, line - 1)
        return self.starts[self.blanks[after]] if after < len(self.blanks) else len(self.text)

    def place(self, key: str, reported: int, *, again: bool) -> int | None:
        """The line of the next citation written as ``key`` (see :func:`_key`) not yet placed,
        after the last one placed and from line ``reported - LOOK_BACK`` to the first blank
        line after ``reported``; ``None`` if there is none.

        The lines are those ``pypatterns check`` reports (:func:`._scan.scan_page`, MyST's own
        tokenizer, run on this text once). MyST reports a role at its block's first line,
        above it, and numbers some text below where it is written (see :data:`LOOK_BACK`);
        the build reads a file's citations in their order, so the next one not yet placed
        in that window is this one. ``again``: a file read twice (included twice in a page)
        starts over when every citation of its window is placed.
        """
        if self.scanned is None:
            self.scanned = _Scanned.of(self.text if self.myst else "")
        scanned = self.scanned
        after = bisect_left(self.blanks, reported)  # the first blank line below line ``reported``
        high = self.blanks[after] + 1 if after < len(self.blanks) else len(self.starts)
        low = reported - LOOK_BACK
        found = scanned.take(key, max(low, scanned.last), high)
        if found is None and again and scanned.any_in(key, low, high):
            scanned.restart()  # the file is read again
            found = scanned.take(key, low, high)
        if found is not None:
            scanned.last = found
        return found


#: How far below its line MyST may report a citation: a directive's title one line (the
#: text of ``versionadded`` and the like two), and one more for each colon-fenced body
#: around it that opens with a nested fence (MyST puts a blank line before such a body).
LOOK_BACK = 8


@dataclass
class _Scanned:
    """The citations of a file as ``scan_page`` finds them: the lines of each written text, in order."""

    lines: dict[str, list[int]]
    after: dict[str, list[int]]  # index -> an index at or before the next unplaced one (a union-find)
    last: int = 0  # the line of the last citation placed: the build reads them in order

    def restart(self) -> None:
        """Every citation unplaced again."""
        self.after = {key: list(range(len(each) + 1)) for key, each in self.lines.items()}
        self.last = 0

    @classmethod
    def of(cls, text: str) -> _Scanned:
        from .._core.scan import scan_page  # the tokenizer, loaded on the first citation only

        lines: dict[str, list[int]] = {}
        for found in scan_page("", text):
            if found.directive:
                key = _key(found.raw.partition("\x00")[0], directive=True)
            else:
                key = _key(found.raw)
            lines.setdefault(key, []).append(found.line)
        for each in lines.values():
            each.sort()  # in page order (a directive's claim comes with it)
        return cls(lines, {key: list(range(len(each) + 1)) for key, each in lines.items()})

    def _next(self, key: str, index: int) -> int:
        """The first unplaced index at or after ``index`` (``len``: none)."""
        after = self.after[key]
        root = index
        while after[root] != root:
            root = after[root]
        while after[index] != root:  # path compression: each index is skipped once
            after[index], index = root, after[index]
        return root

    def take(self, key: str, low: int, high: int) -> int | None:
        """Place the first unplaced citation ``key`` on lines ``low`` to ``high``; its line."""
        lines = self.lines.get(key)
        if not lines:
            return None
        index = self._next(key, bisect_left(lines, low))
        if index >= len(lines) or lines[index] > high:
            return None
        self.after[key][index] = index + 1
        return lines[index]

    def any_in(self, key: str, low: int, high: int) -> bool:
        """Whether some citation ``key``, placed or not, is on lines ``low`` to ``high``."""
        lines = self.lines.get(key, [])
        index = bisect_left(lines, low)
        return index < len(lines) and lines[index] <= high


def _key(text: str, *, directive: bool = False) -> str:
    """What a citation is matched by: a role's text or a directive's target, white space made one space."""
    return ("d " if directive else "r ") + " ".join(text.split())


def _source_text(env: BuildEnvironment, source: str) -> _Text | None:
    texts: dict[str, _Text | None] = env.temp_data.setdefault("pp_role_texts", {})  # type: ignore[assignment]
    if source in texts:
        return texts[source]
    found: _Text | None = None
    if not source:
        lines: list[str] | None = env.temp_data.get("pp_source_lines")  # type: ignore[assignment]
        if lines is not None:  # kept by the source-read handler
            found = _Text.of("\n".join(lines))
    else:
        # an included file: read again as MyST read it (lines are what matter, not bad bytes)
        try:
            found = _Text.of(Path(env.srcdir, source).read_text("utf-8", errors="replace"))
        except (OSError, ValueError):
            found = None
    if found is not None:
        found.myst = _is_myst(env, source)
    texts[source] = found
    return found


def _is_myst(env: BuildEnvironment, source: str) -> bool:
    """Whether MyST reads the page being read, or its included file ``source``.

    An included file is read as the page is, unless its name says reStructuredText.
    """
    suffixes = env.config.source_suffix  # a mapping once Sphinx has read the configuration
    kinds: dict[str, str] = dict(suffixes) if isinstance(suffixes, Mapping) else {}

    def kind(path: str) -> str:
        return kinds.get(os.path.splitext(path)[1].lower(), "")

    page = kind(os.fspath(env.doc2path(env.docname))) if env.docname else ""
    if source and (kind(source) == "restructuredtext" or source.lower().endswith(".rst")):
        return False
    return page != "restructuredtext"


def _matches(text: str, at: int, end: int, words: list[str]) -> int:
    """The offset past a role's closing backtick if its content, ``words``, starts at ``at``; else -1.

    MyST hands the role's content over with its line breaks made spaces: in the source any
    white space between two words may be a line break, followed by the next line's
    indentation and, in a block quote, its ``>``.
    """
    pos = at
    while pos < end and text[pos] == "`":
        pos += 1
    for word in [*words, "`"]:
        broke = False
        while pos < end and (text[pos].isspace() or (broke and text[pos] == ">")):
            broke = broke or text[pos] == "\n"
            pos += 1
        if not text.startswith(word, pos) or pos + len(word) > end:
            return -1
        pos += len(word)
    return pos


def role_line(env: BuildEnvironment, rawtext: str, reported: int, source: str = "") -> int:
    """The exact line of an inline role in its page, or in the included file ``source``.

    MyST reports every role of a paragraph at the paragraph's first line, ``reported``,
    and hands the role over as ``:name:`content```; the page holds ``{name}`content```
    (an rST page ``:name:`content```). A ``cite`` role is placed where ``pypatterns check``
    finds it (:meth:`_Text.place`: MyST's tokenizer, also for a role in a directive's
    title, which MyST numbers a line or two down). Any other role, and a citation that
    the scan does not hold, is where its text next occurs in its paragraph, which ends at
    the next blank line, past the roles of the same text already placed (else in the two
    lines above, a title): exact at any depth of a page, for a role split across lines too.
    """
    text = _source_text(env, source)
    if text is None or not 1 <= reported <= len(text.starts):
        return reported
    if not (rawtext.startswith(":") and ":`" in rawtext):
        return reported
    name, _, content = rawtext[1:].partition(":`")
    if name.lower() in ("cite", "pp:cite"):
        # where ``pypatterns check`` finds it: for a role in a directive's title too
        placed = text.place(_key(content.removesuffix("`")), reported, again=bool(source))
        if placed is not None:
            return placed
    words = content.removesuffix("`").split()
    first = text.starts[reported - 1]
    start = max(first, text.cursors.get(rawtext, 0))
    end = text.paragraph_end(reported)
    # a paragraph's roles come in order: look past the last one placed first, so that a
    # paragraph of thousands of roles is not searched from its start for each; and once
    # more from the paragraph's start (a file included twice in a page is read twice)
    spans = [(text.last, end), (start, text.last)] if start < text.last < end else [(start, end)]
    if start > first:
        spans.append((first, start))
    if reported > 1:  # MyST reports a directive's title one line down (versionadded: two)
        spans.append((text.starts[max(reported - 3, 0)], first))
    for low, high in spans:
        at, past = _find(text.text, name, words, (low, high), end)
        if at >= 0:
            text.cursors[rawtext] = text.last = past
            return bisect_right(text.starts, at)
    return reported


#: The opening fence of a MyST directive: its name.
_FENCE = re.compile(r"[\s>]*(?:`{3,}|~{3,}|:{3,})\s*\{([^}\s]+)\}")


def directive_line(env: BuildEnvironment, name: str, target: str | None, reported: int, source: str = "") -> int:
    """The exact line of a directive of ours, ``name``, in its page or the included file ``source``.

    MyST numbers the body of a colon fence that opens with a nested fence one line down
    (it puts a blank line before it): a directive there is reported a line below its
    fence, one more for each such body around it. A ``cite`` directive (``target``: its
    target) is placed where ``pypatterns check`` finds it (see :meth:`_Text.place`); any
    other directive at the nearest fence of its own name, on that line or above it.
    """
    text = _source_text(env, source)
    if text is None or not 1 <= reported <= len(text.starts):
        return reported
    if target is not None:
        placed = text.place(_key(target, directive=True), reported, again=bool(source))
        if placed is not None:
            return placed
    if not text.myst or reported < 2:
        return reported

    def fence(line: int) -> str:
        end = text.starts[line] - 1 if line < len(text.starts) else len(text.text)
        match = _FENCE.match(text.text, text.starts[line - 1], end)
        return match.group(1).lower().removeprefix("pp:") if match else ""

    name = name.lower().removeprefix("pp:")
    if fence(reported) == name:
        return reported
    for line in range(reported - 1, max(reported - LOOK_BACK, 1) - 1, -1):
        if fence(line) == name:
            return line
    return reported


def _find(text: str, name: str, words: list[str], span: tuple[int, int], end: int) -> tuple[int, int]:
    """Where the first role ``name`` of content ``words`` opening in ``span`` starts and ends; (-1, -1) if none."""
    low, high = span
    for opening in (f"{{{name}}}`", f":{name}:`"):
        at = text.find(opening, low, high)
        while at >= 0:
            past = _matches(text, at + len(opening), end, words)
            if past >= 0:
                return at, past
            at = text.find(opening, at + 1, high)
    return -1, -1
