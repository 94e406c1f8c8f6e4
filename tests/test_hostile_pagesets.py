"""`pypatterns check` reads the pages the build reads: include_patterns and exclude_patterns as Sphinx matches them."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from conftest import build, write_project
from hypothesis import given, settings
from hypothesis import strategies as st
from sphinx.util.matching import _translate_pattern
from support.upstreams import make_upstream, manifest_text

from sphinx_pypatterns._core.pages import _glob, iter_pages
from sphinx_pypatterns._tools.cli import main

CHECK_RE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<subtype>\w+): ", re.M)

_PIECES = st.sampled_from(["*", "**", "?", "/", "a", "b", ".", "-", "[ab]", "[!a]", "[^a]", "[", "]", "é", "x/**"])
_PATHS = st.lists(st.sampled_from(["a", "b", "ab", "a.md", "b.md", ".x", "é", "x", "-"]), min_size=1, max_size=4)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=6), _PATHS)
def test_globs_match_as_sphinx_matches_them(pieces, parts):
    pattern, path = "".join(pieces), "/".join(parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            sphinx = re.compile(_translate_pattern(pattern))
        except re.error:
            return  # Sphinx itself cannot use this pattern
    assert bool(_glob(pattern).match(path)) == bool(sphinx.match(path))


def test_a_pattern_sphinx_cannot_compile_never_breaks_check():
    assert _glob("[b-a]").match("[b-a]") and not _glob("[b-a]").match("b")


PAGES = {
    "docs/a.md": "# A\n\nBad {cite}`up:pkg/errors.py:901`.\n",
    "docs/skip/b.md": "# B\n\nBad {cite}`up:pkg/errors.py:902`.\n",
    "docs/deep/c.md": "# C\n\nBad {cite}`up:pkg/errors.py:903`.\n",
    "notes/d.md": "# D\n\nBad {cite}`up:pkg/errors.py:904`.\n",
    "e.md": "# E\n\nBad {cite}`up:pkg/errors.py:905`.\n",
    "docs/Caf\u00e9.md": "# F\n\nBad {cite}`up:pkg/errors.py:906`.\n",
}


@pytest.mark.parametrize(
    ("include", "exclude", "read"),
    [
        (None, None, ["docs/Caf\u00e9.md", "docs/a.md", "docs/deep/c.md", "docs/skip/b.md", "e.md", "notes/d.md"]),
        (["index.md", "docs/**"], None, ["docs/Caf\u00e9.md", "docs/a.md", "docs/deep/c.md", "docs/skip/b.md"]),
        (["index.md", "docs/*"], None, ["docs/Caf\u00e9.md", "docs/a.md"]),  # a single star stays in its folder
        (["index.md", "docs/**", "e.md"], ["docs/skip"], ["docs/Caf\u00e9.md", "docs/a.md", "docs/deep/c.md", "e.md"]),
        (["**"], ["**/c.md", "notes/*"], ["docs/Caf\u00e9.md", "docs/a.md", "docs/skip/b.md", "e.md"]),
    ],
)
def test_check_reports_exactly_the_pages_the_build_reads(tmp_path, capsys, include, exclude, read):
    repo, pin = make_upstream(tmp_path / "up")
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = "up={repo}"\n'
    if include is not None:
        conf += f"include_patterns = {include!r}\n"
    excluded = ["_build", ".pypatterns", *(exclude or [])]
    conf += f"exclude_patterns = {excluded!r}\nsuppress_warnings = ['toc.not_included']\n"
    src = tmp_path / "p"
    index = "# Index\n\n```{toctree}\n:glob:\n\n**\n```\n"
    write_project(src, {**PAGES, "index.md": index, "upstreams.toml": manifest_text("up", pin)}, conf)
    built = build(src, freshenv=True)
    from_build = sorted(rel for rel, _line, kind, _msg in built.located() if kind == "pypatterns.line_out_of_range")
    capsys.readouterr()
    assert main(["check", str(src), "--no-cache"]) == 1
    out = capsys.readouterr().out
    from_check = sorted(m["file"] for m in CHECK_RE.finditer(out))
    assert from_check == from_build == read, (from_check, from_build)


def test_iter_pages_prunes_an_excluded_folder_without_entering_it(tmp_path):
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.md").write_text("# A\n")
    (tmp_path / "gone").mkdir(mode=0o000)  # unreadable: entering it would fail or find nothing
    try:
        assert [rel for _, rel in iter_pages(Path(tmp_path), ["gone"])] == ["keep/a.md"]
    finally:
        (tmp_path / "gone").chmod(0o755)
