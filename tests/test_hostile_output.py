"""Hostile input that reaches the output: TeX specials in page names and paths, excerpts that are not
complete fragments of their language, manifest errors about table names.

Each case is a real build (or the real parser) of a small project; every warning is asserted at its
file and line, and the builds must hold no traceback.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
from conftest import build, latexmk, make_repo, page, write_project
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.formatters.latex import escape_tex
from sphinx.cmd.build import build_main
from support.evidence_project import smell_page
from support.pdf_tools import require_pdf_tools
from support.upstreams import manifest_text

from sphinx_pypatterns import ManifestError, load_manifest, parse_manifest

# -- TeX specials in page names and cited paths ----------------------------------

#: Every TeX special, and two attempts at running or reading something.
HOSTILE = "h}\\immediate\\write18{x}%#$&_^~{\\input{y}"
#: A second page, in a folder whose name is hostile too.
HOSTILE_DIR = "d%#$&^~_{"
HOSTILE_PATTERN = f"{HOSTILE_DIR}/p}}\\input{{y}}"
#: A cited path with TeX specials (each is allowed in a citation path).
ODD_PATH = "pkg/odd{x}$&^~_%.py"
ODD_FILE = '"""Odd."""\n\n\nclass Odd:\n    """Costs $5 & {more} ~ ^_^ 100%."""\n'

INJECTED = "INJECTED-BY-A-FILE-NAME"
#: ``HOSTILE`` as a TOML string.
TOML_HOSTILE = '"' + HOSTILE.replace("\\", "\\\\") + '"'


def hostile_files() -> dict[str, str]:
    note_body = (
        page("source-note", "up", title=HOSTILE)
        .split(":::\n\n", 1)[1]
        .replace("Text for repeated patterns.", "- Odd things. {cite}`Odd <up:" + ODD_PATH + ":4-5>` and more.")
    )
    note = f"# {HOSTILE}\n\n:::{{source-note}}\n:upstream: up\n:::\n\n{note_body}"
    pattern = page(
        "pattern",
        "odd-root",
        title=f"Pattern {HOSTILE_PATTERN}",
        body=page("pattern", "x")
        .split(":::\n\n", 1)[1]
        .replace(
            "Text for evidence.",
            f":::{{cite}} up:{ODD_PATH}:4-5\n:symbol: Odd\n:caption: Caption with {HOSTILE}\n\nThe claim.\n:::\n",
        ),
    )
    return {
        "index.md": (
            "# Book\n\n```{toctree}\nguide\npins\n" + HOSTILE + "\n" + HOSTILE_PATTERN + f"\n{HOSTILE_DIR}/smell\n```\n"
        ),
        "pins.md": "# Pins\n\n:::{pin-table}\n:::\n",
        "guide.md": (
            "# Guide\n\nRead {pattern}`odd-root` and {source-note}`up`, "
            f"the pages {{doc}}`/{HOSTILE}` and {{doc}}`the pattern </{HOSTILE_PATTERN}>`.\n"
        ),
        f"{HOSTILE}.md": note,
        f"{HOSTILE_PATTERN}.md": pattern,
        # a smell: its card links to its evidence inside its own page (a refid reference)
        f"{HOSTILE_DIR}/smell.md": smell_page("odd-smell", "odd-root", "{cite}`Odd <up:" + ODD_PATH + ":4-5>`"),
    }


LATEX_CONF = """
latex_engine = "xelatex"
latex_documents = [("index", "review.tex", "Review copy", "Tests", "manual")]
latex_elements = {"printindex": ""}
pypatterns_print_inline_excerpts = True
"""


def odd_upstream(root: Path) -> tuple[Path, str]:
    repo = root / "upstream"
    sha = make_repo(repo, [{ODD_PATH: ODD_FILE, "pkg/__init__.py": ""}])[0]
    return repo, sha


def hostile_project(root: Path, extra: str = "") -> Path:
    repo, pin = odd_upstream(root)
    src = root / "p"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n' + LATEX_CONF + extra
    write_project(src, hostile_files(), conf)
    # the pin table and the captions print the tag and the license
    text = manifest_text("up", pin).replace('"v1"', TOML_HOSTILE).replace('"MIT"', TOML_HOSTILE)
    (src / "upstreams.toml").write_text(text, "utf-8")
    return src


def _commands_from_data(tex: str) -> list[str]:
    """Control sequences of the names and paths above that reach the ``.tex`` unescaped."""
    return re.findall(r"\\(?:immediate|write18|input\{y\})", tex)


def test_tex_specials_in_page_names_and_paths_stay_text(tmp_path):
    src = hostile_project(tmp_path)
    built = build(src, "latex")
    assert not [w for w in built.warnings.splitlines() if "WARNING" in w], built.warnings
    tex = (Path(built.app.outdir) / "review.tex").read_text("utf-8")
    assert _commands_from_data(tex) == [], [line for line in tex.splitlines() if _commands_from_data(line)]
    index = tex[tex.index("sphinxtheindex") :]
    # every index entry's page reference is a detokenized label, as Sphinx writes the labels
    refs = re.findall(r"\\sphinxstyleindexpageref\{(.*)\}$", index, re.M)
    assert len(refs) >= 4, index
    for ref in refs:
        assert re.fullmatch(r"\\detokenize\{[^{}\\]*\}:\\detokenize\{[^{}\\]*\}", ref), ref
        label = ref.replace("\\detokenize{", "").replace("}", "")
        assert "\\label{\\detokenize{" + label + "}}" in tex, label
    # the entries say where each citation is: the page's title, escaped
    assert "h\\}\\textbackslash{}immediate\\textbackslash{}write18\\{x\\}\\%\\#\\$\\&\\_" in index


def test_tex_specials_in_page_names_and_paths_print(tmp_path):
    require_pdf_tools()
    src = hostile_project(tmp_path)
    built = build(src, "latex")
    outdir = Path(built.app.outdir)
    (outdir / "y.tex").write_text(INJECTED + "\n", "utf-8")  # what an injected \input{y} would print
    log = latexmk(outdir, "review.tex")
    assert "There were undefined references" not in log and "Label(s) may have changed" not in log
    text = subprocess.run(["pdftotext", str(outdir / "review.pdf"), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert INJECTED not in text
    assert HOSTILE in flat  # the page title
    index = re.sub(r"\s+", "", next(p for p in text.split("\f") if "(all files)" in p))
    # the evidence index's entries name the citing pages, as they are titled
    assert f"({HOSTILE},line13)" in index and f"(Pattern{HOSTILE_PATTERN},line" in index, index
    assert "odd{x}$&^~_%.py" in flat  # the excerpt caption's path, and the compact excerpt's
    assert "Costs$5&{more}~^_^100%" in flat
    assert f"{HOSTILE}at" in flat and f"({HOSTILE})" in flat  # the pin table's tag and license


# -- excerpts that are not complete fragments --------------------------------------

FRAGMENTS = {
    # the middle of a docstring, with a '$' the Python lexer refuses
    "pkg/doc.py": 'def price():\n    """Say what it costs.\n\n    Costs $5, or $7 with ? and `ticks`.\n'
    '    Nothing else.\n    """\n    return 5\n',
    # the end of a string: '$' outside it, and a string left open
    "pkg/half.py": 'def half():\n    text = """never\n    closed $ here\n    """\n    return text\n',
    # not Python at all, named .py
    "pkg/script.py": "#!/bin/sh\necho $HOME && ls `pwd`\n",
    # not TOML, named .toml
    "conf/odd.toml": "a = $x\n",
    # C with backticks
    "src/odd.c": "int `x` = 1;\n",
}
FRAGMENT_CITES = [
    ("pkg/doc.py", 4, 5, "price"),
    ("pkg/half.py", 3, 4, "half"),
    ("pkg/script.py", 1, 2, ""),
    ("conf/odd.toml", 1, 1, ""),
    ("src/odd.c", 1, 1, ""),
]


