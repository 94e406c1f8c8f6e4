"""The bad-input catalogue: every mistake is one located ``pypatterns.<subtype>`` warning, never a traceback.

Pages and citations: one page per case in one real build, each case pinning
its subtype and ``docname:line``. Manifests, conf values: one build each,
pinned at the file, line and key. Sync sources: the ``pypatterns sync``
command, pinned at the upstream and its source.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import build, default_body, page, write_project
from support.sdists import member, sdist_manifest
from support.upstreams import make_sdist, make_upstream, manifest_text

from sphinx_pypatterns import CheckoutError, GitCheckout, ManifestError, SyncError, parse_manifest
from sphinx_pypatterns._tools.cli import main
from sphinx_pypatterns._tools.sync import safe_extract


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes  # the page
    subtype: str
    marker: str | bytes  # the warning names the first line holding this


def cite(target: str) -> str:
    return f"# Case\n\nThe claim\nrests on {{cite}}`{target}`.\n"


PATTERN_BODY = default_body("pattern")

CITE_CASES = [
    # path tricks
    ("dotdot", "up:pkg/../../etc/passwd:1", "bad_path"),
    ("absolute", "up:/etc/passwd:1", "bad_path"),
    ("tilde", "up:~/secrets.py:1", "bad_path"),
    ("backslash", "up:pkg\\errors.py:1", "bad_path"),
    ("url-encoded", "up:pkg/%2e%2e/secrets.py:1", "bad_path"),
    ("nul", "up:pkg/err\x00ors.py:1", "bad_path"),
    ("over-long", "up:" + "a/" * 600 + "b.py:1", "bad_path"),
    ("option-shaped-path", "up:--upload-pack=touch-x:1", "bad_path"),
    ("symlink-out", "up:pkg/escape.py:1", "path_escapes"),
    ("symlink-loop", "up:pkg/loop-a.py:1", "symlink_loop"),
    ("directory", "up:pkg:1", "not_a_file"),
    # bad lines
    ("line-zero", "up:README.md:0", "bad_lines"),
    ("line-negative", "up:README.md:-2", "bad_lines"),
    ("lines-reversed", "up:README.md:3-1", "bad_lines"),
    ("line-past-end", "up:README.md:4-9", "line_out_of_range"),
    ("line-enormous", "up:README.md:" + "9" * 30, "bad_lines"),
    # bad files
    ("binary-file", "up:pkg/data.bin:1", "binary_file"),
    ("not-utf8-file", "name <up:pkg/latin1.py:1>", "not_utf8"),
    ("fifty-mb-file", "big:huge.txt:1", "file_too_large"),
    ("missing-file", "up:pkg/nope.py:1", "missing_file"),
    ("unparsable-file", "f <up:pkg/broken.py:1>", "unparsable"),
    # bad commits
    ("absent-commit", "gone:README.md:1", "commit_missing"),
    # malformed targets and anchors
    ("unknown-upstream", "requests:api.py:1", "unknown_upstream"),
    ("no-lines", "up:pkg/errors.py", "bad_target"),
    ("missing-anchor", "up:pkg/errors.py:6", "missing_anchor"),
    ("wrong-anchor", "RequestError <up:pkg/errors.py:6-8>", "anchor_mismatch"),
    ("unknown-symbol", "Nope <up:pkg/errors.py:6>", "unknown_symbol"),
    ("empty-cite", " ", "empty_target"),
]

IN_LIST = (
    "# Case\n\n- item\n\n  :::{pattern}\n  :id: listed\n  :area: exceptions\n  :rule: R.\n  :::\n\n"
    + default_body("pattern")
)
IN_NOTE = "# Case\n\n::::{note}\n:::{smell}\n:id: noted\n:inverts: twin\n:summary: S.\n:::\n::::\n\n" + default_body(
    "smell"
)

PAGE_CASES = [
    Case("page-not-utf8", b"# Case\n\nCaf\xe9 au lait.\n", "source_encoding", b"Caf"),
    Case("header-in-list", IN_LIST, "misplaced_header", "{pattern}"),
    # MyST reports a directive nested in an admonition one line below its fence
    Case("header-in-admonition", IN_NOTE, "misplaced_header", ":id: noted"),
    Case("empty-xref", "# Case\n\nSee {pattern}` `.\n", "empty_target", "See"),
    Case("empty-candidate", "# Case\n\n- {candidate}` `\n", "empty_target", "candidate"),
    Case(
        "ids-differ-in-case",
        page("pattern", "x", options=":id: Twin\n:area: exceptions\n:rule: R."),
        "bad_id",
        "{pattern}",
    ),
    Case("duplicate-id", page("pattern", "twin", title="Twin again"), "duplicate_id", "{pattern}"),
    Case(
        "unknown-option",
        page("pattern", "x", options=":id: opt\n:area: exceptions\n:rule: R.\n:rulee: R."),
        "unknown_option",
        ":rulee:",
    ),
    Case("missing-option", page("pattern", "x", options=":id: miss\n:area: exceptions"), "missing_option", "{pattern}"),
    Case(
        "empty-option",
        page("pattern", "x", options=":id: empty\n:area: exceptions\n:rule:"),
        "empty_option",
        "{pattern}",
    ),
    Case(
        "bad-area", page("pattern", "x", options=":id: area\n:area: exeptions\n:rule: R."), "unknown_area", "{pattern}"
    ),
    Case(
        "long-rule",
        page("pattern", "x", options=":id: long\n:area: exceptions\n:rule: " + "w " * 31),
        "rule_too_long",
        "{pattern}",
    ),
    Case(
        "two-headers",
        page("pattern", "two") + "\n:::{smell}\n:id: two-s\n:inverts: twin\n:summary: S.\n:::\n",
        "duplicate_header",
        "{smell}",
    ),
    Case(
        "inverts-unknown",
        page("smell", "x", options=":id: inv\n:inverts: no-such\n:summary: S."),
        "unknown_pattern",
        "{smell}",
    ),
    Case("unknown-xref", "# Case\n\nSee {smell}`no-such-smell`.\n", "unknown_ref", "See"),
    Case("xref-to-wrong-kind", "# Case\n\nThe text\nsees {smell}`twin`.\n", "unknown_ref", "sees"),
    Case(
        "bad-id",
        page("pattern", "x", options=":id: Exception_Root\n:area: exceptions\n:rule: R."),
        "bad_id",
        "{pattern}",
    ),
    Case("bad-candidate-id", "# Case\n\n- {candidate}`Bad Id`\n", "bad_id", "candidate"),
    Case(
        "missing-section",
        page("pattern", "sect", body=PATTERN_BODY.replace("## Why\n", "## Whyy\n")),
        "missing_section",
        "{pattern}",
    ),
    Case(
        "empty-section",
        page("pattern", "esec", body=PATTERN_BODY.replace("Text for why.\n", "")),
        "empty_section",
        "## Why\n",
    ),
    Case("unknown-source-upstream", page("source-note", "requests"), "unknown_upstream", "{source-note}"),
    Case(
        "bad-symbol-option",
        "# Case\n\n:::{cite} up:pkg/errors.py:6\n:symbol: not a name\n:::\n",
        "bad_target",
        "{cite}",
    ),
]

ALL_PAGE_CASES = [Case(f"cite-{i}", cite(t), sub, "rests on") for i, t, sub in CITE_CASES] + PAGE_CASES


def _line(text: str | bytes, marker: str | bytes) -> int:
    data = text.encode() if isinstance(text, str) else text
    mark = marker.encode() if isinstance(marker, str) else marker
    return data[: data.index(mark)].count(b"\n") + 1


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    repo, pin = make_upstream(root)
    big = root / "big"
    big.mkdir()
    with open(big / "huge.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # a sparse 50 MB file
    src = root / "p"
    files: dict[str, str | bytes] = {f"cases/{c.id}.md": c.text for c in ALL_PAGE_CASES}
    files["cases/aa-twin.md"] = page("pattern", "twin")
    conf = (
        'pypatterns_manifest = "upstreams.toml"\n'
        f'pypatterns_checkouts = ["up={repo}", "big={big}", "gone={repo}"]\n'
        "pypatterns_require_anchor = True\n"
    )
    write_project(src, files, conf)
    (src / "upstreams.toml").write_text(
        manifest_text("up", pin) + "\n" + manifest_text("big", pin) + "\n" + manifest_text("gone", "0" * 40)
    )
    built = build(src)
    by_page: dict[str, list[tuple[str, int]]] = {}
    for path, line, typ, _msg in built.located():
        if typ.startswith("pypatterns."):
            by_page.setdefault(path, []).append((typ.removeprefix("pypatterns."), line))
    return built, by_page


@pytest.mark.parametrize("case", ALL_PAGE_CASES, ids=[c.id for c in ALL_PAGE_CASES])
def test_bad_page_input(catalogue, case):
    built, by_page = catalogue
    assert by_page.get(f"cases/{case.id}.md") == [(case.subtype, _line(case.text, case.marker))], built.warnings


def test_the_catalogue_is_complete(catalogue):
    built, by_page = catalogue
    assert set(by_page) == {f"cases/{c.id}.md" for c in ALL_PAGE_CASES}, "a page warned that is not a case"
    assert "cases/aa-twin.md" not in by_page
    assert len(ALL_PAGE_CASES) + len(MANIFEST_CASES) + len(CONF_CASES) + len(SYNC_CASES) + 1 >= 40


# -- manifests: pinned at the file, line and key ---------------------------------

GOOD = manifest_text("up", "a" * 40)
MANIFEST_CASES = [
    ("malformed-toml", "[up\nrepository = 1\n", "manifest_toml", 1, ""),
    ("unknown-key", GOOD.replace('license = "MIT"', 'licence = "MIT"'), "manifest", 5, "up.licence"),
    ("missing-key", GOOD.replace('tag = "v1"\n', ""), "manifest", 1, "up.tag"),
    ("mistyped-key", GOOD.replace('tag = "v1"', "tag = 1"), "manifest", 3, "up.tag"),
    ("commit-too-short", GOOD.replace("a" * 40, "a" * 12), "bad_commit", 4, "up.commit"),
    ("commit-not-hex", GOOD.replace("a" * 40, "g" * 40), "bad_commit", 4, "up.commit"),
    ("commit-option-shaped", GOOD.replace("a" * 40, "--upload-pack=touch-x"), "bad_commit", 4, "up.commit"),
    ("repository-not-url", GOOD.replace("https://example.invalid/up", "example/up"), "manifest", 2, "up.repository"),
    ("git-option-shaped", GOOD + 'git = "--upload-pack=touch-x"\n', "manifest", 6, "up.git"),
]


@pytest.mark.parametrize(
    ("text", "subtype", "line", "key"), [c[1:] for c in MANIFEST_CASES], ids=[c[0] for c in MANIFEST_CASES]
)
def test_bad_manifest(tmp_path, text, subtype, line, key):
    src = tmp_path / "p"
    write_project(src, {"a.md": "# A\n\nText.\n"}, 'pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(text)
    built = build(src)
    found = [w for w in built.located() if w[2].startswith("pypatterns.")]
    assert [(w[0], w[1], w[2]) for w in found] == [("upstreams.toml", line, f"pypatterns.{subtype}")], built.warnings
    assert f"[{key}]" in found[0][3] if key else True


def test_option_shaped_commit_is_refused_before_any_subprocess(tmp_path, monkeypatch):
    started: list[object] = []

    def spy(*args: object, **kwargs: object) -> None:
        started.append(args)
        raise AssertionError("a subprocess was started")

    monkeypatch.setattr(subprocess, "Popen", spy)
    monkeypatch.setattr(subprocess, "run", spy)
    with pytest.raises(ManifestError) as err:
        parse_manifest(manifest_text("up", "--upload-pack=touch-x"))
    assert err.value.key == "up.commit"
    with pytest.raises(CheckoutError) as bad:
        GitCheckout(tmp_path, "--upload-pack=touch-x").read("README.md")
    assert bad.value.subtype == "bad_commit"
    assert started == []
    assert not (tmp_path / "x").exists()


# -- conf values: pinned at conf.py's line -----------------------------------------

CONF_CASES = [
    ("areas-not-a-list", 'pypatterns_areas = "exceptions"'),
    ("threshold-negative", "pypatterns_min_upstreams = -1"),
    ("flag-not-bool", 'pypatterns_require_anchor = "yes"'),
    ("rule-sections-unknown-key", 'pypatterns_rule_sections = {"nope": "X"}'),
    ("max-bytes-zero", "pypatterns_max_file_bytes = 0"),
    ("background-verify-not-bool", "pypatterns_background_verify = 1"),
]


@pytest.mark.parametrize("line", [c[1] for c in CONF_CASES], ids=[c[0] for c in CONF_CASES])
def test_bad_conf_value(tmp_path, line):
    src = tmp_path / "p"
    write_project(src, {"a.md": "# A\n\nText.\n"}, line + "\n")
    built = build(src)
    conf_lines = (src / "conf.py").read_text().split("\n")
    found = [(w[0], w[1], w[2]) for w in built.located() if w[2].startswith("pypatterns.")]
    assert found == [("conf.py", conf_lines.index(line) + 1, "pypatterns.config")], built.warnings


# -- sync sources: pinned at the upstream, its source and the archive member ----------

SYNC_CASES = [
    ("member-absolute", member("/etc/evil"), "'/etc/evil'"),
    ("member-dotdot", member("demo-1.0/../../evil"), "'demo-1.0/../../evil'"),
    ("member-device", member("demo-1.0/dev", tarfile.CHRTYPE), "'demo-1.0/dev'"),
    ("member-link-out", member("demo-1.0/up", tarfile.SYMTYPE, link="../../outside"), "'up' would link"),
    ("decompression-bomb", "bomb", "more than"),
    ("empty-tarball", "empty", "empty"),
]


@pytest.mark.parametrize(("member", "names"), [c[1:] for c in SYNC_CASES], ids=[c[0] for c in SYNC_CASES])
def test_bad_archive(tmp_path, member, names):
    files = {"demo/core.py": "x = 1\n"}
    if member == "bomb":
        files["demo/big.py"] = "x" * 100_000
    members = [member] if isinstance(member, tarfile.TarInfo) else []
    path, _ = make_sdist(tmp_path / "dl", "demo", "1.0", files, members=members)
    if member == "empty":
        with tarfile.open(path, "w:gz"):
            pass
    with pytest.raises(SyncError) as err:
        safe_extract(path, tmp_path / "out", max_bytes=50_000)
    assert err.value.subtype == "unsafe_archive" and names in str(err.value) and path.name in str(err.value)
    assert not (tmp_path / "out" / "etc").exists() and not (tmp_path / "evil").exists()


def test_sha_mismatch_names_upstream_and_source(tmp_path, offline_index, capsys):
    make_sdist(offline_index, "demo", "1.0", {"demo/core.py": "x = 1\n"})
    src = tmp_path / "p"
    src.mkdir()
    (src / "conf.py").write_text('pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(sdist_manifest("demo", "1.0", "0" * 64))
    assert main(["sync", str(src)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "demo" in err and "sdist" in err and "sha256 mismatch" in err, err
    assert [p.name for p in (src / ".pypatterns" / "checkouts").iterdir()] == []


def test_no_case_reads_outside_a_checkout(catalogue):
    built, _ = catalogue
    html = (Path(built.app.outdir) / "cases" / "cite-symlink-out.html").read_text()
    assert "root:" not in html  # /etc/passwd never reaches the output
    assert os.path.exists("/etc/passwd")
