"""The global evidence picture: index, matrix, dashboard, cards, review rules, evidence.json."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import build
from support.builds import PID_CONF, html_tree
from support.evidence_project import (
    COUNTER,
    ROOT,
    ROOT_TWO,
    SMELL_CITE,
    evidence_files,
    note_page,
    pattern_page,
    smell_page,
    write_evidence_project,
)
from support.upstreams import cited_project, make_upstream

from sphinx_pypatterns._core.evidence import EvidenceRules, compute_picture


@pytest.fixture
def upstream(tmp_path):
    return make_upstream(tmp_path)


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.split("\n")) if needle in line)


# -- review rules ------------------------------------------------------------


def test_each_review_rule_fires_at_its_place(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files))
    got = sorted((path, line, typ) for path, line, typ, _ in built.located())
    thin, nocite, note = files["patterns/thin.md"], files["smells/nocite.md"], files["sources/up.md"]
    assert got == sorted(
        [
            ("patterns/thin.md", 3, "pypatterns.thin_evidence"),
            ("patterns/thin.md", 3, "pypatterns.unnominated_pattern"),
            ("patterns/thin.md", line_of(thin, "## Counterexamples"), "pypatterns.uncited_counterexamples"),
            ("smells/nocite.md", line_of(nocite, "## Evidence"), "pypatterns.uncited_smell"),
            ("sources/up.md", line_of(note, "- Only once."), "pypatterns.thin_repetition"),
        ]
    ), built.warnings
    messages = {typ: msg for _, _, typ, msg in built.located()}
    assert "cites 1 upstream (up); pypatterns_min_upstreams = 2" in messages["pypatterns.thin_evidence"]
    assert "'Only once." in messages["pypatterns.thin_repetition"]


def test_review_rules_are_silent_when_satisfied(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    files["patterns/thin.md"] = pattern_page("thin-one", f"{ROOT} {ROOT_TWO}", COUNTER, area="typing")
    files["smells/nocite.md"] = smell_page("no-cite", "thin-one", SMELL_CITE)
    files["sources/up.md"] = note_page(
        "up", [f"Roots everywhere. {ROOT} {SMELL_CITE}", f"Twice. {ROOT} {COUNTER}"], ["exception-root", "thin-one"]
    )
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files))
    assert built.warnings == ""


def test_thresholds_come_from_conf_and_zero_turns_a_rule_off(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    strict = build(write_evidence_project(tmp_path / "a", repo, pin, files, "pypatterns_min_upstreams = 3\n"))
    thin = [(p, msg) for p, _, typ, msg in strict.located() if typ == "pypatterns.thin_evidence"]
    assert sorted(p for p, _ in thin) == ["patterns/root.md", "patterns/thin.md"]
    off = build(
        write_evidence_project(
            tmp_path / "b",
            repo,
            pin,
            files,
            "pypatterns_min_upstreams = 0\npypatterns_require_nomination = False\n"
            "pypatterns_min_repeat_citations = 1\n",
        )
    )
    assert sorted(typ for _, _, typ, _ in off.located()) == [
        "pypatterns.uncited_counterexamples",
        "pypatterns.uncited_smell",
    ]


def test_a_mistyped_threshold_is_a_config_warning(tmp_path, upstream):
    repo, pin = upstream
    built = build(
        write_evidence_project(tmp_path / "p", repo, pin, evidence_files(), 'pypatterns_min_upstreams = "two"\n')
    )
    config = [w for w in built.located() if w[2] == "pypatterns.config"]
    assert len(config) == 1 and config[0][0].endswith("conf.py") and "pypatterns_min_upstreams" in config[0][3]
    assert config[0][1] == line_of((tmp_path / "p/conf.py").read_text(), 'pypatterns_min_upstreams = "two"')


def test_picture_unit_rules_count_only_parsed_citations():
    rules = EvidenceRules()
    head = {
        "kind": "pattern", "id": "p", "anchor": "p", "docname": "d", "lineno": 3, "title": "P", "area": "typing",
        "rule": "r", "tags": [], "inverts": [], "summary": "", "no_smell": "", "upstream": "", "sections": {"counterexamples": 9},
    }  # fmt: skip
    cite = {
        "target": "x", "upstream": "", "path": "", "start": 0, "end": 0, "symbol": "", "title": "", "docname": "d",
        "lineno": 10, "node_id": "cite-1", "block": False, "section": "Counterexamples", "verdict": None,
    }  # fmt: skip
    picture = compute_picture({"d": head}, {"d": [cite]}, {}, {}, ["a", "b"], ["typing"], rules)  # type: ignore[dict-item]
    subtypes = sorted(f.subtype for f in picture.findings)
    assert subtypes == ["thin_evidence", "uncited_counterexamples", "unnominated_pattern"]
    assert next(f for f in picture.findings if f.subtype == "uncited_counterexamples").lineno == 9
    assert picture.uncited_upstreams == ["a", "b"] and picture.no_smell == ["p"]


# -- the pages that show the global picture ------------------------------------


class Links(HTMLParser):
    """Rows of a Sphinx domain-index table: (group, name, href, extra, description)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.group = ""
        self._row: dict[str, str] | None = None
        self._field = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self._row = {
                "cap": "cap" in (a.get("class") or "").split(),
                "name": "",
                "href": "",
                "extra": "",
                "descr": "",
            }
            self._cells = 0
        elif tag == "td" and self._row is not None:
            self._cells += 1
            self._field = "descr" if self._cells == 3 else ""
        elif tag == "a" and self._row is not None and self._cells == 2:
            self._row["href"] = a.get("href") or ""
        elif tag == "code" and self._row is not None:
            self._field = "name"
        elif tag == "em" and self._row is not None and self._cells == 2:
            self._field = "extra"
        elif tag == "strong" and self._row is not None and self._row["cap"]:
            self._field = "group"

    def handle_endtag(self, tag):
        if tag in ("code", "em", "strong"):
            self._field = "descr" if self._row is not None and self._cells == 3 else ""
        if tag == "tr" and self._row is not None:
            row = self._row
            if row["cap"]:
                self.group = row.get("group", "").strip()
            elif row["name"]:
                self.rows.append((self.group, row["name"], row["href"], row["extra"].strip("() "), row["descr"]))
            self._row = None

    def handle_data(self, data):
        if self._row is not None and self._field:
            self._row[self._field] = self._row.get(self._field, "") + data


