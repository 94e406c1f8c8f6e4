"""Verifying citations in a helper process while Sphinx reads the pages. Free of Sphinx imports.

A build starts the helper (:meth:`Prefetch.start`) before it reads, hands it the
pages it is about to read, and takes the helper's verdicts at ``env-updated``
(:meth:`Prefetch.results`). The helper scans those pages as ``pypatterns check``
does and verifies what it finds with the same :class:`Verifier`, on another CPU,
while Sphinx parses. A citation the helper did not see, and every citation when
the helper fails in any way, is verified in the build's own process: the helper
changes when the work is done, never its result.

The helper speaks JSON: one request on its standard input, one verdict a line
on its standard output, then ``"done"``.
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
from .._core.scan import scan_page
from .._core.targets import parse_target

if TYPE_CHECKING:
    import subprocess

__all__ = ["Prefetch", "PrefetchKey", "Prefetched", "cpus_available"]

#: How long a helper that has answered may take to exit before it is stopped.
_EXIT_SECONDS = 10.0

#: (upstream, path, first line, last line, symbol) of a citation
PrefetchKey = tuple[str, str, int, int, str]


@dataclass(frozen=True)
class Prefetched:
    """A verdict from the helper; ``lines`` is ``None`` when it did not keep the cited lines."""

    ok: bool
    subtype: str
    message: str
    lines: tuple[str, ...] | None


def cpus_available() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Prefetch:
    """The helper process of one build. Ends in :meth:`results` or :meth:`close`."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        #: Why :meth:`results` took nothing from the helper ("" when it answered).
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
        command: Sequence[str] = (),
    ) -> Prefetch | None:
        """Start the helper on ``pages``; ``None`` if it cannot start (the build then verifies alone)."""
        import subprocess

        request = {
            "manifest": os.fspath(manifest),
            "checkouts": [checkouts[0], checkouts[1]],
            "max_bytes": max_bytes,
            "require_anchor": require_anchor,
            "keep_all_lines": keep_all_lines,
            "pages": [os.fspath(p) for p in pages],
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
        prefetch = cls(proc)
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request).encode("utf-8"))
            proc.stdin.close()  # before Sphinx forks its readers, so none of them holds it open
        except OSError:
            prefetch.close()
            return None
        return prefetch

    def results(self) -> dict[PrefetchKey, Prefetched]:
        """Wait for the helper and take its verdicts: all of them, or none if it failed."""
        proc, self._proc = self._proc, None
        if proc is None:
            return {}
        import subprocess

        found: dict[PrefetchKey, Prefetched] | None = None
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
        """Stop the helper if it still runs (a build that ended before ``env-updated``)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _end(proc)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close the helper's pipe, stop it if it still runs, and reap it."""
    if proc.stdout is not None:
        proc.stdout.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _read_results(stream: IO[bytes]) -> dict[PrefetchKey, Prefetched] | None:
    """The verdicts of a complete, well-formed answer (one that ends in "done"); else ``None``."""
    found: dict[PrefetchKey, Prefetched] = {}
    for raw in stream:
        try:
            row = json.loads(raw)
        except ValueError:
            return None
        if row == "done":
            return found
        try:
            upstream, path, start, end, symbol, ok, subtype, message, lines = row
            key = (str(upstream), str(path), int(start), int(end), str(symbol))
            kept = None if lines is None else tuple(str(line) for line in lines)
            found[key] = Prefetched(bool(ok), str(subtype), str(message), kept)
        except (TypeError, ValueError):
            return None
    return None  # no "done": the helper did not finish


def _citations(pages: Iterable[str], names: frozenset[str]) -> dict[tuple[PrefetchKey, bool], None]:
    """The well-formed citations of the pages, once each, with whether their lines are printed."""
    found: dict[tuple[PrefetchKey, bool], None] = {}
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
            key = (target.upstream, target.path, target.start, target.end, cite.symbol)
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
        )


def run(request: _Request) -> Iterator[list[object]]:
    """Verify the citations of the requested pages; one row per distinct citation."""
    from .._core.manifest import load_manifest
    from .._core.targets import CitationTarget
    from .._core.verify import Verifier

    manifest = load_manifest(Path(request.manifest))
    found = _citations(request.pages, frozenset(manifest.names))
    keep = {key for key, directive in found if directive or request.keep_all_lines}
    # file by file, each file's upstreams together: a blob two upstreams share is parsed once
    keys = sorted({key for key, _ in found}, key=lambda k: (k[1], k[0], k[2], k[3], k[4]))
    with Verifier(manifest, request.checkouts, max_bytes=request.max_bytes, max_files=16) as verifier:
        for key in keys:
            upstream, path, start, end, symbol = key
            if upstream not in manifest.upstreams:
                continue
            target = CitationTarget(upstream, path, start, end)
            verdict = verifier.verify(target, symbol, require_anchor=request.require_anchor)
            lines = list(verdict.lines) if key in keep else None
            yield [upstream, path, start, end, symbol, verdict.ok, verdict.subtype, verdict.message, lines]


def main() -> int:
    """The helper: a request on standard input, verdicts on standard output; no "done" on any error."""
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
