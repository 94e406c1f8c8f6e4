"""sphinx-pypatterns: a Sphinx extension for evidence-backed design handbooks.

Header directives (``pattern``, ``smell``, ``source-note``) with required
fields, a ``cite`` role and directive whose ``file:line`` citations are
verified against pinned upstream checkouts, and one ``pp`` domain holding
the global evidence index.

The verification core (targets, manifest, checkouts, verifier, sync) has
no Sphinx imports and is usable on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._core.errors import CheckoutError, ManifestError, PypatternsError, SyncError, TargetError
from ._version import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

    from ._core.checkouts import FolderCheckout, GitCheckout, locate_checkout, parse_checkouts_spec
    from ._core.manifest import Manifest, Upstream, load_manifest, parse_manifest
    from ._core.targets import CitationTarget, parse_anchor, parse_target
    from ._core.verify import Verdict, Verifier
    from ._tools.sync import sync_upstreams

#: Public names imported on first use, so ``pypatterns check`` starts fast: name -> private module.
_LAZY = {
    "FolderCheckout": "_core.checkouts",
    "GitCheckout": "_core.checkouts",
    "locate_checkout": "_core.checkouts",
    "parse_checkouts_spec": "_core.checkouts",
    "Manifest": "_core.manifest",
    "Upstream": "_core.manifest",
    "load_manifest": "_core.manifest",
    "parse_manifest": "_core.manifest",
    "sync_upstreams": "_tools.sync",
    "CitationTarget": "_core.targets",
    "parse_anchor": "_core.targets",
    "parse_target": "_core.targets",
    "Verdict": "_core.verify",
    "Verifier": "_core.verify",
}

__all__ = [
    "CheckoutError",
    "CitationTarget",
    "FolderCheckout",
    "GitCheckout",
    "Manifest",
    "ManifestError",
    "PypatternsError",
    "SyncError",
    "TargetError",
    "Upstream",
    "Verdict",
    "Verifier",
    "__version__",
    "load_manifest",
    "locate_checkout",
    "parse_anchor",
    "parse_checkouts_spec",
    "parse_manifest",
    "parse_target",
    "setup",
    "sync_upstreams",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def setup(app: Sphinx) -> ExtensionMetadata:
    """Sphinx entry point; imports Sphinx only when Sphinx loads the extension."""
    from ._sphinx.setup import setup as _setup

    return _setup(app)
