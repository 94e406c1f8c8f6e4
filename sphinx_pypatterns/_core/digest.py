"""One digest of JSON-shaped data, for every "did this change?" question."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

__all__ = ["json_digest"]


def json_digest(value: object, *, default: Callable[[object], object] | None = None) -> str:
    """The SHA-256 of ``value`` as JSON with sorted keys (``default`` converts what JSON cannot hold)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=default).encode()).hexdigest()
