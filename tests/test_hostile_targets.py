"""Hostile citation targets: paths that need percent-encoding in URLs, invisible characters, Unicode anchors.

Each class is tested through a real build (the subtype and ``docname:line``
of every warning, the hrefs of the HTML, ``evidence.json``), through
``pypatterns check`` on the same project (the same failures at the same
lines), and through the core's functions directly.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from conftest import build, latexmk, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns import CitationTarget, ManifestError, TargetError, Verifier, parse_manifest, parse_target
from sphinx_pypatterns._core.targets import parse_anchor, url_path, validate_relpath, visible
from sphinx_pypatterns._tools.cli import main

PIN = "c0ffee" + "0" * 34
REPO_URL = "https://example.invalid/up"

# -- the upstream: a plain folder whose paths are hostile to URLs --------------------

NAIVE = textwrap.dedent('''\
    class Naïve:
        """Unicode names are Python names."""

        def méthode(self) -> int:
            return 1


    Größe = 3
    ﬁle = "the ligature is normalised to 'file' by Python"
    ''')

URL_PATHS = [
    "pkg/a#b.py",
    "pkg/q?x=1.py",
    "pkg/sp ace.py",
    "pkg/100%.py",
    "pkg/ünï/cödé.py",
    "pkg/nb\xa0sp.py",
    "pkg/a&b+c;d=e.py",
    "pkg/日本/名前.py",
    "docs/#L9.md",
]


def _upstream_folder(root: Path) -> Path:
    folder = root / "upstream"
    for path in URL_PATHS:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(NAIVE, "utf-8")
    (folder / "pkg" / "naive.py").write_text(NAIVE, "utf-8")
    notes = "# Notes\n\nThe Naïve class.\nNothing here.\nA \ufb01le ligature.\nNai\u0308ve, decomposed.\n"
    (folder / "notes.md").write_text(notes, "utf-8")
    return folder


def _conf(folder: Path, extra: str = "") -> str:
    return f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={folder}"]\n' + extra


def _write(src: Path, folder: Path, files: dict[str, str | bytes], extra: str = "") -> Path:
    write_project(src, files, _conf(folder, extra))
    (src / "upstreams.toml").write_text(manifest_text("up", PIN))
    return src


def cite(target: str) -> str:
    return f"# Case\n\nThe claim\nrests on {{cite}}`{target}`.\n"


def _line(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


def expected_url(path: str, start: int, end: int) -> str:
    lines = f"#L{start}" if start == end else f"#L{start}-L{end}"
    return f"{REPO_URL}/blob/{PIN}/{quote(path, safe='/')}{lines}"


class Hrefs(HTMLParser):
    """The href of every permalink (``a.pypatterns-permalink``) of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and "pypatterns-permalink" in (values.get("class") or "").split():
            self.hrefs.append(values.get("href") or "")


def hrefs(html: str) -> list[str]:
    parser = Hrefs()
    parser.feed(html)
    return parser.hrefs


def resolves_to(url: str, path: str, start: int, end: int) -> bool:
    """Does ``url`` name ``path`` at the pin and lines ``start``-``end``, as a browser parses it?"""
    parts = urlsplit(url)
    fragment = f"L{start}" if start == end else f"L{start}-L{end}"
    return (
        f"{parts.scheme}://{parts.netloc}" == "https://example.invalid"
        and unquote(parts.path) == f"/up/blob/{PIN}/{path}"
        and parts.query == ""
        and parts.fragment == fragment
        and url.isascii()
        and " " not in url
    )


# -- class 1: every URL we build percent-encodes the path ----------------------------


@pytest.mark.parametrize("path", [*URL_PATHS, "pkg/plain.py", "a-b_c.d~e/f.py"])
def test_permalink_percent_encodes_every_component(path):
    up = parse_manifest(manifest_text("up", PIN)).upstreams["up"]
    url = up.permalink(path, 3, 5)
    assert url == expected_url(path, 3, 5)
    assert resolves_to(url, path, 3, 5)
    assert up.permalink(path, 7, 7).endswith("#L7")
    assert url_path(path) == quote(path, safe="/")
    # the path's own '#', '?' and '%' are never read as a fragment, a query or an escape
    assert url.count("#") == 1 and "?" not in url


