"""Default areas and required sections (no Sphinx imports: the CLI uses them too)."""

from __future__ import annotations

import re

__all__ = [
    "COMMIT_RE",
    "DEFAULT_AREAS",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_RULE_SECTIONS",
    "DEFAULT_SECTIONS",
    "KINDS",
    "PLACEHOLDER",
    "SLUG_RE",
    "SPAN_RULES",
    "UPSTREAM_NAME_RE",
]

#: Ids of patterns, smells and candidates: lower-case slugs.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: "$" would let a trailing newline through
#: An upstream's name in the manifest, and so a source note's id: use ``fullmatch``.
UPSTREAM_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: A pinned commit: exactly 40 lower-case hex characters.
COMMIT_RE = re.compile(r"^[0-9a-f]{40}\Z")  # \Z: "$" would let a trailing newline through
#: Cited files larger than this are refused (``pypatterns_max_file_bytes``).
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
#: ``pypatterns sync`` refuses archives that unpack to more than this (``--max-extract-mb``).
DEFAULT_MAX_EXTRACT_BYTES = 1024 * 1024 * 1024

KINDS = ("pattern", "smell", "source-note")

#: How ``pypatterns new`` marks what the author has still to write; the build flags text that
#: starts with it (``unfinished``), so a page fresh from the template cannot pass ``-W``.
PLACEHOLDER = "TODO"

DEFAULT_AREAS = ["public-surface", "exceptions", "sync-async", "typing", "data-model", "testing"]

DEFAULT_SECTIONS: dict[str, list[str]] = {
    "pattern": ["What", "Why", "When to use", "When not to use", "Preferred shapes", "Counterexamples", "Evidence"],
    "smell": ["Symptoms", "Why it hurts", "Instead", "Evidence"],
    "source-note": ["Why this repo", "Repeated patterns", "Caveats and counterexamples", "Pattern candidates"],
}

#: The sections the review rules look into (``pypatterns_rule_sections``).
DEFAULT_RULE_SECTIONS: dict[str, str] = {
    "counterexamples": "Counterexamples",
    "smell_evidence": "Evidence",
    "repeated": "Repeated patterns",
}

#: The version of the verification rules (symbol spans, decoding, path and anchor checks):
#: 2: a binding inside an if/try/with block spans from the block; 3: BOMs and coding cookies
#: decoded as Python does; Unicode anchors; invisible path characters refused. Verdict caches
#: made under other rules are discarded. (Here, not in _symbols, so a warm check imports no ast.)
SPAN_RULES = 3
