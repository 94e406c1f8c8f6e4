"""Hostile input to conf.py and the ``pypatterns`` command (issue 14).

- Wrongly typed ``pypatterns_*`` values, nested ones included: one located
  ``pypatterns.config`` warning naming the value, the default in effect, the
  same in the build and in ``pypatterns check``; never a traceback.
- ``pypatterns new`` with an id that is no id, that is too long for the file
  system, or whose folder leads out of the source folder: a clear refusal,
  and nothing written anywhere.
- ``pypatterns check`` runs conf.py the way Sphinx does: the same namespace
  (``__file__`` and ``tags``), and conf.py's own errors as a message.
"""

from __future__ import annotations

import hashlib
import os
import re
import textwrap
from pathlib import Path

import pytest
from conftest import BASE_CONF, Built, build, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.upstreams import manifest_text

from sphinx_pypatterns._core.config_values import CONFIG_DEFAULTS, checked_config
from sphinx_pypatterns._tools.cli import main

# -- helpers ---------------------------------------------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by content hash, folders, and symlinks by target."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and "Exception occurred" not in text, text


CHECK_LINE_RE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<subtype>\w+): ", re.M)
CONFIG_LINE_RE = re.compile(r"^(?P<path>.*conf\.py):(?P<line>\d+): config: (?P<msg>.*)$", re.M)

GOOD_PAGE = "# A\n\nGood {cite}`HTTPError <up:pkg/errors.py:6-7>`.\n\nBad {cite}`up:pkg/errors.py:99`.\n"


def cited_project(src: Path, repo: Path, pin: str, extra: str) -> Path:
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n' + extra
    write_project(src, {"a.md": GOOD_PAGE}, conf)
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    return src


def line_of(text: str, needle: str) -> int:
    """1-based number of the last line of ``text`` that starts with ``needle``."""
    found = [i + 1 for i, line in enumerate(text.split("\n")) if line.startswith(needle)]
    assert found, needle
    return found[-1]


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    no_traceback(out + err)
    return rc, out, err


#: The build reports these once per page and upstream (at the first citation); check, at every citation.
ONCE_PER_PAGE = {"checkout_missing", "commit_missing", "no_manifest"}


def check_failures(out: str) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    seen: set[tuple[str, str]] = set()
    for m in CHECK_LINE_RE.finditer(out):
        if m["subtype"] in ONCE_PER_PAGE:
            if (m["file"], m["subtype"]) in seen:
                continue
            seen.add((m["file"], m["subtype"]))
        found.add((m["file"], int(m["line"]), m["subtype"]))
    return found


def build_citation_warnings(built: Built) -> set[tuple[str, int, str]]:
    return {
        (path, line, typ.removeprefix("pypatterns."))
        for path, line, typ, _msg in built.located()
        if path == "a.md" and typ.startswith("pypatterns.")
    }


def build_config_warnings(built: Built) -> list[tuple[int, str]]:
    return [(line, msg) for path, line, typ, msg in built.located() if typ == "pypatterns.config"]


def check_config_warnings(err: str) -> list[tuple[int, str]]:
    return [(int(m["line"]), m["msg"]) for m in CONFIG_LINE_RE.finditer(err)]


# -- class 1: wrongly typed conf values, nested ones too -------------------------------

