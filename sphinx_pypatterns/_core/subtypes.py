"""The closed list of warning subtypes, ``pypatterns.<subtype>``, documented in the user guide.

A ``Literal``, so mypy checks every subtype the build names; a subtype read from data
(a verdict, an error) is checked by :func:`as_subtype` at the one place it becomes a warning.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

__all__ = ["SUBTYPES", "Subtype", "as_subtype"]

Subtype = Literal[
    # header directives and pages
    "missing_option",
    "empty_option",
    "unknown_option",
    "bad_id",
    "unknown_area",
    "rule_too_long",
    "missing_section",
    "empty_section",
    "unfinished",
    "duplicate_header",
    "misplaced_header",
    "duplicate_id",
    "unknown_pattern",
    "unknown_ref",
    "empty_target",
    "unknown_upstream",
    "config",
    "role_clash",
    "source_encoding",
    # citations
    "bad_target",
    "bad_path",
    "bad_lines",
    "line_out_of_range",
    "missing_file",
    "path_escapes",
    "symlink_loop",
    "not_a_file",
    "file_too_large",
    "binary_file",
    "not_utf8",
    "unparsable",
    "missing_anchor",
    "anchor_mismatch",
    "unknown_symbol",
    "ambiguous_symbol",
    "quote_not_found",
    "bad_count",
    "count_mismatch",
    "checkout_missing",
    "commit_missing",
    "bad_commit",
    "no_manifest",
    "content_changed",
    # review rules, checked over the whole project
    "thin_evidence",
    "uncited_counterexamples",
    "uncited_smell",
    "thin_repetition",
    "unnominated_pattern",
    "thin_nomination",
    "uninverted_pattern",
    "stale_no_smell",
    # claim rules, over the pages' text
    "vague_claim",
    "out_of_scope",
    "uncited_claim",
    "duplicate_guidance",
    # manifest
    "manifest",
    "manifest_toml",
    "lock",
]

SUBTYPES: frozenset[str] = frozenset(get_args(Subtype))


def as_subtype(value: str) -> Subtype:
    """``value`` as a warning subtype; ``ValueError`` for a name outside the closed list."""
    if value not in SUBTYPES:
        raise ValueError(f"{value!r} is not a pypatterns warning subtype")
    return cast("Subtype", value)
