"""Header directives, required sections, ids and cross-references: real Sphinx builds."""

from __future__ import annotations

from conftest import default_body, page

PATTERN = page("pattern", "exception-root", title="Exception root")
SMELL = page("smell", "bare-raise", title="Bare raise")
NOTE = page("source-note", "httpx")
CONF = 'pypatterns_upstreams = ["httpx"]\n'


def only(built, subtype):
    found = [w for w in built.located() if w[2] == f"pypatterns.{subtype}"]
    assert found, built.warnings
    return found


def test_clean_project_has_no_warnings(project):
    built = project({"patterns/exception-root.md": PATTERN, "smells/bare.md": SMELL, "sources/httpx.md": NOTE}, CONF)
    assert built.warnings == ""
    html = built.html("patterns/exception-root")
    assert 'id="exception-root"' in html
    assert "Derive every exception from one root class." in html
    # back-links: nominated by nobody yet, inverted by the smell
    assert "Inverted by" in html and "smells/bare.html" in html


def test_objects_inventory_lists_every_header(project):
    from sphinx.util.inventory import InventoryFile

    built = project({"patterns/exception-root.md": PATTERN, "smells/bare.md": SMELL, "sources/httpx.md": NOTE}, CONF)
    inv_path = built.app.outdir / "objects.inv"
    with open(inv_path, "rb") as f:
        inv = InventoryFile.load(f, "", lambda uri, base: base + "/" + uri if base else uri)
    data = inv.data if hasattr(inv, "data") else inv
    keys = {(t, name) for t, entries in dict(data).items() for name in entries}
    assert ("pp:pattern", "exception-root") in keys
    assert ("pp:smell", "bare-raise") in keys
    assert ("pp:source-note", "httpx") in keys


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing ``marker``."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if marker in line)


# The bad-page cases (each subtype at its line) are in test_catalogue.py.


def test_duplicate_id_names_both_locations(project):
    built = project({"patterns/a.md": PATTERN, "patterns/b.md": PATTERN}, CONF)
    (warning,) = only(built, "duplicate_id")
    assert warning[:2] == ("patterns/b.md", 3)
    assert "patterns/a.md:3" in warning[3] and "patterns/b.md:3" in warning[3]


def test_pattern_and_smell_ids_share_one_namespace(project):
    smell = page("smell", "exception-root")
    built = project({"patterns/a.md": PATTERN, "smells/s.md": smell}, CONF)
    (warning,) = only(built, "duplicate_id")
    assert warning[:2] == ("smells/s.md", 3)


def test_inverts_must_name_a_pattern(project):
    smell = page("smell", "bare", options=":id: bare\n:inverts: exception-root nope\n:summary: S.")
    built = project({"patterns/a.md": PATTERN, "smells/s.md": smell}, CONF)
    (warning,) = only(built, "unknown_pattern")
    assert warning[:2] == ("smells/s.md", 3) and "'nope'" in warning[3]


def test_warnings_can_be_suppressed_by_subtype(project):
    text = page("pattern", "x", options=":id: exception-root\n:area: exeptions\n:rule: R.")
    built = project({"patterns/bad.md": text}, CONF + 'suppress_warnings = ["pypatterns.unknown_area"]\n')
    assert built.warnings == ""


def test_required_sections_are_configurable(project):
    conf = CONF + 'pypatterns_required_sections = {"smell": ["Symptoms", "Fix"]}\n'
    smell = page("smell", "bare", body="## symptoms\n\nx\n\n## FIX\n\ny\n")
    built = project({"patterns/a.md": PATTERN, "smells/s.md": smell}, conf)
    assert built.warnings == ""


def test_mistyped_conf_value_warns_and_falls_back(project):
    built = project({"patterns/a.md": PATTERN}, CONF + "pypatterns_rule_max_words = 'thirty'\n")
    assert "pypatterns.config" in built.subtypes()


def test_candidate_links_once_the_pattern_exists_and_never_warns(project):
    note = page(
        "source-note",
        "httpx",
        body=default_body("source-note") + "\n- {candidate}`exception-root`\n- {candidate}`later`\n",
    )
    built = project({"patterns/a.md": PATTERN, "sources/httpx.md": note}, CONF)
    assert built.warnings == ""
    html = built.html("sources/httpx")
    assert 'href="../patterns/a.html#exception-root"' in html
    assert "later" in html
    pattern_html = built.html("patterns/a")
    assert "Nominated by" in pattern_html and "../sources/httpx.html" in pattern_html


