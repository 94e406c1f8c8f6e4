"""Reliability: fuzzed projects, random edit sequences, reproducible builds, no loss, safe subprocesses."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import build, page, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.evidence_project import evidence_files, write_evidence_project
from support.incremental import compare_with_clean, random_edit
from support.upstreams import make_sdist, make_upstream, manifest_text

from sphinx_pypatterns import CheckoutError, load_manifest, locate_checkout
from sphinx_pypatterns._tools.cli import main

# -- fuzzing whole projects ------------------------------------------------------

ROLES = ["cite", "pattern", "smell", "source-note", "candidate"]
DIRECTIVES = ["pattern", "smell", "source-note", "cite", "pattern-checklist", "evidence-matrix", "pin-table"]
OPTIONS = [":id:", ":area:", ":rule:", ":inverts:", ":summary:", ":upstream:", ":symbol:", ":caption:", ":tags:", ":x:"]
TEXT = st.lists(
    st.sampled_from(
        [*"abcXY-_:./<> `{}0123456789\\~%\u00e9\ufffd\x00", "up", "pkg/errors.py", "up:pkg/errors.py:6", "\n"]
    ),
    max_size=12,
).map("".join)


@st.composite
def fuzz_page(draw: st.DrawFn) -> str:
    parts = [f"# {draw(TEXT).strip() or 'T'}\n"]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["role", "directive", "section", "list", "text"]))
        if kind == "role":
            parts.append(f"Text {{{draw(st.sampled_from(ROLES))}}}`{draw(TEXT)}` more.\n")
        elif kind == "directive":
            fence = draw(st.sampled_from([":::", "```"]))
            opts = "".join(f"{draw(st.sampled_from(OPTIONS))} {draw(TEXT)}\n" for _ in range(draw(st.integers(0, 3))))
            arg = draw(TEXT).replace("\n", " ")
            parts.append(f"{fence}{{{draw(st.sampled_from(DIRECTIVES))}}} {arg}\n{opts}\n{draw(TEXT)}\n{fence}\n")
        elif kind == "section":
            parts.append(f"## {draw(st.sampled_from(['Why', 'Evidence', 'Counterexamples', 'Repeated patterns']))}\n")
        elif kind == "list":
            parts.append(f"- {draw(TEXT)} {{cite}}`{draw(TEXT)}`\n")
        else:
            parts.append(draw(TEXT) + "\n")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def fuzz_upstream(tmp_path_factory):
    return make_upstream(tmp_path_factory.mktemp("fuzz"))


FUZZ_RUNS: list[int] = []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pages=st.lists(fuzz_page(), min_size=1, max_size=3), parallel=st.booleans())
def test_random_projects_never_raise(tmp_path_factory, fuzz_upstream, pages, parallel):
    repo, pin = fuzz_upstream
    src = tmp_path_factory.mktemp("fz")
    files: dict[str, str | bytes] = {f"p{i}.md": text for i, text in enumerate(pages)}
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    write_project(src, files, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    built = build(src, parallel=2 if parallel and len(pages) > 1 else 0)  # build() asserts: no traceback
    assert "Exception occurred" not in built.warnings
    FUZZ_RUNS.append(1)


CONF_NAMES = [
    "pypatterns_areas",
    "pypatterns_rule_max_words",
    "pypatterns_required_sections",
    "pypatterns_upstreams",
    "pypatterns_require_anchor",
    "pypatterns_max_file_bytes",
    "pypatterns_min_upstreams",
    "pypatterns_min_repeat_citations",
    "pypatterns_require_nomination",
    "pypatterns_min_nominations",
    "pypatterns_require_smell",
    "pypatterns_rule_sections",
    "pypatterns_print_inline_excerpts",
    "pypatterns_checkouts",
]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**12) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(CONF_NAMES), VALUES, min_size=1, max_size=4))
def test_random_conf_values_never_raise(tmp_path_factory, values):
    src = tmp_path_factory.mktemp("cf")
    conf = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    write_project(src, {"a.md": page("pattern", "exception-root"), "s.md": page("source-note", "up")}, conf)
    built = build(src)  # asserts: no traceback
    for _path, _line, typ, msg in built.located():
        assert typ.startswith("pypatterns.") or "pypatterns" not in msg, msg
    FUZZ_RUNS.append(1)


# -- random edit sequences: incremental == clean --------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edit_sequences_give_the_clean_build(tmp_path, seed):
    repo, pin = make_upstream(tmp_path)
    inc = write_evidence_project(tmp_path / "inc", repo, pin, evidence_files())
    build(inc)
    rng = random.Random(seed)
    done: list[str] = []
    deleted: set[str] = set()
    for step in range(8):
        done.append(random_edit(rng, inc))
        if done[-1].startswith("delete-page") and not (inc / done[-1].split(" ", 1)[1]).exists():
            deleted.add(done[-1].split(" ", 1)[1])
        again, fresh = compare_with_clean(inc, tmp_path, str(step), deleted=frozenset(deleted), label=done)
        assert sorted(set(again.located())) == sorted(set(fresh.located())), done


# -- reproducible builds ---------------------------------------------------------------


def test_two_clean_builds_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    repo, pin = make_upstream(tmp_path)
    outs = []
    for name in ("a", "b"):
        # two folders: nothing of the machine's paths may reach the output
        src = write_evidence_project(tmp_path / f"src-{name}", repo, pin, evidence_files())
        built = build(src, freshenv=True)
        copy = tmp_path / f"out-{name}"
        shutil.copytree(built.app.outdir, copy)
        outs.append(copy)
    files_a = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert files_a == files_b
    differ = [str(p) for p in files_a if (outs[0] / p).read_bytes() != (outs[1] / p).read_bytes()]
    assert differ == [], differ


# -- no loss ---------------------------------------------------------------------------


def test_new_never_overwrites(tmp_path, capsys):
    target = tmp_path / "patterns" / "exception-root.md"
    target.parent.mkdir(parents=True)
    target.write_text("# Mine\n\nWords I wrote.\n")
    assert main(["new", "pattern", "exception-root", "--srcdir", str(tmp_path)]) != 0
    assert target.read_text() == "# Mine\n\nWords I wrote.\n"
    assert "exists" in capsys.readouterr().err


def test_killed_sync_leaves_no_checkout(tmp_path, offline_index):
    files = {f"demo/m{i:04d}.py": f"x = {i}\n" * 200 for i in range(3000)}
    _, sha = make_sdist(offline_index, "demo", "1.0", files)
    src = tmp_path / "p"
    src.mkdir()
    (src / "conf.py").write_text('pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(
        manifest_text("demo", "a" * 40, f'sdist = [{{ requirement = "demo==1.0", sha256 = "{sha}" }}]\n')
    )
    root = src / ".pypatterns" / "checkouts"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sphinx_pypatterns", "sync", str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 120
    killed_mid_extraction = False
    while time.monotonic() < deadline and proc.poll() is None:
        tmp = [p for p in root.glob(".tmp-*")] if root.exists() else []
        if tmp and any(tmp[0].rglob("*.py")):
            proc.send_signal(signal.SIGKILL)
            killed_mid_extraction = True
            break
        time.sleep(0.005)
    proc.wait()
    assert killed_mid_extraction, "sync finished before it could be killed: make the sdist bigger"
    manifest = load_manifest(src / "upstreams.toml")
    with pytest.raises(CheckoutError) as err:
        locate_checkout(manifest.upstreams["demo"], (str(root), {}))
    assert err.value.subtype == "checkout_missing"
    assert not (root / f"demo-{'a' * 40}").exists()
    # a new sync completes and the left-over temporary folder does not count
    assert main(["sync", str(src)]) == 0
    assert locate_checkout(manifest.upstreams["demo"], (str(root), {})).read("demo/m0001.py")[1].startswith(b"x = 1")


# -- safe subprocesses -----------------------------------------------------------------


def test_git_is_called_with_argument_lists_and_double_dash(tmp_path, monkeypatch):
    from sphinx_pypatterns import parse_manifest, sync_upstreams

    repo, pin = make_upstream(tmp_path)
    calls: list[tuple[object, dict[str, object]]] = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def run(args, *a, **k):
        calls.append((args, k))
        return real_run(args, *a, **k)

    def popen(args, *a, **k):
        calls.append((args, k))
        return real_popen(args, *a, **k)

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(subprocess, "Popen", popen)
    manifest = parse_manifest(manifest_text("up", pin, f'git = "{repo}"\n'))
    sync_upstreams(manifest, tmp_path / "c")
    from sphinx_pypatterns import Verifier, parse_target

    with Verifier(manifest, (str(tmp_path / "c"), {})) as verifier:
        assert verifier.verify(parse_target("up:README.md:1")).ok
    gits = [(args, k) for args, k in calls if isinstance(args, list) and args[0] == "git"]
    assert gits, calls
    for args, kwargs in calls:
        assert isinstance(args, list) and not kwargs.get("shell"), args
    for args, _ in gits:
        if "clone" in args:
            assert args[args.index("--") + 1] == str(repo), args
