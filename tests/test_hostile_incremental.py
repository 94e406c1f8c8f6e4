"""Hostile inputs, incremental must equal clean: manifest and checkout changes between builds.

Each case builds a project, changes what the build reads outside its pages (the manifest, a
plain-folder checkout edited in place, a git checkout that receives the pinned commit), builds
again incrementally and compares the HTML, ``evidence.json`` and the warnings with a clean build
of the same sources. The random edit sequences of ``test_reliability`` are extended here with
these edits.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from conftest import Built, build, git, make_repo, page, write_project
from support import incremental
from support.evidence_project import evidence_files, write_evidence_project
from support.upstreams import ERRORS_V1, ERRORS_V2, make_upstream, manifest_text

from sphinx_pypatterns._core import checkouts as _checkouts
from sphinx_pypatterns._core import files as _files
from sphinx_pypatterns._core.verify import Verifier
from sphinx_pypatterns._tools.cli import main

# the cited lines 6-11 keep their shape (and the symbol its span), their text changes
ERRORS_V1_EDITED = ERRORS_V1.replace('"""Base class."""', '"""Root class."""')
assert len(ERRORS_V1_EDITED) == len(ERRORS_V1)


def assert_same_warnings(again: Built, fresh: Built) -> None:
    assert sorted(set(again.located())) == sorted(set(fresh.located())), (again.warnings, fresh.warnings)


def located(built: Built) -> list[tuple[str, int, str]]:
    return sorted((path, line, typ) for path, line, typ, _ in built.located())


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.split("\n")) if needle in line)


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test are not 'just modified' (the build trusts their stamps at once);
    edits then wait a few clock ticks so that their times differ."""
    monkeypatch.setattr(_files, "RACY_NS", 0, raising=False)


def tick() -> None:
    time.sleep(0.05)  # more than the file system's time granularity (a kernel tick)


NEW_CITE = "{cite}`HTTPError <new:pkg/errors.py:6-11>`"
UP_CITE = "{cite}`RequestError <up:pkg/errors.py:14-15>`"


def _two_upstream_project(tmp_path: Path, with_new: bool) -> tuple[Path, str, str]:
    """Pages citing ``up`` and ``new`` (both checkouts named in conf.py); the manifest pins ``new`` or not."""
    repo, pin = make_upstream(tmp_path)
    src = tmp_path / "inc"
    text = page("pattern", "exception-root").replace("Text for evidence.", f"Evidence: {NEW_CITE} and {UP_CITE}.")
    files: dict[str, str | bytes] = {
        "patterns/a.md": text,
        "patterns/b.md": page("pattern", "other-one").replace("Text for evidence.", f"Only {UP_CITE}."),
        "sources/new.md": page("source-note", "new"),
        "pins.md": "# Pins\n\n:::{pin-table}\n:::\n",
    }
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}", "new={repo}"]\n'
    write_project(src, files, conf)
    manifest = manifest_text("up", pin) + ("\n" + manifest_text("new", pin) if with_new else "")
    (src / "upstreams.toml").write_text(manifest)
    return src, pin, text


def test_an_upstream_added_to_the_manifest_verifies_its_citations(tmp_path):
    src, pin, text = _two_upstream_project(tmp_path, with_new=False)
    first = build(src)
    assert located(first) == [
        ("patterns/a.md", line_of(text, "Evidence:"), "pypatterns.unknown_upstream"),
        ("sources/new.md", 3, "pypatterns.unknown_upstream"),
    ]
    (src / "upstreams.toml").write_text(manifest_text("up", pin) + "\n" + manifest_text("new", pin))
    again, fresh = incremental.compare_with_clean(src, tmp_path, "added")
    assert_same_warnings(again, fresh)
    assert again.warnings == ""
    html = again.html("patterns/a")
    assert "unverified" not in html and f"https://example.invalid/new/blob/{pin}/pkg/errors.py#L6-L11" in html
    assert "new (all files)" in (again.app.outdir / "pp-evidence.html").read_text()


def test_an_upstream_removed_from_the_manifest_is_unknown(tmp_path):
    src, pin, text = _two_upstream_project(tmp_path, with_new=True)
    assert build(src).warnings == ""
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    again, fresh = incremental.compare_with_clean(src, tmp_path, "removed")
    assert_same_warnings(again, fresh)
    assert located(again) == [
        ("patterns/a.md", line_of(text, "Evidence:"), "pypatterns.unknown_upstream"),
        ("sources/new.md", 3, "pypatterns.unknown_upstream"),
    ]
    assert "no_manifest" not in again.warnings


