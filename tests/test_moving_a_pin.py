"""The worked example of docs/guide/moving-a-pin.md, executed as written.

Its ``{code-block}`` files are written where their captions say: the upstream's module at
``(v1)`` and ``(v2)`` becomes a git repository of two commits, the handbook's files go to
``handbook/``. Every ``$ pypatterns …`` and ``$ sphinx-build …`` line runs in ``handbook/``,
with ``<v1>`` and ``<v2>`` standing for the two commits, and the ``text`` block after a command
is what it prints on standard error (commits and times as the page writes them).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import make_repo
from markdown_it import MarkdownIt

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "moving-a-pin.md"
PROGRAMS = {"pypatterns": [sys.executable, "-m", "sphinx_pypatterns"], "sphinx-build": [sys.executable, "-m", "sphinx"]}


def _fences(text: str) -> list[tuple[str, str]]:
    """(info, content) of every fence from the worked example on."""
    start = text.index("## A worked example")
    end = text.index("## Measured on real releases")
    return [(t.info.strip(), t.content) for t in MarkdownIt("commonmark").parse(text[start:end]) if t.type == "fence"]


def _file(content: str) -> tuple[str, str]:
    lines = content.split("\n")
    caption = ""
    while lines and lines[0].startswith(":"):
        name, _, value = lines.pop(0)[1:].partition(":")
        if name == "caption":
            caption = value.strip()
    if lines and not lines[0].strip():
        lines.pop(0)
    assert caption, f"a code-block without the file it is: {content[:60]!r}"
    return caption, "\n".join(lines)


def test_the_worked_example_of_moving_a_pin_runs_as_written(tmp_path):
    fences = _fences(PAGE.read_text("utf-8"))
    versions: dict[str, dict[str, str]] = {}
    handbook = tmp_path / "handbook"
    for info, content in fences:
        if info.startswith("{code-block}"):
            caption, text = _file(content)
            found = re.fullmatch(r"demo/(\S+) \((v\d)\)", caption)
            if found:
                versions.setdefault(found.group(2), {})[found.group(1)] = text
    assert sorted(versions) == ["v1", "v2"]
    shas = make_repo(tmp_path / "demo", [versions["v1"], versions["v2"]])
    names = {"<v1>": shas[0], "<v2>": shas[1]}

    def substituted(text: str) -> str:
        for name, sha in names.items():
            text = text.replace(name, sha)
        return text

    def shown(text: str) -> str:
        for name, sha in names.items():
            text = text.replace(sha, name).replace(sha[:12], name)
        return re.sub(r"in \d+\.\d+ s", "in N s", text)

    ran: list[str] = []
    last: subprocess.CompletedProcess[str] | None = None
    for info, content in fences:
        if info.startswith("{code-block}"):
            caption, text = _file(content)
            if caption.startswith("handbook/"):
                target = tmp_path / caption
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(substituted(text), "utf-8")
        elif info == "console":
            for line in content.splitlines():
                argv = shlex.split(substituted(line[2:]))
                assert argv[0] in PROGRAMS, line
                env = {k: v for k, v in os.environ.items() if k not in ("PYPATTERNS_CHECKOUTS", "FORCE_COLOR")}
                env["NO_COLOR"] = "1"
                last = subprocess.run(
                    [*PROGRAMS[argv[0]], *argv[1:]], cwd=handbook, env=env, capture_output=True, text=True, timeout=300
                )
                ran.append(" ".join(argv[:2]))
                if argv[0] == "sphinx-build":
                    assert last.returncode == 0 and "WARNING" not in last.stderr, last.stderr
        elif info == "text":
            assert last is not None
            assert shown(last.stderr).strip() == content.strip(), last.stderr
    assert ran == ["pypatterns check", "pypatterns bump", "pypatterns bump", "sphinx-build -W"]
    page = (handbook / "index.md").read_text("utf-8")
    assert "<demo:demo/core.py:8-9>" in page and "<demo:demo/core.py:13-14>" in page and "demo:demo/core.py:1`" in page
    assert f'commit = "{shas[1]}"' in (handbook / "upstreams.toml").read_text("utf-8")
    assert "## Changed (1)" in (tmp_path / "bump.md").read_text("utf-8")
