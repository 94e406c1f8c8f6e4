"""The Sphinx-free core: targets, anchors, symbols and the manifest."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_pypatterns import ManifestError, PypatternsError, TargetError, parse_anchor, parse_manifest, parse_target
from sphinx_pypatterns._core.manifest import load_manifest
from sphinx_pypatterns._core.symbols import symbol_table

GOOD = """\
[httpx]
repository = "https://github.com/encode/httpx"
tag = "0.28.1"
commit = "26d48e0634e6ee9cdc0533996db289ce4b430177"
license = "BSD-3-Clause"
sdist = [{ requirement = "httpx==0.28.1", sha256 = "75e98c5f16b0f35b567856f597f06ff2270a374470a5c2392242528e3e3e42fc" }]
"""


def test_parse_target_forms():
    t = parse_target("httpx:httpx/_exceptions.py:74-80")
    assert (t.upstream, t.path, t.start, t.end) == ("httpx", "httpx/_exceptions.py", 74, 80)
    assert parse_target("httpx:a.py:7").end == 7
    assert str(parse_target("httpx:a.py:7-7")) == "httpx:a.py:7"


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("", "empty_target"),
        ("httpx", "bad_target"),
        ("httpx:a.txt", "bad_target"),
        (":a.py:1", "bad_target"),
        ("httpx:../a.py:1", "bad_path"),
        ("httpx:/etc/passwd:1", "bad_path"),
        ("httpx:~/a.py:1", "bad_path"),
        ("httpx:a\\b.py:1", "bad_path"),
        ("httpx:a%2e%2e/b.py:1", "bad_path"),
        ("httpx:a\x00b:1", "bad_path"),
        ("httpx:" + "a/" * 600 + "b.py:1", "bad_path"),
        ("httpx:a//b.py:1", "bad_path"),
        ("httpx:./a.py:1", "bad_path"),
        ("httpx:--upload-pack=evil:1", "bad_path"),
        ("httpx:a.py:0", "bad_lines"),
        ("httpx:a.py:-3", "bad_lines"),
        ("httpx:a.py:9-3", "bad_lines"),
        ("httpx:a.py:" + "9" * 40, "bad_lines"),
        ("httpx:a.py:L3", "bad_lines"),
        ("--upload-pack=x:a.py:1", "bad_target"),
    ],
)
def test_parse_target_refuses(text, subtype):
    with pytest.raises(TargetError) as err:
        parse_target(text)
    assert err.value.subtype == subtype


def test_unknown_upstream():
    with pytest.raises(TargetError) as err:
        parse_target("requests:a.py:1", known_upstreams=frozenset({"httpx"}))
    assert err.value.subtype == "unknown_upstream" and "httpx" in str(err.value)


def test_anchor_titles():
    assert parse_anchor("Client.send") == "Client.send"
    assert parse_anchor("HTTPError()") == "HTTPError"
    assert parse_anchor("the client") is None


def test_symbol_table_covers_defs_methods_assignments_imports_and_blocks():
    source = (
        "import os\nfrom a import b as c\n__all__ = ['X']\n"
        "if True:\n    Y: int = 1\nelse:\n    def Y():\n        pass\n"
        "@decorator\nclass X:\n    attr = 1\n    def m(self):\n        local = 2\n        def inner():\n            pass\n"
    )
    table = symbol_table(source, filename="m.py")
    assert table["os"] == [(1, 1)] and table["c"] == [(2, 2)] and table["__all__"] == [(3, 3)]
    assert table["Y"] == [(4, 5), (4, 8)]  # a binding inside a block spans from the block's first line
    assert table["X"] == [(9, 15)] and table["X.attr"] == [(11, 11)] and table["X.m"] == [(12, 15)]
    assert table["X.m.inner"] == [(14, 15)] and "X.m.local" not in table


def test_unparsable_names_both_versions():
    with pytest.raises(PypatternsError) as err:
        symbol_table("def f(:\n", filename="x.py", python_hint="3.13.0")
    assert err.value.subtype == "unparsable" and "running Python 3." in str(err.value) and "3.13.0" in str(err.value)


def test_manifest_loads():
    manifest = parse_manifest(GOOD)
    up = manifest.upstreams["httpx"]
    assert up.sdists[0].requirement == "httpx==0.28.1"
    assert up.permalink("httpx/_api.py", 3, 5) == (
        "https://github.com/encode/httpx/blob/26d48e0634e6ee9cdc0533996db289ce4b430177/httpx/_api.py#L3-L5"
    )


@pytest.mark.parametrize(
    ("change", "key", "line"),
    [
        (('commit = "26d48e0634e6ee9cdc0533996db289ce4b430177"', 'commit = "26d48e0"'), "httpx.commit", 4),
        (('commit = "26d48e0634e6ee9cdc0533996db289ce4b430177"', 'commit = "' + "z" * 40 + '"'), "httpx.commit", 4),
        (('license = "BSD-3-Clause"', 'licence = "BSD"'), "httpx.licence", 5),
        (('tag = "0.28.1"', "tag = 28"), "httpx.tag", 3),
        (('tag = "0.28.1"\n', ""), "httpx.tag", 1),
        (('repository = "https://github.com/encode/httpx"', 'repository = "github.com/x"'), "httpx.repository", 2),
        (('sha256 = "75e9', 'sha256 = "zz'), "httpx.sdist[0].sha256", 6),
        (("httpx==0.28.1", "httpx>=0.28"), "httpx.sdist[0].requirement", 6),
    ],
)
def test_manifest_errors_name_key_and_line(change, key, line):
    text = GOOD.replace(*change)
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, path="upstreams.toml")
    assert err.value.key == key and err.value.line == line
    assert str(err.value).startswith(f"upstreams.toml:{line} [{key}]")


def test_malformed_toml_and_bad_encoding(tmp_path):
    with pytest.raises(ManifestError) as err:
        parse_manifest("[httpx\nrepository = 1\n", path="m.toml")
    assert err.value.subtype == "manifest_toml" and err.value.line == 1
    bad = tmp_path / "m.toml"
    bad.write_bytes(b"[h]\nx = '\xff'\n")
    with pytest.raises(ManifestError) as enc:
        load_manifest(bad)
    assert enc.value.subtype == "manifest_toml"


@settings(max_examples=300)
@given(st.text())
def test_fuzz_parse_target_raises_only_our_error(text):
    try:
        parse_target(text)
    except PypatternsError:
        pass


@settings(max_examples=300)
@given(st.text())
def test_fuzz_manifest_raises_only_our_error(text):
    try:
        parse_manifest(text)
    except PypatternsError:
        pass


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(["repository", "tag", "commit", "license", "sdist", "stdlib", "git", "x"]),
        st.one_of(st.text(), st.integers(), st.lists(st.text()), st.booleans()),
        max_size=7,
    )
)
def test_fuzz_manifest_values_raise_only_our_error(table):
    import json

    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    try:
        parse_manifest("[up]\n" + "\n".join(lines) + "\n")
    except PypatternsError:
        pass


def test_scanner_skips_code_and_finds_roles_and_directives():
    from pathlib import Path

    from sphinx_pypatterns._core.scan import scan_page

    text = (
        "A {cite}`X <u:a.py:1>` and ``{cite}`u:code.py:1` ``.\n"
        "```python\n{cite}`u:in-code.py:1`\n```\n"
        ":::{cite} u:b.py:2-3\n:symbol: Y.z\n:::\n"
        "````markdown\n```{cite} u:nested.py:1\n```\n````\n"
        "```{cite} u:c.py:4\n```\n"
    )
    found = [(c.line, c.target, c.symbol) for c in scan_page(Path("p.md"), text)]
    assert found == [(1, "u:a.py:1", "X"), (5, "u:b.py:2-3", "Y.z"), (12, "u:c.py:4", "")]
