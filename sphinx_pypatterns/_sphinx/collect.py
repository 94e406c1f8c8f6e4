"""What a page contributes, collected from its doctree once it is read (``process_doc``).

The structure checks (the header right under the title, the required sections), the
citation records with their sections, the candidates and cross-references, and a
source note's repeated items.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.environment import BuildEnvironment

from .._core.claims import split_sentences
from .._core.defaults import PLACEHOLDER
from .._core.records import CandidateRecord, CitationRecord, ClaimRecord, CountRecord, HeaderRecord, ItemRecord
from .config import evidence_rules, required_sections
from .log import warn
from .nodes import pp_cite, pp_count

__all__ = ["Collected", "collect_page"]


@dataclass
class Collected:
    """A page's records, as read (their verdicts come at ``env-updated``)."""

    citations: list[CitationRecord] = field(default_factory=list)
    counts: list[CountRecord] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)
    candidates: list[CandidateRecord] = field(default_factory=list)
    xrefs: list[list[str]] = field(default_factory=list)  # [kind, id] of every pp cross-reference
    items: list[ItemRecord] = field(default_factory=list)


#: pp_cite attributes copied into its CitationRecord at read time.
_RECORDED = ("symbol", "lineno", "source", "block", "upstream", "path", "start", "end", "error", "message")


def collect_page(
    env: BuildEnvironment, docname: str, document: nodes.document, header: HeaderRecord | None
) -> Collected:
    """Check the page's structure, complete its ``header`` (title, sections) and collect its records."""
    top = next((n for n in document.children if isinstance(n, nodes.section)), None)
    title = top[0].astext() if top is not None and top.children and isinstance(top[0], nodes.title) else ""
    if header is not None:
        header["title"] = title or header["id"]
    cards = [n for n in document.findall(nodes.container) if n.get("pp-kind")]
    for card in cards[:1]:  # a second header has its own warning (duplicate_header)
        _check_placement(card, top, docname)
    if header is not None and top is not None:
        header["sections"] = _section_lines(top)
        _check_sections(env, header, top, docname)
    page = Collected()
    section_of = _section_titles(top)
    if header is not None and header["kind"] == "source-note" and top is not None:
        page.items = _repeated_items(top, docname, evidence_rules(env.config).repeated_section)
    if header is not None and top is not None:
        page.claims = _claims(top)
    for node in document.findall(pp_cite):
        page.citations.append(_citation_record(node, section_of))
        # the record holds these now; the doctree, kept in memory until written, keeps only
        # what the resolver reads (docname, node_id, title, target)
        for key in _RECORDED:
            node.attributes.pop(key, None)
    for count in document.findall(pp_count):
        page.counts.append(
            CountRecord(
                spec=count["spec"],
                expected=int(count["expected"]),
                docname=count["docname"],
                lineno=int(count["lineno"]),
                source=str(count.get("source", "")),
                node_id=count["node_id"],
                error=str(count.get("error", "")),
                result=None,
            )
        )
    for ref in document.findall(pending_xref):
        if ref.get("refdomain") != "pp":
            continue
        target = str(ref.get("reftarget", ""))
        if ref.get("reftype") == "candidate":
            page.candidates.append(CandidateRecord(id=target, docname=docname, lineno=ref.line or 0))
        else:
            page.xrefs.append([str(ref.get("reftype")), target])
    return page


_UNCLAIMED = (nodes.literal_block, nodes.comment, nodes.raw, nodes.field_list, nodes.table, nodes.target, nodes.title)


def _claims(top: nodes.Element) -> list[ClaimRecord]:
    """The claims of a header page: under each top-level section, every list item, and every
    sentence of a paragraph outside lists (a ``cite`` directive's claim is cited by it)."""
    out: list[ClaimRecord] = []
    for section in top.children:
        if isinstance(section, nodes.section) and section.children and isinstance(section[0], nodes.title):
            _walk_claims(section, section[0].astext(), section.line or 0, out, top_level=True)
    return out


def _walk_claims(node: nodes.Element, title: str, line: int, out: list[ClaimRecord], *, top_level: bool) -> None:
    for child in node.children:
        if not isinstance(child, nodes.Element) or isinstance(child, _UNCLAIMED):
            continue
        if child.get("pp-kind") or "pypatterns-cite-block" in child.get("classes", ()):
            continue  # a header's card; a cite directive, whose claim it cites
        if isinstance(child, (nodes.bullet_list, nodes.enumerated_list)):
            for item in child.children:
                if isinstance(item, nodes.list_item):
                    text, cited = _claim_text(item)
                    where = item.line or _first_line(item) or line
                    out.append(
                        ClaimRecord(lineno=where, section=title, kind="item", top=top_level, text=text, cited=cited)
                    )
        elif isinstance(child, nodes.paragraph):
            text, _ = _claim_text(child, marks=True)
            start = child.line or _first_line(child) or line
            for offset, sentence in split_sentences(text):
                out.append(
                    ClaimRecord(
                        lineno=start + text.count("\n", 0, offset),
                        section=title,
                        kind="sentence",
                        top=top_level,
                        text=" ".join(sentence.replace(_MARK, " ").split()),
                        cited=_MARK in sentence,
                    )
                )
        else:  # a nested section keeps its top-level section's title; an admonition, a quote
            _walk_claims(
                child, title, child.line or line, out, top_level=top_level and isinstance(child, nodes.section)
            )


_MARK = "\x00"


def _first_line(node: nodes.Element) -> int:
    return next((n.line for n in node.findall(nodes.Element) if n.line), 0)


