"""What an sdist proves about the commit it was made from.

Two proofs exist, and sync records which held, as an :class:`Attestation`, in the file
:data:`.._core.checkouts.ATTESTATION` beside the checkout:

* **a record in the sdist** (:func:`commit_records`): the ``node:`` line of ``.git_archival.txt``
  at the sdist's top (setuptools-scm and hatch-vcs archives; ``git archive`` expands it, an sdist
  built from a clone keeps ``$Format:%H$``, which records nothing), and the ``__commit_id__`` /
  ``commit_id`` string of the version file that the sdist's own ``pyproject.toml`` names
  (``[tool.setuptools_scm]`` ``version_file`` or ``write_to``, ``[tool.hatch.build.hooks.vcs]``
  ``version-file``), possibly abbreviated (setuptools-scm writes ``g`` and 7 or more hex digits).
  ``PKG-INFO`` carries no commit;
* **the git tree at the commit** (:func:`tree_differences`, ``pypatterns sync --verify``): every
  file of the sdist, except the files an sdist build writes itself (:func:`generated`), equals the
  file at the same path of the commit's tree, fetched from the manifest's ``git`` source.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._core.checkouts import ATTESTATION, MARKER
from .._core.errors import CheckoutError, SyncError
from .._core.files import read_regular
from .._core.git import git_command
from .._core.manifest import SdistSource, Upstream

__all__ = [
    "ARCHIVAL",
    "TREE",
    "Attestation",
    "CommitRecord",
    "commit_records",
    "fetch_commit",
    "generated",
    "git",
    "matching_records",
    "sdist_attestation",
    "tree_differences",
    "verify_tree",
    "version_file",
]

#: The file setuptools-scm and hatch-vcs projects keep for ``git archive`` to expand.
ARCHIVAL = ".git_archival.txt"
#: A commit as a record may write it: full or abbreviated hex, with setuptools-scm's ``g`` prefix.
_RECORDED_RE = re.compile(r"g?([0-9a-fA-F]{7,40})")
#: Record files larger than this are not records.
_MAX_RECORD_BYTES = 1 << 20
#: Files every sdist build writes at the sdist's top, whatever the tree holds.
_GENERATED_AT_TOP = frozenset({"PKG-INFO", "setup.cfg", ARCHIVAL})


def git(args: list[str], *, git_dir: Path | None = None, network: bool = False) -> subprocess.CompletedProcess[str]:
    """Run one git command the one way the extension runs git (:func:`.._core.git.git_command`)."""
    argv, env = git_command(args, git_dir=git_dir, network=network)
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class CommitRecord:
    """A commit an sdist records: in ``file`` (a path of the checkout), the hex digits ``commit``."""

    file: str
    commit: str

    @property
    def abbreviated(self) -> bool:
        return len(self.commit) < 40

    def matches(self, pin: str) -> bool:
        return pin.startswith(self.commit)


#: What :class:`Attestation` calls the proof that ``verify`` gives.
TREE = "the git tree at the commit (sync --verify)"


@dataclass(frozen=True)
class Attestation:
    """What proves that a materialised tree is the pinned commit's: ``by`` (none: unattested, ``why``)."""

    by: tuple[str, ...] = ()
    why: str = ""

    @property
    def words(self) -> str:
        """The sentence sync prints and the pin table shows (no path of the machine in it)."""
        if self.by:
            return "commit attested by " + " and ".join(self.by)
        return f"commit unattested ({self.why})"

    def record(self, commit: str) -> dict[str, object]:
        """The attestation file's content (:data:`.._core.checkouts.ATTESTATION`)."""
        return {
            "commit": commit,
            "attested": bool(self.by),
            "by": list(self.by),
            "tree_verified": TREE in self.by,
            "words": self.words,
        }


def sdist_attestation(upstream: Upstream, records: dict[SdistSource, list[CommitRecord]]) -> Attestation:
    """Attested by the sdists' records when every sdist records the (already checked) commit."""
    silent = [s.requirement for s in upstream.sdists if not records[s]]
    if silent:
        why = "the sdist records no commit" if len(upstream.sdists) == 1 else f"{', '.join(silent)} record no commit"
        return Attestation(why=why)
    by = [
        f"{r.file} (abbreviated: {r.commit})" if r.abbreviated else r.file for s in upstream.sdists for r in records[s]
    ]
    return Attestation(tuple(by))


