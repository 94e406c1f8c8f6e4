"""Registering the ``pypatterns_*`` values with Sphinx, and reading them in the build."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .._core.config_values import NO_REBUILD, SPECS, checked_config, conf_line
from .._core.defaults import DEFAULT_RULE_SECTIONS, DEFAULT_SECTIONS

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

    from .._core.claims import ClaimRules
    from .._core.evidence import EvidenceRules

__all__ = ["OWN_FOLDER", "evidence_rules", "register_config", "required_sections"]


def register_config(app: Sphinx) -> None:
    for name, (default, types, _check, _wanted) in SPECS.items():
        app.add_config_value(name, default, "" if name in NO_REBUILD else "env", types=types)
    app.connect("config-inited", _check_config)


#: ``SRCDIR/`` this folder holds the checkouts ``pypatterns sync`` extracts and the caches: never pages.
OWN_FOLDER = ".pypatterns"


def _check_config(app: Sphinx, config: Config) -> None:
    """Enable MyST's colon fences; exclude this extension's own folder from the pages; replace a
    mistyped value by its default, with a warning."""
    from .log import warn

    if OWN_FOLDER not in config.exclude_patterns:
        config.exclude_patterns = [*config.exclude_patterns, OWN_FOLDER]
    extensions = list(getattr(config, "myst_enable_extensions", None) or [])
    if "colon_fence" not in extensions:
        config.myst_enable_extensions = [*extensions, "colon_fence"]
    values = {name: getattr(config, name) for name in SPECS}
    clean, problems = checked_config(values)
    for name, message in problems:
        warn(message, "config", f"{Path(app.confdir, 'conf.py')}:{conf_line(app.confdir, name)}")
        setattr(config, name, clean[name])


def evidence_rules(config: Config) -> EvidenceRules:
    """The review rules' thresholds from conf.py."""
    from .._core.evidence import EvidenceRules

    sections = {**DEFAULT_RULE_SECTIONS, **config.pypatterns_rule_sections}
    return EvidenceRules(
        min_upstreams=config.pypatterns_min_upstreams,
        min_counterexample_citations=config.pypatterns_min_counterexample_citations,
        min_smell_citations=config.pypatterns_min_smell_citations,
        min_repeat_citations=config.pypatterns_min_repeat_citations,
        require_nomination=config.pypatterns_require_nomination,
        min_nominations=config.pypatterns_min_nominations,
        require_smell=config.pypatterns_require_smell,
        counterexamples_section=sections["counterexamples"],
        smell_evidence_section=sections["smell_evidence"],
        repeated_section=sections["repeated"],
    )


def claim_rules(config: Config) -> ClaimRules:
    """The claim rules' word lists, sections and threshold from conf.py (an empty list turns a rule off)."""
    from .._core.claims import ClaimRules

    return ClaimRules(
        vague_words=tuple(config.pypatterns_vague_words),
        scope_terms=tuple(config.pypatterns_scope_terms),
        scope_sections=tuple(config.pypatterns_scope_sections),
        cited_sections=tuple(config.pypatterns_cited_sections),
        duplicate_threshold=float(config.pypatterns_duplicate_threshold),
    )


def required_sections(config: Config, kind: str) -> list[str]:
    sections: dict[str, list[str]] = config.pypatterns_required_sections
    return list(sections.get(kind, DEFAULT_SECTIONS[kind]))
