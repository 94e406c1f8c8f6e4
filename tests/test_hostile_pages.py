"""Hostile pages (issue 14): each warning at the file and line the author must fix, nothing they wrote lost.

Five classes, each through real Sphinx builds (one project holding every case,
built with ``-j 1`` and with ``-j 2``):

1. a citation (or reference, or directive) in a file brought in with ``{include}``
   is reported at the included file and its line;
2. a role deep inside a long paragraph is reported at its own line, at any depth;
3. a ``cite`` directive with no target, or a target holding a space, reads its
   argument as the role reads its text, warns as ``pypatterns``, keeps its claim;
4. an unknown option on any directive of ours is ``pypatterns.unknown_option``
   at the option's own line;
5. option values arrive whole, as written: ``#``, leading quotes, ``yes``,
   ``1e3``, ``[a, b]``.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from conftest import build, default_body, page, write_project
from support.upstreams import make_upstream, manifest_text

PATTERN_BODY = default_body("pattern")
SMELL_BODY = default_body("smell")


def _line(text: str, marker: str, nth: int = 1) -> int:
    """The line of the ``nth`` occurrence of ``marker`` in ``text``."""
    at = -1
    for _ in range(nth):
        at = text.index(marker, at + 1)
    return text.count("\n", 0, at) + 1


# -- 1. included files ---------------------------------------------------------------

PART = (
    "Some text of the part.\n"
    "\n"
    "A claim that rests\n"
    "on {cite}`up:pkg/nope.py:1` (no such file).\n"
    "\n"
    "A target with {cite}`up:pkg/errors.py:zero` lines.\n"
    "\n"
    "See {pattern}`no-such-pattern` too.\n"
    "\n"
    ":::{cite} up:pkg/errors.py:6-11\n"
    ":symbol: HTTPError\n"
    ":bogus: 1\n"
    "\n"
    "The included claim.\n"
    ":::\n"
)
INCLUDING = (
    "# Including\n"
    "\n"
    "Before the include, {cite}`up:pkg/nope-before.py:1`.\n"
    "\n"
    "```{include} ../parts/part.md\n"
    "```\n"
    "\n"
    "After the include,\n"
    "and {cite}`up:pkg/nope-after.py:1`.\n"
)
PART_TAIL = "# Not this part\n\n<!-- start -->\n\nIgnored\nlines.\n\nThe tail cites {cite}`up:pkg/nope-tail.py:1`.\n"
INCLUDING_TAIL = "# Tail\n\n```{include} ../parts/tail.md\n:start-after: <!-- start -->\n```\n"

INCLUDE_CASES = [
    # (file, marker, subtype)
    ("parts/part.md", PART, "{cite}`up:pkg/nope.py:1`", "missing_file"),
    ("parts/part.md", PART, "{cite}`up:pkg/errors.py:zero`", "bad_lines"),
    ("parts/part.md", PART, "{pattern}`no-such-pattern`", "unknown_ref"),
    ("parts/part.md", PART, ":bogus: 1", "unknown_option"),
    ("parts/tail.md", PART_TAIL, "{cite}`up:pkg/nope-tail.py:1`", "missing_file"),
    ("inc/including.md", INCLUDING, "{cite}`up:pkg/nope-before.py:1`", "missing_file"),
    ("inc/including.md", INCLUDING, "{cite}`up:pkg/nope-after.py:1`", "missing_file"),
]

# -- 2. long paragraphs ----------------------------------------------------------------

FILLER = "".join(f"word {i} of a very long paragraph\n" for i in range(2500))
LONG = (
    "# Long\n\n"
    + FILLER[: len(FILLER) // 2]
    + "deep {cite}`up:pkg/deep-one.py:1` here\n"
    + FILLER[len(FILLER) // 2 :]
    + "and twice {cite}`up:pkg/deep-twice.py:1`\n"
    + FILLER[:2000]
    + "and twice {cite}`up:pkg/deep-twice.py:1` again\n"
    + "and one split {cite}`Title text\n<up:pkg/deep-split.py:1>` over two lines\n"
    + "a prefix of the next {cite}`up:pkg/errors.py:1000`\n"
    + "and the next {cite}`up:pkg/errors.py:100` itself\n"
    + "an empty {pattern}` ` deep down\n"
    + FILLER[:500]
    + "\n> a quote\n> {cite}`up:pkg/deep-quote.py:1`\n"
)
LONG_CASES = [
    ("{cite}`up:pkg/deep-one.py:1`", 1, "missing_file"),
    ("{cite}`up:pkg/deep-twice.py:1`", 1, "missing_file"),
    ("{cite}`up:pkg/deep-twice.py:1`", 2, "missing_file"),
    ("{cite}`Title text", 1, "missing_file"),
    ("{cite}`up:pkg/errors.py:1000`", 1, "line_out_of_range"),
    ("{cite}`up:pkg/errors.py:100`", 1, "line_out_of_range"),
    ("{pattern}` `", 1, "empty_target"),
    ("{cite}`up:pkg/deep-quote.py:1`", 1, "missing_file"),
]

# -- 3. the cite directive's argument ------------------------------------------------------

NO_TARGET = "# No target\n\n:::{cite}\n:caption: A caption kept\n\nThe claim without a target.\n:::\n"
NO_TARGET_BARE = "# Bare\n\n```{cite}\n```\n\nText after the bare directive.\n"
SPACED = "# Spaced\n\n:::{cite} sp:pkg/my file.py:1-2\n\nThe claim about a spaced path.\n:::\n"
SPACED_ROLE = "# Spaced role\n\nThe role reads {cite}`sp:pkg/my file.py:2` too.\n"
#: texts with a space, each cited by the role and by the directive: the same subtype both ways
SPACED_TEXTS = [
    ("space-after-colon", "up: pkg/errors.py:6"),
    ("words-after-lines", "up:pkg/errors.py:6 HTTPError"),
    ("space-in-lines", "up:pkg/errors.py:6 - 11"),
    ("words-only", "the errors module"),
]

# -- 4. unknown options, on every directive ----------------------------------------------------

UNKNOWN = "# Unknown options\n\n" + "\n".join(
    f":::{{{name}}}{arg}\n:bogus: 1\n:::\n"
    for name, arg in [
        ("cite", " up:pkg/errors.py:6-11"),
        ("pattern-checklist", ""),
        ("evidence-matrix", ""),
        ("evidence-dashboard", ""),
        ("pin-table", ""),
    ]
)
UNKNOWN_BACKTICK = "# Backticks\n\n```{cite} up:pkg/errors.py:6-11\n:symbol: HTTPError\n:capton: typo\n```\n"
UNKNOWN_HEADERS = {
    "unknown/pattern.md": page("pattern", "x", options=":id: unk\n:area: exceptions\n:rule: R.\n:bogus: 1"),
    "unknown/smell.md": page("smell", "x", options=":id: unk-s\n:inverts: hashy\n:summary: S.\n:bogus: 1"),
    "unknown/note.md": page("source-note", "x", options=":upstream: up\n:bogus: 1"),
}

# -- 5. option values, whole ---------------------------------------------------------------

#: page -> (options, the values that must arrive whole)
VALUES = {
    "hash": (":id: hashy\n:area: exceptions\n:rule: Use # for comments, never a bare string.", ["Use # for comments"]),
    "dquote": (
        ':id: dquote\n:area: exceptions\n:rule: "Errors" are values, not strings.',
        ['"Errors" are values, not strings.'],
    ),
    "squote": (":id: squote\n:area: exceptions\n:rule: 'Raise' one root, never two.", ["'Raise' one root, never two."]),
    "whole-quoted": (
        ":id: 'whole-quoted'\n:area: \"exceptions\"\n:rule: 'It''s one # quoted rule.'",
        ["It's one # quoted rule."],
    ),
    "yes": (":id: yes\n:area: exceptions\n:rule: yes", ["yes"]),
    "sci": (":id: 1e3\n:area: exceptions\n:rule: 1e3\n:tags: 0x10, [a, b], #c", ["1e3", "0x10, [a, b], #c"]),
    "wrapped": (":id: wrapped\n:area: exceptions\n:rule: A rule that is\n  wrapped # over lines.", ["wrapped # over"]),
    "yaml-block": (
        '---\nid: yaml-block\narea: exceptions\nrule: "Quoted # in a block."\n---',
        ["Quoted # in a block."],
    ),
}
SMELL_VALUES = {
    "flow": (":id: flow\n:inverts: hashy\n:summary: [a, b]", ["[a, b]"]),
    "smell-hash": (":id: smell-hash\n:inverts: hashy, yes\n:summary: # starts with a hash", ["# starts with a hash"]),
}
CAPTION = (
    "# Caption\n\n:::{cite} up:pkg/errors.py:6-11\n:symbol: HTTPError\n"
    ':caption: "Root" of # every error\n\nThe claim.\n:::\n'
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    repo, pin = make_upstream(root)
    spaced = root / "spaced"
    (spaced / "pkg").mkdir(parents=True)
    (spaced / "pkg" / "my file.py").write_text("first = 1\nsecond = 2\n", "utf-8")
    files: dict[str, str | bytes] = {
        "parts/part.md": PART,
        "parts/tail.md": PART_TAIL,
        "inc/including.md": INCLUDING,
        "inc/tail.md": INCLUDING_TAIL,
        "long.md": LONG,
        "arg/no-target.md": NO_TARGET,
        "arg/no-target-bare.md": NO_TARGET_BARE,
        "arg/spaced.md": SPACED,
        "arg/spaced-role.md": SPACED_ROLE,
        "unknown/all.md": UNKNOWN,
        "unknown/backtick.md": UNKNOWN_BACKTICK,
        **UNKNOWN_HEADERS,
        "values/caption.md": CAPTION,
        "values/checklist.md": "# Checklist\n\n:::{pattern-checklist}\n:::\n",
    }
    for name, text in SPACED_TEXTS:
        files[f"arg/role-{name}.md"] = f"# Role\n\nThe role {{cite}}`{text}` here.\n"
        files[f"arg/directive-{name}.md"] = f"# Directive\n\n:::{{cite}} {text}\n\nThe claim of {name}.\n:::\n"
    for name, (options, _) in VALUES.items():
        files[f"values/{name}.md"] = page("pattern", name, options=options, body=PATTERN_BODY)
    for name, (options, _) in SMELL_VALUES.items():
        files[f"values/{name}.md"] = page("smell", name, options=options, body=SMELL_BODY)
    docs = sorted(n[:-3] for n in files if n.endswith(".md") and not n.startswith("parts/"))
    files["index.md"] = "# Index\n\n```{toctree}\n" + "\n".join(docs) + "\n```\n"
    conf = (
        'exclude_patterns = ["_build", ".pypatterns", "parts"]\n'
        "smartquotes = False  # the quotes the author wrote, as written\n"
        'pypatterns_manifest = "upstreams.toml"\n'
        f'pypatterns_checkouts = ["up={repo}", "sp={spaced}"]\n'
    )
    builds = {}
    for jobs in (1, 2):
        src = root / f"j{jobs}"
        write_project(src, files, conf)
        (src / "upstreams.toml").write_text(manifest_text("up", pin) + "\n" + manifest_text("sp", pin))
        builds[jobs] = build(src, parallel=jobs)
    return builds


def _ours(built) -> list[tuple[str, int, str]]:
    return sorted((path, line, typ.removeprefix("pypatterns.")) for path, line, typ, _ in built.located())


def _at(built, path: str) -> list[tuple[int, str]]:
    return sorted((line, sub) for p, line, sub in _ours(built) if p == path)


def _text(page_html: str) -> str:
    """A page's HTML as text (the excerpts' highlighting removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


