"""Default areas and required sections (no Sphinx imports: the CLI uses them too)."""

from __future__ import annotations

__all__ = ["DEFAULT_AREAS", "DEFAULT_SECTIONS", "KINDS"]

KINDS = ("pattern", "smell", "source-note")

DEFAULT_AREAS = ["public-surface", "exceptions", "sync-async", "typing", "data-model", "testing"]

DEFAULT_SECTIONS: dict[str, list[str]] = {
    "pattern": ["What", "Why", "When to use", "When not to use", "Preferred shapes", "Counterexamples", "Evidence"],
    "smell": ["Symptoms", "Why it hurts", "Instead", "Evidence"],
    "source-note": ["Why this repo", "Repeated patterns", "Caveats and counterexamples", "Pattern candidates"],
}
