"""A Sphinx-free scanner for citations in MyST pages (``pypatterns check`` and the background verifier).

A page is read with the tokenizer the build reads it with: markdown-it-py with
the plugins MyST enables (``myst_parser.parsers.mdit.create_md_parser``) and the
``colon_fence`` rule this extension turns on. ``myst_parser.parsers.mdit`` imports
docutils, so the same parser is assembled here from ``markdown_it`` and
``mdit_py_plugins``. What MyST does with the tokens is followed as far as it decides
where a citation is:

- a role is ``{cite}`` or ``{pp:cite}`` (any case, as Sphinx looks names up); its
  line is the line of its opening backtick, also for a role split across lines;
- a ``cite`` or ``pp:cite`` directive (backtick or colon fence) is a citation at its
  fence line, with its target on that line and ``:symbol:`` from its option block,
  read as the build reads it (``_options.read_options``: as written, never as
  YAML); the rest (the claim) is read as MyST again;
- nothing in fenced or indented code, ``code-block``/``code``/``sourcecode`` and
  the other directives whose body is not MyST, ``%`` comments, HTML, inline code,
  front matter or image descriptions is a citation; the body (and the title) of
  any other directive is read as MyST, at the lines MyST gives it;
- an ``{eval-rst}`` block is reStructuredText: its ``:cite:`` roles and ``.. cite::``
  directives are citations, outside literal blocks, comments and code directives.

Lines are the page's own lines. Only the inline text of blocks that can hold a
citation is tokenized further (most of it by :func:`_simple_roles`, which reads it
as markdown-it would), and a page with no ``cite`` in it is not tokenized at all.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .found import CITE_NAMES, COUNT_NAMES, MAY_CITE, MAY_HOLD, NO_ARGUMENT, OPAQUE_BODY, PLAIN_ARGUMENT, FoundCitation
from .options import read_options
from .quotes import shows_quotes
from .scan_rst import _scan_rst

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["FoundCitation", "scan_page"]


def scan_page(
    path: Path | str, text: str, *, bare_cite: bool = True, counts: bool = False, bare_count: bool = True
) -> Iterator[FoundCitation]:
    """Every ``{cite}`` role and ``cite`` directive that the build reads in a MyST page, with its line;
    with ``counts``, every ``{count}`` role too (``FoundCitation.count``), in page order.

    ``bare_cite``: the bare ``{cite}`` role is this extension's (``"cite"`` in
    ``pypatterns_bare_roles``); when it is not, only ``{pp:cite}`` roles are citations.
    ``bare_count``: the same for ``{count}``.
    """
    if not (MAY_HOLD if counts else MAY_CITE).search(text):
        return  # the fast path: most pages of a site cite nothing
    name = os.fspath(path)
    text = text.removeprefix("\ufeff")  # the build reads pages as utf-8-sig
    found: list[FoundCitation] = []
    _scan_text(_parser(), text, 0, name, found)
    for f in found:
        if f.count:
            if counts and (bare_count or not f.bare):
                yield f
        elif bare_cite or not f.bare:
            yield f


#: The role rule of ``mdit_py_plugins.myst_role``: ``{name}`` then a run of backticks.
_ROLE_NAME = re.compile(r"\{([a-zA-Z0-9\_\-\+\:]+)\}")

#: The inline rules that decide where a role is: every other rule only splits or marks up
#: text (emphasis, entities, line breaks) and never consumes the ``{`` that starts a role.
_INLINE_RULES = ["text", "escape", "myst_role", "backticks", "link", "image", "footnote_ref", "autolink", "html_inline"]


@cache
def _parser() -> MarkdownIt:
    """markdown-it as ``create_md_parser`` configures it for MyST, with ``colon_fence``.

    The core ``inline`` rule is off: :func:`_scan_inline` tokenizes the inline text
    of a block only when it may hold a citation, with the rules that decide where
    roles are, and notes the roles without making tokens.
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin
    from mdit_py_plugins.myst_blocks import myst_block_plugin
    from mdit_py_plugins.myst_role import myst_role_plugin

    md = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(front_matter_plugin)
        .use(myst_block_plugin)
        .use(myst_role_plugin)
        .use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    )
    try:  # what MyST 5 uses (markdown-it-py 4); earlier MyST versions use the plugin
        from markdown_it.rules_block import make_fence_rule
    except ImportError:  # pragma: no cover - older markdown-it-py
        from mdit_py_plugins.colon_fence import colon_fence_plugin

        md.use(colon_fence_plugin)
    else:
        colon_fence = make_fence_rule(markers=(":",), token_type="colon_fence", exact_match=False)
        alt = ["paragraph", "reference", "blockquote", "list", "footnote_def"]
        md.block.ruler.before("fence", "colon_fence", colon_fence, {"alt": alt})
    md.inline.ruler.at("myst_role", _role_rule)
    md.inline.ruler.enableOnly(_INLINE_RULES)
    md.inline.ruler2.enableOnly([])
    md.core.ruler.disable("inline")
    # a setext underline (``===``, ``---``) holds no role, and without the rule the line above
    # it is read as the same paragraph text on the same lines: the rule only costs time
    md.block.ruler.disable("lheading")
    return md


