"""``setup(app)``: registers the domain, directives, roles, nodes and events."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from weakref import WeakKeyDictionary

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.typing import ExtensionMetadata

from .._core.checkouts import parse_checkouts_spec
from .._core.errors import ManifestError
from .._core.hints import did_you_mean
from .._core.lock import load_lock, lock_path
from .._core.manifest import Manifest, load_manifest
from .._core.symbol_cache import SymbolCache
from .._core.verify import FILES_HELD, Verifier
from .._tools.background import BackgroundVerifier, cpus_available
from .._version import __version__
from .access import domain_of, note_builder
from .config import OWN_FOLDER, register_config
from .domain import PypatternsDomain
from .encoding import on_source_read, read_pages_leniently, register_codec
from .evidence_output import EvidenceBuilder, write_evidence
from .global_step import global_step
from .html import PAGE_CONTEXT_PRIORITY, add_templates, on_page_context, write_stamps
from .incremental import outdated_by_upstreams
from .latex import register_print
from .log import as_subtype, logger, warn
from .nodes import register_nodes
from .placement import location_of
from .render import PypatternsResolver
from .roles import register_bare_roles

__all__ = ["setup"]


def manifest_path(app: Sphinx) -> Path | None:
    value = app.config.pypatterns_manifest
    return Path(app.confdir, value) if value else None


def _load_manifest(app: Sphinx) -> None:
    path = manifest_path(app)
    manifest: Manifest | None = None
    if path is not None:
        try:
            manifest = load_manifest(path, with_lock=False)
        except ManifestError as exc:
            key = f"[{exc.key}] " if exc.key else ""
            warn(f"{key}{exc.message}", as_subtype(exc.subtype), f"{path}:{exc.line}")
            manifest = Manifest(path=str(path))
        else:
            try:  # a lock that cannot be read is reported, and the citations are verified without it
                manifest = replace(manifest, lock=load_lock(lock_path(path)))
            except ManifestError as exc:
                warn(exc.message, "lock", f"{exc.path}:{exc.line}")
    domain_of(app.env).data["manifest"] = manifest


def symbol_cache_folder(app: Sphinx) -> Path:
    """Where the symbol tables of cited files are kept between builds (shared with ``pypatterns check``)."""
    return Path(app.srcdir, OWN_FOLDER, "symbols")


def checkouts_spec(app: Sphinx) -> tuple[str, dict[str, str]]:
    value = os.environ.get("PYPATTERNS_CHECKOUTS") or app.config.pypatterns_checkouts
    return parse_checkouts_spec(value or "", base=app.srcdir)


#: Pages a build must read before the background verifier checks their citations while Sphinx reads them.
BACKGROUND_MIN_PAGES = 16

#: The background verifier of each running build, from env-before-read-docs to env-updated.
_BACKGROUND: WeakKeyDictionary[Sphinx, BackgroundVerifier] = WeakKeyDictionary()


def _start_background(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    _end_background(app)
    manifest = domain_of(env).manifest
    path = manifest_path(app)
    if (
        not app.config.pypatterns_background_verify
        or manifest is None
        or not manifest.upstreams
        or path is None
        or len(docnames) < BACKGROUND_MIN_PAGES
        or cpus_available() < 2
    ):
        return
    pages = [page for page in (Path(env.doc2path(d)) for d in sorted(docnames)) if page.suffix == ".md"]
    background = BackgroundVerifier.start(
        manifest=path,
        checkouts=checkouts_spec(app),
        max_bytes=app.config.pypatterns_max_file_bytes,
        require_anchor=app.config.pypatterns_require_anchor,
        keep_all_lines=app.config.pypatterns_print_inline_excerpts,
        pages=pages,
        symbol_cache=symbol_cache_folder(app),
    )
    if background is not None:
        _BACKGROUND[app] = background


def _end_background(app: Sphinx, exception: BaseException | None = None) -> None:
    background = _BACKGROUND.pop(app, None)
    if background is not None:
        background.close()


def _on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The pages that name an upstream added to or removed from the manifest are read again."""
    return outdated_by_upstreams(domain_of(env))


def _on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """The global step. The verifier lives only for it: its cat-file processes end and its
    blob caches are freed before the write phase, the build's memory peak."""
    domain = domain_of(env)
    background = _BACKGROUND.pop(app, None)
    verdicts = background.results() if background is not None else {}
    if background is not None and background.failure:
        logger.verbose("pypatterns: the background verifier failed (%s); verifying here", background.failure)
    if domain.manifest is None:
        return global_step(domain, None, verdicts)
    spec = checkouts_spec(app)
    max_bytes = app.config.pypatterns_max_file_bytes
    cache = SymbolCache(symbol_cache_folder(app))
    with Verifier(domain.manifest, spec, max_bytes=max_bytes, max_files=FILES_HELD, symbol_cache=cache) as verifier:
        return global_step(domain, verifier, verdicts)


def _on_env_before_read_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    read_pages_leniently(app, env)
    _start_background(app, env, docnames)


def _on_missing_reference(app: Sphinx, domain: object, node: object) -> bool | None:
    from sphinx.addnodes import pending_xref

    if not isinstance(node, pending_xref) or node.get("refdomain") != "pp":
        return None
    kind = node.get("reftype")
    if kind == "candidate":
        return True
    docname = node.get("refdoc") or app.env.docname
    where = location_of(app.env, docname, str(node.get("pp_source", "")), node.line or 0)
    target = str(node.get("reftarget", ""))
    index = domain_of(app.env).index()
    others = sorted(other for other, ident in index if ident == target and other != kind)
    if others:  # an id of another kind: the role is the typo
        hint = f" (it is the id of a {others[0]}, not of a {kind})"
    else:
        hint = did_you_mean(target, (ident for other, ident in index if other == kind))
    warn(f"unknown {kind} id {target!r}{hint}", "unknown_ref", where)
    return True


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register sphinx-pypatterns with Sphinx."""
    app.setup_extension("myst_parser")
    register_config(app)
    register_nodes(app)
    app.add_domain(PypatternsDomain)
    for name, directive in PypatternsDomain.directives.items():
        app.add_directive(name, directive)
    # the roles' bare names ({cite} beside {pp:cite}) once every extension is set up: see register_bare_roles
    app.connect("config-inited", register_bare_roles, priority=600)
    app.add_post_transform(PypatternsResolver)
    register_print(app)
    app.connect("builder-inited", note_builder, priority=100)
    app.connect("builder-inited", _load_manifest)
    app.connect("config-inited", add_templates)
    app.connect("html-page-context", on_page_context, priority=PAGE_CONTEXT_PRIORITY)
    app.connect("build-finished", write_stamps)
    app.connect("env-get-outdated", _on_env_get_outdated)
    register_codec()
    app.connect("env-before-read-docs", _on_env_before_read_docs)
    app.connect("source-read", on_source_read)
    app.connect("env-updated", _on_env_updated)
    app.connect("build-finished", write_evidence)
    app.connect("build-finished", _end_background)
    app.add_builder(EvidenceBuilder)
    app.connect("warn-missing-reference", _on_missing_reference)
    return {
        "version": __version__,
        "env_version": 5,  # 5: verified inline citations keep their popup's lines
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
