"""The background verifier: a process that verifies citations while Sphinx reads the pages.
Free of Sphinx imports.

A build starts it (:meth:`BackgroundVerifier.start`) before it reads, hands it the
pages it is about to read, and takes its verdicts at ``env-updated``
(:meth:`BackgroundVerifier.results`). It scans those pages as ``pypatterns check``
does and verifies what it finds through the same :func:`verify_many`, on another CPU,
while Sphinx parses. A citation it did not see, and every citation when it fails in
any way, is verified in the build's own process: the background verifier changes when
the work is done, never its result (``pypatterns_background_verify``).

It speaks JSON: one request on its standard input, one verdict a line on its
standard output, then ``"done"``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .._core.checkouts import CheckoutSpec
from .._core.errors import PypatternsError
from .._core.records import POPUP_LINES
from .._core.scan import scan_page
from .._core.targets import CitationKey, parse_target

if TYPE_CHECKING:
    import subprocess

__all__ = ["BackgroundVerdict", "BackgroundVerifier", "cpus_available"]

#: How long a background verifier that has answered may take to exit before it is stopped.
_EXIT_SECONDS = 10.0


@dataclass(frozen=True)
class BackgroundVerdict:
    """A verdict of the background verifier; ``lines``: the cited lines it kept (all where they are
    printed, else the first :data:`POPUP_LINES`), ``None`` when it kept none."""

    ok: bool
    subtype: str
    message: str
    lines: tuple[str, ...] | None


def cpus_available() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class BackgroundVerifier:
    """The background verifier of one build. Ends in :meth:`results` or :meth:`close`."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        #: Why :meth:`results` took nothing from the process ("" when it answered).
        self.failure = ""

    @classmethod
    def start(
        cls,
        *,
        manifest: Path,
        checkouts: CheckoutSpec,
        max_bytes: int,
        require_anchor: bool,
        keep_all_lines: bool,
        pages: Sequence[str | Path],
        symbol_cache: Path | None = None,
        command: Sequence[str] = (),
    ) -> BackgroundVerifier | None:
        """Start it on ``pages``; ``None`` if it cannot start (the build then verifies alone)."""
        import subprocess

        request = {
            "manifest": os.fspath(manifest),
            "checkouts": [checkouts[0], checkouts[1]],
            "max_bytes": max_bytes,
            "require_anchor": require_anchor,
            "keep_all_lines": keep_all_lines,
            "pages": [os.fspath(p) for p in pages],
            "symbol_cache": os.fspath(symbol_cache) if symbol_cache is not None else "",
        }
        try:
            proc = subprocess.Popen(
                list(command) or [sys.executable, "-m", "sphinx_pypatterns._tools.background"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None
        background = cls(proc)
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request).encode("utf-8"))
            proc.stdin.close()  # before Sphinx forks its readers, so none of them holds it open
        except OSError:
            background.close()
            return None
        return background

    def results(self) -> dict[CitationKey, BackgroundVerdict]:
        """Wait for the process and take its verdicts: all of them, or none if it failed."""
        proc, self._proc = self._proc, None
        if proc is None:
            return {}
        import subprocess

        found: dict[CitationKey, BackgroundVerdict] | None = None
        try:
            assert proc.stdout is not None
            found = _read_results(proc.stdout)
            if found is None:
                self.failure = "no complete, well-formed answer"
            else:
                proc.wait(timeout=_EXIT_SECONDS)  # it has answered and is ending: let it end
        except subprocess.TimeoutExpired:
            found, self.failure = None, f"still running {_EXIT_SECONDS:.0f} s after its answer"
        finally:
            _end(proc)
        if found is not None and proc.returncode != 0:
            found, self.failure = None, f"exit status {proc.returncode}"
        return found if found is not None else {}

    def close(self) -> None:
        """Stop the process if it still runs (a build that ended before ``env-updated``)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _end(proc)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close the process's pipe, stop it if it still runs, and reap it."""
    if proc.stdout is not None:
        proc.stdout.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _read_results(stream: IO[bytes]) -> dict[CitationKey, BackgroundVerdict] | None:
    """The verdicts of a complete, well-formed answer (one that ends in "done"); else ``None``."""
    found: dict[CitationKey, BackgroundVerdict] = {}
    for raw in stream:
        try:
            row = json.loads(raw)
        except ValueError:
            return None
        if row == "done":
            return found
        try:
            upstream, path, start, end, symbol, ok, subtype, message, lines = row
            key = CitationKey(str(upstream), str(path), int(start), int(end), str(symbol))
            kept = None if lines is None else tuple(str(line) for line in lines)
            found[key] = BackgroundVerdict(bool(ok), str(subtype), str(message), kept)
        except (TypeError, ValueError):
            return None
    return None  # no "done": the process did not finish


