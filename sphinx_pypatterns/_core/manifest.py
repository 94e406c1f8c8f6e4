"""The upstream manifest: one TOML table per pinned upstream."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .defaults import COMMIT_RE, UPSTREAM_NAME_RE
from .errors import ManifestError, TargetError
from .git import GIT_URL_HELP, check_git_url
from .lock import Lock, load_lock, lock_path
from .targets import url_path, validate_relpath
from .toml_lines import At, Where, key_line, key_text, toml_lines

__all__ = [
    "Manifest",
    "SdistSource",
    "StdlibSource",
    "Upstream",
    "key_line",
    "key_text",
    "load_manifest",
    "parse_manifest",
    "toml_lines",
]

_NAME_RE = UPSTREAM_NAME_RE  # one rule for the manifest and `pypatterns new source-note`
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REQ_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s?#]*$")  # no query or fragment: permalinks extend the path
_URL_UNSAFE = frozenset('{}\\^`|<>"')

_KEYS = {"repository", "tag", "commit", "license", "sdist", "stdlib", "git"}
_REQUIRED = ("repository", "tag", "commit", "license")


@dataclass(frozen=True)
class SdistSource:
    """One source distribution, mounted at ``mount`` inside the tree."""

    name: str
    version: str
    sha256: str
    mount: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class StdlibSource:
    """The stdlib folder of an installed interpreter of exactly ``python``."""

    python: str
    mount: str = "Lib"


@dataclass(frozen=True)
class Upstream:
    """A pinned upstream repository."""

    name: str
    repository: str
    tag: str
    commit: str
    license: str
    sdists: tuple[SdistSource, ...] = ()
    stdlib: StdlibSource | None = None
    git: str = ""

    def permalink(self, path: str, start: int, end: int) -> str:
        # no lines (a symbol-only citation whose symbol was not found): the file
        lines = "" if start <= 0 else f"#L{start}" if start == end else f"#L{start}-L{end}"
        return f"{self.repository.rstrip('/')}/blob/{self.commit}/{url_path(path)}{lines}"

    @property
    def folder_name(self) -> str:
        return f"{self.name}-{self.commit}"

    @property
    def sources(self) -> tuple[str, ...]:
        kinds = []
        if self.sdists:
            kinds.append("sdist")
        if self.stdlib:
            kinds.append("stdlib")
        if self.git:
            kinds.append("git")
        return tuple(kinds)


@dataclass(frozen=True)
class Manifest:
    """All pinned upstreams, by name."""

    upstreams: dict[str, Upstream] = field(default_factory=dict)
    path: str = ""
    #: The evidence lock beside the manifest file (:mod:`.lock`), when there is one.
    lock: Lock | None = None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.upstreams)


def _fail(message: str, at: At, where: Where, subtype: str = "manifest") -> ManifestError:
    return ManifestError(message, key=key_text(at), path=where.path, subtype=subtype, line=where.line(at))


def _string(table: dict[str, object], key: str, at: At, where: Where, *, required: bool = True) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(f"missing required key {key!r}", (*at, key), where)
        return ""
    if not isinstance(value, str):
        raise _fail(f"{key!r} must be a string, not {type(value).__name__}", (*at, key), where)
    if required and not value.strip():
        raise _fail(f"{key!r} is empty", (*at, key), where)
    return value


def _mount(table: dict[str, object], at: At, where: Where, default: str) -> str:
    mount = _string(table, "mount", at, where, required=False) if "mount" in table else default
    if mount:
        try:
            validate_relpath(mount)
        except TargetError as exc:
            raise _fail(f"bad mount folder: {exc}", (*at, "mount"), where) from None
    return mount


def _upstream(name: str, table: object, where: Where) -> Upstream:
    at: At = (name,)
    if not _NAME_RE.fullmatch(name):
        raise _fail(f"bad upstream name {name!r}: use letters, digits, '.', '_' and '-'", at, where)
    if not isinstance(table, dict):
        raise _fail(f"{name!r} must be a table", at, where)
    for key in sorted(table):
        if key not in _KEYS:
            raise _fail(f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})", (name, key), where)
    values = {key: _string(table, key, at, where) for key in _REQUIRED}
    if not _URL_RE.match(values["repository"]):
        raise _fail("'repository' must be an http(s) web URL", (name, "repository"), where)
    unsafe = sorted(set(values["repository"]) & _URL_UNSAFE)
    if unsafe:  # RFC 3986 allows them only percent-encoded; print would show them mangled
        shown = " ".join(unsafe)
        raise _fail(
            f"'repository' holds characters a URL allows only percent-encoded: {shown}", (name, "repository"), where
        )
    if not COMMIT_RE.match(values["commit"]):
        raise _fail(
            f"'commit' must be exactly 40 lower-case hex characters, not {values['commit'][:50]!r}",
            (name, "commit"),
            where,
            subtype="bad_commit",
        )
    sdists: list[SdistSource] = []
    raw_sdists = table.get("sdist")
    if raw_sdists is not None:
        if not isinstance(raw_sdists, list) or not raw_sdists:
            raise _fail("'sdist' must be a non-empty array of tables", (name, "sdist"), where)
        for i, item in enumerate(raw_sdists):
            item_at: At = (name, "sdist", i)
            if not isinstance(item, dict):
                raise _fail("each sdist must be a table", item_at, where)
            for key in sorted(item):
                if key not in {"requirement", "sha256", "mount"}:
                    raise _fail(f"unknown key {key!r} (known: mount, requirement, sha256)", (*item_at, key), where)
            req = _string(item, "requirement", item_at, where)
            match = _REQ_RE.match(req)
            if not match:
                raise _fail(f"'requirement' must be NAME==VERSION, not {req[:60]!r}", (*item_at, "requirement"), where)
            sha = _string(item, "sha256", item_at, where)
            if not _SHA256_RE.match(sha):
                raise _fail("'sha256' must be 64 lower-case hex characters", (*item_at, "sha256"), where)
            mount = _mount(item, item_at, where, "")
            if any(s.mount == mount for s in sdists):
                raise _fail("two sdists share one mount folder", (*item_at, "mount"), where)
            sdists.append(SdistSource(match.group(1), match.group(2), sha, mount))
    stdlib = None
    raw_stdlib = table.get("stdlib")
    if raw_stdlib is not None:
        stdlib_at: At = (name, "stdlib")
        if not isinstance(raw_stdlib, dict):
            raise _fail("'stdlib' must be a table", stdlib_at, where)
        for key in sorted(raw_stdlib):
            if key not in {"python", "mount"}:
                raise _fail(f"unknown key {key!r} (known: mount, python)", (*stdlib_at, key), where)
        python = _string(raw_stdlib, "python", stdlib_at, where)
        if not _VERSION_RE.match(python):
            raise _fail("'python' must be an exact version such as 3.13.0", (*stdlib_at, "python"), where)
        stdlib = StdlibSource(python, _mount(raw_stdlib, stdlib_at, where, "Lib"))
    git = _string(table, "git", at, where, required=False)
    problem = check_git_url(git) if git else None  # refused here, before any git command can see it
    if problem is not None:
        help_text = "" if problem.startswith("must not") else f" ({GIT_URL_HELP})"
        raise _fail(f"'git' {problem}{help_text}", (name, "git"), where)
    return Upstream(
        name=name,
        repository=values["repository"],
        tag=values["tag"],
        commit=values["commit"],
        license=values["license"],
        sdists=tuple(sdists),
        stdlib=stdlib,
        git=git,
    )


def parse_manifest(text: str, *, path: str = "") -> Manifest:
    """Parse and validate manifest text. Raises :class:`ManifestError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        error = _fail(f"malformed TOML: {exc}", (), Where(text, path), subtype="manifest_toml")
        if found:
            error.line = int(found.group(1))
        elif "end of document" in str(exc):
            error.line = text.rstrip().count("\n") + 1
        raise error from None
    where = Where(text, path)
    upstreams = {name: _upstream(name, table, where) for name, table in data.items()}
    return Manifest(upstreams=upstreams, path=path)


def load_manifest(path: str | Path, *, with_lock: bool = True) -> Manifest:
    """Read and validate a manifest file, and the evidence lock beside it (unless not ``with_lock``).
    Raises :class:`ManifestError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"cannot read the manifest: {exc.strerror or exc}", path=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(
            "the manifest is not valid UTF-8", path=str(path), subtype="manifest_toml", line=line
        ) from None
    manifest = parse_manifest(text, path=str(path))
    lock = load_lock(lock_path(path)) if with_lock else None
    return manifest if lock is None else replace(manifest, lock=lock)
