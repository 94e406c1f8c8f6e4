"""Writing the evidence lock (:mod:`.._core.lock`): ``pypatterns check --update-lock`` and ``bump``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .._core.errors import ManifestError
from .._core.lock import format_lock, load_lock, lock_key, lock_path
from .._core.manifest import Manifest
from .._core.targets import CitationKey

__all__ = ["write_lock"]


def write_lock(manifest_path: Path, manifest: Manifest, digests: Mapping[CitationKey, str], *, only: str = "") -> str:
    """Write the lock of every verified range in ``digests`` at the manifest's commits; say what changed.

    With ``only``, that upstream's entries are replaced and the others' kept as they were (``bump``);
    else the lock holds exactly the ranges cited now. The file is replaced whole, and not touched
    when its text would not change.
    """
    path = lock_path(manifest_path)
    try:
        old = load_lock(path)
    except ManifestError:
        old = None  # replaced: that is what was asked
    before = old.entries if old is not None else {}
    entries: dict[str, dict[str, str]] = {}
    if only:
        entries = {name: dict(kept) for name, kept in before.items() if name != only and name in manifest.upstreams}
    for key, digest in digests.items():
        if key.upstream in manifest.upstreams and (not only or key.upstream == only):
            entries.setdefault(key.upstream, {})[lock_key(key.path, key.start, key.end)] = digest
    commits = {name: manifest.upstreams[name].commit for name in entries}
    if only and old is not None:
        commits.update({n: c for n, c in old.commits.items() if n in entries and n != only})
    new = changed = dropped = 0
    for name in set(before) | set(entries):
        was, now = before.get(name, {}), entries.get(name, {})
        new += sum(1 for k in now if k not in was)
        changed += sum(1 for k in now if k in was and was[k] != now[k])
        dropped += sum(1 for k in was if k not in now)
    text = format_lock(commits, entries)
    total = sum(len(e) for e in entries.values())
    if path.is_file() and path.read_bytes() == text.encode("utf-8"):
        return f"lock: {path.name} holds {total} ranges; nothing changed"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return (
        f"lock: wrote {path.name}: {total} ranges of {len(entries)} upstream(s)"
        f" ({new} new, {changed} changed, {dropped} dropped)"
    )
