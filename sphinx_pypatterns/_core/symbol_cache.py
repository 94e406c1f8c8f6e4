"""Symbol tables kept on disk, by the SHA-256 of the text they were computed from.

Parsing is the verifier's one large cost: ``ast`` builds a whole tree of every cited
Python file to find its spans, about 7 ms for a file of 1,000 lines. A file's spans
depend only on its text, the running Python (its grammar) and the span rules
(:data:`SPAN_RULES`), so they are kept, once computed, under
``<folder>/py<X.Y.Z>-rules<N>/<ab>/<sha256>.json``: every later build, clean or
incremental, and ``pypatterns check`` read them instead of parsing again. An entry is
written atomically (a temporary file renamed into place) and checked when read; one
that is missing, unreadable or not well-formed is computed again. A folder that cannot
be written to only costs the speed. Files Python cannot parse are never kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from .defaults import SPAN_RULES
from .symbols import SymbolTable

__all__ = ["SymbolCache"]


class SymbolCache:
    """The symbol tables under ``folder`` (``None``: keep none)."""

    def __init__(self, folder: str | os.PathLike[str] | None) -> None:
        version = ".".join(str(v) for v in sys.version_info[:3])
        self._folder = Path(folder, f"py{version}-rules{SPAN_RULES}") if folder else None

    def _path(self, text: str) -> Path | None:
        if self._folder is None:
            return None
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return self._folder / digest[:2] / f"{digest}.json"

    def get(self, text: str) -> SymbolTable | None:
        """The table of ``text`` if one is kept and well-formed."""
        path = self._path(text)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                data = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        table: SymbolTable = {}
        for name, spans in data.items():
            if not isinstance(spans, list):
                return None
            pairs = []
            for span in spans:
                if not (
                    isinstance(span, list)
                    and len(span) == 2
                    and all(isinstance(n, int) and not isinstance(n, bool) for n in span)
                ):
                    return None
                pairs.append((span[0], span[1]))
            table[name] = pairs
        return table

    def put(self, text: str, table: SymbolTable) -> None:
        """Keep the table of ``text``; a failure to write is ignored (it only costs speed)."""
        path = self._path(text)
        if path is None:
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # dumps, not dump: json.dump writes through the pure-Python encoder, 10 times slower
            data = json.dumps(table, separators=(",", ":"))
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            self._folder = None  # not writable here: stop trying for this run
            try:
                tmp.unlink()
            except OSError:
                pass
