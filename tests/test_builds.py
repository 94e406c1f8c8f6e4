"""Parallel and incremental builds give the same output as serial and clean ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import build, default_body, page, write_project
from support.builds import PID_CONF, html_tree

CONF = 'pypatterns_upstreams = ["httpx"]\n'


def corpus(n_patterns: int = 24, n_smells: int = 16) -> dict[str, str]:
    files: dict[str, str] = {}
    areas = ["public-surface", "exceptions", "sync-async", "typing", "data-model", "testing"]
    for i in range(n_patterns):
        files[f"patterns/p{i:02d}.md"] = page(
            "pattern",
            f"p{i:02d}",
            title=f"Pattern {i}",
            options=f":id: p{i:02d}\n:area: {areas[i % 6]}\n:rule: Rule number {i}.",
            body=default_body("pattern") + f"\nSee {{pattern}}`p{(i + 1) % n_patterns:02d}`.\n",
        )
    for i in range(n_smells):
        files[f"smells/s{i:02d}.md"] = page(
            "smell",
            f"s{i:02d}",
            options=f":id: s{i:02d}\n:inverts: p{i:02d} p{(i + 3) % n_patterns:02d}\n:summary: S{i}.",
        )
    files["sources/httpx.md"] = page(
        "source-note",
        "httpx",
        body=default_body("source-note")
        + "".join(f"\n- {{candidate}}`p{i:02d}`" for i in range(0, n_patterns, 2))
        + "\n",
    )
    files["checklist.md"] = "# Checklist\n\n:::{pattern-checklist}\n:::\n"
    return files


def test_parallel_build_forks_and_matches_serial(tmp_path):
    files = corpus()
    assert len(files) + 1 >= 40
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    write_project(serial, files, CONF + PID_CONF)
    write_project(parallel, files, CONF + PID_CONF)
    one = build(serial, parallel=1)
    two = build(parallel, parallel=2)
    assert one.warnings == two.warnings == ""
    main_pid = str(os.getpid())
    pids = set((parallel / "pids.txt").read_text().split())
    assert main_pid not in pids and len(pids) >= 2, f"reading did not fork: {pids}"
    assert set((serial / "pids.txt").read_text().split()) == {main_pid}
    a, b = html_tree(one.app.outdir), html_tree(two.app.outdir)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_parallel_duplicate_ids_are_found_across_workers(tmp_path):
    files = corpus()
    files["patterns/zz-dup.md"] = files["patterns/p00.md"]
    write_project(tmp_path / "p", files, CONF)
    built = build(tmp_path / "p", parallel=2)
    dups = [w for w in built.located() if w[2] == "pypatterns.duplicate_id"]
    assert len(dups) == 1, built.warnings
    assert {dups[0][0]} <= {"patterns/zz-dup.md", "patterns/p00.md"}
    assert "patterns/p00.md:3" in dups[0][3] and "patterns/zz-dup.md:3" in dups[0][3]


def test_incremental_inverts_change_matches_clean_build(tmp_path):
    files = corpus()
    inc = tmp_path / "inc"
    write_project(inc, files, CONF)
    build(inc)
    # the smell now inverts p10 instead of p00
    smell = inc / "smells/s00.md"
    smell.write_text(smell.read_text().replace(":inverts: p00 p03", ":inverts: p10 p03"))
    second = build(inc)
    assert second.warnings == ""
    clean = tmp_path / "clean"
    shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    for doc in ("patterns/p00", "patterns/p10", "patterns/p03", "smells/s00", "checklist"):
        assert second.html(doc) == fresh.html(doc), doc
    assert "smells/s00.html" not in second.html("patterns/p00")
    assert "../smells/s00.html" in second.html("patterns/p10")


def test_incremental_new_nomination_rewrites_pattern_page(tmp_path):
    files = corpus()
    inc = tmp_path / "inc"
    write_project(inc, files, CONF)
    first = build(inc)
    assert "sources/httpx.html" not in first.html("patterns/p01")
    note = inc / "sources/httpx.md"
    note.write_text(note.read_text() + "\n- {candidate}`p01`\n")
    second = build(inc)
    assert "../sources/httpx.html" in second.html("patterns/p01")
    # the checklist shows a renamed rule after an incremental build too
    pat = inc / "patterns/p02.md"
    pat.write_text(pat.read_text().replace("Rule number 2.", "Rule number two."))
    third = build(inc)
    assert "Rule number two." in third.html("checklist")


def test_environment_of_an_older_version_is_rebuilt_not_crashed(tmp_path):
    import pickle

    files = corpus(4, 2)
    write_project(tmp_path / "p", files, CONF)
    first = build(tmp_path / "p")
    env_file = Path(first.app.doctreedir) / "environment.pickle"
    with open(env_file, "rb") as f:
        env = pickle.load(f)
    data = env.domaindata["pp"]
    data["version"] = 1  # as written by an older release, whose data lacked keys
    data.pop("docset", None)
    with open(env_file, "wb") as f:
        pickle.dump(env, f, pickle.HIGHEST_PROTOCOL)
    second = build(tmp_path / "p")  # asserts: no traceback
    assert second.warnings == ""
    assert "smells/s00.html" in second.html("patterns/p00")


def test_domain_data_keys_change_only_with_data_version():
    # a tripwire: a pickled environment of the same data_version must have the same keys,
    # so adding or removing a key needs a new data_version (Sphinx then rebuilds the environment)
    from sphinx_pypatterns._sphinx.domain import PypatternsDomain

    keys = sorted(PypatternsDomain.initial_data)
    assert (PypatternsDomain.data_version, keys) == (
        14,  # 13: counts, their cache, and claims; 14: a pattern's :no-smell: reason in its header record
        ["candidates", "citations", "claims", "count_cache", "counts", "digests", "docset", "globals", "headers", "items",
         "manifest", "names", "origins", "pins", "stamps", "view", "view_key", "xrefs"],
    )  # fmt: skip


def test_the_extensions_own_folder_is_never_read_as_pages(tmp_path):
    """``SRCDIR/.pypatterns/`` holds the checkouts (an sdist's own README and docs) and the caches:
    excluded by the extension itself, whatever conf.py's ``exclude_patterns`` says."""
    files = {"index.md": "# Home\n\nText.\n"}
    write_project(tmp_path / "p", files, 'exclude_patterns = ["_build"]\n')
    upstream_docs = tmp_path / "p/.pypatterns/checkouts/up/docs"
    upstream_docs.mkdir(parents=True)
    (upstream_docs / "README.md").write_text("# The upstream's README\n\n```{unknown-directive}\n```\n")
    (tmp_path / "p/.pypatterns/checkouts/up/HISTORY.rst").write_text("History\n=======\n\n.. bad::\n")
    built = build(tmp_path / "p", freshenv=True)
    assert built.warnings == ""
    assert sorted(built.app.env.found_docs) == ["index"]
    assert ".pypatterns" in built.app.config.exclude_patterns
    assert built.app.config.exclude_patterns.count(".pypatterns") == 1
