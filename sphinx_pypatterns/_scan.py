"""A Sphinx-free scanner for citations in MyST pages (used by ``pypatterns check``)."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ._targets import parse_anchor, split_title

__all__ = ["FoundCitation", "iter_pages", "scan_page"]

_ROLE_RE = re.compile(r"\{cite\}`([^`]*)`")
_DIRECTIVE_RE = re.compile(r"^\s*(?:`{3,}|:{3,})\{cite\}\s*(.*?)\s*$")
_OPTION_RE = re.compile(r"^\s*:symbol:\s*(.*?)\s*$")
_FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})\s*([^`\s]*)")
_CODE_SPAN_RE = re.compile(r"(`{2,}).*?\1")
_SKIP_DIRS = {"_build", ".pypatterns", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class FoundCitation:
    """A citation as written: ``raw`` is the role's text, or a directive's target and ``:symbol:``.

    ``target`` and ``symbol`` are worked out on demand: a warm ``pypatterns check``
    looks the raw text up in its cache and never needs them.
    """

    file: str
    line: int
    raw: str
    directive: bool = False

    @property
    def target(self) -> str:
        if self.directive:
            return self.raw.partition("\x00")[0]
        return split_title(self.raw)[1].strip()

    @property
    def symbol(self) -> str:
        if self.directive:
            return parse_anchor(self.raw.partition("\x00")[2]) or ""
        title = split_title(self.raw)[0]
        return parse_anchor(title) or "" if title else ""


def iter_pages(srcdir: Path, exclude: list[str]) -> Iterator[tuple[str, str]]:
    """``(path, relative posix path)`` of every ``.md`` page under ``srcdir``, minus hidden/build folders
    and ``exclude`` globs, in a stable order."""
    top = os.fspath(srcdir)
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        prefix = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            rel = prefix + name
            if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat.rstrip("/") + "/*") for pat in exclude):
                continue
            yield os.path.join(folder, name), rel


def scan_page(path: Path | str, text: str) -> Iterator[FoundCitation]:
    """Every ``{cite}`` role and ``cite`` directive in a MyST page, with its line."""
    lines = text.split("\n")
    fence = ""
    name = os.fspath(path)
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence[0] * 3):
                opened = _FENCE_RE.match(line)
                if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                    if not opened.group(2):
                        fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            opened = _FENCE_RE.match(line)
            if opened and not opened.group(2).startswith("{"):
                fence = opened.group(1)  # a code block: nothing in it is a citation
                continue
        if "{cite}" not in line:
            continue  # the fast path: most lines cite nothing
        line = _CODE_SPAN_RE.sub("", line)
        match = _DIRECTIVE_RE.match(line)
        if match:
            symbol = ""
            j = i + 1
            while j < len(lines) and lines[j].strip().startswith(":"):
                opt = _OPTION_RE.match(lines[j])
                if opt:
                    symbol = opt.group(1)
                j += 1
            yield FoundCitation(name, i + 1, f"{match.group(1)}\x00{symbol}", directive=True)
        else:
            for role in _ROLE_RE.finditer(line):
                yield FoundCitation(name, i + 1, role.group(1))
