"""Reading pages that are not valid UTF-8: one located warning, never a traceback.

Sphinx reads a page with ``Path.read_text(encoding=env.settings["input_encoding"])``
(``Builder.read_doc``), strictly: one undecodable byte stops the build with a
traceback, and no event comes before that read. So the build reads pages with a codec
of its own, :data:`LENIENT` (the configured UTF-8, undecodable bytes read as U+FFFD),
set as ``input_encoding`` at ``env-before-read-docs``; ``source-read`` then names the
first bad byte at its line. This is the one place the extension sets a value Sphinx
owns, and only when the configured encoding is UTF-8. :data:`SPHINX_READS_WITH_INPUT_ENCODING`
names the Sphinx versions known to read this way: ``tests/test_layout.py`` fails when
another is installed, or when ``Builder.read_doc`` stops reading with ``input_encoding``,
so that this is looked at again.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from .log import warn

__all__ = ["LENIENT", "SPHINX_READS_WITH_INPUT_ENCODING", "on_source_read", "read_pages_leniently", "register_codec"]

#: The Sphinx versions (major, minor), inclusive, known to read pages with ``env.settings["input_encoding"]``.
SPHINX_READS_WITH_INPUT_ENCODING = ((7, 3), (9, 2))

#: The codec pages are read with: the configured UTF-8, with undecodable bytes read as U+FFFD.
LENIENT = "pypatterns_lenient_utf_8_sig"


def _lenient_codec(name: str) -> codecs.CodecInfo | None:
    if name != LENIENT:
        return None
    base = codecs.lookup("utf-8-sig")

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        return base.decode(data, "replace")

    class Incremental(codecs.BufferedIncrementalDecoder):
        def __init__(self, errors: str = "strict") -> None:
            super().__init__("replace")
            self._inner = base.incrementaldecoder("replace")

        def _buffer_decode(self, data: bytes, errors: str, final: bool) -> tuple[str, int]:  # type: ignore[override]
            return self._inner.decode(data, final), len(data)

    return codecs.CodecInfo(
        base.encode,
        decode,  # type: ignore[arg-type]
        incrementalencoder=base.incrementalencoder,
        incrementaldecoder=Incremental,
        name=LENIENT,
    )


_registered = False


def register_codec() -> None:
    """Make :data:`LENIENT` known to :mod:`codecs` (once per process; a search function stays registered)."""
    global _registered
    if not _registered:
        codecs.register(_lenient_codec)
        _registered = True


def read_pages_leniently(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-before-read-docs``: read this build's pages with :data:`LENIENT` (see the module's note)."""
    if codecs.lookup(app.config.source_encoding or "utf-8").name in ("utf-8", "utf-8-sig"):
        env.settings["input_encoding"] = LENIENT


def on_source_read(app: Sphinx, docname: str, content: list[str]) -> None:
    """Keep the page's lines for :func:`role_line`; name the first byte that is not UTF-8.

    The lenient codec reads such a byte as U+FFFD, so only a page holding one is read again, as bytes.
    """
    # as markdown-it reads it: NUL becomes U+FFFD
    lines = content[0].replace("\x00", "\ufffd").split("\n")
    app.env.temp_data["pp_source_lines"] = lines  # temp_data lives for this page's reading only
    if "\ufffd" not in content[0]:
        return
    try:
        raw = Path(app.env.doc2path(docname)).read_bytes()
    except OSError:
        return
    try:
        raw.decode(app.config.source_encoding or "utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        warn(
            f"byte {raw[exc.start : exc.start + 1]!r} at offset {exc.start} is not valid "
            f"{app.config.source_encoding}: save the page as UTF-8 (Sphinx shows it as '?')",
            "source_encoding",
            (docname, line),
        )
    except LookupError:
        return
