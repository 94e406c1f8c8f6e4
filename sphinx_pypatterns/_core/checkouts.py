"""Checkout providers: read a file of an upstream at its pinned commit.

Two kinds exist:

* :class:`FolderCheckout`, a materialised tree (what ``pypatterns sync``
  writes); reads never leave its root, symlinks included;
* :class:`GitCheckout`, a git repository (bare or not) read **at the pinned
  commit** through one long-lived ``git cat-file --batch`` process, never
  from the working tree.

:func:`locate_checkout` finds the one to use for an upstream.
"""

import errno
import json
import os
import time
from pathlib import Path

from .defaults import DEFAULT_MAX_FILE_BYTES
from .errors import CheckoutError, PypatternsError
from .files import is_racy, read_regular, stat_signature, tree_fingerprint, tree_paths
from .git_checkout import GitCheckout
from .manifest import Upstream
from .targets import validate_relpath

__all__ = [
    "ATTESTATION",
    "MARKER",
    "CheckoutSpec",
    "FolderCheckout",
    "GitCheckout",
    "attestation_words",
    "locate_checkout",
    "parse_checkouts_spec",
    "read_attestation",
    "read_marker",
    "split_origin",
]

MARKER = ".pypatterns-sync.json"
#: What sync found the pinned commit attested by, beside the marker (see ``_tools/attest.py``).
ATTESTATION = ".pypatterns-attestation.json"
#: How an origin ends when it says what attests the commit: "<origin>; commit attested by …"
#: or "<origin>; commit unattested (why)".
_ATTESTED, _UNATTESTED = "commit attested by ", "commit unattested"
DEFAULT_MAX_BYTES = DEFAULT_MAX_FILE_BYTES


