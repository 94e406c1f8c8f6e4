"""Worker processes that parse cited files' symbols for :func:`.verify.verify_many`. Free of Sphinx imports."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from .errors import CheckoutError
from .symbols import SymbolTable, symbol_table

__all__ = ["ParsePool", "Parsed"]

#: What a worker sends back: the table, or the message and subtype of the file's ``unparsable`` error.
Parsed = tuple[SymbolTable | None, str, str]


class ParsePool:
    """Worker processes that parse files' symbols, started at the first file to parse.

    They are started fresh (``spawn``), not forked: a fork would inherit the pipes of the
    verifier's ``git cat-file`` processes and keep them from ending.
    """

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, text: str, filename: str, hint: str) -> Future[Parsed]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool.submit(_parse, text, filename, hint)


def _parse(text: str, filename: str, hint: str) -> Parsed:
    """In a worker: :func:`symbol_table`, its error as plain values (a ``CheckoutError`` does not pickle)."""
    try:
        return symbol_table(text, filename=filename, python_hint=hint), "", ""
    except CheckoutError as exc:
        return None, exc.message, exc.subtype