def test_only_the_pages_of_the_changed_upstream_are_read_again(tmp_path, monkeypatch):
    from sphinx_pypatterns._sphinx.domain import PypatternsDomain

    src, pin, _ = _two_upstream_project(tmp_path, with_new=True)
    build(src)
    read: list[str] = []
    real = PypatternsDomain.process_doc
    monkeypatch.setattr(
        PypatternsDomain, "process_doc", lambda self, env, d, doc: read.append(d) or real(self, env, d, doc)
    )
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    build(src)
    assert sorted(read) == ["patterns/a", "sources/new"]


# -- a plain folder edited in place ------------------------------------------------------

FOLDER_BLOCK = ":::{cite} fold:pkg/errors.py:6-11\n:symbol: HTTPError\n:caption: The root\n\nThe root class.\n:::\n"
FOLDER_INLINE = "{cite}`HTTPError.__init__ <fold:pkg/errors.py:9-11>`"


def _folder_project(tmp_path: Path) -> tuple[Path, Path, str]:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "errors.py").write_text(ERRORS_V1)
    (tree / "README.md").write_text("# Upstream\n\nUse HTTPError for everything.\n")
    src = tmp_path / "inc"
    body = page("pattern", "exception-root").replace(
        "Text for evidence.", f"Evidence: {FOLDER_INLINE}.\n\n{FOLDER_BLOCK}"
    )
    other = page("pattern", "other-one").replace("Text for evidence.", "Nothing cited.")
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["fold={tree}"]\n'
    write_project(src, {"patterns/a.md": body, "patterns/b.md": other}, conf)
    (src / "upstreams.toml").write_text(manifest_text("fold", "f" * 40))
    return src, tree, body


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_folder_file_edited_in_place_is_verified_again(tmp_path, no_racy_window, keep_mtime):
    src, tree, body = _folder_project(tmp_path)
    assert build(src).warnings == ""
    target = tree / "pkg" / "errors.py"
    before = target.stat()
    tick()
    # the same size and, with keep_mtime, the same mtime: only the change time tells
    target.write_text(ERRORS_V1_EDITED)
    if keep_mtime:
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    again, fresh = incremental.compare_with_clean(src, tmp_path, f"edited-{keep_mtime}")
    assert_same_warnings(again, fresh)
    assert "Root class." in again.html("patterns/a") and "Base class." not in again.html("patterns/a")
    tick()
    target.write_text(ERRORS_V2)  # three lines more at the top: both citations now miss their symbols
    again, fresh = incremental.compare_with_clean(src, tmp_path, f"shifted-{keep_mtime}")
    assert_same_warnings(again, fresh)
    assert located(again) == [
        ("patterns/a.md", line_of(body, "Evidence:"), "pypatterns.anchor_mismatch"),
        ("patterns/a.md", line_of(body, ":::{cite}"), "pypatterns.anchor_mismatch"),
    ]
    assert "pypatterns-cite verified" not in again.html("patterns/a")


def test_an_unchanged_folder_verifies_nothing_again(tmp_path, no_racy_window, monkeypatch):
    src, tree, _ = _folder_project(tmp_path)
    build(src)
    calls: list[str] = []
    real = Verifier.verify
    monkeypatch.setattr(Verifier, "verify", lambda self, t, *a, **k: calls.append(str(t)) or real(self, t, *a, **k))
    other = src / "patterns" / "b.md"
    other.write_text(other.read_text().replace("Nothing cited.", "Still nothing cited."))
    build(src)
    assert calls == []
    tick()
    (tree / "README.md").write_text("# Upstream\n\nChanged, and cited by nobody.\n")
    build(src)
    assert calls == []  # exactly the citations of a changed file are verified again
    tick()
    (tree / "pkg" / "errors.py").write_text(ERRORS_V1_EDITED)
    build(src)
    assert sorted(calls) == ["fold:pkg/errors.py:6-11", "fold:pkg/errors.py:9-11"]


def test_a_folder_file_modified_just_before_the_build_is_verified_again_next_time(tmp_path, monkeypatch):
    # within the racy window a stamp proves nothing (a second edit in the same clock tick keeps
    # every time and the size): such a file is verified again by the next build
    src, tree, _ = _folder_project(tmp_path)
    build(src)
    calls: list[str] = []
    real = Verifier.verify
    monkeypatch.setattr(Verifier, "verify", lambda self, t, *a, **k: calls.append(str(t)) or real(self, t, *a, **k))
    build(src)
    assert sorted(calls) == ["fold:pkg/errors.py:6-11", "fold:pkg/errors.py:9-11"]