def _messages(built, path: str) -> list[str]:
    return [msg for p, _line, _typ, msg in built.located() if p == path]


def test_no_traceback_and_no_foreign_warning(hostile):
    for built in hostile.values():
        assert "Traceback" not in built.warnings and "Exception occurred" not in built.warnings
        # every warning of these pages is ours: MyST and docutils never get to warn about our directives
        foreign = [w for w in built.located() if not w[2].startswith("pypatterns.")]
        assert foreign == [], built.warnings
        assert "ERROR" not in built.warnings, built.warnings


def test_parallel_build_gives_the_same_warnings(hostile):
    assert _ours(hostile[1]) == _ours(hostile[2])
    assert sorted(w[3] for w in hostile[1].located()) == sorted(w[3] for w in hostile[2].located())


# -- 1 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "marker", "subtype"), INCLUDE_CASES, ids=[f"{c[0]}:{c[2]}" for c in INCLUDE_CASES]
)
def test_included_file_is_named_at_its_line(hostile, path, text, marker, subtype):
    for built in hostile.values():
        assert (_line(text, marker), subtype) in _at(built, path), built.warnings


def test_included_warnings_are_all_at_the_included_file(hostile):
    built = hostile[1]
    assert _at(built, "parts/part.md") == sorted((_line(PART, m), s) for p, _t, m, s in INCLUDE_CASES[:4])
    # the page itself keeps only its own two citations, at its own lines
    assert _at(built, "inc/including.md") == [
        (_line(INCLUDING, "{cite}`up:pkg/nope-before.py:1`"), "missing_file"),
        (_line(INCLUDING, "{cite}`up:pkg/nope-after.py:1`"), "missing_file"),
    ]
    assert _at(built, "inc/tail.md") == []
    # the included claim is kept, and the verified excerpt rendered
    page_text = _text(built.html("inc/including"))
    assert "The included claim." in page_text and "class HTTPError(Exception)" in page_text


