"""What the command-line tools need from a project's conf.py, read without building."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._core.checkouts import CheckoutSpec, parse_checkouts_spec
from .._core.config_values import checked_config, conf_line
from .._core.defaults import DEFAULT_MAX_FILE_BYTES, DEFAULT_SECTIONS
from .._core.errors import PypatternsError
from .._core.manifest import Manifest, load_manifest

if TYPE_CHECKING:
    from sphinx.util.tags import Tags

__all__ = ["Project", "project_of", "read_conf"]


class _LazyTags:
    """conf.py's ``tags``: Sphinx's own ``Tags``, imported only when conf.py uses it (check starts fast)."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._tags: Tags | None = None

    def _real(self) -> Tags:
        if self._tags is None:
            from sphinx.util.tags import Tags

            self._tags = Tags(self._names)
        return self._tags

    def __getattr__(self, name: str) -> object:
        if name in ("_names", "_tags"):  # not set yet (a copy made without __init__)
            raise AttributeError(name)
        return getattr(self._real(), name)

    def __contains__(self, tag: str) -> bool:
        return tag in self._real()

    def __iter__(self) -> Iterator[str]:
        return iter(self._real())

    def __str__(self) -> str:
        return str(self._real())

    def __repr__(self) -> str:
        return repr(self._real())


def _conf_error(conf: Path, exc: BaseException) -> PypatternsError:
    """conf.py failed: where (its innermost line in conf.py) and what, without a traceback."""
    if isinstance(exc, SyntaxError) and exc.filename == str(conf):
        return PypatternsError(f"{conf}:{exc.lineno or 0}: syntax error in conf.py: {exc.msg}", subtype="config")
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(conf):
            line = tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, SystemExit):
        what = "conf.py (or a module it imports) called sys.exit()"
    else:
        import traceback

        what = "conf.py raised " + traceback.format_exception_only(exc)[-1].strip()
    return PypatternsError(f"{conf}:{line}: {what}", subtype="config")


def read_conf(conf: Path, tags: Sequence[str] = ()) -> dict[str, object]:
    """Run conf.py the way Sphinx's ``eval_config_file`` does and return its names.

    The same namespace (``__file__`` and ``tags``, Sphinx's ``Tags`` holding
    ``tags``, the ``-t`` tags), run in conf.py's folder; an exception or
    ``sys.exit()`` in it becomes a :class:`PypatternsError` naming its line.
    """
    namespace: dict[str, object] = {"__file__": str(conf), "tags": _LazyTags(tags)}
    with contextlib.chdir(conf.parent):
        try:
            exec(compile(conf.read_bytes(), str(conf), "exec"), namespace)
        except (Exception, SystemExit) as exc:  # what Sphinx turns into a ConfigError
            raise _conf_error(conf, exc) from None
    return namespace


class Project:
    """What the CLI needs from a project's conf.py, read without building."""

    def __init__(self, srcdir: Path, confdir: Path, tags: Sequence[str] = ()) -> None:
        self.srcdir = srcdir
        self.confdir = confdir
        conf = confdir / "conf.py"
        values = read_conf(conf, tags) if conf.is_file() else {}
        # the build's own check of every pypatterns_* value: the same warnings, the same defaults
        clean, problems = checked_config(values)
        for name, message in problems:
            print(f"{conf}:{conf_line(confdir, name)}: config: {message}", file=sys.stderr)
        manifest = clean["pypatterns_manifest"]
        self.manifest_path = (confdir / manifest) if isinstance(manifest, str) and manifest else None
        checkouts = clean["pypatterns_checkouts"]
        self.checkouts_value: str | list[str] | tuple[str, ...] = os.environ.get("PYPATTERNS_CHECKOUTS") or (
            checkouts if isinstance(checkouts, (str, list, tuple)) else ""
        )
        self.require_anchor = clean["pypatterns_require_anchor"] is True
        areas = clean["pypatterns_areas"]
        self.areas = [str(a) for a in areas] if isinstance(areas, (list, tuple)) else []
        sections = clean["pypatterns_required_sections"]
        #: The required sections of each kind (a kind conf.py leaves out keeps its defaults).
        self.sections = {**DEFAULT_SECTIONS, **(sections if isinstance(sections, dict) else {})}
        words = clean["pypatterns_rule_max_words"]
        self.rule_words = words if isinstance(words, int) else 30
        upstreams = clean["pypatterns_upstreams"]
        self.upstream_names = [str(u) for u in upstreams] if isinstance(upstreams, (list, tuple)) else []
        bare = clean["pypatterns_bare_roles"]
        #: Is the bare ``{cite}`` role this extension's (or another extension's, written ``{pp:cite}`` here)?
        self.bare_cite = isinstance(bare, (list, tuple)) and "cite" in bare
        #: And the bare ``{count}`` role?
        self.bare_count = isinstance(bare, (list, tuple)) and "count" in bare
        max_bytes = clean["pypatterns_max_file_bytes"]
        self.max_bytes = max_bytes if isinstance(max_bytes, int) else DEFAULT_MAX_FILE_BYTES
        # the pages Sphinx reads: conf.py's include_patterns and exclude_patterns, as Sphinx reads them
        self.exclude = _patterns(values.get("exclude_patterns"), [])
        self.include = _patterns(values.get("include_patterns"), ["**"])

    def manifest(self, *, with_lock: bool = True) -> Manifest:
        if self.manifest_path is None:
            raise PypatternsError("conf.py sets no pypatterns_manifest", subtype="no_manifest")
        return load_manifest(self.manifest_path, with_lock=with_lock)

    def checkouts(self) -> CheckoutSpec:
        return parse_checkouts_spec(self.checkouts_value, base=self.srcdir)


def _patterns(value: object, default: list[str]) -> list[str]:
    """A conf.py list of glob patterns; Sphinx's default when it is not a list of strings."""
    if isinstance(value, (list, tuple)) and all(isinstance(p, str) for p in value):
        return list(value)
    return default


def project_of(args: argparse.Namespace) -> Project:
    srcdir = Path(args.srcdir).resolve()
    confdir = (
        Path(args.confdir).resolve()
        if args.confdir
        else (srcdir / "docs" if (srcdir / "docs" / "conf.py").is_file() else srcdir)
    )
    return Project(srcdir, confdir, args.tag or ())
