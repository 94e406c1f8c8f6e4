"""The method's claim rules, checked over the pages' text. Free of Sphinx imports.

The build collects each header page's claims while reading (:class:`.records.ClaimRecord`): a
sentence of a paragraph, or a whole list item, with its text (code left out) and whether a
citation or a count stands in it. Four rules read them, once per build:

- ``vague_claim``: a hedge or quantifier (``pypatterns_vague_words``) in a claim of a pattern,
  smell or source note with no citation or count in the same sentence or list item;
- ``out_of_scope``: a framework or service term (``pypatterns_scope_terms``) in a pattern's
  guidance sections (``pypatterns_scope_sections``); text in quotation marks (quoting an
  upstream) and code are exempt;
- ``uncited_claim``: a top-level list item with no citation under a section of
  ``pypatterns_cited_sections`` (Repeated patterns, Evidence, Counterexamples);
- ``duplicate_guidance``: two patterns whose rule and What section say nearly the same thing:
  the cosine of their TF-IDF vectors of content words, stemmed, at least
  ``pypatterns_duplicate_threshold``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .evidence import Finding
from .records import ClaimRecord, HeaderRecord

__all__ = ["DEFAULT_VAGUE_WORDS", "ClaimRules", "claim_findings", "similarity_pairs", "split_sentences"]

DEFAULT_VAGUE_WORDS = (
    "usually",
    "often",
    "most",
    "mostly",
    "many",
    "typically",
    "generally",
    "commonly",
    "frequently",
    "rarely",
    "widely",
    "mature code",
    "best practice",
    "in general",
    "always",
    "never",
)
DEFAULT_SCOPE_TERMS = (
    "web framework",
    "request handler",
    "endpoint",
    "microservice",
    "deployment",
    "django",
    "flask",
    "fastapi",
    "kubernetes",
    "docker",
)
DEFAULT_SCOPE_SECTIONS = ("What", "Why", "When to use", "When not to use", "Preferred shapes")
DEFAULT_CITED_SECTIONS = ("Repeated patterns", "Evidence", "Counterexamples")
DEFAULT_DUPLICATE_THRESHOLD = 0.4

_STOP = frozenset(
    "a an and are as at be by can do does for from has have in is it its not of on one or that the their them "
    "then there these they this to was were when where which while who will with without you your each every "
    "own than so if into only also use used uses using".split()
)
_QUOTED_RE = re.compile(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\s\u00a0]+(?=[A-Z`(\"\u201c*])")


@dataclass(frozen=True)
class ClaimRules:
    vague_words: tuple[str, ...] = DEFAULT_VAGUE_WORDS
    scope_terms: tuple[str, ...] = DEFAULT_SCOPE_TERMS
    scope_sections: tuple[str, ...] = DEFAULT_SCOPE_SECTIONS
    cited_sections: tuple[str, ...] = DEFAULT_CITED_SECTIONS
    duplicate_threshold: float = DEFAULT_DUPLICATE_THRESHOLD


def split_sentences(text: str) -> list[tuple[int, str]]:
    """``(offset, sentence)`` of each sentence of a paragraph's text."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        out.append((start, text[start : match.start()]))
        start = match.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def _words_re(words: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted({w.strip().casefold() for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(
        r"(?<![\w-])(" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in alternatives) + r")(?![\w-])", re.I
    )


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


def claim_findings(
    headers: Mapping[str, HeaderRecord], claims: Mapping[str, Sequence[ClaimRecord]], rules: ClaimRules
) -> list[Finding]:
    vague = _words_re(rules.vague_words)
    scope = _words_re(rules.scope_terms)
    scope_sections = {_key(s) for s in rules.scope_sections}
    cited_sections = {_key(s) for s in rules.cited_sections}
    findings: list[Finding] = []
    for docname, records in sorted(claims.items()):
        head = headers.get(docname)
        if head is None or not head["id"]:
            continue
        for rec in records:
            text = rec["text"]
            if vague is not None and not rec["cited"]:
                found = vague.search(text)
                if found:
                    word = " ".join(found.group(1).split())
                    findings.append(
                        Finding(
                            "vague_claim",
                            docname,
                            rec["lineno"],
                            head["id"],
                            f"\u201c{word}\u201d with no citation or count in the same {_unit(rec)}"
                            f" ({_shown(text)}): cite the code that shows it, count it with {{count}}, or cut the word",
                        )
                    )
            if scope is not None and head["kind"] == "pattern" and _key(rec["section"]) in scope_sections:
                found = scope.search(_QUOTED_RE.sub(" ", text))
                if found:
                    findings.append(
                        Finding(
                            "out_of_scope",
                            docname,
                            rec["lineno"],
                            head["id"],
                            f"\u201c{found.group(1)}\u201d in {rec['section']!r} is framework or service guidance: the"
                            " handbook stays at the Python-library level (quote the upstream, or cut it)",
                        )
                    )
            if rec["kind"] == "item" and rec["top"] and not rec["cited"] and _key(rec["section"]) in cited_sections:
                findings.append(
                    Finding(
                        "uncited_claim",
                        docname,
                        rec["lineno"],
                        head["id"],
                        f"a list item under {rec['section']!r} with no citation ({_shown(text)}): cite the lines it is about",
                    )
                )
    findings.extend(_duplicates(headers, claims, rules.duplicate_threshold))
    return findings


def _unit(rec: ClaimRecord) -> str:
    return "list item" if rec["kind"] == "item" else "sentence"


def _shown(text: str) -> str:
    words = " ".join(text.split())
    return f"\u201c{words[:60]}\u2026\u201d" if len(words) > 60 else f"\u201c{words}\u201d"


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z][a-z0-9_]+", text.casefold()) if w not in _STOP]


def similarity_pairs(texts: Mapping[str, str]) -> list[tuple[float, str, str]]:
    """``(cosine, a, b)`` of every pair of ``texts`` (by id), TF-IDF of stemmed content words, highest first."""
    bags = {k: Counter(_terms(t)) for k, t in texts.items()}
    df: Counter[str] = Counter()
    for bag in bags.values():
        df.update(set(bag))
    n = len(bags)
    vectors = {}
    for k, bag in bags.items():
        vec = {t: c * math.log((1 + n) / (1 + df[t])) for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors[k] = {t: v / norm for t, v in vec.items()}
    keys = sorted(vectors)
    pairs = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            va, vb = vectors[a], vectors[b]
            if len(va) > len(vb):
                va, vb = vb, va
            pairs.append((sum(v * vb.get(t, 0.0) for t, v in va.items()), a, b))
    return sorted(pairs, key=lambda p: (-p[0], p[1], p[2]))


def _duplicates(
    headers: Mapping[str, HeaderRecord], claims: Mapping[str, Sequence[ClaimRecord]], threshold: float
) -> list[Finding]:
    if threshold <= 0:
        return []
    patterns = {h["id"]: h for h in headers.values() if h["kind"] == "pattern" and h["id"]}
    if len(patterns) < 2:
        return []
    texts = {}
    for ident, head in patterns.items():
        what = " ".join(r["text"] for r in claims.get(head["docname"], []) if _key(r["section"]) == "what")
        texts[ident] = f"{head['rule']} {what}"
    found = []
    for score, a, b in similarity_pairs(texts):
        if score < threshold:
            break
        first, second = sorted((patterns[a], patterns[b]), key=lambda h: h["docname"])
        found.append(
            Finding(
                "duplicate_guidance",
                second["docname"],
                second["lineno"],
                second["id"],
                f"the patterns {first['id']!r} ({first['docname']}) and {second['id']!r} ({second['docname']}) say nearly"
                f" the same in their rule and What section (similarity {score:.2f}, at least {threshold:.2f} flags):"
                " merge them, or make each say what the other does not",
            )
        )
    return found
