"""Beside another extension that owns a bare role name: sphinxcontrib-bibtex's ``{cite}``."""

from __future__ import annotations

import json

import pytest
from conftest import build
from support.upstreams import cited_project

from sphinx_pypatterns._tools.cli import main

pytest.importorskip("sphinxcontrib.bibtex")

BIB = """@book{knuth1984,
  author = {Donald E. Knuth},
  title = {The TeXbook},
  publisher = {Addison-Wesley},
  year = {1984},
}
"""

PAGE = """# P

Typesetting is covered at length {cite}`knuth1984`.

Errors derive from one root: {pp:cite}`HTTPError <up:pkg/errors.py:6-11>`.

```{bibliography}
```
"""


def _project(tmp_path, extensions: str, extra: str = ""):
    src, _, _ = cited_project(tmp_path, PAGE)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace('extensions = ["sphinx_pypatterns"]', extensions) + extra)
    (src / "refs.bib").write_text(BIB)
    conf.write_text(conf.read_text() + 'bibtex_bibfiles = ["refs.bib"]\n')
    return src


def _check(capsys, src) -> tuple[int, str]:
    rc = main(["check", "--no-cache", str(src)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out


@pytest.mark.parametrize(
    "extensions",
    [
        'extensions = ["sphinx_pypatterns", "sphinxcontrib.bibtex"]',
        'extensions = ["sphinxcontrib.bibtex", "sphinx_pypatterns"]',
    ],
)
def test_bibtex_keeps_its_cite_role_and_pp_cite_is_verified(tmp_path, capsys, extensions):
    src = _project(tmp_path, extensions)
    built = build(src, freshenv=True)
    html = built.html("p")
    # bibtex's citation resolved, ours verified, whichever extension comes first
    assert "Knuth" in html and "knuth1984" not in html.replace('id="id', "")
    evidence = json.loads((built.app.outdir / "evidence.json").read_text())
    (cite,) = [c for c in evidence["citations"]]
    assert cite["target"] == "up:pkg/errors.py:6-11" and cite["verified"] is True
    # one warning, at conf.py's extensions line, that says what to write and how to silence it
    clashes = [w for w in built.located() if w[2] == "pypatterns.role_clash"]
    assert [(w[0], w[1]) for w in clashes] == [("conf.py", 2)], built.warnings
    assert "sphinxcontrib.bibtex" in clashes[0][3] and "{pp:cite}" in clashes[0][3]
    assert "pypatterns_bare_roles = ['candidate', 'pattern', 'smell', 'source-note', 'count']" in clashes[0][3]
    assert [w for w in built.located() if w[2] != "pypatterns.role_clash"] == []
    assert "already registered" not in built.warnings
    # check, taking {cite} as this extension's as the warning says it is not: the bib key fails
    rc, out = _check(capsys, src)
    assert rc == 1 and "knuth1984" in out


def test_bare_roles_without_cite_build_clean_and_check_counts_pp_cite(tmp_path, capsys):
    extensions = 'extensions = ["sphinx_pypatterns", "sphinxcontrib.bibtex"]'
    src = _project(
        tmp_path, extensions, "pypatterns_bare_roles = ['candidate', 'pattern', 'smell', 'source-note', 'count']\n"
    )
    built = build(src, freshenv=True)
    assert built.warnings == ""
    assert "Knuth" in built.html("p")
    rc, out = _check(capsys, src)
    assert rc == 0 and "check: 1 citations, 0 failures" in out


def test_a_bare_role_name_that_is_not_the_extensions_is_a_config_warning(tmp_path):
    src, _, _ = cited_project(tmp_path, "# P\n\nSee {pp:cite}`HTTPError <up:pkg/errors.py:6-11>`.\n")
    conf = src / "conf.py"
    conf.write_text(conf.read_text() + "pypatterns_bare_roles = ['cite', 'footcite']\n")
    built = build(src, freshenv=True)
    (warning,) = built.located()
    assert warning[:3] == ("conf.py", conf.read_text().count("\n"), "pypatterns.config")
    assert "pypatterns_bare_roles" in warning[3]
