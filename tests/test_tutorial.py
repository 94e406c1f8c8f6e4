"""The tutorial (docs/guide/tutorial.md), executed as written.

In the order the tutorial gives them, in an empty folder: every ``{code-block}`` with a
``:caption:`` is written to the file it names, and every ``$ pypatterns …`` and
``$ sphinx-build …`` line of a ``console`` block is run (the ``pip``, ``venv`` and
``python -m build`` lines install the package: CI's wheel job runs those, .ci/wheel).
The build must pass with ``-W``, and ``pypatterns check`` with 0 failures. Then the
mistakes of its last section are made, and the build must print the warnings it shows.

``pypatterns sync`` downloads the httpx sdist through pip (from pip's cache once it has
it). Without the package index the test is skipped, unless PYPATTERNS_REQUIRE_TOOLS is set.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "guide" / "tutorial.md"
#: The programs the tutorial's console blocks run, as this test runs them.
PROGRAMS = {"pypatterns": [sys.executable, "-m", "sphinx_pypatterns"], "sphinx-build": [sys.executable, "-m", "sphinx"]}
#: The other programs of its console blocks: the installation, which CI's wheel job runs.
INSTALL = {"python", "pip", "."}
#: The mistakes its last section describes: (file, text, the mistake).
MISTAKES = [
    ("patterns/exception-root.md", ":area: exceptions", ":area: exeptions"),
    ("patterns/exception-root.md", "httpx/_exceptions.py:271-274", "httpx/_exceptions.py:260-274"),
]


@dataclass
class Step:
    kind: str  # "file", "run" or "warnings"
    path: str = ""
    text: str = ""
    argv: tuple[str, ...] = ()


def tutorial_steps(text: str) -> list[Step]:
    """The tutorial's files, commands and expected warnings, in order (MyST's tokenizer finds the fences)."""
    steps: list[Step] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "fence":
            continue
        info = token.info.strip()
        if info.startswith("{code-block}"):
            lines = token.content.split("\n")
            options = {}
            while lines and lines[0].startswith(":"):
                name, _, value = lines.pop(0)[1:].partition(":")
                options[name] = value.strip()
            if lines and not lines[0].strip():
                lines.pop(0)
            assert "caption" in options, f"a code-block without the file it is: {token.content[:60]!r}"
            steps.append(Step("file", path=options["caption"], text="\n".join(lines)))
        elif info == "console":
            for line in token.content.splitlines():
                if not line.startswith("$ "):
                    continue
                for command in line[2:].split("&&"):
                    argv = tuple(shlex.split(command))
                    if argv[0] in PROGRAMS:
                        steps.append(Step("run", argv=argv))
                    else:
                        assert argv[0] in INSTALL, f"the tutorial runs {argv[0]!r}, which this test does not know"
        elif info == "text":
            steps.append(Step("warnings", text=token.content))
    return steps


def run(argv: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    # as a terminal would show it, without colours (CI's environment asks Sphinx for them)
    env = {k: v for k, v in os.environ.items() if k not in ("PYPATTERNS_CHECKOUTS", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [*PROGRAMS[argv[0]], *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_tutorial_builds_as_written(tmp_path):
    steps = tutorial_steps(TUTORIAL.read_text("utf-8"))
    assert [s.path for s in steps if s.kind == "file"] == [
        "conf.py",
        "upstreams.toml",
        "sources/httpx.md",
        "patterns/exception-root.md",
        "smells/bare-builtin-raise.md",
        "index.md",
    ]
    project = tmp_path / "handbook"
    project.mkdir()
    expected = ""
    ran: list[str] = []
    for step in steps:
        if step.kind == "file":
            target = project / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, "utf-8")
            continue
        if step.kind == "warnings":
            expected = step.text
            continue
        done = run(step.argv, project)
        ran.append(" ".join(step.argv[:2]))
        if step.argv[:2] == ("pypatterns", "sync") and done.returncode != 0:
            if not os.environ.get("PYPATTERNS_REQUIRE_TOOLS") and "download" in done.stdout + done.stderr:
                pytest.skip(f"the httpx sdist could not be downloaded: {done.stderr[-300:]}")
        assert done.returncode == 0, f"$ {' '.join(step.argv)}\n{done.stdout}\n{done.stderr}"
        if step.argv[0] == "sphinx-build":
            assert "WARNING" not in done.stderr, done.stderr
        if step.argv[:2] == ("pypatterns", "check"):
            assert re.search(r"check: 1[0-9] citations, 0 failures", done.stdout), done.stdout
    assert ran == [
        "pypatterns sync",
        "pypatterns new",
        "pypatterns new",
        "pypatterns new",
        "sphinx-build -W",
        "pypatterns check",
    ]
    html = (project / "_build/html/patterns/exception-root.html").read_text("utf-8")
    assert "bare-builtin-raise" in html  # the smell links back to the pattern it inverts
    assert (project / "_build/html/pp-evidence.html").is_file()

    # the mistakes of the last section, and the warnings it shows
    for path, text, mistake in MISTAKES:
        page = project / path
        assert page.read_text("utf-8").count(text) == 1, text
        page.write_text(page.read_text("utf-8").replace(text, mistake), "utf-8")
    done = run(("sphinx-build", "-W", "--keep-going", ".", "_build/html"), project)
    assert done.returncode != 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)
    shown = sorted(line.replace(f"{project}{os.sep}", "") for line in plain.splitlines() if "WARNING" in line)
    assert shown == sorted(expected.strip().splitlines())
