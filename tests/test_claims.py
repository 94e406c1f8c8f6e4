"""Claims the build can hold: quote anchors and counted quantifiers, on repositories made here."""

from __future__ import annotations

import json
import re
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


def _pattern(
    ident: str, rule: str, what: str, why: str = "Text for why.", evidence: str = "Text.", when: str = "Text."
) -> str:
    from conftest import page

    body = (
        f"## What\n\n{what}\n\n## Why\n\n{why}\n\n## When to use\n\n{when}\n\n## When not to use\n\nText.\n\n"
        f"## Preferred shapes\n\nText.\n\n## Counterexamples\n\nText.\n\n## Evidence\n\n{evidence}\n"
    )
    options = f":id: {ident}\n:area: exceptions\n:rule: {rule}"
    return page("pattern", ident, options=options, body=body)


CITE = "{cite}`up:pkg/mod.py:4`"


def test_the_vague_claim_rule_fires_on_an_uncited_hedge_and_not_on_a_cited_one(tmp_path):
    why = (
        "Libraries usually raise their own errors.\n"
        f"Most of them derive from one root {CITE}.\n\n"
        f"- Many do it.\n  The root is here {CITE}.\n"
        "- `always` in code, and the most specific class, are fine? No: the last one fires.\n"
    )
    src, _ = _project(tmp_path, "# P\n")
    (src / "a.md").write_text(_pattern("a-rule", "Derive errors from one root.", "One root.", why=why))
    built = build(src)
    found = [(w[1], w[2], w[3]) for w in built.located() if w[2] == "pypatterns.vague_claim"]
    lines = sorted(f[0] for f in found)
    assert len(found) == 2, built.warnings
    assert "\u201cusually\u201d with no citation or count in the same sentence" in found[0][2]
    assert "\u201cmost\u201d with no citation or count in the same list item" in found[1][2]
    text = (src / "a.md").read_text().splitlines()
    assert "usually" in text[lines[0] - 1] and "most specific" in text[lines[1] - 1]
    # configurable, and off with an empty list
    built = build(src, confoverrides={"pypatterns_vague_words": ["fine"]}, freshenv=True)
    assert [w[2] for w in built.located() if w[2].startswith("pypatterns.")] == ["pypatterns.vague_claim"], (
        built.warnings
    )
    quiet = build(src, confoverrides={"pypatterns_vague_words": []}, freshenv=True)
    assert [w for w in quiet.located() if w[2].startswith("pypatterns.")] == [], quiet.warnings


def test_the_scope_rule_fires_on_framework_guidance_but_not_on_quotes_or_code(tmp_path):
    src, _ = _project(tmp_path, "# P\n")
    when = 'In a web framework, wrap each request handler.\n\nThe docs say "a web framework may retry"; `endpoint` is a name.'
    (src / "a.md").write_text(_pattern("a-rule", "Derive errors from one root.", "One root.", when=when))
    built = build(src)
    found = [w for w in built.located() if w[2] == "pypatterns.out_of_scope"]
    assert len(found) == 1 and "\u201cweb framework\u201d in 'When to use'" in found[0][3], built.warnings


def test_the_uncited_claim_rule_fires_on_an_evidence_item_without_a_citation(tmp_path):
    src, _ = _project(tmp_path, "# P\n")
    evidence = f"- Cited {CITE}.\n- Not cited.\n  - nested, part of the item above\n"
    (src / "a.md").write_text(_pattern("a-rule", "Derive errors from one root.", "One root.", evidence=evidence))
    built = build(src)
    found = [w for w in built.located() if w[2] == "pypatterns.uncited_claim"]
    assert len(found) == 1 and "Not cited" in found[0][3], built.warnings
    assert (src / "a.md").read_text().splitlines()[found[0][1] - 1] == "- Not cited."


