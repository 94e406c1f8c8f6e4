"""Resolving Python symbols to their line spans with :mod:`ast`."""

from __future__ import annotations

import ast
import sys
import warnings
from collections.abc import Iterable

from .errors import CheckoutError

__all__ = ["SymbolTable", "symbol_table"]

Span = tuple[int, int]
SymbolTable = dict[str, list[Span]]

# The version of the rules below is SPAN_RULES in _defaults (the caches read it there).


def _span(node: ast.stmt) -> Span:
    start = node.lineno
    decorators = getattr(node, "decorator_list", None) or []
    for dec in decorators:
        start = min(start, dec.lineno)
    end = node.end_lineno or node.lineno
    return start, end


def _bound_names(target: ast.expr) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _bound_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


_DEFS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
#: Compound statements that are not scopes: their bodies belong to the enclosing scope.
_BLOCKS = frozenset(
    {ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match}
)


def _walk(body: list[ast.stmt], prefix: str, table: SymbolTable, *, in_function: bool, guard: int = 0) -> None:
    """``guard``: the first line of the innermost ``if``/``try``/``with``/... whose body this is.

    A definition or binding inside such a block spans from that line, so a
    citation may include the condition that decides it (``if sys.version_info
    >= (3, 13):`` above an import).
    """
    for node in body:
        kind = type(node)
        if kind in _BLOCKS:
            for child in _nested_bodies(node):
                _walk(child, prefix, table, in_function=in_function, guard=node.lineno)
            continue
        if isinstance(node, _DEFS):
            qual = prefix + node.name
            table.setdefault(qual, []).append(_guarded(_span(node), guard))
            _walk(node.body, qual + ".", table, in_function=kind is not ast.ClassDef)
            continue
        if in_function:
            continue  # local variables are not symbols; nested defs are reached above
        names: list[str] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names.extend(_bound_names(target))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            names.extend(_bound_names(node.target))
        elif isinstance(node, ast.Import):
            names.extend((a.asname or a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.extend((a.asname or a.name) for a in node.names if a.name != "*")
        elif sys.version_info >= (3, 12) and isinstance(node, ast.TypeAlias):
            names.extend(_bound_names(node.name))
        if names:
            span = _guarded(_span(node), guard)
            for name in names:
                table.setdefault(prefix + name, []).append(span)


def _guarded(span: Span, guard: int) -> Span:
    return (min(span[0], guard), span[1]) if guard else span


def _nested_bodies(node: ast.stmt) -> Iterable[list[ast.stmt]]:
    """Bodies of compound statements that are not scopes (if/try/with/for/while/match)."""
    if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While)):
        yield node.body
        yield node.orelse
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        yield node.body
    elif isinstance(node, (ast.Try, ast.TryStar)):
        yield node.body
        for handler in node.handlers:
            yield handler.body
        yield node.orelse
        yield node.finalbody
    elif isinstance(node, ast.Match):
        for case in node.cases:
            yield case.body


def symbol_table(source: str, *, filename: str, python_hint: str = "") -> SymbolTable:
    """Map every dotted symbol name in ``source`` to its line spans.

    Covers classes, functions, methods (``Class.method``), nested
    definitions, and names bound at module or class level by assignments
    and imports, also inside module-level ``if``/``try``/``with`` blocks.
    Spans start at the first decorator (or at the first line of the enclosing
    ``if``/``try``/... block of a definition or binding inside one) and end at
    ``end_lineno``.

    Raises :class:`CheckoutError` (subtype ``unparsable``) when the running
    Python cannot parse the file, naming both versions and the reason; also
    when :mod:`ast` gives up (``RecursionError`` for too deep a nesting,
    ``MemoryError`` when the parser's stack overflows) or fails in any other way.
    """
    running = ".".join(str(v) for v in sys.version_info[:3])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=filename)
        table: SymbolTable = {}
        _walk(tree.body, "", table, in_function=False)
    except SyntaxError as exc:
        needed = f"it needs Python {python_hint}" if python_hint else "it may need a newer Python"
        where = f" (line {exc.lineno}: {exc.msg})" if exc.lineno else f" ({exc.msg})"
        raise CheckoutError(
            f"cannot parse {filename} with the running Python {running}{where}; {needed}: "
            "run the build with that Python to check symbol anchors",
            subtype="unparsable",
        ) from None
    except (RecursionError, MemoryError) as exc:
        # the parser's own limits: nesting too deep for ast, or its stack overflowed
        reason = str(exc) or type(exc).__name__
        raise CheckoutError(
            f"cannot parse {filename} with the running Python {running}: it nests too deeply or is "
            f"too complex for the parser ({type(exc).__name__}: {reason}), so its symbols cannot be checked",
            subtype="unparsable",
        ) from None
    except Exception as exc:  # any other failure of the parser is a verdict on this file, never a crash
        raise CheckoutError(
            f"cannot parse {filename} with the running Python {running} ({type(exc).__name__}: {exc})",
            subtype="unparsable",
        ) from None
    return table
