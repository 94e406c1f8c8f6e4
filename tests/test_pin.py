"""What proves an sdist pin's commit (sync, sync --verify), and `pypatterns pin` writing one."""

from __future__ import annotations

import json

import pytest
from conftest import build, make_repo, write_project
from support.sdists import COMMIT, UNEXPANDED_ARCHIVAL, archival, sdist_files, sdist_pin
from support.upstreams import make_sdist

from sphinx_pypatterns import SyncError, parse_manifest, sync_upstreams
from sphinx_pypatterns._tools.cli import main

CORE = "def run():\n    return 1\n"
ATTESTATION = ".pypatterns-attestation.json"
PYPROJECT_SCM = (
    '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
    '[tool.setuptools_scm]\nversion_file = "demo/_version.py"\n'
)


def _sync(manifest_text: str, root, **kwargs):
    messages: list[str] = []
    outcomes = sync_upstreams(parse_manifest(manifest_text), root, progress=messages.append, **kwargs)
    return outcomes, "\n".join(messages)


def _attestation(root, name: str, commit: str = COMMIT) -> dict[str, object]:
    return json.loads((root / f"{name}-{commit}" / ATTESTATION).read_text())


# -- attestation at sync -----------------------------------------------------------------------


def test_matching_git_archival_attests_the_commit(tmp_path, offline_index):
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, ".git_archival.txt": archival(COMMIT)})
    (outcome,), said = _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    assert outcome.action == "materialised"
    assert "(sha256 ok)" in said and "demo: commit attested by .git_archival.txt" in said
    record = _attestation(tmp_path / "c", "demo")
    assert record == {
        "commit": COMMIT, "attested": True, "by": [".git_archival.txt"], "tree_verified": False,
        "words": "commit attested by .git_archival.txt",
    }  # fmt: skip


def test_mismatching_git_archival_is_a_sync_error_naming_both_commits(tmp_path, offline_index):
    other = "b" * 40
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, ".git_archival.txt": archival(other)})
    text = sdist_pin("demo", "1.0", sha, COMMIT, git_source=str(tmp_path / "no-such-repo"))
    with pytest.raises(SyncError) as err:
        _sync(text, tmp_path / "c")
    assert err.value.subtype == "commit_mismatch"
    message = str(err.value)
    assert message.startswith("demo: sdist (demo==1.0): ") and ".git_archival.txt" in message
    assert other in message and COMMIT in message
    assert list((tmp_path / "c").iterdir()) == []  # no checkout, and the git source was not tried instead


@pytest.mark.parametrize(
    "files",
    [{}, {".git_archival.txt": UNEXPANDED_ARCHIVAL}],
    ids=["no-archival", "unexpanded-archival"],
)
def test_an_sdist_recording_no_commit_leaves_it_unattested(tmp_path, offline_index, files):
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, **files})
    _, said = _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    assert "demo: commit unattested (the sdist records no commit)" in said
    assert _attestation(tmp_path / "c", "demo")["attested"] is False
    # a second run finds the checkout and its attestation and says so
    (again,), said = _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    assert again.action == "present" and "nothing to do; commit unattested (the sdist records no commit)" in said


def test_version_file_commit_id_attests_abbreviated_and_refuses_another(tmp_path, offline_index):
    version = "__version__ = version = '1.0'\n__commit_id__ = commit_id = 'g{}'\n"
    files = {"pyproject.toml": PYPROJECT_SCM, "demo/core.py": CORE, "demo/_version.py": version.format(COMMIT[:9])}
    _, sha = make_sdist(offline_index, "demo", "1.0", files)
    _, said = _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    assert f"commit attested by demo/_version.py (abbreviated: {COMMIT[:9]})" in said
    files["demo/_version.py"] = version.format("bbbbbbb")
    _, sha = make_sdist(offline_index, "demo", "2.0", files)
    with pytest.raises(SyncError, match=r"demo/_version.py records commit bbbbbbb, but the manifest pins a{40}"):
        _sync(sdist_pin("demo", "2.0", sha, COMMIT), tmp_path / "c2")


def test_a_checkout_synced_before_attestations_is_made_again(tmp_path, offline_index):
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, ".git_archival.txt": archival(COMMIT)})
    _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    (tmp_path / "c" / f"demo-{COMMIT}" / ATTESTATION).unlink()
    (outcome,), _ = _sync(sdist_pin("demo", "1.0", sha, COMMIT), tmp_path / "c")
    assert outcome.action == "materialised" and _attestation(tmp_path / "c", "demo")["attested"] is True


