"""``setup(app)``: registers the domain, directives, roles, nodes and events."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import cast
from weakref import WeakKeyDictionary

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.typing import ExtensionMetadata

from .._core.checkouts import parse_checkouts_spec
from .._core.errors import ManifestError
from .._core.manifest import Manifest, load_manifest
from .._core.verify import Verifier
from .._tools.background import Prefetch, cpus_available
from .._version import __version__
from .config import register_config
from .domain import PypatternsDomain
from .evidence_output import EvidenceBuilder, write_evidence
from .html import keep_unchanged_evidence_index
from .latex import register_print
from .log import logger, warn
from .nodes import register_nodes
from .placement import location_of
from .render import PypatternsResolver

__all__ = ["setup"]


def _domain(env: BuildEnvironment) -> PypatternsDomain:
    return cast("PypatternsDomain", env.get_domain("pp"))


def manifest_path(app: Sphinx) -> Path | None:
    value = app.config.pypatterns_manifest
    return Path(app.confdir, value) if value else None


def _load_manifest(app: Sphinx) -> None:
    path = manifest_path(app)
    manifest: Manifest | None = None
    if path is not None:
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            key = f"[{exc.key}] " if exc.key else ""
            warn(f"{key}{exc.message}", exc.subtype, f"{path}:{exc.line}")
            manifest = Manifest(path=str(path))
    _domain(app.env).data["manifest"] = manifest


def checkouts_spec(app: Sphinx) -> tuple[str, dict[str, str]]:
    value = os.environ.get("PYPATTERNS_CHECKOUTS") or app.config.pypatterns_checkouts
    return parse_checkouts_spec(value or "", base=app.srcdir)


#: Pages a build must read before a helper process verifies their citations while Sphinx reads them.
PREFETCH_MIN_PAGES = 16

#: The verification helper of each running build, from env-before-read-docs to env-updated.
_PREFETCH: WeakKeyDictionary[Sphinx, Prefetch] = WeakKeyDictionary()


def _start_prefetch(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    _end_prefetch(app)
    manifest = _domain(env).manifest
    path = manifest_path(app)
    if (
        not app.config.pypatterns_background_verify
        or manifest is None
        or not manifest.upstreams
        or path is None
        or len(docnames) < PREFETCH_MIN_PAGES
        or cpus_available() < 2
    ):
        return
    pages = [page for page in (Path(env.doc2path(d)) for d in sorted(docnames)) if page.suffix == ".md"]
    prefetch = Prefetch.start(
        manifest=path,
        checkouts=checkouts_spec(app),
        max_bytes=app.config.pypatterns_max_file_bytes,
        require_anchor=app.config.pypatterns_require_anchor,
        keep_all_lines=app.config.pypatterns_print_inline_excerpts,
        pages=pages,
    )
    if prefetch is not None:
        _PREFETCH[app] = prefetch


def _end_prefetch(app: Sphinx, exception: BaseException | None = None) -> None:
    prefetch = _PREFETCH.pop(app, None)
    if prefetch is not None:
        prefetch.close()


def _on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The pages that name an upstream added to or removed from the manifest are read again."""
    return _domain(env).outdated_by_upstreams()


def _on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """The global step. The verifier lives only for it: its cat-file processes end and its
    blob caches are freed before the write phase, the build's memory peak."""
    domain = _domain(env)
    prefetch = _PREFETCH.pop(app, None)
    prefetched = prefetch.results() if prefetch is not None else {}
    if prefetch is not None and prefetch.failure:
        logger.verbose("pypatterns: the verification helper failed (%s); verifying here", prefetch.failure)
    if domain.manifest is None:
        return domain.on_env_updated(None)
    spec = checkouts_spec(app)
    verifier = Verifier(domain.manifest, spec, max_bytes=app.config.pypatterns_max_file_bytes, max_files=16)
    with verifier:
        return domain.on_env_updated(verifier, prefetched)


