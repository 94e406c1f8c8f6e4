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
    file: str
    line: int
    target: str
    symbol: str


def iter_pages(srcdir: Path, exclude: list[str]) -> Iterator[Path]:
    """Every ``.md`` page under ``srcdir``, minus hidden/build folders and ``exclude`` globs."""
    for folder, dirs, files in os.walk(srcdir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            path = Path(folder, name)
            rel = path.relative_to(srcdir).as_posix()
            if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat.rstrip("/") + "/*") for pat in exclude):
                continue
            yield path


def scan_page(path: Path, text: str) -> Iterator[FoundCitation]:
    """Every ``{cite}`` role and ``cite`` directive in a MyST page, with its line."""
    lines = text.split("\n")
    fence = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_RE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) and not opened.group(2):
                fence = ""
            i += 1
            continue
        if opened and not opened.group(2).startswith("{"):
            fence = opened.group(1)  # a code block: nothing in it is a citation
            i += 1
            continue
        line = _CODE_SPAN_RE.sub("", line)
        match = _DIRECTIVE_RE.match(line)
        if match:
            symbol = ""
            j = i + 1
            while j < len(lines) and lines[j].strip().startswith(":"):
                opt = _OPTION_RE.match(lines[j])
                if opt:
                    symbol = parse_anchor(opt.group(1)) or ""
                j += 1
            yield FoundCitation(str(path), i + 1, match.group(1), symbol)
        else:
            for role in _ROLE_RE.finditer(line):
                title, target = split_title(role.group(1))
                yield FoundCitation(str(path), i + 1, target.strip(), parse_anchor(title) or "" if title else "")
        i += 1
