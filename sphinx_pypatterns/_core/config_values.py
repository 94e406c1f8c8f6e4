"""The ``pypatterns_*`` values of conf.py: their defaults and the one check of each.

:func:`checked_config` is used by the build (at ``config-inited``) and by
``pypatterns check``/``sync``, which read conf.py without Sphinx.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from .claims import (
    DEFAULT_CITED_SECTIONS,
    DEFAULT_DUPLICATE_THRESHOLD,
    DEFAULT_SCOPE_SECTIONS,
    DEFAULT_SCOPE_TERMS,
    DEFAULT_VAGUE_WORDS,
)
from .defaults import DEFAULT_AREAS, DEFAULT_MAX_FILE_BYTES, DEFAULT_RULE_SECTIONS, DEFAULT_SECTIONS, KINDS

__all__ = ["BARE_ROLES", "CONFIG_DEFAULTS", "NO_REBUILD", "SPECS", "checked_config", "conf_line"]


def _is_text(value: object) -> bool:
    """A non-blank string without NUL."""
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


def _is_texts(value: object) -> bool:
    """A list or tuple of non-blank strings."""
    return isinstance(value, (list, tuple)) and all(_is_text(v) for v in value)


def _is_path(value: object) -> bool:
    """A string usable as a path: no NUL (the empty string means "not set")."""
    return isinstance(value, str) and "\x00" not in value


def _is_checkouts(value: object) -> bool:
    return _is_path(value) or (isinstance(value, (list, tuple)) and all(_is_path(v) for v in value))


def _is_sections(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and k in KINDS and _is_texts(v) for k, v in value.items())


def _is_rule_sections(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k in DEFAULT_RULE_SECTIONS and _is_text(v) for k, v in value.items()
    )


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_areas(value: object) -> bool:
    return _is_texts(value) and len(value) > 0  # type: ignore[arg-type]


_Spec = tuple[object, tuple[type, ...], Callable[[object], bool], str]


def _is_fraction(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


#: The roles this extension also registers under their bare names (``{cite}`` beside ``{pp:cite}``).
BARE_ROLES = ("cite", "candidate", "pattern", "smell", "source-note", "count")


def _is_bare_roles(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) and v in BARE_ROLES for v in value)


_BOOL = ((bool,), _is_bool, "True or False")
_COUNT = ((int,), _is_count, "a whole number, 0 or more")
_POSITIVE = ((int,), _is_positive, "a whole number, 1 or more")

#: name -> (default, the types Sphinx is told, the full check, what the check wants).
SPECS: dict[str, _Spec] = {
    "pypatterns_areas": (
        DEFAULT_AREAS,
        (list, tuple),
        _is_areas,
        "a non-empty list of non-empty strings",
    ),
    "pypatterns_rule_max_words": (30, *_POSITIVE),
    "pypatterns_required_sections": (
        DEFAULT_SECTIONS,
        (dict,),
        _is_sections,
        f"a dict from {', '.join(map(repr, KINDS))} to lists of non-empty section titles",
    ),
    "pypatterns_upstreams": ([], (list, tuple), _is_texts, "a list of non-empty strings"),
    "pypatterns_manifest": ("", (str,), _is_path, "a path (a string)"),
    "pypatterns_checkouts": ("", (str, list, tuple), _is_checkouts, "a string, or a list of strings"),
    "pypatterns_require_anchor": (False, *_BOOL),
    "pypatterns_max_file_bytes": (DEFAULT_MAX_FILE_BYTES, *_POSITIVE),
    "pypatterns_min_upstreams": (2, *_COUNT),
    "pypatterns_min_counterexample_citations": (1, *_COUNT),
    "pypatterns_min_smell_citations": (1, *_COUNT),
    "pypatterns_min_repeat_citations": (2, *_COUNT),
    "pypatterns_require_nomination": (True, *_BOOL),
    "pypatterns_min_nominations": (0, *_COUNT),
    "pypatterns_require_smell": (False, *_BOOL),
    "pypatterns_rule_sections": (
        dict(DEFAULT_RULE_SECTIONS),
        (dict,),
        _is_rule_sections,
        f"a dict from {', '.join(map(repr, DEFAULT_RULE_SECTIONS))} to non-empty section titles",
    ),
    "pypatterns_print_inline_excerpts": (False, *_BOOL),
    "pypatterns_background_verify": (True, *_BOOL),
    "pypatterns_vague_words": (list(DEFAULT_VAGUE_WORDS), (list, tuple), _is_texts, "a list of non-empty strings"),
    "pypatterns_scope_terms": (list(DEFAULT_SCOPE_TERMS), (list, tuple), _is_texts, "a list of non-empty strings"),
    "pypatterns_scope_sections": (list(DEFAULT_SCOPE_SECTIONS), (list, tuple), _is_texts, "a list of section titles"),
    "pypatterns_cited_sections": (list(DEFAULT_CITED_SECTIONS), (list, tuple), _is_texts, "a list of section titles"),
    "pypatterns_duplicate_threshold": (
        DEFAULT_DUPLICATE_THRESHOLD,
        (float, int),
        _is_fraction,
        "a number from 0 (off) to 1",
    ),
    "pypatterns_bare_roles": (
        list(BARE_ROLES),
        (list, tuple),
        _is_bare_roles,
        f"a list of role names among {', '.join(map(repr, BARE_ROLES))}",
    ),
}

#: Every ``pypatterns_*`` value and its default.
CONFIG_DEFAULTS: dict[str, object] = {name: spec[0] for name, spec in SPECS.items()}

#: Values that change how the build works, not what it writes: changing them rebuilds nothing.
NO_REBUILD = frozenset({"pypatterns_background_verify"})

#: How much of a wrong value a warning shows.
_SHOWN = 120


def _shown(value: object) -> str:
    """``repr(value)``, shortened; never raises (conf.py may define any ``__repr__``)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 5]}...{text[-1]}"


def checked_config(values: Mapping[str, object]) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """Every ``pypatterns_*`` value of ``values`` (conf.py's names), checked.

    Returns the values to use (the default for one missing or wrong) and one
    ``(name, message)`` per wrong value, in a stable order. Never raises.
    """
    clean: dict[str, object] = {}
    problems: list[tuple[str, str]] = []
    for name, (default, _types, check, wanted) in SPECS.items():
        if name not in values:
            clean[name] = default
            continue
        value = values[name]
        try:
            ok = check(value)
        except Exception:
            ok = False
        if ok:
            clean[name] = value
        else:
            clean[name] = default
            problems.append(
                (name, f"{name} = {_shown(value)} is invalid ({wanted}); using the default {_shown(default)}")
            )
    return clean, problems


def conf_line(confdir: str | Path, name: str) -> int:
    """The line of ``confdir/conf.py`` holding the last assignment to ``name`` (0 if not found)."""
    try:
        lines = Path(confdir, "conf.py").read_text("utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        lines = []
    # the last assignment is the one that counts
    found = [i + 1 for i, text in enumerate(lines) if re.match(rf"^\s*{re.escape(name)}\s*[:=]", text)]
    return found[-1] if found else 0
