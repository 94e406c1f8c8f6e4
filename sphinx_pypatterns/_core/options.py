"""Reading a directive's options from its raw lines, the same way for every directive (no Sphinx imports).

MyST parses directive options as YAML-like text before a directive runs: ``#``
starts a comment, a leading quote starts a quoted string, and options it does
not know are dropped with warnings of its own. The directives of this package
declare no option spec, so MyST (and docutils) hand their option lines over
untouched as the first lines of the content, and :func:`read_options` reads
them: every value arrives whole, as the author wrote it. ``pypatterns check``
can read a directive's options with the same function, and so agree with the
build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

__all__ = ["OptionBlock", "option_value", "read_options"]

#: A ``:name: value`` option line (MyST's and docutils' field-list form).
_OPTION_RE = re.compile(r"^\s*:(?P<key>[^:\s`]+):(?P<value>.*)$")
#: A ``name: value`` line of a ``---`` option block.
_BLOCK_OPTION_RE = re.compile(r"^(?P<key>[^:\s#`][^:\s]*):(?:\s(?P<value>.*))?$")


def option_value(raw: str) -> str:
    """The author's value as written: white space trimmed, never converted as YAML would.

    A value that is one whole quoted string (``"…"`` with JSON escapes, or ``'…'``
    with ``''`` for a quote) loses its quotes; any other value is kept verbatim:
    ``#``, a leading quote, ``yes``, ``1e3`` and ``[a, b]`` included.
    """
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        inner = value[1:-1]
        if "'" not in inner.replace("''", ""):
            return inner.replace("''", "'")
    elif len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return decoded
    return value


@dataclass
class OptionBlock:
    """What :func:`read_options` found in a directive's lines."""

    #: name -> value (:func:`option_value`); an option given twice keeps its last value
    values: dict[str, str] = field(default_factory=dict)
    #: names as written, in order (an option given twice appears twice)
    given: list[str] = field(default_factory=list)
    #: the index of the line of each of ``given``, in the same order
    given_at: list[int] = field(default_factory=list)
    #: the runs of lines that are not options: (index of the run's first line, its length)
    rest: list[tuple[int, int]] = field(default_factory=list)
    #: lines of the option block that are not options: (index, text)
    malformed: list[tuple[int, str]] = field(default_factory=list)


def read_options(lines: list[str], *, first_is_text: bool = False) -> OptionBlock:
    """Split a directive's content ``lines`` into its option block, at the top, and the rest.

    Options are ``:name: value`` lines, or ``name: value`` lines between two ``---``
    lines; an indented line continues the value above it. A blank line after the
    options is skipped. ``first_is_text``: the first line is text written on the
    directive's own line (MyST moves it into the content of a directive that takes
    no argument); it is part of the rest, and the options start after it.
    """
    found = OptionBlock()
    index = 0
    if first_is_text and lines:
        found.rest.append((0, 1))
        index = 1
    last = ""

    def add(key: str, value: str) -> str:
        found.values[key] = value.strip()
        found.given.append(key)
        found.given_at.append(index)
        return key

    def extend(key: str, text: str) -> None:
        found.values[key] = f"{found.values[key]} {text.strip()}".strip()

    if index < len(lines) and lines[index].strip() == "---":
        index += 1
        while index < len(lines) and lines[index].strip() != "---":
            line = lines[index]
            match = _BLOCK_OPTION_RE.match(line)
            if match:
                last = add(match["key"], match["value"] or "")
            elif line.strip() and line[:1].isspace() and last:
                extend(last, line)
            elif line.strip() and not line.lstrip().startswith("#"):  # a YAML comment line is no option
                found.malformed.append((index, line.strip()))
            index += 1
        index += 1  # the closing ---
    else:
        while index < len(lines):
            line = lines[index]
            stripped = line.lstrip()
            match = None if stripped.startswith(":::") else _OPTION_RE.match(line)
            if match:
                last = add(match["key"], match["value"])
            elif stripped and line[:1].isspace() and last:
                extend(last, line)
            elif stripped.startswith(":") and not stripped.startswith(":::"):
                found.malformed.append((index, stripped.rstrip()))
            else:
                break
            index += 1
    for key, value in found.values.items():
        found.values[key] = option_value(value)
    if index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines):
        found.rest.append((index, len(lines) - index))
    return found