NESTED_CASES = [
    ("checkouts-int-member", "pypatterns_checkouts = [1]"),
    ("checkouts-none-member", "pypatterns_checkouts = ['up=REPO', None]"),
    ("checkouts-bytes-member", "pypatterns_checkouts = [b'up=REPO']"),
    ("checkouts-nested-list", "pypatterns_checkouts = [['up=REPO']]"),
    ("checkouts-dict", "pypatterns_checkouts = {'up': 'REPO'}"),
    ("checkouts-int", "pypatterns_checkouts = 3"),
    ("checkouts-nul", "pypatterns_checkouts = 'up=REPO\\x00'"),
    ("checkouts-nul-member", "pypatterns_checkouts = ['up=REPO', 'x\\x00y']"),
    ("areas-nested", "pypatterns_areas = [['exceptions']]"),
    ("areas-empty-member", "pypatterns_areas = ['exceptions', '']"),
    ("areas-set", "pypatterns_areas = {'exceptions'}"),
    ("upstreams-int-member", "pypatterns_upstreams = ['up', 1]"),
    ("required-sections-str-value", "pypatterns_required_sections = {'pattern': 'What'}"),
    ("required-sections-int-member", "pypatterns_required_sections = {'pattern': ['What', 1]}"),
    ("required-sections-empty-title", "pypatterns_required_sections = {'smell': ['']}"),
    ("required-sections-int-key", "pypatterns_required_sections = {1: ['What']}"),
    ("required-sections-pairs", "pypatterns_required_sections = [('pattern', ['What'])]"),
    ("required-sections-dict-value", "pypatterns_required_sections = {'pattern': {'What': 1}}"),
    ("rule-sections-list-value", "pypatterns_rule_sections = {'repeated': ['Repeated patterns']}"),
    ("rule-sections-blank-value", "pypatterns_rule_sections = {'repeated': '  '}"),
    ("require-anchor-int", "pypatterns_require_anchor = 1"),
    ("require-anchor-str", "pypatterns_require_anchor = 'no'"),
    ("inline-excerpts-int", "pypatterns_print_inline_excerpts = 0"),
    ("nomination-none", "pypatterns_require_nomination = None"),
    ("max-bytes-bool", "pypatterns_max_file_bytes = True"),
    ("max-bytes-float", "pypatterns_max_file_bytes = 1e6"),
    ("max-bytes-str", "pypatterns_max_file_bytes = '10'"),
    ("threshold-bool", "pypatterns_min_upstreams = True"),
    ("threshold-float", "pypatterns_min_repeat_citations = 1.5"),
    ("rule-words-float", "pypatterns_rule_max_words = 2.5"),
    ("manifest-list", "pypatterns_manifest = ['upstreams.toml']"),
    ("manifest-nul", "pypatterns_manifest = 'upstreams.toml\\x00'"),
    ("huge-value", "pypatterns_areas = [1] * 100000"),
    (
        "hostile-repr",
        "class Evil:\n    def __repr__(self):\n        raise RuntimeError('no repr')\n\npypatterns_areas = [Evil()]",
    ),
]


@pytest.mark.parametrize("line", [c[1] for c in NESTED_CASES], ids=[c[0] for c in NESTED_CASES])
def test_a_nested_wrong_type_is_one_located_config_warning_in_build_and_check(tmp_path, capsys, upstream, line):
    repo, pin = upstream
    line = line.replace("REPO", str(repo))
    src = cited_project(tmp_path / "p", repo, pin, line + "\n")
    name = line.rsplit("\n", 1)[-1].split(" ", 1)[0]
    conf_line = line_of((src / "conf.py").read_text(), name + " =")

    built = build(src)  # asserts: no traceback
    config = build_config_warnings(built)
    assert [n for n, _ in config] == [conf_line], built.warnings
    assert name in config[0][1] and "using the default" in config[0][1]
    assert len(config[0][1]) < 600, "the message names the value, shortened"

    rc, out, err = run_check(capsys, str(src))
    assert [n for n, _ in check_config_warnings(err)] == [conf_line], err
    assert check_config_warnings(err)[0][1] == config[0][1], "check says what the build says"
    if name != "pypatterns_manifest":
        # the default is in effect in both: the same citation verdicts
        assert check_failures(out) == build_citation_warnings(built), (out, built.warnings)
        assert rc == (1 if check_failures(out) else 0)
    else:
        # the default is "no manifest": check says so, the build calls every citation unverifiable
        assert rc == 1 and "no pypatterns_manifest" in err


def test_the_defaults_are_in_effect_after_a_wrong_value(tmp_path, capsys, upstream):
    """A boolean passed as an int is not taken as the boolean: the default is used, in build and check."""
    repo, pin = upstream
    src = cited_project(tmp_path / "p", repo, pin, "pypatterns_require_anchor = 1\npypatterns_max_file_bytes = True\n")
    built = build(src)
    # the default max size (10 MiB), not True == 1 byte; the default require_anchor (False), not 1
    assert {s for _f, _l, s in build_citation_warnings(built)} == {"line_out_of_range"}, built.warnings
    rc, out, _err = run_check(capsys, str(src))
    assert rc == 1 and check_failures(out) == {("a.md", 5, "line_out_of_range")}, out


NAMES = sorted(CONFIG_DEFAULTS)
LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-3, 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.binary(max_size=4)
    | st.sampled_from(["", " ", "x\x00", "What", "exceptions", "up", "counterexamples", "pattern", "smell"])
)
NESTED = st.recursive(
    LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(0, 3) | st.text(max_size=2), max_size=2)
        | st.dictionaries(st.sampled_from(["pattern", "smell", "source-note", "repeated", "x", ""]), inner, max_size=3)
        | st.dictionaries(st.integers(0, 2), inner, max_size=2)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(values=st.dictionaries(st.sampled_from(NAMES), NESTED, max_size=6))
