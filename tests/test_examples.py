"""Every code block of the handbook's patterns and smells runs, and type-checks.

The runner itself is tested on pages these tests write, so that each of its
checks is seen to fail: a wrong doctest output, a block that raises, a block
that leans on an earlier block's names, a type error, an ignore that is no
longer needed, a block in another language.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support.doc_examples import STATS, Block, blocks, fence_problems, pages, type_check
from sybil.example import SybilFailure

HANDBOOK = pages()
ALL_BLOCKS = [block for path in HANDBOOK for block in blocks(path)]


def test_the_handbook_has_examples() -> None:
    # at least one block on every pattern and smell page
    without = [p.name for p in HANDBOOK if p.name != "index.md" and not blocks(p)]
    assert HANDBOOK and not without, f"pages without a code example: {without}"


def test_every_block_is_a_python_block() -> None:
    assert fence_problems(HANDBOOK) == []


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.ident())
def test_block_runs(block: Block) -> None:
    block.run()
    STATS["blocks"] += 1
    STATS["doctest_blocks"] += block.doctest
    STATS["failing_on_purpose"] += block.fails_on_purpose


def test_blocks_type_check(tmp_path: Path) -> None:
    checked, errors = type_check(ALL_BLOCKS, tmp_path)
    assert errors == []
    STATS["type_checked"] = checked


# -- the runner can fail ------------------------------------------------------


def _page(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "patterns" / "demo.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), "utf-8")
    return path


def test_runner_finds_blocks_with_their_lines(tmp_path: Path) -> None:
    path = _page(
        tmp_path,
        """\
        # Demo

        ```python
        x = 1
        ```

        ```python
        >>> 1 + 1
        2
        >>> 2 + 2
        4
        ```
        """,
    )
    found = blocks(path)
    assert [(b.line, b.doctest, len(b.examples)) for b in found] == [(4, False, 1), (8, True, 2)]
    for block in found:
        block.run()


def test_wrong_doctest_output_fails(tmp_path: Path) -> None:
    path = _page(tmp_path, "```python\n>>> 1 + 1\n3\n```\n")
    (block,) = blocks(path)
    with pytest.raises(SybilFailure, match="Expected:\n    3\nGot:\n    2"):
        block.run()


def test_a_traceback_shown_on_purpose_must_be_the_real_one(tmp_path: Path) -> None:
    shown = "```python\n>>> int('x')\nTraceback (most recent call last):\n...\n{}\n```\n"
    right = _page(tmp_path, shown.format("ValueError: invalid literal for int() with base 10: 'x'"))
    (block,) = blocks(right)
    assert block.fails_on_purpose
    block.run()
    wrong = _page(tmp_path, shown.format("TypeError: invalid literal for int() with base 10: 'x'"))
    (block,) = blocks(wrong)
    with pytest.raises(SybilFailure):
        block.run()


def test_a_block_that_raises_fails(tmp_path: Path) -> None:
    (block,) = blocks(_page(tmp_path, "```python\nassert 1 + 1 == 3, 'arithmetic'\n```\n"))
    with pytest.raises(AssertionError, match="arithmetic"):
        block.run()


def test_each_block_starts_with_a_fresh_namespace(tmp_path: Path) -> None:
    path = _page(tmp_path, "```python\nvalue = 1\n```\n\n```python\nassert value == 1\n```\n")
    first, second = blocks(path)
    first.run()
    with pytest.raises(NameError, match="value"):
        second.run()


def test_a_block_is_a_real_module(tmp_path: Path) -> None:
    # dataclasses and pickling look the class's module up in sys.modules
    body = """\
        ```python
        import pickle
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Point:
            x: int

        assert pickle.loads(pickle.dumps(Point(1))) == Point(1)
        ```
        """
    (block,) = blocks(_page(tmp_path, body))
    block.run()


def test_type_errors_and_stale_ignores_fail(tmp_path: Path) -> None:
    body = """\
        # Demo

        ```python
        def double(x: int) -> int:
            return x * 2

        double("a")
        ```

        ```python
        def triple(x: int) -> int:
            return x * 3

        triple(1)  # type: ignore[arg-type]
        ```

        ```python
        def half(x: int) -> float:
            return x / 2

        half("a")  # type: ignore[arg-type]  # fails on purpose
        ```

        ```python
        >>> untyped = lambda x: x
        ```
        """
    found = blocks(_page(tmp_path, body))
    checked, errors = type_check(found, tmp_path / "mypy")
    assert checked == 3  # the doctest block is not type-checked
    assert len(errors) == 2, errors
    assert errors[0].startswith('demo.md:4: line 7: error: Argument 1 to "double"')
    assert errors[0].endswith("[arg-type]")
    assert errors[1].startswith('demo.md:11: line 14: error: Unused "type: ignore" comment')


def test_other_fences_are_reported(tmp_path: Path) -> None:
    path = _page(tmp_path, "# Demo\n\n```bash\nrm -rf /\n```\n\n```\nplain\n```\n\n```{note}\nA directive.\n```\n")
    problems = fence_problems([path], root=tmp_path)
    assert problems == [
        "patterns/demo.md:3: a 'bash' code block: every block must be ```python",
        "patterns/demo.md:7: a 'plain' code block: every block must be ```python",
    ]


def test_a_block_leaves_no_made_up_module_or_warning_filter(tmp_path: Path) -> None:
    import sys
    import warnings

    body = """\
        ```python
        import sys
        import types
        import warnings

        sys.modules["made_up_lib"] = types.ModuleType("made_up_lib")
        warnings.simplefilter("error")
        ```
        """
    filters = list(warnings.filters)
    (block,) = blocks(_page(tmp_path, body))
    block.run()
    assert "made_up_lib" not in sys.modules
    assert warnings.filters == filters
