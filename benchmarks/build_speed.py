"""Benchmark: sphinx-pypatterns against plain Sphinx and sphinx-needs on the same synthetic corpora.

Generates, seeded and deterministic (``corpora.py``), one or both corpus shapes:

- **light**: an upstream git repository of short Python modules (classes, methods, module-level
  assignments), pinned by a manifest under two upstream names; a project of P pages (patterns,
  smells, source notes) holding C citations of random sub-ranges, every one with a symbol
  anchor, plus checklist, matrix, dashboard and pin pages;
- **heavy**: three upstream repositories of 200 modules of about 960 lines each, each pinned under
  its own name; P pages with C citations, each of one whole top-level ``def`` or ``class`` (its
  name the anchor), dealt out so every one of the 600 files is cited; 20 cross-references to
  other pages' patterns on every pattern, smell and source-note page;

each in three forms (variants): ``ours`` (the extension), ``plain`` (plain Sphinx + MyST: the
same text, header directives as admonitions, citations as plain links to the same permalinks,
cross-references as relative links) and ``needs`` (sphinx-needs: the plain text with one need per
page in place of the admonition and ``{need}`` roles in place of the cross-references).

Then measures for each corpus, ``--runs`` times each, the variants interleaved run by run, the
median of: a clean HTML build (no output folder, and no ``SRCDIR/.pypatterns/`` caches unless
``--warm-caches``) with ``-j 1`` and with ``-j 2`` and the peak memory of each; an
incremental rebuild after editing one page's prose, and after adding one citation (a link, for
plain and needs) to one page (which for ours also changes the matrix and the evidence index, so
those pages are rewritten too); and ``pypatterns check`` cold and warm on a project of
``--check-citations`` citations (the heavy one over 5 x ``--heavy-files`` distinct files).

sphinx-needs is not a dependency of the project: on first use it is installed with pip
``--target`` into ``.pypatterns/bench-needs/`` (git-ignored) with ``--no-deps`` and only the
dependencies the virtualenv lacks, and only the needs variant's processes get it on PYTHONPATH.

    python benchmarks/build_speed.py                  # both corpora, P=250, C=5000, check at 10,000
    python benchmarks/build_speed.py --corpus heavy --variants plain,ours
    python benchmarks/build_speed.py --corpus heavy --generate-only --keep /tmp/heavy
    python benchmarks/build_speed.py --quick          # the CI smoke scale (no sphinx-needs)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpora import VARIANTS, Generated, generate_heavy, generate_light

ROOT = Path(__file__).resolve().parent.parent

#: sphinx-needs for the needs variant: the newest release whose requirements the virtualenv's
#: Sphinx 9.2 meets, and, pinned, the dependencies of it that the virtualenv lacks (resolved by
#: ``pip install --dry-run --report`` against the virtualenv). Sphinx, docutils, requests and
#: typing-extensions come from the virtualenv: the cache must not shadow them.
NEEDS_VERSION = "9.1.0"
NEEDS_REQUIREMENTS = (
    f"sphinx-needs=={NEEDS_VERSION}",
    "jsonschema-rs==0.58.6",
    "minijinja==2.24.0",
    "requests-file==3.0.1",
    "sphinx-data-viewer==0.1.5",
    "sphinxcontrib-jquery==4.1",
    "ub-needs-exchange==1.1.0",
    "ub-project==1.1.0",
)
NEEDS_DIR = ROOT / ".pypatterns" / "bench-needs"

#: Measured processes run as a user's do, with Python's bytecode cache: an environment that sets
#: PYTHONDONTWRITEBYTECODE would make every run compile the (editable) package from source, about
#: 30 ms that no installed copy pays. The pre-built caches of site-packages serve plain Sphinx either way.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

MEASURES = ("j1", "j1_first", "j2", "incremental", "incremental_cite", "rss", "rss_j2")
#: The keys of the top-level "summary" before there were several corpora and variants
#: (tests/test_benchmarks.py reads them): the light corpus's rows, or the first corpus measured.
LEGACY_KEYS = ("j1", "j2", "incremental", "incremental_cite", "rss", "check_cold", "check_warm")
NAMES = {
    "j1": "clean build -j 1",
    "j1_first": "first build -j 1 (ours: no symbol cache yet)",
    "j2": "clean build -j 2",
    "incremental": "incremental, one page's prose edited",
    "incremental_cite": "incremental, one citation added to one page",
    "rss": "peak memory -j 1 (MiB)",
    "rss_j2": "peak memory -j 2 (MiB)",
}


def ensure_needs() -> Path:
    """The folder to put on the needs variant's PYTHONPATH, sphinx-needs installed there once."""
    marker = NEEDS_DIR / ".installed"
    wanted = "\n".join(NEEDS_REQUIREMENTS) + "\n"
    if marker.exists() and marker.read_text() == wanted:
        return NEEDS_DIR
    print(f"installing sphinx-needs {NEEDS_VERSION} into {NEEDS_DIR} (once) ...", flush=True)
    staging = NEEDS_DIR.with_name(NEEDS_DIR.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(staging), *NEEDS_REQUIREMENTS]  # fmt: skip
    subprocess.run(cmd, check=True)
    shadowing = _shadowing(staging)
    if shadowing:
        raise SystemExit(f"{staging} would shadow the virtualenv's {', '.join(shadowing)}: not using it")
    probe = "import sphinx, docutils, myst_parser, sphinx_needs; print(sphinx.__file__, docutils.__file__)"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                         env=dict(ENV, PYTHONPATH=str(staging))).stdout  # fmt: skip
    if str(staging) in out:
        raise SystemExit(f"sphinx or docutils would be imported from {staging}: {out}")
    shutil.rmtree(NEEDS_DIR, ignore_errors=True)
    staging.rename(NEEDS_DIR)
    marker.write_text(wanted)
    return NEEDS_DIR


