"""The upstream manifest: one TOML table per pinned upstream."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ._defaults import COMMIT_RE, UPSTREAM_NAME_RE
from ._errors import ManifestError, TargetError
from ._git import GIT_URL_HELP, check_git_url
from ._targets import url_path, validate_relpath

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
        lines = f"#L{start}" if start == end else f"#L{start}-L{end}"
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

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.upstreams)


#: A path into the TOML document: table and key names, and indexes into arrays.
At = tuple[str | int, ...]

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")  # matched whole: "$" would let a trailing newline through


def key_text(at: At) -> str:
    """The dotted TOML key of ``at``: ``httpx.sdist[0].sha256``; a name that is not a bare key is quoted."""
    out = ""
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = part if _BARE_KEY_RE.fullmatch(part) else json.dumps(part)
        out += f".{shown}" if out else shown
    return out


class _Where:
    """The manifest being validated: its file, and where each table and key of it is written."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self._lines: dict[At, int] | None = None

    def line(self, at: At) -> int:
        """The line of ``at``, else of the nearest enclosing table or key that is written down."""
        if self._lines is None:
            self._lines = toml_lines(self.text)
        for end in range(len(at), 0, -1):
            found = self._lines.get(at[:end])
            if found:
                return found
        return 0


def _fail(message: str, at: At, where: _Where, subtype: str = "manifest") -> ManifestError:
    return ManifestError(message, key=key_text(at), path=where.path, subtype=subtype, line=where.line(at))


def _string(table: dict[str, object], key: str, at: At, where: _Where, *, required: bool = True) -> str:
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


def _mount(table: dict[str, object], at: At, where: _Where, default: str) -> str:
    mount = _string(table, "mount", at, where, required=False) if "mount" in table else default
    if mount:
        try:
            validate_relpath(mount)
        except TargetError as exc:
            raise _fail(f"bad mount folder: {exc}", (*at, "mount"), where) from None
    return mount


def _upstream(name: str, table: object, where: _Where) -> Upstream:
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
        error = _fail(f"malformed TOML: {exc}", (), _Where(text, path), subtype="manifest_toml")
        if found:
            error.line = int(found.group(1))
        elif "end of document" in str(exc):
            error.line = text.rstrip().count("\n") + 1
        raise error from None
    where = _Where(text, path)
    upstreams = {name: _upstream(name, table, where) for name, table in data.items()}
    return Manifest(upstreams=upstreams, path=path)


def key_line(text: str, key: str) -> int:
    """Best-effort 1-based line of a dotted ``key`` (``httpx.sdist[0].sha256``) in TOML text (0: not found)."""
    at: At = tuple(int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"\[\d+\]|[^.\[\]]+", key))
    return _Where(text, "").line(at) if at else 0


def toml_lines(text: str) -> dict[At, int]:
    """The 1-based line where each table, key and array item of valid TOML ``text`` is written.

    A table or key that is only implied (``a`` by ``[a.b]`` or ``a.b = 1``) is at its first
    mention; a table that has its own header is at the header. Text that this reader does not
    follow ends the reading, keeping what was found so far.
    """
    reader = _TomlLines(text)
    try:
        reader.document()
    except (ValueError, IndexError, RecursionError, tomllib.TOMLDecodeError):
        pass
    return reader.lines


_SCALAR_END = frozenset(",]}#\n")
_BARE_RUN_RE = re.compile(r"[A-Za-z0-9_-]+")


