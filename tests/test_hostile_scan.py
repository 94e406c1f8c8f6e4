"""``pypatterns check`` finds exactly the citations the build reads, at the build's lines.

The scanner (``sphinx_pypatterns._core.scan``) reads pages with MyST's own tokenizer.
The located cases pin each kind of place: roles with the domain prefix and split
across lines, citations that are not citations (``%`` comments, code of every kind,
inline code, HTML comments), directive bodies and titles. The property test builds
random pages from such fragments and asserts that a real build and
``pypatterns check`` report the same failures (file, line, subtype), against a real
git upstream in which some citations pass and some fail.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import build, write_project
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.upstreams import manifest_text

from sphinx_pypatterns._core.scan import scan_page
from sphinx_pypatterns._tools.cli import main

CHECK_RE = re.compile(r"^(?P<file>[^\n:]+\.md):(?P<line>\d+): (?P<subtype>\w+): ", re.M)

Failure = tuple[str, int, str]


def scanned(text: str) -> list[tuple[int, str, str, bool]]:
    return [(c.line, c.target, c.symbol, c.directive) for c in scan_page("p.md", text)]


# -- located cases: the scanner alone --------------------------------------------------------


def test_domain_prefixed_and_any_case_roles_are_found():
    text = "# T\n\nA {pp:cite}`u:a.py:1` and {CITE}`u:b.py:2` and {Pp:Cite}`u:c.py:3`.\n"
    assert scanned(text) == [(3, "u:a.py:1", "", False), (3, "u:b.py:2", "", False), (3, "u:c.py:3", "", False)]


def test_a_role_split_across_lines_is_found_at_its_first_line():
    text = "# T\n\nOne\ntwo {cite}`HTTPError\n<u:a.py:1-2>` three\nfour {cite}`u:b.py:9`.\n"
    assert scanned(text) == [(4, "u:a.py:1-2", "HTTPError", False), (6, "u:b.py:9", "", False)]


def test_comments_code_and_html_hold_no_citations():
    text = (
        "# T\n\n"
        "% {cite}`u:comment.py:1`\n\n"
        "```python\n{cite}`u:fenced.py:1`\n```\n\n"
        "~~~\n{cite}`u:tilde.py:1`\n~~~\n\n"
        "````{code-block} markdown\n{cite}`u:code-block.py:1`\n```{cite} u:code-block-directive.py:1\n```\n````\n\n"
        ":::{code} markdown\n{cite}`u:code.py:1`\n:::\n\n"
        "```{sourcecode}\n{cite}`u:sourcecode.py:1`\n```\n\n"
        "    {cite}`u:indented.py:1`\n\n"
        "Inline ``{cite}`u:inline.py:1` `` and `{cite}`.\n\n"
        "<!-- {cite}`u:html.py:1` -->\n\n"
        "![{cite}`u:alt.py:1`](x.png)\n\n"
        "Found {cite}`u:found.py:1`.\n"
    )
    assert scanned(text) == [(35, "u:found.py:1", "", False)]


def test_front_matter_holds_no_citations():
    text = "---\ntitle: '{cite}`u:front.py:1`'\n---\n# T\n\n{cite}`u:found.py:1`\n"
    assert scanned(text) == [(6, "u:found.py:1", "", False)]


def test_directive_citations_and_what_their_bodies_hold():
    text = (
        "# T\n\n"
        ":::{cite} u:a.py:1-2\n:symbol: HTTPError\n:caption: c\n\nThe claim, {cite}`u:claim.py:1`.\n:::\n\n"
        "```{PP:CITE} u:b.py:3\n---\nsymbol: RequestError\n---\n```\n\n"
        "::::{note}\n:class: x\n:::{cite} u:nested.py:1\n:::\nAnd {cite}`u:in-note.py:1`.\n::::\n\n"
        ":::{note} On the opening line {cite}`u:opening.py:1`\n:::\n\n"
        ":::{admonition} A title with {cite}`u:title.py:1`\n:class: tip\n\nBody {cite}`u:body.py:1`.\n:::\n\n"
        "```{note} A backtick in the info string: {cite}`u:paragraph.py:1`\n"
    )
    assert scanned(text) == [
        (3, "u:a.py:1-2", "HTTPError", True),
        (7, "u:claim.py:1", "", False),
        (10, "u:b.py:3", "RequestError", True),
        (18, "u:nested.py:1", "", True),
        (20, "u:in-note.py:1", "", False),
        (23, "u:opening.py:1", "", False),
        (26, "u:title.py:1", "", False),
        (29, "u:body.py:1", "", False),
        (32, "u:paragraph.py:1", "", False),  # not a fence (CommonMark): a paragraph
    ]


def test_a_directive_right_at_the_start_of_a_colon_fence_is_at_its_own_line():
    text = "# T\n\n::::{note}\n:::{cite} u:nested.py:1\n:::\n{cite}`u:after.py:1`\n::::\n"
    assert scanned(text) == [(4, "u:nested.py:1", "", True), (6, "u:after.py:1", "", False)]


def test_eval_rst_is_read_as_restructuredtext():
    text = (
        "# T\n\n```{eval-rst}\n"
        "Para :cite:`u:a.py:1` and ``:cite:`u:literal.py:1``` then::\n\n   :cite:`u:literal-block.py:1`\n\n"
        ".. code-block:: rst\n\n   :cite:`u:code.py:1`\n\n.. a comment :cite:`u:comment.py:1`\n\n"
        ".. pp:cite:: u:b.py:2\n   :symbol: HTTPError\n\n   Claim :cite:`u:claim.py:1`.\n```\n"
        "\n{cite}`u:after.py:1`\n"
    )
    assert scanned(text) == [
        (4, "u:a.py:1", "", False),
        (14, "u:b.py:2", "HTTPError", True),
        (17, "u:claim.py:1", "", False),
        (20, "u:after.py:1", "", False),
    ]


def test_table_directives_and_an_option_block_after_an_opening_line():
    text = (
        "# T\n\n:::{csv-table} Title\n:header: a, b\n\nx, {cite}`u:cell.py:1`\n:::\n\n"
        ":::{note} Opening {cite}`u:opening.py:1`\n:class: x\n\nAfter {cite}`u:after.py:1`\n:::\n"
    )
    # MyST numbers the opening line's text of a directive without arguments that also has
    # options one line down (and warns that it should not be written so): so does the scanner
    assert scanned(text) == [
        (6, "u:cell.py:1", "", False),
        (10, "u:opening.py:1", "", False),
        (12, "u:after.py:1", "", False),
    ]


def test_lines_are_exact_deep_in_a_long_paragraph_and_in_containers():
    prose = "".join(f"line {i} {{cite}}`u:x.py:{i}`\n" if i % 500 == 0 else f"line {i}\n" for i in range(1, 3001))
    text = "# T\n\n" + prose + "\n> quoted\n> {cite}`u:quote.py:1`\n\n- item\n  {cite}`u:item.py:1`\n"
    lines = [(line, target) for line, target, _s, _d in scanned(text)]
    assert lines == [(2 + i, f"u:x.py:{i}") for i in range(500, 3001, 500)] + [
        (3005, "u:quote.py:1"),
        (3008, "u:item.py:1"),
    ]


def test_hostile_inline_text_is_read_in_linear_time():
    # unclosed roles and backtick runs: each search for a closer is made once per length
    # (a quadratic reading of these would take hours, not the fraction of a second it takes)
    import time

    started = time.monotonic()
    assert len(scanned("# T\n\n" + "{cite}`x " * 100_000)) == 50_000  # each closed by the next
    runs = " ".join("`" * length for length in range(2, 1500)) + " {cite}`u:a.py:1`"  # no two alike
    assert scanned(f"# T\n\n{runs}") == [(3, "u:a.py:1", "", False)]
    assert myst_roles(runs) == [("cite", "u:a.py:1")]
    links = "[{cite}`x " * 5_000  # read by markdown-it itself
    assert len(scanned("# T\n\n" + links)) == len(myst_roles(links)) == 2_500
    assert time.monotonic() - started < 60


def test_a_page_without_cite_is_not_tokenized(monkeypatch):
    import sphinx_pypatterns._core.scan as scan

    def fail() -> None:
        raise AssertionError("tokenized")

    monkeypatch.setattr(scan, "_parser", fail)
    assert list(scan_page("p.md", "# T\n\n" + "Plain prose.\n" * 1000)) == []


# -- check against the build ---------------------------------------------------------------------

ERRORS_LINES = 16  # pkg/errors.py at the pin (upstreams.ERRORS_V1)


def build_failures(src: Path, name: str) -> list[Failure]:
    built = build(src, freshenv=True)
    return sorted(
        (rel, line, kind.removeprefix("pypatterns."))
        for rel, line, kind, _msg in built.located()
        if kind.startswith("pypatterns.") and rel == name
    )


def check_failures(src: Path, capsys: pytest.CaptureFixture[str], name: str) -> list[Failure]:
    capsys.readouterr()
    main(["check", str(src), "--no-cache"])
    out = capsys.readouterr().out
    return sorted((m["file"], int(m["line"]), m["subtype"]) for m in CHECK_RE.finditer(out) if m["file"] == name)


def write(src: Path, repo: Path, pin: str, text: str) -> None:
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = "up={repo}"\n'
    write_project(src, {"page.md": text, "upstreams.toml": manifest_text("up", pin)}, conf)


def agree(src: Path, capsys: pytest.CaptureFixture[str]) -> list[Failure]:
    from_build = build_failures(src, "page.md")
    from_check = check_failures(src, capsys, "page.md")
    assert Counter(from_check) == Counter(from_build), (from_check, from_build)
    return from_build


def test_check_and_build_agree_on_the_located_cases(tmp_path, capsys, upstream):
    repo, pin = upstream
    text = (
        "# T\n\n"
        "Good {cite}`up:pkg/errors.py:6`, bad {pp:cite}`up:pkg/errors.py:101`.\n\n"
        "A paragraph\nwith a {cite}`the root\n<up:pkg/errors.py:102>` split role.\n\n"
        "% {cite}`up:pkg/errors.py:103`\n\n"
        "```{code-block} markdown\n{cite}`up:pkg/errors.py:104`\n```\n\n"
        "```markdown\n{cite}`up:pkg/errors.py:105`\n```\n\n"
        "::::{note}\nFirst.\n\n:::{cite} up:pkg/errors.py:106\n:::\nAnd {cite}`up:pkg/missing.py:1`.\n::::\n"
    )
    write(tmp_path / "p", repo, pin, text)
    assert agree(tmp_path / "p", capsys) == [
        ("page.md", 3, "line_out_of_range"),
        ("page.md", 6, "line_out_of_range"),
        ("page.md", 22, "line_out_of_range"),
        ("page.md", 24, "missing_file"),
    ]


def test_check_reads_cite_options_as_the_build_does(tmp_path, capsys, upstream):
    # options are read as written, not as YAML: a `#` stays in the value, quotes around a whole value go
    repo, pin = upstream
    text = (
        "# T\n\n"
        ":::{cite} up:pkg/errors.py:6\n:symbol: HTTPError # the root\n\nThe claim.\n:::\n\n"
        ':::{cite} up:pkg/errors.py:6\n:symbol: "NoSuchName"\n\nA claim with {cite}`up:pkg/errors.py:107`.\n:::\n'
    )
    write(tmp_path / "p", repo, pin, text)
    assert agree(tmp_path / "p", capsys) == [
        ("page.md", 3, "bad_target"),
        ("page.md", 9, "unknown_symbol"),
        ("page.md", 12, "line_out_of_range"),
    ]


def test_build_places_what_starts_a_colon_fenced_body(tmp_path, capsys, upstream):
    repo, pin = upstream
    text = "# T\n\n::::{note}\n:::{cite} up:pkg/errors.py:101\n:::\n{cite}`up:pkg/errors.py:102`\n::::\n"
    write(tmp_path / "p", repo, pin, text)
    assert build_failures(tmp_path / "p", "page.md") == [
        ("page.md", 4, "line_out_of_range"),
        ("page.md", 6, "line_out_of_range"),
    ]


def test_build_places_a_role_in_a_directive_title(tmp_path, capsys, upstream):
    repo, pin = upstream
    text = "# T\n\n:::{admonition} Title {cite}`up:pkg/errors.py:101`\n:class: tip\n\nBody.\n:::\n"
    write(tmp_path / "p", repo, pin, text)
    assert build_failures(tmp_path / "p", "page.md") == [("page.md", 3, "line_out_of_range")]
    assert check_failures(tmp_path / "p", capsys, "page.md") == [("page.md", 3, "line_out_of_range")]


# Fragments of a page: each takes the next citation target (a counter keeps them apart).


def _role(target: str, prefix: str, title: str) -> str:
    return f"{{{prefix}cite}}`{title} <{target}>`" if title else f"{{{prefix}cite}}`{target}`"


@st.composite
def targets(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["good", "out_of_range", "missing", "malformed"]))
    if kind == "good":
        first = draw(st.integers(1, ERRORS_LINES))
        return f"up:pkg/errors.py:{first}-{draw(st.integers(first, ERRORS_LINES))}"
    number = draw(st.integers(1, 99))
    return {
        "out_of_range": f"up:pkg/errors.py:{ERRORS_LINES + number}",
        "missing": f"up:pkg/missing{number}.py:1",
        "malformed": f"up:pkg/errors.py:{number}x",
    }[kind]


@st.composite
def roles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "pp:", "PP:"]))
    title = draw(st.sampled_from(["", "the root", "HTTPError"]))
    return _role(draw(targets()), prefix, title)


@st.composite
def paragraph(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(["word", "more text", "`code`", "**bold**", "ROLE", "\n"]), max_size=12))
    text = " ".join(words).replace(" \n ", "\n").strip() or "ROLE"
    while "ROLE" in text:
        role = draw(roles())
        if draw(st.booleans()) and " <" in role:
            role = role.replace(" <", "\n<", 1)  # split across two lines
        text = text.replace("ROLE", role, 1)
    return text.replace("\n\n", "\n").strip("\n") or "prose"


@st.composite
def fragment(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = [
        "paragraph",
        "comment",
        "fenced",
        "code_directive",
        "inline_code",
        "html_comment",
        "cite_directive",
        "list",
        "quote",
        "heading",
        "eval_rst",
    ]
    if depth < 2:
        kinds += ["note", "admonition"]
    kind = draw(st.sampled_from(kinds))
    if kind == "paragraph":
        return draw(paragraph())
    if kind == "comment":
        return f"% {draw(roles())}\n% and {draw(roles())}"
    if kind == "fenced":
        fence, lang = draw(st.sampled_from(["```", "~~~", "````"])), draw(st.sampled_from(["", "python", "markdown"]))
        return f"{fence}{lang}\n{draw(roles())}\n```{{cite}} {draw(targets())}\n```\n{fence}"
    if kind == "code_directive":
        name = draw(st.sampled_from(["code-block", "code", "sourcecode"]))
        fence = draw(st.sampled_from(["````", "::::"]))
        return f"{fence}{{{name}}} markdown\n{draw(roles())}\n```{{cite}} {draw(targets())}\n```\n{fence}"
    if kind == "inline_code":
        return f"Shown as code: ``{draw(roles())}`` and `{draw(roles())}` then {draw(roles())}."
    if kind == "html_comment":
        return f"<!-- {draw(roles())}\n{draw(roles())} -->"
    if kind == "cite_directive":
        fence = draw(st.sampled_from(["```", ":::"]))
        name = draw(st.sampled_from(["cite", "pp:cite"]))
        symbol = draw(st.sampled_from(["", ":symbol: HTTPError\n", ":caption: A caption\n"]))
        claim = draw(st.sampled_from(["", "\nThe claim.\n", f"\nThe claim, {draw(roles())}.\n"]))
        return f"{fence}{{{name}}} {draw(targets())}\n{symbol}{claim}{fence}"
    if kind == "list":
        return f"- {draw(paragraph()).replace(chr(10), chr(10) + '  ')}\n- {draw(roles())}"
    if kind == "quote":
        return "> " + draw(paragraph()).replace("\n", "\n> ")
    if kind == "eval_rst":
        body = f"Text :cite:`{draw(targets())}` and ``:cite:`{draw(targets())}```\n\n"
        body += f".. code-block:: rst\n\n   :cite:`{draw(targets())}`\n\n"
        body += f".. cite:: {draw(targets())}\n   :symbol: HTTPError\n\n   Claim :cite:`{draw(targets())}`."
        return f"```{{eval-rst}}\n{body}\n```"
    if kind == "heading":
        return f"## Section {draw(roles())}"
    inner = "\n\n".join(draw(st.lists(fragment(depth + 1), min_size=1, max_size=3)))
    colons = ":" * (3 + 2 * (2 - depth))  # longer than any fence inside it
    # with no option first, a body may open with a nested fence (MyST numbers it one line down:
    # see test_build_places_what_starts_a_colon_fenced_body); a title may hold a role
    option = draw(st.sampled_from(["", ":class: tip\n"]))
    if kind == "note":
        return f"{colons}{{note}}\n{option}{inner}\n{colons}"
    title = draw(st.sampled_from(["Title", f"Title {draw(roles())}"]))
    return f"{colons}{{admonition}} {title}\n{option}\n{inner}\n{colons}"


pages = st.lists(fragment(), min_size=1, max_size=6).map(lambda parts: "# Page\n\n" + "\n\n".join(parts) + "\n")


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=pages)
@example(text="# P\n\nA {cite}`up:pkg/errors.py:1`\nsplit {pp:cite}`the root\n<up:pkg/errors.py:99>`.\n")
@example(text="# P\n\n% {cite}`up:pkg/errors.py:99`\n\n```{code-block}\n{cite}`up:pkg/errors.py:98`\n```\n")
@example(
    text="# P\n\n:::::{admonition} Title {pp:cite}`up:pkg/errors.py:99`\n:::{cite} up:pkg/errors.py:98\n:::\n"
    "{cite}`up:pkg/errors.py:97`\n\n::::{note}\n```{cite} up:pkg/errors.py:96\n```\n{cite}`up:pkg/errors.py:95`\n"
    "::::\n:::::\n"
)
def test_check_and_build_report_the_same_failures(tmp_path_factory, capsys, upstream, text):
    repo, pin = upstream
    src = tmp_path_factory.mktemp("page")
    write(src, repo, pin, text)
    agree(src, capsys)


# -- the scanner's shortcuts equal markdown-it with MyST's own plugin ---------------------------

_SIMPLE = ["{cite}`", "{pp:cite}``", "{x}`", "`", "``", "```", "\\", " ", "\n", "t", "u:a.py:1", "T <u:b>", "{", "}"]
_LINKS = ["[", "]", "(", ")", "![", "[^", "]:", "<", ">", "<span a='", "'>", "<http://h>", "*"]
inline_texts = st.one_of(
    st.lists(st.sampled_from(_SIMPLE), max_size=30).map("".join),
    st.lists(st.sampled_from(_SIMPLE + _LINKS), max_size=30).map("".join),
)


def myst_roles(src: str) -> list[tuple[str, str]]:
    """The roles of ``src`` as markdown-it with MyST's unchanged plugins reads them."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.myst_role import myst_role_plugin

    md = MarkdownIt("commonmark").use(myst_role_plugin).use(footnote_plugin, inline=False, always_match_refs=True)
    found: list[tuple[str, str]] = []

    def walk(tokens: list) -> None:  # type: ignore[type-arg]
        for token in tokens:
            if token.type == "myst_role":
                found.append((token.meta["name"], token.content))
            elif token.children and token.type != "image":
                walk(token.children)

    walk(md.parseInline(src))
    return found


@settings(max_examples=400, deadline=None, derandomize=True)
@given(src=inline_texts)
def test_role_rule_and_simple_path_equal_the_plugin(src):
    from sphinx_pypatterns._core.scan import _parser, _simple_roles

    md = _parser()
    roles: list[tuple[int, str, str]] = []
    env = {"pp_src": src, "pp_roles": roles, "pp_unclosed": {}}
    md.inline.parse(src, md, env, [])
    assert [(name, content) for _pos, name, content in roles] == myst_roles(src)
    simple = _simple_roles(src)
    if simple is not None:
        assert simple == roles