# -- sync --verify against a git source --------------------------------------------------------


def _sdist_and_repo(tmp_path, links, changed: dict[str, str | None]) -> tuple[str, list[str]]:
    """An sdist of demo 1.0 (sha256 returned) and a repository whose first commit holds its files
    (but PKG-INFO, which sdists write) and whose second commit changes ``changed``."""
    archive, sha = make_sdist(links, "demo", "1.0", {"demo/core.py": CORE, "demo/util.py": "X = 1\n"})
    files: dict[str, str | bytes | None] = dict(sdist_files(archive))
    del files["PKG-INFO"]
    return sha, make_repo(tmp_path / "repo", [files, dict(changed)])


def test_verify_attests_a_commit_whose_tree_equals_the_sdist(tmp_path, offline_index, capsys):
    sha, (equal, _) = _sdist_and_repo(tmp_path, offline_index, {"demo/core.py": "changed = True\n"})
    src = tmp_path / "proj"
    manifest = sdist_pin("demo", "1.0", sha, equal, str(tmp_path / "repo"))
    write_project(src, {"upstreams.toml": manifest}, 'pypatterns_manifest = "upstreams.toml"\n')
    assert main(["sync", str(src)]) == 0
    assert "commit unattested (the sdist records no commit)" in capsys.readouterr().err
    assert main(["sync", str(src), "--verify"]) == 0  # verify makes an unverified checkout again
    err = capsys.readouterr().err
    assert "demo: commit attested by the git tree at the commit (sync --verify)" in err
    record = json.loads((src / ".pypatterns" / "checkouts" / f"demo-{equal}" / ATTESTATION).read_text())
    assert record["tree_verified"] is True
    assert str(tmp_path) not in record["words"]  # type: ignore[operator]
    assert main(["sync", str(src), "--verify"]) == 0
    assert "1 already present" in capsys.readouterr().out


def test_verify_names_the_files_that_differ_from_the_tree(tmp_path, offline_index):
    sha, (_, changed) = _sdist_and_repo(tmp_path, offline_index, {"demo/core.py": "changed = True\n"})
    text = sdist_pin("demo", "1.0", sha, changed, str(tmp_path / "repo"))
    with pytest.raises(SyncError) as err:
        _sync(text, tmp_path / "c", verify=True)
    assert err.value.subtype == "tree_mismatch"
    assert "in 1 file(s): demo/core.py (differs)" in str(err.value) and changed in str(err.value)
    assert list((tmp_path / "c").iterdir()) == []


def test_verify_names_an_sdist_file_the_tree_lacks_and_skips_generated_ones(tmp_path, offline_index):
    sha, (_, removed) = _sdist_and_repo(tmp_path, offline_index, {"demo/util.py": None})
    with pytest.raises(SyncError, match=r"in 1 file\(s\): demo/util.py \(absent from the tree\)$"):
        _sync(sdist_pin("demo", "1.0", sha, removed, str(tmp_path / "repo")), tmp_path / "c", verify=True)


def test_verify_with_an_unreachable_git_source_leaves_the_commit_unattested(tmp_path, offline_index):
    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE})
    text = sdist_pin("demo", "1.0", sha, COMMIT, str(tmp_path / "no-such-repo"))
    _, said = _sync(text, tmp_path / "c", verify=True)
    assert "the git source could not be reached" in said
    assert "commit unattested (the sdist records no commit, and its git source could not be reached)" in said


# -- what the build shows ----------------------------------------------------------------------


def test_pin_table_and_evidence_json_say_what_attests_each_commit(tmp_path, offline_index):
    _, sha_a = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, ".git_archival.txt": archival(COMMIT)})
    _, sha_b = make_sdist(offline_index, "plain", "1.0", {"plain/core.py": CORE})
    manifest = sdist_pin("demo", "1.0", sha_a, COMMIT) + "\n" + sdist_pin("plain", "1.0", sha_b, COMMIT)
    src = tmp_path / "proj"
    files = {"pins.md": "# Pins\n\n:::{pin-table}\n:::\n", "upstreams.toml": manifest}
    write_project(src, files, 'pypatterns_manifest = "upstreams.toml"\n')
    assert main(["sync", str(src)]) == 0
    built = build(src)
    assert built.warnings == ""
    table = built.html("pins")
    assert "sdist demo==1.0 (sha256 checked); commit attested by .git_archival.txt" in table
    assert "sdist plain==1.0 (sha256 checked); <em>commit unattested (the sdist records no commit)</em>" in table
    data = json.loads((built.app.outdir / "evidence.json").read_text())
    assert data["checkouts"] == {
        "demo": {
            "origin": "sdist demo==1.0 (sha256 checked)", "attested": True,
            "attestation": "commit attested by .git_archival.txt",
        },
        "plain": {
            "origin": "sdist plain==1.0 (sha256 checked)", "attested": False,
            "attestation": "commit unattested (the sdist records no commit)",
        },
    }  # fmt: skip


