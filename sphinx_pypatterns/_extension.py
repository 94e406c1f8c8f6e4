"""``setup(app)``: registers the domain, directives, roles, nodes and events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.typing import ExtensionMetadata

from ._builder import EvidenceBuilder, write_evidence
from ._checkouts import parse_checkouts_spec
from ._config import register_config
from ._domain import PypatternsDomain
from ._errors import ManifestError
from ._log import warn
from ._manifest import Manifest, load_manifest
from ._nodes import register_nodes
from ._print import register_print
from ._render import PypatternsResolver
from ._verify import Verifier
from ._version import __version__

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


def _on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """The global step. The verifier lives only for it: its cat-file processes end and its
    blob caches are freed before the write phase, the build's memory peak."""
    domain = _domain(env)
    if domain.manifest is None:
        return domain.on_env_updated(None)
    spec = checkouts_spec(app)
    with Verifier(domain.manifest, spec, max_bytes=app.config.pypatterns_max_file_bytes) as verifier:
        return domain.on_env_updated(verifier)


def _on_missing_reference(app: Sphinx, domain: object, node: object) -> bool | None:
    from sphinx.addnodes import pending_xref

    if not isinstance(node, pending_xref) or node.get("refdomain") != "pp":
        return None
    kind = node.get("reftype")
    if kind == "candidate":
        return True
    docname = node.get("refdoc") or app.env.docname
    warn(f"unknown {kind} id {node.get('reftarget')!r}", "unknown_ref", (docname, node.line))
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
    app.connect("env-updated", _on_env_updated)
    app.connect("build-finished", write_evidence)
    app.add_builder(EvidenceBuilder)
    app.connect("warn-missing-reference", _on_missing_reference)
    return {
        "version": __version__,
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