def _read(top: Path, rel: str) -> str | None:
    """The text of the regular file ``rel`` under ``top`` (never through a symlink), else ``None``."""
    try:
        data = read_regular(os.fspath(top / rel), rel, max_bytes=_MAX_RECORD_BYTES, follow=False)
        return data.decode("utf-8")
    except (CheckoutError, UnicodeDecodeError, ValueError):
        return None


def _recorded(value: str) -> str:
    """The lower-case hex digits of a recorded commit, or ``""`` for no record (``$Format:%H$``)."""
    found = _RECORDED_RE.fullmatch(value.strip())
    return found.group(1).lower() if found else ""


def version_file(top: Path) -> str:
    """The version file the sdist's ``pyproject.toml`` says a VCS-versioning backend writes, or ``""``."""
    text = _read(top, "pyproject.toml")
    if text is None:
        return ""
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return ""
    if not isinstance(tool, dict):
        return ""
    scm, hatch = tool.get("setuptools_scm"), tool.get("hatch")
    hook = hatch.get("build", {}).get("hooks", {}).get("vcs", {}) if isinstance(hatch, dict) else {}
    for table, key in ((scm, "version_file"), (scm, "write_to"), (hook, "version-file")):
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and value and ".." not in PurePosixPath(value).parts:
            return PurePosixPath(value).as_posix().lstrip("/")
    return ""


def _version_file_commit(text: str) -> str:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if names & {"__commit_id__", "commit_id"} and isinstance(node.value.value, str):
                return _recorded(node.value.value)
    return ""


def commit_records(root: Path, mount: str) -> list[CommitRecord]:
    """The commits that the sdist extracted at ``root/mount`` records (module docstring)."""
    top = root / mount if mount else root
    shown = f"{mount}/" if mount else ""
    records = []
    archival = _read(top, ARCHIVAL)
    if archival is not None:
        for line in archival.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == "node" and _recorded(value):
                records.append(CommitRecord(shown + ARCHIVAL, _recorded(value)))
    name = version_file(top)
    text = _read(top, name) if name.endswith(".py") else None
    if text is not None and _version_file_commit(text):
        records.append(CommitRecord(shown + name, _version_file_commit(text)))
    return records


def matching_records(upstream: Upstream, records: list[CommitRecord]) -> list[CommitRecord]:
    """``records``, once each is checked against the pin; raise ``SyncError`` (``commit_mismatch``)."""
    for record in records:
        if not record.matches(upstream.commit):
            raise SyncError(
                f"{record.file} records commit {record.commit}, but the manifest pins {upstream.commit}",
                subtype="commit_mismatch",
            )
    return records


def generated(rel: str, version: str) -> bool:
    """Is ``rel`` (a path relative to an sdist's top) a file the sdist build writes itself?

    ``PKG-INFO``, ``setup.cfg`` (setuptools adds an ``[egg_info]`` section) and ``.git_archival.txt``
    (expanded by ``git archive``) at the top; every file under a ``*.egg-info`` folder; and
    ``version``, the version file that the sdist's ``pyproject.toml`` names.
    """
    parts = PurePosixPath(rel).parts
    return rel in _GENERATED_AT_TOP or rel == version or any(p.endswith(".egg-info") for p in parts[:-1])


def fetch_commit(source: str, commit: str, repo: Path) -> str:
    """Fetch ``commit`` from ``source`` into a new bare repository ``repo``.

    The one commit, shallow, if the source serves it by its id; else every branch and tag.
    Returns ``""``, or why the source could not be reached; raises ``SyncError``
    (``commit_missing``) when it was reached and lacks the commit.
    """
    made = git(["init", "--bare", "--quiet", "--template=", str(repo)])
    if made.returncode != 0:
        raise SyncError(f"git init failed: {made.stderr.strip()[:300]}", subtype="sync_failed")
    base = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules"]
    shallow = git([*base, "--depth=1", "--", source, commit], git_dir=repo, network=True)
    if shallow.returncode != 0:
        refs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        full = git([*base, "--", source, *refs], git_dir=repo, network=True)
        if full.returncode != 0:
            return (full.stderr.strip() or shallow.stderr.strip() or "git fetch failed").splitlines()[0][:300]
    if git(["cat-file", "-e", f"{commit}^{{commit}}"], git_dir=repo).returncode != 0:
        raise SyncError(f"commit {commit} is absent from {source}", subtype="commit_missing")
    return ""