def test_editing_the_included_file_moves_the_warning(tmp_path):
    repo, pin = make_upstream(tmp_path)
    src = tmp_path / "p"
    files: dict[str, str | bytes] = {"inc/including.md": INCLUDING, "parts/part.md": PART}
    files["index.md"] = "# Index\n\n```{toctree}\ninc/including\n```\n"
    conf = 'exclude_patterns = ["_build", "parts"]\npypatterns_manifest = "upstreams.toml"\n'
    write_project(src, files, conf + f'pypatterns_checkouts = ["up={repo}"]\n')
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    first = build(src)
    marker = "{cite}`up:pkg/nope.py:1`"
    assert (_line(PART, marker), "missing_file") in _at(first, "parts/part.md")
    (src / "parts" / "part.md").write_text("\n\n\n" + PART, "utf-8")
    second = build(src)
    assert (_line(PART, marker) + 3, "missing_file") in _at(second, "parts/part.md"), second.warnings
    assert _at(second, "parts/part.md") == [(line + 3, sub) for line, sub in _at(first, "parts/part.md")]


# -- 2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "nth", "subtype"), LONG_CASES, ids=[f"{m}#{n}" for m, n, _ in LONG_CASES])
def test_a_role_deep_in_a_long_paragraph_is_at_its_line(hostile, marker, nth, subtype):
    line = _line(LONG, marker, nth)
    assert line > 1000
    for built in hostile.values():
        assert (line, subtype) in _at(built, "long.md"), built.warnings


