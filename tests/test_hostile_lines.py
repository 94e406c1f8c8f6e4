"""The build places every citation at the line ``pypatterns check`` gives it.

MyST reports a role at its block's first line and numbers some text below where
it is written: a directive's title one line down (``versionadded``'s text two), and
the body of a colon fence that opens with a nested fence one line down. The build
places each ``cite`` role and directive at the next citation of the same text that
MyST's own tokenizer finds (``_scan.scan_page``, what ``pypatterns check`` reads), so
the two report the same ``docname:line``. Each case asserts the subtype and the line
in the build and in ``check``; the build helpers assert that no traceback appears.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import build, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns._tools.cli import main

CHECK_RE = re.compile(r"^(?P<file>[^\n:]+\.md):(?P<line>\d+): (?P<subtype>\w+): ", re.M)

Failure = tuple[str, int, str]

#: Targets past the end of pkg/errors.py (16 lines at the pin): each is a line_out_of_range.
BAD = [f"up:pkg/errors.py:{101 + i}" for i in range(10)]
OUT = "line_out_of_range"


def write(src: Path, upstream: tuple[Path, str], files: dict[str, str], conf: str = "") -> None:
    repo, pin = upstream
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = "up={repo}"\n' + conf
    write_project(src, {**files, "upstreams.toml": manifest_text("up", pin)}, conf)


def build_failures(src: Path, name: str = "page.md", **kwargs: object) -> list[Failure]:
    built = build(src, freshenv=True, **kwargs)  # type: ignore[arg-type]
    return sorted(
        (rel, line, kind.removeprefix("pypatterns."))
        for rel, line, kind, _msg in built.located()
        if kind.startswith("pypatterns.") and rel == name
    )


def check_failures(src: Path, capsys: pytest.CaptureFixture[str], name: str = "page.md") -> list[Failure]:
    capsys.readouterr()
    main(["check", str(src), "--no-cache"])
    out = capsys.readouterr().out
    return sorted((m["file"], int(m["line"]), m["subtype"]) for m in CHECK_RE.finditer(out) if m["file"] == name)


def page_of(fragment: str, prefix: str) -> str:
    """A page holding ``fragment`` from its line 3; ``R`` is the role's name, ``X1``... its targets."""
    text = fragment.replace("{R}", f"{{{prefix}cite}}")
    for i in reversed(range(len(BAD))):
        text = text.replace(f"X{i + 1}", BAD[i])
    return "# T\n\n" + text


# (fragment, lines of its failures): the fragment starts at line 3 of the page
TITLES = {
    "admonition": (":::{admonition} Title {R}`X1`\n:class: tip\n\nBody {R}`X2`.\n:::\n", [3, 6]),
    "admonition-same-text-in-body": (":::{admonition} Title {R}`X1`\nBody {R}`X1`.\n:::\n", [3, 4]),
    # (a backtick fence's info string holds no backtick: CommonMark reads that as a paragraph)
    "admonition-tilde-fence": ("~~~{admonition} Title {R}`X1`\n:class: tip\n\nBody {R}`X1`.\n~~~\n", [3, 6]),
    "rubric": (":::{rubric} A rubric {R}`X1`\n:::\n\nAfter {R}`X1`.\n", [3, 6]),
    "sidebar": (":::{sidebar} Aside {R}`X1`\nBody {R}`X2`.\n:::\n", [3, 4]),
    "table": (":::{table} A table {R}`X1`\n:align: center\n\n| a | b |\n|---|---|\n| x | {R}`X1` |\n:::\n", [3, 8]),
    "list-table": (
        ":::{list-table} A list table {R}`X1`\n:header-rows: 1\n\n* - a\n  - b\n* - x\n  - {R}`X1`\n:::\n",
        [3, 9],
    ),
    # the cells too: MyST reports every cell at the line after the options
    "csv-table": (":::{csv-table} A CSV table {R}`X1`\n:header: a, b\n\nx, {R}`X2`\ny, {R}`X2`\n:::\n", [3, 6, 7]),
    "versionadded": (":::{versionadded} 1.0 text {R}`X1`\n:::\n", [3]),
    "versionadded-same-text-in-body": (":::{versionadded} 1.0 text {R}`X1`\nbody {R}`X1`\n:::\n", [3, 4]),
    "versionchanged-with-option": (":::{versionchanged} 2.0 text {R}`X1`\n:class: x\n\nbody {R}`X2`\n:::\n", [3, 6]),
}

