"""The one exception root of sphinx-pypatterns and its few subclasses.

Every error carries a stable ``subtype``: the Sphinx side turns it into a
``pypatterns.<subtype>`` warning, the CLI prints it, and tests assert it.
"""

from __future__ import annotations

__all__ = [
    "CheckoutError",
    "ManifestError",
    "PypatternsError",
    "SyncError",
    "TargetError",
]


class PypatternsError(Exception):
    """Root of every error this package raises on purpose."""

    def __init__(self, message: str, *, subtype: str) -> None:
        super().__init__(message)
        self.message = message
        self.subtype = subtype

    def __str__(self) -> str:
        return self.message


class TargetError(PypatternsError):
    """A citation target (``upstream:path:lines``) is malformed or unsafe."""


class ManifestError(PypatternsError):
    """The upstream manifest is unreadable or invalid.

    ``key`` names the offending key (``httpx.commit``), ``path`` the file.
    """

    def __init__(
        self, message: str, *, subtype: str = "manifest", key: str = "", path: str = "", line: int = 0
    ) -> None:
        super().__init__(message, subtype=subtype)
        self.key = key
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        if self.key:
            where = f"{where} [{self.key}]" if where else f"[{self.key}]"
        return f"{where}: {self.message}" if where else self.message


class CheckoutError(PypatternsError):
    """A file could not be read from a pinned checkout."""


class SyncError(PypatternsError):
    """Materialising an upstream failed; names the upstream and the source tried."""
