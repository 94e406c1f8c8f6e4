"""The header directives (``pattern``, ``smell``, ``source-note``) and ``cite``; the base of every directive."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from docutils import nodes
from myst_parser.mocking import MockState
from sphinx.util.docutils import SphinxDirective

from .._core.defaults import SLUG_RE
from .._core.hints import close_matches, did_you_mean
from .._core.options import OptionBlock, read_options
from .._core.quotes import shows_quotes
from .._core.records import HeaderRecord
from .._core.targets import parse_anchor
from .access import domain_of
from .log import warn
from .nodes import pp_backlinks, pp_excerpt
from .placement import directive_line, included_source, location_of

__all__ = ["CiteDirective", "PPDirective", "PatternDirective", "SmellDirective", "SourceNoteDirective"]


class PPDirective(SphinxDirective):
    """A directive of ours: it reads its options itself, from its raw lines.

    With no ``option_spec``, MyST and docutils hand the option lines over untouched, as
    the first lines of the content, and every directive here reads them the same way
    (:func:`._options.read_options`): each value arrives whole, as written (MyST's YAML-like
    reading would cut a value at ``#`` and misread one that starts with a quote), and an
    unknown option is a ``pypatterns.unknown_option`` at the option's own line.
    """

    option_spec = None  # type: ignore[assignment]
    has_content = True
    known: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str] = ""

    def included(self) -> str:
        """``""``, or the included file this directive is written in."""
        return included_source(self.env, self.get_source_info()[0])

    def target(self) -> str | None:
        """The target of a citation directive (placed where ``pypatterns check`` finds it); else ``None``."""
        return None

    def line(self) -> int:
        """The directive's own line in its page or included file (see :func:`._roles.directive_line`)."""
        placed: int | None = getattr(self, "_pp_line", None)
        if placed is None:  # once: placing a citation takes it
            placed = directive_line(self.env, self.name, self.target(), self.lineno, self.included())
            self._pp_line = placed
        return placed

    def where(self, line: int | None = None) -> tuple[str, int] | str:
        """The location of ``line`` (default: the directive's own line) for a warning."""
        return location_of(self.env, self.env.docname, self.included(), line or self.line())

    def content_line(self, index: int) -> int:
        """The source line of ``self.content[index]``."""
        if isinstance(self.state, MockState):  # MyST: the offset counts from the directive's line
            return self.line() + 1 + self.content_offset + index
        return self.content_offset + index + 1

    def read_options(self) -> OptionBlock:
        """Split the content into its option block, at its top, and the rest (see :func:`read_options`)."""
        # MyST moves text written on the line of a directive that takes no argument into the content
        on_line = isinstance(self.state, MockState) and self.content_offset < 0
        return read_options(list(self.content), first_is_text=on_line)

    def check_options(self, found: OptionBlock, line_of: Callable[[int], int] | None = None) -> dict[str, str]:
        """Warn for every unknown or malformed option, at its own line; return the known ones.

        ``line_of``: the source line of the ``found`` line of that index (default: of the content).
        """
        line_of = line_of or self.content_line
        label = self.label or self.name
        known = ", ".join(f":{k}:" for k in self.known) or "none"
        for key, index in zip(found.given, found.given_at, strict=True):
            if key not in self.known:
                near = close_matches(key, self.known, n=1)
                hint = f" (did you mean :{near[0]}:?)" if near else ""
                warn(
                    f"unknown option :{key}: in {label}{hint} (known: {known})",
                    "unknown_option",
                    self.where(line_of(index)),
                )
        for index, text in found.malformed:
            warn(
                f"{text[:80]!r} in {label} is not an option: write ':name: value' (known: {known})",
                "unknown_option",
                self.where(line_of(index)),
            )
        return {k: v for k, v in found.values.items() if k in self.known}

    def keep_rest(self, found: OptionBlock, what: str) -> list[nodes.Node]:
        """Text in a directive that takes none: one warning, and the text rendered, not lost."""
        kept: list[nodes.Node] = []
        for index, count in found.rest:
            lines = self.content[index : index + count]
            if not any(line.strip() for line in lines):
                continue
            skip = next(i for i, line in enumerate(lines) if line.strip())
            warn(
                f"the {self.label or self.name} {what} holds only ':name: value' option lines; "
                f"the text {lines[skip].strip()[:60]!r} is shown after it",
                "unknown_option",
                self.where(self.content_line(index + skip)),
            )
            box = nodes.container(classes=["pypatterns-extra-text"])
            self.state.nested_parse(lines, self.content_offset + index, box)
            kept.extend(box.children)
        return kept


class _HeaderDirective(PPDirective):
    """Common behaviour of the three header directives."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    optional_texts: ClassVar[tuple[str, ...]] = ()  # optional options that, when given, need a value

    def run(self) -> list[nodes.Node]:
        docname = self.env.docname
        location = (docname, self.line())
        found = self.read_options()
        opts = {key: " ".join(value.split()) for key, value in self.check_options(found).items()}
        for key in self.required:
            if key not in found.values:
                warn(f"{self.kind} is missing the required option :{key}:", "missing_option", self.where())
            elif not opts.get(key):
                warn(f"{self.kind} option :{key}: is empty", "empty_option", self.where())
        for key in self.optional_texts:
            if key in found.values and not opts.get(key):
                warn(f"{self.kind} option :{key}: is empty: give the reason, or drop it", "empty_option", self.where())
        record = self.make_record(opts, location)
        domain_of(self.env).note_header(record, self.where())
        return [self.card(record), *self.keep_rest(found, "header")]

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        raise NotImplementedError

    def check_id(self, value: str, location: tuple[str, int]) -> str:
        if value and not SLUG_RE.match(value):
            warn(
                f"id {value!r} is not a lower-case slug (letters a-z, digits and single hyphens)",
                "bad_id",
                self.where(),
            )
        return value

    def card(self, record: HeaderRecord) -> nodes.Element:
        card = nodes.container(classes=["pypatterns-card", f"pypatterns-{self.kind}"])
        card["pp-kind"] = self.kind
        card["pp-id"] = record["id"]
        self.set_source_info(card)
        anchor = record["anchor"]
        if anchor and anchor not in self.state.document.ids:
            card["ids"].append(anchor)
            self.state.document.ids[anchor] = card
        fields = nodes.field_list(classes=["pypatterns-fields"])
        for label, body in self.card_fields(record):
            name = nodes.field_name("", label)
            # with a source and line, Sphinx's source workaround leaves the field name alone
            # (it would otherwise serialise every field name to XML for a debug message)
            name.source, name.line = card.source, card.line
            fields += nodes.field("", name, nodes.field_body("", body))
        card += fields
        card += pp_backlinks("", docname=self.env.docname, kind=self.kind, ppid=record["id"])
        return card

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        raise NotImplementedError


def _record(kind: str, ident: str, anchor: str, location: tuple[str, int], **fields: object) -> HeaderRecord:
    """A header record with every field not given left empty."""
    record = HeaderRecord(
        kind=kind,
        id=ident,
        anchor=anchor,
        docname=location[0],
        lineno=location[1],
        title="",
        area="",
        rule="",
        tags=[],
        inverts=[],
        summary="",
        no_smell="",
        upstream="",
        sections={},
    )
    record.update(fields)  # type: ignore[typeddict-item]
    return record


def _para(text: str) -> nodes.paragraph:
    return nodes.paragraph("", text)


def _xref_list(kind: str, ids: list[str], docname: str) -> nodes.paragraph:
    from sphinx.addnodes import pending_xref

    para = nodes.paragraph()
    for i, target in enumerate(ids):
        if i:
            para += nodes.Text(", ")
        ref = pending_xref("", refdomain="pp", reftype=kind, reftarget=target, refdoc=docname, refwarn=False)
        ref += nodes.literal(target, target, classes=["xref", "pp", f"pp-{kind}"])
        para += ref
    return para


class PatternDirective(_HeaderDirective):
    """``pattern``: :id:, :area:, :rule: required; :tags: and :no-smell: optional."""

    kind = "pattern"
    required = ("id", "area", "rule")
    optional = ("tags", "no-smell")
    optional_texts = ("no-smell",)
    known = required + optional
    label = kind

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        pid = self.check_id(opts.get("id", ""), location)
        area = opts.get("area", "")
        areas = list(self.config.pypatterns_areas)
        if area and area not in areas:
            hint = did_you_mean(area, areas)
            warn(f"unknown area {area!r}{hint} (pypatterns_areas: {', '.join(areas)})", "unknown_area", self.where())
        rule = opts.get("rule", "")
        limit = self.config.pypatterns_rule_max_words
        words = len(rule.split())
        if words > limit:
            warn(f"the rule has {words} words, over pypatterns_rule_max_words = {limit}", "rule_too_long", self.where())
        tags = [t.strip() for t in re.split(r"[,\s]+", opts.get("tags", "")) if t.strip()]
        no_smell = opts.get("no-smell", "")
        return _record("pattern", pid, pid, location, area=area, rule=rule, tags=tags, no_smell=no_smell)

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        fields: list[tuple[str, nodes.Element]] = [
            ("Id", nodes.paragraph("", "", nodes.literal(record["id"], record["id"]))),
            ("Area", _para(record["area"])),
            ("Rule", _para(record["rule"])),
        ]
        if record["tags"]:
            fields.append(("Tags", _para(", ".join(record["tags"]))))
        if record["no_smell"]:
            fields.append(("No smell", _para(record["no_smell"])))
        return fields


class SmellDirective(_HeaderDirective):
    """``smell``: :id:, :inverts:, :summary: required."""

    kind = "smell"
    required = ("id", "inverts", "summary")
    known = required
    label = kind

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        sid = self.check_id(opts.get("id", ""), location)
        inverts = [t for t in re.split(r"[,\s]+", opts.get("inverts", "")) if t]
        return _record("smell", sid, sid, location, inverts=inverts, summary=opts.get("summary", ""))

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        return [
            ("Id", nodes.paragraph("", "", nodes.literal(record["id"], record["id"]))),
            ("Inverts", _xref_list("pattern", record["inverts"], self.env.docname)),
            ("Summary", _para(record["summary"])),
        ]


class SourceNoteDirective(_HeaderDirective):
    """``source-note``: :upstream: required; its id is the upstream name."""

    kind = "source-note"
    required = ("upstream",)
    known = required
    label = kind

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        upstream = opts.get("upstream", "")
        known = domain_of(self.env).upstream_names()
        if upstream and upstream not in known:
            names = ", ".join(sorted(known)) or "none configured"
            hint = did_you_mean(upstream, known)
            warn(f"unknown upstream {upstream!r}{hint} (known: {names})", "unknown_upstream", self.where())
        anchor = f"source-{upstream}" if upstream else ""
        return _record("source-note", upstream, anchor, location, upstream=upstream)

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        return [("Upstream", nodes.paragraph("", "", nodes.literal(record["id"], record["id"])))]


class CiteDirective(PPDirective):
    """``cite``: an excerpt of cited lines with a claim and a caption.

    Argument: the target, read whole as the role reads its text (a path may hold a
    space; a missing target is an ``empty_target``). Options: ``:symbol:`` (anchor)
    ``:shows:`` (one or more double-quoted quotes of the code the claim is about: a quote
    anchor) and ``:caption:``. The body, after the options, is the claim.
    """

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    known = ("symbol", "shows", "caption")
    label = "cite"

    def target(self) -> str | None:
        return (self.arguments[0] if self.arguments else "").partition("\n")[0]

    def run(self) -> list[nodes.Node]:
        from .roles import make_cite_node

        lineno = self.line()  # first: the claim's citations come after it
        target, _, more = (self.arguments[0] if self.arguments else "").partition("\n")
        if more:
            # docutils (rST) joins the lines after the target, up to a blank line, to the
            # argument: they are the options, and the content is the claim
            found = read_options(more.splitlines())
            found.malformed += [(i, more.splitlines()[i].strip()) for i, _n in found.rest]
            found.rest = [(0, len(self.content))] if self.content else []
            opts = self.check_options(found, lambda index: lineno + 1 + index)
        else:
            found = self.read_options()
            opts = self.check_options(found)
        container = nodes.container(classes=["pypatterns-cite-block"])
        self.set_source_info(container)
        for index, count in found.rest:
            claim = nodes.container(classes=["pypatterns-claim"])
            self.state.nested_parse(self.content[index : index + count], self.content_offset + index, claim)
            container += claim.children
        symbol = " ".join(opts.get("symbol", "").split())
        shows = shows_quotes(opts.get("shows", ""))
        problem = ""
        if symbol and ('"' in symbol or parse_anchor(symbol) is None):
            problem = f"the :symbol: {symbol!r} is not a dotted Python name"
        elif shows and parse_anchor(shows) is None:
            problem = f'the :shows: {shows!r} is not a list of double-quoted quotes ("…" "…")'
        if problem:
            warn(problem, "bad_target", self.where())
        anchor = " ".join(f"{symbol} {shows}".split())
        ref = make_cite_node(
            self.env,
            target,
            "" if problem else parse_anchor(anchor) or "",
            symbol,
            self.env.docname,
            lineno,
            block=True,
            source=self.included(),
        )
        if problem and "error" not in ref:
            # the one warning is the bad option above; the citation is not verified without it
            ref["error"] = "bad_target"
            ref["message"] = problem
        excerpt = pp_excerpt("", caption=" ".join(opts.get("caption", "").split()))
        excerpt += ref
        container += excerpt
        return [container]