def test_evidence_index_lists_every_citation_under_upstream_file_and_range(tmp_path, upstream):
    repo, pin = upstream
    built = build(write_evidence_project(tmp_path / "p", repo, pin, evidence_files()))
    parser = Links()
    parser.feed((built.app.outdir / "pp-evidence.html").read_text("utf-8"))
    data = json.loads((built.app.outdir / "evidence.json").read_text("utf-8"))
    rows = parser.rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    ranges = [r for r in rows if r[1].startswith("L")]
    parsed = [c for c in data["citations"] if c["upstream"]]
    assert len(ranges) == len(parsed) == 10
    for cite in parsed:
        lines = f"L{cite['start']}" if cite["start"] == cite["end"] else f"L{cite['start']}\u2013{cite['end']}"
        href = f"{cite['docname']}.html#{cite['id']}"
        match = [r for r in ranges if r[2] == href]
        assert len(match) == 1, (href, ranges)
        group, name, _, _, descr = match[0]
        assert group == cite["upstream"] and name == f"{lines} {cite['symbol']}"
        assert descr.endswith(f"line {cite['lineno']}")
        # the range sits under its file's row
        before = rows[: rows.index(match[0])]
        file_row = [r for r in before if not r[1].startswith("L")][-1]
        assert file_row[1] == cite["path"], (file_row, cite)
        # the link lands on an element with that id
        assert f'id="{cite["id"]}"' in built.html(cite["docname"])
    totals = {r[0]: r[3] for r in rows if r[1].endswith("(all files)")}
    assert totals == {"two": "3 citations of 1 file", "up": "7 citations of 2 files"}
    files = {(r[0], r[1]): r[3] for r in rows if r[1].startswith("pkg/") or r[1] == "README.md"}
    assert files[("up", "README.md")] == "1 citation" and files[("up", "pkg/errors.py")] == "6 citations"


