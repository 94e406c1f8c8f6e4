"""Messages that say how to fix (issue 17): each warning names the nearest name that exists.

One real build of a project that holds every mistake, each asserted at its document and
line with the hint it gives: a misspelt symbol, file, upstream, pattern, id, area or
option; a missing anchor on the ``cite`` directive (its ``:symbol:`` option, not the
role's syntax); a missing file of an upstream made only of an sdist. ``pypatterns check``
words them as the build does. The listing of a checkout's paths, which the missing-file
hint needs, is made once per upstream and only when a file is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import build, page, write_project
from support.upstreams import manifest_text

from sphinx_pypatterns._core.checkouts import FolderCheckout
from sphinx_pypatterns._core.manifest import load_manifest
from sphinx_pypatterns._core.targets import parse_target
from sphinx_pypatterns._core.verify import Verifier
from sphinx_pypatterns._tools.cli import main

ROOT = Path(__file__).resolve().parents[1]
SDIST = 'sdist = [{ requirement = "demo==1.0", sha256 = "' + "0" * 64 + '" }]\n'
SD_PIN = "a" * 40

CITES = """\
# Cites

A typo {cite}`HTTPErorr <up:pkg/errors.py:6-11>`.

A case {cite}`httperror <up:pkg/errors.py:14-15>`.

Nothing {cite}`Nope <up:pkg/errors.py:1>`.

A file {cite}`HTTPError <up:pkg/erors.py:6-11>`.

An upstream {cite}`uup:pkg/errors.py:6`.

A role {cite}`up:pkg/errors.py:6-11`.

:::{cite} up:pkg/errors.py:6-11
:capton: A caption

The claim.
:::

Refs {pattern}`exception-rot` and {smell}`exception-root`.

