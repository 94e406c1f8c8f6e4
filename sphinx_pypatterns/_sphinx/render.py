"""Resolve-time rendering: placeholders become standard docutils nodes."""

from __future__ import annotations

import posixpath
from typing import Any, cast
from weakref import WeakKeyDictionary

from docutils import nodes
from sphinx.environment import BuildEnvironment
from sphinx.errors import NoUri
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import clean_astext, make_refnode

from .._core.quotes import split_anchor
from .._core.records import LINES, OK, CitationRecord
from .._core.targets import lines_label
from .access import builder_of, domain_of
from .config import evidence_rules
from .domain import PypatternsDomain
from .latex import PERMALINK
from .nodes import (
    PLACEHOLDERS,
    pp_backlinks,
    pp_checklist,
    pp_cite,
    pp_count,
    pp_dashboard,
    pp_excerpt,
    pp_matrix,
    pp_pins,
    pp_popup,
)
from .tables import dashboard_nodes, evidence_line, excerpt_block, matrix_nodes, pin_nodes, xref

__all__ = ["CODE", "POPUP", "WHERE", "PypatternsResolver"]


#: The class of the location (``path:lines``) shown after a citation's symbol.
WHERE = "pypatterns-where"
#: The class of the cited lines that follow an inline citation in HTML, shown on hover and focus.
POPUP = "pypatterns-popup"
#: The class of the popup's text: the cited lines, numbered, set as code.
CODE = "pypatterns-code"


def _is_placeholder(node: nodes.Node) -> bool:
    return isinstance(node, PLACEHOLDERS)


#: env -> docname -> (its title node, the title's text): one ``clean_astext`` per page and build
_TITLES: WeakKeyDictionary[BuildEnvironment, dict[str, tuple[nodes.Element, str]]] = WeakKeyDictionary()


def _title_text(env: BuildEnvironment, docname: str) -> str:
    titles = _TITLES.setdefault(env, {})
    node = env.titles[docname]
    kept = titles.get(docname)
    if kept is None or kept[0] is not node:  # read again: its title node is a new one
        kept = titles[docname] = (node, clean_astext(node))
    return kept[1]


def doc_link(env: BuildEnvironment, target: str, fromdoc: str) -> nodes.Node:
    """The link to page ``target`` that a ``std:doc`` cross-reference resolves to, made here.

    The same nodes as Sphinx's ``StandardDomain`` makes (an ``inline`` of class ``doc`` holding
    the page title, in an internal ``reference``), without a ``pending_xref`` that Sphinx would
    resolve by copying the title each time: a card links to every page that refers to it. A
    page unknown to the environment, or no builder, is left to Sphinx as a cross-reference, which
    warns as before; a page the builder has no URI for (``NoUri``) is its name as plain text.
    """
    builder = builder_of(env)
    if builder is None or target not in env.all_docs:
        return xref("doc", target, fromdoc)
    title = _title_text(env, target)
    try:
        return make_refnode(builder, fromdoc, target, None, nodes.inline(title, title, classes=["doc"]))
    except NoUri:
        return nodes.inline(target, target)


def _popup(rec: CitationRecord) -> pp_popup | None:
    """The cited lines of a verified inline citation, numbered; ``None`` when none are kept.

    Only its first lines are kept (:data:`POPUP_LINES`) unless they are printed: a cut is marked.
    Plain text in an ``inline`` that the stylesheet sets as code: a ``literal`` would cost HTML
    markup for each word (Sphinx wraps them one by one), three times the text. Not searched.
    One node (:class:`pp_popup`), set out when the page is written.
    """
    assert rec["verdict"] is not None
    lines = rec["verdict"][LINES]
    if not lines:
        return None
    return pp_popup("", lines=lines, start=rec["start"], end=rec["end"], code_class=CODE, classes=[POPUP, "no-search"])


