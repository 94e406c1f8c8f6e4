"""Citations verified at the pin: the core directly, and through real Sphinx builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import build, default_body, page, write_project
from support.upstreams import ERRORS_V1, make_upstream, manifest_text

from sphinx_pypatterns import CitationTarget, GitCheckout, Verifier, parse_manifest, parse_target
from sphinx_pypatterns._core.checkouts import FolderCheckout


@pytest.fixture
def upstream(tmp_path):
    return make_upstream(tmp_path)


def verifier_for(repo: Path, commit: str) -> Verifier:
    manifest = parse_manifest(manifest_text("up", commit))
    return Verifier(manifest, ("/nonexistent", {"up": str(repo)}))


def test_reads_at_the_pin_not_the_working_tree(upstream):
    repo, pin = upstream
    assert (repo / "pkg/errors.py").read_text().startswith("# a")  # the working tree moved on
    with verifier_for(repo, pin) as verifier:
        verdict = verifier.verify(parse_target("up:pkg/errors.py:6-6"), "HTTPError")
        assert verdict.ok, verdict
        assert verdict.lines == ("class HTTPError(Exception):",)
        # the symbol spans lines 6-11: a citation outside it is told so
        assert (
            "is defined at lines 6\u201311"
            in verifier.verify(parse_target("up:pkg/errors.py:5-6"), "HTTPError").message
        )
        checkout = verifier.checkout_for("up")
        assert isinstance(checkout, GitCheckout)
        proc = checkout._proc
        assert proc is not None and proc.poll() is None
    assert proc.poll() is not None, "close() must end the cat-file process"


def test_one_cat_file_process_serves_every_lookup(upstream, monkeypatch):
    import subprocess

    repo, pin = upstream
    started = []
    real = subprocess.Popen

    def spy(args, *a, **k):
        started.append(args)
        return real(args, *a, **k)

    monkeypatch.setattr(subprocess, "Popen", spy)
    with verifier_for(repo, pin) as verifier:
        for line in range(1, 16):
            verifier.verify(CitationTarget("up", "pkg/errors.py", line, line))
        verifier.verify(CitationTarget("up", "README.md", 1, 1))
    assert len(started) == 1 and started[0][-3:] == ["cat-file", "--batch", "--follow-symlinks"]


@pytest.mark.parametrize(
    ("target", "symbol", "subtype", "message"),
    [
        ("up:pkg/errors.py:6-12", "RequestError", "anchor_mismatch", "`RequestError` is defined at lines 14\u201315"),
        ("up:pkg/errors.py:6", "NoSuch", "unknown_symbol", "no symbol 'NoSuch'"),
        ("up:pkg/errors.py:99", "", "line_out_of_range", "line 99 is past the end of up:pkg/errors.py (15 lines)"),
        ("up:pkg/missing.py:1", "", "missing_file", "does not exist"),
        ("up:pkg/data.bin:1", "", "binary_file", "binary"),
        ("up:pkg/latin1.py:1", "name", "not_utf8", "not valid UTF-8"),
        ("up:pkg/escape.py:1", "", "path_escapes", "outside the checkout"),
        ("up:pkg/loop-a.py:1", "", "symlink_loop", "symlink loop"),
        ("up:pkg/broken.py:1", "f", "unparsable", "cannot parse pkg/broken.py with the running Python"),
        ("up:README.md:3", "Nowhere", "anchor_mismatch", "does not occur"),
        ("up:pkg/errors.py:3", "", "missing_anchor", "needs a symbol anchor"),
    ],
)
def test_bad_citation_verdicts(upstream, target, symbol, subtype, message):
    repo, pin = upstream
    with verifier_for(repo, pin) as verifier:
        verdict = verifier.verify(parse_target(target), symbol, require_anchor=True)
    assert (verdict.ok, verdict.subtype) == (False, subtype)
    assert message in verdict.message


def test_methods_assignments_and_non_python_anchors(upstream):
    repo, pin = upstream
    with verifier_for(repo, pin) as verifier:
        assert verifier.verify(parse_target("up:pkg/errors.py:9-11"), "HTTPError.__init__").ok
        assert verifier.verify(parse_target("up:pkg/errors.py:3"), "__all__").ok
        assert verifier.verify(parse_target("up:README.md:3"), "HTTPError").ok


def test_absent_commit_is_reported(upstream):
    repo, _ = upstream
    with verifier_for(repo, "0" * 40) as verifier:
        verdict = verifier.verify(parse_target("up:pkg/errors.py:1"))
    assert verdict.subtype == "commit_missing"


def test_folder_checkout_refuses_symlinks_out_and_loops(tmp_path):
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (tmp_path / "secret.py").write_text("x = 1\n")
    os.symlink("../../secret.py", root / "pkg" / "out.py")
    os.symlink("loop2", root / "pkg" / "loop1")
    os.symlink("loop1", root / "pkg" / "loop2")
    (root / "pkg" / "ok.py").write_text("x = 1\n")
    os.symlink("ok.py", root / "pkg" / "inside.py")
    checkout = FolderCheckout(root)
    from sphinx_pypatterns import CheckoutError

    with pytest.raises(CheckoutError) as out:
        checkout.read("pkg/out.py")
    assert out.value.subtype == "path_escapes"
    with pytest.raises(CheckoutError) as loop:
        checkout.read("pkg/loop1")
    assert loop.value.subtype == "symlink_loop"
    assert checkout.read("pkg/inside.py")[1] == b"x = 1\n"


# -- through Sphinx --------------------------------------------------------


def cite_project(tmp_path: Path, repo: Path, pin: str, lines: list[str], conf: str = "") -> tuple[Path, str]:
    body = default_body("pattern").replace(
        "## Evidence\n\nText for evidence.\n", "## Evidence\n\n" + "\n\n".join(lines) + "\n"
    )
    text = page("pattern", "exception-root", body=body)
    (tmp_path / "p").mkdir(exist_ok=True)
    (tmp_path / "p" / "upstreams.toml").write_text(manifest_text("up", pin))
    write_project(
        tmp_path / "p",
        {"patterns/a.md": text},
        f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n' + conf,
    )
    return tmp_path / "p", text


# The bad-citation cases (each subtype at its line) are in test_catalogue.py.


def test_missing_checkout_names_upstream_and_sync(tmp_path, upstream):
    repo, pin = upstream
    srcdir, text = cite_project(
        tmp_path, tmp_path / "nowhere", pin, ["A {cite}`up:README.md:1`, {cite}`up:README.md:3`."]
    )
    built = build(srcdir)
    (warning,) = built.located()
    assert warning[2] == "pypatterns.checkout_missing" and "'up'" in warning[3]
    assert "2 citation(s)" in warning[3]


def test_permalink_label_and_excerpt(tmp_path, upstream):
    repo, pin = upstream
    lines = [
        "Inline {cite}`up:pkg/errors.py:6-7` and {cite}`HTTPError <up:pkg/errors.py:6>`.",
        ":::{cite} up:pkg/errors.py:9-11\n:symbol: HTTPError.__init__\n:caption: The constructor\n\nThe root keeps the message.\n:::",
    ]
    srcdir, _ = cite_project(tmp_path, repo, pin, lines)
    built = build(srcdir)
    assert built.warnings == ""
    html = built.html("patterns/a")
    url = f"https://example.invalid/up/blob/{pin}/pkg/errors.py"
    assert f'href="{url}#L6-L7"' in html
    assert f'href="{url}#L6"' in html
    assert "up errors.py:6\u20137" in html
    assert ">HTTPError<" in html
    assert "The root keeps the message." in html and "The constructor" in html
    assert f'href="{url}#L9-L11"' in html
    text_build = build(srcdir, "text")
    text = text_build.text("patterns/a")
    v1 = ERRORS_V1.split("\n")
    for n in (9, 10, 11):
        assert v1[n - 1].strip() in text
    assert "up v1, pkg/errors.py, lines 9\u201311" in text
    # HTML line numbers start at the cited line
    assert '<span class="linenos"> 9</span>' in html or '<span class="linenos">9</span>' in html
    assert '<span class="linenos">11</span>' in html


def test_sync_after_missing_checkout_reverifies_unchanged_pages(tmp_path, upstream):
    repo, pin = upstream
    srcdir, _ = cite_project(tmp_path, tmp_path / "later", pin, ["A {cite}`up:README.md:1`."])
    first = build(srcdir)
    assert "pypatterns.checkout_missing" in first.subtypes()
    os.symlink(repo, tmp_path / "later")
    second = build(srcdir)
    assert second.warnings == ""
    assert "unverified" not in second.html("patterns/a")


def test_a_page_read_again_keeps_the_verdicts_of_its_unchanged_citations(tmp_path, upstream, monkeypatch):
    repo, pin = upstream
    lines = ["Good {cite}`HTTPError <up:pkg/errors.py:6-7>`, bad {cite}`up:pkg/errors.py:99`."]
    srcdir, text = cite_project(tmp_path, repo, pin, lines)
    first = build(srcdir)
    calls = []
    real = Verifier.verify
    monkeypatch.setattr(Verifier, "verify", lambda self, t, *a, **k: calls.append(str(t)) or real(self, t, *a, **k))
    page_path = srcdir / "patterns" / "a.md"
    page_path.write_text(text.replace("## Why\n\n", "## Why\n\nReworded. ", 1))
    second = build(srcdir)
    assert calls == []  # read again, verified before: nothing to verify
    assert second.located() == first.located()  # the failure is reported again, at its line
    page_path.write_text(text.replace("up:pkg/errors.py:99", "up:pkg/errors.py:98"))
    third = build(srcdir)
    assert calls == ["up:pkg/errors.py:98"]
    assert "line 98 is past the end" in third.warnings
    # a new pin: every citation of the page read again is verified again, at the new commit
    (srcdir / "upstreams.toml").write_text(manifest_text("up", "0" * 40))
    page_path.write_text(text)
    calls.clear()
    fourth = build(srcdir)
    assert "pypatterns.commit_missing" in fourth.subtypes() and "line_out_of_range" not in fourth.warnings
    assert len(calls) == 2 and "pypatterns-cite verified" not in fourth.html("patterns/a")