def test_xref_shows_title_or_explicit_text(project):
    body = default_body("pattern") + "\nSee {smell}`bare-raise` and {smell}`that one <bare-raise>`.\n"
    pattern = page("pattern", "exception-root", title="Exception root", body=body)
    built = project({"patterns/a.md": pattern, "smells/bare.md": SMELL}, CONF)
    assert built.warnings == ""
    html = built.html("patterns/a")
    assert ">Bare raise<" in html and ">that one<" in html
    assert 'href="../smells/bare.html#bare-raise"' in html


def test_checklist_groups_rules_by_area(project):
    other = page(
        "pattern", "keyword-only", options=":id: keyword-only\n:area: public-surface\n:rule: Make options keyword-only."
    )
    built = project(
        {
            "patterns/a.md": PATTERN,
            "patterns/k.md": other,
            "checklist.md": "# Checklist\n\n:::{pattern-checklist}\n:::\n",
        },
        CONF,
        buildername="text",
    )
    text = built.text("checklist")
    assert text.index("public-surface") < text.index("keyword-only: Make options keyword-only.")
    assert text.index("exceptions") < text.index("exception-root: Derive every exception from one root class.")
    assert text.index("keyword-only:") < text.index("exceptions")


def test_checklist_of_one_area(project):
    other = page(
        "pattern", "keyword-only", options=":id: keyword-only\n:area: public-surface\n:rule: Make options keyword-only."
    )
    one = "# Index\n\n## Exceptions\n\n:::{pattern-checklist}\n:area: exceptions\n:::\n"
    bad = "# Bad\n\n:::{pattern-checklist}\n:area: exception\n:::\n\n:::{pattern-checklist}\n:aera: testing\n:::\n"
    built = project(
        {"patterns/a.md": PATTERN, "patterns/k.md": other, "one.md": one, "bad.md": bad},
        CONF,
        buildername="text",
    )
    text = built.text("one")
    assert "exception-root: Derive every exception from one root class." in text
    assert "keyword-only" not in text and "public-surface" not in text
    assert [(w[0], w[1], w[2]) for w in built.located()] == [
        ("bad.md", 3, "pypatterns.unknown_area"),
        ("bad.md", 8, "pypatterns.unknown_option"),
    ]
    # an unknown area falls back to every area, and areas without patterns say so
    assert "no patterns yet" in built.text("bad")


def test_checklist_filtered_by_tags_follows_tag_edits_incrementally(tmp_path):
    """``:tags:`` lists the patterns carrying every tag named; editing a pattern's tags rewrites the
    page that lists it, and the incremental result equals a clean build."""
    import shutil

    from conftest import build, write_project

    def tagged(ident: str, tags: str) -> str:
        return page("pattern", ident, options=f":id: {ident}\n:area: exceptions\n:rule: Rule {ident}.\n:tags: {tags}")

    listing = "# Stdlib\n\n:::{pattern-checklist}\n:area: exceptions\n:tags: stdlib, errors\n:::\n"
    files = {"patterns/a.md": tagged("a-root", "stdlib errors"), "patterns/b.md": tagged("b-root", "stdlib")}
    files["listing.md"] = listing
    src = tmp_path / "inc"
    write_project(src, files, CONF)
    first = build(src, "text")
    assert first.warnings == ""
    text = first.text("listing")
    assert "a-root: Rule a-root." in text and "b-root" not in text
    (src / "patterns/b.md").write_text(tagged("b-root", "errors, stdlib"))
    second = build(src, "text")
    assert "b-root: Rule b-root." in second.text("listing")
    clean = tmp_path / "clean"
    shutil.copytree(src, clean, ignore=shutil.ignore_patterns("_build"))
    assert build(clean, "text", freshenv=True).text("listing") == second.text("listing")
    (src / "listing.md").write_text(listing.replace("stdlib, errors", " "))
    assert [w[:3] for w in build(src, "text").located()] == [("listing.md", 3, "pypatterns.empty_option")]


def test_latex_and_text_writers_accept_every_node(project):
    files = {
        "patterns/a.md": PATTERN,
        "smells/bare.md": SMELL,
        "sources/httpx.md": NOTE,
        "checklist.md": "# Checklist\n\n:::{pattern-checklist}\n:::\n",
    }
    for builder in ("latex", "text"):
        built = project(files, CONF, buildername=builder)
        assert built.warnings == "", built.warnings


