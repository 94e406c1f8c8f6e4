"""How the extension starts git, and which git URLs it accepts: the one place for both.

Git runs commands from data in several ways: a URL's transport (``ext::sh -c …`` and other remote
helpers), hooks, and settings in a repository's own ``config`` (``core.fsmonitor``,
``core.sshCommand``, ``core.gitProxy``, ``remote.*.uploadpack``, the promisor remote a partial clone
fetches missing objects from…). Every git command of the extension is built by
:func:`git_command`, which closes each of them whatever the user's, the system's or the
repository's configuration says:

* **transports** come from an allow-list in ``GIT_ALLOW_PROTOCOL``, which git obeys over every
  ``protocol.*`` setting, repeated as ``-c protocol.allow=never`` plus ``-c
  protocol.<name>.allow=always`` for the allowed ones. Commands that only read a local repository
  (``cat-file``) get *no* transport at all, so a partial clone's lazy fetch can never start ssh, a
  proxy, ``upload-pack`` or a remote helper; ``GIT_PROXY_COMMAND`` and ``GIT_SSH_COMMAND`` are
  pinned for them too, as the environment wins over ``core.gitProxy`` and ``core.sshCommand`` at
  every level;
* **hooks** are off (``core.hooksPath=/dev/null``), and so are ``core.fsmonitor``, submodule
  recursion and automatic gc/maintenance (which would start more git commands);
* **the repository** is named with ``--git-dir``: no discovery walking up into another repository,
  and the variables that would redirect git elsewhere (``GIT_DIR``, ``GIT_OBJECT_DIRECTORY``,
  ``GIT_CONFIG_PARAMETERS``…, set when a build runs inside a git hook) are removed;
* replacement refs are ignored (``--no-replace-objects``): a read at a commit is that commit's content.

Clones are made with ``--no-local`` (what git's own SECURITY section advises for a repository one
does not trust: objects are copied through ``upload-pack``, never the source's files) and with an
empty template (``--template=``), so the new repository holds no hook and no setting that git did
not write itself; the ``fetch`` that may follow reads only that. Filters and textconv drivers are
never run: ``clone --bare`` checks nothing out, and ``cat-file --batch`` is never given
``--filters`` or ``--textconv``.

The user's own global and system configuration (proxies, credentials, ssh keys) stays in force for
the commands that reach the network: it is the user's, not data. Git's ownership check
(``safe.directory``) is left as the user configured it and never widened; safety does not rest on
it, since every setting that runs a command is pinned above, on the command line, which beats every
configuration file. ``uploadpack.packObjectsHook`` is honoured by git only from that protected
(user or system) configuration, never from a repository.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence

__all__ = ["ALLOWED_TRANSPORTS", "GIT_URL_HELP", "check_git_url", "git_command", "git_transport"]

#: The transports a git source may use (git's protocol names; ``file`` covers local paths).
#: Plain ``http`` is not among them: git may answer its authentication challenge with stored
#: credentials, in clear.
ALLOWED_TRANSPORTS = ("https", "ssh", "git", "file")
#: What a refused URL's warning adds.
GIT_URL_HELP = "allowed: https://, ssh://, git:// and file:// URLs, [user@]host:path, and local paths"

#: Transports git has or may have; each gets an explicit ``never`` unless allowed.
_KNOWN_TRANSPORTS = ("https", "http", "ssh", "git", "file", "ext", "fd", "ftp", "ftps")
#: Settings every git command gets, read or network: they run nothing.
_ALWAYS = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", ""),  # empty: off for every git (before 2.36, "false" named a hook to run)
    ("core.useReplaceRefs", "false"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
)
#: Variables that point git at another repository or inject configuration (``git rev-parse
#: --local-env-vars``, and a few more); the caller's values never reach our git commands.
_DROPPED = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_EXTERNAL_DIFF",
        "GIT_TEMPLATE_DIR",
        "GIT_ALLOW_PROTOCOL",
        "GIT_PROTOCOL_FROM_USER",
        "GIT_PROTOCOL",
    }
)
_DROPPED_RE = re.compile(r"^GIT_CONFIG_(KEY|VALUE)_\d+$")

# git's own rules (transport.c): "<name>::<address>" names a remote helper; "<scheme>://" a URL.
_HELPER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)?::")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def git_command(
    args: Sequence[str], *, git_dir: str | os.PathLike[str] | None = None, network: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of one git command: ``git <hardening> [--git-dir=DIR] <args>``.

    ``network=True`` allows the transports of :data:`ALLOWED_TRANSPORTS` (``clone``, ``fetch``);
    otherwise the command gets no transport at all (reads of a local repository).
    """
    allowed = ALLOWED_TRANSPORTS if network else ()
    argv = ["git", "--no-pager", "--no-replace-objects"]
    if git_dir is not None:
        argv.append(f"--git-dir={os.fspath(git_dir)}")
    settings = [("protocol.allow", "never")]
    settings += [(f"protocol.{name}.allow", "always" if name in allowed else "never") for name in _KNOWN_TRANSPORTS]
    for key, value in (*settings, *_ALWAYS):
        argv += ["-c", f"{key}={value}"]
    argv += list(args)
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED and not _DROPPED_RE.match(key)}
    env.update(
        GIT_ALLOW_PROTOCOL=":".join(allowed),  # empty: nothing allowed
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
    )
    if not network:
        # a read never fetches: git >= 2.44 says so directly; older ones find no transport allowed,
        # and neither a proxy nor ssh from any configuration level could start
        env.update(GIT_NO_LAZY_FETCH="1", GIT_PROXY_COMMAND="", GIT_SSH_COMMAND="false")
    return argv, env


