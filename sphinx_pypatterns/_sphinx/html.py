"""HTML: the evidence index page is rewritten only when what it shows changed.

Sphinx's HTML builder renders every domain index on every build. The
evidence index lists every citation, so on a large handbook it is the
costliest page of an incremental build. Its output depends on its content,
the site navigation (the pages and their titles) and the builder's
configuration; when none of these changed since the page was written, the
page on disk is already what a clean build would write, and it is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Set
from pathlib import Path

from sphinx.application import Sphinx

__all__ = ["keep_unchanged_evidence_index"]

INDEX_NAME = "pp-evidence"
STAMP = ".pp-evidence.sha256"


def _digest(app: Sphinx, content: object) -> str:
    env = app.env
    titles = {d: (env.titles[d].astext() if d in env.titles else "") for d in sorted(env.found_docs)}
    build_info = getattr(app.builder, "build_info", None)
    payload = {
        "content": content,
        "titles": titles,
        "toctree": {k: sorted(v) for k, v in sorted(env.toctree_includes.items())},
        "config": getattr(build_info, "config_hash", ""),
        "tags": getattr(build_info, "tags_hash", ""),
        "builder": app.builder.name,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def keep_unchanged_evidence_index(app: Sphinx) -> None:
    """``builder-inited``: wrap the HTML builder's domain-index writer (HTML builders only).

    Sphinx makes every domain index's entries before writing the first page and holds them to
    the last; the evidence index has one per citation, which only slows the garbage collector
    over the whole write phase. They are made again when the index page is written.
    """
    builder = app.builder
    original: Callable[[], None] | None = getattr(builder, "write_domain_indices", None)
    prepare: Callable[[Set[str]], None] | None = getattr(builder, "prepare_writing", None)
    if original is None or prepare is None or builder.format != "html" or not hasattr(builder, "domain_indices"):
        return

    def prepare_writing(docnames: Set[str]) -> None:
        prepare(docnames)
        builder.domain_indices = [  # type: ignore[attr-defined]
            (name, cls, [] if name == INDEX_NAME else content, collapse)
            for name, cls, content, collapse in builder.domain_indices  # type: ignore[attr-defined]
        ]

    def write_domain_indices() -> None:
        entries = list(builder.domain_indices)  # type: ignore[attr-defined]
        outdir = Path(builder.outdir)
        stamp = outdir / STAMP
        page = outdir / f"{INDEX_NAME}{getattr(builder, 'out_suffix', '.html')}"
        keep = []
        digest = ""
        for i, entry in enumerate(entries):
            if entry[0] == INDEX_NAME:
                content, collapse = entry[1](app.env.get_domain("pp")).generate()
                entry = entries[i] = (entry[0], entry[1], content, collapse)
                digest = _digest(app, content)
                try:
                    unchanged = page.is_file() and stamp.read_text("utf-8") == digest
                except OSError:
                    unchanged = False
                if unchanged:
                    continue
            keep.append(entry)
        builder.domain_indices = keep  # type: ignore[attr-defined]
        try:
            original()
        finally:
            builder.domain_indices = entries  # type: ignore[attr-defined]
        if digest and any(e[0] == INDEX_NAME for e in keep):
            stamp.write_text(digest, "utf-8")

    builder.prepare_writing = prepare_writing  # type: ignore[method-assign]
    builder.write_domain_indices = write_domain_indices  # type: ignore[attr-defined]
