"""Weak spots the dashboard shows, and how a page explains one.

A pattern that no smell inverts says why with ``:no-smell: reason``; the dashboard shows
the reason, or *unexplained*. ``pypatterns_require_smell`` makes an unexplained one a
finding, a reason that a smell contradicts is always one, and
``pypatterns_min_nominations`` asks for a pattern nominated by several notes.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import build, default_body, page
from support.evidence_project import COUNTER, ROOT, ROOT_TWO, evidence_files, note_page, write_evidence_project
from support.upstreams import make_upstream

from sphinx_pypatterns._core.evidence import EvidenceRules, compute_picture

REASON = "the inverse is an absence, which no upstream line shows"


@pytest.fixture
def upstream(tmp_path):
    return make_upstream(tmp_path)


def explained_page(ident: str, no_smell: str | None) -> str:
    """A pattern citing two upstreams, with ``:no-smell:`` when ``no_smell`` is not ``None``."""
    body = (
        default_body("pattern")
        .replace("Text for counterexamples.", "Counter: " + COUNTER)
        .replace("Text for evidence.", f"Evidence: {ROOT} and {ROOT_TWO}")
    )
    extra = "" if no_smell is None else f"\n:no-smell: {no_smell}".rstrip()
    return page("pattern", ident, options=f":id: {ident}\n:area: typing\n:rule: Rule of {ident}.{extra}", body=body)


def files_with(**pages: str) -> dict[str, str]:
    files = evidence_files()
    files.update({f"patterns/{name}.md": text for name, text in pages.items()})
    ids = [*re.findall(r":id: ([a-z-]+)", "".join(pages.values())), "exception-root", "thin-one"]
    files["sources/up.md"] = note_page("up", [f"Roots everywhere. {ROOT} {ROOT}"], ids)
    files["sources/two.md"] = note_page("two", [f"Twice. {ROOT_TWO} {ROOT_TWO}"], ids)
    return files


def weak(built) -> list[tuple[str, int, str, str]]:
    mine = {"pypatterns.uninverted_pattern", "pypatterns.stale_no_smell", "pypatterns.thin_nomination"}
    return sorted(w for w in built.located() if w[2] in mine)


def dashboard_rows(html: str) -> list[tuple[str, str]]:
    """(pattern, reason) rows of the dashboard's no-smell table."""
    table = html.split("pypatterns-no-smell docutils align", 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append((cells[0], " ".join(cells[1].split())))
    return rows


def test_require_smell_names_each_uninverted_pattern_unless_its_page_says_why(tmp_path, upstream):
    repo, pin = upstream
    files = files_with(lone=explained_page("lone-one", None), why=explained_page("why-one", REASON))
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files, "pypatterns_require_smell = True\n"))
    found = weak(built)
    assert [(p, line, typ) for p, line, typ, _ in found] == [("patterns/lone.md", 3, "pypatterns.uninverted_pattern")]
    assert "':inverts: lone-one'" in found[0][3] and "':no-smell: reason'" in found[0][3]
    # the dashboard shows every uninverted pattern, with its reason or as unexplained
    assert dashboard_rows(built.html("dashboard")) == [("lone-one", "unexplained"), ("why-one", REASON)]
    # the card shows the reason, and evidence.json keeps it
    assert REASON in built.html("patterns/why")
    ev = build(tmp_path / "p", "evidence")
    docs = {d["docname"]: d for d in json.loads((ev.app.outdir / "evidence.json").read_text())["documents"]}
    assert docs["patterns/why"]["no_smell"] == REASON and "no_smell" not in docs["patterns/lone"]


def test_without_require_smell_the_dashboard_still_shows_them_and_nothing_warns(tmp_path, upstream):
    repo, pin = upstream
    files = files_with(lone=explained_page("lone-one", None), why=explained_page("why-one", REASON))
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files))
    assert weak(built) == []
    assert dashboard_rows(built.html("dashboard")) == [("lone-one", "unexplained"), ("why-one", REASON)]