def _tree(repo: Path, commit: str) -> tuple[str, dict[bytes, tuple[bytes, str]]]:
    """The object format of ``repo`` and the commit's tree: path -> (mode, object id)."""
    form = git(["rev-parse", "--show-object-format"], git_dir=repo).stdout.strip() or "sha1"
    argv, env = git_command(["ls-tree", "-r", "-z", "--full-tree", commit], git_dir=repo)
    listing = subprocess.run(argv, env=env, capture_output=True, check=False)
    if listing.returncode != 0:
        raise SyncError(f"git ls-tree failed: {listing.stderr.decode(errors='replace')[:300]}", subtype="sync_failed")
    tree = {}
    for entry in listing.stdout.split(b"\0"):
        if entry:
            head, _, path = entry.partition(b"\t")
            mode, _, oid = head.split(b" ")
            tree[path] = (mode, oid.decode("ascii"))
    return form, tree


def _blob_id(form: str, data: bytes) -> str:
    return hashlib.new(form, b"blob %d\0" % len(data) + data).hexdigest()


def _checkout_files(folder: Path) -> list[str]:
    """Every file and symlink of the materialised tree, as posix paths (sync's own files left out)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder).as_posix()
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in [*filenames, *links]:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel not in (MARKER, ATTESTATION):
                found.append(rel)
    return sorted(found)


def _owner(rel: str, sdists: tuple[SdistSource, ...]) -> SdistSource | None:
    """The sdist whose mount folder holds ``rel`` (the deepest), if any."""
    owners = [s for s in sdists if not s.mount or rel.startswith(s.mount.rstrip("/") + "/")]
    return max(owners, key=lambda s: len(s.mount), default=None)


def tree_differences(folder: Path, upstream: Upstream, repo: Path) -> list[str]:
    """The files of the sdists extracted in ``folder`` that differ from the commit's tree in ``repo``,
    each with why (files the sdist build writes itself are not compared: :func:`generated`)."""
    form, tree = _tree(repo, upstream.commit)
    versions = {s: version_file(folder / s.mount if s.mount else folder) for s in upstream.sdists}
    differing = []
    for rel in _checkout_files(folder):
        sdist = _owner(rel, upstream.sdists)
        if sdist is None:
            continue
        inner = rel[len(sdist.mount.rstrip("/")) + 1 :] if sdist.mount else rel
        if generated(inner, versions[sdist]):
            continue
        path = folder / rel
        entry = tree.get(os.fsencode(rel))
        if entry is None:
            differing.append(f"{rel} (absent from the tree)")
            continue
        link = path.is_symlink()
        if link != (entry[0] == b"120000"):
            differing.append(f"{rel} ({'a symlink' if link else 'a file'} in the sdist, not in the tree)")
            continue
        data = os.fsencode(os.readlink(path)) if link else path.read_bytes()
        if _blob_id(form, data) != entry[1]:
            differing.append(f"{rel} (differs)")
    return differing


def verify_tree(folder: Path, upstream: Upstream, source: str) -> str:
    """Compare the sdists extracted in ``folder`` with the git tree at the pin, fetched from ``source``.

    Returns ``""`` when they are equal, or why ``source`` could not be reached; raises
    ``SyncError`` (``tree_mismatch``, naming the files) when they differ.
    """
    with tempfile.TemporaryDirectory(prefix="pypatterns-verify-") as work:
        repo = Path(work) / "repo.git"
        unreachable = fetch_commit(source, upstream.commit, repo)
        if unreachable:
            return unreachable
        differing = tree_differences(folder, upstream, repo)
    if differing:
        shown = ", ".join(differing[:10]) + (f" and {len(differing) - 10} more" if len(differing) > 10 else "")
        raise SyncError(
            f"the sdist differs from the git tree at {upstream.commit} ({source}) in {len(differing)} file(s): {shown}",
            subtype="tree_mismatch",
        )
    return ""
