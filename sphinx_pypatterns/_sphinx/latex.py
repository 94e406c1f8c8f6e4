"""Print (LaTeX) rendering: labels for every anchor, footnoted permalinks, page numbers, compact
excerpts, claims kept on the page of their excerpt."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex.transforms import ShowUrlsTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from .._core.records import LINES
from .._core.targets import lines_label
from .access import domain_of
from .tables import excerpt_block

__all__ = [
    "KEEP_MAX_LINES",
    "PERMALINK",
    "DocnameSafeReferences",
    "PermalinkFootnotes",
    "PrintAnchors",
    "register_print",
]

#: Classes of the nodes whose ids are link targets (citations, cards).
_ANCHORED = ("pypatterns-cite", "pypatterns-card")
#: The class of references whose URL is printed as a footnote.
PERMALINK = "pypatterns-permalink"


class PrintAnchors(SphinxPostTransform):
    """Turn the ids of citations and cards into targets (LaTeX labels nothing else), add compact excerpts."""

    default_priority = 6
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.Element)):
            if not node["ids"] or not any(c in node["classes"] for c in _ANCHORED):
                continue
            if isinstance(node, (nodes.target, nodes.section)):
                continue
            target = nodes.target("", "", ids=list(node["ids"]))
            node["ids"] = []
            node.insert(0, target)
        for block in list(self.document.findall(nodes.container)):
            if "pypatterns-cite-block" in block["classes"]:
                _keep_with_claim(block)
        if self.config.pypatterns_print_inline_excerpts:
            self._compact_excerpts()

    def _compact_excerpts(self) -> None:
        domain = domain_of(self.env)
        records = {(d, r["node_id"]): r for d, recs in domain.citations.items() for r in recs}
        for para in list(self.document.findall(nodes.paragraph)):
            if para.parent is None:
                continue
            blocks: list[nodes.Node] = []
            for inline in para.findall(nodes.inline):
                if "pypatterns-cite" not in inline["classes"] or not inline.get("pp-docname"):
                    continue
                rec = records.get((inline["pp-docname"], inline["pp-node-id"]))
                if rec is None or rec["block"] or rec["verdict"] is None or not rec["verdict"][LINES]:
                    continue
                caption = f"{rec['upstream']} {rec['path']}:{lines_label(rec['start'], rec['end'])}"
                blocks.append(nodes.paragraph("", "", nodes.emphasis(caption, caption), classes=["pypatterns-caption"]))
                blocks.append(excerpt_block(rec, "pypatterns-compact-excerpt"))
            if blocks:
                parent = para.parent
                index = parent.index(para)
                for offset, block_node in enumerate(blocks, 1):
                    parent.insert(index + offset, block_node)


#: Claim, excerpt and caption taller than this many lines may break across pages anyway: only
#: the claim and the excerpt's first lines are kept together (a page holds about 50 lines).
KEEP_MAX_LINES = 40
#: Of a long excerpt, the lines kept on the page of its claim.
_KEPT_LINES = 6
#: The characters of a claim's printed line, counted short: a claim is never thought shorter than it is.
_LINE_CHARS = 70


def _keep_with_claim(block: nodes.container) -> None:
    """Keep a ``cite`` directive's claim, excerpt and caption on one page where they fit.

    The claim is the paragraphs before the excerpt in the block, or else the paragraph before the
    block. ``\\needspace`` (loaded by Sphinx) starts a new page before the claim when the rest of
    the page is shorter than all three, as counted in lines.
    """
    excerpt = next((c for c in block.children if isinstance(c, nodes.literal_block)), None)
    if excerpt is None or block.parent is None:
        return
    claim = block.children[: block.index(excerpt)]
    where: nodes.Element = block
    at = 0
    if not claim:
        before = block.parent.index(block) - 1
        if before < 0 or not isinstance(block.parent[before], nodes.paragraph):
            return
        claim = [block.parent[before]]
        where, at = block.parent, before
    claim_lines = sum(len(c.astext()) // _LINE_CHARS + 2 for c in claim)
    excerpt_lines = excerpt.astext().count("\n") + 1
    total = claim_lines + excerpt_lines + 4  # the excerpt's frame, the caption
    lines = total if total <= KEEP_MAX_LINES else claim_lines + _KEPT_LINES
    where.insert(at, nodes.raw("", f"\\needspace{{{lines}\\baselineskip}}", format="latex"))


class PermalinkFootnotes(ShowUrlsTransform):
    """Print each citation's permalink as a footnote, whatever ``latex_show_urls`` says of other links."""

    default_priority = 399  # before Sphinx's own ShowUrlsTransform (400)
    formats = ("latex",)

    def expand_show_urls(self) -> None:
        if self.config.latex_show_urls == "footnote":
            return  # Sphinx footnotes every URL, ours included
        for node in list(self.document.findall(nodes.reference)):
            uri = node.get("refuri", "")
            if PERMALINK not in node["classes"] or not uri or node.parent is None:
                continue
            index = node.parent.index(node)
            footnote, ref = self.create_footnote(uri, self.get_docname_for_node(node))
            node.parent.insert(index + 1, footnote)
            node.parent.insert(index + 2, ref)
            self.expanded = True


class DocnameSafeReferences(SphinxPostTransform):
    """Keep a ``#`` in a page's name from breaking the links to it in print.

    Sphinx's LaTeX writer reads an internal reference ``%docname#anchor`` by turning every ``#``
    into ``:``, while its labels turn a ``#`` of the docname into ``_``: a link to (or, by
    ``refid``, inside) a page whose name holds ``#`` points at no label. Writing that ``#`` as
    ``_`` names the same label. Runs after the references are resolved.
    """

    default_priority = 20  # after Sphinx's ReferencesResolver (10)
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        docs = self.env.all_docs
        for node in self.document.findall(nodes.reference):
            uri = node.get("refuri", "")
            if uri.startswith("%") and "#" in uri:
                target = uri[1:]
                doc, _, anchor = (target, "", "") if target in docs else target.rpartition("#")
                if "#" in doc:
                    node["refuri"] = "%" + doc.replace("#", "_") + (f"#{anchor}" if anchor else "")
            elif not uri and node.get("refid") and "#" in _docname_of(node, self.document):
                node["refuri"] = "#" + node["refid"]  # the writer joins it to the page's name as labels do


def _docname_of(node: nodes.Node, document: nodes.document) -> str:
    """The page ``node`` comes from in an assembled print tree.

    Sphinx inlines each page under a ``start_of_file`` without re-parenting its nodes, but marks
    each of its sections with the page's ``docname``.
    """
    parent = node.parent
    while parent is not None:
        if isinstance(parent, addnodes.start_of_file) or (isinstance(parent, nodes.section) and parent.get("docname")):
            return str(parent["docname"])
        parent = parent.parent
    return str(document.get("docname", ""))


def register_print(app: Sphinx) -> None:
    app.add_post_transform(PrintAnchors)
    app.add_post_transform(DocnameSafeReferences)
    app.add_post_transform(PermalinkFootnotes)
