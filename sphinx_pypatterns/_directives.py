"""The header directives (``pattern``, ``smell``, ``source-note``), ``cite`` and ``pattern-checklist``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from ._defaults import SLUG_RE
from ._log import warn
from ._nodes import pp_backlinks, pp_checklist, pp_dashboard, pp_excerpt, pp_matrix, pp_pins
from ._records import HeaderRecord
from ._targets import parse_anchor

__all__ = [
    "ChecklistDirective",
    "CiteDirective",
    "DashboardDirective",
    "MatrixDirective",
    "PatternDirective",
    "PinTableDirective",
    "SmellDirective",
    "SourceNoteDirective",
]


class _AnyOption(dict[str, Callable[[str], Any]]):
    """An option spec that lets every key through, so ``run()`` can name typos.

    MyST and docutils drop unknown options before a directive runs; we want
    a ``pypatterns.unknown_option`` warning at the directive instead.
    """

    def __init__(self, known: tuple[str, ...]) -> None:
        super().__init__((k, directives.unchanged) for k in known)
        self.known = known

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Callable[[str], Any]:
        return directives.unchanged

    def __bool__(self) -> bool:
        return True


class _HeaderDirective(SphinxDirective):
    """Common behaviour of the three header directives."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    has_content = False
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        docname = self.env.docname
        location = (docname, self.lineno)
        known = self.required + self.optional
        opts: dict[str, str] = {}
        for key, value in self.options.items():
            if key not in known:
                warn(
                    f"unknown option :{key}: in {self.kind} (known: {', '.join(':' + k + ':' for k in known)})",
                    "unknown_option",
                    location,
                )
                continue
            opts[key] = " ".join(str(value or "").split())
        for key in self.required:
            if key not in self.options:
                warn(f"{self.kind} is missing the required option :{key}:", "missing_option", location)
            elif not opts.get(key):
                warn(f"{self.kind} option :{key}: is empty", "empty_option", location)
        record = self.make_record(opts, location)
        domain = self.env.get_domain("pp")
        domain.note_header(record, location)  # type: ignore[attr-defined]
        return [self.card(record)]

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        raise NotImplementedError

    def check_id(self, value: str, location: tuple[str, int]) -> str:
        if value and not SLUG_RE.match(value):
            warn(
                f"id {value!r} is not a lower-case slug (letters a-z, digits and single hyphens)",
                "bad_id",
                location,
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
    """``pattern``: :id:, :area:, :rule: required; :tags: optional."""

    kind = "pattern"
    required = ("id", "area", "rule")
    optional = ("tags",)
    option_spec = _AnyOption(required + optional)

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        pid = self.check_id(opts.get("id", ""), location)
        area = opts.get("area", "")
        areas = list(self.config.pypatterns_areas)
        if area and area not in areas:
            warn(f"unknown area {area!r} (pypatterns_areas: {', '.join(areas)})", "unknown_area", location)
        rule = opts.get("rule", "")
        limit = self.config.pypatterns_rule_max_words
        words = len(rule.split())
        if words > limit:
            warn(f"the rule has {words} words, over pypatterns_rule_max_words = {limit}", "rule_too_long", location)
        tags = [t.strip() for t in re.split(r"[,\s]+", opts.get("tags", "")) if t.strip()]
        return _record("pattern", pid, pid, location, area=area, rule=rule, tags=tags)

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        fields: list[tuple[str, nodes.Element]] = [
            ("Id", nodes.paragraph("", "", nodes.literal(record["id"], record["id"]))),
            ("Area", _para(record["area"])),
            ("Rule", _para(record["rule"])),
        ]
        if record["tags"]:
            fields.append(("Tags", _para(", ".join(record["tags"]))))
        return fields


class SmellDirective(_HeaderDirective):
    """``smell``: :id:, :inverts:, :summary: required."""

    kind = "smell"
    required = ("id", "inverts", "summary")
    option_spec = _AnyOption(required)

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
    option_spec = _AnyOption(required)

    def make_record(self, opts: dict[str, str], location: tuple[str, int]) -> HeaderRecord:
        upstream = opts.get("upstream", "")
        domain = self.env.get_domain("pp")
        known = domain.upstream_names()  # type: ignore[attr-defined]
        if upstream and upstream not in known:
            names = ", ".join(sorted(known)) or "none configured"
            warn(f"unknown upstream {upstream!r} (known: {names})", "unknown_upstream", location)
        anchor = f"source-{upstream}" if upstream else ""
        return _record("source-note", upstream, anchor, location, upstream=upstream)

    def card_fields(self, record: HeaderRecord) -> list[tuple[str, nodes.Element]]:
        return [("Upstream", nodes.paragraph("", "", nodes.literal(record["id"], record["id"])))]


class CiteDirective(SphinxDirective):
    """``cite``: an excerpt of cited lines with a claim and a caption.

    Argument: the target. Options: ``:symbol:`` (anchor) and ``:caption:``.
    """

    required_arguments = 1
    final_argument_whitespace = False
    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], str]]] = {  # type: ignore[misc]
        "symbol": directives.unchanged,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        from ._roles import make_cite_node

        container = nodes.container(classes=["pypatterns-cite-block"])
        self.set_source_info(container)
        if self.content:
            claim = nodes.container(classes=["pypatterns-claim"])
            self.state.nested_parse(self.content, self.content_offset, claim)
            container += claim.children
        symbol = (self.options.get("symbol") or "").strip()
        if symbol and parse_anchor(symbol) is None:
            warn(f"the :symbol: {symbol!r} is not a dotted Python name", "bad_target", (self.env.docname, self.lineno))
        ref = make_cite_node(
            self.env,
            self.arguments[0],
            parse_anchor(symbol) or "",
            symbol,
            self.env.docname,
            self.lineno,
            block=True,
        )
        if symbol and parse_anchor(symbol) is None and "error" not in ref:
            # the one warning is the bad :symbol: above; the citation is not verified without it
            ref["error"] = "bad_target"
            ref["message"] = f"the :symbol: {symbol!r} is not a dotted Python name"
        excerpt = pp_excerpt("", caption=(self.options.get("caption") or "").strip())
        excerpt += ref
        container += excerpt
        return [container]


class _GlobalPageDirective(SphinxDirective):
    """A directive that shows global data: noted, so its page is rewritten when that data changes."""

    has_content = False
    kind: ClassVar[str]
    node_class: ClassVar[type[nodes.Element]]

    def run(self) -> list[nodes.Node]:
        node = self.node_class("", docname=self.env.docname)
        self.set_source_info(node)
        self.env.get_domain("pp").note_global_page(self.env.docname, self.kind)  # type: ignore[attr-defined]
        return [node]


class ChecklistDirective(_GlobalPageDirective):
    """``pattern-checklist``: every pattern's id and rule, grouped by area; ``:area:`` shows one area."""

    kind = "checklist"
    node_class = pp_checklist
    option_spec = _AnyOption(("area",))

    def run(self) -> list[nodes.Node]:
        (node,) = super().run()
        assert isinstance(node, nodes.Element)
        location = (self.env.docname, self.lineno)
        for key, value in self.options.items():
            if key != "area":
                warn(f"unknown option :{key}: in pattern-checklist (known: :area:)", "unknown_option", location)
                continue
            area = " ".join(str(value or "").split())
            areas = list(self.config.pypatterns_areas)
            if not area:
                warn("empty option :area: in pattern-checklist", "empty_option", location)
            elif area not in areas:
                warn(f"unknown area {area!r} (pypatterns_areas: {', '.join(areas)})", "unknown_area", location)
            else:
                node["area"] = area
        return [node]


class MatrixDirective(_GlobalPageDirective):
    """``evidence-matrix``: citation counts per pattern and upstream, with totals."""

    kind = "matrix"
    node_class = pp_matrix


class PinTableDirective(_GlobalPageDirective):
    """``pin-table``: upstream, tag, full commit, license and how each checkout was materialised."""

    kind = "pins"
    node_class = pp_pins


class DashboardDirective(_GlobalPageDirective):
    """``evidence-dashboard``: candidates, patterns without smells, uncited upstreams, rule findings."""

    kind = "dashboard"
    node_class = pp_dashboard
