"""Benchmark: verify N citations over F files of a generated git repository.

Measures the verification core as `pypatterns check` and the Sphinx build
use it: cold (a fresh Verifier: one `git cat-file --batch`, every blob read
and parsed once) and warm (the same Verifier again: verdicts cached, as an
incremental build keeps them in the environment).

    python benchmarks/verify_speed.py [--files 500] [--citations 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sphinx_pypatterns import CitationTarget, Verifier, parse_manifest


def module(rng: random.Random, index: int) -> tuple[str, list[tuple[str, int, int]]]:
    lines = [f'"""Module {index}."""', "", f"__all__ = ['C{index}_0']", ""]
    symbols = [("__all__", 3, 3)]
    for c in range(rng.randint(3, 6)):
        start = len(lines) + 1
        lines += [f"class C{index}_{c}:", f'    """Class {c}."""', "", f"    LIMIT = {c}", ""]
        symbols.append((f"C{index}_{c}.LIMIT", start + 3, start + 3))
        for m in range(rng.randint(2, 5)):
            mstart = len(lines) + 1
            body = [f"        value = {m} + self.LIMIT" for _ in range(rng.randint(2, 8))]
            lines += [f"    def m{m}(self) -> int:", *body, "        return value", ""]
            symbols.append((f"C{index}_{c}.m{m}", mstart, len(lines) - 1))
        symbols.append((f"C{index}_{c}", start, len(lines) - 1))
    return "\n".join(lines) + "\n", symbols


def make_repo(root: Path, files: int, rng: random.Random) -> tuple[str, dict[str, list[tuple[str, int, int]]]]:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@example.invalid",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@example.invalid",
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    index = {}
    for i in range(files):
        text, symbols = module(rng, i)
        path = f"pkg/sub{i % 20}/mod{i}.py"
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        index[path] = symbols
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench"], check=True, env=env)
    sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return sha.stdout.strip(), index


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--citations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "up"
        commit, index = make_repo(repo, args.files, rng)
        manifest = parse_manifest(
            f'[up]\nrepository = "https://example.invalid/up"\ntag = "v1"\ncommit = "{commit}"\nlicense = "MIT"\n'
        )
        paths = sorted(index)
        cites = []
        for _ in range(args.citations):
            path = rng.choice(paths)
            name, start, end = rng.choice(index[path])
            a = rng.randint(start, end)
            cites.append((CitationTarget("up", path, a, rng.randint(a, end)), name))
        cold, warm = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            with Verifier(manifest, ("", {"up": str(repo)})) as verifier:
                results = [verifier.verify(t, s, require_anchor=True) for t, s in cites]
                t1 = time.perf_counter()
                again = [verifier.verify(t, s, require_anchor=True) for t, s in cites]
                t2 = time.perf_counter()
            assert all(r.ok for r in results) and again == results
            cold.append(t1 - t0)
            warm.append(t2 - t1)
        print(f"{args.citations} citations over {args.files} files, {args.runs} runs")
        print(f"cold: median {statistics.median(cold):.3f} s (min {min(cold):.3f})")
        print(f"warm: median {statistics.median(warm):.4f} s (min {min(warm):.4f})")


if __name__ == "__main__":
    main()
