"""Citations in an ``{eval-rst}`` block: reStructuredText roles and directives, outside
literal blocks, comments and code directives."""

from __future__ import annotations

import re

from .found import CITE_NAMES, OPAQUE_BODY, FoundCitation
from .quotes import shows_quotes

__all__: list[str] = []

#: reStructuredText, as MyST hands an ``{eval-rst}`` block to docutils: a role, a directive,
#: an option line, inline literals, and a line that opens a literal block or a comment.
_RST_ROLE = re.compile(r"(?<![\w`\\]):((?:pp:)?(?:cite|count)):`([^`]+)`", re.IGNORECASE)
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:+-]+)::(.*)$")
_RST_SYMBOL = re.compile(r"^\s*:(symbol|shows):\s*(.*?)\s*$")
_RST_LITERAL = re.compile(r"``.+?``")
_RST_OPAQUE = OPAQUE_BODY | {"code-block", "code", "sourcecode", "literalinclude", "math", "raw"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _scan_rst(content: str, line0: int, name: str, found: list[FoundCitation]) -> None:
    """The citations of an ``{eval-rst}`` block whose first line is 0-based page line ``line0``.

    Read line by line: roles (not in inline literals), ``cite`` directives with their
    ``:symbol:`` option, and nothing in literal blocks (after ``::``), comments or the
    bodies of code directives. A role is found on one line only.
    """
    lines = content.split("\n")
    skip_deeper: int | None = None  # skip lines indented more than this (a literal block, a comment)
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if skip_deeper is not None:
            if not line.strip() or _indent(line) > skip_deeper:
                continue
            skip_deeper = None
        directive = _RST_DIRECTIVE.match(line)
        if directive:
            kind = directive.group(2).lower()
            if kind in CITE_NAMES:
                at, anchor = line0 + index, {"symbol": "", "shows": ""}
                while index < len(lines) and lines[index].strip() and _indent(lines[index]) > len(directive.group(1)):
                    option = _RST_SYMBOL.match(lines[index])
                    if option:
                        anchor[option.group(1)] = option.group(2)
                    index += 1
                symbol = " ".join(f"{anchor['symbol']} {shows_quotes(anchor['shows'])}".split())
                found.append(FoundCitation(name, at, f"{directive.group(3).strip()}\x00{symbol}", directive=True))
                continue
            if kind in _RST_OPAQUE:
                skip_deeper = len(directive.group(1))
                continue
        elif (line.lstrip().startswith(".. ") and line.lstrip()[3:4] not in ("[", "|")) or line.strip() == "..":
            skip_deeper = _indent(line)  # a comment or a target (a footnote's text is read)
            continue
        text = _RST_LITERAL.sub(lambda m: " " * len(m.group(0)), line)
        for role in _RST_ROLE.finditer(text):
            written = role.group(1).lower()
            found.append(
                FoundCitation(
                    name, line0 + index, role.group(2), bare=":" not in written, count=written.endswith("count")
                )
            )
        if line.rstrip().endswith("::"):
            skip_deeper = _indent(line)
