"""Configuration values (``pypatterns_*`` in conf.py), their defaults and checks."""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

from ._defaults import DEFAULT_AREAS, DEFAULT_MAX_FILE_BYTES, DEFAULT_RULE_SECTIONS, DEFAULT_SECTIONS, KINDS
from ._evidence import EvidenceRules
from ._log import warn

__all__ = ["evidence_rules", "register_config", "required_sections"]

_TYPES: dict[str, tuple[object, tuple[type, ...]]] = {
    "pypatterns_areas": (DEFAULT_AREAS, (list, tuple)),
    "pypatterns_rule_max_words": (30, (int,)),
    "pypatterns_required_sections": (DEFAULT_SECTIONS, (dict,)),
    "pypatterns_upstreams": ([], (list, tuple)),
    "pypatterns_manifest": ("", (str,)),
    "pypatterns_checkouts": ("", (str, list, tuple)),
    "pypatterns_require_anchor": (False, (bool,)),
    "pypatterns_max_file_bytes": (DEFAULT_MAX_FILE_BYTES, (int,)),
    "pypatterns_min_upstreams": (2, (int,)),
    "pypatterns_min_counterexample_citations": (1, (int,)),
    "pypatterns_min_smell_citations": (1, (int,)),
    "pypatterns_min_repeat_citations": (2, (int,)),
    "pypatterns_require_nomination": (True, (bool,)),
    "pypatterns_rule_sections": (dict(DEFAULT_RULE_SECTIONS), (dict,)),
    "pypatterns_print_inline_excerpts": (False, (bool,)),
    "pypatterns_background_verify": (True, (bool,)),
}

#: Values that change how the build works, not what it writes: changing them rebuilds nothing.
_NO_REBUILD = frozenset({"pypatterns_background_verify"})

_THRESHOLDS = (
    "pypatterns_min_upstreams",
    "pypatterns_min_counterexample_citations",
    "pypatterns_min_smell_citations",
    "pypatterns_min_repeat_citations",
)


def register_config(app: Sphinx) -> None:
    for name, (default, types) in _TYPES.items():
        app.add_config_value(name, default, "" if name in _NO_REBUILD else "env", types=types)
    app.connect("config-inited", _check_config)


def _check_config(app: Sphinx, config: Config) -> None:
    """Enable MyST's colon fences; replace a mistyped value by its default, with a warning."""
    extensions = list(getattr(config, "myst_enable_extensions", None) or [])
    if "colon_fence" not in extensions:
        config.myst_enable_extensions = [*extensions, "colon_fence"]
    for name, (default, types) in _TYPES.items():
        value = getattr(config, name)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if ok and name == "pypatterns_areas":
            ok = bool(value) and all(isinstance(v, str) and v for v in value)
        if ok and name == "pypatterns_upstreams":
            ok = all(isinstance(v, str) and v for v in value)
        if ok and name in ("pypatterns_rule_max_words", "pypatterns_max_file_bytes"):
            ok = value > 0
        if ok and name in _THRESHOLDS:
            ok = value >= 0
        if ok and name == "pypatterns_rule_sections":
            ok = all(k in DEFAULT_RULE_SECTIONS and isinstance(v, str) and v.strip() for k, v in value.items())
        if ok and name == "pypatterns_required_sections":
            ok = all(
                k in KINDS and isinstance(v, (list, tuple)) and all(isinstance(s, str) for s in v)
                for k, v in value.items()
            )
        if not ok:
            warn(f"{name} = {value!r} is invalid; using the default {default!r}", "config", _conf_location(app, name))
            setattr(config, name, default)


def evidence_rules(config: Config) -> EvidenceRules:
    """The review rules' thresholds from conf.py."""
    sections = {**DEFAULT_RULE_SECTIONS, **config.pypatterns_rule_sections}
    return EvidenceRules(
        min_upstreams=config.pypatterns_min_upstreams,
        min_counterexample_citations=config.pypatterns_min_counterexample_citations,
        min_smell_citations=config.pypatterns_min_smell_citations,
        min_repeat_citations=config.pypatterns_min_repeat_citations,
        require_nomination=config.pypatterns_require_nomination,
        counterexamples_section=sections["counterexamples"],
        smell_evidence_section=sections["smell_evidence"],
        repeated_section=sections["repeated"],
    )


def required_sections(config: Config, kind: str) -> list[str]:
    sections: dict[str, list[str]] = config.pypatterns_required_sections
    return list(sections.get(kind, DEFAULT_SECTIONS[kind]))


def _conf_location(app: Sphinx, name: str) -> str:
    """``.../conf.py:LINE`` of the last assignment to ``name`` (line 0 if not found)."""
    path = Path(app.confdir, "conf.py")
    try:
        lines = path.read_text("utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        lines = []
    # the last assignment is the one that counts
    found = [i + 1 for i, text in enumerate(lines) if re.match(rf"^\s*{name}\s*[:=]", text)]
    line = found[-1] if found else 0
    return f"{path}:{line}"
