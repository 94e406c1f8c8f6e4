"""Source distributions as the sync reads them: a manifest entry that pins one, a tar member to put in one."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from support.upstreams import manifest_text

#: The commit every sdist entry of :func:`sdist_manifest` is pinned at.
COMMIT = "a" * 40


def sdist_manifest(name: str, version: str, sha: str, mount: str = "") -> str:
    return manifest_text(
        name, COMMIT, f'sdist = [{{ requirement = "{name}=={version}", sha256 = "{sha}", mount = "{mount}" }}]\n'
    )


def member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info


#: What a ``.git_archival.txt`` holds in an sdist built from a clone: placeholders, no commit.
UNEXPANDED_ARCHIVAL = "node: $Format:%H$\nnode-date: $Format:%cI$\ndescribe-name: $Format:%(describe:tags=true)$\n"


def archival(commit: str) -> str:
    """A ``.git_archival.txt`` as ``git archive`` expands it at ``commit``."""
    return f"node: {commit}\nnode-date: 2026-01-01T00:00:00+00:00\ndescribe-name: v1.0\n"


def sdist_pin(name: str, version: str, sha: str, commit: str, git_source: str = "") -> str:
    """The manifest table of ``name`` pinned at ``commit`` by its sdist, with an optional ``git`` source."""
    git_line = f"git = {json.dumps(git_source)}\n" if git_source else ""
    return manifest_text(
        name, commit, f'sdist = [{{ requirement = "{name}=={version}", sha256 = "{sha}" }}]\n' + git_line
    )


def sdist_files(archive: Path) -> dict[str, str]:
    """The text of every file of an sdist, by its path under the sdist's top folder."""
    with tarfile.open(archive) as tar:
        return {
            member.name.split("/", 1)[1]: tar.extractfile(member).read().decode()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }
