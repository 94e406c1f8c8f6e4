"""Shared helpers: real Sphinx builds of small projects, real git repositories."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

WARNING_RE = re.compile(r"^(?P<path>[^\n]*?):(?P<line>\d+): WARNING: (?P<msg>.*?) \[(?P<type>[\w.-]+)\]$", re.M)
ANY_WARNING_RE = re.compile(r"WARNING: .*?\[(?P<type>[\w.-]+)\]$", re.M)

BASE_CONF = """
extensions = ["sphinx_pypatterns"]
exclude_patterns = ["_build", ".pypatterns"]
html_theme = "basic"
# the review rules are tested in test_evidence.py; other tests turn them off
pypatterns_min_upstreams = 0
pypatterns_min_counterexample_citations = 0
pypatterns_min_smell_citations = 0
pypatterns_min_repeat_citations = 0
pypatterns_require_nomination = False
# the claim rules are tested in test_claims.py; the pages here share their template's rule and What
pypatterns_duplicate_threshold = 0
"""


def default_body(kind: str) -> str:
    """The valid default body (every required section) of a page of ``kind``."""
    return page(kind, "x").split(":::\n\n", 1)[1]


def page(
    kind: str, ident: str, *, title: str | None = None, options: str | None = None, body: str | None = None
) -> str:
    """A complete, valid page of ``kind`` (override parts to break it)."""
    sections = {
        "pattern": ["What", "Why", "When to use", "When not to use", "Preferred shapes", "Counterexamples", "Evidence"],
        "smell": ["Symptoms", "Why it hurts", "Instead", "Evidence"],
        "source-note": ["Why this repo", "Repeated patterns", "Caveats and counterexamples", "Pattern candidates"],
    }[kind]
    if options is None:
        options = {
            "pattern": f":id: {ident}\n:area: exceptions\n:rule: Derive every exception from one root class.",
            "smell": f":id: {ident}\n:inverts: exception-root\n:summary: Raising bare built-in exceptions.",
            "source-note": f":upstream: {ident}",
        }[kind]
    if body is None:
        body = "\n".join(f"## {s}\n\nText for {s.lower()}.\n" for s in sections)
    return f"# {title or ident}\n\n:::{{{kind}}}\n{options}\n:::\n\n{body}"


@dataclass
class Built:
    app: SphinxTestApp
    srcdir: Path
    warnings: str
    status: str = ""

    def located(self) -> list[tuple[str, int, str, str]]:
        """(relative path, line, type.subtype, message) for every located warning."""
        out = []
        for m in WARNING_RE.finditer(self.warnings):
            path = m["path"]
            rel = os.path.relpath(path, self.srcdir) if os.path.isabs(path) else path
            out.append((rel, int(m["line"]), m["type"], m["msg"]))
        return out

    def subtypes(self) -> list[str]:
        return [m["type"] for m in ANY_WARNING_RE.finditer(self.warnings)]

    def html(self, docname: str) -> str:
        return (self.app.outdir / f"{docname}.html").read_text("utf-8")

    def text(self, docname: str) -> str:
        return (self.app.outdir / f"{docname}.txt").read_text("utf-8")


def write_project(srcdir: Path, files: dict[str, str | bytes], conf: str = "") -> None:
    srcdir.mkdir(parents=True, exist_ok=True)
    (srcdir / "conf.py").write_text(BASE_CONF + textwrap.dedent(conf), "utf-8")
    if "index.md" not in files:
        docs = sorted(name[:-3] for name in files if name.endswith(".md"))
        toc = "\n".join(docs)
        (srcdir / "index.md").write_text(f"# Index\n\n```{{toctree}}\n{toc}\n```\n", "utf-8")
    for name, content in files.items():
        path = srcdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")


def build(
    srcdir: Path,
    buildername: str = "html",
    *,
    parallel: int = 0,
    freshenv: bool = False,
    confoverrides: dict[str, object] | None = None,
    verbosity: int = 0,
    tags: list[str] | None = None,
) -> Built:
    warnings, status = StringIO(), StringIO()
    app = SphinxTestApp(
        buildername,
        srcdir=srcdir,
        builddir=srcdir / "_build",
        status=status,
        warning=warnings,
        parallel=parallel,
        freshenv=freshenv,
        confoverrides=confoverrides or {},
        verbosity=verbosity,
        tags=tags or [],
    )
    try:
        app.build()
    finally:
        app.cleanup()
    text = re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())
    assert "Traceback" not in text and "Exception occurred" not in text, text
    return Built(app, srcdir, text, status.getvalue())


@pytest.fixture
def project(tmp_path: Path):
    """``project(files, conf="", **build_kwargs)`` writes a project and builds it."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], conf: str = "", **kwargs: object) -> Built:
        srcdir = tmp_path / f"p{next(counter)}"
        write_project(srcdir, files, conf)
        return build(srcdir, **kwargs)  # type: ignore[arg-type]

    return make


def git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def make_repo(path: Path, commits: list[dict[str, str | bytes | None]]) -> list[str]:
    """A git repository with one commit per dict of files (None deletes); returns the shas."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    shas = []
    for files in commits:
        for name, content in files.items():
            target = path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, "utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"commit {len(shas)}")
        shas.append(git(path, "rev-parse", "HEAD"))
    return shas


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``(repo, pin)`` of ``support.upstreams.make_upstream``, made once per test module.

    test_citations and test_evidence define their own ``upstream``: a fresh one for each test.
    """
    from support.upstreams import make_upstream  # not at the top: support.upstreams imports conftest

    return make_upstream(tmp_path_factory.mktemp("up"))


@pytest.fixture
def offline_index(tmp_path, monkeypatch):
    """A find-links folder that pip uses instead of any index (the tests never download)."""
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many of the handbook's code examples ran (tests/test_examples.py)."""
    from support.doc_examples import STATS

    if STATS["blocks"] or STATS["type_checked"]:
        terminalreporter.write_line(
            f"handbook examples: {STATS['blocks']} code blocks ran "
            f"({STATS['doctest_blocks']} doctests, {STATS['failing_on_purpose']} of them failing on purpose as shown), "
            f"{STATS['type_checked']} type-checked with mypy --strict"
        )


def latexmk(outdir: Path, tex: str) -> str:
    """Run latexmk (xelatex, as conf.py asks) on ``outdir/tex``; assert it succeeded; return the log."""
    run = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex],
        cwd=outdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log_path = outdir / (tex.removesuffix(".tex") + ".log")
    log = log_path.read_text("utf-8", errors="replace") if log_path.exists() else ""
    assert run.returncode == 0, run.stdout[-3000:] + log[-3000:]
    return log
