"""The background verifier: a real subprocess verifies while Sphinx reads, and never changes a result."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import build, default_body, page, write_project
from support.upstreams import make_upstream, manifest_text

import sphinx_pypatterns._sphinx.setup as extension
from sphinx_pypatterns._core.verify import Verifier
from sphinx_pypatterns._tools.background import BackgroundVerifier

# every verdict the verifier gives, spread over more pages than the background verifier needs to start
CITATIONS = [
    "Good {cite}`HTTPError <up:pkg/errors.py:6-7>` and {cite}`up:README.md:3`.",
    "Past the end {cite}`up:pkg/errors.py:99`.",
    "Unknown {cite}`Nope <up:pkg/errors.py:6>`.",
    "Mismatch {cite}`RequestError <up:pkg/errors.py:6>`.",
    "Missing {cite}`up:pkg/gone.py:1`.",
    "Binary {cite}`up:pkg/data.bin:1`.",
    "Latin-1 {cite}`up:pkg/latin1.py:1`.",
    "Unparsable {cite}`f <up:pkg/broken.py:1>`.",
    "Escaping {cite}`up:pkg/escape.py:1`.",
    "Loop {cite}`up:pkg/loop-a.py:1`.",
    "Not pinned {cite}`other:x.py:1`.",
    "Malformed {cite}`up:pkg/errors.py`.",
    ":::{cite} up:pkg/errors.py:9-11\n:symbol: HTTPError.__init__\n\nThe constructor.\n:::",
    ":::{cite} up:pkg/errors.py:99\n:::",
    "Again {cite}`HTTPError <up:pkg/errors.py:6-7>`, the same citation on another page.",
]
PAGES = 20


def _project(tmp_path: Path, name: str, conf: str = "") -> Path:
    repo, pin = make_upstream(tmp_path / f"{name}-up")
    files: dict[str, str | bytes] = {}
    for i in range(PAGES):
        lines = CITATIONS[i % len(CITATIONS)]
        body = default_body("pattern").replace("Text for evidence.\n", lines + "\n")
        files[f"patterns/p{i:02d}.md"] = page("pattern", f"p{i:02d}", body=body)
    srcdir = tmp_path / name
    write_project(
        srcdir, files, f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n' + conf
    )
    (srcdir / "upstreams.toml").write_text(manifest_text("up", pin))
    return srcdir


@pytest.fixture
def counted(monkeypatch):
    """Counts the build process's own verifications and the background verifiers it starts; lets one start here."""
    calls: dict[str, list[object]] = {"verify": [], "started": []}
    real_verify, real_start = Verifier.verify, BackgroundVerifier.start.__func__  # type: ignore[attr-defined]

    def verify(self, *args, **kwargs):
        calls["verify"].append(args)
        return real_verify(self, *args, **kwargs)

    def start(cls, **kwargs):
        background = real_start(cls, **kwargs)
        calls["started"].append(background)
        return background

    monkeypatch.setattr(Verifier, "verify", verify)
    monkeypatch.setattr(BackgroundVerifier, "start", classmethod(start))
    monkeypatch.setattr(extension, "cpus_available", lambda: 2)
    return calls


def _outputs(built) -> dict[str, bytes]:
    out = Path(built.app.outdir)
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".json", ".txt") and not p.name.startswith("searchindex")
    }


def test_the_helper_verifies_everything_and_the_output_is_the_same(tmp_path, counted):
    ours = build(_project(tmp_path, "background"))
    assert len(counted["started"]) == 1 and counted["started"][0] is not None
    assert counted["verify"] == []  # the build process verified nothing itself
    counted["started"].clear()
    alone = build(_project(tmp_path, "alone", "pypatterns_background_verify = False\n"))
    assert counted["started"] == [] and len(counted["verify"]) >= 12
    assert ours.located() == alone.located()
    subtypes = {w[2] for w in ours.located()}
    for subtype in ("line_out_of_range", "unknown_symbol", "anchor_mismatch", "missing_file", "binary_file"):
        assert f"pypatterns.{subtype}" in subtypes
    mine, theirs = _outputs(ours), _outputs(alone)
    assert mine.keys() == theirs.keys() and "evidence.json" in mine
    for name in mine:
        assert mine[name] == theirs[name], name
    # the excerpt of the cite directive came from the background verifier
    assert '<span class="nb">super</span>' in ours.html("patterns/p12")