def fragment_project(root: Path) -> Path:
    sha = make_repo(root / "upstream", [FRAGMENTS])[0]
    blocks = []
    for path, start, end, symbol in FRAGMENT_CITES:
        option = f":symbol: {symbol}\n" if symbol else ""
        blocks.append(f":::{{cite}} up:{path}:{start}-{end}\n{option}\nClaim about {path}.\n:::\n")
    inline = " ".join(f"{{cite}}`up:{path}:{start}-{end}`" for path, start, end, symbol in FRAGMENT_CITES if not symbol)
    files = {"frag.md": "# Fragments\n\n" + "\n".join(blocks) + f"\nInline: {inline}.\n"}
    conf = (
        'pypatterns_manifest = "upstreams.toml"\n'
        f'pypatterns_checkouts = ["up={root / "upstream"}"]\n' + LATEX_CONF.replace("review.tex", "frag.tex")
    )
    src = root / "p"
    write_project(src, files, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", sha), "utf-8")
    return src


def _cited_lines() -> list[str]:
    lines = []
    for path, start, end, _ in FRAGMENT_CITES:
        lines += FRAGMENTS[path].split("\n")[start - 1 : end]
    return [line.strip() for line in lines]


def _tex_text(tex: str) -> str:
    """The text of Pygments' LaTeX output: its escapes and ``\\PYG{style}{...}`` wrappers undone."""
    marks = {escape_tex(ch, "PYG"): ch for ch in "\\{}^&<>#%$-'\"~_@[]`*,.:;!?/|+=()"}
    marks = {k: v for k, v in marks.items() if k != v}
    placeholder = {k: chr(0xE000 + i) for i, k in enumerate(marks)}
    for k, p in placeholder.items():
        tex = tex.replace(k, p)
    tex = re.sub(r"\\PYG\{[^{}]*\}\{([^{}]*)\}", r"\1", tex)
    for k, p in placeholder.items():
        tex = tex.replace(p, marks[k])
    return tex


@pytest.mark.parametrize("builder", ["html", "latex"])
def test_excerpts_that_are_not_complete_fragments_never_fail_highlighting(tmp_path, builder):
    src = fragment_project(tmp_path)
    out = tmp_path / "out"
    status = build_main(["-W", "-q", "-b", builder, "-d", str(tmp_path / "doctrees"), str(src), str(out)])
    assert status == 0, "the -W build failed"
    built = build(src, builder)  # the same build, for its warning stream
    assert built.warnings == "", built.warnings
    if builder == "html":
        page_html = (out / "frag.html").read_text("utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", page_html))
        blocks = re.findall(r'<div class="pypatterns-excerpt highlight-(\w+) notranslate"', page_html)
        assert blocks == ["text"] * len(FRAGMENT_CITES), blocks  # shown as they are, unhighlighted
    else:
        text = _tex_text((out / "frag.tex").read_text("utf-8"))
    for line in _cited_lines():
        assert line in text, (line, builder)


