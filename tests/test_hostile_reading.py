"""Hostile files and paths read from checkouts (issue 14): one located warning each, never a crash or a hang.

* git: paths with whitespace, and requests that must never reach ``git cat-file --batch`` (newlines);
* Python files that ``ast`` cannot build (too deep: ``RecursionError``, parser stack: ``MemoryError``);
* FIFOs, sockets and other non-regular files in a plain-folder checkout (guarded by timeouts: a
  regression hangs a subprocess, never the suite);
* ``.py`` files with a UTF-8 BOM or a PEP 263 coding cookie, decoded as Python decodes them.

Each case is a page in a real build, pinned at its subtype and ``docname:line``; the same pages go
through ``pypatterns check`` and the verification helper, which must agree with the build.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import WARNING_RE, build, make_repo, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns import CheckoutError, GitCheckout, ManifestError, PypatternsError, parse_manifest
from sphinx_pypatterns._core.checkouts import FolderCheckout
from sphinx_pypatterns._tools.cli import main

#: Seconds a subprocess that might hang (on a FIFO) gets before it counts as hung.
HANG_SECONDS = 240

BOM_PY = b'\xef\xbb\xbf"""A module saved with a byte order mark."""\n\n\nclass Bom:\n    name = "caf\xc3\xa9"\n'
COOKIE_PY = b"# -*- coding: latin-1 -*-\n\n\nclass Cookie:\n    name = 'caf\xe9 cr\xe8me'\n"
#: The same files in both kinds of checkout.
COMMON: dict[str, str | bytes] = {
    "pkg/ok.py": "value = 1\n",
    "pkg/bom.py": BOM_PY,
    "pkg/cookie.py": COOKIE_PY,
    "pkg/ascii_cookie.py": b"# coding: ascii\nname = 'caf\xc3\xa9'\n",
    "pkg/unknown_cookie.py": b"# coding: no-such-codec\nvalue = 1\n",
    "pkg/bom_and_cookie.py": b"\xef\xbb\xbf# coding: latin-1\nvalue = 1\n",
    "pkg/not_text_cookie.py": b"# coding: hex\nvalue = 1\n",
    # ast.parse: RecursionError ("during ast construction") and MemoryError ("parser stack overflowed")
    "pkg/deep_recursion.py": "value = " + "1 + " * 100_000 + "1\n",
    "pkg/deep_stack.py": "value = " + "not " * 100_000 + "1\n",
}
GIT_FILES: dict[str, str | bytes] = {
    **COMMON,
    "pkg/with space.py": "class Spaced:\n    pass\n",
    "pkg/no\u00a0break.py": "value = 1\n",
    "pkg/sub dir/inner.py": "value = 1\n",
    "pkg/trailing .py": "value = 1\n",
}


def cite(target: str) -> str:
    return f"# Case\n\nThe claim\nrests on {{cite}}`{target}`.\n"


def block(target: str, symbol: str = "") -> str:
    option = f":symbol: {symbol}\n" if symbol else ""
    return f"# Case\n\nThe claim.\n\n:::{{cite}} {target}\n{option}:::\n"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    subtype: str | None  # None: the citation is verified, no warning
    line: int = 4


#: (id, target, expected subtype); citations of the upstream named "up"
TARGET_CASES = [
    # whitespace in paths read through git cat-file --batch
    ("space-ok", "Spaced <up:pkg/with space.py:1-2>", None),
    ("space-missing", "up:pkg/no such file.py:1", "missing_file"),
    ("space-after-colon", "up: pkg/with space.py:1", "missing_file"),
    ("space-trailing-ok", "up:pkg/trailing .py:1", None),
    ("nbsp-ok", "value <up:pkg/no\u00a0break.py:1>", None),
    ("nbsp-missing", "up:pkg/gone\u00a0file.py:1", "missing_file"),
    ("reply-shaped-path", "up:pkg/x blob 5:1", "missing_file"),
    ("reply-shaped-missing", "up:pkg/ok.py missing:1", "missing_file"),
    ("space-folder", "up:pkg/sub dir:1", "not_a_file"),
    ("space-folder-file", "value <up:pkg/sub dir/inner.py:1>", None),
    # files ast cannot build
    ("deep-recursion", "value <up:pkg/deep_recursion.py:1>", "unparsable"),
    ("deep-stack", "value <up:pkg/deep_stack.py:1>", "unparsable"),
    ("deep-lines-only", "up:pkg/deep_stack.py:1", None),
    # decoded as Python decodes them
    ("bom", "Bom <up:pkg/bom.py:4-5>", None),
    ("bom-line-one", "up:pkg/bom.py:1", None),
    ("cookie", "Cookie.name <up:pkg/cookie.py:5>", None),
    ("ascii-cookie", "up:pkg/ascii_cookie.py:2", "not_utf8"),
    ("unknown-cookie", "value <up:pkg/unknown_cookie.py:2>", "unparsable"),
    ("unknown-cookie-lines", "up:pkg/unknown_cookie.py:2", None),
    ("bom-and-cookie", "value <up:pkg/bom_and_cookie.py:2>", "unparsable"),
    ("not-text-cookie", "value <up:pkg/not_text_cookie.py:2>", "unparsable"),
    ("not-text-cookie-lines", "up:pkg/not_text_cookie.py:2", None),
]
GIT_CASES = [Case(i, cite(t), s) for i, t, s in TARGET_CASES] + [
    Case("bom-block", block("up:pkg/bom.py:1-5"), None),
    Case("cookie-block", block("up:pkg/cookie.py:4-5", "Cookie"), None),
]


def _located(warnings: str, srcdir: Path) -> dict[str, list[tuple[str, int]]]:
    by_page: dict[str, list[tuple[str, int]]] = {}
    for m in WARNING_RE.finditer(warnings):
        if not m["type"].startswith("pypatterns."):
            continue
        path = m["path"]
        rel = os.path.relpath(path, srcdir) if os.path.isabs(path) else path
        by_page.setdefault(rel, []).append((m["type"].removeprefix("pypatterns."), int(m["line"])))
    return by_page


def _expected(cases: list[Case]) -> dict[str, list[tuple[str, int]]]:
    return {f"cases/{c.id}.md": [(c.subtype, c.line)] for c in cases if c.subtype}


def _check_failures(out: str) -> dict[str, list[tuple[str, int]]]:
    """``pypatterns check`` output (``file:line: subtype: message``) by page."""
    found: dict[str, list[tuple[str, int]]] = {}
    for line in out.splitlines():
        where, sep, rest = line.partition(": ")
        if not sep or not where.startswith("cases/"):
            continue
        page, _, number = where.rpartition(":")
        found.setdefault(page, []).append((rest.split(":", 1)[0], int(number)))
    return found


@pytest.fixture(scope="module")
def git_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("hostile-git")
    repo = root / "upstream"
    (pin,) = make_repo(repo, [GIT_FILES])
    src = root / "p"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, {f"cases/{c.id}.md": c.text for c in GIT_CASES}, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    return src, repo, pin


@pytest.fixture(scope="module")
def git_built(git_project: tuple[Path, Path, str]):
    src, _, _ = git_project
    return build(src)  # asserts that no traceback appears


# -- 1. git cat-file --batch: replies parsed by their format, requests never confused ------


@pytest.mark.parametrize("case", GIT_CASES, ids=[c.id for c in GIT_CASES])
def test_git_checkout_case_is_located(git_built, case):
    by_page = _located(git_built.warnings, git_built.srcdir)
    expected = [(case.subtype, case.line)] if case.subtype else None
    assert by_page.get(f"cases/{case.id}.md") == expected, git_built.warnings


def test_git_checkout_build_warns_only_for_the_cases(git_built):
    assert _located(git_built.warnings, git_built.srcdir) == _expected(GIT_CASES), git_built.warnings
    assert "invalid literal" not in git_built.warnings and "ExtensionError" not in git_built.warnings


def test_a_parallel_build_gives_the_same_warnings(git_project, git_built, tmp_path):
    src, _, _ = git_project
    copy = tmp_path / "p"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("_build", ".pypatterns"))
    parallel = build(copy, parallel=2)
    assert _located(parallel.warnings, copy) == _located(git_built.warnings, src) == _expected(GIT_CASES)


def test_check_agrees_with_the_build_on_git_cases(git_project, capsys):
    src, _, _ = git_project
    assert main(["check", str(src), "--no-cache"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert _check_failures(captured.out) == _expected(GIT_CASES), captured.out


def test_git_replies_stay_in_step_after_odd_paths(git_project):
    _, repo, pin = git_project
    checkout = GitCheckout(repo, pin)
    try:
        for path in ("pkg/no such file.py", " pkg/with space.py", "pkg/x blob 5", "pkg/sub dir", "pkg/ok.py missing"):
            with pytest.raises(CheckoutError):
                checkout.read(path)
            # the next answer is the next file's: nothing was left unread or read twice
            assert checkout.read("pkg/with space.py")[1] == b"class Spaced:\n    pass\n"
        assert checkout.read("pkg/no\u00a0break.py")[1] == b"value = 1\n"
    finally:
        checkout.close()


@pytest.mark.parametrize("path", ["pkg/ok.py\npkg/bom.py", "pkg/ok.py\r", "pkg/\x85ok.py", "pkg/ok\x00.py", "\n"])
def test_control_characters_never_reach_git(git_project, path):
    _, repo, pin = git_project
    checkout = GitCheckout(repo, pin)
    try:
        with pytest.raises(PypatternsError) as err:
            checkout.read(path)
        assert err.value.subtype == "bad_path"
        # refused by the request itself too, whoever builds it
        with pytest.raises(CheckoutError) as raw:
            checkout._request(f"{pin}:{path}")
        assert raw.value.subtype == "bad_path"
        # git saw none of it: the next reply is the next file's
        assert checkout.read("pkg/ok.py")[1] == b"value = 1\n"
    finally:
        checkout.close()


def test_a_commit_with_a_trailing_newline_is_refused(git_project, tmp_path):
    _, repo, pin = git_project
    with pytest.raises(CheckoutError) as err:
        GitCheckout(repo, pin + "\n")
    assert err.value.subtype == "bad_commit"
    with pytest.raises(ManifestError) as bad:
        parse_manifest(manifest_text("up", pin + "\\n"))
    assert bad.value.subtype == "bad_commit" and bad.value.key == "up.commit"
    # through a build: the manifest's line, and the citation is not verified against a desynchronised reply
    src = tmp_path / "p"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, {"a.md": "# A\n\nText.\n"}, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", pin + "\\n"))
    built = build(src)
    found = [(w[0], w[1], w[2]) for w in built.located() if w[2].startswith("pypatterns.")]
    assert found == [("upstreams.toml", 4, "pypatterns.bad_commit")], built.warnings


# -- 2. ast failures: unparsable with the reason -----------------------------------------


def test_ast_failures_name_the_reason(git_built):
    messages = {w[0]: w[3] for w in git_built.located() if w[2] == "pypatterns.unparsable"}
    assert "too deeply" in messages["cases/deep-recursion.md"], messages
    assert "too complex" in messages["cases/deep-stack.md"] or "too deeply" in messages["cases/deep-stack.md"]
    assert "no-such-codec" in messages["cases/unknown-cookie.md"], messages
    assert "encoding" in messages["cases/bom-and-cookie.md"], messages
    assert "not a text encoding" in messages["cases/not-text-cookie.md"], messages
    for message in messages.values():
        assert "cannot parse pkg/" in message and "Traceback" not in message


def _run(command: list[str], *, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a command that may hang on a regression: its whole process group is killed at the timeout."""
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,
        env={**os.environ, "NO_COLOR": "1"},  # Sphinx colours its warnings when CI=true
    )
    try:
        out, err = proc.communicate(stdin, timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{command[:4]} hung for {HANG_SECONDS} s")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _helper_rows(src: Path, checkouts: list[object], pages: list[Path]) -> dict[str, tuple[bool, str, str]]:
    """The real verification helper on ``pages``: {path: (ok, subtype, message)}."""
    request = {
        "manifest": str(src / "upstreams.toml"),
        "checkouts": checkouts,
        "max_bytes": 10 * 1024 * 1024,
        "require_anchor": False,
        "keep_all_lines": False,
        "pages": [str(p) for p in pages],
    }
    done = _run([sys.executable, "-m", "sphinx_pypatterns._tools.background"], stdin=json.dumps(request).encode())
    assert done.returncode == 0, done.stderr.decode()
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert rows[-1] == "done"
    return {f"{row[1]}:{row[2]}:{row[4]}": (row[5], row[6], row[7]) for row in rows[:-1]}


def test_the_helper_gives_unparsable_not_a_crash(git_project):
    src, repo, _ = git_project
    pages = [src / "cases" / f"{name}.md" for name in ("deep-recursion", "deep-stack", "bom", "cookie", "space-ok")]
    rows = _helper_rows(src, [str(src / ".pypatterns" / "checkouts"), {"up": str(repo)}], pages)
    assert rows["pkg/deep_recursion.py:1:value"][:2] == (False, "unparsable")
    assert rows["pkg/deep_stack.py:1:value"][:2] == (False, "unparsable")
    assert rows["pkg/bom.py:4:Bom"][:2] == (True, "")
    assert rows["pkg/cookie.py:5:Cookie.name"][:2] == (True, "")
    assert rows["pkg/with space.py:1:Spaced"][:2] == (True, "")


# -- 4. BOM and coding cookies: decoded as Python decodes them --------------------------


def test_bom_and_cookie_excerpts_are_decoded(git_built):
    bom = git_built.html("cases/bom-block")
    assert "caf\u00e9" in bom and "\ufeff" not in bom and "&#65279;" not in bom
    assert "A module saved with a byte order mark." in bom
    cookie = git_built.html("cases/cookie-block")
    assert "caf\u00e9 cr\u00e8me" in cookie and "\ufffd" not in cookie


# -- 3. FIFOs and other non-regular files in a plain-folder checkout ----------------------

FOLDER_CASES = [
    Case("fifo", cite("fold:pkg/pipe.py:1"), "not_a_file"),
    Case("fifo-through-symlink", cite("fold:pkg/link.py:1"), "not_a_file"),
    Case("socket", cite("fold:pkg/sock.py:1"), "not_a_file"),
    Case("folder", cite("fold:pkg:1"), "not_a_file"),
    Case("folder-ok", cite("value <fold:pkg/ok.py:1>"), None),
    Case("folder-bom", cite("Bom <fold:pkg/bom.py:4-5>"), None),
    Case("folder-cookie", cite("Cookie.name <fold:pkg/cookie.py:5>"), None),
    Case("folder-ascii-cookie", cite("fold:pkg/ascii_cookie.py:2"), "not_utf8"),
    Case("folder-deep", cite("value <fold:pkg/deep_stack.py:1>"), "unparsable"),
] + [Case(f"filler-{i:02d}", cite("fold:pkg/pipe.py:1"), "not_a_file") for i in range(16)]  # the helper runs too


@pytest.fixture
def folder_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tree = tmp_path / "tree"
    for name, content in COMMON.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    os.mkfifo(tree / "pkg" / "pipe.py")
    os.symlink("pipe.py", tree / "pkg" / "link.py")
    monkeypatch.chdir(tree / "pkg")  # a socket's path must be short
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock.py")
    src = tmp_path / "p"
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["fold={tree}"]\n'
    write_project(src, {f"cases/{c.id}.md": c.text for c in FOLDER_CASES}, conf)
    (src / "upstreams.toml").write_text(manifest_text("fold", "b" * 40))
    return src


def test_non_regular_files_in_a_folder_checkout_are_refused_without_blocking(folder_project):
    src = folder_project
    out = src / "_build" / "html"
    done = _run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(src), str(out)])
    warnings = done.stderr.decode()
    assert done.returncode == 0 and "Traceback" not in warnings and "Exception occurred" not in warnings, warnings
    assert _located(warnings, src) == _expected(FOLDER_CASES), warnings
    messages = [m["msg"] for m in WARNING_RE.finditer(warnings) if "not_a_file" in m["type"]]
    assert any("pkg/pipe.py is not a regular file" in m for m in messages), messages