def _label_node(anchor: str, label: str) -> nodes.inline:
    """A citation's label: its title, with each quote of a quote anchor set as code."""
    symbol, quotes = split_anchor(anchor)
    box = nodes.inline(label, "", classes=["pypatterns-label"])
    if not quotes:
        box += nodes.Text(label)
        return box
    if symbol:
        box += nodes.Text(f"{symbol} ")
    for index, quote in enumerate(quotes):
        if index:
            box += nodes.Text(" ")
        box += nodes.literal(quote, quote, classes=["pypatterns-quote"])
    return box


class PypatternsResolver(SphinxPostTransform):
    """Replace every ``pp_*`` placeholder; runs before Sphinx's ReferencesResolver."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        domain = domain_of(self.env)
        #: docname -> {node id -> record}: the records of the pages this doctree cites from
        self._by_doc: dict[str, dict[str, CitationRecord]] = {}
        builder = getattr(self.env, "_builder_cls", None)  # as Sphinx's post-transforms read it
        #: HTML shows an inline citation's lines in a popup (other formats do not write them), and
        #: lays out the pin table's columns itself
        self._html = getattr(builder, "format", "") == "html"
        # one page per doctree except in assembled builders (LaTeX, texinfo, singlehtml)
        single = getattr(builder, "name", "") in ("html", "dirhtml", "text")
        docname = self.env.path2doc(self.document.get("source", "")) or "" if single else ""
        if docname and not (
            docname in domain.headers
            or docname in domain.citations
            or docname in domain.counts
            or docname in domain.global_pages
        ):
            return  # a page with nothing of ours
        found: dict[type[nodes.Node], list[nodes.Element]] = {cls: [] for cls in PLACEHOLDERS}
        for node in self.document.findall(_is_placeholder):
            found[type(node)].append(cast("nodes.Element", node))
        in_excerpts = {id(c) for e in found[pp_excerpt] for c in e.findall(pp_cite)}
        for node in found[pp_excerpt]:
            self._excerpt(domain, cast("pp_excerpt", node))
        for node in found[pp_cite]:
            if id(node) not in in_excerpts:
                self._cite(domain, cast("pp_cite", node))
        for node in found[pp_count]:
            self._count(domain, cast("pp_count", node))
        for node in found[pp_backlinks]:
            self._backlinks(domain, cast("pp_backlinks", node))
        for node in found[pp_checklist]:
            self._checklist(domain, cast("pp_checklist", node))
        for node in found[pp_matrix]:
            node.replace_self(matrix_nodes(domain.picture(), node["docname"]))
        for node in found[pp_pins]:
            node.replace_self(pin_nodes(domain.manifest, domain.data["origins"], given_widths=not self._html))
        for node in found[pp_dashboard]:
            node.replace_self(dashboard_nodes(domain.picture(), node["docname"], given_widths=not self._html))

    def _record(self, domain: PypatternsDomain, node: nodes.Element) -> CitationRecord | None:
        docname = str(node["docname"])
        if docname not in self._by_doc:
            self._by_doc[docname] = {r["node_id"]: r for r in domain.citations.get(docname, [])}
        return self._by_doc[docname].get(str(node["node_id"]))

    @staticmethod
    def _label(rec: CitationRecord | None, node: nodes.Element | CitationRecord) -> str:
        if node["title"]:
            return str(node["title"])
        if rec is None or not rec["path"]:
            return str(node["target"])
        return f"{rec['upstream']} {posixpath.basename(rec['path'])}:{lines_label(rec['start'], rec['end'])}"

    def _cite(self, domain: PypatternsDomain, node: pp_cite) -> None:
        rec = self._record(domain, node)
        label = self._label(rec, node)
        url = domain.permalink(rec) if rec is not None else ""
        ok = rec is not None and rec["verdict"] is not None and rec["verdict"][OK]
        classes = ["pypatterns-cite", "verified" if ok else "unverified"]
        wrapper = nodes.inline("", "", ids=[node["node_id"]], classes=classes)
        wrapper["pp-docname"] = node["docname"]
        wrapper["pp-node-id"] = node["node_id"]
        if not url:
            wrapper += nodes.literal(label, label)
            node.replace_self(wrapper)
            return
        assert rec is not None
        ref = nodes.reference(label, "", refuri=url, internal=False, classes=[PERMALINK])
        if node["title"] and rec["path"]:
            # labelled by its symbol (or a title): where it points, shown after the label
            where = f"{rec['path']}:{lines_label(rec['start'], rec['end'])}"
            ref += [_label_node(rec["symbol"], label), nodes.Text(" ")]
            ref += nodes.inline(where, where, classes=[WHERE])
        else:
            ref += nodes.Text(label)
        popup = _popup(rec) if ok and self._html else None
        if popup is None:
            ref["reftitle"] = str(node["target"])
        wrapper += ref
        if popup is not None:
            wrapper += popup  # after the link in reading order: screen readers and print reach it
        node.replace_self(wrapper)

    def _count(self, domain: PypatternsDomain, node: pp_count) -> None:
        """The number written, linked to its first match, its matches listed in the link's title;
        struck as unverified when the count at the pin differs or could not be made."""
        rec = next((r for r in domain.counts.get(str(node["docname"]), []) if r["node_id"] == node["node_id"]), None)
        shown = str(node["expected"]) if int(node["expected"]) >= 0 else str(node["spec"])
        result = rec["result"] if rec is not None else None
        if result is None or result[0] != int(node["expected"]):
            node.replace_self(nodes.inline(shown, shown, classes=["pypatterns-count", "unverified"]))
            return
        count, files, _, locations = result
        upstream, _, rest = str(node["spec"]).partition(":")
        glob, _, pattern = rest.partition(":")
        listed = ", ".join(f"{path}:{line}" for path, line in locations[:20])
        more = f", and {count - 20} more" if count > 20 else ""
        title = f"{count} matches of {pattern} in {upstream} {glob} ({files} files): {listed}{more}"
        manifest = domain.manifest
        if not locations or manifest is None or upstream not in manifest.upstreams:
            node.replace_self(nodes.inline(shown, shown, classes=["pypatterns-count", "verified"]))
            return
        path, line = locations[0]
        url = manifest.upstreams[upstream].permalink(path, line, line)
        ref = nodes.reference(shown, shown, refuri=url, internal=False, classes=["pypatterns-count", PERMALINK])
        ref["reftitle"] = title if len(title) <= 1000 else title[:997] + "..."
        wrapper = nodes.inline("", "", ref, ids=[str(node["node_id"])], classes=["pypatterns-count", "verified"])
        node.replace_self(wrapper)

    def _excerpt(self, domain: PypatternsDomain, node: pp_excerpt) -> None:
        cite = next(iter(node.findall(pp_cite)), None)
        result: list[nodes.Node] = []
        rec = self._record(domain, cite) if cite is not None else None
        if rec is not None and rec["verdict"] is not None and rec["verdict"][LINES]:
            result.append(excerpt_block(rec, "pypatterns-excerpt"))
        caption = nodes.paragraph(classes=["pypatterns-caption"])
        if node["caption"]:
            caption += nodes.emphasis(node["caption"], node["caption"])
            caption += nodes.Text(" \u2014 ")
        manifest = domain.manifest
        if rec is not None and manifest is not None and rec["upstream"] in manifest.upstreams:
            upstream = manifest.upstreams[rec["upstream"]]
            lines = lines_label(rec["start"], rec["end"])
            caption += nodes.Text(f"{upstream.name} {upstream.tag}, {rec['path']}, lines {lines} (")
            url = domain.permalink(rec)
            caption += nodes.reference("permalink", "permalink", refuri=url, classes=[PERMALINK])
            caption += nodes.Text(")")
        elif cite is not None:
            caption += nodes.literal(cite["target"], cite["target"])
        if cite is not None:
            anchor = nodes.inline("", "", ids=[cite["node_id"]], classes=["pypatterns-cite"])
            caption.insert(0, anchor)
        result.append(caption)
        node.replace_self(result)

    def _backlinks(self, domain: PypatternsDomain, node: pp_backlinks) -> None:
        docname = node["docname"]
        record = domain.headers.get(docname)
        fields = nodes.field_list(classes=["pypatterns-backlinks"])
        if record is None or record["id"] != node["ppid"]:
            node.replace_self(fields)
            return
        manifest = domain.manifest
        if record["kind"] == "source-note" and manifest is not None and record["id"] in manifest.upstreams:
            up = manifest.upstreams[record["id"]]
            para = nodes.paragraph()
            para += nodes.Text(f"{up.tag} at ")
            para += nodes.literal(up.commit, up.commit)
            para += nodes.Text(f" ({up.license})")
            fields += self._field("Pinned", para)
        fields += self._evidence_field(domain, record["kind"], docname)
        titles = {
            "nominated_by": "Nominated by",
            "inverted_by": "Inverted by",
            "nominates": "Nominates",
            "referenced_by": "Referenced by",
        }
        for key, docs in domain.backlinks(record).items():
            para = nodes.paragraph()
            if not docs:
                para += nodes.emphasis("none", "none")
            for i, item in enumerate(docs):
                if i:
                    para += nodes.Text(", ")
                if key == "nominates":
                    para += xref("candidate", item, docname)
                else:
                    para += doc_link(self.env, item, docname)
            fields += self._field(titles[key], para)
        node.replace_self(fields)

    def _evidence_field(self, domain: PypatternsDomain, kind: str, docname: str) -> nodes.field:
        per_upstream = domain.picture().per_doc.get(docname, {})
        para = nodes.paragraph("", evidence_line(per_upstream))
        if kind == "source-note":
            recs = domain.citations.get(docname, [])
            verified = sum(1 for r in recs if r["verdict"] is not None and r["verdict"][OK])
            para += nodes.Text(f" ({verified} verified)")
            return self._field("Citations", para)
        if kind == "smell":
            section = evidence_rules(self.config).smell_evidence_section.strip().casefold()
            instances = [r for r in domain.citations.get(docname, []) if r["section"].strip().casefold() == section]
            if instances:
                para += nodes.Text("; in the evidence: ")
                for i, rec in enumerate(instances):
                    if i:
                        para += nodes.Text(", ")
                    label = self._label(rec, rec)
                    para += nodes.reference(label, label, refid=rec["node_id"], internal=True)
            return self._field("Upstream instances", para)
        return self._field("Evidence", para)

    @staticmethod
    def _field(name: str, body: nodes.Element) -> nodes.field:
        return nodes.field("", nodes.field_name("", name), nodes.field_body("", body))

    def _checklist(self, domain: PypatternsDomain, node: pp_checklist) -> None:
        areas = list(self.config.pypatterns_areas)
        patterns = [r for r in domain.all_headers() if r["kind"] == "pattern" and r["id"]]
        for r in patterns:
            if r["area"] not in areas:
                areas.append(r["area"])
        result: list[nodes.Node] = []
        only = node.get("area")
        tags = set(node.get("tags") or ())
        for area in [only] if only else areas:
            members = sorted(
                (r for r in patterns if r["area"] == area and tags <= set(r["tags"])), key=lambda r: r["id"]
            )
            if not only:
                result.append(nodes.rubric(area or "(no area)", area or "(no area)"))
            if not members:
                result.append(nodes.paragraph("", "", nodes.emphasis("no patterns yet", "no patterns yet")))
                continue
            items = nodes.bullet_list(classes=["pypatterns-checklist"])
            for r in members:
                para = nodes.paragraph()
                para += xref("pattern", r["id"], node["docname"], r["id"])
                para += nodes.Text(": " + r["rule"])
                items += nodes.list_item("", para)
            result.append(items)
        node.replace_self(result)