def test_excerpt_of_a_complete_fragment_keeps_its_highlighting(tmp_path):
    sha = make_repo(tmp_path / "upstream", [{"pkg/ok.py": "def ok():\n    return 1\n"}])[0]
    src = tmp_path / "p"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={tmp_path / "upstream"}"]\n'
    write_project(src, {"a.md": "# A\n\n:::{cite} up:pkg/ok.py:1-2\n:symbol: ok\n:::\n"}, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", sha), "utf-8")
    built = build(src)
    assert built.warnings == "", built.warnings
    assert '<div class="pypatterns-excerpt highlight-python notranslate"' in built.html("a")
    assert '<span class="k">def</span>' in built.html("a")


# -- manifest errors about table names: at the table's line -------------------------

GOOD = manifest_text("up", "a" * 40)
BODY = GOOD.split("\n", 1)[1]
TAG = 'tag = "v1"\n'

NAME_CASES = [
    # (id, manifest text, subtype, line, key shown)
    ("dotdot", f'{GOOD}\n[".."]\n{BODY}', "manifest", 7, '".."'),
    ("path-like", f'{GOOD}\n["pkg/sub"]\n{BODY}', "manifest", 7, '"pkg/sub"'),
    ("space", f'{GOOD}\n["two words"]\n{BODY}', "manifest", 7, '"two words"'),
    ("repository-tex", GOOD.replace("/up", "/u}\\\\input{y}"), "manifest", 2, "up.repository"),
    ("literal-string", f"{GOOD}\n['../x']\n{BODY}", "manifest", 7, '"../x"'),
    ("unicode-escape", f'{GOOD}\n["\\u002e\\u002e"]\n{BODY}', "manifest", 7, '".."'),
    ("spaced-header", f'{GOOD}\n[ ".." ]  # a comment\n{BODY}', "manifest", 7, '".."'),
    ("not-a-table", f'\n\nzzz = "x"\n{GOOD}', "manifest", 3, "zzz"),
    ("array-of-tables", f"{GOOD}\n[[arr]]\n{BODY}", "manifest", 7, "arr"),
    ("dotted-header", f"{GOOD}\n[a.b]\n{BODY}", "manifest", 7, "a.b"),
    ("dotted-name-missing-key", f'{GOOD}\n["a.b"]\n{BODY.replace(TAG, "")}', "manifest", 7, '"a.b".tag'),
    ("inline-table", f'# pins\n\nin = {{ repository = "https://example.invalid/x" }}\n{GOOD}', "manifest", 3, "in.tag"),
    (
        "inline-table-key",
        f'# pins\n\nin = {{ repository = """\nhttps://example.invalid/x""", "tag" = 1 }}\n{GOOD}',
        "manifest",
        4,
        "in.tag",
    ),
    ("only-a-subtable", f'{GOOD}\n[st.stdlib]\npython = "3.13.0"\n', "manifest", 7, "st.repository"),
    ("quoted-key", GOOD.replace('license = "MIT"', '"licence" = "MIT"'), "manifest", 5, "up.licence"),
    ("dotted-key", GOOD + 'stdlib.python = "3"\n', "manifest", 6, "up.stdlib.python"),
    ("subtable-key", GOOD + '\n[up.stdlib]\nmount = "Lib"\npython = "3"\n', "manifest", 9, "up.stdlib.python"),
    (
        "second-sdist",
        GOOD
        + '\n[[up.sdist]]\nrequirement = "a==1"\nsha256 = "'
        + "0" * 64
        + '"\n\n[[up.sdist]]\nrequirement = "b==1"\nsha256 = "zz"\n',
        "manifest",
        13,
        "up.sdist[1].sha256",
    ),
    (
        "inline-sdist-array",
        GOOD + 'sdist = [\n  { requirement = "a==1", sha256 = "' + "0" * 64 + '" },\n  { requirement = "b" },\n]\n',
        "manifest",
        8,
        "up.sdist[1].requirement",
    ),
    ("trailing-newline-name", f'{GOOD}\n["two\\n"]\n{BODY}', "manifest", 7, '"two\\n"'),
    ("tag-after-multiline-string", GOOD.replace('tag = "v1"', 'tag = """\nv1\n"""\nzz = 1'), "manifest", 6, "up.zz"),
]


@pytest.mark.parametrize(
    ("text", "subtype", "line", "key"), [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES]
)
def test_manifest_errors_about_names_and_keys_are_at_their_line(tmp_path, text, subtype, line, key):
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, path="upstreams.toml")
    assert (err.value.subtype, err.value.line, err.value.key) == (subtype, line, key), str(err.value)
    # and through a real build: the file, the line and the key
    src = tmp_path / "p"
    write_project(src, {"a.md": "# A\n\nText.\n"}, 'pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(text, "utf-8")
    built = build(src)
    found = [w for w in built.located() if w[2].startswith("pypatterns.")]
    assert [(w[0], w[1], w[2]) for w in found] == [("upstreams.toml", line, f"pypatterns.{subtype}")], built.warnings
    assert found[0][3].startswith(f"[{key}] "), found[0][3]


def test_manifest_that_is_not_utf8_is_reported_at_the_bad_byte(tmp_path):
    path = tmp_path / "upstreams.toml"
    path.write_bytes(GOOD.encode() + b'\n[two]\nlicense = "caf\xe9"\n')
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert (err.value.subtype, err.value.line) == ("manifest_toml", 8)


def test_malformed_toml_at_the_end_of_the_document_is_at_its_last_line():
    with pytest.raises(ManifestError) as err:
        parse_manifest(GOOD + '\n[two]\nlicense = "MIT', path="upstreams.toml")
    assert (err.value.subtype, err.value.line) == ("manifest_toml", 8)


def _paths(value: object, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [(*at, k), *_paths(v, (*at, k))]]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in [(*at, i), *_paths(v, (*at, i))]]
    return []