def test_check_does_not_block_on_a_fifo(folder_project):
    src = folder_project
    done = _run([sys.executable, "-m", "sphinx_pypatterns", "check", str(src), "--no-cache"])
    out = done.stdout.decode()
    assert done.returncode == 1 and "Traceback" not in out + done.stderr.decode(), done.stderr.decode()
    assert _check_failures(out) == _expected(FOLDER_CASES), out


def test_the_helper_does_not_block_on_a_fifo(folder_project):
    src = folder_project
    tree = src.parent / "tree"
    pages = [src / "cases" / f"{name}.md" for name in ("fifo", "socket", "folder-ok", "folder-bom")]
    rows = _helper_rows(src, [str(src / ".pypatterns" / "checkouts"), {"fold": str(tree)}], pages)
    assert rows["pkg/pipe.py:1:"][:2] == (False, "not_a_file")
    assert rows["pkg/sock.py:1:"][:2] == (False, "not_a_file")
    assert rows["pkg/ok.py:1:value"][:2] == (True, "")
    assert rows["pkg/bom.py:4:Bom"][:2] == (True, "")


class BlockedError(Exception):
    """Raised by the alarm: not an OSError, which the reader would turn into a verdict."""


def _blocked(signum: int, frame: object) -> None:
    raise BlockedError("the read blocked")


def test_folder_checkout_reads_a_fifo_without_blocking(folder_project):
    tree = folder_project.parent / "tree"
    checkout = FolderCheckout(tree)
    previous = signal.signal(signal.SIGALRM, _blocked)
    signal.alarm(60)  # a regression fails here instead of hanging
    try:
        for name in ("pkg/pipe.py", "pkg/link.py", "pkg/sock.py", "pkg"):
            with pytest.raises(CheckoutError) as err:
                checkout.read(name)
            assert err.value.subtype == "not_a_file", name
        assert checkout.read("pkg/ok.py")[1] == b"value = 1\n"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