def _role_at(src: str, pos: int, unclosed: dict[int, int]) -> tuple[int, str, str] | None:
    """The role starting at ``pos`` as ``mdit_py_plugins.myst_role`` reads it: ``(end, name, content)``.

    ``unclosed`` maps a number of backticks to an offset from which no such run follows,
    so that a text full of unclosed roles is read in linear time.
    """
    match = _ROLE_NAME.match(src, pos)
    if not match:
        return None
    start = tick = match.end()
    end = len(src)
    while tick < end and src[tick] == "`":
        tick += 1
    if tick >= end or tick == start:
        return None  # (the plugin stops at the end of the text, even after backticks)
    count = tick - start
    if unclosed.get(count, end + 1) <= tick + 1:
        return None
    close = src.find("`" * count, tick + 1)
    if close < 0:
        unclosed[count] = tick + 1
        return None
    return close + count, match.group(1), src[tick:close].replace("\n", " ")


def _role_rule(state: StateInline, silent: bool) -> bool:
    """``mdit_py_plugins.myst_role.myst_role``, step for step (:func:`_role_at`), without copying
    the rest of the text at every ``{``; a role of the block's own text is noted in
    ``env["pp_roles"]`` as ``(offset, name, content)``, and no token is made."""
    env = state.env
    own = env.get("pp_src") is state.src  # not an image's description, parsed on its own
    unclosed: dict[int, int] = env["pp_unclosed"] if own else {}
    role = _role_at(state.src, state.pos, unclosed)
    if role is None:
        return False
    if not silent and own:
        env["pp_roles"].append((state.pos, role[1], role[2]))
    state.pos = role[0]
    return True


#: Where an inline rule may start: a role, a code span, an escape; a link, image, footnote
#: reference, autolink or HTML tag (``[``, ``<``), for which :func:`_simple_roles` gives up.
_INLINE_STOP = re.compile(r"[{`\\<\[]")


def _simple_roles(src: str) -> list[tuple[int, str, str]] | None:
    """The roles of inline text, found as markdown-it's rules find them, or ``None`` (use markdown-it).

    Text holding only roles, code spans and escapes (most text that cites) is read
    here, rule for rule as :func:`_role_rule`, markdown-it's ``backticks`` and
    ``escape`` read it; a ``[`` or ``<`` outside them hands the text to markdown-it.
    """
    roles: list[tuple[int, str, str]] = []
    unclosed: dict[int, int] = {}
    last_runs: dict[int, int] | None = None
    end = len(src)
    pos = 0
    while True:
        stop = _INLINE_STOP.search(src, pos)
        if stop is None:
            return roles
        at = stop.start()
        char = src[at]
        if char == "{":
            role = _role_at(src, at, unclosed)
            if role is None:
                pos = at + 1
            else:
                roles.append((at, role[1], role[2]))
                pos = role[0]
        elif char == "`":
            opener = at + 1
            while opener < end and src[opener] == "`":
                opener += 1
            pos = opener  # no closer: the run is text
            if last_runs is None:
                last_runs = _last_runs(src)
            if last_runs.get(opener - at, -1) < opener:
                continue  # as markdown-it's ``backticks`` knows from the same table
            search = opener
            while (run := src.find("`", search)) >= 0:
                run_end = run + 1
                while run_end < end and src[run_end] == "`":
                    run_end += 1
                if run_end - run == opener - at:
                    pos = run_end  # a code span
                    break
                search = run_end
        elif char == "\\":
            pos = at + 2  # an escaped character, or a line break (markdown-it's ``escape``)
        else:
            return None


def _last_runs(src: str) -> dict[int, int]:
    """The offset of the last run of backticks of each length (markdown-it's ``_build_last_runs``)."""
    runs: dict[int, int] = {}
    for run in re.finditer("`+", src):
        runs[run.end() - run.start()] = run.start()
    return runs


def _scan_text(md: MarkdownIt, text: str, offset: int, name: str, found: list[FoundCitation]) -> None:
    """Scan MyST ``text`` whose first line is line ``offset + 1`` of the page."""
    env: dict[str, object] = {}
    tokens = md.parse(text, env)
    for token in tokens:
        kind = token.type
        if kind == "inline":
            if token.map is not None and MAY_HOLD.search(token.content):
                _scan_inline(md, token.content, env, offset + token.map[0], name, found)
        elif kind in ("fence", "colon_fence") and token.map is not None:
            _scan_fence(md, token, offset + token.map[0], name, found)


