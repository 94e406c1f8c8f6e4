"""``pypatterns outdated``: is a newer release of an sdist-pinned upstream on the package index?

It asks pip (``python -m pip index versions NAME``, with pip's own index and settings), so it
looks where ``pypatterns sync`` downloads from. Without the index (offline, or pip refuses) it
says that it could not look, and why, for that upstream; it never fails the command for it.
Pre-releases count only when the pin is one.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

from packaging.version import InvalidVersion, Version

from .project import project_of

__all__ = ["add_outdated_parser", "newer_versions"]

_AVAILABLE_RE = re.compile(r"^Available versions:\s*(.*)$", re.M)


def newer_versions(pinned: str, available: list[str]) -> list[str]:
    """The versions in ``available`` newer than ``pinned``, newest first; pre-releases only after a pre-release pin."""
    try:
        pin = Version(pinned)
    except InvalidVersion:
        return []
    newer = []
    for text in available:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version > pin and (not version.is_prerelease or pin.is_prerelease):
            newer.append(version)
    return [str(v) for v in sorted(newer, reverse=True)]


def _available(name: str) -> list[str] | str:
    """The versions pip finds for ``name``, or why it could not look."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", name],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pip did not answer ({exc})"
    found = _AVAILABLE_RE.search(done.stdout)
    if done.returncode != 0 or found is None:
        lines = [
            line for line in (done.stderr + done.stdout).splitlines() if line.strip() and "experimental" not in line
        ]
        return lines[-1].strip() if lines else f"pip exited with status {done.returncode}"
    return [v.strip() for v in found.group(1).split(",") if v.strip()]


def cmd_outdated(args: argparse.Namespace) -> int:
    project = project_of(args)
    manifest = project.manifest(with_lock=False)
    rows = []
    for name, upstream in sorted(manifest.upstreams.items()):
        if not upstream.sdists:
            rows.append((name, upstream.tag, "", "not pinned by an sdist: nothing to ask the index"))
            continue
        sdist = upstream.sdists[0]
        available = _available(sdist.name)
        if isinstance(available, str):
            rows.append((name, sdist.version, "", f"could not look: {available}"))
            continue
        newer = newer_versions(sdist.version, available)
        if newer:
            more = f" (and {len(newer) - 1} between)" if len(newer) > 1 else ""
            rows.append(
                (
                    name,
                    sdist.version,
                    newer[0],
                    f"newer release: {newer[0]}{more}; `pypatterns bump {name} --to {newer[0]}`",
                )
            )
        else:
            rows.append((name, sdist.version, sdist.version, "up to date"))
    width = max((len(r[0]) for r in rows), default=8)
    for name, pinned, latest, status in rows:
        print(f"{name:{width}}  {pinned:12}  {latest or '-':12}  {status}")
    return 0


def add_outdated_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("outdated", help="say which sdist-pinned upstreams have a newer release on the index")
    cmd.add_argument("srcdir", nargs="?", default=".", help="the Sphinx source folder (default: .)")
    cmd.add_argument("-c", "--confdir", help="folder of conf.py (default: docs/ if it has conf.py, else srcdir)")
    cmd.set_defaults(func=cmd_outdated, tag=None)