NESTED = {
    "cite-then-role": ("::::{note}\n:::{cite} X1\n:::\n{R}`X2`\n::::\n", [4, 6]),
    "backtick-cite-then-paragraph": ("::::{note}\n```{cite} X1\n```\n{R}`X2` and\nmore {R}`X2`\n::::\n", [4, 6, 7]),
    "same-target-in-directive-and-role": ("::::{note}\n:::{cite} X1\n:::\n{R}`X1`\n::::\n", [4, 6]),
    "cite-with-a-claim": ("::::{warning}\n:::{cite} X1\n:symbol: HTTPError\n\nClaim {R}`X2`.\n:::\n::::\n", [4, 7]),
    "two-deep": (":::::{note}\n::::{admonition} T {R}`X1`\n:::{cite} X2\n:::\n{R}`X3`\n::::\n:::::\n", [4, 5, 7]),
    "in-an-admonition-body": ("::::{admonition} Title\n:::{cite} X1\n:::\nText {R}`X2`.\n::::\n", [4, 6]),
    "versionadded": ("::::{note}\n:::{versionadded} 1.0 text {R}`X1`\n:::\n{R}`X1`\n::::\n", [4, 6]),
    "three-deep": (
        "::::::{note}\n:::::{tip}\n::::{warning}\n:::{cite} X1\n:::\n{R}`X2`\n::::\n:::::\n::::::\n",
        [6, 8],
    ),
}

CASES = {**{f"title-{k}": v for k, v in TITLES.items()}, **{f"nested-{k}": v for k, v in NESTED.items()}}


