"""Benchmark: sphinx-pypatterns against plain Sphinx on the same synthetic corpus.

Generates, seeded and deterministic:

- an upstream git repository of Python modules (classes, methods, module-level
  assignments), pinned by a manifest under two upstream names;
- a project of P pages (patterns, smells, source notes) holding C citations,
  every one with a symbol anchor, plus checklist, matrix, dashboard and pin pages;
- the same pages in a plain form for baseline Sphinx: the same text, header
  directives as admonitions, citations as plain links to the same permalinks.

Then measures, ``--runs`` times each, the median of: a clean HTML build with
``-j 1`` and with ``-j 2``; an incremental rebuild after editing one page's prose,
and after adding one citation to one page (which also changes the matrix and
the evidence index, so those pages are rewritten too); the peak memory of a clean ``-j 1`` build; and ``pypatterns check``
cold and warm on a project of ``--check-citations`` citations.

    python benchmarks/build_speed.py                 # P=250, C=5000, check at 10,000
    python benchmarks/build_speed.py --quick         # the CI smoke scale
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from verify_speed import make_repo

AREAS = ["public-surface", "exceptions", "sync-async", "typing", "data-model", "testing"]
UPSTREAMS = ("bench", "mirror")
URL = "https://example.invalid/{name}"

OURS_CONF = """
project = "bench"
extensions = ["sphinx_pypatterns"]
html_theme = "furo"
exclude_patterns = ["_build"]
pypatterns_manifest = "upstreams.toml"
pypatterns_checkouts = {checkouts!r}
pypatterns_require_anchor = True
"""

PLAIN_CONF = """
project = "bench"
extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
exclude_patterns = ["_build"]
"""


@dataclass
class Corpus:
    """Page texts in both forms, keyed by relative path."""

    ours: dict[str, str] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    citations: int = 0


class Citer:
    """Draws anchored citations from the generated repository."""

    def __init__(self, rng: random.Random, index: dict[str, list[tuple[str, int, int]]], commit: str) -> None:
        self.rng = rng
        self.index = index
        self.paths = sorted(index)
        self.commit = commit
        self.count = 0

    def pair(self, upstream: str | None = None) -> tuple[str, str]:
        """One citation: (ours, plain)."""
        path = self.rng.choice(self.paths)
        name, start, end = self.rng.choice(self.index[path])
        a = self.rng.randint(start, end)
        b = self.rng.randint(a, end)
        up = upstream or UPSTREAMS[self.count % 2]
        self.count += 1
        lines = f"{a}" if a == b else f"{a}-{b}"
        anchor = f"#L{a}" if a == b else f"#L{a}-L{b}"
        url = f"{URL.format(name=up)}/blob/{self.commit}/{path}{anchor}"
        return f"{{cite}}`{name} <{up}:{path}:{lines}>`", f"[{name}]({url})"

    def many(self, n: int) -> tuple[str, str]:
        pairs = [self.pair(UPSTREAMS[i % 2]) for i in range(n)]
        return ", ".join(p[0] for p in pairs), ", ".join(p[1] for p in pairs)


def _page(title: str, header_ours: str, header_plain: str, sections: list[tuple[str, str, str]]) -> tuple[str, str]:
    ours = [f"# {title}", "", header_ours, ""]
    plain = [f"# {title}", "", header_plain, ""]
    for name, text_ours, text_plain in sections:
        ours += [f"## {name}", "", text_ours, ""]
        plain += [f"## {name}", "", text_plain, ""]
    return "\n".join(ours), "\n".join(plain)


def make_corpus(pages: int, citations: int, citer: Citer, rng: random.Random) -> Corpus:
    corpus = Corpus()
    n_notes = max(2, pages // 10)
    n_smells = max(1, pages // 4)
    n_patterns = max(1, pages - n_notes - n_smells)
    per_page = max(2, citations // pages)
    pattern_ids = [f"p{i:04d}" for i in range(n_patterns)]

    def filler(i: int) -> str:
        return " ".join(
            rng.choice(["library", "design", "callers", "errors", "types", "tests"]) for _ in range(40 + i % 7)
        )

    for i, pid in enumerate(pattern_ids):
        evidence_o, evidence_p = citer.many(per_page - 1)
        counter_o, counter_p = citer.pair()
        header_o = f":::{{pattern}}\n:id: {pid}\n:area: {AREAS[i % 6]}\n:rule: Rule number {i} for library design.\n:::"
        header_p = f":::{{admonition}} Pattern {pid}\n**Area**: {AREAS[i % 6]}. **Rule**: Rule number {i} for library design.\n:::"
        see = pattern_ids[(i + 1) % n_patterns]
        sections = [
            ("What", filler(i), filler(i)),
            ("Why", filler(i + 1), filler(i + 1)),
            ("When to use", f"See {{pattern}}`{see}`.", f"See [{see}]({see}.md)."),
            ("When not to use", filler(i + 2), filler(i + 2)),
            ("Preferred shapes", filler(i + 3), filler(i + 3)),
            ("Counterexamples", f"Counter: {counter_o}.", f"Counter: {counter_p}."),
            ("Evidence", f"Evidence: {evidence_o}.", f"Evidence: {evidence_p}."),
        ]
        o, p = _page(f"Pattern {i}", header_o, header_p, sections)
        corpus.ours[f"patterns/{pid}.md"], corpus.plain[f"patterns/{pid}.md"] = o, p
    for i in range(n_smells):
        sid = f"s{i:04d}"
        inverts = pattern_ids[i % n_patterns]
        ev_o, ev_p = citer.many(per_page)
        header_o = f":::{{smell}}\n:id: {sid}\n:inverts: {inverts}\n:summary: Smell number {i}.\n:::"
        header_p = f":::{{admonition}} Smell {sid}\n**Inverts**: {inverts}. **Summary**: Smell number {i}.\n:::"
        sections = [
            ("Symptoms", filler(i), filler(i)),
            ("Why it hurts", filler(i + 1), filler(i + 1)),
            ("Instead", f"Use {{pattern}}`{inverts}`.", f"Use [{inverts}](../patterns/{inverts}.md)."),
            ("Evidence", f"Evidence: {ev_o}.", f"Evidence: {ev_p}."),
        ]
        o, p = _page(f"Smell {i}", header_o, header_p, sections)
        corpus.ours[f"smells/{sid}.md"], corpus.plain[f"smells/{sid}.md"] = o, p
    for i in range(n_notes):
        up = UPSTREAMS[i % 2]
        items_o, items_p = [], []
        for _ in range(max(1, per_page // 2)):
            (a_o, a_p), (b_o, b_p) = citer.pair(up), citer.pair(up)
            items_o.append(f"- **Repeated.** {a_o}, {b_o}.")
            items_p.append(f"- **Repeated.** {a_p}, {b_p}.")
        mine = pattern_ids[i::n_notes]
        cands_o = "\n".join(f"- {{candidate}}`{pid}`" for pid in mine)
        cands_p = "\n".join(f"- `{pid}`" for pid in mine)
        header_o = f":::{{source-note}}\n:upstream: {up}\n:::"
        header_p = f":::{{admonition}} Source note\n**Upstream**: {up}\n:::"
        sections = [
            ("Why this repo", filler(i), filler(i)),
            ("Repeated patterns", "\n".join(items_o), "\n".join(items_p)),
            ("Caveats and counterexamples", filler(i + 1), filler(i + 1)),
            ("Pattern candidates", cands_o, cands_p),
        ]
        o, p = _page(f"Note {i} on {up}", header_o, header_p, sections)
        # a source note's id is its upstream: only one note per upstream may carry the header
        if i >= len(UPSTREAMS):
            o = o.replace(header_o, f"*A further note on {up}.*")
        corpus.ours[f"sources/n{i:03d}.md"], corpus.plain[f"sources/n{i:03d}.md"] = o, p
    for name, directive in (("checklist", "pattern-checklist"), ("matrix", "evidence-matrix"),
                            ("dashboard", "evidence-dashboard"), ("pins", "pin-table")):  # fmt: skip
        corpus.ours[f"{name}.md"] = f"# {name.title()}\n\n:::{{{directive}}}\n:::\n"
        corpus.plain[f"{name}.md"] = f"# {name.title()}\n\nGenerated by the extension in the other form.\n"
    toc = "```{toctree}\n:maxdepth: 1\n:glob:\n\nchecklist\nmatrix\ndashboard\npins\nsources/*\npatterns/*\nsmells/*\n```\n"
    corpus.ours["index.md"] = corpus.plain["index.md"] = f"# Bench\n\n{toc}"
    corpus.citations = citer.count
    return corpus


def write(root: Path, files: dict[str, str], conf: str, manifest: str = "") -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "conf.py").write_text(conf)
    if manifest:
        (root / "upstreams.toml").write_text(manifest)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


#: Measured processes run as a user's do, with Python's bytecode cache: an environment that sets
#: PYTHONDONTWRITEBYTECODE would make every run compile the (editable) package from source, about
#: 30 ms that no installed copy pays. The pre-built caches of site-packages serve plain Sphinx either way.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_bytecode() -> None:
    """Compile the package's modules once, before anything is timed."""
    modules = "sphinx_pypatterns._sphinx.setup, sphinx_pypatterns._tools.cli, sphinx_pypatterns._tools.background"
    subprocess.run([sys.executable, "-c", f"import {modules}"], check=True, env=ENV)


