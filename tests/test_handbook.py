"""The handbook's own targets (issue 13), read from its pages without building.

The build's review rules check each page against `conf.py`'s thresholds;
these tests hold the handbook-wide targets those rules cannot see: how many
patterns per area, how many cite three of the four first-wave upstreams,
citations in Evidence, a verdict first, rules of at most 25 words, the fourteen
smells, every nominated candidate either synthesised or explained on the
patterns index, and every source-note item one bold claim and at most two sentences. ``python tests/test_handbook.py`` prints the table.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from sphinx_pypatterns._core.scan import scan_page

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("public-surface", "exceptions", "sync-async", "typing", "data-model", "testing")
FIRST_WAVE = {"cpython", "httpx", "pytest", "pydantic"}
SMELLS = {
    "broad-except",
    "hidden-resource-lifetime",
    "accidental-public-api",
    "fake-sync-wrapper",
    "any-overuse",
    "mixed-responsibility-model",
    "type-only-raises",
    "positional-options",
    "message-only-exception",
    "mutable-value",
    "overloaded-none",
    "union-return",
    "live-dependency-tests",
    "copy-paste-tests",
}
_OPTION = re.compile(r"^:(\w+):\s*(.*)$", re.M)
_CANDIDATE = re.compile(r"\{candidate\}`([a-z0-9-]+)`")


@dataclass
class Page:
    path: Path
    options: dict[str, str]
    first_block: str  # the text between the header directive and the first section
    sections: dict[str, list[str]] = field(default_factory=dict)  # section -> citation targets

    @property
    def upstreams(self) -> set[str]:
        return {t.split(":", 1)[0] for targets in self.sections.values() for t in targets}

    def count(self, section: str) -> int:
        return len(self.sections.get(section, []))

    @property
    def citations(self) -> int:
        return sum(len(v) for v in self.sections.values())


def read_page(path: Path) -> Page:
    text = path.read_text("utf-8")
    header = re.search(r"^:::\{(pattern|smell)\}\n(.*?)^:::\n", text, re.S | re.M)
    assert header, f"{path.name}: no header directive"
    options = dict(_OPTION.findall(header.group(2)))
    tokens = MarkdownIt("commonmark").parse(text)
    heads = [
        (tok.map[0] + 1, tokens[i + 1].content.strip())
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.tag == "h2" and tok.map
    ]
    first_line = heads[0][0] if heads else len(text.splitlines()) + 1
    first_block = "\n".join(text.splitlines()[text.count("\n", 0, header.end()) : first_line - 1]).strip()
    page = Page(path, options, first_block, {title: [] for _, title in heads})
    for found in scan_page(path, text):
        owner = [title for line, title in heads if line <= found.line]
        if owner:
            page.sections[owner[-1]].append(found.target)
    return page


def patterns() -> list[Page]:
    return [read_page(p) for p in sorted((ROOT / "patterns").glob("*.md")) if p.name != "index.md"]


def smells() -> list[Page]:
    return [read_page(p) for p in sorted((ROOT / "smells").glob("*.md")) if p.name != "index.md"]


def test_at_least_24_patterns_three_per_area() -> None:
    pages = patterns()
    per_area = {area: [p.options["id"] for p in pages if p.options.get("area") == area] for area in AREAS}
    assert len(pages) >= 24, len(pages)
    assert {area: len(ids) for area, ids in per_area.items() if len(ids) < 3} == {}


def test_each_pattern_meets_the_evidence_targets() -> None:
    short = {}
    for p in patterns():
        problems = []
        if len(p.upstreams & FIRST_WAVE) < 2:
            problems.append(f"cites {sorted(p.upstreams)}")
        if p.count("Evidence") < 4:
            problems.append(f"{p.count('Evidence')} citations in Evidence")
        if p.count("Counterexamples") < 1:
            problems.append("no citation in Counterexamples")
        if len(p.options.get("rule", "").split()) > 25:
            problems.append("rule over 25 words")
        if not p.first_block.startswith("**Verdict.**"):
            problems.append("no verdict paragraph under the header")
        if problems:
            short[p.path.name] = problems
    assert short == {}


def test_seventy_percent_cite_three_first_wave_upstreams() -> None:
    pages = patterns()
    three = [p for p in pages if len(p.upstreams & FIRST_WAVE) >= 3]
    assert pages and len(three) / len(pages) >= 0.7, f"{len(three)} of {len(pages)}"


def test_the_smells() -> None:
    pages = {p.options["id"]: p for p in smells()}
    assert set(pages) >= SMELLS
    thin = {i: p.count("Evidence") for i, p in pages.items() if p.count("Evidence") < 2 or len(p.upstreams) < 2}
    assert thin == {}
    assert all(p.first_block.startswith("**Verdict.**") for p in pages.values())


def test_every_candidate_is_synthesised_or_explained() -> None:
    nominated = {c for note in (ROOT / "sources").glob("*.md") for c in _CANDIDATE.findall(note.read_text("utf-8"))}
    written = {p.options["id"] for p in patterns()}
    index = (ROOT / "patterns" / "index.md").read_text("utf-8")
    explained = set(re.findall(r"^- `([a-z0-9-]+)`: not synthesised", index, re.M))
    assert nominated - written - explained == set()
    assert explained & written == set()


def _toctrees(text: str) -> list[tuple[str, list[str]]]:
    """``(section title, entries)`` of every toctree of a page."""
    found = []
    section = ""
    for tok in MarkdownIt("commonmark").parse(text):
        if tok.type == "inline" and tok.map and text.splitlines()[tok.map[0]].startswith("## "):
            section = tok.content.strip()
        if tok.type == "fence" and tok.info.strip() == "{toctree}":
            entries = [ln.strip() for ln in tok.content.splitlines() if ln.strip() and not ln.startswith(":")]
            found.append((section, entries))
    return found


def test_the_patterns_index_files_each_page_under_its_area() -> None:
    titles = {
        "Public surface": "public-surface",
        "Exceptions": "exceptions",
        "Sync/async boundaries": "sync-async",
        "Typing and protocols": "typing",
        "Data models": "data-model",
        "Testing": "testing",
    }
    index = (ROOT / "patterns" / "index.md").read_text("utf-8")
    filed = {entry: titles.get(section) for section, entries in _toctrees(index) for entry in entries}
    assert filed == {p.path.stem: p.options["area"] for p in patterns()}
    # each area's section shows that area's checklist
    for title, area in titles.items():
        section = index.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
        assert f":area: {area}\n" in section, title


def test_the_smells_index_lists_every_smell_with_what_it_inverts() -> None:
    index = (ROOT / "smells" / "index.md").read_text("utf-8")
    pages = {p.path.stem: p for p in smells()}
    assert sorted(e for _, entries in _toctrees(index) for e in entries) == sorted(pages)
    rows = dict(re.findall(r"^\| \{smell\}`([a-z0-9-]+)` \| (.*?) \|$", index, re.M))
    assert {k: sorted(re.findall(r"\{pattern\}`([a-z0-9-]+)`", v)) for k, v in rows.items()} == {
        k: sorted(p.options["inverts"].replace(",", " ").split()) for k, p in pages.items()
    }


def table() -> str:
    rows = [
        "| pattern | area | upstreams cited | citations | in Evidence | in Counterexamples |",
        "|---|---|---|---|---|---|",
    ]
    for p in sorted(patterns(), key=lambda p: (AREAS.index(p.options.get("area", "testing")), p.options["id"])):
        rows.append(
            f"| `{p.options['id']}` | {p.options.get('area')} | {', '.join(sorted(p.upstreams))} ({len(p.upstreams)}) "
            f"| {p.citations} | {p.count('Evidence')} | {p.count('Counterexamples')} |"
        )
    for s in smells():
        rows.append(
            f"| smell `{s.options['id']}` | inverts {s.options.get('inverts')} | {', '.join(sorted(s.upstreams))} | {s.citations} | {s.count('Evidence')} | |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(table() + "\n")


NOTE_ITEM_SECTIONS = ("Repeated patterns", "One-off examples", "Caveats and counterexamples")
_ROLE = re.compile(r"\{(?:cite|count|pattern|candidate|smell)\}`[^`]*`")


def note_items(text: str) -> list[tuple[int, str, str]]:
    """``(line, section, text)`` of every top-level item of a note's item sections, continuation lines joined."""
    items: list[list[object]] = []
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if section not in NOTE_ITEM_SECTIONS:
            continue
        if line.startswith("- "):
            items.append([number, section, line[2:]])
        elif line.startswith("  ") and items and items[-1][1] == section:
            items[-1][2] = f"{items[-1][2]} {line.strip()}"
    return [(int(n), str(s), str(t)) for n, s, t in items]


