"""Source distributions as the sync reads them: a manifest entry that pins one, a tar member to put in one."""

from __future__ import annotations

import tarfile

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
