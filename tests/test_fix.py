"""``pypatterns fix`` and symbol-only citations, on git repositories made here.

The upstream's module has a class that moves down two lines between its two commits, and a
function defined twice (an ambiguous symbol): the pin moves from the first commit to the second.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import build, make_repo, write_project
from sphinx.cmd.build import build_main
from support.builds import html_tree
from support.upstreams import manifest_text

from sphinx_pypatterns._tools.cli import main

MOD_V1 = textwrap.dedent('''\
    """Mod."""


    class HTTPError(Exception):
        """Base."""


    if True:
        def twice():
            return 1
    else:
        def twice():
            return 2
    ''')
# HTTPError spans 4-5 at the first commit, 6-7 at the second; twice has two spans at both
MOD_V2 = "# a\n# b\n" + MOD_V1


def _project(root: Path, pages: dict[str, str | bytes], *, pin: int = 1) -> tuple[Path, list[str]]:
    """A project citing the two-commit upstream ``up``, pinned at commit ``pin``: (source folder, shas)."""
    repo = root / "upstream"
    shas = make_repo(repo, [{"pkg/mod.py": MOD_V1}, {"pkg/mod.py": MOD_V2}])
    src = root / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, {**pages, "upstreams.toml": manifest_text("up", shas[pin])}, conf)
    return src, shas


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


MOVED = (
    "# Moved\n\n"
    "The root {cite}`HTTPError <up:pkg/mod.py:4-5>` of every error.\n\n"
    ":::{cite} up:pkg/mod.py:4\n:symbol: HTTPError\n\nThe claim.\n:::\n\n"
    "Unanchored {cite}`up:pkg/mod.py:1` stays.\n"
)


def test_fix_rewrites_a_moved_symbol_to_its_span_and_the_build_then_passes(tmp_path, capsys):
    src, _ = _project(tmp_path, {"p.md": MOVED, "q.md": MOVED})
    page, other = src / "p.md", src / "q.md"
    code, out, _ = _run(capsys, "check", "--no-cache", str(src))
    assert code == 1 and out.count("anchor_mismatch") == 4, out

    code, out, err = _run(capsys, "fix", str(src))
    assert code == 1, err
    assert "-The root {cite}`HTTPError <up:pkg/mod.py:4-5>` of every error.\n" in out
    assert "+The root {cite}`HTTPError <up:pkg/mod.py:6-7>` of every error.\n" in out
    assert "-:::{cite} up:pkg/mod.py:4\n+:::{cite} up:pkg/mod.py:6-7\n" in out
    assert "--- a/p.md\n+++ b/p.md\n" in out and "+++ b/q.md\n" in out
    assert page.read_text() == MOVED and other.read_text() == MOVED  # nothing written

    code, out, err = _run(capsys, "fix", "--write", str(src), str(page))  # only the page named
    assert (code, out) == (0, ""), err
    fixed = MOVED.replace("mod.py:4-5>", "mod.py:6-7>").replace(
        "{cite} up:pkg/mod.py:4\n", "{cite} up:pkg/mod.py:6-7\n"
    )
    assert page.read_text() == fixed and other.read_text() == MOVED
    other.write_text(fixed)
    assert _run(capsys, "check", "--no-cache", str(src))[0] == 0
    assert _run(capsys, "fix", str(src)) == (0, "", "fix: nothing to fix\n")
    built = build(src)
    assert built.warnings == ""
    assert "#L6-L7" in built.html("p") and "#L4-L5" not in built.html("p")

    code, _, err = _run(capsys, "fix", str(src), str(tmp_path / "nope.md"))
    assert code == 2 and "is not a page of the project" in err


def test_fix_changes_only_the_digits_of_a_crlf_non_ascii_page(tmp_path, capsys):
    text = (
        "\ufeff# Café ☕ naïve\r\n\r\n"
        "Twice on a line: {cite}`HTTPError <up:pkg/mod.py:4-5>` and {cite}`HTTPError <up:pkg/mod.py:4-5>`, ünï.\r\n"
        "Past the end {cite}`HTTPError\r\n<up:pkg/mod.py:40-41>` — spans a line.\r\n"
        "A symbol alone {cite}`HTTPError <up:pkg/mod.py>`; an unanchored one {cite}`up:pkg/mod.py:40` stays.\r\n"
        "\r\n```{eval-rst}\r\nRest :cite:`HTTPError <up:pkg/mod.py:5>` too.\r\n```\r\n"
    )
    data = text.encode("utf-8")
    src, _ = _project(tmp_path, {"p.md": data})
    code, out, err = _run(capsys, "fix", str(src), "--write")
    assert code == 0, err
    expected = (
        data.replace(b"mod.py:4-5>", b"mod.py:6-7>")
        .replace(b"mod.py:40-41>", b"mod.py:6-7>")
        .replace(b"mod.py>", b"mod.py:6-7>")
        .replace(b"mod.py:5>", b"mod.py:6-7>")
    )
    assert (src / "p.md").read_bytes() == expected
    assert "fix: 5 range(s) in 1 page(s) written\n" == err
    code, out, _ = _run(capsys, "check", "--no-cache", str(src))
    assert code == 1 and out.count("line_out_of_range") == 1 and "p.md:6:" in out, out  # the unanchored one


def test_fix_leaves_an_ambiguous_symbol_alone(tmp_path, capsys):
    text = "# A\n\nWhich {cite}`twice <up:pkg/mod.py:1-2>` is meant?\n\nOr {cite}`twice <up:pkg/mod.py>`.\n"
    src, _ = _project(tmp_path, {"p.md": text})
    code, out, err = _run(capsys, "fix", str(src), "--write")
    assert code == 1 and out == ""
    assert err.count("ambiguous_symbol") == 2 and "p.md:3: ambiguous_symbol" in err and "p.md:5:" in err, err
    assert "lines 10–12; lines 10–15" in err
    assert (src / "p.md").read_text() == text


SYMBOL_ONLY = (
    "# Symbol {n}\n\n"
    "The root {cite}`HTTPError <up:pkg/mod.py>` of every error.\n\n"
    ":::{cite} up:pkg/mod.py\n:symbol: HTTPError\n\nThe claim.\n:::\n"
)


def _sphinx_build(src: Path, out: Path, *args: str) -> None:
    assert build_main(["-W", "--keep-going", "-q", *args, str(src), str(out)]) == 0


def _outputs(out: Path) -> dict[str, bytes]:
    return {**html_tree(out), "evidence.json": (out / "evidence.json").read_bytes()}


def test_a_symbol_only_citation_shows_its_symbols_span_everywhere(tmp_path, capsys):
    pages: dict[str, str | bytes] = {f"s{n}.md": SYMBOL_ONLY.replace("{n}", str(n)) for n in range(8)}
    src, _ = _project(tmp_path, pages)
    one, two = tmp_path / "j1", tmp_path / "j2"
    _sphinx_build(src, one, "-j", "1")
    _sphinx_build(src, two, "-j", "2")
    assert _outputs(one) == _outputs(two)

    html = (one / "s0.html").read_text("utf-8")
    assert html.count("mod.py#L6-L7") >= 2 and "#L0" not in html, html  # the role's link and the caption's
    assert "pkg/mod.py, lines 6–7" in html and "Base." in html  # the excerpt: the class's lines
    index = (one / "pp-evidence.html").read_text("utf-8")
    assert "L6–7 HTTPError" in index and "L0" not in index
    cites = [c for c in json.loads((one / "evidence.json").read_text())["citations"] if c["docname"] == "s0"]
    assert [(c["target"], c["start"], c["end"], c["result"], c["permalink"][-12:]) for c in cites] == [
        ("up:pkg/mod.py", 6, 7, "ok", "mod.py#L6-L7")
    ] * 2, cites

    assert _run(capsys, "check", "--no-cache", str(src))[0] == 0
    code, _, err = _run(capsys, "fix", str(src), str(src / "s0.md"), "--write")
    assert code == 0, err
    written = (src / "s0.md").read_text()
    assert "<up:pkg/mod.py:6-7>" in written and ":::{cite} up:pkg/mod.py:6-7\n" in written


def test_a_symbol_only_citation_follows_its_pin_incrementally(tmp_path):
    src, shas = _project(tmp_path, {"s.md": SYMBOL_ONLY.replace("{n}", "0")}, pin=0)
    kept = tmp_path / "kept"
    _sphinx_build(src, kept)
    assert "mod.py#L4-L5" in (kept / "s.html").read_text("utf-8")
    (src / "upstreams.toml").write_text(manifest_text("up", shas[1]))
    _sphinx_build(src, kept)  # incremental: no page is read again, the pin moved
    clean = tmp_path / "clean"
    _sphinx_build(src, clean, "-E")
    assert _outputs(kept) == _outputs(clean)
    assert "mod.py#L6-L7" in (clean / "s.html").read_text("utf-8")


def test_a_symbol_only_citation_without_one_span_warns_once_where_it_is(tmp_path, capsys):
    text = (
        "# W\n\n"
        "Two {cite}`twice <up:pkg/mod.py>`.\n\n"
        "None {cite}`Nope <up:pkg/mod.py>`.\n\n"
        "No anchor {cite}`up:pkg/mod.py`.\n\n"
        "Not Python {cite}`Name <up:README.md>`.\n"
    )
    src, _ = _project(tmp_path, {"p.md": text})
    built = build(src)
    found = sorted((w[0], w[1], w[2]) for w in built.located())
    assert found == [
        ("p.md", 3, "pypatterns.ambiguous_symbol"),
        ("p.md", 5, "pypatterns.unknown_symbol"),
        ("p.md", 7, "pypatterns.bad_target"),
        ("p.md", 9, "pypatterns.bad_target"),
    ], built.warnings
    code, out, _ = _run(capsys, "check", "--no-cache", str(src))
    assert code == 1
    assert [line.split(": ")[0:2] for line in out.splitlines() if line.startswith("p.md")] == [
        ["p.md:3", "ambiguous_symbol"],
        ["p.md:5", "unknown_symbol"],
        ["p.md:7", "bad_target"],
        ["p.md:9", "bad_target"],
    ], out