def _citations(pages: Iterable[str], names: frozenset[str]) -> dict[tuple[CitationKey, bool], None]:
    """The well-formed citations of the pages, once each, with whether their lines are printed."""
    found: dict[tuple[CitationKey, bool], None] = {}
    for page in pages:
        try:
            with open(page, "rb") as handle:
                text = handle.read().decode("utf-8-sig", "replace")
        except OSError:
            continue
        for cite in scan_page(page, text):
            try:
                target = parse_target(cite.target, known_upstreams=names)
            except PypatternsError:
                continue  # the build reports it at read time
            if not target.start:
                continue  # symbol-only: the build fills its lines from the symbol first
            key = CitationKey(target.upstream, target.path, target.start, target.end, cite.symbol)
            found[(key, cite.directive)] = None
    return found


@dataclass(frozen=True)
class _Request:
    manifest: str
    checkouts: CheckoutSpec
    max_bytes: int
    require_anchor: bool
    keep_all_lines: bool
    pages: tuple[str, ...]
    symbol_cache: str

    @classmethod
    def from_json(cls, data: bytes) -> _Request:
        raw = json.loads(data)
        root, named = raw["checkouts"]
        return cls(
            manifest=str(raw["manifest"]),
            checkouts=(str(root), {str(k): str(v) for k, v in dict(named).items()}),
            max_bytes=int(raw["max_bytes"]),
            require_anchor=bool(raw["require_anchor"]),
            keep_all_lines=bool(raw["keep_all_lines"]),
            pages=tuple(str(p) for p in raw["pages"]),
            symbol_cache=str(raw.get("symbol_cache") or ""),
        )


def run(request: _Request) -> Iterator[list[object]]:
    """Verify the citations of the requested pages; one row per distinct citation."""
    from .._core.manifest import load_manifest
    from .._core.symbol_cache import SymbolCache
    from .._core.verify import FILES_HELD, Verifier, verify_many

    manifest = load_manifest(Path(request.manifest))
    found = _citations(request.pages, frozenset(manifest.names))
    keep = {key for key, directive in found if directive or request.keep_all_lines}
    keys = (key for key, _ in found if key.upstream in manifest.upstreams)
    cache = SymbolCache(request.symbol_cache or None)
    with Verifier(
        manifest, request.checkouts, max_bytes=request.max_bytes, max_files=FILES_HELD, symbol_cache=cache
    ) as verifier:
        for key, verdict in verify_many(verifier, keys, require_anchor=request.require_anchor):
            lines = verdict.lines if key in keep else verdict.lines[:POPUP_LINES]
            yield [*key, verdict.ok, verdict.subtype, verdict.message, list(lines)]


def main() -> int:
    """The process: a request on standard input, verdicts on standard output; no "done" on any error."""
    try:
        request = _Request.from_json(sys.stdin.buffer.read())
        # all at the end: the build reads only at env-updated, and a full pipe would stall the work
        rows = [json.dumps(row) for row in run(request)]
        rows.append('"done"\n')
        sys.stdout.write("\n".join(rows))
        sys.stdout.flush()
    except (PypatternsError, OSError, ValueError, TypeError, KeyError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