def test_url_path_keeps_unreserved_characters_and_slashes():
    assert url_path("httpx/_api.py") == "httpx/_api.py"
    assert url_path("a-b.c_d~e/F9.pyi") == "a-b.c_d~e/F9.pyi"
    assert url_path("a b/#/?/%") == "a%20b/%23/%3F/%25"
    assert url_path("ü") == "%C3%BC"


@dataclass(frozen=True)
class LinkCase:
    path: str
    lines: str

    @property
    def span(self) -> tuple[int, int]:
        start, _, end = self.lines.partition("-")
        return int(start), int(end or start)


LINK_CASES = [LinkCase(p, "1-2" if i % 2 else "4") for i, p in enumerate(URL_PATHS)]


@pytest.fixture(scope="module")
def links(tmp_path_factory):
    root = tmp_path_factory.mktemp("links")
    folder = _upstream_folder(root)
    body = "\n".join(f"- Cited {{cite}}`up:{c.path}:{c.lines}`." for c in LINK_CASES)
    block = ":::{cite} up:pkg/a#b.py:1-5\n:symbol: Naïve\n:caption: The class\n\nA claim.\n:::\n"
    files: dict[str, str | bytes] = {"links.md": f"# Links\n\n{body}\n\n{block}"}
    src = _write(root / "p", folder, files)
    return src, folder, build(src)


def test_html_permalinks_resolve_to_the_cited_file(links):
    _, _, built = links
    assert built.warnings == ""
    found = hrefs(built.html("links"))
    assert len(found) == len(LINK_CASES) + 1
    for case, href in zip(LINK_CASES, found, strict=False):
        assert href == expected_url(case.path, *case.span), (case, href)
        assert resolves_to(href, case.path, *case.span), (case, href)
    # the directive's caption link
    assert found[-1] == expected_url("pkg/a#b.py", 1, 5)
    # the label and the caption still show the path as written
    html = built.html("links")
    assert "up a#b.py:4<" in html and "up q?x=1.py:1\u20132<" in html and "pkg/a#b.py, lines 1\u20135" in html


def test_evidence_json_permalinks_resolve_to_the_cited_file(links):
    _, _, built = links
    data = json.loads((built.app.outdir / "evidence.json").read_text("utf-8"))
    cites = [c for c in data["citations"] if c["docname"] == "links"]
    assert len(cites) == len(LINK_CASES) + 1
    for entry in cites:
        assert entry["verified"], entry
        assert entry["permalink"] == expected_url(entry["path"], entry["start"], entry["end"]), entry
        assert resolves_to(entry["permalink"], entry["path"], entry["start"], entry["end"])
    # the paths themselves are recorded as written
    assert {c["path"] for c in cites} == set(URL_PATHS)


def test_latex_footnotes_print_the_encoded_permalink(links, tmp_path):
    src, _, _ = links
    built = build(src, "latex")
    assert "pypatterns" not in built.warnings, built.warnings
    tex = next(Path(built.app.outdir).glob("*.tex")).read_text("utf-8")
    for case in LINK_CASES:
        url = expected_url(case.path, *case.span)
        # Sphinx escapes '%', '#' and '&' for TeX in link targets
        escaped = url.replace("%", r"\%").replace("#", r"\#").replace("&", r"\&")
        assert escaped in tex, (case, escaped)
    assert "a#b.py" not in tex.replace(r"a\#b.py", "")  # no raw '#' from a path reaches TeX