def _claim_text(node: nodes.Element, *, marks: bool = False) -> tuple[str, bool]:
    """The text of ``node`` without code; whether a citation or count is in it (``marks``: where)."""
    parts: list[str] = []
    cited = False

    def visit(n: nodes.Node) -> None:
        nonlocal cited
        if isinstance(n, (pp_cite, pp_count)):
            cited = True
            parts.append(f" {_MARK} " if marks else " ")
        elif isinstance(n, (nodes.literal, nodes.literal_block, nodes.math, nodes.raw, nodes.comment)):
            parts.append(" ")
        elif isinstance(n, nodes.Text):
            parts.append(str(n))
        elif isinstance(n, nodes.Element):
            for c in n.children:
                visit(c)
            if isinstance(n, nodes.paragraph):
                parts.append("\n")

    visit(node)
    text = "".join(parts)
    return (text if marks else " ".join(text.split())), cited


def _check_placement(card: nodes.Element, top: nodes.Element | None, docname: str) -> None:
    location = (docname, card.line or 0)
    parent = card.parent
    if top is None or parent is not top:
        warn(
            f"the {card['pp-kind']} header must sit right under the page title, not inside "
            f"{'a ' + parent.tagname if parent is not None else 'nothing'}",
            "misplaced_header",
            location,
        )
        return
    before = parent.children[: parent.index(card)]
    if any(not isinstance(n, (nodes.title, nodes.target, nodes.comment)) for n in before):
        warn(f"the {card['pp-kind']} header must come right after the page title", "misplaced_header", location)


def _check_sections(env: BuildEnvironment, record: HeaderRecord, top: nodes.Element, docname: str) -> None:
    found: dict[str, nodes.section] = {}
    for child in top.children:
        if isinstance(child, nodes.section) and child.children:
            found.setdefault(child[0].astext().strip().casefold(), child)
    for name in required_sections(env.config, record["kind"]):
        section = found.get(name.strip().casefold())
        if section is None:
            warn(
                f"the {record['kind']} page has no section {name!r} directly under the title",
                "missing_section",
                (docname, record["lineno"]),
            )
        elif not any(not isinstance(c, (nodes.title, nodes.comment, nodes.target)) for c in section.children):
            warn(f"the section {name!r} is empty", "empty_section", (docname, section[0].line or record["lineno"]))
        else:
            body = [c for c in section.children[1:] if not isinstance(c, (nodes.comment, nodes.target))]
            if body and body[0].astext().lstrip().startswith(PLACEHOLDER):
                warn(
                    f"the section {name!r} still begins with the placeholder {PLACEHOLDER!r} of pypatterns new: "
                    "write it, or take the placeholder out",
                    "unfinished",
                    (docname, body[0].line or section[0].line or record["lineno"]),
                )
    for option in ("rule", "summary"):
        if str(record.get(option, "")).lstrip().startswith(PLACEHOLDER):
            warn(
                f"the :{option}: still begins with the placeholder {PLACEHOLDER!r} of pypatterns new",
                "unfinished",
                (docname, record["lineno"]),
            )


def _section_titles(top: nodes.Element | None) -> dict[int, str]:
    """Map id() of every citation under a top-level section to that section's title."""
    mapping: dict[int, str] = {}
    if top is None:
        return mapping
    for child in top.children:
        if isinstance(child, nodes.section) and child.children:
            name = child[0].astext().strip()
            for node in child.findall(pp_cite):
                mapping[id(node)] = name
    return mapping


def _section_lines(top: nodes.Element) -> dict[str, int]:
    """Casefolded title -> line of every section directly under the page title."""
    lines: dict[str, int] = {}
    for child in top.children:
        if isinstance(child, nodes.section) and child.children:
            lines.setdefault(child[0].astext().strip().casefold(), child[0].line or 0)
    return lines


def _repeated_items(top: nodes.Element, docname: str, title: str) -> list[ItemRecord]:
    """The top-level list items of the section ``title``, with their citation counts."""
    wanted = title.strip().casefold()
    section = next(
        (
            c
            for c in top.children
            if isinstance(c, nodes.section) and c.children and c[0].astext().strip().casefold() == wanted
        ),
        None,
    )
    items: list[ItemRecord] = []
    if section is None:
        return items
    for lst in section.children:
        if not isinstance(lst, (nodes.bullet_list, nodes.enumerated_list)):
            continue
        for item in lst.children:
            if not isinstance(item, nodes.list_item):
                continue
            cites = list(item.findall(pp_cite))
            lineno = item.line or next((n.line for n in item.findall(nodes.Element) if n.line), 0)
            words = " ".join(item.children[0].astext().split()) if item.children else ""
            items.append(
                ItemRecord(
                    docname=docname,
                    lineno=lineno or 0,
                    citations=sum(1 for c in cites if c.get("upstream")),
                    upstreams=sorted({str(c.get("upstream")) for c in cites if c.get("upstream")}),
                    text=words[:60] + ("\u2026" if len(words) > 60 else ""),
                )
            )
    return items


def _citation_record(node: pp_cite, section_of: dict[int, str]) -> CitationRecord:
    error = node.get("error")
    verdict = None
    if error:
        verdict = (False, str(error), str(node.get("message", "")), ())
    # interned: thousands of records repeat a few upstreams, paths and section titles
    return CitationRecord(
        target=node["target"],
        upstream=sys.intern(node.get("upstream", "")),
        path=sys.intern(node.get("path", "")),
        start=node.get("start", 0),
        end=node.get("end", 0),
        symbol=node["symbol"],
        title=node["title"],
        docname=node["docname"],
        lineno=node["lineno"],
        source=str(node.get("source", "")),
        node_id=node["node_id"],
        block=bool(node.get("block")),
        section=sys.intern(section_of.get(id(node), "")),
        verdict=verdict,
    )