# -- pypatterns pin ----------------------------------------------------------------------------

PKG_INFO = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\n"
EXISTING = b"# Pins of the project.\n[other]\nrepository = 'https://example.invalid/other'\ntag = 'v1'\n" + (
    b"commit = '" + b"c" * 40 + b"'\nlicense = 'MIT'"  # no newline at the end: it stays as it was
)


def _pin_project(tmp_path):
    src = tmp_path / "proj"
    write_project(src, {"upstreams.toml": EXISTING}, 'pypatterns_manifest = "upstreams.toml"\n')
    return src


def test_pin_appends_a_table_that_parses_and_syncs(tmp_path, offline_index, capsys):
    files = {"demo/core.py": CORE, ".git_archival.txt": archival(COMMIT), "PKG-INFO": PKG_INFO}
    _, sha = make_sdist(offline_index, "demo", "1.0", files)
    src = _pin_project(tmp_path)
    assert main(["pin", "demo==1.0", str(src), "--repository", "https://example.invalid/demo"]) == 0
    out = capsys.readouterr().out
    assert "sha256 of demo-1.0.tar.gz computed, commit attested by .git_archival.txt" in out
    raw = (src / "upstreams.toml").read_bytes()
    assert raw.startswith(EXISTING + b"\n\n[demo]\n")
    demo = parse_manifest(raw.decode()).upstreams["demo"]
    assert (demo.commit, demo.tag, demo.license, demo.repository) == (
        COMMIT, "1.0", "MIT OR Apache-2.0", "https://example.invalid/demo",
    )  # fmt: skip
    assert [(s.requirement, s.sha256) for s in demo.sdists] == [("demo==1.0", sha)]
    assert main(["sync", str(src), "--upstream", "demo"]) == 0
    assert "demo: commit attested by .git_archival.txt" in capsys.readouterr().err
    # the name is pinned now: a second pin is refused and writes nothing
    assert main(["pin", "demo==1.0", str(src), "--repository", "https://example.invalid/demo"]) == 1
    assert "already pins 'demo'" in capsys.readouterr().err and (src / "upstreams.toml").read_bytes() == raw


def test_pin_of_an_sdist_recording_no_commit_needs_commit(tmp_path, offline_index, capsys):
    make_sdist(offline_index, "demo", "1.0", {"demo/core.py": CORE, ".git_archival.txt": UNEXPANDED_ARCHIVAL})
    src = _pin_project(tmp_path)
    args = ["pin", "demo==1.0", str(src), "--repository", "https://example.invalid/demo", "--license", "MIT"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "records no commit: give --commit SHA" in err and "nothing was written" in err
    assert (src / "upstreams.toml").read_bytes() == EXISTING
    assert main([*args, "--commit", COMMIT, "--tag", "v1.0", "--git", str(tmp_path / "repo")]) == 0
    assert "commit unattested (the sdist records no commit" in capsys.readouterr().out
    demo = parse_manifest((src / "upstreams.toml").read_text()).upstreams["demo"]
    assert (demo.commit, demo.tag, demo.license, demo.git) == (COMMIT, "v1.0", "MIT", str(tmp_path / "repo"))


def test_pin_refuses_a_commit_the_sdist_contradicts(tmp_path, offline_index, capsys):
    make_sdist(
        offline_index,
        "demo",
        "1.0",
        {"demo/core.py": CORE, ".git_archival.txt": archival(COMMIT), "PKG-INFO": PKG_INFO},
    )
    src = _pin_project(tmp_path)
    args = ["pin", "demo==1.0", str(src), "--repository", "https://example.invalid/demo", "--commit", "b" * 40]
    assert main(args) == 1
    assert f".git_archival.txt records commit {COMMIT}, not the --commit {'b' * 40}" in capsys.readouterr().err
    assert (src / "upstreams.toml").read_bytes() == EXISTING