class FolderCheckout:
    """A plain folder holding the upstream's tree at the pinned commit."""

    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        description: str = "",
        origin: str = "",
        fingerprint: str = "",
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.description = description or f"folder {self.root}"
        self.origin = origin or "a local folder"
        #: a synced tree is identified by its marker (sync replaces it whole); a plain folder by its files
        self.fixed_fingerprint = fingerprint
        self._tree_fingerprint: str | None = None
        self._real_root = os.path.realpath(self.root)

    @property
    def fingerprint(self) -> str:
        """The marker of a synced tree, else the :func:`tree_fingerprint` of the folder (computed once)."""
        if self.fixed_fingerprint:
            return self.fixed_fingerprint
        if self._tree_fingerprint is None:
            self._tree_fingerprint = tree_fingerprint(self.root)
        return self._tree_fingerprint

    def stamp(self, path: str, since_ns: int | None = None) -> str:
        """What identifies the file that :meth:`read` would read for ``path``, without reading it.

        The resolved path and the file's :func:`stat_signature` (no file: why). A file changed
        within :data:`RACY_NS` before ``since_ns`` (default: now) or later gets a stamp that equals
        no other: its times may not show a second change in the same clock tick, so a caller that
        keeps stamps verifies its citations again next time.
        """
        try:
            validate_relpath(path)
            real = os.path.realpath(os.path.join(self._real_root, path), strict=True)
            st = os.stat(real)
        except PypatternsError as exc:
            return f"refused {exc.subtype}"
        except OSError as exc:
            return f"absent {exc.errno}"
        except ValueError:  # not encodable as a file name (a lone surrogate)
            return "refused unencodable"
        if is_racy(st, since_ns):
            return f"racy {time.time_ns()}"
        return f"{real}|{stat_signature(st)}"

    def read(self, path: str) -> tuple[str, bytes]:
        validate_relpath(path)
        full = os.path.join(self._real_root, path)
        try:
            real = os.path.realpath(full, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CheckoutError(f"{path} is a symlink loop", subtype="symlink_loop") from None
            raise CheckoutError(f"{path} does not exist in the checkout", subtype="missing_file") from None
        except ValueError:  # not encodable as a file name (a lone surrogate)
            raise CheckoutError(f"{path!r} cannot name a file", subtype="bad_path") from None
        if os.path.commonpath([real, self._real_root]) != self._real_root:
            raise CheckoutError(f"{path} is a symlink that leads outside the checkout", subtype="path_escapes")
        # no symlink is left in ``real``: open it without following one put there since
        return f"file:{real}", read_regular(real, path, max_bytes=self.max_bytes, follow=False)

    def paths(self) -> list[str]:
        """The paths of the folder's files (:func:`tree_paths`: it never leaves the folder), the sync
        marker and attestation left out: for a missing file's hint."""
        return [path for path in tree_paths(self._real_root) if path not in (MARKER, ATTESTATION)]

    def close(self) -> None:
        return None


CheckoutSpec = tuple[str, dict[str, str]]


def parse_checkouts_spec(value: str | list[str] | tuple[str, ...], *, base: str | Path) -> CheckoutSpec:
    """Parse ``pypatterns_checkouts`` / ``PYPATTERNS_CHECKOUTS``.

    The value is a list (or an ``os.pathsep``-separated string) of entries.
    ``NAME=DIR`` names the checkout of one upstream (a git repository or a
    plain tree); an entry without ``=`` is the checkouts folder that
    ``pypatterns sync`` fills. Relative paths are taken from ``base``.
    Returns ``(root, {name: dir})``.
    """
    entries = value.split(os.pathsep) if isinstance(value, str) else list(value)
    root = ""
    named: dict[str, str] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        name, sep, folder = entry.partition("=")
        if sep and name and "/" not in name:
            named[name.strip()] = str(Path(base, os.path.expanduser(folder.strip())))
        else:
            root = str(Path(base, os.path.expanduser(entry)))
    if not root:
        root = str(Path(base, ".pypatterns", "checkouts"))
    return root, named


def _is_git_dir(folder: Path) -> bool:
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir()


def read_marker(folder: Path) -> dict[str, str] | None:
    """The sync marker of a checkout folder, or ``None`` if it has none (not a valid checkout)."""
    try:
        # a marker that is a FIFO or a device must not block the build: read only a regular file
        data = json.loads(read_regular(os.fspath(folder / MARKER), MARKER, max_bytes=1 << 20).decode("utf-8"))
    except (CheckoutError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_attestation(folder: Path) -> dict[str, object]:
    """The attestation file of a synced checkout, as sync wrote it, or ``{}``."""
    try:
        data = json.loads(read_regular(os.fspath(folder / ATTESTATION), ATTESTATION, max_bytes=1 << 20))
    except (CheckoutError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def attestation_words(folder: Path, commit: str) -> str:
    """What the attestation file of a synced checkout says of ``commit``: "commit attested by …",
    "commit unattested (…)", or "" (no such file, another commit, not one of these sentences)."""
    data = read_attestation(folder)
    words = data.get("words") if data.get("commit") == commit else None
    return words if isinstance(words, str) and words.startswith((_ATTESTED, _UNATTESTED)) else ""


def split_origin(origin: str) -> tuple[str, bool | None, str]:
    """An origin as ``(how it was materialised, attested?, the attestation sentence)``; ``None``
    and ``""`` for an origin that says nothing of its commit (a git repository, read at the commit)."""
    how, sep, rest = origin.rpartition("; ")
    if sep and rest.startswith(_ATTESTED):
        return how, True, rest
    if sep and rest.startswith(_UNATTESTED):
        return how, False, rest
    return origin, None, ""


def locate_checkout(
    upstream: Upstream, spec: CheckoutSpec, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> FolderCheckout | GitCheckout:
    """Return the checkout of ``upstream``; raise ``CheckoutError`` (``checkout_missing``)."""
    root, named = spec
    if upstream.name in named:
        folder = Path(named[upstream.name])
        if (folder / ".git").exists():
            return GitCheckout(folder, upstream.commit, max_bytes=max_bytes)
        if _is_git_dir(folder):
            return GitCheckout(folder, upstream.commit, max_bytes=max_bytes)
        if folder.is_dir():
            origin = f"a local folder; {_UNATTESTED} (a plain folder records no commit)"
            return FolderCheckout(folder, max_bytes=max_bytes, origin=origin)
        raise CheckoutError(
            f"the checkout of {upstream.name!r} named as {folder} does not exist", subtype="checkout_missing"
        )
    folder = Path(root) / upstream.folder_name
    marker = read_marker(folder)
    if marker is None or marker.get("commit") != upstream.commit:
        raise CheckoutError(
            f"no checkout of {upstream.name!r} at {upstream.commit[:12]} in {root}: run 'pypatterns sync'",
            subtype="checkout_missing",
        )
    origin = str(marker.get("origin") or "")
    attestation = attestation_words(folder, upstream.commit) or f"{_UNATTESTED} (synced before attestations)"
    origin = f"{origin}; {attestation}"
    if marker.get("kind") == "git":
        return GitCheckout(
            folder,
            upstream.commit,
            max_bytes=max_bytes,
            description=f"synced git mirror {folder}",
            origin=origin,
            commit_known=True,  # sync wrote the marker after fetching the commit
        )
    # a synced tree is never changed in place (sync replaces it whole): its marker identifies it
    fingerprint = "tree " + json.dumps([marker, attestation], sort_keys=True)
    return FolderCheckout(
        folder, max_bytes=max_bytes, description=f"synced tree {folder}", origin=origin, fingerprint=fingerprint
    )