def _scan_inline(
    md: MarkdownIt, src: str, env: dict[str, object], first: int, name: str, found: list[FoundCitation]
) -> None:
    """The cite roles of one block's inline text ``src``, whose first line is line ``first + 1``."""
    roles = _simple_roles(src)
    if roles is None:
        roles = []
        env.update(pp_src=src, pp_roles=roles, pp_unclosed={})
        try:
            md.inline.parse(src, md, env, [])
        finally:
            del env["pp_src"], env["pp_roles"], env["pp_unclosed"]
    breaks: list[int] | None = None
    for pos, role, content in roles:
        lower = role.lower()
        if lower not in CITE_NAMES and lower not in COUNT_NAMES:
            continue
        if breaks is None:
            breaks = [i for i, char in enumerate(src) if char == "\n"] if "\n" in src else []
        line = first + bisect.bisect_left(breaks, pos) + 1
        if lower in CITE_NAMES:
            found.append(FoundCitation(name, line, content, bare=lower == "cite"))
        else:
            found.append(FoundCitation(name, line, content, bare=lower == "count", count=True))


def _scan_fence(md: MarkdownIt, token: Token, line0: int, name: str, found: list[FoundCitation]) -> None:
    """A fence at 0-based page line ``line0``: code, a directive, or (colons) a div."""
    parts = token.info.strip().split(maxsplit=1)
    head = parts[0] if parts else ""
    first_line = parts[1] if len(parts) > 1 else ""
    content = token.content
    if not (head.startswith("{") and head.endswith("}")):
        if token.type == "colon_fence":  # a div: its body is MyST
            _scan_text(md, content, line0 + 1, name, found)
        return  # fenced code
    directive = head[1:-1].lower()
    if directive == "eval-rst" and token.type == "fence":
        if MAY_HOLD.search(content):
            _scan_rst(content, line0 + 1, name, found)
        return
    bare = directive.removeprefix("pp:")  # the extension's directives also exist with the domain prefix
    if bare in OPAQUE_BODY or not MAY_HOLD.search(token.info + content):
        return
    # MyST puts a blank line before a colon-fenced body that starts with a nested fence (so
    # that it is not read as an option) and so numbers that body one line down; the lines
    # here are the lines of the page, where the author must look
    opening = first_line if directive in NO_ARGUMENT and first_line.strip() else None
    if directive in CITE_NAMES:
        # the extension's own directive: its options are read as the build reads them
        # (``_options.read_options``: as written, never as YAML), and the rest is the claim
        lines = content.splitlines()
        block = read_options(lines)
        symbol = " ".join((block.values.get("symbol", "") + " " + shows_quotes(block.values.get("shows", ""))).split())
        found.append(FoundCitation(name, line0 + 1, f"{first_line.strip()}\x00{symbol}", directive=True))
        for start, length in block.rest:
            _scan_text(md, "\n".join(lines[start : start + length]), line0 + 1 + start, name, found)
        return
    body, body_offset = _directive_parts(content, opening)
    if opening is None and first_line.strip() and bare not in PLAIN_ARGUMENT:
        _scan_text(md, first_line, line0, name, found)  # a title, parsed inline on the opening line
    if body:
        # the body as MyST's nested parse reads it: the directive's line plus the body's offset
        _scan_text(md, "\n".join(body), line0 + 1 + body_offset, name, found)


def _directive_parts(content: str, opening: str | None = None) -> tuple[list[str], int]:
    """``(body lines, offset of the body from the line after the fence)``, as MyST's
    ``parse_directive_text`` splits a directive's content; ``opening`` is the text on the
    opening line of a directive that takes no argument, the first line of its body."""
    offset = 0
    if content.startswith("---"):
        lines = content.splitlines()[1:]
        for index, line in enumerate(lines):
            if line.startswith("---"):
                remainder = line.lstrip("-").removeprefix(" ")
                rest = lines[index + 1 :]
                content = "\n".join([remainder, *rest] if remainder else rest)
                offset = index + 1 if remainder else index + 2
                break
        else:
            offset = len(content.splitlines())
            content = ""
    elif content.lstrip().startswith(":"):
        lines = content.splitlines()
        skipped = 0
        while lines and lines[0].lstrip().startswith(":") and not lines[0].lstrip().startswith(":::"):
            lines.pop(0)
            skipped += 1
        offset = skipped
        content = "\n".join(lines)
    body = content.splitlines()
    if opening is not None:
        body.insert(0, opening)
        offset -= 1
    if body and not body[0].strip():
        body = body[1:]
        offset += 1
    return body, offset
