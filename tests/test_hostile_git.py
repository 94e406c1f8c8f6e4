"""Code run from data through git (issue 14): no manifest URL and no repository runs a command.

Every test runs with a *permissive* git configuration in a temporary ``HOME`` (``protocol.allow =
always``, ``protocol.ext.allow = always``, a global hooks folder, a template folder whose hooks and
config would run commands, ``GIT_ALLOW_PROTOCOL`` widened in the environment), and every command a
trap could run touches a marker file. The assertion is always the same: no marker, ever.

* hostile ``git`` URLs in the manifest (``ext::``, other remote helpers, plain ``http``, an
  option-shaped ssh host…) are refused with one located ``pypatterns.manifest`` warning at the
  manifest's line and key, before any subprocess starts: in the build, in ``pypatterns sync`` and
  ``check``, and in ``sync_upstreams`` when the manifest check is bypassed;
* git itself, started the one way the extension starts it, refuses ``ext::`` even when asked;
* a repository whose ``.git/config`` sets ``core.fsmonitor``, ``core.sshCommand``, filters, textconv
  drivers and the rest, and whose hooks would all fire, runs nothing through sync, check and build;
* a partial clone whose promisor remote is hostile (``ext::``, ssh with ``core.sshCommand``, git:// with
  ``core.gitProxy``, file:// with ``remote.*.uploadpack``) runs nothing when a build, its background
  verifier or ``check`` reads a blob it lacks: reads never start a transport;
* ``test_the_traps_are_armed`` shows each trap firing under plain git, so the other tests mean something;
* an allowed ``file://`` URL, a local path and ``--mirror`` still work.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import build, git, make_repo, write_project
from support.upstreams import make_upstream, manifest_text

from sphinx_pypatterns import ManifestError, SyncError, Upstream, parse_manifest, sync_upstreams
from sphinx_pypatterns._tools.cli import main

#: Every hook git knows (githooks(5)); each one touches a marker in the hostile repositories.
HOOKS = (
    "applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg commit-msg"
    " post-commit pre-rebase post-checkout post-merge pre-push pre-receive update proc-receive post-receive"
    " post-update reference-transaction push-to-checkout pre-auto-gc post-rewrite sendemail-validate"
    " fsmonitor-watchman p4-changelist p4-prepare-changelist p4-post-changelist p4-pre-submit post-index-change"
).split()


@dataclass
class Traps:
    """Marker files, and the permissive git environment the tests run in."""

    root: Path
    markers: Path
    monkeypatch: pytest.MonkeyPatch

    def touch(self, label: str) -> str:
        """A command that leaves the marker ``label`` and ignores its arguments (git appends some)."""
        return str(self.script(label))

    def script(self, label: str, status: int = 1) -> Path:
        """An executable that leaves the marker ``label``, ignores its arguments, and exits ``status``."""
        path = self.root / "bin" / label
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\ntouch {self.markers / label}\nexit {status}\n")
        path.chmod(0o755)
        return path

    def hooks(self, folder: Path, prefix: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for hook in HOOKS:
            path = folder / hook
            path.write_text(f"#!/bin/sh\ntouch {self.markers / f'{prefix}-{hook}'}\n")
            path.chmod(0o755)

    def fired(self) -> list[str]:
        return sorted(p.name for p in self.markers.iterdir())

    def arm(self) -> None:
        """Switch to a HOME whose global git config allows every transport and runs hooks everywhere.

        Call it after the test's repositories are made (making them commits, which would fire the
        global hooks)."""
        home = self.root / "home"
        templates = self.root / "templates"
        self.hooks(templates / "hooks", "template-hook")
        (templates / "config").write_text(
            f"[core]\n\tfsmonitor = {self.touch('template-fsmonitor')}\n\tsshCommand = {self.touch('template-ssh')}\n"
        )
        self.hooks(home / "global-hooks", "global-hook")
        (home / ".config").mkdir(parents=True, exist_ok=True)
        gitconfig = home / ".gitconfig"
        gitconfig.write_text(
            textwrap.dedent(f"""\
                [protocol]
                \tallow = always
                [protocol "ext"]
                \tallow = always
                [protocol "file"]
                \tallow = always
                [protocol "fd"]
                \tallow = always
                [init]
                \ttemplateDir = {templates}
                [core]
                \thooksPath = {home / "global-hooks"}
                [submodule]
                \trecurse = true
                [safe]
                \tdirectory = *
                """)
        )
        self.monkeypatch.setenv("HOME", str(home))
        self.monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        self.monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        self.monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "ext:fd:file:https:ssh:git:http")
        self.monkeypatch.setenv("GIT_PROTOCOL_FROM_USER", "1")


@pytest.fixture
def traps(tmp_path, monkeypatch) -> Traps:
    markers = tmp_path / "markers"
    markers.mkdir()
    return Traps(tmp_path / "traps", markers, monkeypatch)


def ext_url(traps: Traps, label: str) -> str:
    return f"ext::sh -c touch% {traps.markers / label}"


def toml_string(value: str) -> str:
    return json.dumps(value)  # JSON's escapes are valid TOML basic-string escapes


def cite_page(target: str, title: str = "Case") -> str:
    return f"# {title}\n\nThe claim\nrests on {{cite}}`{target}`.\n"


def spy_subprocesses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    started: list[object] = []

    def spy(*args: object, **kwargs: object) -> None:
        started.append(args)
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", spy)
    monkeypatch.setattr(subprocess, "run", spy)
    return started


# -- which URLs a manifest may name ----------------------------------------------------

ALLOWED_URLS = [
    "https://github.com/encode/httpx.git",
    "ssh://git@github.com/encode/httpx.git",
    "ssh://git@github.com:22/encode/httpx.git",
    "git@github.com:encode/httpx.git",
    "github.com:encode/httpx.git",
    "git://example.invalid/httpx.git",
    "file:///srv/git/httpx.git",
    "/srv/git/httpx.git",
    "../httpx.git",
    "./odd:name.git",
    "/srv/git/my repo.git",
]

#: (id, URL, words the refusal must say)
REFUSED_URLS = [
    ("ext-helper", "ext::sh -c touch% x", "'ext'"),
    ("fd-helper", "fd::17", "'fd'"),
    ("other-helper", "hg::https://example.invalid/repo", "'hg'"),
    ("https-helper-syntax", "https::https://example.invalid/repo", "'https'"),
    ("plain-http", "http://example.invalid/repo.git", "'http'"),
    ("upper-case-scheme", "HTTPS://example.invalid/repo.git", "'HTTPS'"),
    ("unknown-scheme", "rsync://example.invalid/repo.git", "'rsync'"),
    ("deprecated-ssh-alias", "git+ssh://example.invalid/repo.git", "'git+ssh'"),
    ("ssh-option-host", "ssh://-oProxyCommand=touch%20x/repo.git", "option"),
    ("ssh-option-user-host", "ssh://-oProxyCommand=x@example.invalid/repo.git", "option"),
    ("scp-option-host", "-oProxyCommand=touch:repo.git", "'-'"),
    ("scp-option-path", "example.invalid:-repo.git", "option"),
    ("newline", "https://example.invalid/repo.git\n--upload-pack=touch", "control"),
    ("bidi-override", "https://example.invalid/\u202egit.evil", "U+202E"),
    ("empty-after-scheme", "https://", "host"),
]


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_allowed_git_urls(url):
    from sphinx_pypatterns._core.git import ALLOWED_TRANSPORTS, check_git_url, git_transport

    assert check_git_url(url) is None
    assert git_transport(url) in ALLOWED_TRANSPORTS
    parse_manifest(manifest_text("up", "a" * 40, f"git = {toml_string(url)}\n"))


@pytest.mark.parametrize(("url", "words"), [c[1:] for c in REFUSED_URLS], ids=[c[0] for c in REFUSED_URLS])
def test_refused_git_urls(url, words, monkeypatch):
    from sphinx_pypatterns._core.git import check_git_url

    reason = check_git_url(url)
    assert reason is not None and words in reason, reason
    started = spy_subprocesses(monkeypatch)
    with pytest.raises(ManifestError) as err:
        parse_manifest(manifest_text("up", "a" * 40, f"git = {toml_string(url)}\n"), path="upstreams.toml")
    assert (err.value.subtype, err.value.key, err.value.line) == ("manifest", "up.git", 6)
    assert words in err.value.message
    assert started == []


# -- hostile URLs: refused at the manifest's line, before any subprocess -------------------


@pytest.mark.parametrize("kind", ["ext", "fd", "ssh-option"])
def test_build_refuses_a_hostile_url_at_the_manifest_line(tmp_path, traps, kind):
    url = {
        "ext": ext_url(traps, "build-ext"),
        "fd": "fd::0",
        "ssh-option": f"ssh://-oProxyCommand={traps.touch('build-proxy')}/x",
    }[kind]
    traps.arm()
    src = tmp_path / "p"
    write_project(src, {"a.md": cite_page("up:README.md:1")}, 'pypatterns_manifest = "upstreams.toml"\n')
    (src / "upstreams.toml").write_text(manifest_text("up", "a" * 40, f"git = {toml_string(url)}\n"))
    built = build(src)
    found = [w for w in built.located() if w[0] == "upstreams.toml"]
    assert [(w[0], w[1], w[2]) for w in found] == [("upstreams.toml", 6, "pypatterns.manifest")], built.warnings
    assert "[up.git]" in found[0][3] and "not allowed" in found[0][3]
    assert traps.fired() == []


@pytest.mark.parametrize("command", ["sync", "check"])
def test_cli_refuses_a_hostile_url_before_any_subprocess(tmp_path, traps, monkeypatch, capsys, command):
    src = tmp_path / "p"
    src.mkdir()
    (src / "conf.py").write_text('pypatterns_manifest = "upstreams.toml"\n')
    (src / "a.md").write_text(cite_page("up:README.md:1"))
    url = ext_url(traps, f"cli-{command}")
    (src / "upstreams.toml").write_text(manifest_text("up", "a" * 40, f"git = {toml_string(url)}\n"))
    traps.arm()
    started = spy_subprocesses(monkeypatch)
    assert main([command, str(src)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "upstreams.toml:6 [up.git]" in err and "'ext'" in err, err
    assert started == [] and traps.fired() == []
    assert not (src / ".pypatterns" / "checkouts").exists() or not any((src / ".pypatterns" / "checkouts").iterdir())


def test_sync_refuses_a_hostile_url_that_bypasses_the_manifest_check(tmp_path, traps, monkeypatch):
    """``sync_upstreams`` checks every git source itself: an ``Upstream`` built in code, a mirror."""
    from sphinx_pypatterns import Manifest

    traps.arm()
    upstream = Upstream(
        name="up",
        repository="https://example.invalid/up",
        tag="v1",
        commit="a" * 40,
        license="MIT",
        git=ext_url(traps, "bypass-manifest"),
    )
    manifest = Manifest(upstreams={"up": upstream})
    started = spy_subprocesses(monkeypatch)
    with pytest.raises(SyncError) as err:
        sync_upstreams(manifest, tmp_path / "c")
    assert "'ext'" in str(err.value) and "not allowed" in str(err.value)
    plain = Manifest(upstreams={"up": Upstream("up", "https://example.invalid/up", "v1", "a" * 40, "MIT")})
    with pytest.raises(SyncError) as err:
        sync_upstreams(plain, tmp_path / "c", mirrors={"up": ext_url(traps, "bypass-mirror")})
    assert "'ext'" in str(err.value)
    assert started == [] and traps.fired() == []
    assert not (tmp_path / "c").exists()


def test_git_started_the_extension_s_way_refuses_ext_even_when_asked(tmp_path, traps):
    """The second wall: with the manifest check out of the way, git itself refuses the transport,
    whatever the global config and ``GIT_ALLOW_PROTOCOL`` in the environment say."""
    from sphinx_pypatterns._core.git import git_command

    traps.arm()
    for network in (True, False):
        argv, env = git_command(
            ["clone", "--bare", "--quiet", "--", ext_url(traps, f"direct-{network}"), str(tmp_path / f"c{network}")],
            network=network,
        )
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode != 0 and "transport 'ext' not allowed" in proc.stderr, proc.stderr
    assert traps.fired() == []


# -- hostile repositories: sync, check and build run nothing from them ---------------------


def hostile_repository(root: Path, traps: Traps) -> tuple[Path, str]:
    """The test upstream, with every command-running setting in its config and every hook armed."""
    repo, pin = make_upstream(root)
    (repo / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "attributes")
    settings = {
        "core.fsmonitor": traps.touch("repo-fsmonitor"),
        "core.sshCommand": traps.touch("repo-ssh"),
        "core.gitProxy": traps.touch("repo-gitproxy"),
        "core.pager": traps.touch("repo-pager"),
        "core.askPass": traps.touch("repo-askpass"),
        "core.editor": traps.touch("repo-editor"),
        "core.alternateRefsCommand": traps.touch("repo-alternate-refs"),
        "credential.helper": f"!{traps.touch('repo-credential')}",
        "uploadpack.packObjectsHook": traps.touch("repo-pack-objects-hook"),
        "filter.evil.clean": traps.touch("repo-clean"),
        "filter.evil.smudge": traps.touch("repo-smudge"),
        "filter.evil.process": traps.touch("repo-filter-process"),
        "diff.evil.textconv": traps.touch("repo-textconv"),
        "diff.external": traps.touch("repo-diff-external"),
        "merge.evil.driver": traps.touch("repo-merge-driver"),
        "gpg.program": traps.touch("repo-gpg"),
        "sequence.editor": traps.touch("repo-sequence-editor"),
        "alias.cat-file": f"!{traps.touch('repo-alias')}",
    }
    for key, value in settings.items():
        git(repo, "config", key, value)
    traps.hooks(repo / ".git" / "hooks", "repo-hook")
    return repo, pin


def test_a_hostile_repository_runs_nothing_on_sync_check_and_build(tmp_path, traps, capsys):
    repo, pin = hostile_repository(tmp_path, traps)
    traps.arm()
    body = cite_page("HTTPError <up:pkg/errors.py:6-7>")
    conf = 'pypatterns_manifest = "upstreams.toml"\npypatterns_require_anchor = True\n'

    # sync from a --mirror, then check and build against the synced bare mirror
    synced = tmp_path / "synced"
    write_project(synced, {"a.md": body}, conf)
    (synced / "upstreams.toml").write_text(manifest_text("up", pin))
    assert main(["sync", str(synced), "--mirror", f"up={repo}"]) == 0, capsys.readouterr().err
    assert main(["check", str(synced), "--no-cache"]) == 0, capsys.readouterr().out
    assert build(synced).warnings == ""
    assert traps.fired() == []

    # the same repository named as the checkout (NAME=DIR): read in place, non-bare, hooks and all
    named = tmp_path / "named"
    write_project(named, {"a.md": body}, conf + f"pypatterns_checkouts = [{toml_string('up=' + str(repo))}]\n")
    (named / "upstreams.toml").write_text(manifest_text("up", pin))
    assert main(["check", str(named), "--no-cache"]) == 0, capsys.readouterr().out
    assert build(named).warnings == ""
    assert traps.fired() == []


@pytest.mark.parametrize("how", ["file-url", "path"])
def test_an_allowed_local_git_source_still_works(tmp_path, traps, capsys, how):
    repo, pin = hostile_repository(tmp_path, traps)
    traps.arm()
    source = repo.as_uri() if how == "file-url" else str(repo)
    src = tmp_path / "p"
    write_project(
        src, {"a.md": cite_page("HTTPError <up:pkg/errors.py:6-7>")}, 'pypatterns_manifest = "upstreams.toml"\n'
    )
    (src / "upstreams.toml").write_text(manifest_text("up", pin, f"git = {toml_string(source)}\n"))
    assert main(["sync", str(src)]) == 0, capsys.readouterr().err
    marker = json.loads((src / ".pypatterns" / "checkouts" / f"up-{pin}" / ".pypatterns-sync.json").read_text())
    assert marker["kind"] == "git" and marker["source"] == f"git {source}"
    assert build(src).warnings == ""
    assert traps.fired() == []


def test_a_mirror_clone_copies_no_template_hooks_or_config(tmp_path, traps):
    """The bare mirror holds only what git writes itself: no hooks and no config from the template
    folder (a template's config is copied into every new repository), so later git commands in it
    read no repository-level setting from anywhere else."""
    repo, pin = make_upstream(tmp_path)
    traps.arm()
    sync_upstreams(parse_manifest(manifest_text("up", pin)), tmp_path / "c", mirrors={"up": str(repo)})
    mirror = tmp_path / "c" / f"up-{pin}"
    assert not (mirror / "hooks").exists() or not any((mirror / "hooks").iterdir())
    config = (mirror / "config").read_text()
    assert "fsmonitor" not in config and "sshCommand" not in config, config
    assert traps.fired() == []


# -- partial clones whose promisor remote is hostile: reads never start a transport ------------


def partial_clone(root: Path, traps: Traps, kind: str) -> tuple[Path, str]:
    """A bare partial clone (no blobs) of the test upstream; reading a blob makes plain git fetch it."""
    upstream, pin = make_upstream(root)
    git(upstream, "config", "uploadpack.allowFilter", "true")
    clone = root / f"partial-{kind}"
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", "--filter=blob:none", upstream.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    remote = {
        "ext": ext_url(traps, "lazy-ext"),
        "ssh": "ssh://example.invalid/repo.git",
        "git-proxy": "git://example.invalid/repo.git",
        "upload-pack": upstream.as_uri(),
    }[kind]
    git(clone, "config", "remote.origin.url", remote)
    git(clone, "config", "core.sshCommand", traps.touch("lazy-ssh"))
    git(clone, "config", "core.gitProxy", traps.touch("lazy-gitproxy"))
    git(clone, "config", "remote.origin.uploadpack", traps.touch("lazy-upload-pack"))
    return clone, pin


LAZY_KINDS = ["ext", "ssh", "git-proxy", "upload-pack"]


@pytest.mark.parametrize("kind", LAZY_KINDS)
def test_the_traps_are_armed(tmp_path, traps, kind):
    """Plain git fires each trap these tests set, so their silence under the extension means something."""
    clone, pin = partial_clone(tmp_path, traps, kind)
    repo, _ = hostile_repository(tmp_path / "h", traps)
    traps.arm()
    subprocess.run(
        ["git", "--git-dir", str(clone), "cat-file", "--batch"],
        input=f"{pin}:pkg/errors.py\n".encode(),
        capture_output=True,
        check=False,
    )
    expected = {"ext": "lazy-ext", "ssh": "lazy-ssh", "git-proxy": "lazy-gitproxy", "upload-pack": "lazy-upload-pack"}
    assert expected[kind] in traps.fired()
    subprocess.run(["git", "clone", "--quiet", "--bare", str(repo), str(tmp_path / "plain")], check=True)
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, check=False)
    subprocess.run(["git", "clone", "--quiet", "--", ext_url(traps, "plain-ext"), str(tmp_path / "x")], check=False)
    fired = traps.fired()
    assert any(name.endswith("hook-reference-transaction") for name in fired), fired
    assert "repo-fsmonitor" in fired and "plain-ext" in fired, fired


@pytest.mark.parametrize("kind", LAZY_KINDS)
def test_reading_a_partial_clone_never_fetches(tmp_path, traps, capsys, monkeypatch, kind):
    from sphinx_pypatterns._sphinx import setup as _extension
    from sphinx_pypatterns._tools.background import BackgroundVerifier

    clone, pin = partial_clone(tmp_path, traps, kind)
    traps.arm()
    started: list[object] = []
    real_start = BackgroundVerifier.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[BackgroundVerifier], *args: object, **kwargs: object) -> BackgroundVerifier | None:
        background = real_start(cls, *args, **kwargs)
        started.append(background)
        return background

    monkeypatch.setattr(BackgroundVerifier, "start", classmethod(start))
    monkeypatch.setattr(_extension, "cpus_available", lambda: 2)
    src = tmp_path / "p"
    # enough pages that the background verifier runs too (BACKGROUND_MIN_PAGES)
    pages = {f"page{i:02d}.md": cite_page("HTTPError <up:pkg/errors.py:6-7>", f"Page {i}") for i in range(20)}
    write_project(
        src,
        pages,
        f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = [{toml_string("up=" + str(clone))}]\n',
    )
    (src / "upstreams.toml").write_text(manifest_text("up", pin))
    built = build(src)
    found = sorted((w[0], w[1]) for w in built.located() if w[2].startswith("pypatterns."))
    assert found == [(f"page{i:02d}.md", 4) for i in range(20)], built.warnings
    assert len(started) == 1 and started[0] is not None, "the background verifier must have run"
    assert traps.fired() == []
    assert main(["check", str(src), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "page00.md:4:" in out and "Traceback" not in out, out
    assert traps.fired() == []


def test_the_checkout_process_reads_no_repository_named_by_the_environment(tmp_path, monkeypatch):
    """``GIT_DIR`` and friends (set when a build runs inside a git hook) never redirect a read."""
    from sphinx_pypatterns import Verifier, parse_target

    repo, pin = make_upstream(tmp_path)
    other = tmp_path / "other"
    make_repo(other, [{"README.md": "# Other\n"}])
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other / ".git" / "objects"))
    manifest = parse_manifest(manifest_text("up", pin))
    with Verifier(manifest, ("/nonexistent", {"up": str(repo)})) as verifier:
        verdict = verifier.verify(parse_target("up:pkg/errors.py:6"), "HTTPError")
        assert verdict.ok, verdict
    assert os.environ["GIT_DIR"] == str(other / ".git")
