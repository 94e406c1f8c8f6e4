"""What the ``pp`` domain computes from its data: the id index, the evidence picture, the back-links.

One :class:`Derived` per state of the data: the domain drops it whenever the data
changes (``PypatternsDomain.changed``), and each part is computed when first asked for.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .._core.evidence import Links, Picture, compute_links, compute_picture
from .._core.records import HeaderRecord
from .config import claim_rules, evidence_rules

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["Derived"]


class Derived:
    """What is computed from the domain's data; one instance per state of the data."""

    def __init__(self, domain: PypatternsDomain) -> None:
        self._domain = domain

    @cached_property
    def index(self) -> dict[tuple[str, str], HeaderRecord]:
        """``(kind, id) -> header``, the first by document name winning."""
        index: dict[tuple[str, str], HeaderRecord] = {}
        for record in self._domain.all_headers():
            if record["id"]:
                index.setdefault((record["kind"], record["id"]), record)
        return index

    @cached_property
    def picture(self) -> Picture:
        d = self._domain
        return compute_picture(
            d.headers,
            d.citations,
            d.candidates,
            d.items,
            sorted(d.upstream_names()),
            list(d.env.config.pypatterns_areas),
            evidence_rules(d.env.config),
            d.claims,
            claim_rules(d.env.config),
        )

    @cached_property
    def links(self) -> Links:
        return compute_links(self._domain.headers, self._domain.candidates, self._domain.xrefs)
