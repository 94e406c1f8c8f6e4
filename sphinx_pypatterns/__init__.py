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

from ._checkouts import FolderCheckout, GitCheckout, locate_checkout, parse_checkouts_spec
from ._errors import CheckoutError, ManifestError, PypatternsError, SyncError, TargetError
from ._manifest import Manifest, Upstream, load_manifest, parse_manifest
from ._targets import CitationTarget, parse_anchor, parse_target
from ._verify import Verdict, Verifier
from ._version import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

    from ._sync import sync_upstreams

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
    # imported on first use: the sync machinery (tarfile, pip calls) is not needed to verify
    if name == "sync_upstreams":
        from ._sync import sync_upstreams

        return sync_upstreams
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def setup(app: Sphinx) -> ExtensionMetadata:
    """Sphinx entry point; imports Sphinx only when Sphinx loads the extension."""
    from ._extension import setup as _setup

    return _setup(app)
