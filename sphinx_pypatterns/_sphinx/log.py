"""Typed, located warnings: every one is ``pypatterns.<subtype>``."""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

from .._core.subtypes import SUBTYPES, Subtype, as_subtype

__all__ = ["SUBTYPES", "Subtype", "as_subtype", "logger", "warn"]

logger = logging.getLogger("sphinx_pypatterns")

Location = str | tuple[str, int | None] | nodes.Node | None


def warn(message: str, subtype: Subtype, location: Location) -> None:
    """Emit one ``pypatterns.<subtype>`` warning at ``location``."""
    logger.warning(message, type="pypatterns", subtype=subtype, location=location)