def test_a_second_header_warns_once_and_is_not_stored(tmp_path):
    """One header per page: the second warns (duplicate_header) and shows up nowhere, so the
    checklist, the inventory and evidence.json agree on what the page is."""
    import json
    import zlib

    from conftest import build, write_project

    second = "\n:::{pattern}\n:id: second\n:area: typing\n:rule: A rule nobody should see.\n:::\n"
    write_project(
        tmp_path,
        {
            "patterns/two.md": page("pattern", "first") + second,
            "checklist.md": "# Checklist\n\n:::{pattern-checklist}\n:::\n",
        },
    )
    built = build(tmp_path)
    assert [w[2] for w in built.located()] == ["pypatterns.duplicate_header"]
    out = built.app.outdir
    assert "first" in (out / "checklist.html").read_text() and "second" not in (out / "checklist.html").read_text()
    evidence = json.loads((out / "evidence.json").read_text())
    assert [d["id"] for d in evidence["documents"] if d["docname"] == "patterns/two"] == ["first"]
    inventory = (out / "objects.inv").read_bytes()
    names = zlib.decompress(inventory.split(b"\n", 4)[4]).decode()
    assert "first pp:pattern" in names and "second" not in names


def test_another_project_links_to_the_headers_through_intersphinx(project, tmp_path):
    """objects.inv gives each header its title as display name; a project with the extension
    loaded links to them with ``{external+NAME:pp:pattern}``, as the reference shows."""
    from conftest import build, write_project
    from sphinx.util.inventory import InventoryFile

    built = project({"patterns/exception-root.md": PATTERN, "smells/bare.md": SMELL, "sources/httpx.md": NOTE}, CONF)
    out = built.app.outdir
    with open(out / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda uri, base: uri)
    data = dict(inv.data if hasattr(inv, "data") else inv)
    shown = {}
    for kind, entries in data.items():
        for name, item in entries.items():
            shown[(kind, name)] = getattr(item, "display_name", None) or item[3]
    assert shown[("pp:pattern", "exception-root")] == "Exception root"
    assert shown[("pp:source-note", "httpx")] == "httpx (source note)"
    conf = (
        'extensions = ["sphinx_pypatterns", "sphinx.ext.intersphinx"]\n'
        f'intersphinx_mapping = {{"handbook": ("https://example.invalid/handbook/", {str(out / "objects.inv")!r})}}\n'
    )
    other = tmp_path / "other"
    write_project(other, {"index.md": "# Other\n\nSee {external+handbook:pp:pattern}`exception-root`.\n"}, conf)
    linked = build(other, freshenv=True)
    assert linked.warnings == ""
    assert 'href="https://example.invalid/handbook/patterns/exception-root.html#exception-root"' in linked.html("index")


def test_back_links_are_the_links_sphinx_makes_for_a_doc_reference(project, monkeypatch):
    """A card's back-links are made by the extension (no ``std:doc`` cross-reference for Sphinx to
    resolve, which would copy the title each time), and are the nodes Sphinx makes for ``{doc}``."""
    import re

    from sphinx.domains.std import StandardDomain

    resolved: list[str] = []
    real = StandardDomain._resolve_doc_xref

    def counting(self, env, fromdocname, *args, **kwargs):
        resolved.append(fromdocname)
        return real(self, env, fromdocname, *args, **kwargs)

    monkeypatch.setattr(StandardDomain, "_resolve_doc_xref", counting)
    smell = SMELL.replace("# Bare raise", "# Bare *raise* smell")  # a title with markup
    orphan = "---\norphan: true\n---\n" + page("smell", "orphan-raise", title="Orphan")
    index = "# Index\n\n{doc}`/smells/bare`\n\n```{toctree}\npatterns/exception-root\nsmells/bare\n```\n"
    files = {"index.md": index, "patterns/exception-root.md": PATTERN, "smells/bare.md": smell, "smells/o.md": orphan}
    built = project(files, CONF)
    assert built.warnings == ""
    assert resolved == ["index"]  # only the page's own {doc}: the card's links are made, not resolved
    html = built.html("patterns/exception-root")
    (link,) = re.findall(r'<a class="reference internal" href="../smells/bare.html">.*?</a>', html)
    assert link.replace("../smells/", "smells/") in built.html("index")  # the same markup as {doc}
    assert '<span class="doc">Bare raise smell</span>' in link
    assert '<span class="doc">Orphan</span>' in html
    # print: a page in the book is a link; a page outside it (no URI) is its name, as Sphinx leaves it
    latex = project(files, CONF, buildername="latex")
    assert latex.warnings == ""
    tex = next(latex.app.outdir.glob("*.tex")).read_text()
    assert r"\hyperref[\detokenize{smells/bare::doc}]" in tex
    assert "Inverted by" in tex and "smells/o" in tex and r"\detokenize{smells/o::doc}" not in tex