def test_every_deep_role_is_placed_once(hostile):
    expected = sorted((_line(LONG, m, n), s) for m, n, s in LONG_CASES)
    assert _at(hostile[1], "long.md") == expected


def test_a_page_much_longer_than_any_window(tmp_path):
    """Ten thousand lines in one paragraph, a bad role every thousand: each at its line."""
    lines = ["# Huge", ""]
    expected = []
    for i in range(10_000):
        if i % 1000 == 999:
            lines.append(f"cites {{cite}}`nope:pkg/x{i}.py:1` here")
            expected.append((len(lines), "unknown_upstream"))
        else:
            lines.append(f"line {i}")
    write_project(tmp_path / "p", {"huge.md": "\n".join(lines) + "\n"}, 'pypatterns_upstreams = ["up"]\n')
    built = build(tmp_path / "p")
    assert _at(built, "huge.md") == expected, built.warnings


# -- 3 ----------------------------------------------------------------------------------


def test_cite_directive_without_a_target(hostile):
    for built in hostile.values():
        assert _at(built, "arg/no-target.md") == [(_line(NO_TARGET, ":::{cite}"), "empty_target")]
        assert _at(built, "arg/no-target-bare.md") == [(_line(NO_TARGET_BARE, "```{cite}"), "empty_target")]
        (message,) = _messages(built, "arg/no-target.md")
        assert "'upstream:path:LINE'" in message and "'upstream:path:START-END'" in message, message
        page_html = built.html("arg/no-target")
        assert "The claim without a target." in page_html
        assert "Text after the bare directive." in built.html("arg/no-target-bare")


