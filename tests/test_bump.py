"""The evidence lock and ``pypatterns bump``, on git repositories and folders made here.

The bump corpus is one upstream at two commits. Between them: a file is renamed, a function moves
within its file, one moves to another file, one is edited inside its cited range, one is deleted,
lines are inserted above a plain range, a file is converted to CRLF, and a cited Markdown
paragraph is rewrapped. Each citation must be classed as the case says.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import build, make_repo, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns._core.lock import load_lock, normalised, text_digest
from sphinx_pypatterns._tools.cli import main

CORE_V1 = textwrap.dedent('''\
    """Core."""


    def mover():
        return "I move down"


    def traveller():
        return "I go to other.py"


    def edited(x):
        return x + 1


    def doomed():
        return "deleted"
    ''')
CORE_V2 = textwrap.dedent('''\
    """Core."""


    def edited(x):
        return x + 2


    def spacer():
        return "new"


    def mover():
        return "I move down"
    ''')
OTHER_V2 = textwrap.dedent('''\
    """Other."""


    def traveller():
        return "I go to other.py"
    ''')
RENAMED = 'def renamed_fn():\n    """Lives in a file that is renamed."""\n    return 1\n'
PLAIN_V1 = "# plain\nA = 1\nB = 2\nC = 3\nD = 4\n"
PLAIN_V2 = "# plain\n# one\n# two\n# three\nA = 1\nB = 2\nC = 3\nD = 4\n"
CRLF = 'def crlf_fn():\n    return "same text, other line ends"\n'
GUIDE_V1 = "# Guide\n\nThe first line of a paragraph\nthat is wrapped at narrow width\nand ends here.\n\nAfter.\n"
GUIDE_V2 = "# Guide\n\nThe first line of a paragraph that is wrapped at narrow width\nand ends here.\n\nAfter.\n"

PAGE = textwrap.dedent("""\
    # Evidence

    - Renamed {cite}`renamed_fn <up:pkg/old_name.py:1-3>`.
    - Moved within {cite}`mover <up:pkg/core.py:4-5>`.
    - Moved away {cite}`traveller <up:pkg/core.py:8-9>`.
    - Edited {cite}`edited <up:pkg/core.py:12-13>`.
    - Deleted {cite}`doomed <up:pkg/core.py:16-17>`.
    - Plain {cite}`up:pkg/plain.py:3-4`.
    - CRLF {cite}`crlf_fn <up:pkg/crlf.py:1-2>`.
    - Rewrapped {cite}`up:docs/guide.md:3-5`.
    - Symbol only {cite}`mover <up:pkg/core.py>`.
    """)
EXPECTED = {
    "renamed_fn": ("moved", "up:pkg/new_name.py:1-3"),
    "Moved within": ("moved", "up:pkg/core.py:12-13"),
    "traveller": ("moved", "up:pkg/other.py:4-5"),
    "edited": ("changed", "up:pkg/core.py:4-5"),
    "doomed": ("vanished", "up:pkg/core.py:16-17"),
    "Plain": ("moved", "up:pkg/plain.py:6-7"),
    "crlf_fn": ("unchanged", "up:pkg/crlf.py:1-2"),
    "Rewrapped": ("changed", "up:docs/guide.md:3-4"),
    "Symbol only": ("moved", "up:pkg/core.py"),
}


def _repo(root: Path) -> tuple[Path, list[str]]:
    repo = root / "upstream"
    shas = make_repo(
        repo,
        [
            {
                "pkg/core.py": CORE_V1,
                "pkg/old_name.py": RENAMED,
                "pkg/plain.py": PLAIN_V1,
                "pkg/crlf.py": CRLF,
                "docs/guide.md": GUIDE_V1,
            },
            {
                "pkg/core.py": CORE_V2,
                "pkg/other.py": OTHER_V2,
                "pkg/old_name.py": None,
                "pkg/new_name.py": RENAMED,
                "pkg/plain.py": PLAIN_V2,
                "pkg/crlf.py": CRLF.replace("\n", "\r\n").encode(),
                "docs/guide.md": GUIDE_V2,
            },
        ],
    )
    return repo, shas


def _project(root: Path, page: str = PAGE) -> tuple[Path, list[str]]:
    repo, shas = _repo(root)
    src = root / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, {"p.md": page, "upstreams.toml": manifest_text("up", shas[0])}, conf)
    return src, shas


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_normalised_text_ignores_line_ends_trailing_space_and_common_indent_only():
    assert normalised(["    a  ", "      b\r"]) == "a\n  b"
    assert text_digest(["    def f():", "        pass"]) == text_digest(["def f():  ", "    pass"])
    assert text_digest(["def f():", "    pass"]) != text_digest(["def f():", "    return"])
    assert text_digest(["a", "b"]) != text_digest(["a b"])  # rewrapping is a change


def test_bump_classes_every_case_rewrites_only_targets_and_the_build_proves_the_rest(tmp_path, capsys):
    src, shas = _project(tmp_path)
    code, out, err = _run(capsys, "check", "--update-lock", str(src))
    assert code == 0, out + err
    assert "lock: wrote upstreams.lock: 8 ranges of 1 upstream(s) (8 new, 0 changed, 0 dropped)" in out
    before = (src / "p.md").read_bytes()

    report = tmp_path / "report.md"
    code, out, err = _run(capsys, "bump", "up", str(src), "--commit", shas[1], "--tag", "v2", "--report", str(report))
    assert code == 1, err  # changed and vanished citations: to review
    assert "  unchanged      1\n  moved          5\n  changed        2\n  vanished       1\n" in err, err
    page = (src / "p.md").read_text()
    for line in page.splitlines():
        for marker, (_, target) in EXPECTED.items():
            if marker in line:
                assert f"<{target}>" in line or f"{{cite}}`{target}`" in line, (marker, line)
    # only the targets changed: the bytes outside them are the same
    assert _outside_targets(page.encode()) == _outside_targets(before)
    manifest = (src / "upstreams.toml").read_text()
    assert f'commit = "{shas[1]}"' in manifest and 'tag = "v2"' in manifest
    assert manifest.replace(shas[1], shas[0]).replace('"v2"', '"v1"') == manifest_text("up", shas[0])
    lock = load_lock(src / "upstreams.lock")
    assert lock is not None and lock.commits == {"up": shas[1]}
    assert "pkg/core.py:16-17" not in lock.entries["up"]  # the vanished one has no text at the new pin
    text = report.read_text()
    assert "| changed | 2 |" in text and "-    return x + 1" in text and "+    return x + 2" in text
    assert "## Vanished (1)" in text and "nothing like it at the new pin" in text

    # the build proves the result: only the vanished citation fails
    built = build(src)
    located = [w for w in built.located() if w[2].startswith("pypatterns.")]
    assert [(w[0], w[1], w[2]) for w in located] == [("p.md", 7, "pypatterns.line_out_of_range")], built.warnings


def _outside_targets(data: bytes) -> bytes:
    import re

    return re.sub(rb"up:[^>`]*", b"T", data)


def test_bump_dry_run_writes_nothing_and_prints_the_diff(tmp_path, capsys):
    src, shas = _project(tmp_path)
    files = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    assert files and not (src / ".pypatterns").exists()
    code, out, err = _run(capsys, "bump", "up", str(src), "--commit", shas[1], "--tag", "v2", "--dry-run")
    assert code == 1
    assert "-- Moved within {cite}`mover <up:pkg/core.py:4-5>`.\n" in out
    assert "+- Moved within {cite}`mover <up:pkg/core.py:12-13>`.\n" in out
    assert f'+commit = "{shas[1]}"\n' in out and "nothing written" in err
    # the project as it was: only the caches (.pypatterns/) may have grown
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file() and ".pypatterns" not in p.parts} == files


def test_content_changed_when_a_folder_checkout_is_edited_under_a_citation(tmp_path, capsys):
    folder = tmp_path / "tree"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "core.py").write_text(CORE_V1)
    page = "# P\n\nIt {cite}`edited <up:pkg/core.py:12-13>`.\n\nAnd {cite}`mover <up:pkg/core.py:4-5>`.\n"
    src = tmp_path / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={folder}"]\n'
    write_project(src, {"p.md": page, "upstreams.toml": manifest_text("up", "a" * 40)}, conf)
    code, out, _ = _run(capsys, "check", "--update-lock", str(src))
    assert code == 0 and "2 ranges" in out
    assert build(src).warnings == ""
    # CRLF line ends and trailing spaces: the same text to the lock
    (folder / "pkg" / "core.py").write_bytes(
        CORE_V1.replace("return x + 1", "return x + 1   ").replace("\n", "\r\n").encode()
    )
    assert build(src).warnings == ""
    # an edit under one citation: that one, at its line, and check fails on it
    (folder / "pkg" / "core.py").write_text(CORE_V1.replace("return x + 1", "return x - 1"))
    built = build(src)
    located = [w[:3] for w in built.located()]
    assert located == [("p.md", 3, "pypatterns.content_changed")], built.warnings
    assert "check --update-lock" in built.warnings
    code, out, _ = _run(capsys, "check", str(src))
    assert code == 1 and out.count("content_changed") == 1, out
    # accepted: the lock takes the new text, and both pass again
    code, out, _ = _run(capsys, "check", "--update-lock", str(src))
    assert "(0 new, 1 changed, 0 dropped)" in out
    assert build(src).warnings == ""
    code, out, _ = _run(capsys, "check", str(src))
    assert code == 0, out


def test_content_changed_when_the_pin_is_edited_by_hand(tmp_path, capsys):
    src, shas = _project(tmp_path, "# P\n\nIt {cite}`up:pkg/core.py:12-13` and {cite}`up:pkg/crlf.py:1-2`.\n")
    assert _run(capsys, "check", "--update-lock", str(src))[0] == 0
    manifest = src / "upstreams.toml"
    manifest.write_text(manifest.read_text().replace(shas[0], shas[1]))  # no bump
    built = build(src)
    found = [w[:3] for w in built.located()]
    # the crlf file's text is the same at the new commit: only the edited range is reported
    assert ("p.md", 3, "pypatterns.content_changed") in found
    assert "and the pin is now" in built.warnings and "pypatterns bump" in built.warnings
    assert len([f for f in found if f[2] == "pypatterns.content_changed"]) == 1, built.warnings


def test_a_lock_entry_survives_edits_of_the_page(tmp_path, capsys):
    src, _ = _project(tmp_path, "# P\n\nIt {cite}`mover <up:pkg/core.py:4-5>`.\n")
    _run(capsys, "check", "--update-lock", str(src))
    lock = (src / "upstreams.lock").read_bytes()
    (src / "p.md").write_text("# P\n\nNew prose above.\n\nMore.\n\nIt {cite}`mover <up:pkg/core.py:4-5>`, still.\n")
    code, out, _ = _run(capsys, "check", "--update-lock", str(src))
    assert code == 0 and "nothing changed" in out
    assert (src / "upstreams.lock").read_bytes() == lock


def test_a_malformed_lock_is_one_located_warning(tmp_path, capsys):
    src, _ = _project(tmp_path, "# P\n\nIt {cite}`mover <up:pkg/core.py:4-5>`.\n")
    (src / "upstreams.lock").write_text('[up]\ncommit = "x"\n"pkg/core.py:4-5" = "nothex"\n')
    built = build(src)
    assert [w[2] for w in built.located()] == ["pypatterns.lock"], built.warnings
    assert "upstreams.lock" in built.warnings and "Traceback" not in built.warnings


def test_bump_of_an_sdist_pin_downloads_the_new_release_beside_the_old(tmp_path, capsys, offline_index):
    from support.sdists import archival, sdist_pin
    from support.upstreams import make_sdist

    old_commit, new_commit = "1" * 40, "2" * 40
    _, sha1 = make_sdist(
        offline_index, "demo", "1.0", {"demo/core.py": CORE_V1, ".git_archival.txt": archival(old_commit)}
    )
    _, sha2 = make_sdist(
        offline_index, "demo", "1.1", {"demo/core.py": CORE_V2, ".git_archival.txt": archival(new_commit)}
    )
    src = tmp_path / "src"
    manifest = sdist_pin("demo", "1.0", sha1, old_commit).replace('tag = "v1"', 'tag = "v1.0"')
    page = "# P\n\nIt {cite}`mover <demo:demo/core.py:4-5>`.\n"
    write_project(src, {"p.md": page, "upstreams.toml": manifest}, 'pypatterns_manifest = "upstreams.toml"\n')
    assert _run(capsys, "sync", str(src))[0] == 0
    code, out, err = _run(capsys, "bump", "demo", str(src), "--to", "1.1")
    assert code == 0, err  # the one citation moved with its text
    assert f"({old_commit[:12]}) -> v1.1 ({new_commit[:12]}), commit attested by .git_archival.txt" in err, err
    assert "<demo:demo/core.py:12-13>" in (src / "p.md").read_text()
    text = (src / "upstreams.toml").read_text()
    assert f'requirement = "demo==1.1", sha256 = "{sha2}"' in text and 'tag = "v1.1"' in text
    assert (src / ".pypatterns" / "checkouts" / f"demo-{old_commit}").is_dir()  # the old one stays
    assert build(src).warnings == ""


def test_bump_refuses_a_folder_named_in_conf_and_an_unknown_upstream(tmp_path, capsys):
    folder = tmp_path / "tree"
    folder.mkdir()
    src = tmp_path / "src"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={folder}"]\n'
    write_project(src, {"p.md": "# P\n", "upstreams.toml": manifest_text("up", "a" * 40)}, conf)
    code, _, err = _run(capsys, "bump", "up", str(src), "--commit", "b" * 40, "--tag", "v2")
    assert code == 1 and "a folder holds one tree" in err and "Traceback" not in err
    code, _, err = _run(capsys, "bump", "upp", str(src), "--commit", "b" * 40, "--tag", "v2")
    assert code == 1 and "no upstream 'upp'" in err and "did you mean 'up'" in err
    code, _, err = _run(capsys, "bump", "up", str(src), "--commit", "not-a-commit", "--tag", "v2")
    assert code == 1 and "commit" in err and "Traceback" not in err
    assert (src / "upstreams.toml").read_text() == manifest_text("up", "a" * 40)


def test_outdated_names_newer_releases_and_says_when_it_cannot_look(tmp_path, capsys, offline_index, monkeypatch):
    from support.sdists import sdist_pin
    from support.upstreams import make_sdist

    _, sha = make_sdist(offline_index, "demo", "1.0", {"demo/core.py": "x = 1\n"})
    make_sdist(offline_index, "demo", "1.2", {"demo/core.py": "x = 2\n"})
    make_sdist(offline_index, "demo", "2.0rc1", {"demo/core.py": "x = 3\n"})
    make_sdist(offline_index, "other", "3.0", {"other/core.py": "x = 3\n"})
    src = tmp_path / "src"
    manifest = sdist_pin("demo", "1.0", sha, "a" * 40) + sdist_pin("other", "3.0", sha, "b" * 40).replace(
        "[other]", "\n[other]"
    )
    manifest += (
        '\n[git-only]\nrepository = "https://example.invalid/g"\ntag = "v1"\ncommit = "'
        + "c" * 40
        + '"\nlicense = "MIT"\n'
    )
    write_project(src, {"p.md": "# P\n", "upstreams.toml": manifest}, 'pypatterns_manifest = "upstreams.toml"\n')
    code, out, _ = _run(capsys, "outdated", str(src))
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert "newer release: 1.2;" in rows["demo"] and "2.0rc1" not in rows["demo"]  # no pre-release after a release
    assert rows["other"].endswith("up to date")
    assert "not pinned by an sdist" in rows["git-only"]
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nowhere"))
    code, out, _ = _run(capsys, "outdated", str(src))
    assert code == 0 and out.count("could not look") == 2, out