def table_rows(html: str, cls: str) -> list[list[str]]:
    table = re.search(rf'<table class="[^"]*{cls}[^"]*".*?</table>', html, re.S)
    assert table, cls
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)
    return [
        [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
        for r in rows
    ]


def test_matrix_dashboard_and_cards_show_the_picture(tmp_path, upstream):
    repo, pin = upstream
    built = build(write_evidence_project(tmp_path / "p", repo, pin, evidence_files()))
    matrix = table_rows(built.html("matrix"), "pypatterns-matrix")
    assert matrix == [
        ["Pattern", "Area", "two", "up", "Total"],
        ["exception-root", "exceptions", "1", "2", "3"],
        ["thin-one", "typing", "\u00b7", "1", "1"],
        ["Total", "", "1", "3", "4"],
    ]
    assert 'class="pypatterns-empty' in built.html("matrix")
    dash = built.html("dashboard")
    cands = table_rows(dash, "pypatterns-candidates")
    assert cands[1][:2] == ["exception-root", "2"] and cands[1][3] == "yes"
    assert cands[2][:2] == ["never-written", "1"] and cands[2][3] == "not yet"
    assert re.search(r"Patterns that no smell inverts.*?</p>\s*<p>.*?none", dash, re.S)
    findings = table_rows(dash, "pypatterns-findings")
    assert sorted(r[1] for r in findings[1:]) == sorted(
        ["thin_evidence", "unnominated_pattern", "uncited_counterexamples", "uncited_smell", "thin_repetition"]
    )
    root = built.html("patterns/root")
    assert "3 citations from 2 upstreams: two 1, up 2" in root
    assert "../smells/bare.html" in root and "../sources/two.html" in root and "../sources/up.html" in root
    assert "1 citation from 1 upstream: up 1; in the evidence:" in built.html("smells/bare")
    assert "3 citations from 1 upstream: up 3 (3 verified)" in built.html("sources/up")


def test_text_builder_renders_the_global_pages(tmp_path, upstream):
    repo, pin = upstream
    built = build(write_evidence_project(tmp_path / "p", repo, pin, evidence_files()), "text")
    assert "exception-root" in built.text("matrix") and "never-written" in built.text("dashboard")
    assert (built.app.outdir / "evidence.json").is_file()


# -- evidence.json -------------------------------------------------------------


def test_evidence_json_is_complete_and_deterministic(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    a = build(write_evidence_project(tmp_path / "a", repo, pin, files))
    b = build(write_evidence_project(tmp_path / "b", repo, pin, files))
    text = (a.app.outdir / "evidence.json").read_bytes()
    assert text == (b.app.outdir / "evidence.json").read_bytes()
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["upstreams"]["up"] == {
        "repository": "https://example.invalid/up", "tag": "v1", "commit": pin, "license": "MIT", "sources": [],
    }  # fmt: skip
    docs = {d["docname"]: d for d in data["documents"]}
    assert docs["patterns/root"]["kind"] == "pattern" and docs["patterns/root"]["citations"] == 3
    assert docs["matrix"]["kind"] is None
    assert all(c["verified"] and c["result"] == "ok" for c in data["citations"]) and len(data["citations"]) == 10
    kinds = {link["type"] for link in data["links"]}
    assert kinds == {"cites", "nominates", "inverts", "references"}
    assert {"type": "inverts", "from": "smells/bare", "to": "exception-root", "lineno": 3} in data["links"]
    assert data["links"] == sorted(data["links"], key=lambda x: (x["type"], x["from"], x["to"], str(sorted(x.items()))))
    assert str(tmp_path) not in text.decode()
    root_cite = next(c for c in data["citations"] if c["docname"] == "patterns/root" and c["upstream"] == "two")
    assert root_cite["permalink"] == f"https://example.invalid/two/blob/{pin}/pkg/errors.py#L14-L15"


def test_evidence_builder_writes_only_evidence_json(tmp_path, upstream):
    repo, pin = upstream
    src = write_evidence_project(tmp_path / "p", repo, pin, evidence_files())
    html = build(src)
    ev = build(src, "evidence", freshenv=True)
    written = sorted(p.name for p in ev.app.outdir.iterdir() if not p.name.startswith("."))
    assert written == ["evidence.json"]
    assert (ev.app.outdir / "evidence.json").read_bytes() == (html.app.outdir / "evidence.json").read_bytes()
    assert sorted(t for _, _, t, _ in ev.located()) == sorted(t for _, _, t, _ in html.located())


def test_a_failed_citation_is_recorded_with_its_result(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    files["patterns/root.md"] = files["patterns/root.md"].replace("up:pkg/errors.py:6-11", "up:pkg/errors.py:6-12")
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files))
    data = json.loads((built.app.outdir / "evidence.json").read_text())
    bad = [c for c in data["citations"] if not c["verified"]]
    assert [(c["docname"], c["result"]) for c in bad] == [("patterns/root", "anchor_mismatch")]
    assert "HTTPError" in bad[0]["message"]


# -- incremental and parallel ---------------------------------------------------

EDITS = [
    # add a citation of a new upstream to the thin pattern
    ("patterns/thin.md", "Evidence: ", f"Evidence: {ROOT_TWO} "),
    # remove a citation from the root pattern
    ("patterns/root.md", f" and {ROOT_TWO}", ""),
    # move a citation from the evidence to the counterexamples section
    ("patterns/thin.md", f"Evidence: {ROOT_TWO} {ROOT}", f"Evidence: {ROOT_TWO}"),
    ("patterns/thin.md", "Counter: none", f"Counter: {ROOT}"),
    # a new nomination, and one taken back
    ("sources/two.md", "- {candidate}`exception-root`", "- {candidate}`exception-root`\n- {candidate}`thin-one`"),
    ("sources/up.md", "- {candidate}`never-written`", ""),
]


def test_incremental_edits_give_the_clean_build(tmp_path, upstream):
    repo, pin = upstream
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files())
    build(inc)
    for step, (name, old, new) in enumerate(EDITS):
        path = inc / name
        text = path.read_text()
        assert old in text, (step, old)
        path.write_text(text.replace(old, new, 1))
        again = build(inc)
        clean = tmp_path / f"clean{step}"
        shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
        fresh = build(clean, freshenv=True)
        a, b = html_tree(again.app.outdir), html_tree(fresh.app.outdir)
        assert a.keys() == b.keys(), step
        assert [k for k in a if a[k] != b[k]] == [], step
        ev = (again.app.outdir / "evidence.json").read_bytes()
        assert ev == (fresh.app.outdir / "evidence.json").read_bytes(), step
        assert sorted(again.located()) == sorted(fresh.located()), step


