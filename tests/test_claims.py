"""Claims the build can hold: quote anchors and counted quantifiers, on repositories made here."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import build, make_repo, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns._core.quotes import nearest_text, parse_quotes, quote_found, quote_lines
from sphinx_pypatterns._core.targets import parse_anchor
from sphinx_pypatterns._tools.cli import main

MOD_V1 = textwrap.dedent('''\
    """Mod."""


    class ModError(Exception):
        """Base."""


    class ParseError(ModError):
        def __init__(self, text):
            super().__init__(f"cannot parse {text!r}")
            self.text = text


    def parse(text):
        if not text:
            raise ParseError(text)
        return text.split()
    ''')
MOD_V2 = MOD_V1 + '\n\nclass LimitError(ModError):\n    """Too long."""\n'


def _project(root: Path, page: str, *, pin: int = 0) -> tuple[Path, list[str]]:
    repo = root / "upstream"
    shas = make_repo(
        repo,
        [{"pkg/mod.py": MOD_V1, "pkg/other.py": "class OtherError(Exception):\n    pass\n"}, {"pkg/mod.py": MOD_V2}],
    )
    src = root / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, {"p.md": page, "upstreams.toml": manifest_text("up", shas[pin])}, conf)
    return src, shas


def test_quotes_parse_and_match_across_whitespace():
    assert parse_anchor('"raise ParseError"') == '"raise ParseError"'
    assert parse_anchor('parse  "raise   ParseError" "return"') == 'parse "raise ParseError" "return"'
    assert parse_anchor('"a \\" quote"') == '"a \\" quote"'
    assert parse_anchor('"unclosed') is None and parse_anchor('"" ') is None and parse_anchor('"a" tail') is None
    assert parse_quotes('Name "q"') == ("Name", ("q",))
    lines = ["    if not text:", "        raise ParseError(", "            text)"]
    assert quote_found("raise ParseError( text)", lines) and not quote_found("raise ValueError", lines)
    assert quote_lines("ParseError( text)", lines) == [1, 2]
    assert nearest_text("raise ParseErr", lines) == "raise ParseError("


QUOTED = textwrap.dedent("""\
    # P

    The guard {cite}`"raise ParseError(text)" <up:pkg/mod.py:14-16>` refuses empty input.

    It never says {cite}`parse "raise ValueError" <up:pkg/mod.py:14-16>`.

    :::{cite} up:pkg/mod.py:8-11
    :symbol: ParseError
    :shows: "super().__init__" "self.text = text"

    The error keeps its input.
    :::

    :::{cite} up:pkg/mod.py:8-11
    :shows: "self.input"

    Wrong.
    :::
    """)


def test_a_quote_anchor_is_checked_in_its_range_and_rendered_as_code(tmp_path, capsys):
    src, _ = _project(tmp_path, QUOTED)
    built = build(src)
    located = [w[:3] for w in built.located()]
    assert located == [("p.md", 5, "pypatterns.quote_not_found"), ("p.md", 14, "pypatterns.quote_not_found")], (
        built.warnings
    )
    assert (
        "'raise ValueError' is not in the lines of up:pkg/mod.py:14-16; the nearest line is 'raise ParseError(text)'"
        in built.warnings
    )
    html = built.html("p")
    assert (
        '<code class="docutils literal notranslate"><span class="pre">raise</span> <span class="pre">ParseError(text)</span></code>'
        in html
        or "pypatterns-quote" in html
    )
    assert 'class="hll"' in html  # the quoted lines of the excerpt are highlighted
    code = main(["check", "--no-cache", str(src)])
    out = capsys.readouterr().out
    assert code == 1 and out.count("quote_not_found") == 2, out
    assert "p.md:5: quote_not_found" in out and "p.md:14: quote_not_found" in out
    data = json.loads((src / "_build" / "html" / "evidence.json").read_text())
    (first,) = [c for c in data["citations"] if c["lineno"] == 3]
    assert first["quotes"] == ["raise ParseError(text)"] and first["symbol"] is None and first["verified"]


def test_a_quote_satisfies_the_anchor_rule_but_gives_no_lines(tmp_path):
    page = '# P\n\n{cite}`"class ModError" <up:pkg/mod.py:4-5>` and {cite}`"class ModError" <up:pkg/mod.py>`.\n'
    src, _ = _project(tmp_path, page)
    built = build(src, confoverrides={"pypatterns_require_anchor": True})
    assert [w[2] for w in built.located()] == ["pypatterns.bad_target"], built.warnings


COUNTED = textwrap.dedent("""\
    # P

    Of the {count}`3 <up:pkg/**/*.py:/^class \\w+Error/>` error classes, {count}`1 <up:pkg/mod.py:(ModError)>`
    derives from `ModError`.
    """)


def test_a_count_renders_its_number_and_fires_when_the_pin_changes_it(tmp_path):
    src, shas = _project(tmp_path, COUNTED)
    built = build(src)
    assert built.warnings == ""
    html = built.html("p")
    assert ">3</a>" in html and ">1</a>" in html and "3 matches of /^class \\w+Error/ in up pkg/**/*.py" in html
    data = json.loads((src / "_build" / "html" / "evidence.json").read_text())
    assert [(c["expected"], c["count"], c["verified"]) for c in data["counts"]] == [(3, 3, True), (1, 1, True)]
    assert data["counts"][0]["matches"][0] == {"path": "pkg/mod.py", "line": 4}
    # the pin moves: a fourth error class; the same sentence now fires, at its line
    manifest = src / "upstreams.toml"
    manifest.write_text(manifest.read_text().replace(shas[0], shas[1]))
    built = build(src)
    assert [w[:3] for w in built.located()] == [("p.md", 3, "pypatterns.count_mismatch")] * 2, built.warnings
    assert "counts 4 at the pin, not 3" in built.warnings and "counts 2 at the pin, not 1" in built.warnings
    assert 'pypatterns-count unverified">3<' in built.html("p")


@pytest.mark.parametrize(
    ("role", "subtype"),
    [
        ("{count}`3 <up:pkg/*.py>`", "bad_count"),
        ("{count}`up:pkg/*.py:class`", "bad_count"),
        ("{count}`3 <up:pkg/*.py:/([/>`", "bad_count"),
        ("{count}`3 <nope:pkg/*.py:class>`", "unknown_upstream"),
        ("{count}`3 <up:../*.py:class>`", "bad_count"),
    ],
)
def test_a_malformed_count_is_one_located_warning(tmp_path, role, subtype):
    src, _ = _project(tmp_path, f"# P\n\nText {role}.\n")
    built = build(src)
    assert [w[:3] for w in built.located()] == [("p.md", 3, f"pypatterns.{subtype}")], built.warnings
    assert "Traceback" not in built.warnings