def test_checked_config_never_raises_and_its_result_is_valid(values):
    clean, problems = checked_config(values)
    assert set(clean) == set(CONFIG_DEFAULTS)
    assert {name for name, _msg in problems} <= set(values)
    assert len({name for name, _msg in problems}) == len(problems), "one problem per value"
    for name, _msg in problems:
        assert clean[name] == CONFIG_DEFAULTS[name]
    for name, value in values.items():
        if name not in {n for n, _ in problems}:
            assert clean[name] is value
    again, more = checked_config(clean)
    assert more == [] and again == clean, "the cleaned values (and the defaults) are valid"


def _py(value: object) -> str:
    """``value`` as Python source (frozensets and bytes included)."""
    return repr(value)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.dictionaries(st.sampled_from(NAMES), NESTED, min_size=1, max_size=4))
def test_random_nested_conf_values_build_and_check_agree(tmp_path_factory, capsys, upstream, values):
    repo, pin = upstream
    values.pop("pypatterns_manifest", None)  # keep the manifest: the citation verdicts are compared
    values.pop("pypatterns_background_verify", None)
    if not values:
        return
    src = tmp_path_factory.mktemp("nc")
    conf = "".join(f"{name} = {_py(value)}\n" for name, value in values.items())
    cited_project(src, repo, pin, conf)
    built = build(src)  # asserts: no traceback
    rc, out, err = run_check(capsys, str(src))
    assert check_config_warnings(err) == build_config_warnings(built), (err, built.warnings)
    assert check_failures(out) == build_citation_warnings(built), (out, built.warnings)
    assert rc in (0, 1)


# -- classes 2 and 3: pypatterns new ---------------------------------------------------------

KINDS_AND_FOLDERS = [("pattern", "patterns"), ("smell", "smells"), ("source-note", "sources")]
BAD_IDS = [
    "../../somewhere",
    "../x",
    "a/b",
    "/abs/x",
    "..",
    ".",
    "",
    "a\\b",
    "x\x00y",
    "x\n",
    "x\ny",
    " x",
    "x ",
    "a b",
    "-x",
    "~",
    "x.md/..",
    "\u202ex",
    "caf\u00e9",
]


def new(capsys: pytest.CaptureFixture[str], kind: str, ident: str, srcdir: Path) -> tuple[int, str, str]:
    rc = main(["new", "--srcdir", str(srcdir), kind, "--", ident])
    out, err = capsys.readouterr()
    no_traceback(out + err)
    return rc, out, err


@pytest.mark.parametrize("kind", [k for k, _ in KINDS_AND_FOLDERS])
@pytest.mark.parametrize("ident", BAD_IDS, ids=[repr(i) for i in BAD_IDS])
def test_new_refuses_an_id_that_is_no_id_and_writes_nothing(tmp_path, capsys, kind, ident):
    src = tmp_path / "proj" / "docs"
    src.mkdir(parents=True)
    (tmp_path / "somewhere").mkdir()
    before = tree(tmp_path)
    rc, out, err = new(capsys, kind, ident, src)
    assert rc == 2, (out, err)
    assert err.startswith("pypatterns new: ") and repr(ident) in err
    assert ("lower-case slug" if kind != "source-note" else "upstream name") in err
    assert out == ""
    assert tree(tmp_path) == before


@pytest.mark.parametrize("kind", ["pattern", "smell"])
def test_new_pattern_and_smell_ids_are_the_directives_slugs(tmp_path, capsys, kind):
    rc, _out, err = new(capsys, kind, "Upper-Case", tmp_path)
    assert rc == 2 and "lower-case slug" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["SQLAlchemy", "zope.interface", "typing_extensions", "up"])
def test_new_source_note_takes_any_upstream_name_and_the_page_builds(tmp_path, capsys, name):
    src = tmp_path / "p"
    rc, out, err = new(capsys, "source-note", name, src)
    assert rc == 0, err
    assert out == f"wrote {src / 'sources' / (name + '.md')}\n"
    write_project(src, {}, f"pypatterns_upstreams = [{name!r}]\n")
    (src / "index.md").write_text(f"# I\n\n```{{toctree}}\nsources/{name}\n```\n")
    # the page builds, and what is left of the template is flagged: its four placeholders only
    assert [w[2] for w in build(src).located()] == ["pypatterns.unfinished"] * 4