def test_check_caches_a_plain_folder_and_notices_an_edit(tmp_path, no_racy_window, capsys, monkeypatch):
    src, tree, _ = _folder_project(tmp_path)
    assert main(["check", str(src)]) == 0
    assert (src / ".pypatterns" / "check-cache.json").is_file()
    capsys.readouterr()
    calls: list[object] = []
    real = Verifier.verify
    monkeypatch.setattr(Verifier, "verify", lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    assert main(["check", str(src)]) == 0
    assert calls == []  # warm: answered from the cache
    tick()
    target = tree / "pkg" / "errors.py"
    before = target.stat()
    renamed = ERRORS_V1.replace("class HTTPError(", "class HTTPErrxr(")
    assert len(renamed) == len(ERRORS_V1)
    target.write_text(renamed)  # same size, mtime put back: the change time tells
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert main(["check", str(src)]) == 1
    out = capsys.readouterr().out
    assert calls and "a.md:" in out and "unknown_symbol" in out


def test_check_does_not_cache_a_folder_modified_just_now(tmp_path, capsys):
    src, _tree, _ = _folder_project(tmp_path)
    assert main(["check", str(src)]) == 0
    assert not (src / ".pypatterns" / "check-cache.json").exists()


def test_tree_fingerprint_cost_on_the_stdlib(capsys):
    """The fingerprint of a plain folder costs one os.scandir walk; measured on the handbook's
    CPython stdlib checkout when it is there."""
    root = Path(__file__).resolve().parent.parent / ".pypatterns" / "checkouts"
    trees = sorted(root.glob("cpython-*")) if root.is_dir() else []
    if not trees:
        pytest.skip("no CPython checkout (run pypatterns sync)")
    checkout = _checkouts.FolderCheckout(trees[0])
    _files.tree_fingerprint(checkout.root)  # warm the file system cache
    start = time.perf_counter()
    fingerprint = _files.tree_fingerprint(checkout.root)
    elapsed = (time.perf_counter() - start) * 1000
    with capsys.disabled():
        print(f"\ntree fingerprint of {trees[0].name[:7]}: {elapsed:.1f} ms")
    assert fingerprint.startswith("tree ") and elapsed < 1000


# -- a git checkout that receives the pinned commit ---------------------------------------


def _git_project(tmp_path: Path) -> tuple[Path, Path, Path, str, str]:
    """``up`` named as a git repository that lacks the pinned commit (it is in ``origin``)."""
    origin, pin = make_upstream(tmp_path)
    local = tmp_path / "local"
    make_repo(local, [{"other.txt": "unrelated history\n"}])
    src = tmp_path / "inc"
    cite = "{cite}`HTTPError <up:pkg/errors.py:6-11>`"
    body = page("pattern", "exception-root").replace("Text for evidence.", f"Evidence: {cite}.")
    other = page("pattern", "other-one")
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={local}"]\n'
    write_project(src, {"patterns/a.md": body, "patterns/b.md": other}, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    return src, origin, local, pin, body


def test_the_pinned_commit_fetched_after_commit_missing_is_verified(tmp_path):
    src, origin, local, pin, body = _git_project(tmp_path)
    first = build(src)
    assert located(first) == [("patterns/a.md", line_of(body, "Evidence:"), "pypatterns.commit_missing")]
    git(local, "fetch", "-q", str(origin), "main")
    again, fresh = incremental.compare_with_clean(src, tmp_path, "fetched")
    assert_same_warnings(again, fresh)
    assert again.warnings == ""
    assert "unverified" not in again.html("patterns/a")


def test_check_after_the_pinned_commit_is_fetched(tmp_path, capsys):
    src, origin, local, _pin, _ = _git_project(tmp_path)
    assert main(["check", str(src)]) == 1
    assert "commit_missing" in capsys.readouterr().out
    git(local, "fetch", "-q", str(origin), "main")
    assert main(["check", str(src)]) == 0, capsys.readouterr().out


# -- random edit sequences, now also of the manifest and the checkouts ----------------------

THREE_CITES = [
    "{cite}`HTTPError <three:pkg/errors.py:6-11>`",
    "{cite}`RequestError <three:pkg/errors.py:14-15>`",
]
#: What an edit writes into a cited file: the pinned text, the same lines reworded, every line shifted.
CONTENTS = [ERRORS_V1, ERRORS_V1_EDITED, ERRORS_V2]


class Outside:
    """The manifest and the checkouts of an extended edit sequence."""

    def __init__(self, src: Path, repo: Path, pin: str, tree: Path) -> None:
        self.src, self.repo, self.tree = src, repo, tree
        self.pins: dict[str, str] = {"up": pin, "two": pin, "three": "3" * 40}
        self.commits = [pin]
        self.write()

    def write(self) -> None:
        text = "\n".join(manifest_text(name, commit) for name, commit in sorted(self.pins.items()))
        (self.src / "upstreams.toml").write_text(text)

    def edit(self, rng: random.Random) -> str:
        kind = rng.choice(["add-upstream", "remove-upstream", "move-pin", "edit-folder"])
        name = rng.choice(["two", "three"])
        if kind == "add-upstream":
            self.pins.setdefault(name, self.commits[0] if name == "two" else "3" * 40)
        elif kind == "remove-upstream":
            self.pins.pop(name, None)
        elif kind == "move-pin":
            # a new commit of the git checkout, or back to an earlier one
            if rng.random() < 0.7:
                (self.repo / "pkg" / "errors.py").write_text(rng.choice(CONTENTS))
                git(self.repo, "add", "pkg/errors.py")
                git(self.repo, "commit", "-q", "--allow-empty", "-m", f"commit {len(self.commits)}")
                self.commits.append(git(self.repo, "rev-parse", "HEAD"))
            name = rng.choice(["up", "two"])
            if name in self.pins:
                self.pins[name] = rng.choice(self.commits[-2:])
        else:
            # in place (the same inode), sometimes with the modification time put back
            target = self.tree / "pkg" / "errors.py"
            before = target.stat()
            target.write_text(rng.choice(CONTENTS))
            if rng.random() < 0.5:
                os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
            name = "three"
        self.write()
        return f"{kind} {name} -> {sorted(self.pins.items())}"


def assert_warnings_agree(
    again: Built, fresh: Built, standing: set[tuple[str, int, str, str]], done: list[str]
) -> None:
    """Every warning of the incremental build is one of the clean build's; a clean-build warning it
    does not repeat stood already in the build before (Sphinx reports a page's warnings when the
    page is read, and a failed citation when it is verified, not again on every build)."""
    inc, clean = set(again.located()), set(fresh.located())
    assert inc <= clean, (done, sorted(inc - clean))
    assert clean - inc <= standing, (done, sorted(clean - inc - standing))


@pytest.mark.parametrize(("seed", "racy"), [(1, True), (2, False), (3, False)], ids=["1-racy", "2", "3"])
def test_random_edit_sequences_with_manifest_and_checkout_edits_give_the_clean_build(tmp_path, monkeypatch, seed, racy):
    if not racy:
        monkeypatch.setattr(_files, "RACY_NS", 0, raising=False)
    monkeypatch.setattr(incremental, "CITES", [*incremental.CITES, *THREE_CITES])
    repo, pin = make_upstream(tmp_path)
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "errors.py").write_text(ERRORS_V1)
    files = evidence_files()
    files["patterns/three.md"] = files["patterns/thin.md"].replace("up:pkg/errors.py:6-11", "three:pkg/errors.py:6-11")
    files["patterns/three.md"] = files["patterns/three.md"].replace("thin-one", "three-one")
    files["sources/three.md"] = page("source-note", "three")
    inc = write_evidence_project(tmp_path / "inc", repo, pin, files)
    conf = inc / "conf.py"
    conf.write_text(conf.read_text().replace(f'"two={repo}"]', f'"two={repo}", "three={tree}"]'))
    outside = Outside(inc, repo, pin, tree)
    standing = set(build(inc, freshenv=True).located())
    rng = random.Random(seed)
    done: list[str] = []
    deleted: set[str] = set()
    for step in range(10):
        tick()  # the edit's file times differ from those the last build stamped
        if rng.random() < 0.5:
            done.append(outside.edit(rng))
        else:
            done.append(incremental.random_edit(rng, inc))
            if done[-1].startswith("delete-page") and not (inc / done[-1].split(" ", 1)[1]).exists():
                deleted.add(done[-1].split(" ", 1)[1])
        try:
            again, fresh = incremental.compare_with_clean(inc, tmp_path, str(step), deleted=frozenset(deleted))
        except AssertionError as exc:
            raise AssertionError(f"{done}: {exc}") from None
        assert_warnings_agree(again, fresh, standing, done)
        standing = set(fresh.located())