def test_a_helper_that_takes_its_time_to_exit_is_waited_for(tmp_path, counted, monkeypatch):
    # the real background verifier, ending slowly after its answer (as a big one does: teardown takes time)
    slow = "import sys, time; from sphinx_pypatterns._tools.background import main; main(); sys.stdout.flush(); time.sleep(1)"
    real_start = BackgroundVerifier.start
    monkeypatch.setattr(
        BackgroundVerifier, "start", lambda **kw: real_start(**kw, command=[sys.executable, "-c", slow])
    )
    built = build(_project(tmp_path, "slow"), verbosity=1)
    assert counted["verify"] == []  # every verdict came from the background verifier
    assert "background verifier failed" not in built.status


# a row that says a failing citation (line 99 of a 15-line file) is verified: taken, it would show
LIE = "print(%r); " % '["up", "pkg/errors.py", 99, 99, "", true, "", "", null]'
DONE = "print(%r)" % '"done"'


INCOMPLETE = "no complete, well-formed answer"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (LIE + DONE + "; import sys; sys.exit(1)", "exit status 1"),
        (LIE, INCOMPLETE),
        (LIE + "print('not json'); " + DONE, INCOMPLETE),
        (LIE + "print('[1, 2]'); " + DONE, INCOMPLETE),
        ("import time; time.sleep(0.5)", INCOMPLETE),
    ],
    ids=["exits-with-error", "unfinished", "garbage", "short-row", "silent"],
)
def test_a_failing_helper_changes_nothing(tmp_path, counted, monkeypatch, script, reason):
    real_start = BackgroundVerifier.start

    def broken(**kwargs):
        return real_start(**kwargs, command=[sys.executable, "-c", script])

    monkeypatch.setattr(BackgroundVerifier, "start", broken)
    ours = build(_project(tmp_path, "broken"), verbosity=1)
    alone = build(_project(tmp_path, "alone", "pypatterns_background_verify = False\n"))
    assert ours.located() == alone.located()
    assert _outputs(ours) == _outputs(alone)
    assert f"the background verifier failed ({reason})" in ours.status  # said with -v, never a warning
    assert len(counted["verify"]) >= 12


def test_a_citation_the_helper_cannot_see_is_verified_in_the_build(tmp_path, counted):
    srcdir = _project(tmp_path, "include", 'exclude_patterns = ["_build", "fragments"]\n')
    (srcdir / "fragments").mkdir()
    (srcdir / "fragments" / "cited.md").write_text("Included {cite}`up:pkg/errors.py:98`.\n")
    target = srcdir / "patterns" / "p00.md"
    target.write_text(target.read_text() + "\n```{include} ../fragments/cited.md\n```\n")
    built = build(srcdir)
    assert len(counted["started"]) == 1
    assert [call[0].start for call in counted["verify"]] == [98]  # only the included one
    assert any(w[2] == "pypatterns.line_out_of_range" and "98" in w[3] for w in built.located())


def test_no_helper_for_a_small_rebuild_or_when_turned_off(tmp_path, counted):
    srcdir = _project(tmp_path, "small")
    build(srcdir)
    assert len(counted["started"]) == 1
    target = srcdir / "patterns" / "p00.md"
    target.write_text(target.read_text().replace("## What\n\n", "## What\n\nReworded. ", 1))
    build(srcdir)  # one page read: verifying it here is quicker than starting a background verifier
    assert len(counted["started"]) == 1
    off = _project(tmp_path, "off", "pypatterns_background_verify = False\n")
    build(off)
    assert len(counted["started"]) == 1


def _background(tmp_path: Path, script: str) -> BackgroundVerifier | None:
    return BackgroundVerifier.start(
        manifest=tmp_path / "m.toml",
        checkouts=(str(tmp_path), {}),
        max_bytes=1000,
        require_anchor=False,
        keep_all_lines=False,
        pages=[],
        command=[sys.executable, "-c", script],
    )


def test_close_ends_a_running_helper_and_results_wait_for_it(tmp_path):
    background = _background(tmp_path, "import time; time.sleep(60)")
    assert background is not None
    proc = background._proc
    start = time.monotonic()
    background.close()
    assert proc is not None and proc.returncode is not None and time.monotonic() - start < 5
    assert background.results() == {}  # ended: nothing to wait for
    quick = _background(tmp_path, "print('\"done\"')")
    assert quick is not None and quick.results() == {}
    assert quick._proc is None