def test_new_source_note_name_rule_is_the_manifests(tmp_path, capsys):
    """The manifest refuses upstream names over 64 characters; so does ``new``."""
    rc, _out, err = new(capsys, "source-note", "a" * 65, tmp_path)
    assert rc == 2 and "upstream name" in err and not list(tmp_path.iterdir())
    rc, _out, _err = new(capsys, "source-note", "a" * 64, tmp_path)
    assert rc == 0 and (tmp_path / "sources" / ("a" * 64 + ".md")).is_file()


def test_new_with_an_id_too_long_for_the_file_system(tmp_path, capsys):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    src = tmp_path / "p"
    src.mkdir()
    before = tree(tmp_path)
    too_long = "a" * (limit - len(".md") + 1)
    rc, out, err = new(capsys, "pattern", too_long, src)
    assert rc == 2, (out, err)
    assert "too long" in err and f"at most {limit}" in err and "OSError" not in err
    assert tree(tmp_path) == before, "not even the patterns/ folder"
    # the longest that fits is written
    rc, _out, err = new(capsys, "pattern", too_long[1:], src)
    assert rc == 0, err
    assert (src / "patterns" / (too_long[1:] + ".md")).is_file()


def test_new_with_a_long_id_in_a_missing_srcdir_creates_nothing(tmp_path, capsys):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    rc, _out, err = new(capsys, "smell", "b" * limit, tmp_path / "not" / "yet")
    assert rc == 2 and "too long" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kind", "folder"), KINDS_AND_FOLDERS)
