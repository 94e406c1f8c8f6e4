"""Pattern, smell and source-note ids: one namespace for patterns and smells, one for source notes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sphinx.environment import BuildEnvironment

from .._core.records import HeaderRecord
from .log import warn

__all__ = ["check_duplicate_id"]

_NS = {"pattern": "ps", "smell": "ps", "source-note": "note"}


def _ns(kind: str) -> str:
    return _NS.get(kind, kind)


def check_duplicate_id(
    env: BuildEnvironment,
    headers: Mapping[str, HeaderRecord],
    record: HeaderRecord,
    location: tuple[str, int] | str,
    others: Iterable[str],
) -> None:
    """Warn ``duplicate_id`` when one of the pages ``others`` holds a header of ``record``'s id and namespace."""
    if not record["id"]:
        return
    for other in sorted(others):
        existing = headers.get(other)
        if existing is not None and _ns(existing["kind"]) == _ns(record["kind"]) and existing["id"] == record["id"]:
            here = f"{env.doc2path(record['docname'], False)}:{record['lineno']}"
            there = f"{env.doc2path(other, False)}:{existing['lineno']}"
            warn(
                f"duplicate id {record['id']!r}: {here} ({record['kind']}) and {there} ({existing['kind']})",
                "duplicate_id",
                location,
            )
            return