PARAPHRASES = [
    ("Derive every exception from one root class.", "All of a library's exceptions share a single root class."),
    ("Make option arguments keyword-only.", "Options are keyword-only arguments, never positional."),
    (
        "Chain a translated exception to its cause with from.",
        "When translating an exception, chain the cause with raise from.",
    ),
    ("Ship type hints with a py.typed marker.", "Mark the package typed with py.typed and ship its hints."),
    ("Close resources with a context manager.", "A context manager closes every resource the object owns."),
]
DISTINCT = [
    "Validate input where it enters the library.",
    "Keep implementation in private modules behind a facade.",
    "Return one type, with overloads where the result depends on arguments.",
    "Use a sentinel object for an argument that was not given.",
    "Give each deprecation its own warning class.",
    "Test exceptions by type and message.",
    "Drive tests from tables of cases.",
    "Put I/O at the edges, and keep the core free of it.",
    "Make values immutable.",
    "Serialise explicitly, not by pickling internals.",
]


def test_the_duplicate_rule_flags_paraphrases_and_not_distinct_rules():
    from sphinx_pypatterns._core.claims import DEFAULT_DUPLICATE_THRESHOLD, similarity_pairs

    texts = {f"p{i}{side}": text for i, pair in enumerate(PARAPHRASES) for side, text in zip("ab", pair, strict=True)}
    texts.update({f"d{i}": text for i, text in enumerate(DISTINCT)})
    flagged = {(a, b) for score, a, b in similarity_pairs(texts) if score >= DEFAULT_DUPLICATE_THRESHOLD}
    expected = {(f"p{i}a", f"p{i}b") for i in range(len(PARAPHRASES))}
    assert flagged - expected == set()  # no distinct pair flagged
    # 4 of the 5 paraphrases caught: the fifth shares too few words (synonyms are not read)
    assert flagged == expected - {("p4a", "p4b")}, flagged


def test_two_patterns_that_say_the_same_are_reported_naming_both(tmp_path):
    src, _ = _project(tmp_path, "# P\n")
    (src / "a.md").write_text(
        _pattern("one-root", "Derive every exception from one root class.", "One root class for all exceptions.")
    )
    (src / "b.md").write_text(
        _pattern("single-root", "Every exception derives from one root class.", "All exceptions share one root class.")
    )
    (src / "c.md").write_text(_pattern("typed", "Ship type hints with py.typed.", "Types ship with the package."))
    built = build(src, confoverrides={"pypatterns_duplicate_threshold": 0.4})
    found = [w for w in built.located() if w[2] == "pypatterns.duplicate_guidance"]
    assert len(found) == 1 and "'one-root' (a)" in found[0][3] and "'single-root' (b)" in found[0][3], built.warnings
    assert found[0][0] == "b.md"


def test_the_dashboard_counts_each_rules_findings_per_page(tmp_path):
    src, _ = _project(tmp_path, "# P\n")
    why = "Libraries usually raise their own errors.\n\nThey often do."
    (src / "a.md").write_text(_pattern("a-rule", "Derive errors from one root.", "One root.", why=why))
    (src / "dash.md").write_text("# Dashboard\n\n:::{evidence-dashboard}\n:::\n")
    built = build(src)
    assert len([w for w in built.located() if w[2] == "pypatterns.vague_claim"]) == 2, built.warnings
    html = built.html("dash")
    table = html[html.index("Findings per page") :]
    table = table[: table.index("</table>")]
    assert '<th class="head"><p>vague_claim</p></th>' in table, table
    assert re.search(r"a\.html.*?<p>2</p>.*?<p>2</p>", table, re.S), table  # the rule's count, and the total