def run(args: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Run a command; return (seconds, peak RSS in MiB: the largest of it and its children)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{out[-2000:]}\n{err[-4000:]}")
    return elapsed, usage.ru_maxrss // 1024


def sphinx(src: Path, out: Path, jobs: int, *, clean: bool) -> tuple[float, int]:
    if clean and out.exists():
        shutil.rmtree(out)
    return run([sys.executable, "-m", "sphinx", "-q", "-W", "-j", str(jobs), "-b", "html", str(src), str(out)])


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--citations", type=int, default=5000)
    parser.add_argument("--check-citations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="P=24, C=240, check at 1,000, one run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", choices=["build", "check"], help="measure only the builds, or only the check")
    parser.add_argument("--generate-only", action="store_true", help="write the corpus (with --keep) and stop")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it (for profiling)")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.citations, args.check_citations, args.runs = 24, 240, 1000, 1
    rng = random.Random(20261126)
    with tempfile.TemporaryDirectory(prefix="pypatterns-bench-") as tmp:
        root = Path(tmp)
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            root = args.keep.resolve()
            root.mkdir(parents=True)
        files = max(50, args.check_citations // 20)
        commit, index = make_repo(root / "upstream", files, rng)
        manifest = "".join(
            f'[{name}]\nrepository = "{URL.format(name=name)}"\ntag = "v1"\ncommit = "{commit}"\nlicense = "MIT"\n\n'
            for name in UPSTREAMS
        )
        checkouts = [f"{name}={root / 'upstream'}" for name in UPSTREAMS]
        corpus = make_corpus(args.pages, args.citations, Citer(rng, index, commit), rng)
        ours, plain = root / "ours", root / "plain"
        write(ours, corpus.ours, OURS_CONF.format(checkouts=checkouts), manifest)
        write(plain, corpus.plain, PLAIN_CONF)
        results: dict[str, object] = {
            "pages": len(corpus.ours),
            "citations": corpus.citations,
            "machine": f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        }
        print(f"corpus: {len(corpus.ours)} pages, {corpus.citations} citations, {files} upstream files", flush=True)
        if args.generate_only:
            return
        warm_bytecode()
        timings: dict[str, dict[str, list[float]]] = {}
        variants = [] if args.only == "check" else [("plain", plain), ("ours", ours)]
        for label, _src in variants:
            timings[label] = {"j1": [], "j2": [], "incremental": [], "incremental_cite": [], "rss": []}
        # plain and ours alternate run by run, so a machine whose speed drifts during the
        # benchmark weighs on both sides alike
        for i in range(args.runs):
            for label, src in variants:
                secs, rss = sphinx(src, root / f"out-{label}", 1, clean=True)
                timings[label]["j1"].append(secs)
                timings[label]["rss"].append(rss)
                print(f"  {label} clean -j1 run {i + 1}: {secs:.2f} s, {rss} MiB", flush=True)
        for i in range(args.runs):
            for label, src in variants:
                secs, _ = sphinx(src, root / f"out-{label}", 2, clean=True)
                timings[label]["j2"].append(secs)
                print(f"  {label} clean -j2 run {i + 1}: {secs:.2f} s", flush=True)
        for kind in ("incremental", "incremental_cite"):
            for i in range(args.runs):
                for label, src in variants:
                    out = root / f"out-{label}"
                    target = src / "patterns" / "p0000.md"
                    original = target.read_text()
                    sphinx(src, out, 1, clean=False)  # settle
                    if kind == "incremental":
                        # prose: a sentence reworded; no global data changes
                        target.write_text(original.replace("## Why\n\n", f"## Why\n\nReworded {i}. ", 1))
                    else:
                        # evidence: one more citation; the matrix and the evidence index change too
                        cite_o, cite_p = Citer(random.Random(i), index, commit).pair("mirror")
                        added = cite_o if label == "ours" else cite_p
                        target.write_text(original.replace("Evidence: ", f"Evidence: {added}, ", 1))
                    secs, _ = sphinx(src, out, 1, clean=False)
                    timings[label][kind].append(secs)
                    target.write_text(original)
                    sphinx(src, out, 1, clean=False)
                    print(f"  {label} {kind} run {i + 1}: {secs:.2f} s", flush=True)
        # pypatterns check at --check-citations
        check_src = root / "check"
        ccorpus = make_corpus(args.pages, args.check_citations, Citer(random.Random(5), index, commit), rng)
        write(check_src, ccorpus.ours, OURS_CONF.format(checkouts=checkouts), manifest)
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(args.runs if args.only != "build" else 0):
            shutil.rmtree(check_src / ".pypatterns", ignore_errors=True)
            cold.append(run([sys.executable, "-m", "sphinx_pypatterns", "check", str(check_src)])[0])
            warm.append(run([sys.executable, "-m", "sphinx_pypatterns", "check", str(check_src)])[0])
        summary: dict[str, dict[str, float]] = {}
        for key in ("j1", "j2", "incremental", "incremental_cite", "rss") if timings else ():
            p, o = median(timings["plain"][key]), median(timings["ours"][key])
            summary[key] = {"plain": p, "ours": o, "ratio": o / p}
        if cold:
            summary["check_cold"] = {"citations": ccorpus.citations, "seconds": median(cold)}
            summary["check_warm"] = {"citations": ccorpus.citations, "seconds": median(warm)}
        results["summary"] = summary
        results["runs"] = timings
        print()
        print(f"| measure | plain | ours | ours / plain |  ({results['machine']}, {args.runs} runs, medians)")
        print("|---|---|---|---|")
        names = {"j1": "clean build -j 1", "j2": "clean build -j 2", "incremental": "incremental, one page's prose edited",
                 "incremental_cite": "incremental, one citation added to one page",
                 "rss": "peak memory -j 1 (MiB)"}  # fmt: skip
        for key, name in names.items():
            if key not in summary:
                continue
            row = summary[key]
            unit = "" if key == "rss" else " s"
            print(f"| {name} | {row['plain']:.2f}{unit} | {row['ours']:.2f}{unit} | {row['ratio']:.3f} |")
        if cold:
            print(f"| `pypatterns check` cold, {ccorpus.citations} citations | | {median(cold):.3f} s | |")
            print(f"| `pypatterns check` warm, {ccorpus.citations} citations | | {median(warm):.3f} s | |")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
