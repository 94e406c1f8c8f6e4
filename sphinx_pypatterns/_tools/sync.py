"""``pypatterns sync``: materialise each pinned upstream into the checkouts folder.

Each upstream lands in ``<root>/<name>-<commit>``. It is built under a
temporary name and renamed into place only once complete, with a marker
file recording what was materialised and from where, so an interrupted
sync never leaves a folder that counts as a checkout. Beside the marker, an
attestation file says what proves that the tree is the pinned commit's
(:mod:`.attest`): a record of the commit in the sdist, the git tree at the
commit (``verify``), the git clone itself, or nothing ("unattested").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._core.checkouts import ATTESTATION, MARKER, attestation_words, read_attestation, read_marker
from .._core.defaults import COMMIT_RE, DEFAULT_MAX_EXTRACT_BYTES
from .._core.errors import SyncError
from .._core.git import GIT_URL_HELP, check_git_url
from .._core.hints import did_you_mean
from .._core.manifest import Manifest, SdistSource, StdlibSource, Upstream
from .attest import (
    TREE,
    Attestation,
    CommitRecord,
    commit_records,
    git,
    matching_records,
    sdist_attestation,
    verify_tree,
)

__all__ = ["SyncOutcome", "download_sdist", "find_python", "safe_extract", "sync_upstreams"]


Progress = Callable[[str], None]

#: Sync errors that no other source can mend: the pin and the sdist disagree.
_FATAL = frozenset({"commit_mismatch", "tree_mismatch"})


@dataclass(frozen=True)
class SyncOutcome:
    upstream: str
    folder: str
    action: str  # "present" or "materialised"
    source: str


def safe_extract(
    archive: Path, dest: Path, *, strip_top: bool = True, max_bytes: int = DEFAULT_MAX_EXTRACT_BYTES
) -> int:
    """Extract a tar archive into ``dest`` with tarfile's ``data`` filter.

    Refuses absolute paths, ``..`` members, device and other special
    members, links leaving ``dest``, empty archives, and archives whose
    members add up to more than ``max_bytes``. Returns the file count.
    Raises :class:`SyncError` (subtype ``unsafe_archive``).
    """

    def refuse(why: str) -> SyncError:
        return SyncError(f"refusing {archive.name}: {why}", subtype="unsafe_archive")

    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise refuse(f"not a readable tar archive ({exc})") from None
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise refuse(f"corrupt archive ({exc})") from None
        if not members:
            raise refuse("the archive is empty")
        total = 0
        tops = set()
        for member in members:
            name = member.name
            if name.startswith("/") or PurePosixPath(name).is_absolute():
                raise refuse(f"member {name!r} has an absolute path")
            if ".." in PurePosixPath(name).parts:
                raise refuse(f"member {name!r} contains '..'")
            if member.isdev() or not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise refuse(f"member {name!r} is a device or special file")
            total += max(member.size, 0)
            if total > max_bytes:
                raise refuse(f"the archive unpacks to more than {max_bytes} bytes (decompression bomb?)")
            tops.add(PurePosixPath(name).parts[0] if PurePosixPath(name).parts else "")
        prefix = ""
        if strip_top:
            if len(tops) != 1:
                raise refuse("an sdist must hold exactly one top-level folder")
            prefix = tops.pop() + "/"

        def _filter(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
            if strip_top:
                if member.name.rstrip("/") + "/" == prefix:
                    return None
                member = member.replace(name=member.name[len(prefix) :], deep=False)
                if member.islnk() and member.linkname.startswith(prefix):
                    member = member.replace(linkname=member.linkname[len(prefix) :], deep=False)
            return tarfile.data_filter(member, path)

        dest.mkdir(parents=True, exist_ok=True)
        try:
            tar.extractall(dest, filter=_filter)
        except (tarfile.FilterError, tarfile.TarError, OSError) as exc:
            raise refuse(str(exc)) from None
        return sum(1 for m in members if m.isfile())


def download_sdist(name: str, version: str, workdir: Path) -> Path:
    """The sdist of ``name==version`` through ``python -m pip download`` (pip's index and settings)."""
    requirement = f"{name}=={version}"
    dl = workdir / "download"
    dl.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            name,
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
            str(dl),
            "--",
            requirement,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    files = [p for p in dl.iterdir() if p.is_file()]
    if proc.returncode != 0 or not files:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SyncError(f"pip download {requirement} failed: {' / '.join(tail) or 'no file'}", subtype="sync_failed")
    return files[0]


def _download_sdist(sdist: SdistSource, workdir: Path) -> Path:
    archive = download_sdist(sdist.name, sdist.version, workdir)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != sdist.sha256:
        raise SyncError(
            f"sha256 mismatch for {archive.name}: expected {sdist.sha256}, got {digest}; refusing it",
            subtype="sha_mismatch",
        )
    return archive


def find_python(version: str) -> tuple[str, str]:
    """Find an interpreter of exactly ``version`` on PATH or through pyenv.

    Returns ``(executable, stdlib_folder)``; raises ``SyncError`` listing
    what was tried.
    """
    major_minor = ".".join(version.split(".")[:2])
    candidates: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for exe in (f"python{major_minor}", "python3", "python"):
            path = os.path.join(folder, exe)
            if os.access(path, os.X_OK) and path not in candidates:
                candidates.append(path)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for exe in (f"python{major_minor}", "python3", "python"):
        path = os.path.join(pyenv_root, "versions", version, "bin", exe)
        if os.access(path, os.X_OK) and path not in candidates:
            candidates.append(path)
    code = "import sys, sysconfig, json; print(json.dumps(['%d.%d.%d' % sys.version_info[:3], sysconfig.get_paths()['stdlib']]))"
    seen = []
    for exe in candidates:
        try:
            out = subprocess.run([exe, "-I", "-c", code], capture_output=True, text=True, timeout=30, check=False)
            found, stdlib = json.loads(out.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired, TypeError):
            continue
        seen.append(f"{exe} is {found}")
        if found == version and os.path.isdir(stdlib):
            return exe, stdlib
    tried = "; ".join(seen) or "no interpreter found"
    raise SyncError(f"no Python {version} on PATH or in pyenv ({tried})", subtype="sync_failed")


def _materialise_stdlib(stdlib: StdlibSource, tmp: Path) -> str:
    exe, folder = find_python(stdlib.python)
    shutil.copytree(
        folder,
        tmp / stdlib.mount if stdlib.mount else tmp,
        symlinks=True,
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"),
        dirs_exist_ok=True,
    )
    return f"stdlib of Python {stdlib.python} ({exe})"


def _refuse_git_source(source: str) -> None:
    """Refuse a source git must not be given, whoever built the manifest (before any subprocess)."""
    problem = check_git_url(source)
    if problem is not None:
        raise SyncError(f"refusing git source {source!r}: it {problem} ({GIT_URL_HELP})", subtype="sync_failed")


def _materialise_git(upstream: Upstream, source: str, tmp: Path) -> str:
    _refuse_git_source(source)
    if not COMMIT_RE.match(upstream.commit):
        raise SyncError(f"refusing commit {upstream.commit!r}", subtype="bad_commit")
    # --no-local: objects come through upload-pack, never as the source's files (git's advice for a
    # repository one does not trust); --template=: the new repository holds no hook and no setting
    # but what git writes itself, so the fetch below reads no repository-level config from elsewhere
    proc = git(["clone", "--bare", "--quiet", "--no-local", "--template=", "--", source, str(tmp)], network=True)
    if proc.returncode != 0:
        raise SyncError(f"git clone failed: {proc.stderr.strip()[:300]}", subtype="sync_failed")
    check = git(["cat-file", "-e", f"{upstream.commit}^{{commit}}"], git_dir=tmp)
    if check.returncode != 0:
        git(["fetch", "--quiet", "--no-recurse-submodules", "origin", upstream.commit], git_dir=tmp, network=True)
        check = git(["cat-file", "-e", f"{upstream.commit}^{{commit}}"], git_dir=tmp)
    if check.returncode != 0:
        raise SyncError(f"commit {upstream.commit} is absent from {source}", subtype="commit_missing")
    return f"git {source}"


def _sources(upstream: Upstream, mirror: str | None) -> list[tuple[str, str]]:
    if mirror:
        return [("git", mirror)]
    found: list[tuple[str, str]] = []
    if upstream.sdists:
        found.append(("sdist", ", ".join(s.requirement for s in upstream.sdists)))
    if upstream.stdlib:
        found.append(("stdlib", f"Python {upstream.stdlib.python}"))
    if upstream.git:
        found.append(("git", upstream.git))
    return found


def _materialise(
    upstream: Upstream, kind: str, where: str, tmp: Path, max_bytes: int, verify: bool, progress: Progress
) -> tuple[str, Attestation]:
    if kind == "git":
        progress(f"{upstream.name}: cloning {where}")
        return _materialise_git(upstream, where, tmp), Attestation(("the git clone that holds it",))
    tmp.mkdir(parents=True)
    if kind == "stdlib":
        assert upstream.stdlib is not None
        progress(f"{upstream.name}: copying the stdlib of Python {upstream.stdlib.python}")
        return _materialise_stdlib(upstream.stdlib, tmp), Attestation(why="an installed stdlib records no commit")
    records: dict[SdistSource, list[CommitRecord]] = {}
    with tempfile.TemporaryDirectory(prefix="pypatterns-dl-") as work:
        for sdist in upstream.sdists:
            progress(f"{upstream.name}: downloading sdist {sdist.requirement}")
            archive = _download_sdist(sdist, Path(work) / sdist.name)
            # the sha256 proves the archive is the pinned one; what it was made from is another matter
            progress(f"{upstream.name}: extracting {archive.name} (sha256 ok)")
            safe_extract(archive, tmp / sdist.mount if sdist.mount else tmp, max_bytes=max_bytes)
            records[sdist] = matching_records(upstream, commit_records(tmp, sdist.mount))
    attestation = sdist_attestation(upstream, records)
    if verify and not upstream.git:
        progress(f"{upstream.name}: no git source in the manifest to verify the sdist against")
    elif verify:
        progress(f"{upstream.name}: comparing the sdist with the git tree at {upstream.commit[:12]} ({upstream.git})")
        unreachable = verify_tree(tmp, upstream, upstream.git)
        if unreachable:
            progress(f"{upstream.name}: the git source could not be reached: {unreachable}")
            if not attestation.by:
                attestation = Attestation(why=f"{attestation.why}, and its git source could not be reached")
        else:
            attestation = Attestation((*attestation.by, TREE))
    return "sdist " + ", ".join(s.requirement for s in upstream.sdists), attestation


def _present(upstream: Upstream, folder: Path, verify: bool) -> tuple[str, str]:
    """``(source, attestation sentence)`` of a checkout in place; ``("", "")`` when it must be made
    again: no marker of the commit, no attestation (synced before they were recorded), or
    ``verify`` asked of an sdist tree whose git source has not been compared with it."""
    marker = read_marker(folder)
    words = attestation_words(folder, upstream.commit)
    if marker is None or marker.get("commit") != upstream.commit or not words:
        return "", ""
    if verify and marker.get("kind") == "tree" and upstream.sdists and upstream.git:
        if not read_attestation(folder).get("tree_verified"):
            return "", ""
    return str(marker.get("source", "")), words


def _origin(upstream: Upstream, kind: str) -> str:
    """How a checkout was materialised, in words without any path of the machine."""
    if kind == "sdist":
        return "sdist " + ", ".join(s.requirement for s in upstream.sdists) + " (sha256 checked)"
    if kind == "stdlib" and upstream.stdlib is not None:
        mount = f", mounted at {upstream.stdlib.mount}/" if upstream.stdlib.mount else ""
        return f"stdlib of Python {upstream.stdlib.python}{mount}"
    return "git clone, read at the commit"


def sync_upstreams(
    manifest: Manifest,
    root: str | Path,
    *,
    only: Iterable[str] = (),
    mirrors: dict[str, str] | None = None,
    max_extract_bytes: int = DEFAULT_MAX_EXTRACT_BYTES,
    verify: bool = False,
    progress: Progress = lambda message: None,
) -> list[SyncOutcome]:
    """Materialise upstreams into ``root``; raises ``SyncError`` naming the upstream, source and cause.

    ``verify``: compare each sdist tree with the git tree at the commit, from the manifest's ``git``.
    """
    mirrors = mirrors or {}
    wanted = list(only) or sorted(manifest.upstreams)
    for name in list(wanted) + sorted(mirrors):
        if name not in manifest.upstreams:
            raise SyncError(
                f"unknown upstream {name!r}{did_you_mean(name, manifest.upstreams)}"
                f" (known: {', '.join(sorted(manifest.upstreams))})",
                subtype="unknown_upstream",
            )
    for name in wanted:  # every git source is checked before anything starts
        for source in (mirrors.get(name, ""), manifest.upstreams[name].git):
            if source:
                try:
                    _refuse_git_source(source)
                except SyncError as exc:
                    raise SyncError(f"{name}: {exc.message}", subtype=exc.subtype) from None
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for index, name in enumerate(wanted, 1):
        upstream = manifest.upstreams[name]
        folder = root / upstream.folder_name
        source, words = _present(upstream, folder, verify)
        if words:
            progress(f"[{index}/{len(wanted)}] {name}: present at {upstream.commit[:12]}, nothing to do; {words}")
            outcomes.append(SyncOutcome(name, str(folder), "present", source))
            continue
        sources = _sources(upstream, mirrors.get(name))
        if not sources:
            raise SyncError(
                f"{name}: the manifest names no source (sdist, stdlib or git) to materialise it from",
                subtype="sync_failed",
            )
        failures = []
        for kind, where in sources:
            tmp = root / f".tmp-{upstream.folder_name}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                progress(f"[{index}/{len(wanted)}] {name}: materialising from {kind} ({where})")
                described, attestation = _materialise(
                    upstream, kind, where, tmp, max_extract_bytes, verify, lambda m: progress(f"  {m}")
                )
                progress(f"  {name}: {attestation.words}")
                record = {
                    "upstream": name,
                    "tag": upstream.tag,
                    "commit": upstream.commit,
                    "kind": "git" if kind == "git" else "tree",
                    "source": described,
                    "origin": _origin(upstream, kind),
                }
                (tmp / MARKER).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", "utf-8")
                attested = attestation.record(upstream.commit)
                (tmp / ATTESTATION).write_text(json.dumps(attested, indent=2, sort_keys=True) + "\n", "utf-8")
                if folder.exists():
                    shutil.rmtree(folder)
                os.replace(tmp, folder)
            except SyncError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                if exc.subtype in _FATAL:
                    raise SyncError(f"{name}: {kind} ({where}): {exc.message}", subtype=exc.subtype) from None
                failures.append((kind, where, exc))
                continue
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                failures.append((kind, where, SyncError(str(exc), subtype="sync_failed")))
                continue
            outcomes.append(SyncOutcome(name, str(folder), "materialised", described))
            break
        else:
            why = "; ".join(f"{kind} ({where}): {exc.message}" for kind, where, exc in failures)
            raise SyncError(f"{name}: could not materialise: {why}", subtype=failures[-1][2].subtype)
    return outcomes
