"""Print (LaTeX) rendering: labels for every anchor, footnoted permalinks, page numbers, compact excerpts."""

from __future__ import annotations

from typing import Any, cast

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.latex.transforms import ShowUrlsTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from ._domain import PypatternsDomain
from ._records import LINES
from ._tables import excerpt_block

__all__ = ["PERMALINK", "PermalinkFootnotes", "PrintAnchors", "register_print"]

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
        if self.config.pypatterns_print_inline_excerpts:
            self._compact_excerpts()

    def _compact_excerpts(self) -> None:
        domain = cast("PypatternsDomain", self.env.get_domain("pp"))
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
                caption = f"{rec['upstream']} {rec['path']}:{rec['start']}"
                if rec["end"] != rec["start"]:
                    caption += f"\u2013{rec['end']}"
                blocks.append(nodes.paragraph("", "", nodes.emphasis(caption, caption), classes=["pypatterns-caption"]))
                blocks.append(excerpt_block(rec, "pypatterns-compact-excerpt"))
            if blocks:
                parent = para.parent
                index = parent.index(para)
                for offset, block_node in enumerate(blocks, 1):
                    parent.insert(index + offset, block_node)


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


def register_print(app: Sphinx) -> None:
    app.add_post_transform(PrintAnchors)
    app.add_post_transform(PermalinkFootnotes)
