"""Placeholder nodes, replaced by standard docutils nodes at resolve time.

Each placeholder is replaced for every builder by the resolver
post-transform; the visitors below only guarantee that no writer ever
chokes on one (html, latex and text all skip it).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator
from sphinx.writers.latex import LaTeXTranslator

__all__ = [
    "PLACEHOLDERS",
    "add_page_number",
    "pp_backlinks",
    "pp_checklist",
    "pp_cite",
    "pp_count",
    "pp_dashboard",
    "pp_excerpt",
    "pp_matrix",
    "pp_pageref",
    "pp_pins",
    "pp_popup",
    "register_nodes",
]


class pp_cite(nodes.Inline, nodes.Element):  # noqa: N801 - docutils naming
    """An inline citation; becomes a permalink reference."""


class pp_count(nodes.Inline, nodes.Element):  # noqa: N801
    """A counted quantifier; becomes its number, with the matches it counted."""


class pp_excerpt(nodes.General, nodes.Element):  # noqa: N801
    """The excerpt of a ``cite`` directive; becomes a literal block and caption."""


class pp_backlinks(nodes.General, nodes.Element):  # noqa: N801
    """Back-links of a header card, filled from the global index."""


class pp_checklist(nodes.General, nodes.Element):  # noqa: N801
    """The generated checklist of every pattern's rule, grouped by area."""


class pp_matrix(nodes.General, nodes.Element):  # noqa: N801
    """The pattern × upstream matrix of citation counts."""


class pp_dashboard(nodes.General, nodes.Element):  # noqa: N801
    """The process dashboard: candidates, gaps and review-rule findings."""


class pp_pins(nodes.General, nodes.Element):  # noqa: N801
    """The pin table: every upstream's tag, commit, license and how it was materialised."""


class pp_pageref(nodes.Inline, nodes.TextElement):  # noqa: N801
    """The page number of ``refdoc:refanchor`` in print (``\\pageref*``); nothing in other formats."""


def add_page_number(refnode: nodes.Element, docname: str, anchor: str) -> None:
    """Append `` (p. N)`` to a resolved reference, for print."""
    refnode += nodes.Text(" (p.\u00a0")
    refnode += pp_pageref("", "", refdoc=docname, refanchor=anchor or "doc")
    refnode += nodes.Text(")")


def _visit_pageref_latex(self: LaTeXTranslator, node: pp_pageref) -> None:
    label = self.idescape(f"{node['refdoc']}:{node['refanchor']}")
    self.body.append(r"\pageref*{" + label + "}")
    raise nodes.SkipNode


class pp_popup(nodes.Inline, nodes.Element):  # noqa: N801
    """In HTML, the cited lines that follow an inline citation: one node, whose ``lines`` (the
    verdict's own tuple, not a copy) are set out only when the page is written.

    Its HTML is that of ``inline(classes=[POPUP, "no-search"], inline(text, classes=[CODE]))``:
    a resolved page held by the parallel writer keeps one small node per citation, not three
    and a text. Other writers never meet it (it is made for HTML only) and skip it.
    """


def popup_text(start: int, end: int, lines: tuple[str, ...]) -> str:
    """The cited lines, numbered from ``start``; a cut (fewer lines than ``start``–``end``) marked."""
    width = len(str(start + len(lines) - 1))
    numbered = [f"{n:>{width}}  {line}" for n, line in enumerate(lines, start)]
    if len(lines) < end - start + 1:
        numbered.append(" " * width + "  \u2026")
    return "\n".join(numbered)


def _visit_popup_html(self: HTML5Translator, node: pp_popup) -> None:
    text = popup_text(node["start"], node["end"], node["lines"])
    code = nodes.inline(classes=[node["code_class"]])
    self.body.append(self.starttag(node, "span", "") + self.starttag(code, "span", ""))
    self.body.append(self.encode(text) + "</span></span>")
    raise nodes.SkipNode


PLACEHOLDERS = (pp_cite, pp_count, pp_excerpt, pp_backlinks, pp_checklist, pp_matrix, pp_dashboard, pp_pins)


def _skip(self: nodes.NodeVisitor, node: nodes.Element) -> None:
    raise nodes.SkipNode


def register_nodes(app: Sphinx) -> None:
    for node_class in PLACEHOLDERS:
        app.add_node(node_class, html=(_skip, None), latex=(_skip, None), text=(_skip, None))
    app.add_node(
        pp_popup,
        html=(_visit_popup_html, None),
        latex=(_skip, None),
        text=(_skip, None),
        man=(_skip, None),
        texinfo=(_skip, None),
    )
    app.add_node(
        pp_pageref,
        html=(_skip, None),
        latex=(_visit_pageref_latex, None),
        text=(_skip, None),
        man=(_skip, None),
        texinfo=(_skip, None),
    )
