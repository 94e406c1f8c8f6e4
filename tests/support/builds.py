"""Comparing builds: the HTML output of a build, and a conf.py that records which processes read pages."""

from __future__ import annotations

from pathlib import Path

#: conf.py lines that append the pid of each process that reads a page to ``srcdir/pids.txt``
#: (a parallel build forks: the pages are read by more than one process).
PID_CONF = """
import os

def _record_pid(app, doctree):
    with open(os.path.join(app.srcdir, "pids.txt"), "a") as f:
        f.write(f"{os.getpid()}\\n")

def setup(app):
    app.connect("doctree-read", _record_pid)
"""


def html_tree(outdir: Path) -> dict[str, bytes]:
    skip = {"searchindex.js", ".buildinfo"}
    return {str(p.relative_to(outdir)): p.read_bytes() for p in sorted(outdir.rglob("*.html")) if p.name not in skip}
