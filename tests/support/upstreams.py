"""Test upstreams: small git repositories and sdists made by the tests."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import textwrap
from pathlib import Path

from conftest import make_repo, write_project

ERRORS_V1 = textwrap.dedent('''\
    """Errors."""

    __all__ = ["HTTPError", "RequestError"]


    class HTTPError(Exception):
        """Base class."""

        def __init__(self, message: str) -> None:
            super().__init__(message)
            self.message = message


    class RequestError(HTTPError):
        """A request failed."""
    ''')

# v2 shifts everything down by three lines: reading at the pin must see v1.
ERRORS_V2 = "# a\n# b\n# c\n" + ERRORS_V1


def make_upstream(root: Path) -> tuple[Path, str]:
    """A git repo whose pinned commit (returned) is not the working tree's."""
    repo = root / "upstream"
    (repo / "pkg").mkdir(parents=True)
    os.symlink("../../../etc/passwd", repo / "pkg" / "escape.py")
    os.symlink("loop-b.py", repo / "pkg" / "loop-a.py")
    os.symlink("loop-a.py", repo / "pkg" / "loop-b.py")
    shas = make_repo(
        repo,
        [
            {
                "pkg/errors.py": ERRORS_V1,
                "pkg/data.bin": b"\x00\x01\x02binary\n",
                "pkg/latin1.py": "name = 'caf\xe9'\n".encode("latin-1"),
                "README.md": "# Upstream\n\nUse HTTPError for everything.\n",
                "pkg/broken.py": "def f(:\n    pass\n",
            },
            {"pkg/errors.py": ERRORS_V2},
        ],
    )
    return repo, shas[0]


def manifest_text(name: str, commit: str, extra: str = "") -> str:
    return (
        textwrap.dedent(f'''\
        [{name}]
        repository = "https://example.invalid/{name}"
        tag = "v1"
        commit = "{commit}"
        license = "MIT"
        ''')
        + extra
    )


BACKEND = textwrap.dedent("""\
    import os

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        name = "{dist}-{version}.dist-info"
        os.makedirs(os.path.join(metadata_directory, name))
        with open(os.path.join(metadata_directory, name, "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
        return name

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        raise RuntimeError("not needed")

    def build_sdist(sdist_directory, config_settings=None):
        raise RuntimeError("not needed")
    """)


def cited_project(root: Path, page: str) -> tuple[Path, Path, str]:
    """A project of one page ``p.md`` citing :func:`make_upstream`'s repository as ``up``:
    (source folder, repository, pinned commit)."""
    repo, pin = make_upstream(root)
    conf = f'pypatterns_manifest = "upstreams.toml"\npypatterns_checkouts = ["up={repo}"]\n'
    src = root / "src"
    write_project(src, {"p.md": page, "upstreams.toml": manifest_text("up", pin)}, conf)
    return src, repo, pin


def make_sdist(
    folder: Path, name: str, version: str, files: dict[str, str], *, members: list[tarfile.TarInfo] | None = None
) -> tuple[Path, str]:
    """Write ``name-version.tar.gz`` that pip can prepare offline; return (path, sha256)."""
    folder.mkdir(parents=True, exist_ok=True)
    top = f"{name}-{version}"
    content = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": BACKEND.format(dist=name.replace("-", "_"), name=name, version=version),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        **files,
    }
    path = folder / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in sorted(content.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
        for member in members or []:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()
