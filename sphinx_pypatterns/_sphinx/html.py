"""HTML: the evidence index page is written again only when what it shows changed.

The evidence index lists every citation, so on a large handbook it is the costliest
page of an incremental build. Through public APIs only:

- :meth:`EvidenceIndex.generate` gives Sphinx a lazy list (:class:`LazyEntries`): the
  HTML builder holds every domain index from ``prepare_writing`` to the end of the
  write phase, and the entries (one per citation) are made only when the page is;
- ``html-page-context`` (:func:`on_page_context`) digests what the entries are made of
  (every page's data as read, :meth:`LazyEntries.key`) with the site navigation, the
  builder's configuration and this extension's version; when the digest matches the one
  kept beside the page written last, the page on disk is already what a clean build
  would write, and it is written again as it is (a template of this extension's that
  prints it), without making its thousands of entries or rows, and with a ``toctree``
  that gives nothing: the theme's handlers, which run after this one, need not lay out the
  site navigation of a page that does not show it. Otherwise the entries are made once;
- ``build-finished`` (:func:`write_stamps`) keeps the digest of the page written, and
  gives a page written again as it was its modification time back: to a deploy tool
  that compares times, it did not change (its bytes did not).

Besides, at ``config-inited`` (:func:`add_templates`): this extension's templates, its
stylesheet, and the evidence index as an entry a ``toctree`` may name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.domains.std import StandardDomain

from .._core.digest import json_digest
from .._version import __version__
from .indices import EvidenceIndex, LazyEntries

__all__ = [
    "INDEX_NAME",
    "PAGE_CONTEXT_PRIORITY",
    "STATIC",
    "STYLESHEET",
    "TEMPLATES",
    "add_templates",
    "index_in_toctrees",
    "on_page_context",
    "write_stamps",
]

INDEX_NAME = "pp-evidence"
STAMP = ".pp-evidence.sha256"
#: This extension's templates: ``pp-kept.html`` prints ``pp_kept``, a page as it was written.
TEMPLATES = Path(__file__).parent / "templates"
#: This extension's static files, and its stylesheet among them.
STATIC = Path(__file__).parent / "static"
STYLESHEET = "pypatterns.css"
_KEPT = "pp-kept.html"
#: ``html-page-context`` priority of :func:`on_page_context`: before themes' handlers (500).
PAGE_CONTEXT_PRIORITY = 400

#: Of the evidence index page of each running build: its digest, and the modification time to
#: give back when it was written again as it was (``None``: rendered anew). Kept at build-finished.
_PENDING: WeakKeyDictionary[Sphinx, tuple[str, int | None]] = WeakKeyDictionary()


def add_templates(app: Sphinx, config: Config) -> None:
    """``config-inited``: this extension's templates and static files come after the project's own;
    its stylesheet (``pypatterns.css``: citations and their popups, the pin table) is linked from
    every page; a ``toctree`` may name the evidence index (:func:`index_in_toctrees`)."""
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path = [*config.templates_path, str(TEMPLATES)]
    if str(STATIC) not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, str(STATIC)]
    app.add_css_file(STYLESHEET)
    index_in_toctrees()


def index_in_toctrees() -> None:
    """Let a ``toctree`` list the evidence index (``/pp-evidence``) as it lists ``genindex``.

    Sphinx takes in a ``toctree`` only the pages it generates itself (``genindex``, ``modindex``,
    ``search``): any other name, a domain index's included, it warns of as a missing document.
    Sphinx has no API to add one: the three are a table of its standard domain
    (``_virtual_doc_names``, read by the ``toctree`` directive, its collector and its adapter),
    which the evidence index joins, with its title; a project that does not name it is unchanged.
    """
    names = getattr(StandardDomain, "_virtual_doc_names", None)  # private: a Sphinx without it keeps its warning
    if isinstance(names, dict):
        names.setdefault(INDEX_NAME, (INDEX_NAME, EvidenceIndex.localname))


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
        "extension": __version__,
    }
    return json_digest(payload, default=str)


def on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> str | None:
    """``html-page-context``: the evidence index's entries, made once; the page kept when unchanged."""
    if pagename != INDEX_NAME or templatename != "domainindex.html" or app.builder.format != "html":
        return None
    lazy = context.get("content")
    if isinstance(lazy, LazyEntries):
        digest = _digest(app, lazy.key())
    else:
        context["content"] = list(lazy or ())
        digest = _digest(app, context["content"])
    outdir = Path(app.builder.outdir)
    page = outdir / f"{INDEX_NAME}{getattr(app.builder, 'out_suffix', '.html')}"
    kept, mtime = None, None
    try:
        if page.is_file() and (outdir / STAMP).read_text("utf-8") == digest:
            mtime = page.stat().st_mtime_ns
            with open(page, encoding=context.get("encoding") or "utf-8", newline="") as handle:
                kept = handle.read()  # as Sphinx writes it: the same encoding, no newline translated
    except (OSError, UnicodeDecodeError):
        kept, mtime = None, None
    _PENDING[app] = digest, mtime if kept is not None else None
    if kept is None:
        if isinstance(lazy, LazyEntries):
            # made once (``list()`` of the lazy list itself would ask its length first: making it
            # twice); the template reads it twice, and it is freed with the page
            context["content"] = lazy.made()
        return None
    context["pp_kept"] = kept
    context["toctree"] = _no_toctree
    return _KEPT


def _no_toctree(**kwargs: object) -> str:
    """The ``toctree`` of a page written again as it was: it shows none."""
    return ""


def write_stamps(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: keep the digest of the evidence index page this build wrote."""
    pending = _PENDING.pop(app, None)
    if pending is None or exception is not None:
        return
    digest, mtime = pending
    outdir = Path(app.builder.outdir)
    try:
        (outdir / STAMP).write_text(digest, "utf-8")
        if mtime is not None:
            page = outdir / f"{INDEX_NAME}{getattr(app.builder, 'out_suffix', '.html')}"
            os.utime(page, ns=(page.stat().st_atime_ns, mtime))
    except OSError:
        pass  # only the next build's speed depends on it
