"""Typed, located warnings: every one is ``pypatterns.<subtype>``."""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

__all__ = ["SUBTYPES", "logger", "warn"]

logger = logging.getLogger("sphinx_pypatterns")

#: The closed list of warning subtypes, documented in the user guide.
SUBTYPES = frozenset(
    {
        # header directives and pages
        "missing_option",
        "empty_option",
        "unknown_option",
        "bad_id",
        "unknown_area",
        "rule_too_long",
        "missing_section",
        "empty_section",
        "duplicate_header",
        "misplaced_header",
        "duplicate_id",
        "unknown_pattern",
        "unknown_ref",
        "empty_target",
        "unknown_upstream",
        "config",
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
        "checkout_missing",
        "commit_missing",
        "bad_commit",
        "no_manifest",
        # review rules, checked over the whole project
        "thin_evidence",
        "uncited_counterexamples",
        "uncited_smell",
        "thin_repetition",
        "unnominated_pattern",
        # manifest
        "manifest",
        "manifest_toml",
    }
)

Location = str | tuple[str, int | None] | nodes.Node | None


def warn(message: str, subtype: str, location: Location) -> None:
    """Emit one ``pypatterns.<subtype>`` warning at ``location``."""
    assert subtype in SUBTYPES, subtype
    logger.warning(message, type="pypatterns", subtype=subtype, location=location)
