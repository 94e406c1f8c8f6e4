"""Benchmark: ``pypatterns bump`` on this handbook's own citations of one upstream, cold.

Each run copies the handbook's pages, ``conf.py`` and manifest into a fresh folder, links the
synced checkout of the old pin into it (``pypatterns sync`` must have run in the repository),
and bumps the upstream to ``--to`` with an empty symbol cache: every cited file is read and
parsed at both pins. The new release's sdist comes through pip; the first run's download is
not timed apart, later runs find it in pip's cache. Its commit is given as a placeholder
(``--commit``, 40 zeros): the timing does not depend on it, and nothing is kept.

Reports the median over ``--runs`` of the command's wall time and of the relocation alone
(what ``bump`` prints as "relocated in"), and the classes of the last run.

    python benchmarks/bump_speed.py                      # pytest 9.1.1 -> 9.2.0, 3 runs
    python benchmarks/bump_speed.py --upstream click --to 8.5.1
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "0" * 40


def _project(work: Path, upstream: str) -> Path:
    """A copy of the handbook in ``work``, with the old pin's checkout linked in."""
    src = work / "handbook"
    for folder in ("docs", "sources", "patterns", "smells"):
        shutil.copytree(ROOT / folder, src / folder)
    checkouts = src / ".pypatterns" / "checkouts"
    checkouts.mkdir(parents=True)
    found = sorted((ROOT / ".pypatterns" / "checkouts").glob(f"{upstream}-*"))
    if not found:
        raise SystemExit(f"no synced checkout of {upstream}: run `pypatterns sync` in {ROOT} first")
    for folder in found:
        (checkouts / folder.name).symlink_to(folder, target_is_directory=True)
    return src


def _run(upstream: str, version: str) -> tuple[float, float, dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="pypatterns-bump-bench-") as tmp:
        src = _project(Path(tmp), upstream)
        argv = [sys.executable, "-m", "sphinx_pypatterns", "bump", upstream, str(src), "-c", str(src / "docs")]
        argv += ["--to", version, "--commit", PLACEHOLDER]
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
        wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"bump failed ({done.returncode}):\n{done.stderr[-2000:]}")
    relocated = re.search(r"relocated in (\d+\.\d+) s", done.stderr)
    counts = {k: int(n) for k, n in re.findall(r"^  (unchanged|moved|changed|vanished)\s+(\d+)$", done.stderr, re.M)}
    total = re.search(r"^  (\d+) citations \((\d+) distinct ranges\)", done.stderr, re.M)
    if total:
        counts["citations"], counts["ranges"] = int(total.group(1)), int(total.group(2))
    return wall, float(relocated.group(1)) if relocated else float("nan"), counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", default="pytest")
    parser.add_argument("--to", dest="version", default="9.2.0")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, relocations = [], []
    counts: dict[str, int] = {}
    for run in range(1, args.runs + 1):
        wall, relocated, counts = _run(args.upstream, args.version)
        walls.append(wall)
        relocations.append(relocated)
        print(f"  run {run}: bump {wall:.2f} s, relocation {relocated:.2f} s", flush=True)
    print(
        f"{args.upstream} -> {args.version}: {counts.get('citations', 0)} citations"
        f" ({counts.get('ranges', 0)} distinct ranges), cold; median of {args.runs}:"
        f" bump {statistics.median(walls):.2f} s, relocation {statistics.median(relocations):.2f} s"
    )
    print("  " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("unchanged", "moved", "changed", "vanished")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