def test_counts_are_kept_while_the_checkout_holds_and_made_again_when_a_folder_changes(tmp_path, monkeypatch):
    import time

    from sphinx_pypatterns._core import counting
    from sphinx_pypatterns._core.files import RACY_NS

    folder = tmp_path / "tree"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "a.py").write_text("class AError(Exception):\n    pass\n")
    time.sleep(RACY_NS / 1e9 + 0.1)  # a folder changed within the racy window has no fingerprint
    src = tmp_path / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={folder}"]\n'
    write_project(
        src,
        {
            "p.md": "# P\n\nThere is {count}`1 <up:pkg/*.py:Error(>` error.\n",
            "upstreams.toml": manifest_text("up", "a" * 40),
        },
        conf,
    )
    calls: list[int] = []
    real = counting.count_many
    monkeypatch.setattr(counting, "count_many", lambda v, specs: calls.append(len(specs)) or real(v, specs))
    assert build(src).warnings == "" and calls == [1]
    (src / "p.md").write_text("# P\n\nThere is {count}`1 <up:pkg/*.py:Error(>` error, still.\n")
    assert build(src).warnings == "" and calls == [1]  # the page read again; the count kept
    (folder / "pkg" / "b.py").write_text("class BError(Exception):\n    pass\n")  # not cited: no stamp
    built = build(src)
    assert calls == [1, 1] and [w[2] for w in built.located()] == ["pypatterns.count_mismatch"], built.warnings


CHECKED_COUNTS = """# P

Right {count}`3 <up:pkg/**/*.py:/^class \\w+Error/>` and {pp:count}`1 <up:pkg/mod.py:raise >`.

Wrong {count}`5 <up:pkg/*.py:Error(>` here.

No number {count}`up:pkg/*.py:class`, and an unknown upstream {count}`2 <nope:pkg/*.py:class>`.

```{eval-rst}
In reStructuredText, :count:`9 <up:pkg/mod.py:def >` too.
```

In code, `{count}`9 <up:pkg/mod.py:def >`` is text.
"""


def _check_lines(out: str) -> list[tuple[str, int, str]]:
    return sorted((m[1], int(m[2]), m[3]) for m in re.finditer(r"^(\S+?):(\d+): (\w+): ", out, re.M))


def test_check_verifies_counts_through_the_builds_counting_path(tmp_path, capsys):
    src, shas = _project(tmp_path, CHECKED_COUNTS)
    built = build(src)
    expected = sorted((p, line, typ.removeprefix("pypatterns.")) for p, line, typ, _ in built.located())
    assert expected == [
        ("p.md", 5, "count_mismatch"),
        ("p.md", 7, "bad_count"),
        ("p.md", 7, "unknown_upstream"),
        ("p.md", 10, "count_mismatch"),
    ], built.warnings
    assert main(["check", str(src)]) == 1
    out = capsys.readouterr().out
    assert _check_lines(out) == expected, out
    assert "check: 0 citations, 6 counts, 4 failures" in out
    # the same message as the build's
    mismatch = next(msg for p, line, typ, msg in built.located() if line == 5)
    assert mismatch.split(" [")[0] in out
    # warm: answered from the cache, the same failures
    assert main(["check", str(src)]) == 1
    assert _check_lines(capsys.readouterr().out) == expected
    # the pin moves: the right count of error classes is wrong now, in check as in the build
    manifest = src / "upstreams.toml"
    manifest.write_text(manifest.read_text().replace(shas[0], shas[1]))
    assert main(["check", str(src)]) == 1
    moved = _check_lines(capsys.readouterr().out)
    assert ("p.md", 3, "count_mismatch") in moved
    fresh = build(src, freshenv=True)  # read again: a page's read-time warnings come with its reading
    assert moved == sorted((p, line, typ.removeprefix("pypatterns.")) for p, line, typ, _ in fresh.located())


def test_check_leaves_a_bare_count_to_the_extension_that_owns_the_name(tmp_path, capsys):
    page = "# P\n\nOurs {pp:count}`3 <up:pkg/**/*.py:/^class \\w+Error/>`; theirs {count}`5 <up:pkg/*.py:Error(>`.\n"
    src, _ = _project(tmp_path, page)
    conf = src / "conf.py"
    conf.write_text(conf.read_text() + 'pypatterns_bare_roles = ["cite"]\n')
    assert main(["check", str(src)]) == 0
    assert "check: 0 citations, 1 counts, 0 failures" in capsys.readouterr().out
