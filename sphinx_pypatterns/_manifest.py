"""The upstream manifest: one TOML table per pinned upstream."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ._defaults import COMMIT_RE
from ._errors import ManifestError, TargetError
from ._targets import validate_relpath

__all__ = ["Manifest", "SdistSource", "StdlibSource", "Upstream", "key_line", "load_manifest", "parse_manifest"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REQ_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")

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
        lines = f"#L{start}" if start == end else f"#L{start}-L{end}"
        return f"{self.repository.rstrip('/')}/blob/{self.commit}/{path}{lines}"

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

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.upstreams)


def _fail(message: str, key: str, path: str, subtype: str = "manifest") -> ManifestError:
    return ManifestError(message, key=key, path=path, subtype=subtype)


def _string(table: dict[str, object], key: str, where: str, path: str, *, required: bool = True) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(f"missing required key {key!r}", f"{where}.{key}", path)
        return ""
    if not isinstance(value, str):
        raise _fail(f"{key!r} must be a string, not {type(value).__name__}", f"{where}.{key}", path)
    if required and not value.strip():
        raise _fail(f"{key!r} is empty", f"{where}.{key}", path)
    return value


def _mount(table: dict[str, object], where: str, path: str, default: str) -> str:
    mount = _string(table, "mount", where, path, required=False) if "mount" in table else default
    if mount:
        try:
            validate_relpath(mount)
        except TargetError as exc:
            raise _fail(f"bad mount folder: {exc}", f"{where}.mount", path) from None
    return mount


def _upstream(name: str, table: object, path: str) -> Upstream:
    if not _NAME_RE.match(name):
        raise _fail(f"bad upstream name {name!r}: use letters, digits, '.', '_' and '-'", name, path)
    if not isinstance(table, dict):
        raise _fail(f"{name!r} must be a table", name, path)
    for key in sorted(table):
        if key not in _KEYS:
            raise _fail(f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})", f"{name}.{key}", path)
    values = {key: _string(table, key, name, path) for key in _REQUIRED}
    if not _URL_RE.match(values["repository"]):
        raise _fail("'repository' must be an http(s) web URL", f"{name}.repository", path)
    if not COMMIT_RE.match(values["commit"]):
        raise _fail(
            f"'commit' must be exactly 40 lower-case hex characters, not {values['commit'][:50]!r}",
            f"{name}.commit",
            path,
            subtype="bad_commit",
        )
    sdists: list[SdistSource] = []
    raw_sdists = table.get("sdist")
    if raw_sdists is not None:
        if not isinstance(raw_sdists, list) or not raw_sdists:
            raise _fail("'sdist' must be a non-empty array of tables", f"{name}.sdist", path)
        for i, item in enumerate(raw_sdists):
            where = f"{name}.sdist[{i}]"
            if not isinstance(item, dict):
                raise _fail("each sdist must be a table", where, path)
            for key in sorted(item):
                if key not in {"requirement", "sha256", "mount"}:
                    raise _fail(f"unknown key {key!r} (known: mount, requirement, sha256)", f"{where}.{key}", path)
            req = _string(item, "requirement", where, path)
            match = _REQ_RE.match(req)
            if not match:
                raise _fail(f"'requirement' must be NAME==VERSION, not {req[:60]!r}", f"{where}.requirement", path)
            sha = _string(item, "sha256", where, path)
            if not _SHA256_RE.match(sha):
                raise _fail("'sha256' must be 64 lower-case hex characters", f"{where}.sha256", path)
            sdists.append(SdistSource(match.group(1), match.group(2), sha, _mount(item, where, path, "")))
        mounts = [s.mount for s in sdists]
        if len(set(mounts)) != len(mounts):
            raise _fail("two sdists share one mount folder", f"{name}.sdist", path)
    stdlib = None
    raw_stdlib = table.get("stdlib")
    if raw_stdlib is not None:
        where = f"{name}.stdlib"
        if not isinstance(raw_stdlib, dict):
            raise _fail("'stdlib' must be a table", where, path)
        for key in sorted(raw_stdlib):
            if key not in {"python", "mount"}:
                raise _fail(f"unknown key {key!r} (known: mount, python)", f"{where}.{key}", path)
        python = _string(raw_stdlib, "python", where, path)
        if not _VERSION_RE.match(python):
            raise _fail("'python' must be an exact version such as 3.13.0", f"{where}.python", path)
        stdlib = StdlibSource(python, _mount(raw_stdlib, where, path, "Lib"))
    git = _string(table, "git", name, path, required=False)
    if git.startswith("-"):
        raise _fail("'git' must not start with '-'", f"{name}.git", path)
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
        error = _fail(f"malformed TOML: {exc}", "", path, subtype="manifest_toml")
        error.line = int(found.group(1)) if found else 0
        raise error from None
    try:
        upstreams = {name: _upstream(name, table, path) for name, table in data.items()}
    except ManifestError as exc:
        exc.line = key_line(text, exc.key)
        raise
    return Manifest(upstreams=upstreams, path=path)


def key_line(text: str, key: str) -> int:
    """Best-effort 1-based line of a dotted ``key`` (``httpx.sdist[0].sha256``) in TOML text."""
    parts = [p for p in re.split(r"\.|\[\d+\]", key) if p]
    if not parts:
        return 0
    lines = text.split("\n")
    table_re = re.compile(r"^\s*\[\s*\"?" + re.escape(parts[0]) + r"\"?\s*\]")
    start = next((i for i, line in enumerate(lines) if table_re.match(line)), None)
    if start is None:
        return 0
    if len(parts) == 1:
        return start + 1
    key_re = re.compile(r"(^|[\s{,])" + re.escape(parts[-1]) + r"\s*=")
    for i in range(start + 1, len(lines)):
        if re.match(r"^\s*\[[^\]]", lines[i]) and not lines[i].lstrip().startswith("[["):
            break
        if key_re.search(lines[i]):
            return i + 1
    return start + 1


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file. Raises :class:`ManifestError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read the manifest: {exc.strerror or exc}", "", str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("the manifest is not valid UTF-8", "", str(path), subtype="manifest_toml") from None
    return parse_manifest(text, path=str(path))
