"""The benchmark scripts run (a smoke test at the quick scale; speed targets live in benchmarks/README.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_build_benchmark_quick_scale_runs(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "build_speed.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    summary = json.loads(out.read_text())["summary"]
    assert set(summary) == {"j1", "j2", "incremental", "incremental_cite", "rss", "check_cold", "check_warm"}
    assert all(row["plain"] > 0 and row["ours"] > 0 for key, row in summary.items() if "plain" in row)
    assert "| clean build -j 1 |" in proc.stdout and "`pypatterns check` warm" in proc.stdout
