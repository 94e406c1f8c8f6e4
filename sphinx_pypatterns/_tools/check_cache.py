"""The verdict cache of ``pypatterns check``: a warm check re-reads pages, not checkouts.

It holds two tables: verdicts by citation text as written, and results by page
(the page's SHA-256, its citation count per upstream and its failure lines).
An unchanged page is answered from the second without being scanned; an
edited one is scanned again, its citations answered from the first.

One JSON file per project. Its key covers everything a verdict depends on:
the tool's version, the running Python (its ``ast``), the check's options,
the manifest's text and the fingerprint of every upstream's checkout. Any
change of the key empties the cache. The fingerprints (``Checkout.fingerprint``):
a synced tree's marker; a git repository and commit, marked while the commit is
absent (it may be fetched later); a plain folder named with ``NAME=DIR``, which
may change in place, the size, times and inode of every entry under it
(:func:`~._checkouts.tree_fingerprint`). A checkout without a fingerprint (a
folder changed in the last seconds, git unable to answer) leaves nothing cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .._core.defaults import SPAN_RULES
from .._core.digest import json_digest
from .._version import __version__

__all__ = ["Entry", "PageResult", "VerdictCache", "cache_key"]

#: (upstream, failure text or "" when verified)
Entry = tuple[str, str]


class PageResult:
    """What a check found on one page: citations per upstream, all citations, failure lines, counts."""

    __slots__ = ("count", "counts", "failures", "per_upstream")

    def __init__(
        self,
        count: int = 0,
        per_upstream: dict[str, int] | None = None,
        failures: list[str] | None = None,
        counts: int = 0,
    ) -> None:
        self.count = count
        self.per_upstream = per_upstream if per_upstream is not None else {}
        self.failures = failures if failures is not None else []
        self.counts = counts

    def add(self, entry: Entry, where: str, *, counted: bool = False) -> None:
        """One citation's entry; with ``counted``, a ``{count}``'s, which counts apart."""
        upstream, failure = entry
        if counted:
            self.counts += 1
        else:
            self.count += 1
            if upstream:
                self.per_upstream[upstream] = self.per_upstream.get(upstream, 0) + 1
        if failure:
            self.failures.append(f"{where}: {failure}")


def cache_key(manifest_text: bytes, fingerprints: Mapping[str, str], options: Mapping[str, object]) -> str | None:
    """The cache key, or ``None`` when some checkout cannot be fingerprinted."""
    if any(not fp for fp in fingerprints.values()):
        return None
    payload = {
        "version": __version__,
        "span_rules": SPAN_RULES,
        "python": list(sys.version_info[:3]),
        "manifest": hashlib.sha256(manifest_text).hexdigest(),
        "checkouts": dict(sorted(fingerprints.items())),
        "options": dict(sorted(options.items())),
    }
    return json_digest(payload)


class VerdictCache:
    """Verdicts by citation text as written, valid while the key holds."""

    def __init__(self, path: Path, key: str | None) -> None:
        self.path = path
        self.key = key
        self.entries: dict[str, object] = {}
        self.pages: dict[str, object] = {}
        self._dirty = False
        if key is None:
            return
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("key") == key and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]  # checked entry by entry in get()
            pages = data.get("pages")
            self.pages = pages if isinstance(pages, dict) else {}

    def get(self, citation: str) -> Entry | None:
        """The entry of a citation, keyed by its text as written (``None``: not cached, or not well-formed)."""
        if not self.key:
            return None
        found = self.entries.get(citation)
        if isinstance(found, (list, tuple)) and len(found) == 2 and all(isinstance(x, str) for x in found):
            return found[0], found[1]
        return None

    def page(self, rel: str, digest: str) -> PageResult | None:
        """The result of a page whose bytes hash to ``digest`` (``None``: not cached, changed, or not well-formed)."""
        if not self.key:
            return None
        found = self.pages.get(rel)
        if not (isinstance(found, list) and len(found) == 5 and found[0] == digest):
            return None
        _, count, per_upstream, failures, counts = found
        if (
            isinstance(count, int)
            and isinstance(counts, int)
            and isinstance(per_upstream, dict)
            and all(isinstance(k, str) and isinstance(v, int) for k, v in per_upstream.items())
            and isinstance(failures, list)
            and all(isinstance(f, str) for f in failures)
        ):
            return PageResult(count, per_upstream, failures, counts)
        return None

    def put_page(self, rel: str, digest: str, result: PageResult) -> None:
        if self.key:
            self.pages[rel] = [digest, result.count, result.per_upstream, result.failures, result.counts]
            self._dirty = True

    def put(self, citation: str, entry: Entry) -> None:
        if self.key:
            self.entries[citation] = list(entry)
            self._dirty = True

    def save(self) -> None:
        """Write atomically (a temporary file renamed into place); a failure only costs speed."""
        if not (self.key and self._dirty):
            return
        import tempfile

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".check-cache-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": self.key, "entries": self.entries, "pages": self.pages}, handle, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            return