def test_incremental_rewrites_only_pages_whose_global_data_changed(tmp_path, upstream):
    repo, pin = upstream
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files())
    build(inc)
    out = inc / "_build/html"
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    os.utime(inc / "conf.py")  # no change of content
    note = inc / "sources/two.md"
    # a new nomination: the note, the nominated pattern, the dashboard change; the matrix does not
    note.write_text(
        note.read_text().replace(
            "- {candidate}`exception-root`", "- {candidate}`exception-root`\n- {candidate}`thin-one`"
        )
    )
    build(inc)
    changed = sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if p.stat().st_mtime_ns != stamp.get(p))
    assert {"sources/two.html", "patterns/thin.html", "dashboard.html"} <= set(changed), changed
    assert "matrix.html" not in changed and "patterns/root.html" not in changed and "smells/bare.html" not in changed


def test_parallel_build_gives_the_serial_evidence(tmp_path, upstream):
    repo, pin = upstream
    files = evidence_files()
    for i in range(36):
        files[f"patterns/extra{i:02d}.md"] = pattern_page(
            f"extra-{i:02d}", f"{ROOT} {ROOT_TWO}" if i % 2 else ROOT, COUNTER if i % 3 else "none"
        )
    assert len(files) + 1 >= 40
    one = write_evidence_project(tmp_path / "one", repo, pin, files, PID_CONF)
    two = write_evidence_project(tmp_path / "two", repo, pin, files, PID_CONF)
    serial = build(one, parallel=1)
    parallel = build(two, parallel=2)
    pids = set((two / "pids.txt").read_text().split())
    assert str(os.getpid()) not in pids and len(pids) >= 2, f"reading did not fork: {pids}"
    assert (serial.app.outdir / "evidence.json").read_bytes() == (parallel.app.outdir / "evidence.json").read_bytes()
    a, b = html_tree(serial.app.outdir), html_tree(parallel.app.outdir)
    assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []
    assert sorted(serial.located()) == sorted(parallel.located())
    assert any(w[2] == "pypatterns.thin_evidence" for w in serial.located())


def test_evidence_index_page_is_rewritten_only_when_it_changes(tmp_path, upstream):
    repo, pin = upstream
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files())
    first = build(inc)
    index = Path(first.app.outdir) / "pp-evidence.html"
    stamp = index.stat().st_mtime_ns
    # prose only: the index shows nothing new and is kept
    thin = inc / "patterns/thin.md"
    thin.write_text(thin.read_text().replace("Text for why.", "Text for why, reworded."))
    build(inc)
    assert index.stat().st_mtime_ns == stamp
    # a new citation: the index is rewritten
    thin.write_text(thin.read_text().replace("Evidence: ", f"Evidence: {ROOT_TWO} ", 1))
    third = build(inc)
    assert index.stat().st_mtime_ns != stamp
    clean = tmp_path / "clean"
    shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    assert index.read_bytes() == (Path(fresh.app.outdir) / "pp-evidence.html").read_bytes()
    assert third.html("patterns/thin") == fresh.html("patterns/thin")


