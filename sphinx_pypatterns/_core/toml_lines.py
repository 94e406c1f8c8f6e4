"""Where each table, key and array item of a TOML document is written: the manifest's
warnings name the line of the key they are about."""

from __future__ import annotations

import json
import re
import tomllib

__all__ = ["At", "Where", "key_line", "key_text", "toml_lines"]

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


class Where:
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


def key_line(text: str, key: str) -> int:
    """Best-effort 1-based line of a dotted ``key`` (``httpx.sdist[0].sha256``) in TOML text (0: not found)."""
    at: At = tuple(int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"\[\d+\]|[^.\[\]]+", key))
    return Where(text, "").line(at) if at else 0


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
