"""Standard docutils tables and lists for the matrix, the dashboard and the card summaries."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from docutils import nodes
from pygments.filters import ErrorToken  # type: ignore[import-untyped]
from sphinx.addnodes import pending_xref
from sphinx.highlighting import PygmentsBridge

from .._core.checkouts import split_origin
from .._core.evidence import Picture, plural
from .._core.manifest import Manifest
from .._core.quotes import quote_lines, split_anchor
from .._core.records import LINES, CitationRecord

__all__ = ["dashboard_nodes", "evidence_line", "excerpt_block", "matrix_nodes", "pin_nodes", "xref"]

_LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".toml": "toml",
    ".cfg": "ini",
    ".ini": "ini",
    ".rst": "rst",
    ".md": "markdown",
    ".json": "json",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".c": "c",
    ".h": "c",
}


def excerpt_language(path: str, text: str) -> str:
    """The language to highlight cited ``text`` of ``path`` in: by file type, if its lexer takes the text.

    Cited lines are rarely a complete fragment of their language (lines from the middle of a
    docstring, a ``$``, a file with a misleading suffix). Sphinx lexes strictly, warning
    ``misc.highlighting_failure`` at the first error token; such an excerpt is shown unhighlighted.
    """
    language = _LANGUAGES.get(posixpath.splitext(path)[1], "text")
    if language == "text":
        return language
    try:
        for _ in _BRIDGE.get_lexer(text, language).get_tokens(text):  # Sphinx's choice of lexer, strict
            pass
    except ErrorToken:
        return "text"
    return language


_BRIDGE = PygmentsBridge("html")


def excerpt_block(rec: CitationRecord, css_class: str) -> nodes.literal_block:
    """The cited lines, highlighted by file type, numbered from the first cited line; never a warning."""
    assert rec["verdict"] is not None
    text = "\n".join(rec["verdict"][LINES])
    block = nodes.literal_block(text, text, classes=[css_class])
    block["language"] = excerpt_language(rec["path"], text)
    block["force"] = True  # whatever lexer options the project sets: error tokens, not a warning
    block["linenos"] = True
    block["highlight_args"] = {"linenostart": rec["start"]}
    quoted = sorted({i + 1 for q in split_anchor(rec["symbol"])[1] for i in quote_lines(q, rec["verdict"][LINES])})
    if quoted:  # the lines a quote anchor points at
        block["highlight_args"]["hl_lines"] = quoted
    return block


def xref(kind: str, target: str, docname: str, text: str | None = None) -> pending_xref:
    """A pending reference to a document (``kind="doc"``) or a ``pp`` object, resolved by Sphinx."""
    if kind == "doc":
        ref = pending_xref(
            "", refdomain="std", reftype="doc", reftarget="/" + target, refdoc=docname, refexplicit=False, refwarn=True
        )
        ref += nodes.inline(target, target)
        return ref
    ref = pending_xref(
        "", refdomain="pp", reftype=kind, reftarget=target, refdoc=docname, refexplicit=text is not None, refwarn=False
    )
    ref += nodes.inline(text or target, text or target)
    return ref


def evidence_line(per_upstream: dict[str, int]) -> str:
    """``"5 citations from 2 upstreams: httpx 3, pytest 2"``."""
    total = sum(per_upstream.values())
    if not total:
        return "no citations"
    parts = ", ".join(f"{u} {n}" for u, n in sorted(per_upstream.items()))
    return f"{plural(total, 'citation')} from {plural(len(per_upstream), 'upstream')}: {parts}"


def _entry(content: nodes.Node | str, classes: Sequence[str] = ()) -> nodes.entry:
    para = nodes.paragraph()
    para += nodes.Text(content) if isinstance(content, str) else content
    return nodes.entry("", para, classes=list(classes))


def _table(
    header: Sequence[str], rows: Sequence[Sequence[nodes.entry]], widths: Sequence[int], classes: str
) -> nodes.table:
    table = nodes.table(classes=["pypatterns-table", classes])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += nodes.row("", *(_entry(h) for h in header))
    group += head
    body = nodes.tbody()
    for row in rows:
        body += nodes.row("", *row)
    group += body
    return table


def _none(text: str = "none") -> nodes.paragraph:
    return nodes.paragraph("", "", nodes.emphasis(text, text))


def matrix_nodes(picture: Picture, docname: str) -> list[nodes.Node]:
    """Rows: patterns (by area); columns: upstreams; counts, with empty cells marked and totals."""
    if not picture.patterns:
        return [_none("no patterns yet")]
    ups = picture.upstreams
    rows: list[list[nodes.entry]] = []
    for p in picture.patterns:
        row = [_entry(xref("pattern", p.id, docname, p.id)), _entry(p.area)]
        for u in ups:
            n = p.per_upstream.get(u, 0)
            row.append(_entry(str(n), ["pypatterns-count"]) if n else _entry("\u00b7", ["pypatterns-empty"]))
        row.append(_entry(nodes.strong(str(p.total), str(p.total)), ["pypatterns-total"]))
        rows.append(row)
    totals = picture.column_totals()
    footer = [_entry(nodes.strong("Total", "Total")), _entry("")]
    for u in ups:
        footer.append(_entry(nodes.strong(str(totals[u]), str(totals[u])), ["pypatterns-total"]))
    grand = sum(totals.values())
    footer.append(_entry(nodes.strong(str(grand), str(grand)), ["pypatterns-total"]))
    rows.append(footer)
    widths = [
        max(len("Pattern"), *(len(p.id) for p in picture.patterns)) + 2,
        max(len("Area"), *(len(p.area) for p in picture.patterns)) + 2,
        *(max(len(u), 3) + 2 for u in ups),
        7,
    ]
    table = _table(["Pattern", "Area", *ups, "Total"], rows, widths, "pypatterns-matrix")
    legend = nodes.paragraph(
        "", "Each cell counts the citations of that upstream on the pattern's page; \u00b7 marks an empty cell."
    )
    return [table, legend]


def _origin_cell(origin: str) -> nodes.inline:
    """How a checkout was materialised, then what attests its commit: an unattested one emphasised."""
    how, attested, attestation = split_origin(origin)
    cell = nodes.inline("", how)
    if attestation:
        cell += nodes.Text("; ")
        cell += nodes.Text(attestation) if attested else nodes.emphasis(attestation, attestation)
    return cell


def pin_nodes(manifest: Manifest | None, origins: dict[str, str], *, given_widths: bool = True) -> list[nodes.Node]:
    """The pin table, in the manifest's order of names; its columns' widths given (print) or the
    browser's to lay out (HTML: given, they keep it wider than a narrow page, even when it could wrap)."""
    if manifest is None or not manifest.upstreams:
        return [_none("no manifest pins any upstream (pypatterns_manifest)")]
    rows = []
    for name, up in sorted(manifest.upstreams.items()):
        link = nodes.reference(name, "", nodes.strong(name, name), refuri=up.repository)
        rows.append(
            [
                _entry(link),
                _entry(up.tag),
                _entry(nodes.literal(up.commit, up.commit), ["pypatterns-commit"]),
                _entry(up.license),
                _entry(_origin_cell(origins.get(name) or "not materialised")),
            ]
        )
    widths = [max(len(n) for n in manifest.upstreams) + 6, 12, 44, 16, 30]
    header = ["Upstream", "Tag", "Commit", "License", "Materialised from"]
    table = _table(header, rows, widths, "pypatterns-pins")
    if given_widths:
        table["classes"].append("colwidths-given")  # LaTeX: keep the full commit on one line
    return [table]