def _shadowing(target: Path) -> list[str]:
    """Top-level modules in ``target`` that the virtualenv has too (namespace packages: by child)."""
    found = []
    for entry in sorted(target.iterdir()):
        if entry.name.endswith((".dist-info", ".data")) or entry.name in {"bin", "__pycache__"}:
            continue
        name = entry.name.split(".")[0]
        if name == "sphinxcontrib":  # a namespace package the virtualenv's sphinxcontrib-* share
            found += [f"{name}.{c.name}" for c in entry.iterdir() if importlib.util.find_spec(f"{name}.{c.name}")]
        elif importlib.util.find_spec(name) is not None:
            found.append(name)
    return found


def versions(needs_dir: Path | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("sphinx", "furo", "myst-parser"):
        out[dist] = importlib.metadata.version(dist)
    out["sphinx-needs"] = None
    if needs_dir is not None:
        for dist in importlib.metadata.distributions(path=[str(needs_dir)]):
            if dist.metadata["Name"] == "sphinx-needs":
                out["sphinx-needs"] = dist.version
    git = subprocess.run(["git", "--version"], capture_output=True, text=True)
    out["git"] = git.stdout.strip().removeprefix("git version ")
    return out


def warm_bytecode(envs: dict[str, dict[str, str]]) -> None:
    """Compile the package's modules (and sphinx-needs') once, before anything is timed."""
    modules = "sphinx_pypatterns._sphinx.setup, sphinx_pypatterns._tools.cli, sphinx_pypatterns._tools.background"
    subprocess.run([sys.executable, "-c", f"import {modules}"], check=True, env=ENV)
    if "needs" in envs:
        subprocess.run([sys.executable, "-c", "import sphinx_needs.needs"], check=True, env=envs["needs"])


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a command; return (seconds, peak RSS in MiB: the largest of it and its children)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{out[-2000:]}\n{err[-4000:]}")
    return elapsed, usage.ru_maxrss // 1024


#: Whether a clean build also starts without the caches the extension keeps in SRCDIR/.pypatterns/
#: (the symbol cache, the check cache): ``--warm-caches`` keeps them, as a user's second clean build would.
KEEP_CACHES = False


def sphinx(src: Path, out: Path, jobs: int, *, clean: bool, env: dict[str, str] | None = None) -> tuple[float, int]:
    """A build of ``src``; clean: without ``out`` and, unless ``--warm-caches``, without ``src/.pypatterns``."""
    if clean:
        shutil.rmtree(out, ignore_errors=True)
        if not KEEP_CACHES:
            shutil.rmtree(src / ".pypatterns", ignore_errors=True)
    return run([sys.executable, "-m", "sphinx", "-q", "-W", "-j", str(jobs), "-b", "html", str(src), str(out)], env=env)


def median(values: list[float]) -> float:
    return statistics.median(values)


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


def generate(kind: str, root: Path, args: argparse.Namespace) -> tuple[Generated, float]:
    t0 = time.perf_counter()
    if kind == "light":
        g = generate_light(root, args.pages, args.citations, args.check_citations)
    else:
        g = generate_heavy(root, args.pages, args.citations, args.check_citations, files=args.heavy_files)
    return g, time.perf_counter() - t0


def measure_builds(g: Generated, variants: list[str], envs: dict[str, dict[str, str]], runs: int) -> dict:
    timings: dict[str, dict[str, list[float]]] = {v: {m: [] for m in MEASURES} for v in variants}
    for label in variants:  # untimed: the caches filled (with --warm-caches) and the files in the OS cache
        sphinx(g.sources[label], g.root / f"out-{label}", 1, clean=True, env=envs[label])
    # the variants alternate run by run, so a machine whose speed drifts during the
    # benchmark weighs on all sides alike
    for jobs, key, rss_key in ((1, "j1", "rss"), (2, "j2", "rss_j2")):
        for i in range(runs):
            for label in variants:
                secs, rss = sphinx(g.sources[label], g.root / f"out-{label}", jobs, clean=True, env=envs[label])
                timings[label][key].append(secs)
                timings[label][rss_key].append(rss)
                print(f"  {g.name} {label} clean -j{jobs} run {i + 1}: {secs:.2f} s, {rss} MiB", flush=True)
                if jobs == 1:
                    # the first build of a fresh clone: no output and no SRCDIR/.pypatterns caches (for plain
                    # and needs the same build as a clean one, measured again so the variants still alternate)
                    shutil.rmtree(g.sources[label] / ".pypatterns", ignore_errors=True)
                    first, _ = sphinx(g.sources[label], g.root / f"out-{label}", 1, clean=True, env=envs[label])
                    timings[label]["j1_first"].append(first)
                    print(f"  {g.name} {label} first -j1 run {i + 1}: {first:.2f} s", flush=True)
    for kind in ("incremental", "incremental_cite"):
        for i in range(runs):
            for label in variants:
                src, out, env = g.sources[label], g.root / f"out-{label}", envs[label]
                target = src / "patterns" / "p0000.md"
                original = target.read_text()
                sphinx(src, out, 1, clean=False, env=env)  # settle
                if kind == "incremental":
                    # prose: a sentence reworded; no global data changes
                    target.write_text(original.replace("## Why\n\n", f"## Why\n\nReworded {i}. ", 1))
                else:
                    # evidence: one more citation (ours: the matrix and the evidence index change too)
                    cite_o, cite_p = g.extra_citation(i)
                    added = cite_o if label == "ours" else cite_p
                    target.write_text(original.replace("Evidence: ", f"Evidence: {added}, ", 1))
                secs, _ = sphinx(src, out, 1, clean=False, env=env)
                timings[label][kind].append(secs)
                target.write_text(original)
                sphinx(src, out, 1, clean=False, env=env)
                print(f"  {g.name} {label} {kind} run {i + 1}: {secs:.2f} s", flush=True)
    return timings


def measure_check(g: Generated, runs: int) -> tuple[list[float], list[float]]:
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(runs):
        shutil.rmtree(g.check / ".pypatterns", ignore_errors=True)
        cold.append(run([sys.executable, "-m", "sphinx_pypatterns", "check", str(g.check)])[0])
        warm.append(run([sys.executable, "-m", "sphinx_pypatterns", "check", str(g.check)])[0])
    return cold, warm


def summarize(g: Generated, timings: dict, cold: list[float], warm: list[float]) -> dict[str, dict]:
    summary: dict[str, dict] = {}
    for key in MEASURES if timings else ():
        row: dict[str, float] = {v: median(t[key]) for v, t in timings.items()}
        if "plain" in row and "ours" in row:
            row["ratio"] = row["ours"] / row["plain"]
        if "plain" in row and "needs" in row:
            row["needs_ratio"] = row["needs"] / row["plain"]
        summary[key] = row
    if cold:
        summary["check_cold"] = {"citations": g.check_citations, "files": g.check_files, "seconds": median(cold)}
        summary["check_warm"] = {"citations": g.check_citations, "files": g.check_files, "seconds": median(warm)}
    return summary


def print_table(g: Generated, summary: dict[str, dict], machine: str, runs: int) -> None:
    print()
    print(f"{g.name} corpus: {g.pages} pages, {g.citations} citations, {g.files} upstream files")
    print(f"| measure | plain | ours | needs | ours / plain | needs / plain |  ({machine}, {runs} runs, medians)")
    print("|---|---|---|---|---|---|")

    def cell(row: dict, key: str, unit: str, digits: int = 2) -> str:
        return f"{row[key]:.{digits}f}{unit}" if key in row else "—"

    for key, name in NAMES.items():
        if key not in summary:
            continue
        row = summary[key]
        unit = "" if key.startswith("rss") else " s"
        cells = [cell(row, v, unit) for v in VARIANTS] + [cell(row, "ratio", "", 3), cell(row, "needs_ratio", "", 3)]
        print(f"| {name} | {' | '.join(cells)} |")
    for key, word in (("check_cold", "cold"), ("check_warm", "warm")):
        if key in summary:
            row = summary[key]
            where = f"{row['citations']} citations over {row['files']} files"
            print(f"| `pypatterns check` {word}, {where} | | {row['seconds']:.3f} s | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["light", "heavy", "both"], default="both")
    parser.add_argument("--variants", help="comma-separated, of plain,ours,needs (default: all; --quick: plain,ours)")
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--citations", type=int, default=5000)
    parser.add_argument("--check-citations", type=int, default=10_000)
    parser.add_argument("--heavy-files", type=int, default=200, help="modules per heavy upstream (3 of them)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="P=24, C=240, check at 1,000, heavy at 3 x 10 files, one run, no needs")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", choices=["build", "check"], help="measure only the builds, or only the check")
    parser.add_argument("--generate-only", action="store_true", help="write the corpora (with --keep) and stop")
    parser.add_argument("--keep", type=Path, help="generate into DIR/<corpus>/ and keep it (for profiling)")
    parser.add_argument("--warm-caches", action="store_true",
                        help="clean builds keep SRCDIR/.pypatterns/ (the symbol cache) from the run before")  # fmt: skip
    args = parser.parse_args()
    global KEEP_CACHES
    KEEP_CACHES = args.warm_caches
    if args.quick:
        args.pages, args.citations, args.check_citations, args.runs, args.heavy_files = 24, 240, 1000, 1, 10
    if args.variants is None:
        args.variants = "plain,ours" if args.quick else ",".join(VARIANTS)
    chosen = {v.strip() for v in args.variants.split(",") if v.strip()}
    if not chosen or chosen - set(VARIANTS):
        parser.error(f"--variants: choose from {','.join(VARIANTS)}")
    variants = [v for v in VARIANTS if v in chosen] if args.only != "check" else []
    kinds = ["light", "heavy"] if args.corpus == "both" else [args.corpus]

    needs_dir = ensure_needs() if "needs" in variants else None
    envs = {"plain": ENV, "ours": ENV}
    if needs_dir is not None:
        envs["needs"] = dict(ENV, PYTHONPATH=os.pathsep.join(filter(None, [str(needs_dir), ENV.get("PYTHONPATH")])))
    machine = f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}"
    results: dict[str, object] = {"machine": machine, "versions": versions(needs_dir), "variants": variants,
                                  "warm_caches": args.warm_caches,
                                  "runs_per_measure": args.runs, "corpora": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="pypatterns-bench-") as tmp:
        base = Path(tmp)
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            base = args.keep.resolve()
            base.mkdir(parents=True)
        generated = []
        for kind in kinds:
            g, secs = generate(kind, base / kind, args)
            generated.append(g)
            sizes = {v: tree_bytes(src) for v, src in g.sources.items()}
            entry = {"pages": g.pages, "citations": g.citations, "upstream_files": g.files, "upstream_lines": g.lines,
                     "check_citations": g.check_citations, "check_files": g.check_files,
                     "generation_seconds": round(secs, 3), "project_bytes": sizes, **g.details}  # fmt: skip
            results["corpora"][kind] = entry
            print(f"{kind} corpus: {g.pages} pages, {g.citations} citations, {g.files} upstream files "
                  f"({g.lines} lines); check: {g.check_citations} citations over {g.check_files} files; "
                  f"generated in {secs:.1f} s under {g.root}", flush=True)  # fmt: skip
        if args.generate_only:
            if needs_dir is not None:
                print(f"needs variant: run its sphinx with PYTHONPATH={needs_dir}")
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
            return
        warm_bytecode(envs)
        for g in generated:
            timings = measure_builds(g, variants, envs, args.runs)
            cold, warm = measure_check(g, args.runs if args.only != "build" else 0)
            summary = summarize(g, timings, cold, warm)
            entry = results["corpora"][g.name]
            entry.update(summary=summary, runs=timings, check_runs={"cold": cold, "warm": warm})
            print_table(g, summary, machine, args.runs)
        # the layout before there were corpora: the light corpus (else the first) at the top level
        first = results["corpora"]["light" if "light" in kinds else kinds[0]]
        results.update(pages=first["pages"], citations=first["citations"], runs=first["runs"],
                       summary={k: v for k, v in first["summary"].items() if k in LEGACY_KEYS})  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
