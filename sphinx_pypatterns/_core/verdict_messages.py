"""The words of the verifier's verdicts that say how to fix a citation (no Sphinx imports).

A misspelt symbol gets the nearest names its file defines and what the cited lines define;
a missing file the nearest path of the checkout and, for an upstream made only of sdists,
what they ship; a missing anchor the form that gives one: the role's title or the ``cite``
directive's ``:symbol:`` option (:func:`worded_for_form`).
"""

from __future__ import annotations

from .hints import did_you_mean, quoted
from .manifest import Upstream
from .symbols import SymbolTable
from .targets import CitationTarget

__all__ = ["missing_anchor_message", "missing_file_message", "unknown_symbol_message", "worded_for_form"]

#: The symbols an ``unknown_symbol`` message names as defined in the cited lines, at most.
_DEFINED_SHOWN = 4


def unknown_symbol_message(target: CitationTarget, symbol: str, table: SymbolTable) -> str:
    """No such symbol: the nearest names the file defines, and what the cited lines define."""
    where = f"{target.upstream}:{target.path}"
    return f"no symbol {symbol!r} is defined in {where}{did_you_mean(symbol, table)}; {_defined_in(target, table)}"


def _defined_in(target: CitationTarget, table: SymbolTable) -> str:
    """``lines 6–11 define 'HTTPError'``: the outermost symbols whose spans overlap the cited lines."""
    overlapping = sorted(
        (a, name) for name, spans in table.items() for a, b in spans if a <= target.end and target.start <= b
    )
    names: list[str] = []
    for _start, name in overlapping:
        if name not in names and not any(name.startswith(f"{outer}.") for outer in names):
            names.append(name)
    label = f"lines {target.lines_label}" if target.start != target.end else f"line {target.start}"
    verb = "define" if target.start != target.end else "defines"
    if not names:
        return f"{label} {verb} no symbol"
    if len(names) > _DEFINED_SHOWN:
        shown = f"{', '.join(map(repr, names[:_DEFINED_SHOWN]))} and {len(names) - _DEFINED_SHOWN} more"
    else:
        shown = quoted(names, "and")
    return f"{label} {verb} {shown}"


def missing_file_message(
    target: CitationTarget, upstream: Upstream | None, message: str, listing: frozenset[str] | None
) -> str:
    """A missing file: first that it is not in the checkout at the pin, with the nearest paths of
    ``listing`` (the checkout's), then, for an upstream made only of sdists, what they ship.

    ``message``, the checkout's own, is kept for a path the listing holds (it is there, but cannot
    be read: a dangling symlink) or when the checkout could not be listed (``None``).
    """
    if listing is not None and target.path not in listing:
        pin = f" at its pin {upstream.commit[:12]}" if upstream is not None else ""
        hint = did_you_mean(target.path, listing, n=2)
        message = f"{target.path} does not exist in the checkout of {target.upstream!r}{pin}{hint}"
    if upstream is not None and upstream.sdists and not upstream.git:
        message += f"; {_sdist_note(upstream)}"
    return message


def _sdist_note(upstream: Upstream) -> str:
    """What the tree of an upstream made only of sdists holds, in words."""

    def mounted(mount: str) -> str:
        return "at the tree's root" if not mount.strip("/") else f"at {mount.strip('/') + '/'!r}"

    shipped = "; ".join(f"{s.name} {s.version}, mounted {mounted(s.mount)}" for s in upstream.sdists)
    which = "its sdist ships" if len(upstream.sdists) == 1 else "its sdists ship"
    return (
        f"the checkout of {upstream.name!r} holds only what {which} ({shipped}), "
        "so a file of the repository that no sdist ships cannot be cited"
    )


def missing_anchor_message(target: CitationTarget, *, block: bool = False) -> str:
    """Why a citation without a symbol anchor fails (``pypatterns_require_anchor``), and how to
    give one in its form: the role's title, or the ``cite`` directive's ``:symbol:`` option."""
    if block:
        how = "give the cite directive the option ':symbol: Name'"
    else:
        how = f"write {{cite}}`Name <{target}>`"
    return (
        f"citation of {target} needs a symbol anchor (pypatterns_require_anchor): "
        f"{how}, naming the enclosing class, function or assignment"
    )


def worded_for_form(subtype: str, message: str, target: CitationTarget, *, block: bool) -> str:
    """A verdict's message as the citation's form needs it.

    A verdict is shared by a role and a ``cite`` directive that cite the same lines, and is
    worded for the role; a directive's missing anchor is its ``:symbol:`` option instead.
    """
    if block and subtype == "missing_anchor":
        return missing_anchor_message(target, block=True)
    return message
