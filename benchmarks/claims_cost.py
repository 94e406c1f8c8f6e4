"""Benchmark: what the claim rules, quote anchors and counts cost on a clean build.

On the heavy corpus of ``build_speed.py`` (generated here, seeded), three forms of the same
``ours`` project are built clean with ``-j 1``, interleaved run by run:

- ``rules off``: the claim rules switched off (empty word and section lists, duplicate threshold 0);
- ``rules on``: the defaults, so the vague-claim rule reads every sentence of every page;
- ``rules on, quotes and counts``: as above, with ``--quotes`` citations given a quote anchor (the
  symbol's own name, quoted, which the cited lines hold) and ``--counts`` ``{count}`` roles added,
  spread over the pages, each counting a literal in one upstream's ``**/*.py`` (its number is
  computed here, so the build verifies it).

Reports the median wall time and peak memory of each, and the ratios to ``rules off``.

    python benchmarks/claims_cost.py            # P=250, 5,000 citations, 300 quotes, 50 counts, 3 runs
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_speed
import corpora

OFF = {
    "pypatterns_vague_words": "[]",
    "pypatterns_scope_terms": "[]",
    "pypatterns_cited_sections": "[]",
    "pypatterns_duplicate_threshold": "0",
}
_CITE_RE = re.compile(r"\{cite\}`([A-Za-z_][\w.]*) <")


def _variant(base: Path, dest: Path, *, conf: dict[str, str], quotes: int = 0, counts: int = 0) -> None:
    shutil.copytree(base, dest, symlinks=True)
    conf_py = dest / "conf.py"
    conf_py.write_text(conf_py.read_text() + "".join(f"{k} = {v}\n" for k, v in conf.items()))
    pages = sorted(p for p in dest.rglob("*.md") if "_build" not in p.parts)
    left = quotes
    for page in pages:
        if left <= 0:
            break
        text = page.read_text()

        def quoted(match: re.Match[str]) -> str:
            nonlocal left
            if left <= 0:
                return match.group(0)
            left -= 1
            name = match.group(1).rpartition(".")[2]
            return f'{{cite}}`{match.group(1)} "{name}" <'

        page.write_text(_CITE_RE.sub(quoted, text))
    if counts:
        roots = sorted(p for p in base.parent.glob("up[123]") if p.is_dir())
        words = ["def ", "return ", "class ", "value", "limit"]
        specs = []
        for i in range(counts):
            root, word = roots[i % len(roots)], words[i % len(words)]
            number = sum(f.read_text().count(word) for f in sorted(root.rglob("*.py")))
            specs.append(f"{{count}}`{number} <{root.name}:**/*.py:{word}>`")
        for i, spec in enumerate(specs):
            page = pages[(i * 7) % len(pages)]
            page.write_text(page.read_text() + f"\n\nThe upstream holds {spec} matches.\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--citations", type=int, default=5000)
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--counts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pypatterns-claims-bench-") as tmp:
        root = Path(tmp)
        generated = corpora.generate_heavy(root / "heavy", args.pages, args.citations, 100)
        base = generated.sources["ours"]
        forms = {
            "rules off": root / "off",
            "rules on": root / "on",
            "rules on, quotes and counts": root / "claims",
        }
        _variant(base, forms["rules off"], conf=OFF)
        _variant(base, forms["rules on"], conf={})
        _variant(base, forms["rules on, quotes and counts"], conf={}, quotes=args.quotes, counts=args.counts)
        build_speed.KEEP_CACHES = True  # the symbol cache warm: the rules' cost alone
        for src in forms.values():  # untimed: caches filled, files in the OS cache
            build_speed.sphinx(src, root / "warm", 1, clean=True, env=build_speed.ENV)
        times: dict[str, list[float]] = {k: [] for k in forms}
        peaks: dict[str, list[float]] = {k: [] for k in forms}
        for run in range(1, args.runs + 1):
            for name, src in forms.items():
                out = root / f"out-{run}-{name.replace(' ', '_').replace(',', '')}"
                seconds, peak = build_speed.sphinx(src, out, 1, clean=True, env=build_speed.ENV)
                times[name].append(seconds)
                peaks[name].append(peak)
                print(f"  {name} run {run}: {seconds:.2f} s, {peak:.0f} MiB", flush=True)
        off = statistics.median(times["rules off"])
        print(
            f"heavy corpus: {generated.pages} pages, {generated.citations} citations; clean -j 1, medians of {args.runs}"
        )
        for name in forms:
            t, m = statistics.median(times[name]), statistics.median(peaks[name])
            print(f"| {name} | {t:.2f} s | {t / off:.3f} | {m:.0f} MiB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
