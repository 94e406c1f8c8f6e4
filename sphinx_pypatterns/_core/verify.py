"""Verifying citations against pinned checkouts. Free of Sphinx imports."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import groupby
from types import TracebackType

from .blobs import decode_lines
from .blobs import is_python as _is_python
from .checkouts import DEFAULT_MAX_BYTES, CheckoutSpec, FolderCheckout, GitCheckout, locate_checkout
from .errors import CheckoutError, PypatternsError
from .hints import did_you_mean
from .lock import text_digest
from .manifest import Manifest
from .parse_pool import Parsed as _Parsed
from .parse_pool import ParsePool
from .quotes import nearest_text, quote_found, split_anchor
from .symbol_cache import SymbolCache
from .symbols import SymbolTable, symbol_table
from .targets import CitationKey, CitationTarget, anchor_occurs, lines_label
from .verdict_messages import missing_anchor_message, missing_file_message, unknown_symbol_message

__all__ = ["FILES_HELD", "PARSE_POOL_MIN_FILES", "CitationKey", "Verdict", "Verifier", "verify_many"]

#: Files a verifier holds at a time when it verifies file by file (:func:`verify_many`):
#: the build's memory stays flat however many files are cited.
FILES_HELD = 16

#: Distinct cited files a verification needs before :func:`verify_many` parses in worker
#: processes: starting them costs more than parsing a few files here.
PARSE_POOL_MIN_FILES = 32

#: Files :func:`verify_many` reads ahead of the one it verifies, per worker process.
_AHEAD_PER_WORKER = 3


@dataclass(frozen=True)
class Verdict:
    """The result of verifying one citation.

    ``subtype`` is empty when ``ok``; ``lines`` holds the cited lines when
    the file could be read and the range is valid.
    """

    ok: bool
    subtype: str = ""
    message: str = ""
    lines: tuple[str, ...] = ()


def against_lock(manifest: Manifest, target: CitationTarget, verdict: Verdict) -> Verdict:
    """``content_changed`` when the lock holds a digest of the cited range and the text differs."""
    assert manifest.lock is not None
    locked = manifest.lock.digest(target.upstream, target.path, target.start, target.end)
    if locked is None or locked == text_digest(verdict.lines):
        return verdict
    commit = manifest.lock.commits.get(target.upstream, "")
    pinned = manifest.upstreams[target.upstream].commit
    since = (
        f"the lock was written at {commit[:12]}"
        if commit == pinned
        else (f"the lock was written at commit {commit[:12] or '(none)'}, and the pin is now {pinned[:12]}")
    )
    return Verdict(
        False,
        "content_changed",
        f"the text under {target} is not the text locked for it ({since}): read it again, then run"
        " `pypatterns check --update-lock`, or move the pin with `pypatterns bump`",
        verdict.lines,
    )


@dataclass
class _Blob:
    lines: list[str]
    symbols: SymbolTable | None = None
    symbols_error: CheckoutError | None = None
    parsed: bool = False
    #: The worker's parse of this file, under way (:func:`verify_many`).
    pending: Future[_Parsed] | None = None


@dataclass
class Verifier:
    """Verifies citations; owns one checkout (and git process) per upstream.

    Use as a context manager, or call :meth:`close`: it ends the
    ``git cat-file`` processes. Blobs are cached by content key, so every
    file is read and parsed at most once (unless ``max_files`` bounds the cache).
    """

    manifest: Manifest
    checkouts: CheckoutSpec
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Hold at most this many files' lines (all are dropped when it is reached); ``None``: no limit.
    #: For callers that verify file by file, a small bound keeps memory flat.
    max_files: int | None = None
    #: Symbol tables kept on disk between runs (none by default).
    symbol_cache: SymbolCache = field(default_factory=lambda: SymbolCache(None))
    _open: dict[str, FolderCheckout | GitCheckout | CheckoutError] = field(default_factory=dict)
    _files: dict[tuple[str, str], _Blob | CheckoutError] = field(default_factory=dict)
    _blobs: dict[tuple[str, bool], _Blob] = field(default_factory=dict)
    _verdicts: dict[tuple[CitationKey, bool], Verdict] = field(default_factory=dict)
    #: The paths of each upstream's checkout, listed at its first missing file (for the hint).
    _listings: dict[str, frozenset[str] | None] = field(default_factory=dict)
    #: (upstream, path, pattern, regex) -> lines of the matches of a count (:mod:`.counting`)
    counts: dict[tuple[str, str, str, bool], list[int] | None] = field(default_factory=dict)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for checkout in self._open.values():
            if not isinstance(checkout, CheckoutError):
                checkout.close()
        self._open.clear()

    def checkout_for(self, name: str) -> FolderCheckout | GitCheckout:
        """The checkout of upstream ``name``; raises ``CheckoutError``."""
        found = self._open.get(name)
        if found is None:
            upstream = self.manifest.upstreams.get(name)
            try:
                if upstream is None:
                    hint = did_you_mean(name, self.manifest.upstreams)
                    raise CheckoutError(f"upstream {name!r} is not in the manifest{hint}", subtype="unknown_upstream")
                found = locate_checkout(upstream, self.checkouts, max_bytes=self.max_bytes)
            except CheckoutError as exc:
                found = exc
            self._open[name] = found
        if isinstance(found, CheckoutError):
            raise found
        return found

    def _blob(self, target: CitationTarget) -> _Blob:
        key = (target.upstream, target.path)
        cached = self._files.get(key)
        if cached is None:
            try:
                content_key, data = self.checkout_for(target.upstream).read(target.path)
                # a .py file is decoded as Python decodes it, another as UTF-8: the same bytes may differ
                blob_key = (content_key, _is_python(target.path))
                blob = self._blobs.get(blob_key)
                if blob is None:
                    if self.max_files is not None:
                        self._forget_oldest(self.max_files - 1)
                    blob = _decode_blob(target.path, data)
                    self._blobs[blob_key] = blob
                cached = blob
            except CheckoutError as exc:
                if exc.subtype == "missing_file":
                    exc = self._explain_missing(target, exc)
                cached = exc
            self._files[key] = cached
        if isinstance(cached, CheckoutError):
            raise cached
        return cached

    def _forget_oldest(self, keep: int) -> None:
        """Hold at most ``keep`` files: the first read are forgotten first (and reread if asked again)."""
        if len(self._blobs) <= keep:
            return
        while len(self._blobs) > keep:
            del self._blobs[next(iter(self._blobs))]
        held = {id(b) for b in self._blobs.values()}
        for key in [k for k, v in self._files.items() if isinstance(v, _Blob) and id(v) not in held]:
            del self._files[key]

    def _explain_missing(self, target: CitationTarget, exc: CheckoutError) -> CheckoutError:
        """A missing file's message: not in the checkout at the pin, the nearest paths that are,
        and, for an upstream made only of sdists, what they ship."""
        upstream = self.manifest.upstreams.get(target.upstream)
        message = missing_file_message(target, upstream, exc.message, self._listing(target.upstream))
        return CheckoutError(message, subtype="missing_file")

    def _listing(self, name: str) -> frozenset[str] | None:
        """The paths of the checkout of ``name``, listed once; ``None`` when they cannot be listed."""
        if name not in self._listings:
            try:
                listing: frozenset[str] | None = frozenset(self.checkout_for(name).paths())
            except CheckoutError:
                listing = None
            self._listings[name] = listing
        return self._listings[name]

    def _hint(self, target: CitationTarget) -> str:
        upstream = self.manifest.upstreams.get(target.upstream)
        return upstream.stdlib.python if upstream is not None and upstream.stdlib else ""

    def _symbols(self, target: CitationTarget, blob: _Blob) -> SymbolTable:
        if not blob.parsed:
            blob.parsed = True
            text = "\n".join(blob.lines)
            blob.symbols = self.symbol_cache.get(text)
            if blob.symbols is None:
                try:
                    blob.symbols = symbol_table(text, filename=target.path, python_hint=self._hint(target))
                    self.symbol_cache.put(text, blob.symbols)
                except CheckoutError as exc:
                    blob.symbols_error = exc
        if blob.symbols_error is not None:
            raise blob.symbols_error
        assert blob.symbols is not None
        return blob.symbols

    def _parse_ahead(self, keys: list[CitationKey], pool: ParsePool) -> tuple[_Blob, str, Future[_Parsed]] | None:
        """Read the file of ``keys`` (one file's citations) and, when its symbols are wanted and
        neither held nor kept in the symbol cache, start parsing it in ``pool``."""
        target = keys[0].target
        if not _is_python(target.path) or not any(k.symbol for k in keys):
            return None
        try:
            blob = self._blob(target)
        except CheckoutError:
            return None  # verify() gives the verdict
        if blob.parsed:
            return None
        text = "\n".join(blob.lines)
        if blob.pending is None:  # a file two upstreams share is parsed once
            cached = self.symbol_cache.get(text)
            if cached is not None:
                blob.symbols, blob.parsed = cached, True
                return None
            blob.pending = pool.submit(text, target.path, self._hint(target))
        return blob, text, blob.pending

    def _parsed(self, blob: _Blob, text: str, parsed: _Parsed) -> None:
        blob.pending = None
        if blob.parsed:
            return
        table, message, subtype = parsed
        blob.parsed = True
        if table is None:
            blob.symbols_error = CheckoutError(message, subtype=subtype)
        else:
            blob.symbols = table
            self.symbol_cache.put(text, table)

    def verify(self, target: CitationTarget, symbol: str = "", *, require_anchor: bool = False) -> Verdict:
        """Verify one citation; never raises for bad input, returns a failed verdict."""
        key = (CitationKey(target.upstream, target.path, target.start, target.end, symbol), require_anchor)
        verdict = self._verdicts.get(key)
        if verdict is None:
            try:
                verdict = self._verify(target, symbol, require_anchor)
                if verdict.ok and self.manifest.lock is not None:
                    verdict = against_lock(self.manifest, target, verdict)
            except PypatternsError as exc:
                verdict = Verdict(False, exc.subtype, exc.message)
            self._verdicts[key] = verdict
        return verdict

    def _verify(self, target: CitationTarget, anchor: str, require_anchor: bool) -> Verdict:
        symbol, quotes = split_anchor(anchor)
        verdict = self._verify_symbol(target, symbol, require_anchor and not quotes)
        if not verdict.ok or not quotes:
            return verdict
        for quote in quotes:
            if not quote_found(quote, verdict.lines):
                near = nearest_text(quote, verdict.lines)
                nearest = f"; the nearest line is {near!r}" if near else ""
                return Verdict(
                    False,
                    "quote_not_found",
                    f"the quote {quote!r} is not in the lines of {target}{nearest}",
                    verdict.lines,
                )
        return verdict

    def _verify_symbol(self, target: CitationTarget, symbol: str, require_anchor: bool) -> Verdict:
        blob = self._blob(target)
        count = len(blob.lines)
        if target.end > count:
            bad = target.start if target.start > count else target.end
            return Verdict(
                False,
                "line_out_of_range",
                f"line {bad} is past the end of {target.upstream}:{target.path} ({count} lines)",
            )
        lines = tuple(blob.lines[target.start - 1 : target.end])
        is_python = _is_python(target.path)
        if not symbol:
            if require_anchor and is_python:
                return Verdict(False, "missing_anchor", missing_anchor_message(target), lines)
            return Verdict(True, lines=lines)
        if not is_python:
            if anchor_occurs(symbol, lines):
                return Verdict(True, lines=lines)
            return Verdict(False, "anchor_mismatch", f"{symbol!r} does not occur in the cited lines of {target}", lines)
        table = self._symbols(target, blob)
        spans = table.get(symbol)
        if not spans:
            return Verdict(False, "unknown_symbol", unknown_symbol_message(target, symbol, table), lines)
        for span in spans:
            if span[0] <= target.start and target.end <= span[1]:
                return Verdict(True, lines=lines)
        where = "; ".join(f"lines {lines_label(a, b)}" if a != b else f"line {a}" for a, b in spans)
        return Verdict(
            False,
            "anchor_mismatch",
            f"`{symbol}` is defined at {where}, but the citation covers {target.lines_label}",
            lines,
        )

    def lines_of(self, upstream: str, path: str) -> list[str]:
        """The lines of one file of ``upstream`` at its pin. Raises :class:`PypatternsError`."""
        return self._blob(CitationTarget(upstream, path, 1, 1)).lines

    def listing(self, upstream: str) -> frozenset[str] | None:
        """Every path of the checkout of ``upstream``; ``None`` when it cannot be listed."""
        return self._listing(upstream)

    def spans(self, target: CitationTarget, symbol: str) -> list[tuple[int, int]]:
        """The spans of ``symbol`` in the file of ``target``, a Python file (another file has none).

        Raises :class:`PypatternsError` when the file cannot be read or parsed.
        """
        symbol = split_anchor(symbol)[0]
        if not _is_python(target.path) or not symbol:
            return []
        return list(self._symbols(target, self._blob(target)).get(symbol, ()))


def verify_many(
    verifier: Verifier, keys: Iterable[CitationKey], *, require_anchor: bool, workers: int = 1
) -> Iterator[tuple[CitationKey, Verdict]]:
    """Verify each distinct citation once, file by file: the one verification path of the build,
    the background verifier and ``pypatterns check``.

    With ``workers`` of 2 or more and at least :data:`PARSE_POOL_MIN_FILES` files, the files'
    symbols are parsed in that many worker processes (started only when a file is not in the
    symbol cache), a few files ahead of the one verified; the verdicts are the same.
    """
    ordered = sorted(set(keys), key=CitationKey.file_order)
    files = [list(group) for _, group in groupby(ordered, key=lambda k: (k.path, k.upstream))]
    if workers < 2 or len(files) < PARSE_POOL_MIN_FILES:
        for key in ordered:
            yield key, verifier.verify(key.target, key.symbol, require_anchor=require_anchor)
        return
    with ParsePool(workers) as pool:
        window: deque[tuple[list[CitationKey], tuple[_Blob, str, Future[_Parsed]] | None]] = deque()
        ahead = min(workers * _AHEAD_PER_WORKER, FILES_HELD // 2)
        for group in files:
            window.append((group, verifier._parse_ahead(group, pool)))
            if len(window) > ahead:
                yield from _verify_file(verifier, *window.popleft(), require_anchor=require_anchor)
        while window:
            yield from _verify_file(verifier, *window.popleft(), require_anchor=require_anchor)


def _verify_file(
    verifier: Verifier,
    keys: list[CitationKey],
    started: tuple[_Blob, str, Future[_Parsed]] | None,
    *,
    require_anchor: bool,
) -> Iterator[tuple[CitationKey, Verdict]]:
    if started is not None:
        blob, text, future = started
        verifier._parsed(blob, text, future.result())
    for key in keys:
        yield key, verifier.verify(key.target, key.symbol, require_anchor=require_anchor)


def _decode_blob(path: str, data: bytes) -> _Blob:
    lines, refused = decode_lines(path, data)
    blob = _Blob(lines, parsed=refused is not None)
    blob.symbols_error = refused
    return blob
