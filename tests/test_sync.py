"""`pypatterns sync`: offline sdists from a local --find-links folder, git mirrors, stdlib."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile

import pytest
from support.sdists import COMMIT, member, sdist_manifest
from support.upstreams import make_sdist, make_upstream, manifest_text

from sphinx_pypatterns import SyncError, Verifier, parse_manifest, parse_target, sync_upstreams
from sphinx_pypatterns._tools.cli import main
from sphinx_pypatterns._tools.sync import find_python, safe_extract


def test_sdist_sync_verifies_reruns_as_noop_and_reads(tmp_path, offline_index):
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": "def run():\n    return 1\n"})
    manifest = parse_manifest(sdist_manifest("demo", "1.0", sha))
    messages: list[str] = []
    root = tmp_path / "checkouts"
    (first,) = sync_upstreams(manifest, root, progress=messages.append)
    assert first.action == "materialised" and any("downloading sdist demo==1.0" in m for m in messages)
    folder = root / f"demo-{COMMIT}"
    marker = json.loads((folder / ".pypatterns-sync.json").read_text())
    assert marker["commit"] == COMMIT and marker["source"] == "sdist demo==1.0" and marker["kind"] == "tree"
    (second,) = sync_upstreams(manifest, root)
    assert second.action == "present"
    with Verifier(manifest, (str(root), {})) as verifier:
        assert verifier.verify(parse_target("demo:demo/core.py:2"), "run").ok


def test_split_release_mounts_each_sdist(tmp_path, offline_index):
    _, sha_a = make_sdist(offline_index, "parta", "1.0", {"a.py": "x = 1\n"})
    _, sha_b = make_sdist(offline_index, "partb", "1.0", {"b.py": "y = 2\n"})
    text = manifest_text(
        "split",
        COMMIT,
        (
            f'sdist = [{{ requirement = "parta==1.0", sha256 = "{sha_a}", mount = "a" }},'
            f' {{ requirement = "partb==1.0", sha256 = "{sha_b}", mount = "b" }}]\n'
        ),
    )
    sync_upstreams(parse_manifest(text), tmp_path / "c")
    folder = tmp_path / "c" / f"split-{COMMIT}"
    assert (folder / "a" / "a.py").read_text() == "x = 1\n" and (folder / "b" / "b.py").read_text() == "y = 2\n"


def test_tampered_sdist_is_refused_and_leaves_no_checkout(tmp_path, offline_index):
    make_sdist(offline_index, "demo", "1.0", {"demo/core.py": "x = 1\n"})
    manifest = parse_manifest(sdist_manifest("demo", "1.0", "0" * 64))
    with pytest.raises(SyncError) as err:
        sync_upstreams(manifest, tmp_path / "c")
    assert err.value.subtype == "sha_mismatch"
    assert "demo" in str(err.value) and "sdist" in str(err.value) and "sha256 mismatch" in str(err.value)
    assert list((tmp_path / "c").iterdir()) == []


@pytest.mark.parametrize(
    ("member", "why"),
    [
        (member("/etc/evil"), "absolute"),
        (member("demo-1.0/../../evil"), "'..'"),
        (member("demo-1.0/dev", tarfile.CHRTYPE), "device"),
        (member("demo-1.0/link", tarfile.SYMTYPE, link="/etc/passwd"), "refusing"),
        (member("demo-1.0/up", tarfile.SYMTYPE, link="../../outside"), "refusing"),
    ],
    ids=["absolute", "dotdot", "device", "abs-link", "escaping-link"],
)
def test_unsafe_tarballs_are_refused(tmp_path, member, why):
    path, _ = make_sdist(tmp_path / "dl", "demo", "1.0", {"demo/core.py": "x = 1\n"}, members=[member])
    with pytest.raises(SyncError) as err:
        safe_extract(path, tmp_path / "out")
    assert err.value.subtype == "unsafe_archive" and why in str(err.value)


def test_decompression_bomb_and_empty_tarball_are_refused(tmp_path):
    path, _ = make_sdist(tmp_path / "dl", "demo", "1.0", {"demo/big.py": "x" * 10_000})
    with pytest.raises(SyncError, match="more than 5000 bytes"):
        safe_extract(path, tmp_path / "out", max_bytes=5000)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(SyncError, match="empty"):
        safe_extract(empty, tmp_path / "out2")


def test_git_mirror_sync_reads_at_pin(tmp_path):
    repo, pin = make_upstream(tmp_path)
    manifest = parse_manifest(manifest_text("up", pin))
    (outcome,) = sync_upstreams(manifest, tmp_path / "c", mirrors={"up": str(repo)})
    assert outcome.source == f"git {repo}"
    with Verifier(manifest, (str(tmp_path / "c"), {})) as verifier:
        verdict = verifier.verify(parse_target("up:pkg/errors.py:6"), "HTTPError")
        assert verdict.ok and verdict.lines == ("class HTTPError(Exception):",)


def test_git_sync_of_absent_commit_names_upstream_source_and_cause(tmp_path):
    repo, _ = make_upstream(tmp_path)
    manifest = parse_manifest(manifest_text("up", "b" * 40))
    with pytest.raises(SyncError) as err:
        sync_upstreams(manifest, tmp_path / "c", mirrors={"up": str(repo)})
    assert err.value.subtype == "commit_missing"
    assert str(err.value).startswith("up: could not materialise: git (")
    assert [p.name for p in (tmp_path / "c").iterdir()] == []


def test_wrong_python_is_not_taken_as_the_stdlib(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python3.13"
    fake.write_text(f'#!/bin/sh\necho \'["3.13.9", "{tmp_path}"]\'\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    with pytest.raises(SyncError) as err:
        find_python("3.13.0")
    assert "python3.13 is 3.13.9" in str(err.value)


def test_stdlib_sync_of_the_running_python(tmp_path, monkeypatch):
    version = "%d.%d.%d" % sys.version_info[:3]
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    text = manifest_text("py", COMMIT, f'stdlib = {{ python = "{version}", mount = "Lib" }}\n')
    manifest = parse_manifest(text)
    sync_upstreams(manifest, tmp_path / "c")
    with Verifier(manifest, (str(tmp_path / "c"), {})) as verifier:
        verdict = verifier.verify(parse_target("py:Lib/keyword.py:1"))
        assert verdict.ok
        assert verifier.verify(parse_target("py:Lib/site-packages/x.py:1")).subtype == "missing_file"


def test_cli_sync_and_check(tmp_path, capsys):
    repo, pin = make_upstream(tmp_path)
    src = tmp_path / "proj"
    src.mkdir()
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    (src / "conf.py").write_text('pypatterns_manifest = "upstreams.toml"\npypatterns_require_anchor = True\n')
    (src / "a.md").write_text(
        "# A\n\nGood {cite}`HTTPError <up:pkg/errors.py:6-7>`.\n\nBad {cite}`up:pkg/errors.py:99`.\n"
    )
    assert main(["sync", str(src), "--mirror", f"up={repo}"]) == 0
    assert main(["sync", str(src)]) == 0
    assert "0 materialised, 1 already present" in capsys.readouterr().out
    assert main(["check", str(src)]) == 1
    out = capsys.readouterr().out
    assert "a.md:5: line_out_of_range" in out and "check: 2 citations, 1 failures" in out


def test_python_dash_m_runs_the_cli(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "sphinx_pypatterns", "new", "smell", "bare-raise", "--srcdir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "smells" / "bare-raise.md").read_text()
    for section in ("## Symptoms", "## Why it hurts", "## Instead", "## Evidence", ":::{smell}"):
        assert section in page
    again = subprocess.run(
        [sys.executable, "-m", "sphinx_pypatterns", "new", "smell", "bare-raise", "--srcdir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "not overwriting" in again.stderr
    assert (tmp_path / "smells" / "bare-raise.md").read_text() == page


def test_new_page_is_flagged_unfinished_until_filled_in(tmp_path):
    """Every placeholder of the template is one located ``unfinished`` warning (an unknown area
    for the area); the page builds clean once they are written. The template lists the areas."""
    import re

    from conftest import build, write_project

    write_project(tmp_path / "p", {}, 'pypatterns_areas = ["errors", "typing"]\n')
    assert main(["new", "pattern", "exception-root", "--srcdir", str(tmp_path / "p")]) == 0
    path = tmp_path / "p" / "patterns" / "exception-root.md"
    page = path.read_text()
    assert ":area: TODO: one of errors, typing\n" in page
    (tmp_path / "p" / "index.md").write_text("# I\n\n```{toctree}\npatterns/exception-root\n```\n")
    built = build(tmp_path / "p")
    lines = page.split("\n")
    placeholders = [i + 1 for i, line in enumerate(lines) if line == "TODO: write this section."]
    assert len(placeholders) == 7
    unfinished = [(w[0], w[1]) for w in built.located() if w[2] == "pypatterns.unfinished"]
    assert unfinished == [("patterns/exception-root.md", n) for n in placeholders] + [
        ("patterns/exception-root.md", 3)
    ], unfinished
    assert [w[2] for w in built.located() if w[2] != "pypatterns.unfinished"] == ["pypatterns.unknown_area"]
    page = page.replace("TODO: one of errors, typing", "errors")
    page = page.replace("TODO: one sentence, at most 30 words.", "Derive every error from one root.")
    path.write_text(re.sub(r"TODO: write this section\.", "Written.", page))
    assert build(tmp_path / "p").warnings == ""


def test_new_source_note_needs_its_upstream_pinned(tmp_path, capsys):
    from conftest import write_project

    write_project(tmp_path / "p", {}, 'pypatterns_manifest = "upstreams.toml"\n')
    (tmp_path / "p" / "upstreams.toml").write_text(manifest_text("requests", "a" * 40))
    assert main(["new", "source-note", "requets", "--srcdir", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "'requets' is not an upstream of the manifest upstreams.toml (did you mean 'requests'?)" in err
    assert not (tmp_path / "p" / "sources").exists()
    assert main(["new", "source-note", "requests", "--srcdir", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "sources" / "requests.md").is_file()


def _check_project(tmp_path, repo, pin, checkouts: str = ""):
    src = tmp_path / "proj"
    src.mkdir(parents=True, exist_ok=True)
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    conf = 'pypatterns_manifest = "upstreams.toml"\npypatterns_require_anchor = True\n'
    (src / "conf.py").write_text(conf + (f"pypatterns_checkouts = {checkouts!r}\n" if checkouts else ""))
    (src / "a.md").write_text(
        "# A\n\nGood {cite}`HTTPError <up:pkg/errors.py:6-7>`.\n\nBad {cite}`up:pkg/errors.py:99`.\n"
        "\nMalformed {cite}`up:pkg/errors.py`.\n"
    )
    return src


def _lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if not line.startswith("check:")]


def test_warm_check_reads_the_cache_and_says_the_same(tmp_path, capsys, monkeypatch):
    repo, pin = make_upstream(tmp_path)
    src = _check_project(tmp_path, repo, pin, f"up={repo}")
    assert main(["check", str(src)]) == 1
    cold = capsys.readouterr().out
    assert (src / ".pypatterns/check-cache.json").is_file()
    calls = []
    real = Verifier.verify
    monkeypatch.setattr(Verifier, "verify", lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    assert main(["check", str(src)]) == 1
    warm = capsys.readouterr().out
    assert calls == [] and _lines(warm) == _lines(cold)
    assert "a.md:5: line_out_of_range" in warm and "a.md:7: bad_target" in warm
    # a new pin empties the cache: the same lines are now read at another commit
    (src / "upstreams.toml").write_text(manifest_text("up", "0" * 40))
    assert main(["check", str(src)]) == 1
    assert calls and "commit_missing" in capsys.readouterr().out


def test_warm_check_skips_unchanged_pages_and_rescans_an_edited_one(tmp_path, capsys, monkeypatch):
    import sphinx_pypatterns._tools.cli as cli

    repo, pin = make_upstream(tmp_path)
    src = _check_project(tmp_path, repo, pin, f"up={repo}")
    (src / "b.md").write_text("# B\n\nAlso {cite}`up:pkg/errors.py:98`.\n")
    assert main(["check", str(src)]) == 1
    cold = capsys.readouterr().out
    scanned, verified = [], []
    real_scan, real_verify = cli.scan_page, Verifier.verify
    monkeypatch.setattr(cli, "scan_page", lambda rel, text, **k: scanned.append(rel) or real_scan(rel, text, **k))
    monkeypatch.setattr(Verifier, "verify", lambda self, *a, **k: verified.append(a) or real_verify(self, *a, **k))
    assert main(["check", str(src)]) == 1
    assert scanned == [] and verified == [] and _lines(capsys.readouterr().out) == _lines(cold)
    # one line inserted above the citations of a.md: a.md alone is scanned again, its
    # failures move down a line, and its verdicts still come from the cache
    (src / "a.md").write_text((src / "a.md").read_text().replace("# A\n", "# A\n\nNew prose.\n", 1))
    assert main(["check", str(src)]) == 1
    warm = capsys.readouterr().out
    assert [str(s) for s in scanned] == ["a.md"] and verified == []
    assert "a.md:7: line_out_of_range" in warm and "a.md:9: bad_target" in warm
    assert "b.md:3: line_out_of_range" in warm
    assert "check: 4 citations, 3 failures" in warm


def test_no_cache_for_a_plain_folder_or_a_corrupt_file(tmp_path, capsys):
    repo, pin = make_upstream(tmp_path)
    tree = tmp_path / "tree"
    shutil.copytree(repo, tree, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    src = _check_project(tmp_path, repo, pin, f"up={tree}")
    main(["check", str(src)])
    assert not (src / ".pypatterns/check-cache.json").exists()  # a folder changed in the last two seconds is not cached
    src2 = _check_project(tmp_path / "b", repo, pin, f"up={repo}")
    (src2 / ".pypatterns").mkdir()
    (src2 / ".pypatterns/check-cache.json").write_text("{not json")
    assert main(["check", str(src2)]) == 1
    assert "a.md:5: line_out_of_range" in capsys.readouterr().out
    assert main(["check", str(src2), "--no-cache"]) == 1