def test_a_reason_that_a_smell_contradicts_is_stale_and_an_edit_clears_it(tmp_path, upstream):
    repo, pin = upstream
    # thin-one is inverted by the smell no-cite: a reason on it is stale, whatever the rule says
    files = files_with(lone=explained_page("lone-one", None))
    files["patterns/thin.md"] = explained_page("thin-one", REASON)
    src = write_evidence_project(tmp_path / "p", repo, pin, files)
    built = build(src)
    found = weak(built)
    assert [(p, line, typ) for p, line, typ, _ in found] == [("patterns/thin.md", 3, "pypatterns.stale_no_smell")]
    assert "'no-cite' does: drop :no-smell:" in found[0][3]
    # the smell stops inverting it: an incremental build drops the finding and shows the reason
    smell = (src / "smells/nocite.md").read_text()
    (src / "smells/nocite.md").write_text(smell.replace(":inverts: thin-one", ":inverts: exception-root"))
    again = build(src)
    assert weak(again) == []
    assert ("thin-one", REASON) in dashboard_rows(again.html("dashboard"))
    clean = tmp_path / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    assert dashboard_rows(fresh.html("dashboard")) == dashboard_rows(again.html("dashboard"))


def test_an_empty_reason_is_one_warning_and_counts_as_unexplained(tmp_path, upstream):
    repo, pin = upstream
    files = files_with(lone=explained_page("lone-one", ""))
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files, "pypatterns_require_smell = True\n"))
    empty = [w for w in built.located() if w[2] == "pypatterns.empty_option"]
    assert [(p, line) for p, line, _, _ in empty] == [("patterns/lone.md", 3)] and ":no-smell:" in empty[0][3]
    assert [typ for _, _, typ, _ in weak(built)] == ["pypatterns.uninverted_pattern"]


def test_min_nominations_asks_for_a_pattern_that_several_notes_nominate(tmp_path, upstream):
    repo, pin = upstream
    files = files_with()
    # thin-one: nominated by one note only; exception-root by both
    files["sources/two.md"] = note_page("two", [f"Twice. {ROOT_TWO} {ROOT_TWO}"], ["exception-root"])
    conf = "pypatterns_min_nominations = 2\n"
    built = build(write_evidence_project(tmp_path / "p", repo, pin, files, conf))
    found = weak(built)
    assert [(p, line, typ) for p, line, typ, _ in found] == [("patterns/thin.md", 3, "pypatterns.thin_nomination")]
    assert "1 source note (sources/up) nominates 'thin-one'; pypatterns_min_nominations = 2" in found[0][3]
    # off by default
    assert weak(build(write_evidence_project(tmp_path / "q", repo, pin, files))) == []


def test_the_reasons_come_from_the_pattern_records():
    def head(ident: str, reason: str) -> dict[str, object]:
        return {
            "kind": "pattern", "id": ident, "anchor": ident, "docname": ident, "lineno": 3, "title": ident,
            "area": "typing", "rule": "r", "tags": [], "inverts": [], "summary": "", "no_smell": reason,
            "upstream": "", "sections": {},
        }  # fmt: skip

    heads = {"a": head("a", ""), "b": head("b", "why not")}
    rules = EvidenceRules(require_nomination=False, min_upstreams=0, min_counterexample_citations=0)
    picture = compute_picture(heads, {}, {}, {}, [], ["typing"], rules)  # type: ignore[arg-type]
    assert picture.no_smell_reasons() == [("a", ""), ("b", "why not")]
    assert picture.findings == []
    strict = EvidenceRules(
        require_nomination=False, min_upstreams=0, min_counterexample_citations=0, require_smell=True
    )
    found = compute_picture(heads, {}, {}, {}, [], ["typing"], strict).findings  # type: ignore[arg-type]
    assert [(f.subject, f.subtype) for f in found] == [("a", "uninverted_pattern")]


def test_a_reason_two_smells_contradict_names_both():
    def head(kind: str, ident: str, **fields: object) -> dict[str, object]:
        record: dict[str, object] = {
            "kind": kind, "id": ident, "anchor": ident, "docname": ident, "lineno": 3, "title": ident,
            "area": "typing", "rule": "r", "tags": [], "inverts": [], "summary": "", "no_smell": "",
            "upstream": "", "sections": {},
        }  # fmt: skip
        record.update(fields)
        return record

    heads = {
        "p": head("pattern", "p", no_smell="why not"),
        "s1": head("smell", "s1", inverts=["p"]),
        "s2": head("smell", "s2", inverts=["p"]),
    }
    rules = EvidenceRules(
        require_nomination=False, min_upstreams=0, min_counterexample_citations=0, min_smell_citations=0
    )
    found = compute_picture(heads, {}, {}, {}, [], ["typing"], rules).findings  # type: ignore[arg-type]
    assert [(f.subject, f.subtype) for f in found] == [("p", "stale_no_smell")]
    assert "'s1', 's2' do: drop :no-smell:" in found[0].message
