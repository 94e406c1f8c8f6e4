"""The symbol cache: spans kept on disk by the text they come from, read back instead of parsing."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import build
from support.upstreams import cited_project, make_upstream, manifest_text

from sphinx_pypatterns import CitationTarget, Verifier, parse_manifest
from sphinx_pypatterns._core import verify as verify_module
from sphinx_pypatterns._core.symbol_cache import SymbolCache

CITES = [
    (CitationTarget("up", "pkg/errors.py", 6, 11), "HTTPError"),
    (CitationTarget("up", "pkg/errors.py", 6, 6), "HTTPError"),
    (CitationTarget("up", "pkg/errors.py", 1, 2), "HTTPError"),
    (CitationTarget("up", "pkg/errors.py", 6, 11), "NoSuchName"),
    (CitationTarget("up", "pkg/broken.py", 1, 1), "f"),
]


@pytest.fixture
def parses(monkeypatch):
    """Counts the files that are really parsed."""
    calls: list[str] = []
    real = verify_module.symbol_table

    def counted(text: str, *, filename: str, python_hint: str = "") -> dict[str, list[tuple[int, int]]]:
        calls.append(filename)
        return real(text, filename=filename, python_hint=python_hint)

    monkeypatch.setattr(verify_module, "symbol_table", counted)
    return calls


def _verdicts(repo, pin, folder):
    manifest = parse_manifest(manifest_text("up", pin))
    with Verifier(manifest, ("/nonexistent", {"up": str(repo)}), symbol_cache=SymbolCache(folder)) as verifier:
        return [verifier.verify(t, s) for t, s in CITES]


def test_a_second_verifier_reads_the_spans_instead_of_parsing(tmp_path, parses):
    repo, pin = make_upstream(tmp_path)
    folder = tmp_path / "symbols"
    first = _verdicts(repo, pin, folder)
    assert sorted(parses) == ["pkg/broken.py", "pkg/errors.py"]
    parses.clear()
    again = _verdicts(repo, pin, folder)
    assert again == first
    assert parses == ["pkg/broken.py"]  # a file Python cannot parse is never kept: its reason is computed again
    assert [v.subtype for v in first] == ["", "", "anchor_mismatch", "unknown_symbol", "unparsable"]
    assert _verdicts(repo, pin, None) == first  # and the same verdicts without any cache


def test_an_entry_that_is_not_well_formed_is_computed_again(tmp_path, parses):
    repo, pin = make_upstream(tmp_path)
    folder = tmp_path / "symbols"
    first = _verdicts(repo, pin, folder)
    (entry,) = list(folder.rglob("*.json"))
    for bad in ("not json", json.dumps({"HTTPError": [[6]]}), json.dumps([1, 2]), json.dumps({"X": [[True, 2]]})):
        entry.write_text(bad)
        parses.clear()
        assert _verdicts(repo, pin, folder) == first
        assert "pkg/errors.py" in parses
        assert json.loads(entry.read_text())["HTTPError"] == [[6, 11]]  # written again, well-formed


def test_a_folder_that_cannot_be_written_only_costs_speed(tmp_path, parses):
    repo, pin = make_upstream(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    first = _verdicts(repo, pin, blocker / "symbols")
    assert _verdicts(repo, pin, None) == first
    assert blocker.read_text().startswith("a file")


def test_the_build_keeps_the_spans_and_a_clean_build_reads_them(tmp_path, parses):
    src, _, _ = cited_project(
        tmp_path, "# P\n\nSee {cite}`HTTPError <up:pkg/errors.py:6-11>` and {cite}`HTTPError <up:pkg/errors.py:6-7>`.\n"
    )
    first = build(src, freshenv=True)
    assert parses == ["pkg/errors.py"]
    assert list((src / ".pypatterns" / "symbols").rglob("*.json"))
    html = first.html("p")
    shutil.rmtree(src / "_build")
    parses.clear()
    second = build(src, freshenv=True)
    assert parses == []
    assert second.html("p") == html and second.warnings == first.warnings


def test_many_files_parse_in_worker_processes_with_the_same_verdicts(tmp_path, monkeypatch, parses):
    """verify_many(workers=2) parses in spawned workers, a few files ahead: the verdicts equal the
    serial ones, for good files, a file Python cannot parse, a missing file, a text file, and a
    file two upstreams share (parsed once); a warm symbol cache starts no worker."""
    from conftest import make_repo

    from sphinx_pypatterns._core.verify import CitationKey, verify_many

    files: dict[str, str | bytes | None] = {
        f"pkg/m{i:02d}.py": f"import os\n\n\nclass C{i}:\n    def run(self):\n        return {i}\n" for i in range(40)
    }
    files["pkg/broken.py"] = "def f(:\n    pass\n"
    files["README.txt"] = "C1 is a class\n"
    (pin,) = make_repo(tmp_path / "repo", [files])
    manifest = parse_manifest(manifest_text("up", pin) + "\n" + manifest_text("two", pin))
    spec = ("/nonexistent", {"up": str(tmp_path / "repo"), "two": str(tmp_path / "repo")})
    keys = [CitationKey("up", f"pkg/m{i:02d}.py", 4, 6, f"C{i}") for i in range(40)]
    keys += [CitationKey("two", "pkg/m07.py", 5, 6, "C7.run"), CitationKey("two", "pkg/m07.py", 1, 1, "C7")]
    keys += [CitationKey("up", "pkg/broken.py", 1, 2, "f"), CitationKey("up", "pkg/gone.py", 1, 1, "g")]
    keys += [CitationKey("up", "README.txt", 1, 1, "C1"), CitationKey("up", "pkg/m03.py", 4, 5, "C3.nope")]
    submitted: list[str] = []
    real = verify_module.ParsePool.submit
    monkeypatch.setattr(
        verify_module.ParsePool,
        "submit",
        lambda self, text, name, hint: submitted.append(name) or real(self, text, name, hint),
    )

    def run(workers: int, folder: object) -> dict[CitationKey, object]:
        with Verifier(manifest, spec, max_files=16, symbol_cache=SymbolCache(folder)) as verifier:
            return dict(verify_many(verifier, keys, require_anchor=True, workers=workers))

    serial = run(1, None)
    assert submitted == [] and len(parses) == 41
    parses.clear()
    parallel = run(2, tmp_path / "symbols")
    assert parallel == serial
    assert parses == []  # all in the workers
    assert sorted(submitted) == sorted([f"pkg/m{i:02d}.py" for i in range(40)] + ["pkg/broken.py"])
    assert [serial[k].subtype for k in keys[-4:]] == ["unparsable", "missing_file", "", "unknown_symbol"]
    assert serial[keys[41]].subtype == "anchor_mismatch" and serial[keys[40]].ok
    submitted.clear()
    assert run(2, tmp_path / "symbols") == serial
    assert submitted == ["pkg/broken.py"]  # never kept: Python's reason is computed again