def git_transport(url: str) -> str:
    """The transport git would use for ``url``, by git's own rules: a remote helper's name
    (``ext`` for ``ext::…``), a URL's scheme (case kept: git matches it exactly), ``ssh`` for
    ``[user@]host:path``, or ``file`` for a local path."""
    helper = _HELPER_RE.match(url)
    if helper:
        return helper.group(1) or ""
    scheme = _SCHEME_RE.match(url)
    if scheme:
        return scheme.group(1)
    colon, slash = url.find(":"), url.find("/")
    if colon != -1 and (slash == -1 or colon < slash):
        return "ssh"
    return "file"


def check_git_url(url: str) -> str | None:
    """Why git must not be given ``url`` as a source (a sentence fragment), or ``None`` if it may."""
    if not url:
        return "is empty"
    for char in url:
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
            return f"contains a control or format character (U+{ord(char):04X}), which is not allowed"
    if url.startswith("-"):
        return "must not start with '-'"
    transport = git_transport(url)
    if _HELPER_RE.match(url):
        return f"uses git's remote helper {transport!r} (the '{transport}::' form), which is not allowed"
    scheme = _SCHEME_RE.match(url)
    if scheme:
        if transport not in ALLOWED_TRANSPORTS:
            hint = "; use https://" if transport.lower() in ("http", "https") else ""
            hint = "; use ssh://" if transport in ("git+ssh", "ssh+git") else hint
            return f"uses the transport {transport!r}, which is not allowed{hint}"
        authority = url[scheme.end() :].partition("/")[0]
        if transport == "file":
            return None
        if not authority:
            return f"names no host after '{transport}://'"
        host = authority.rpartition("@")[2]
        if authority.startswith("-") or host.startswith("-"):
            return f"names an option-shaped host {authority!r}, which is not allowed"
        return None
    if transport == "ssh":  # [user@]host:path
        authority, _, path = url.partition(":")
        if not authority.rpartition("@")[2]:
            return "names no host before ':'"
        if path.startswith("-"):
            return f"names an option-shaped path {path!r}, which is not allowed"
    return None