def test_cite_directive_with_a_spaced_path_reads_it_as_the_role_does(hostile):
    for built in hostile.values():
        assert _at(built, "arg/spaced.md") == [] and _at(built, "arg/spaced-role.md") == [], built.warnings
        page_text = _text(built.html("arg/spaced"))
        assert "The claim about a spaced path." in page_text
        assert "first = 1" in page_text and "second = 2" in page_text  # the excerpt, read from "pkg/my file.py"
        assert "my file.py" in html.unescape(built.html("arg/spaced-role"))


@pytest.mark.parametrize("name", [n for n, _ in SPACED_TEXTS])
def test_cite_directive_warns_as_the_role_does(hostile, name):
    for built in hostile.values():
        role = _at(built, f"arg/role-{name}.md")
        directive = _at(built, f"arg/directive-{name}.md")
        assert len(role) == 1 and [s for _, s in directive] == [s for _, s in role], built.warnings
        assert directive[0][0] == 3 and role[0][0] == 3
        assert f"The claim of {name}." in built.html(f"arg/directive-{name}")


# -- 4 ----------------------------------------------------------------------------------


def test_unknown_option_on_every_directive(hostile):
    for built in hostile.values():
        names = ("cite", "pattern-checklist", "evidence-matrix", "evidence-dashboard", "pin-table")
        # at the option's line, the one after the fence
        expected = sorted((_line(UNKNOWN, f":::{{{n}}}") + 1, "unknown_option") for n in names)
        assert _at(built, "unknown/all.md") == expected, built.warnings
        assert all(":bogus:" in m for m in _messages(built, "unknown/all.md"))
        assert _at(built, "unknown/backtick.md") == [(5, "unknown_option")]
        (message,) = _messages(built, "unknown/backtick.md")
        assert ":capton:" in message and ":caption:" in message
        for path, text in UNKNOWN_HEADERS.items():
            assert _at(built, path) == [(_line(text, ":bogus:"), "unknown_option")], (path, built.warnings)


def test_known_options_still_work(hostile):
    built = hostile[1]
    assert _at(built, "values/caption.md") == []
    caption_text = _text(built.html("values/caption"))
    assert '"Root" of # every error' in caption_text and "class HTTPError(Exception)" in caption_text


# -- 5 ----------------------------------------------------------------------------------


def _fields(page_html: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", f)) for f in re.findall(r"<dd[^>]*>(.*?)</dd>", page_html, re.S)]


@pytest.mark.parametrize("name", list(VALUES) + list(SMELL_VALUES))
def test_option_values_arrive_whole(hostile, name):
    _options, wanted = {**VALUES, **SMELL_VALUES}[name]
    for built in hostile.values():
        assert _at(built, f"values/{name}.md") == [], built.warnings
        shown = " | ".join(_fields(built.html(f"values/{name}")))
        for value in wanted:
            assert value in shown, (value, shown)


def test_whole_rules_reach_the_checklist(hostile):
    text = html.unescape(hostile[1].html("values/checklist"))
    assert "Use # for comments, never a bare string." in text
    assert '"Errors" are values, not strings.' in text
    assert "It's one # quoted rule." in text
    assert "A rule that is wrapped # over lines." in text


def test_option_values_are_never_yaml_converted(hostile):
    shown = " | ".join(_fields(hostile[1].html("values/sci")))
    assert "1e3" in shown and "1000" not in shown
    shown = " | ".join(_fields(hostile[1].html("values/yes")))
    assert "yes" in shown and "True" not in shown


def test_a_comment_in_an_id_is_one_precise_warning(tmp_path):
    text = page("pattern", "x", options=":id: root # the root pattern\n:area: exceptions\n:rule: R.")
    write_project(tmp_path / "p", {"a.md": text})
    built = build(tmp_path / "p")
    assert _at(built, "a.md") == [(3, "bad_id")], built.warnings
    (message,) = _messages(built, "a.md")
    assert "'root # the root pattern'" in message


def test_text_in_a_header_is_kept_and_named(tmp_path):
    text = (
        "# Kept\n\n:::{pattern} on-the-fence-line\n:id: kept\n:area: exceptions\n:rule: R.\n\nStray words.\n:::\n\n"
        + PATTERN_BODY
    )
    write_project(tmp_path / "p", {"a.md": text})
    built = build(tmp_path / "p")
    assert _at(built, "a.md") == [(3, "unknown_option"), (8, "unknown_option")], built.warnings
    page_html = built.html("a")
    assert "on-the-fence-line" in page_html and "Stray words." in page_html


def test_project_copy_builds_the_same(hostile, tmp_path):
    """The warnings name files relative to the source folder: a copy elsewhere warns alike."""
    src = Path(hostile[1].srcdir)
    copy = tmp_path / "copy"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("_build"))
    again = build(copy)
    assert _ours(again) == _ours(hostile[1])