class _TomlLines:
    """A reader of valid TOML that notes where things are, not what they are (``tomllib`` does that)."""

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.pos = 0
        self.line = 1
        self.lines: dict[At, int] = {}
        self._explicit: set[At] = set()
        self._arrays: dict[At, int] = {}  # arrays of tables: the index of the last one

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _blank(self, *, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t" or (newlines and ch == "\n"):
                self._advance(1)
            elif ch == "#" and newlines:
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def _note(self, at: At, *, explicit: bool) -> None:
        if explicit and at not in self._explicit:
            self._explicit.add(at)
            self.lines[at] = self.line
        else:
            self.lines.setdefault(at, self.line)

    def document(self) -> None:
        table: At = ()
        while True:
            self._blank(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self._peek(2) == "[[":
                self._advance(2)
                parts = self._key()
                self._expect("]]")
                parent = self._resolve(parts[:-1])
                array = (*parent, parts[-1])
                index = self._arrays.get(array, -1) + 1
                self._arrays[array] = index
                table = (*array, index)
                self._note_path(table)
            elif self._peek() == "[":
                self._advance(1)
                parts = self._key()
                self._expect("]")
                table = self._resolve(parts)
                self._note_path(table)
            else:
                parts = self._key()
                self._note_path((*table, *parts))
                self._blank(newlines=False)
                self._expect("=")
                self._blank(newlines=False)
                self._value((*table, *parts))
            self._blank(newlines=False)
            if self._peek() == "#":
                self._blank(newlines=True)
            if self.pos == start:
                raise ValueError("no progress")

    def _note_path(self, at: At) -> None:
        """Note every table ``at`` implies, and ``at`` itself as written here."""
        for end in range(1, len(at)):
            self._note(at[:end], explicit=False)
        self._note(at, explicit=True)

    def _resolve(self, parts: list[str]) -> At:
        at: At = ()
        for part in parts:
            at = (*at, part)
            if at in self._arrays:
                at = (*at, self._arrays[at])
        return at

    def _expect(self, token: str) -> None:
        self._blank(newlines=False)
        if self._peek(len(token)) != token:
            raise ValueError(f"expected {token!r}")
        self._advance(len(token))

    def _key(self) -> list[str]:
        parts = []
        while True:
            self._blank(newlines=False)
            if self._peek() in ('"', "'"):
                start = self.pos
                self._string()
                parts.append(str(tomllib.loads("k = " + self.text[start : self.pos])["k"]))
            else:
                bare = _BARE_RUN_RE.match(self.text, self.pos)
                if bare is None:
                    raise ValueError("expected a key")
                parts.append(bare.group(0))
                self._advance(len(bare.group(0)))
            self._blank(newlines=False)
            if self._peek() != ".":
                return parts
            self._advance(1)

    def _string(self) -> None:
        """Pass over a string of any of the four kinds (basic and literal, one line or several)."""
        text = self.text
        quote = text[self.pos]
        escapes = quote == '"'
        if text.startswith(quote * 3, self.pos):
            i = self.pos + 3
            while not text.startswith(quote * 3, i):
                if i >= len(text):
                    raise ValueError("unterminated string")
                i += 2 if escapes and text[i] == "\\" else 1
            extra = 0  # up to two quotes just before the closing three belong to the string
            while extra < 2 and text.startswith(quote, i + 3):
                i += 1
                extra += 1
            self._advance(i + 3 - self.pos)
            return
        i = self.pos + 1
        while i < len(text) and text[i] != quote:
            if text[i] == "\n":
                raise ValueError("unterminated string")
            i += 2 if escapes and text[i] == "\\" else 1
        if i >= len(text):
            raise ValueError("unterminated string")
        self._advance(i + 1 - self.pos)

    def _value(self, at: At) -> None:
        ch = self._peek()
        if ch in "\"'":
            self._string()
        elif ch == "[":
            self._advance(1)
            index = 0
            while True:
                self._blank(newlines=True)
                if self._peek() == "]":
                    self._advance(1)
                    return
                self._note((*at, index), explicit=True)
                self._value((*at, index))
                self._blank(newlines=True)
                if self._peek() == ",":
                    self._advance(1)
                elif self._peek() != "]":
                    raise ValueError("expected ',' or ']'")
                index += 1
        elif ch == "{":
            self._advance(1)
            while True:
                self._blank(newlines=True)
                if self._peek() == "}":
                    self._advance(1)
                    return
                parts = self._key()
                self._note_path((*at, *parts))
                self._expect("=")
                self._blank(newlines=False)
                self._value((*at, *parts))
                self._blank(newlines=True)
                if self._peek() == ",":
                    self._advance(1)
                elif self._peek() != "}":
                    raise ValueError("expected ',' or '}'")
        else:
            i = self.pos
            while i < len(self.text) and self.text[i] not in _SCALAR_END:
                i += 1
            if i == self.pos:
                raise ValueError("expected a value")
            self._advance(i - self.pos)


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file. Raises :class:`ManifestError`."""
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
    return parse_manifest(text, path=str(path))