def _pdf_tools() -> None:
    missing = [tool for tool in ("latexmk", "xelatex") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing {', '.join(missing)}")
    pytest.importorskip("pypdf")


def test_pdf_link_annotations_resolve_to_the_cited_file(tmp_path):
    _pdf_tools()
    from pypdf import PdfReader

    folder = _upstream_folder(tmp_path)
    cases = [c for c in LINK_CASES if c.path.isascii() or c.path.startswith("pkg/ü")]
    body = "\n".join(f"- Cited {{cite}}`up:{c.path}:{c.lines}`." for c in cases)
    conf = 'latex_engine = "xelatex"\nlatex_documents = [("index", "t.tex", "T", "Tests", "manual")]\n'
    src = _write(tmp_path / "p", folder, {"index.md": f"# Links\n\n{body}\n"}, conf)
    built = build(src, "latex")
    outdir = Path(built.app.outdir)
    latexmk(outdir, "t.tex")
    uris = []
    for page in PdfReader(str(outdir / "t.pdf")).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
    for case in cases:
        url = expected_url(case.path, *case.span)
        assert url in uris, (url, uris)
        assert resolves_to(url, case.path, *case.span)


# -- class 2: invisible and confusable characters in a path are bad_path ----------------

REFUSED = [
    ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
    ("\u202d", "LEFT-TO-RIGHT OVERRIDE"),
    ("\u202a", "LEFT-TO-RIGHT EMBEDDING"),
    ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
    ("\u2067", "RIGHT-TO-LEFT ISOLATE"),
    ("\u2069", "POP DIRECTIONAL ISOLATE"),
    ("\u200e", "LEFT-TO-RIGHT MARK"),
    ("\u200f", "RIGHT-TO-LEFT MARK"),
    ("\u061c", "ARABIC LETTER MARK"),
    ("\u200b", "ZERO WIDTH SPACE"),
    ("\u200d", "ZERO WIDTH JOINER"),
    ("\u2060", "WORD JOINER"),
    ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
    ("\u00ad", "SOFT HYPHEN"),
    ("\U000e0041", "TAG LATIN CAPITAL LETTER A"),
    ("\u2028", "LINE SEPARATOR"),
    ("\u2029", "PARAGRAPH SEPARATOR"),
    ("\u0085", "control character"),  # C1 control characters have no Unicode name
    ("\u009b", "control character"),
    ("\u034f", "COMBINING GRAPHEME JOINER"),
    ("\ufe0f", "VARIATION SELECTOR-16"),
    ("\u3164", "HANGUL FILLER"),
    ("\u115f", "HANGUL CHOSEONG FILLER"),
    ("\u2044", "FRACTION SLASH"),
    ("\u2215", "DIVISION SLASH"),
    ("\uff0f", "FULLWIDTH SOLIDUS"),
    ("\u29f8", "BIG SOLIDUS"),
    ("\uff3c", "FULLWIDTH REVERSE SOLIDUS"),
    ("\ufe68", "SMALL REVERSE SOLIDUS"),
    ("\uff1a", "FULLWIDTH COLON"),
    ("\u2236", "RATIO"),
    ("\ud800", "surrogate"),  # a lone surrogate (what surrogateescape makes of a bad byte)
]


def _cp(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@pytest.mark.parametrize(("char", "name"), REFUSED, ids=[_cp(c) for c, _ in REFUSED])
def test_invisible_or_confusable_character_is_a_bad_path(char, name):
    path = f"pkg/err{char}ors.py"
    with pytest.raises(TargetError) as err:
        validate_relpath(path)
    assert err.value.subtype == "bad_path"
    assert _cp(char) in err.value.message and name in err.value.message, err.value.message
    assert char not in err.value.message  # the message never carries the character itself
    with pytest.raises(TargetError) as again:
        parse_target(f"up:{path}:1")
    assert again.value.subtype == "bad_path" and _cp(char) in again.value.message


def test_control_characters_name_their_code_point():
    for char in ("\x00", "\t", "\n", "\x1b", "\x7f"):
        with pytest.raises(TargetError) as err:
            validate_relpath(f"a{char}b.py")
        assert err.value.subtype == "bad_path" and _cp(char) in err.value.message, err.value.message


def test_the_first_refused_character_is_named():
    with pytest.raises(TargetError) as err:
        validate_relpath("pkg/a\u202eb\u200bc.py")
    assert "U+202E" in err.value.message and "U+200B" not in err.value.message


def test_visible_escapes_what_a_path_may_not_hold():
    assert visible("up:pkg/naive\u202eyp.py:1") == "up:pkg/naive\\u202eyp.py:1"
    assert visible("a\x1bb\U000e0041c\u2044d") == "a\\x1bb\\U000e0041c\\u2044d"
    assert visible("pkg/ünï/sp ace\xa0.py") == "pkg/ünï/sp ace\xa0.py"  # what a path may hold stays
    for char, _ in REFUSED:
        assert char not in visible(f"x{char}y")


@pytest.mark.parametrize(
    "path",
    [
        "pkg/sp ace.py",
        "pkg/nb\xa0sp.py",  # the no-break space and other visible spaces are allowed, like the space
        "pkg/ünï/cödé.py",
        "pkg/Nai\u0308ve.py",  # a combining mark
        "pkg/日本/名前.py",
        "pkg/\U0001f40d.py",
        "pkg/\u05e9\u05dc\u05d5\u05dd.py",  # right-to-left letters are text, not overrides
        "pkg/a#b?c&d%.py",
    ],
)
def test_visible_unicode_paths_are_accepted(path):
    assert validate_relpath(path) == path


def test_manifest_mount_refuses_invisible_characters():
    text = manifest_text("up", PIN) + '[[up.sdist]]\nrequirement = "a==1"\nsha256 = "' + "0" * 64 + '"\n'
    text += 'mount = "src\u202e"\n'
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, path="upstreams.toml")
    assert "U+202E" in str(err.value) and err.value.key == "up.sdist[0].mount"


@pytest.mark.parametrize("url", ["https://example.invalid/up?tab=code", "https://example.invalid/up#readme"])
def test_a_repository_url_with_a_query_or_fragment_is_refused(tmp_path, url):
    # the permalink appends /blob/COMMIT/PATH to the repository: a query or fragment would swallow it
    src = tmp_path / "p"
    write_project(src, {"a.md": "# A\n\nText.\n"}, 'pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(manifest_text("up", PIN).replace(REPO_URL, url))
    built = build(src)
    found = [(w[0], w[1], w[2]) for w in built.located() if w[2].startswith("pypatterns.")]
    assert found == [("upstreams.toml", 2, "pypatterns.manifest")], built.warnings
    assert "[up.repository]" in built.warnings


BAD_PATH_CASES = [
    ("rlo", "up:pkg/naive\u202eyp.py:1", "U+202E"),
    ("lri", "up:pkg/\u2066naive.py:1", "U+2066"),
    ("zwsp", "up:pkg/na\u200bive.py:1", "U+200B"),
    ("bom", "up:\ufeffpkg/naive.py:1", "U+FEFF"),
    ("line-separator", "up:pkg/na\u2028ive.py:1", "U+2028"),
    ("paragraph-separator", "up:pkg/na\u2029ive.py:1", "U+2029"),
    ("c1-control", "up:pkg/na\u0085ive.py:1", "U+0085"),
    ("tag-character", "up:pkg/naive.py\U000e0020:1", "U+E0020"),
    ("fraction-slash", "up:pkg\u2044naive.py:1", "U+2044"),
    ("variation-selector", "up:pkg/naive\ufe0f.py:1", "U+FE0F"),
]


@pytest.fixture(scope="module")
def bad_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("badpaths")
    folder = _upstream_folder(root)
    files: dict[str, str | bytes] = {f"cases/{cid}.md": cite(target) for cid, target, _ in BAD_PATH_CASES}
    files["cases/good.md"] = cite("up:pkg/naive.py:1")
    src = _write(root / "p", folder, files)
    return src, build(src)


@pytest.mark.parametrize(("cid", "target", "cp"), BAD_PATH_CASES, ids=[c[0] for c in BAD_PATH_CASES])
def test_bad_path_is_located_in_the_build(bad_paths, cid, target, cp):
    _, built = bad_paths
    found = [w for w in built.located() if w[0] == f"cases/{cid}.md"]
    assert [(w[1], w[2]) for w in found] == [(_line(cite(target), "rests on"), "pypatterns.bad_path")], built.warnings
    assert cp in found[0][3]


def test_bad_paths_warn_once_each_and_nothing_else(bad_paths):
    _, built = bad_paths
    pp = [w for w in built.located() if w[2].startswith("pypatterns.")]
    assert sorted(w[0] for w in pp) == sorted(f"cases/{c[0]}.md" for c in BAD_PATH_CASES)
    assert len(built.subtypes()) == len(BAD_PATH_CASES), built.warnings


def test_the_warning_never_echoes_an_invisible_character(bad_paths):
    # the warning quotes the author's text; a raw U+202E there would reorder the line on a terminal
    _, built = bad_paths
    pp = [w for w in built.located() if w[2] == "pypatterns.bad_path"]
    assert pp
    for _, _, _, message in pp:
        assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in message), ascii(message)
    assert any("\\u202e" in message for *_, message in pp), [ascii(w[3]) for w in pp]


def test_check_agrees_on_bad_paths(bad_paths, capsys):
    src, _ = bad_paths
    assert main(["check", str(src), "--no-cache"]) == 1
    out = capsys.readouterr().out
    failures = {line.split(": ", 2)[0]: line for line in out.splitlines() if ": bad_path: " in line}
    for cid, target, cp in BAD_PATH_CASES:
        where = f"cases/{cid}.md:{_line(cite(target), 'rests on')}"
        assert where in failures, (where, out)
        assert cp in failures[where]
    assert f"check: {len(BAD_PATH_CASES) + 1} citations, {len(BAD_PATH_CASES)} failures" in out, out


# -- class 3: Unicode identifiers are symbol anchors ----------------------------------


@pytest.mark.parametrize(
    ("title", "anchor"),
    [
        ("Naïve", "Naïve"),
        ("Naïve()", "Naïve"),
        ("  Naïve.méthode()  ", "Naïve.méthode"),
        ("Größe", "Größe"),
        ("名前", "名前"),
        ("_x.ʹy", "_x.ʹy"),
        ("Nai\u0308ve", "Naïve"),  # decomposed: Python reads it as the composed name (NFKC)
        ("ﬁle", "file"),  # a compatibility ligature: NFKC, as Python does
        ("ℌello", "Hello"),
        ("HTTPError", "HTTPError"),
    ],
)
def test_unicode_identifiers_are_anchors(title, anchor):
    assert parse_anchor(title) == anchor
    assert unicodedata.is_normalized("NFKC", parse_anchor(title) or "")


@pytest.mark.parametrize(
    "title",
    ["Naïve class", "Naïve.", ".Naïve", "Na..ïve", "1Naïve", "Naïve-x", "Na\u202eïve", "Naïve(x)", "", "()", "«Naïve»"],
)
def test_other_titles_are_display_text(title):
    assert parse_anchor(title) is None


def test_the_verifier_resolves_unicode_anchors(tmp_path):
    folder = _upstream_folder(tmp_path)
    manifest = parse_manifest(manifest_text("up", PIN))
    with Verifier(manifest, ("/nonexistent", {"up": str(folder)})) as verifier:
        target = CitationTarget("up", "pkg/naive.py", 1, 5)
        for title in ("Naïve", "Nai\u0308ve"):
            verdict = verifier.verify(target, parse_anchor(title) or "")
            assert verdict.ok, verdict
            # the symbol spans lines 1-5: a citation outside it is told so
            outside = verifier.verify(CitationTarget("up", "pkg/naive.py", 8, 8), parse_anchor(title) or "")
            assert "is defined at lines 1\u20135" in outside.message, outside
        assert verifier.verify(CitationTarget("up", "pkg/naive.py", 4, 5), "Naïve.méthode").ok
        assert verifier.verify(CitationTarget("up", "pkg/naive.py", 9, 9), parse_anchor("ﬁle") or "").ok
        assert verifier.verify(CitationTarget("up", "pkg/naive.py", 8, 8), "Naïve").subtype == "anchor_mismatch"
        assert verifier.verify(target, "Naïf").subtype == "unknown_symbol"


ANCHOR_PAGE = """\
# Anchors

Verified: {cite}`Naïve <up:pkg/naive.py:1-5>`,
{cite}`Naïve.méthode() <up:pkg/naive.py:4-5>`, {cite}`Größe <up:pkg/naive.py:8>`,
decomposed {cite}`Nai\u0308ve <up:pkg/naive.py:1-2>`, ligature {cite}`ﬁle <up:pkg/naive.py:9>`,
text {cite}`Naïve <up:notes.md:3>`, {cite}`ﬁle <up:notes.md:5>`, {cite}`Naïve <up:notes.md:6>`.

Outside its span: {cite}`Naïve <up:pkg/naive.py:8>`.

Not defined: {cite}`Naïf <up:pkg/naive.py:1>`.

Not in the lines of a text file: {cite}`Naïve <up:notes.md:4>`.

Display text is no anchor: {cite}`Naïve, the class <up:pkg/naive.py:8>`.

:::{cite} up:pkg/naive.py:4-5
:symbol: Naïve.méthode
:::

:::{cite} up:pkg/naive.py:8
:symbol: Naïve.méthode
:::
"""

ANCHOR_FAILURES = [
    ("Outside its span", "anchor_mismatch"),
    ("Not defined", "unknown_symbol"),
    ("Not in the lines", "anchor_mismatch"),
    ("Display text is no anchor", "missing_anchor"),
    ("up:pkg/naive.py:8\n:symbol:", "anchor_mismatch"),
]


@pytest.fixture(scope="module")
def anchors(tmp_path_factory):
    root = tmp_path_factory.mktemp("anchors")
    folder = _upstream_folder(root)
    src = _write(root / "p", folder, {"anchors.md": ANCHOR_PAGE}, "pypatterns_require_anchor = True\n")
    return src, build(src)


def test_unicode_anchors_are_verified_in_the_build(anchors):
    _, built = anchors
    found = sorted((w[1], w[2]) for w in built.located() if w[0] == "anchors.md")
    expected = sorted((_line(ANCHOR_PAGE, m), f"pypatterns.{sub}") for m, sub in ANCHOR_FAILURES)
    assert found == expected, built.warnings
    assert len(built.subtypes()) == len(ANCHOR_FAILURES), built.warnings
    messages = " ".join(w[3] for w in built.located())
    assert "'Naïf'" in messages and "`Naïve` is defined at lines 1\u20135" in messages


def test_unicode_anchors_are_recorded_in_evidence_json(anchors):
    _, built = anchors
    data = json.loads((built.app.outdir / "evidence.json").read_text("utf-8"))
    cites = [c for c in data["citations"] if c["docname"] == "anchors"]
    by_target = {}
    for c in cites:
        by_target.setdefault(c["target"], []).append(c)
    assert [c["symbol"] for c in by_target["up:pkg/naive.py:1-5"]] == ["Naïve"]
    assert [c["symbol"] for c in by_target["up:pkg/naive.py:1-2"]] == ["Naïve"]  # as Python names it
    assert [c["symbol"] for c in by_target["up:pkg/naive.py:9"]] == ["file"]
    assert sorted(c["symbol"] for c in by_target["up:pkg/naive.py:4-5"]) == ["Naïve.méthode", "Naïve.méthode"]
    assert all(c["verified"] for c in by_target["up:pkg/naive.py:4-5"])
    assert sorted(str(c["symbol"]) for c in by_target["up:pkg/naive.py:8"]) == [
        "Größe",
        "Naïve",
        "Naïve.méthode",
        "None",  # the display text
    ]
    html = built.html("anchors")
    assert "Naïve, the class" in html and "Nai\u0308ve" in html  # the author's titles are shown as written


def test_check_agrees_on_unicode_anchors(anchors, capsys):
    src, built = anchors
    assert main(["check", str(src), "--no-cache"]) == 1
    out = capsys.readouterr().out
    failures = sorted((int(m[1]), m[2]) for m in re.finditer(r"^anchors\.md:(\d+): (\w+): ", out, re.M))
    expected = sorted((w[1], w[2].removeprefix("pypatterns.")) for w in built.located() if w[0] == "anchors.md")
    assert failures == expected, out
