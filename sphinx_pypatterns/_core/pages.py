"""The pages Sphinx reads: conf.py's ``include_patterns`` and ``exclude_patterns``, matched as Sphinx
matches them, without Sphinx (``pypatterns check`` starts fast)."""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = ["iter_pages"]

_SKIP_DIRS = {"_build", ".pypatterns", "node_modules", "__pycache__"}

#: What Sphinx itself always leaves out (``sphinx.project.EXCLUDE_PATHS``).
_SPHINX_EXCLUDES = ("**/_sources", ".#*", "**/.#*", "*.lproj/**")


def _glob(pattern: str) -> re.Pattern[str]:
    """A glob as Sphinx matches ``include_patterns``/``exclude_patterns`` (``sphinx.util.matching``):
    ``**`` matches across ``/``, ``*`` and ``?`` do not, ``[...]`` is a class that never holds ``/``."""
    i, n, res = 0, len(pattern), ""
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if i < n and pattern[i] == "*":
                i += 1
                res += ".*"
            else:
                res += "[^/]*"
        elif c == "?":
            res += "[^/]"
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                res += "\\["
            else:
                stuff = pattern[i:j].replace("\\", "\\\\")
                i = j + 1
                if stuff[0] == "!":
                    stuff = "^/" + stuff[1:]
                elif stuff[0] == "^":
                    stuff = "\\" + stuff
                res += f"[{stuff}]"
        else:
            res += re.escape(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "possible nested set" in an odd class
        try:
            return re.compile(res + "$")
        except re.error:  # a class Sphinx could not compile either (such as [b-a]): match it literally
            return re.compile(re.escape(pattern) + "$")


def iter_pages(
    srcdir: Path, exclude: list[str], include: list[str] | tuple[str, ...] = ("**",)
) -> Iterator[tuple[str, str]]:
    """``(path, relative posix path)`` of every ``.md`` page Sphinx would read under ``srcdir``,
    in a stable order.

    ``include`` and ``exclude`` are conf.py's ``include_patterns`` and ``exclude_patterns``,
    matched as Sphinx matches them (names in NFC; an excluded folder is not entered; what
    Sphinx always excludes is excluded). Hidden folders and build or cache folders
    (``_build``, ``.pypatterns``, ``node_modules``, ``__pycache__``) are never entered.
    """
    includes = [_glob(p).match for p in include]
    excludes = [_glob(p).match for p in (*exclude, *_SPHINX_EXCLUDES)]
    top = os.fspath(srcdir)
    for folder, dirs, files in os.walk(top):
        prefix = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not any(m(unicodedata.normalize("NFC", prefix + d)) for m in excludes)
        )
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            rel = unicodedata.normalize("NFC", prefix + name)
            if any(m(rel) for m in includes) and not any(m(rel) for m in excludes):
                yield os.path.join(folder, name), prefix + name