def test_rst_pages_read_options_the_same_way(tmp_path):
    """In an rST page docutils joins the option lines to the argument: ``cite`` reads them from there."""
    repo, pin = make_upstream(tmp_path)
    text = (
        "C\n=\n\n.. cite:: up:pkg/errors.py:6-11\n   :symbol: HTTPError\n   :caption: A # caption\n   :bogus: x\n\n"
        "   The rst claim.\n\n.. cite::\n\n   Claim without a target.\n"
    )
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(tmp_path / "p", {"c.rst": text}, conf)
    (tmp_path / "p" / "upstreams.toml").write_text(manifest_text("up", pin))
    built = build(tmp_path / "p")
    assert _at(built, "c.rst") == [(7, "unknown_option"), (11, "empty_target")], built.warnings
    page_text = _text(built.html("c"))
    for kept in ("The rst claim.", "A # caption", "class HTTPError(Exception)", "Claim without a target."):
        assert kept in page_text, kept


def test_a_paragraph_of_thousands_of_roles(tmp_path):
    """One paragraph, 3,000 roles on 3,000 lines, several of the same text: each at its own line."""
    lines = ["# Many", ""]
    expected = []
    for i in range(3000):
        lines.append(f"cites {{cite}}`nope:pkg/m{i % 700}.py:1` and more")
        expected.append((len(lines), "unknown_upstream"))
    write_project(tmp_path / "p", {"many.md": "\n".join(lines) + "\n"}, 'pypatterns_upstreams = ["up"]\n')
    built = build(tmp_path / "p")
    assert _at(built, "many.md") == expected


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Use # for comments", "Use # for comments"),
        ('"Errors" are values', '"Errors" are values'),
        ('"A whole \\"quoted\\" value"', 'A whole "quoted" value'),
        ("'It''s whole'", "It's whole"),
        ("'Half' quoted'", "'Half' quoted'"),
        ('"unterminated', '"unterminated'),
        ("yes", "yes"),
        ("1e3", "1e3"),
        ("[a, b]", "[a, b]"),
        ("{a: b}", "{a: b}"),
        ("  spaced  ", "spaced"),
        ('""', ""),
    ],
)
def test_option_value_is_the_text_as_written(raw, value):
    from sphinx_pypatterns._core.options import option_value

    assert option_value(raw) == value


def test_read_options_splits_options_from_the_rest():
    from sphinx_pypatterns._core.options import read_options

    found = read_options([":id: x # y", ":rule: one", "  two", ":bad line", "", "Body.", "More."])
    assert found.values == {"id": "x # y", "rule": "one two"}
    assert found.given == ["id", "rule"] and found.malformed == [(3, ":bad line")]
    assert found.rest == [(5, 2)]
    block = read_options(["---", "id: y", "# a comment", "rule: 'R # r'", "---", "Body."])
    assert block.values == {"id": "y", "rule": "R # r"} and block.rest == [(5, 1)]
    on_line = read_options(["text on the fence", ":id: z"], first_is_text=True)
    assert on_line.values == {"id": "z"} and on_line.rest == [(0, 1)]


def test_a_file_included_twice_is_placed_twice(tmp_path):
    part = "One paragraph\nthat cites {cite}`nope:pkg/x.py:1`\nand ends.\n"
    text = "# Twice\n\n```{include} part.txt\n```\n\nBetween.\n\n```{include} part.txt\n```\n"
    write_project(tmp_path / "p", {"twice.md": text, "part.txt": part}, 'pypatterns_upstreams = ["up"]\n')
    built = build(tmp_path / "p")
    assert _ours(built) == [("part.txt", 2, "unknown_upstream")] * 2, built.warnings