def test_new_refuses_a_folder_that_is_a_symlink_out_of_the_source_folder(tmp_path, capsys, kind, folder):
    src = tmp_path / "proj"
    src.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (src / folder).symlink_to("../outside")
    before = tree(tmp_path)
    rc, _out, err = new(capsys, kind, "up", src)
    assert rc == 1
    assert "outside the source folder" in err and "not writing" in err
    assert tree(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_new_refuses_a_folder_symlinked_through_a_chain_out_of_the_source_folder(tmp_path, capsys):
    src = tmp_path / "proj"
    (src / "inner").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (src / "inner" / "hop").symlink_to("../../outside")
    (src / "patterns").symlink_to("inner/hop")
    before = tree(tmp_path)
    rc, _out, err = new(capsys, "pattern", "exception-root", src)
    assert rc == 1 and "outside the source folder" in err
    assert tree(tmp_path) == before


def test_new_follows_a_folder_symlinked_inside_the_source_folder(tmp_path, capsys):
    src = tmp_path / "proj"
    (src / "pages" / "patterns").mkdir(parents=True)
    (src / "patterns").symlink_to("pages/patterns")
    rc, out, err = new(capsys, "pattern", "exception-root", src)
    assert rc == 0, err
    assert out == f"wrote {src / 'patterns' / 'exception-root.md'}\n"
    assert (src / "pages" / "patterns" / "exception-root.md").read_text().startswith("# Exception root\n")


def test_new_refuses_a_dangling_symlink_at_the_page_and_writes_nothing_outside(tmp_path, capsys):
    src = tmp_path / "proj"
    (src / "smells").mkdir(parents=True)
    (src / "smells" / "bare-raise.md").symlink_to("../../outside.md")
    before = tree(tmp_path)
    rc, _out, err = new(capsys, "smell", "bare-raise", src)
    assert rc == 1 and "exists; not overwriting it" in err
    assert tree(tmp_path) == before and not (tmp_path / "outside.md").exists()


def test_new_reports_a_folder_that_is_a_file_or_a_loop(tmp_path, capsys):
    src = tmp_path / "proj"
    src.mkdir()
    (src / "patterns").write_text("not a folder\n")
    (src / "smells").symlink_to("smells")
    before = tree(tmp_path)
    rc, _out, err = new(capsys, "pattern", "exception-root", src)
    assert rc == 1 and "cannot write" in err
    rc, _out, err = new(capsys, "smell", "bare-raise", src)
    assert rc == 1 and ("cannot write" in err or "outside the source folder" in err)
    assert tree(tmp_path) == before


def test_new_still_creates_a_missing_source_folder(tmp_path, capsys):
    rc, _out, err = new(capsys, "pattern", "exception-root", tmp_path / "a" / "b")
    assert rc == 0, err
    assert (tmp_path / "a" / "b" / "patterns" / "exception-root.md").is_file()


# -- class 4: check runs conf.py the way Sphinx does ------------------------------------------

TAGS_CONF = BASE_CONF + textwrap.dedent(
    """
    pypatterns_manifest = "upstreams.toml"
    pypatterns_checkouts = ["up={repo}"]
    if tags.has("strict"):
        pypatterns_require_anchor = True
    if "html" in tags or tags.eval_condition("strict and not lax"):
        html_title = "strict"
    tags.add("pypatterns")
    assert "pypatterns" in tags and "pypatterns" in list(tags), tags
    assert repr(tags).startswith("Tags("), repr(tags)
    here = __file__
    """
)
# the namespace Sphinx's eval_config_file gives conf.py: checked on the first line, before any name is bound
NAMESPACE_CHECK = (
    'assert sorted(globals()) == ["__builtins__", "__file__", "tags"], sorted(globals())\n'
    'assert __file__.endswith("conf.py") and __import__("os").path.isabs(__file__), __file__\n'
    'assert __import__("os").getcwd() == __import__("os").path.dirname(__file__)\n'
)


def tags_project(src: Path, repo: Path, pin: str) -> Path:
    src.mkdir(parents=True)
    (src / "conf.py").write_text(NAMESPACE_CHECK + TAGS_CONF.format(repo=repo))
    (src / "index.md").write_text("# Index\n\n```{toctree}\na\n```\n")
    (src / "a.md").write_text("# A\n\nUnanchored {cite}`up:pkg/errors.py:6-7`.\n")
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    return src


def test_check_gives_conf_py_the_namespace_sphinx_gives_it(tmp_path, capsys, upstream):
    repo, pin = upstream
    src = tags_project(tmp_path / "p", repo, pin)
    plain = build(src)  # the namespace assertions hold under Sphinx
    assert build_citation_warnings(plain) == set(), plain.warnings
    rc, out, err = run_check(capsys, str(src))
    assert rc == 0 and err == "", (out, err)
    assert "check: 1 citations, 0 failures" in out


def test_check_takes_tags_like_sphinx_build(tmp_path, capsys, upstream):
    repo, pin = upstream
    src = tags_project(tmp_path / "p", repo, pin)
    strict = build(src, tags=["strict"])
    assert build_citation_warnings(strict) == {("a.md", 3, "missing_anchor")}, strict.warnings
    rc, out, _err = run_check(capsys, str(src), "-t", "strict")
    assert rc == 1 and check_failures(out) == {("a.md", 3, "missing_anchor")}, out
    rc, out, _err = run_check(capsys, str(src), "--tag", "strict", "-t", "lax")
    assert rc == 1 and check_failures(out) == {("a.md", 3, "missing_anchor")}, out


CONF_ERRORS = [
    ("raises", "x = 1\nraise RuntimeError('boom')\n", 2, "RuntimeError: boom"),
    ("name-error", "pypatterns_manifest = missing_name\n", 1, "NameError"),
    ("syntax-error", "x = 1\ny = (\n", 2, "syntax error"),
    ("sys-exit", "import sys\nsys.exit(3)\n", 2, "sys.exit()"),
    ("nested-raise", "def f():\n    return 1 / 0\n\nf()\n", 2, "ZeroDivisionError"),
]


@pytest.mark.parametrize(("text", "line", "says"), [c[1:] for c in CONF_ERRORS], ids=[c[0] for c in CONF_ERRORS])
def test_check_reports_a_broken_conf_py_as_sphinx_would_refuse_it(tmp_path, capsys, text, line, says):
    src = tmp_path / "p"
    src.mkdir()
    (src / "conf.py").write_text(text)
    (src / "a.md").write_text("# A\n")
    for command in ("check", "sync"):
        rc = main([command, str(src)])
        out, err = capsys.readouterr()
        assert rc == 1, (out, err)
        assert "Traceback" not in out + err
        assert err.startswith(f"pypatterns {command}: ") and f"conf.py:{line}" in err and says in err, err


def test_new_with_a_srcdir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine\n")
    before = tree(tmp_path)
    rc, _out, err = new(capsys, "pattern", "exception-root", tmp_path / "notes.txt")
    assert rc == 1 and "cannot write" in err
    assert tree(tmp_path) == before