Sdist {cite}`sd:src/demo/core.py:1`.
"""

RST = "C\n=\n\n.. cite:: up:pkg/errors.py:6-11\n   :symbol: HTTPError\n   :capton: x\n\n   The claim.\n"

FILES = {
    "patterns/root.md": page("pattern", "exception-root"),
    "patterns/typo.md": page("pattern", "typo", options=":id: typo\n:area: exeptions\n:rule: R.\n:tag: x"),
    "patterns/block.md": page("pattern", "block", options="---\nid: block\narea: exceptions\nrule: R.\ntgas: x\n---"),
    "smells/bare.md": page("smell", "bare", options=":id: bare\n:inverts: exception-rot\n:summary: S.\n:summery: x"),
    "sources/up.md": page("source-note", "uup", options=":upstream: uup\n:upstrem: x"),
    "cites.md": CITES,
    "c.rst": RST,
}

#: (document, line, subtype, the message, whole) for every warning of the project
EXPECTED = [
    (
        "c.rst",
        6,
        "unknown_option",
        "unknown option :capton: in cite (did you mean :caption:?) (known: :symbol:, :shows:, :caption:)",
    ),
    (
        "cites.md",
        3,
        "unknown_symbol",
        "up:pkg/errors.py:6-11: no symbol 'HTTPErorr' is defined in up:pkg/errors.py "
        "(did you mean 'HTTPError'?); lines 6\u201311 define 'HTTPError'",
    ),
    (
        "cites.md",
        5,
        "unknown_symbol",
        "up:pkg/errors.py:14-15: no symbol 'httperror' is defined in up:pkg/errors.py "
        "(did you mean 'HTTPError'?); lines 14\u201315 define 'RequestError'",
    ),
    (
        "cites.md",
        7,
        "unknown_symbol",
        "up:pkg/errors.py:1: no symbol 'Nope' is defined in up:pkg/errors.py; line 1 defines no symbol",
    ),
    (
        "cites.md",
        9,
        "missing_file",
        "up:pkg/erors.py:6-11: pkg/erors.py does not exist in the checkout of 'up' "
        "at its pin {pin} (did you mean 'pkg/errors.py'?)",
    ),
    (
        "cites.md",
        11,
        "unknown_upstream",
        "unknown upstream 'uup' (did you mean 'up'?) (known: sd, up) (in {cite}`uup:pkg/errors.py:6`)",
    ),
    (
        "cites.md",
        13,
        "missing_anchor",
        "up:pkg/errors.py:6-11: citation of up:pkg/errors.py:6-11 needs a symbol "
        "anchor (pypatterns_require_anchor): write {cite}`Name <up:pkg/errors.py:6-11>`, naming the enclosing class, "
        "function or assignment",
    ),
    (
        "cites.md",
        15,
        "missing_anchor",
        "up:pkg/errors.py:6-11: citation of up:pkg/errors.py:6-11 needs a symbol "
        "anchor (pypatterns_require_anchor): give the cite directive the option ':symbol: Name', naming the enclosing "
        "class, function or assignment",
    ),
    (
        "cites.md",
        16,
        "unknown_option",
        "unknown option :capton: in cite (did you mean :caption:?) (known: :symbol:, :shows:, :caption:)",
    ),
    ("cites.md", 21, "unknown_ref", "unknown pattern id 'exception-rot' (did you mean 'exception-root'?)"),
    ("cites.md", 21, "unknown_ref", "unknown smell id 'exception-root' (it is the id of a pattern, not of a smell)"),
    (
        "cites.md",
        23,
        "missing_file",
        "sd:src/demo/core.py:1: src/demo/core.py does not exist in the checkout of 'sd' "
        "at its pin aaaaaaaaaaaa (did you mean 'demo/core.py'?); the checkout of 'sd' holds only what its sdist ships "
        "(demo 1.0, mounted at the tree's root), so a file of the repository that no sdist ships cannot be cited",
    ),
    (
        "patterns/block.md",
        8,
        "unknown_option",
        "unknown option :tgas: in pattern (did you mean :tags:?) (known: :id:, :area:, :rule:, :tags:, :no-smell:)",
    ),
    (
        "patterns/typo.md",
        3,
        "unknown_area",
        "unknown area 'exeptions' (did you mean 'exceptions'?) "
        "(pypatterns_areas: public-surface, exceptions, sync-async, typing, data-model, testing)",
    ),
    (
        "patterns/typo.md",
        7,
        "unknown_option",
        "unknown option :tag: in pattern (did you mean :tags:?) (known: :id:, :area:, :rule:, :tags:, :no-smell:)",
    ),
    (
        "smells/bare.md",
        3,
        "unknown_pattern",
        "the smell 'bare' inverts 'exception-rot', which names no pattern (did you mean 'exception-root'?)",
    ),
    (
        "smells/bare.md",
        7,
        "unknown_option",
        "unknown option :summery: in smell (did you mean :summary:?) (known: :id:, :inverts:, :summary:)",
    ),
    ("sources/up.md", 3, "unknown_upstream", "unknown upstream 'uup' (did you mean 'up'?) (known: sd, up)"),
    (
        "sources/up.md",
        5,
        "unknown_option",
        "unknown option :upstrem: in source-note (did you mean :upstream:?) (known: :upstream:)",
    ),
]


def _project(root: Path, upstream: tuple[Path, str]) -> Path:
    """The project of :data:`FILES`: upstream ``up`` (the test repository) and ``sd``, made only of an sdist."""
    repo, pin = upstream
    tree = root / "sd-tree"
    (tree / "demo").mkdir(parents=True)
    (tree / "demo" / "core.py").write_text("x = 1\n")
    (tree / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    src = root / "src"
    manifest = manifest_text("up", pin) + "\n" + manifest_text("sd", SD_PIN, SDIST)
    conf = (
        'pypatterns_manifest = "upstreams.toml"\n'
        f"pypatterns_checkouts = [{f'up={repo}'!r}, {f'sd={tree}'!r}]\n"
        "pypatterns_require_anchor = True\n"
    )
    write_project(src, {**FILES, "upstreams.toml": manifest}, conf)
    return src


@pytest.fixture(scope="module")
def hinted(tmp_path_factory: pytest.TempPathFactory, upstream: tuple[Path, str]) -> tuple[Path, list[tuple[str, ...]]]:
    src = _project(tmp_path_factory.mktemp("hints"), upstream)
    built = build(src)
    ours = [
        (rel, line, kind.removeprefix("pypatterns."), msg)
        for rel, line, kind, msg in built.located()
        if kind.startswith("pypatterns.")
    ]
    return src, sorted(ours)


def _expected(pin: str) -> list[tuple[str, int, str, str]]:
    return sorted((doc, line, subtype, message.replace("{pin}", pin[:12])) for doc, line, subtype, message in EXPECTED)


def test_every_warning_is_located_and_says_how_to_fix(hinted, upstream):
    _src, ours = hinted
    assert ours == _expected(upstream[1])


def test_a_missing_file_is_first_not_in_the_checkout_then_the_sdist(hinted):
    (message,) = [m for doc, line, _s, m in hinted[1] if (doc, line) == ("cites.md", 23)]
    assert message.index("does not exist") < message.index("did you mean") < message.index("sdist")
    assert "('/')" not in message and "materialised" not in message


def test_pypatterns_check_words_the_directive_as_the_build(hinted, capsys, upstream):
    src, _ours = hinted
    capsys.readouterr()
    main(["check", str(src), "--no-cache"])
    out = capsys.readouterr().out
    found = {
        (m["file"], int(m["line"]), m["subtype"]): m["message"]
        for m in re.finditer(r"^(?P<file>[^\n:]+\.md):(?P<line>\d+): (?P<subtype>\w+): (?P<message>.*)$", out, re.M)
    }
    for doc, line, subtype, message in _expected(upstream[1]):
        if subtype in ("missing_anchor", "unknown_symbol", "missing_file"):
            assert found[(doc, line, subtype)] == message, out
    assert "(did you mean 'up'?)" in found[("cites.md", 11, "unknown_upstream")], out


# -- the listing of a checkout, for the missing-file hint -------------------------------------


def _verifier(root: Path, upstream: tuple[Path, str]) -> Verifier:
    repo, pin = upstream
    path = root / "upstreams.toml"
    path.write_text(manifest_text("up", pin))
    return Verifier(load_manifest(path), (str(root / "none"), {"up": str(repo)}))


def _ls_tree_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = subprocess.run

    def spy(args, *a, **k):  # type: ignore[no-untyped-def]
        if "ls-tree" in args:
            calls.append(list(args))
        return real(args, *a, **k)

    monkeypatch.setattr(subprocess, "run", spy)
    return calls


def test_the_tree_is_listed_once_per_upstream_and_only_for_a_missing_file(tmp_path, upstream, monkeypatch):
    calls = _ls_tree_calls(monkeypatch)
    with _verifier(tmp_path, upstream) as verifier:
        assert verifier.verify(parse_target("up:pkg/errors.py:6-11"), "HTTPError").ok
        assert verifier.verify(parse_target("up:README.md:1")).ok
        assert calls == []  # the happy path lists nothing
        first = verifier.verify(parse_target("up:pkg/erors.py:1"))
        second = verifier.verify(parse_target("up:READM.md:1"))
    assert len(calls) == 1 and calls[0][-2:] == ["--full-tree", upstream[1]], calls
    assert "(did you mean 'pkg/errors.py'?)" in first.message
    assert "(did you mean 'README.md'?)" in second.message


def test_a_path_under_a_file_names_the_file(tmp_path, upstream):
    with _verifier(tmp_path, upstream) as verifier:
        verdict = verifier.verify(parse_target("up:pkg/errors.py/inner.py:1"))
    assert verdict.subtype == "missing_file" and "(did you mean 'pkg/errors.py'?)" in verdict.message


def test_a_folder_is_listed_without_leaving_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("x = 1\n")
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "core.py").write_text("x = 1\n")
    (tree / ".pypatterns-sync.json").write_text("{}")
    os.symlink(outside, tree / "linked")
    os.symlink(outside / "secret.py", tree / "pkg" / "alias.py")
    assert sorted(FolderCheckout(tree).paths()) == ["pkg/alias.py", "pkg/core.py"]


# -- the user guide's examples ------------------------------------------------------------------


def test_the_reference_examples_are_what_the_build_says(hinted):
    text = (ROOT / "docs" / "guide" / "reference.md").read_text("utf-8")
    block = text.split("% hints: tests/test_hints.py", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    examples = re.findall(r"^(\S+?):(\d+): WARNING: (.*) \[pypatterns\.(\w+)\]$", block, re.M)
    assert len(examples) >= 5
    said = {(doc, line, subtype, message) for doc, line, subtype, message in hinted[1]}
    for doc, line, message, subtype in examples:
        assert (doc, int(line), subtype, message) in said, (doc, line, message)


def test_sync_of_an_unknown_upstream_names_the_nearest(tmp_path, capsys):
    src = tmp_path / "p"
    write_project(src, {}, 'pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(manifest_text("httpx", "a" * 40) + "\n" + manifest_text("pytest", "b" * 40))
    assert main(["sync", str(src), "--upstream", "htpx"]) != 0
    err = capsys.readouterr().err
    assert "unknown upstream 'htpx' (did you mean 'httpx'?) (known: httpx, pytest)" in err
    assert not (src / ".pypatterns").exists()