def item_shape(body: str) -> str:
    """``""`` when an item is one bold claim and at most two sentences (its citations aside), else why not."""
    from sphinx_pypatterns._core.claims import split_sentences

    plain = re.sub(r"`[^`]*`", "C", _ROLE.sub("X", body)).replace("*One-off:* ", "")
    claim = re.match(r"\s*\*\*(.+?)\*\*\s*(.*)", plain)
    if claim is None:
        return "no bold claim first"
    rest = re.sub(r"(\(?X\)?[,.;]?\s*)+$", "", claim.group(2)).strip()  # the trailing citation list
    sentences = [s for _, s in split_sentences(rest) if re.search(r"[a-z]{3}", s)]
    return f"{len(sentences)} sentences after the bold claim" if len(sentences) > 2 else ""


def test_the_item_shape_rule_can_fail() -> None:
    assert item_shape("**A claim.** One. Two. {cite}`x <up:a.py:1>`, {cite}`y <up:a.py:2>`.") == ""
    assert item_shape("**A claim.** One more. Two more. Three more. {cite}`x <up:a.py:1>`.") == (
        "3 sentences after the bold claim"
    )
    assert item_shape("A claim without bold. {cite}`x <up:a.py:1>`.") == "no bold claim first"


def test_each_note_item_is_one_bold_claim_and_at_most_two_sentences() -> None:
    misshapen = {
        f"{note.name}:{line}": why
        for note in sorted((ROOT / "sources").glob("*.md"))
        for line, _section, body in note_items(note.read_text("utf-8"))
        if (why := item_shape(body))
    }
    counted = sum(len(note_items(n.read_text("utf-8"))) for n in (ROOT / "sources").glob("*.md"))
    assert counted >= 7 * 20 and misshapen == {}, misshapen