@pytest.mark.parametrize("case", [c[0] for c in NAME_CASES] + ["handbook"])
def test_every_table_key_and_item_of_a_manifest_has_its_line(case):
    import tomllib

    from sphinx_pypatterns._core.toml_lines import toml_lines

    if case == "handbook":
        text = (Path(__file__).parent.parent / "docs" / "upstreams.toml").read_text("utf-8")
    else:
        text = next(c[1] for c in NAME_CASES if c[0] == case)
    lines = toml_lines(text)
    rows = text.split("\n")
    for at in _paths(tomllib.loads(text)):
        assert at in lines, at
        last = next(p for p in reversed(at) if isinstance(p, str))
        assert last in rows[lines[at] - 1] or "[" in rows[lines[at] - 1] or "{" in rows[lines[at] - 1], (at, lines[at])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"[]{}=.,#\"'\\\n \tab1-_", '"""', "'''", "[[", "]]", "a = 1\n"]), max_size=40).map(
        "".join
    )
)
def test_toml_lines_never_fails_on_any_text(text):
    from sphinx_pypatterns._core.toml_lines import key_line, toml_lines

    lines = toml_lines(text)
    assert all(1 <= line <= text.count("\n") + 1 for line in lines.values())
    assert 0 <= key_line(text, "a.b[0].c") <= text.count("\n") + 1