def test_evidence_json_is_written_only_when_its_inputs_change(tmp_path, upstream):
    repo, pin = upstream
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files())
    first = build(inc)
    target = Path(first.app.outdir) / "evidence.json"
    stamp = target.stat().st_mtime_ns
    thin = inc / "patterns/thin.md"
    # a blank line above the evidence moves every citation's line: evidence.json records lines
    thin.write_text(thin.read_text().replace("## Evidence\n", "## Evidence\n\n", 1))
    build(inc)
    moved = target.stat().st_mtime_ns
    assert moved != stamp
    thin.write_text(thin.read_text().replace("Text for why.", "Text for why, reworded."))
    build(inc)
    assert target.stat().st_mtime_ns == moved  # prose within a line: nothing evidence.json holds changed
    clean = tmp_path / "clean"
    shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    assert target.read_bytes() == (Path(fresh.app.outdir) / "evidence.json").read_bytes()


def test_the_evidence_index_entries_are_made_once_per_html_build(tmp_path, monkeypatch):
    """Sphinx holds a lazy list through the write phase; the page makes the entries once."""
    from sphinx_pypatterns._sphinx.indices import EvidenceIndex

    made: list[object] = []
    real = EvidenceIndex.entries
    monkeypatch.setattr(EvidenceIndex, "entries", lambda self, docnames=None: made.append(1) or real(self, docnames))
    src, _, _ = cited_project(tmp_path, "# P\n\nSee {cite}`HTTPError <up:pkg/errors.py:6-11>`.\n")
    built = build(src, freshenv=True)
    assert "HTTPError" in (built.app.outdir / "pp-evidence.html").read_text()
    assert len(made) == 1


def test_a_kept_evidence_index_makes_no_entries_and_no_navigation(tmp_path, upstream, monkeypatch):
    """A prose edit keeps the index page: its entries are not made, the theme is given no toctree
    to lay out, and no page's view of the global data is made again except the edited page's."""
    from sphinx.builders.html import StandaloneHTMLBuilder

    from sphinx_pypatterns._sphinx import incremental
    from sphinx_pypatterns._sphinx.indices import EvidenceIndex

    repo, pin = upstream
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files(), 'html_theme = "furo"\n')
    first = build(inc)
    made: list[object] = []
    tocs: list[str] = []
    views: list[str] = []
    real_entries, real_toc, real_view = (
        EvidenceIndex.entries,
        StandaloneHTMLBuilder._get_local_toctree,
        incremental.view_of,
    )
    monkeypatch.setattr(EvidenceIndex, "entries", lambda self, d=None: made.append(1) or real_entries(self, d))
    monkeypatch.setattr(
        StandaloneHTMLBuilder,
        "_get_local_toctree",
        lambda self, doc, *a, **k: tocs.append(doc) or real_toc(self, doc, *a, **k),
    )
    monkeypatch.setattr(incremental, "view_of", lambda domain, doc: views.append(doc) or real_view(domain, doc))
    index = Path(first.app.outdir) / "pp-evidence.html"
    before = index.read_bytes()
    thin = inc / "patterns/thin.md"
    thin.write_text(thin.read_text().replace("Text for why.", "Text for why, reworded."))
    build(inc)
    assert index.read_bytes() == before
    assert made == [] and "pp-evidence" not in tocs and "patterns/thin" in tocs
    assert views == ["patterns/thin"]
    # evidence moved: the index is made once, with its navigation, and every view is made again
    thin.write_text(thin.read_text().replace("Evidence: ", f"Evidence: {ROOT_TWO} ", 1))
    third = build(inc)
    assert len(made) == 1 and "pp-evidence" in tocs and len(views) > 2
    clean = tmp_path / "clean"
    shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    for page in ("pp-evidence", "patterns/thin"):
        assert (third.app.outdir / f"{page}.html").read_bytes() == (fresh.app.outdir / f"{page}.html").read_bytes()