@pytest.mark.parametrize("prefix", ["", "pp:"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_build_and_check_place_each_citation_at_its_line(tmp_path, capsys, upstream, case, prefix):
    fragment, lines = CASES[case]
    write(tmp_path / "p", upstream, {"page.md": page_of(fragment, prefix)})
    expected = [("page.md", line, OUT) for line in lines]
    assert build_failures(tmp_path / "p") == expected
    assert check_failures(tmp_path / "p", capsys) == expected


def test_check_and_build_agree_on_a_page_of_every_case(tmp_path, capsys, upstream):
    text = "# T\n\n" + "\n".join(page_of(f, p)[5:] for _name, (f, _l) in sorted(CASES.items()) for p in ("", "pp:"))
    write(tmp_path / "p", upstream, {"page.md": text})
    from_build = build_failures(tmp_path / "p")
    assert Counter(check_failures(tmp_path / "p", capsys)) == Counter(from_build)
    assert len(from_build) == 2 * sum(len(lines) for _f, lines in CASES.values())


def test_a_cite_directive_warns_at_its_fence_at_the_start_of_a_body(tmp_path, capsys, upstream):
    text = page_of("::::{note}\n:::{cite} X1\n:bogus: x\n:symbol: not a name\n:::\n::::\n", "")
    write(tmp_path / "p", upstream, {"page.md": text})
    # the unknown option at its own line
    assert build_failures(tmp_path / "p") == [("page.md", 4, "bad_target"), ("page.md", 5, "unknown_option")]


def test_our_other_directives_are_placed_at_their_fence_at_the_start_of_a_body(tmp_path, upstream):
    text = page_of(
        "::::{note}\n:::{pattern-checklist}\n:bogus: x\n:::\n::::\n\n::::{tip}\n:::{pin-table}\nText.\n:::\n::::\n\n"
        ":::::{note}\n::::{tip}\n:::{evidence-matrix}\n:bogus: x\n:::\n::::\n:::::\n",
        "",
    )
    write(tmp_path / "p", upstream, {"page.md": text})
    # each unknown option at its own line; the second: the text in a directive that takes none, at its line
    assert build_failures(tmp_path / "p") == [
        ("page.md", 5, "unknown_option"),
        ("page.md", 11, "unknown_option"),
        ("page.md", 18, "unknown_option"),
    ]


def test_a_cross_reference_in_a_title_is_placed_at_the_title(tmp_path, upstream):
    text = page_of(
        ":::{admonition} See {pp:pattern}`no-such-pattern`\n:class: tip\n\nBody.\n:::\n\n"
        ":::{versionadded} 1.0 see {pp:smell}`no-such-smell`\n:::\n",
        "",
    )
    write(tmp_path / "p", upstream, {"page.md": text})
    assert build_failures(tmp_path / "p") == [("page.md", 3, "unknown_ref"), ("page.md", 9, "unknown_ref")]


def test_an_included_file_read_twice_is_placed_at_its_own_lines_each_time(tmp_path, upstream):
    included = ":::{rubric} R {cite}`X1`\n:::\n\n::::{note}\n:::{cite} X2\n:::\n{cite}`X2`\n::::\n"
    text = page_of("```{include} part.txt\n```\n\n```{include} part.txt\n```\n\n:::{rubric} {cite}`X1`\n:::\n", "")
    write(tmp_path / "p", upstream, {"page.md": text, "part.txt": page_of(included, "")[5:]})
    built = build(tmp_path / "p", freshenv=True)
    found = sorted(
        (Path(rel).name, line, kind) for rel, line, kind, _m in built.located() if kind.startswith("pypatterns.")
    )
    assert found == sorted(
        [("page.md", 9, f"pypatterns.{OUT}")] + 2 * [("part.txt", line, f"pypatterns.{OUT}") for line in (1, 5, 7)]
    )


def test_thousands_of_identical_roles_are_placed_quickly(tmp_path, capsys, upstream):
    count = 3000
    prose = "".join(f"line {i} {{cite}}`X1`\n" for i in range(count))
    text = page_of(f":::{{admonition}} Title {{cite}}`X1`\n{prose}:::\n", "")
    write(tmp_path / "p", upstream, {"page.md": text})
    started = time.monotonic()
    expected = [("page.md", line, OUT) for line in range(3, 4 + count)]
    assert build_failures(tmp_path / "p") == expected
    assert time.monotonic() - started < 60
    assert check_failures(tmp_path / "p", capsys) == expected


def _pages() -> dict[str, str]:
    names = sorted(CASES, reverse=True)  # p0: a title, which MyST numbers a line down
    return {f"p{i}.md": page_of(CASES[name][0], "pp:" if i % 2 else "") for i, name in enumerate(names)}


def _all_failures(src: Path, **kwargs: object) -> list[tuple[str, int, str]]:
    built = build(src, **kwargs)  # type: ignore[arg-type]
    return sorted((rel, line, kind) for rel, line, kind, _m in built.located() if kind.startswith("pypatterns."))


def test_a_parallel_build_places_citations_as_a_serial_one(tmp_path, upstream):
    for name in ("one", "two"):
        write(tmp_path / name, upstream, _pages())
    serial = _all_failures(tmp_path / "one", parallel=1, freshenv=True)
    assert serial == _all_failures(tmp_path / "two", parallel=2, freshenv=True)
    assert len(serial) == sum(len(lines) for _f, lines in CASES.values())


def test_an_incremental_build_places_citations_as_a_clean_one(tmp_path, upstream):
    pages = _pages()
    write(tmp_path / "p", upstream, pages)
    build(tmp_path / "p", freshenv=True)
    # edit one page: only it is read again, and its citations are where a clean build puts them
    edited = "p0.md"
    pages[edited] = pages[edited].replace("# T\n\n", "# T\n\nNew text.\n\n", 1)
    (tmp_path / "p" / edited).write_text(pages[edited], "utf-8")
    again = [f for f in _all_failures(tmp_path / "p") if f[0] == edited]
    write(tmp_path / "clean", upstream, pages)
    clean = [f for f in _all_failures(tmp_path / "clean", freshenv=True) if f[0] == edited]
    assert again == clean
    assert [line for _f, line, _k in clean] == [line + 2 for line in CASES[sorted(CASES, reverse=True)[0]][1]]
