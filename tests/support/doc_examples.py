"""The handbook's code examples, found and run by Sybil.

Every fenced code block of a page in ``patterns/`` and ``smells/`` is a
``python`` block, and each one is run:

- a plain block runs as a module of its own (a fresh namespace, registered in
  ``sys.modules`` so that dataclasses, pickling and ``typing.get_type_hints``
  behave as in a real module), and is type-checked with
  ``mypy --strict --warn-unused-ignores``; a line that fails type-checking on
  purpose carries ``# type: ignore[code]``, so the check fails when it stops
  failing;
- a block that starts with ``>>>`` is a doctest (Sybil's
  ``PythonCodeBlockParser``): its output is checked, so a traceback shown on
  purpose must be the one the code raises.

Sybil finds the blocks; markdown-it-py (MyST's parser) counts every fence, so
a block Sybil would not see (another language, no language) is reported
instead of silently skipped.
"""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from sybil import Document, Example, Region
from sybil.parsers.myst import PythonCodeBlockParser

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/support/doc_examples.py
FOLDERS = ("patterns", "smells")

# Filled by the tests, printed by conftest's terminal summary.
STATS: dict[str, int] = {"blocks": 0, "doctest_blocks": 0, "failing_on_purpose": 0, "type_checked": 0}


@dataclass
class Block:
    """One fenced ``python`` block of a page, with the Sybil examples it holds."""

    path: Path
    line: int  # 1-based line of the block's first source line
    source: str
    examples: list[Example] = field(default_factory=list)

    @property
    def doctest(self) -> bool:
        return self.source.startswith(">>>")

    @property
    def fails_on_purpose(self) -> bool:
        return self.doctest and "Traceback (most recent call last):" in self.source

    def ident(self, root: Path = ROOT) -> str:
        try:
            rel = self.path.relative_to(root).as_posix()
        except ValueError:
            rel = self.path.name
        return f"{rel}:{self.line}"

    def module_name(self) -> str:
        stem = "".join(c if c.isalnum() else "_" for c in self.path.stem)
        return f"pp_example_{stem}_{self.line}"

    def run(self) -> None:
        """Run every example of the block in one fresh module namespace.

        Warning filters are restored afterwards, and modules the block made up
        (``sys.modules`` entries with no file behind them) are dropped, so one
        block cannot change what the next one, or another test, sees.
        """
        name = self.module_name()
        module = types.ModuleType(name)
        module.__file__ = str(self.path)
        before = set(sys.modules)
        sys.modules[name] = module
        try:
            with warnings.catch_warnings():
                for example in self.examples:
                    example.namespace = module.__dict__
                    example.evaluate()
        finally:
            for added in set(sys.modules) - before:
                spec = getattr(sys.modules[added], "__spec__", None)
                if spec is None or spec.origin is None:
                    del sys.modules[added]


class _BlockParser:
    """Sybil's MyST Python parser, with each region tagged by the block it came from."""

    def __init__(self) -> None:
        self.inner = PythonCodeBlockParser()

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.inner.codeblock_parser(document):
            source = region.parsed  # a Lexeme: a str that knows its offset
            if str(source).startswith(">>>"):
                for sub in self.inner.doctest_parser(source, document.path):
                    sub.adjust(region, source)
                    sub.block = region  # type: ignore[attr-defined]
                    yield sub
            else:
                region.block = region  # type: ignore[attr-defined]
                yield region


def pages(root: Path = ROOT) -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.md"))


def blocks(path: Path) -> list[Block]:
    """The page's ``python`` blocks, in order, each with its examples."""
    document = Document.parse(str(path), _BlockParser())
    found: dict[int, Block] = {}
    for example in document.examples():
        region = example.region.block  # type: ignore[attr-defined]
        block = found.get(region.start)
        if block is None:
            line = document.text.count("\n", 0, region.start) + 2  # the line after the opening fence
            block = found[region.start] = Block(path, line, str(region.parsed))
        block.examples.append(example)
    return [found[k] for k in sorted(found)]


def fences(path: Path) -> list[tuple[int, str]]:
    """``(line, info)`` of every fenced code block (not MyST directives) of the page."""
    text = path.read_text("utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    return [
        (tok.map[0] + 1 if tok.map else 0, tok.info.strip())
        for tok in tokens
        if tok.type == "fence" and not tok.info.strip().startswith("{")
    ]


def fence_problems(paths: Iterable[Path], root: Path = ROOT) -> list[str]:
    """Fences that are not ``python`` blocks, and pages where Sybil and markdown-it disagree."""
    problems = []
    for path in paths:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        infos = fences(path)
        for line, info in infos:
            if info.split()[:1] != ["python"]:
                problems.append(f"{rel}:{line}: a {info or 'plain'!r} code block: every block must be ```python")
        python = sum(1 for _, info in infos if info.split()[:1] == ["python"])
        if python != len(blocks(path)):
            problems.append(f"{rel}: markdown-it sees {python} python blocks, Sybil {len(blocks(path))}")
    return problems


def type_check(all_blocks: Iterable[Block], workdir: Path) -> tuple[int, list[str]]:
    """Write each plain block as a module and run mypy once over them all.

    Returns the number of blocks checked and mypy's errors, mapped back to
    ``page:line``.
    """
    from mypy import api

    workdir.mkdir(parents=True, exist_ok=True)
    where: dict[str, Block] = {}
    files = []
    for block in all_blocks:
        if block.doctest:
            continue
        file = workdir / f"{block.module_name()}.py"
        file.write_text(block.source, "utf-8")
        where[file.name] = block
        files.append(str(file))
    if not files:
        return 0, []
    stdout, stderr, _status = api.run(
        [
            "--strict",
            "--warn-unused-ignores",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(workdir / ".mypy_cache"),
            "--python-version",
            f"{sys.version_info[0]}.{sys.version_info[1]}",
            *files,
        ]
    )
    errors: list[tuple[str, int, str, str]] = []  # (page, line, where, message)
    for row in (stdout + stderr).splitlines():
        name, sep, rest = row.partition(":")
        block = where.get(Path(name).name)
        lineno, _, message = rest.partition(":")
        if sep and block is not None and lineno.isdigit():
            errors.append((str(block.path), block.line + int(lineno) - 1, block.ident(), message))
        elif row.strip() and ": note:" not in row:
            errors.append(("", 0, row, ""))
    return len(files), [
        f"{where}: line {line}:{message}" if line else where for _, line, where, message in sorted(errors)
    ]
