"""``pypatterns pin NAME==VERSION``: append the manifest table that pins one release's sdist.

The sdist comes through pip, as ``pypatterns sync`` gets it, and its sha256 is computed here:
nobody types one. The commit is the one the sdist records (:mod:`.attest`); an sdist that
records none, or only an abbreviated one, needs ``--commit``, and no table is written without
a commit: a manifest with a made-up or missing commit is what this command exists to prevent.
The table is appended to the manifest that ``conf.py`` names; the bytes already there stay as
they were, and a name already pinned is refused.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import tempfile
from pathlib import Path

from .._core.errors import PypatternsError
from .._core.manifest import Manifest, parse_manifest
from .project import project_of

__all__ = ["add_pin_parser", "cmd_pin", "pin_table"]

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def pin_table(
    name: str, *, repository: str, tag: str, commit: str, license: str, requirement: str, sha256: str, git: str = ""
) -> str:
    """The manifest table of one upstream pinned by one sdist, as ``pypatterns pin`` appends it."""
    header = name if _BARE_KEY_RE.fullmatch(name) else _toml_string(name)
    lines = [
        f"[{header}]",
        f"repository = {_toml_string(repository)}",
        f"tag = {_toml_string(tag)}",
        f"commit = {_toml_string(commit)}",
        f"license = {_toml_string(license)}",
        f"sdist = [{{ requirement = {_toml_string(requirement)}, sha256 = {_toml_string(sha256)} }}]",
    ]
    if git:
        lines.append(f"git = {_toml_string(git)}")
    return "\n".join(lines) + "\n"


def _pkg_info_license(tree: Path) -> str:
    """The sdist's ``License-Expression``, else its ``License`` when it is one line; else ``""``."""
    import email.parser
    import email.policy

    try:
        text = (tree / "PKG-INFO").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    headers = email.parser.Parser(policy=email.policy.compat32).parsestr(text, headersonly=True)
    for key in ("License-Expression", "License"):
        value = str(headers.get(key) or "").strip()
        if value and "\n" not in value and value.upper() != "UNKNOWN":
            return value
    return ""


def _appended(raw: bytes, table: str) -> bytes:
    """What to append to a manifest of bytes ``raw``: a blank line, then ``table``."""
    if not raw or raw.endswith(b"\n\n"):
        gap = b""
    elif raw.endswith(b"\n"):
        gap = b"\n"
    else:
        gap = b"\n\n"
    return gap + table.encode("utf-8")


def _commit(records: list[tuple[str, str]], given: str) -> str:
    """The commit to pin: ``given``, else the one full commit recorded; every record must agree with it."""
    full = sorted({recorded for _, recorded in records if len(recorded) == 40})
    if not given and len(full) > 1:
        raise PypatternsError(f"the sdist records two commits ({', '.join(full)}): refusing", subtype="commit_mismatch")
    if not given and not full:
        what = "only an abbreviated commit" if records else "no commit"
        raise PypatternsError(
            f"the sdist records {what}: give --commit SHA (the full commit of the release tag); nothing was written",
            subtype="bad_commit",
        )
    commit = given or full[0]
    for file, recorded in records:
        if not commit.startswith(recorded):
            pinned = f"the --commit {given}" if given else f"the {commit} recorded elsewhere in it"
            raise PypatternsError(
                f"{file} records commit {recorded}, not {pinned}: refusing", subtype="commit_mismatch"
            )
    return commit


def cmd_pin(args: argparse.Namespace) -> int:
    from .attest import commit_records
    from .sync import download_sdist, safe_extract

    project = project_of(args)
    if project.manifest_path is None:
        raise PypatternsError("conf.py sets no pypatterns_manifest", subtype="no_manifest")
    path = project.manifest_path
    raw = path.read_bytes() if path.exists() else b""
    manifest = project.manifest() if raw else Manifest()
    project_name, _, version = args.requirement.partition("==")
    if not project_name or not version:
        raise PypatternsError(f"give the release as NAME==VERSION, not {args.requirement!r}", subtype="manifest")
    name = args.name or project_name
    if name in manifest.upstreams:
        raise PypatternsError(f"{path.name} already pins {name!r}: refusing to pin it again", subtype="manifest")
    fields = {
        "repository": args.repository,
        "tag": args.release_tag or version,
        "git": args.git or "",
        "requirement": args.requirement,
    }
    # the table as it will be written, checked before anything is downloaded
    probe = pin_table(name, commit="0" * 40, license=args.license or "probe", sha256="0" * 64, **fields)
    parse_manifest(probe, path=f"{path.name} (the new table)")
    with tempfile.TemporaryDirectory(prefix="pypatterns-pin-") as work:
        archive = download_sdist(project_name, version, Path(work))
        sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
        tree = Path(work) / "tree"
        safe_extract(archive, tree)
        records = [(r.file, r.commit) for r in commit_records(tree, "")]
        license = args.license or _pkg_info_license(tree)
    if not license:
        raise PypatternsError(
            "the sdist's PKG-INFO names no license: give --license; nothing was written", subtype="manifest"
        )
    commit = _commit(records, (args.commit or "").lower())
    table = pin_table(name, commit=commit, license=license, sha256=sha256, **fields)
    new = raw + _appended(raw, table)
    parse_manifest(new.decode("utf-8"), path=str(path))  # the whole manifest, as sync and the build read it
    with open(path, "ab") as handle:
        handle.write(new[len(raw) :])
    attested = [file for file, _ in records]  # each agrees with the commit
    if attested:
        how = "commit attested by " + " and ".join(attested)
    else:
        how = "commit unattested (the sdist records no commit; `pypatterns sync --verify` compares it with --git)"
    print(table, end="")
    print(f"pin: appended [{name}] to {path.name}: sha256 of {archive.name} computed, {how}")
    return 0


def add_pin_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``pypatterns pin`` on the command's subparsers."""
    cmd = sub.add_parser("pin", help="append the manifest table pinning one release's sdist (sha256 computed)")
    cmd.add_argument("requirement", metavar="NAME==VERSION", help="the release whose sdist pip downloads")
    cmd.add_argument("srcdir", nargs="?", default=".", help="the Sphinx source folder (default: .)")
    cmd.add_argument("-c", "--confdir", help="folder of conf.py (default: docs/ if it has conf.py, else srcdir)")
    cmd.add_argument("--repository", required=True, help="the upstream's web URL (permalinks)")
    cmd.add_argument("--tag", dest="release_tag", help="the release tag (default: VERSION)")
    cmd.add_argument("--commit", help="the commit of the release; required when the sdist records none")
    cmd.add_argument("--license", help="the license (default: the sdist's License-Expression or License)")
    cmd.add_argument("--git", help="a git source for the table (what `pypatterns sync --verify` compares with)")
    cmd.add_argument("--name", help="the upstream's name in the manifest (default: NAME)")
    cmd.set_defaults(func=cmd_pin, tag=None)
