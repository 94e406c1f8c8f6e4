"""The evidence project: two upstreams, pages of every kind citing them, and the review rules on.

Its pages break each review rule once (``test_evidence`` asserts where); other tests build it
as a project with citations, smells and source notes to print, browse or edit.
"""

from __future__ import annotations

from pathlib import Path

from conftest import default_body, page, write_project

from support.upstreams import manifest_text

RULES_ON = """
pypatterns_min_upstreams = 2
pypatterns_min_counterexample_citations = 1
pypatterns_min_smell_citations = 1
pypatterns_min_repeat_citations = 2
pypatterns_require_nomination = True
"""

# pinned lines of upstreams.ERRORS_V1: HTTPError 6-11, its __init__ 9-11, RequestError 14-15
ROOT = "{cite}`HTTPError <up:pkg/errors.py:6-11>`"
ROOT_TWO = "{cite}`RequestError <two:pkg/errors.py:14-15>`"
COUNTER = "{cite}`HTTPError <up:README.md:3>`"
SMELL_CITE = "{cite}`RequestError <up:pkg/errors.py:14-15>`"


def pattern_page(ident: str, evidence: str, counter: str, area: str = "exceptions") -> str:
    body = (
        default_body("pattern")
        .replace("Text for counterexamples.", "Counter: " + counter)
        .replace("Text for evidence.", "Evidence: " + evidence)
    )
    return page("pattern", ident, options=f":id: {ident}\n:area: {area}\n:rule: Rule of {ident}.", body=body)


def smell_page(ident: str, inverts: str, evidence: str) -> str:
    body = default_body("smell").replace("Text for evidence.", "Evidence: " + evidence)
    return page("smell", ident, options=f":id: {ident}\n:inverts: {inverts}\n:summary: S.", body=body)


def note_page(upstream: str, items: list[str], candidates: list[str]) -> str:
    body = (
        default_body("source-note")
        .replace("Text for repeated patterns.", "\n".join(f"- {item}" for item in items))
        .replace("Text for pattern candidates.", "\n".join(f"- {{candidate}}`{c}`" for c in candidates))
    )
    return page("source-note", upstream, body=body)


def evidence_files() -> dict[str, str]:
    return {
        "patterns/root.md": pattern_page("exception-root", f"{ROOT} and {ROOT_TWO}", COUNTER),
        "patterns/thin.md": pattern_page("thin-one", ROOT, "none", area="typing"),
        "smells/bare.md": smell_page("bare-raise", "exception-root", SMELL_CITE),
        "smells/nocite.md": smell_page("no-cite", "thin-one", "none"),
        "sources/up.md": note_page(
            "up",
            [f"Roots everywhere. {ROOT} {SMELL_CITE}", f"Only once. {ROOT}"],
            ["exception-root", "never-written"],
        ),
        "sources/two.md": note_page("two", [f"Twice. {ROOT_TWO} {ROOT_TWO}"], ["exception-root"]),
        "matrix.md": "# Matrix\n\n:::{evidence-matrix}\n:::\n",
        "dashboard.md": "# Dashboard\n\n:::{evidence-dashboard}\n:::\n",
        "checklist.md": "# Checklist\n\n:::{pattern-checklist}\n:::\n",
    }


def conf_for(repo: Path, extra: str = "") -> str:
    return (
        'pypatterns_manifest = "upstreams.toml"\n'
        f'pypatterns_checkouts = ["up={repo}", "two={repo}"]\n'
        "pypatterns_require_anchor = True\n" + RULES_ON + extra
    )


def write_evidence_project(srcdir: Path, repo: Path, pin: str, files: dict[str, str], extra: str = "") -> Path:
    write_project(srcdir, files, conf_for(repo, extra))
    (srcdir / "upstreams.toml").write_text(manifest_text("up", pin) + "\n" + manifest_text("two", pin))
    return srcdir