#: The codec pages are read with: the configured UTF-8, with undecodable bytes read as U+FFFD.
#: Sphinx itself stops with a traceback on them; we warn at the line instead (``_on_source_read``).
_LENIENT = "pypatterns_lenient_utf_8_sig"


def _lenient_codec(name: str) -> codecs.CodecInfo | None:
    if name != _LENIENT:
        return None
    base = codecs.lookup("utf-8-sig")

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        return base.decode(data, "replace")

    class Incremental(codecs.BufferedIncrementalDecoder):
        def __init__(self, errors: str = "strict") -> None:
            super().__init__("replace")
            self._inner = base.incrementaldecoder("replace")

        def _buffer_decode(self, data: bytes, errors: str, final: bool) -> tuple[str, int]:  # type: ignore[override]
            return self._inner.decode(data, final), len(data)

    return codecs.CodecInfo(
        base.encode,
        decode,  # type: ignore[arg-type]
        incrementalencoder=base.incrementalencoder,
        incrementaldecoder=Incremental,
        name=_LENIENT,
    )


codecs.register(_lenient_codec)


def _on_env_before_read_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if codecs.lookup(app.config.source_encoding or "utf-8").name in ("utf-8", "utf-8-sig"):
        env.settings["input_encoding"] = _LENIENT
    _start_prefetch(app, env, docnames)


def _on_source_read(app: Sphinx, docname: str, content: list[str]) -> None:
    """Keep the page's lines for :func:`role_line`; name the first byte that is not UTF-8.

    The lenient codec reads such a byte as U+FFFD, so only a page holding one is read again, as bytes.
    """
    # as markdown-it reads it: NUL becomes U+FFFD
    lines = content[0].replace("\x00", "\ufffd").split("\n")
    app.env.temp_data["pp_source_lines"] = lines  # temp_data lives for this page's reading only
    if "\ufffd" not in content[0]:
        return
    try:
        raw = Path(app.env.doc2path(docname)).read_bytes()
    except OSError:
        return
    try:
        raw.decode(app.config.source_encoding or "utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        warn(
            f"byte {raw[exc.start : exc.start + 1]!r} at offset {exc.start} is not valid "
            f"{app.config.source_encoding}: save the page as UTF-8 (Sphinx shows it as '?')",
            "source_encoding",
            (docname, line),
        )
    except LookupError:
        return


def _on_missing_reference(app: Sphinx, domain: object, node: object) -> bool | None:
    from sphinx.addnodes import pending_xref

    if not isinstance(node, pending_xref) or node.get("refdomain") != "pp":
        return None
    kind = node.get("reftype")
    if kind == "candidate":
        return True
    docname = node.get("refdoc") or app.env.docname
    where = location_of(app.env, docname, str(node.get("pp_source", "")), node.line or 0)
    warn(f"unknown {kind} id {node.get('reftarget')!r}", "unknown_ref", where)
    return True


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register sphinx-pypatterns with Sphinx."""
    app.setup_extension("myst_parser")
    register_config(app)
    register_nodes(app)
    app.add_domain(PypatternsDomain)
    for name, directive in PypatternsDomain.directives.items():
        app.add_directive(name, directive)
    for name, role in PypatternsDomain.roles.items():
        app.add_role(name, role)
    app.add_post_transform(PypatternsResolver)
    register_print(app)
    app.connect("builder-inited", _load_manifest)
    app.connect("builder-inited", keep_unchanged_evidence_index)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("env-before-read-docs", _on_env_before_read_docs)
    app.connect("source-read", _on_source_read)
    app.connect("env-updated", _on_env_updated)
    app.connect("build-finished", write_evidence)
    app.connect("build-finished", _end_prefetch)
    app.add_builder(EvidenceBuilder)
    app.connect("warn-missing-reference", _on_missing_reference)
    return {
        "version": __version__,
        "env_version": 4,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