def dashboard_nodes(picture: Picture, docname: str, *, given_widths: bool = False) -> list[nodes.Node]:
    """The dashboard; with ``given_widths`` (print) its id columns keep the widths given, so that no
    pattern id is broken across lines."""
    out: list[nodes.Node] = []
    out.append(nodes.rubric("", "Candidates nominated in source notes"))
    if picture.candidates:
        rows = []
        for c in picture.candidates:
            by = nodes.inline()
            for i, doc in enumerate(c.nominated_by):
                if i:
                    by += nodes.Text(", ")
                by += xref("doc", doc, docname)
            pattern: nodes.Node = (
                xref("pattern", c.id, docname, "yes") if c.pattern else nodes.emphasis("not yet", "not yet")
            )
            rows.append(
                [
                    _entry(nodes.literal(c.id, c.id)),
                    _entry(str(len(c.nominated_by)), ["pypatterns-count"]),
                    _entry(by),
                    _entry(pattern, [] if c.pattern else ["pypatterns-empty"]),
                ]
            )
        candidates = _table(
            ["Candidate", "Notes", "Nominated by", "Pattern"],
            rows,
            [max(len(c.id) for c in picture.candidates) + 2, 7, 40, 9],
            "pypatterns-candidates",
        )
        if given_widths:
            candidates["classes"].append("colwidths-given")
        out.append(candidates)
    else:
        out.append(_none())
    out.append(nodes.rubric("", "Patterns that no smell inverts"))
    reasons = picture.no_smell_reasons()
    if reasons:
        rows = [
            [
                _entry(xref("pattern", ident, docname, ident)),
                _entry(reason)
                if reason
                else _entry(nodes.emphasis("unexplained", "unexplained"), ["pypatterns-empty"]),
            ]
            for ident, reason in reasons
        ]
        widths = [max(len(ident) for ident, _ in reasons) + 2, 76]
        reasons_table = _table(["Pattern", "Why no smell inverts it"], rows, widths, "pypatterns-no-smell")
        if given_widths:
            reasons_table["classes"].append("colwidths-given")
        out.append(reasons_table)
    else:
        out.append(_none())
    out.append(nodes.rubric("", "Upstreams that no pattern cites"))
    if picture.uncited_upstreams:
        para = nodes.paragraph()
        for i, u in enumerate(picture.uncited_upstreams):
            if i:
                para += nodes.Text(", ")
            para += nodes.literal(u, u)
        out.append(para)
    else:
        out.append(_none())
    out.append(nodes.rubric("", "Below the review thresholds"))
    if picture.findings:
        rows = [
            [
                _entry(xref("doc", f.docname, docname)),
                _entry(nodes.literal(f.subtype, f.subtype)),
                _entry(f.message),
            ]
            for f in picture.findings
        ]
        out.append(_table(["Page", "Rule", "Finding"], rows, [24, 24, 60], "pypatterns-findings"))
    else:
        out.append(_none())
    out.append(nodes.rubric("", "Findings per page"))
    if picture.findings:
        rules = sorted({f.subtype for f in picture.findings})
        per_page: dict[str, dict[str, int]] = {}
        for f in picture.findings:
            row = per_page.setdefault(f.docname, {})
            row[f.subtype] = row.get(f.subtype, 0) + 1
        rows = [
            [
                _entry(xref("doc", page, docname)),
                *(_entry(str(counts.get(rule, 0)) if counts.get(rule) else "", ["pypatterns-count"]) for rule in rules),
                _entry(str(sum(counts.values())), ["pypatterns-count"]),
            ]
            for page, counts in sorted(per_page.items())
        ]
        widths = [24, *(max(8, len(r) + 2) for r in rules), 7]
        out.append(_table(["Page", *rules, "Total"], rows, widths, "pypatterns-findings-per-page"))
    else:
        out.append(_none())
    return out
