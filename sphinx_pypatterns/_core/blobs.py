"""A cited file's bytes as lines, counted as git and GitHub count them. Free of Sphinx imports."""

from __future__ import annotations

import io
import tokenize

from .errors import CheckoutError

__all__ = ["decode_as", "decode_lines", "is_python", "split_lines"]


def is_python(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def decode_lines(path: str, data: bytes) -> tuple[list[str], CheckoutError | None]:
    """A file's lines: a Python file decoded as Python decodes it (BOM, PEP 263 cookie), others as UTF-8;
    and, for a Python file whose encoding declaration Python refuses, why its symbols cannot be had.

    Such a file (an unknown codec, a BOM with a cookie other than UTF-8) keeps its lines, read as
    UTF-8, and its symbols are ``unparsable`` with Python's reason. Raises :class:`CheckoutError`
    for a binary file or one that is not valid in its encoding.
    """
    if b"\0" in data:
        raise CheckoutError(f"{path} is a binary file", subtype="binary_file")
    if not is_python(path):
        return split_lines(decode_as(path, data, "utf-8")), None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = decode_as(path, data, encoding)
    except (SyntaxError, LookupError) as exc:  # an unknown codec, or one that is no text encoding ("hex")
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        refused = CheckoutError(
            f"cannot parse {path}: Python refuses its encoding declaration ({reason})", subtype="unparsable"
        )
        return split_lines(decode_as(path, data, "utf-8-sig")), refused
    return split_lines(text), None


def decode_as(path: str, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-8", "utf-8-sig"):
            raise CheckoutError(f"{path} is not valid UTF-8 (byte {exc.start})", subtype="not_utf8") from None
        raise CheckoutError(
            f"{path} is not valid {encoding}, the encoding it declares (byte {exc.start})", subtype="not_utf8"
        ) from None


def split_lines(text: str) -> list[str]:
    # Split on "\n" only, as git and GitHub count lines: str.splitlines()
    # would also break at form feeds, which the stdlib uses.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
