"""The printed review copy: a real LaTeX build (xelatex through latexmk) of a small project."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import build, latexmk
from support.evidence_project import ROOT, SMELL_CITE, evidence_files, write_evidence_project
from support.pdf_tools import require_pdf_tools
from support.upstreams import make_upstream

LATEX_CONF = """
latex_engine = "xelatex"
latex_documents = [("index", "review.tex", "Review copy", "Tests", "manual")]
latex_appendices = ["matrix"]
latex_elements = {"printindex": ""}
"""


@dataclass
class Pdf:
    path: Path
    log: str
    pages: list[str]  # pdftotext -layout of each page

    def text(self) -> str:
        return "\n".join(self.pages)


def make_pdf(root: Path, files: dict[str, str], extra: str = "") -> Pdf:
    require_pdf_tools()
    repo, pin = make_upstream(root)
    src = write_evidence_project(root / "p", repo, pin, files, LATEX_CONF + extra)
    built = build(src, "latex")
    rules = {"thin_evidence", "unnominated_pattern", "uncited_counterexamples", "uncited_smell", "thin_repetition"}
    lines = [line for line in built.warnings.splitlines() if "WARNING" in line]
    assert all(any(f"[pypatterns.{r}]" in line for r in rules) for line in lines), built.warnings
    outdir = Path(built.app.outdir)
    log = latexmk(outdir, "review.tex")
    pdf = outdir / "review.pdf"
    count = int(
        re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout)[1]
    )  # type: ignore[index]
    pages = [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True
        ).stdout
        for n in range(1, count + 1)
    ]
    return Pdf(pdf, log, pages)


def review_files() -> dict[str, str]:
    files = evidence_files()
    files["patterns/root.md"] = files["patterns/root.md"].replace(
        "Text for preferred shapes.",
        ":::{cite} up:pkg/errors.py:6-11\n:symbol: HTTPError\n:caption: The root class\n\nOne root.\n:::\n",
    )
    files["pins.md"] = "# Pins\n\n:::{pin-table}\n:::\n"
    files["guide.md"] = "# Reading guide\n\nStart with {pattern}`exception-root`, then {smell}`bare-raise`.\n"
    files["index.md"] = (
        "# Review copy\n\n```{toctree}\npins\nguide\nchecklist\npatterns/root\npatterns/thin\nsmells/bare\n"
        "smells/nocite\nsources/up\nsources/two\ndashboard\n```\n\n```{toctree}\n:hidden:\nmatrix\n```\n"
    )
    return files


@pytest.fixture(scope="module")
def review_pdf(tmp_path_factory) -> Pdf:
    return make_pdf(tmp_path_factory.mktemp("pdf"), review_files())


def test_excerpt_prints_with_its_original_line_numbers_and_caption(review_pdf):
    text = review_pdf.text()
    assert re.search(r"\b6\s+class HTTPError\(Exception\):", text), text
    assert re.search(r"\b11\s+self\.message = message", text)
    assert "The root class" in text and "up v1, pkg/errors.py, lines 6\u201311" in text


def test_pin_table_and_permalink_footnotes_print_the_commit(review_pdf, tmp_path):
    text = review_pdf.text()
    pin = re.search(r"/blob/([0-9a-f]{40})/", text)
    assert pin, "no permalink footnote"
    table = next(p for p in review_pdf.pages if "Materialised from" in p)
    words = table.split()
    assert words.count(pin[1]) == 2, table  # "two" and "up", each with the full commit on one line
    assert words.count("v1") == 2 and words.count("MIT") == 2 and {"two", "up"} <= set(words)
    assert "a git repository, read at the" in table
    assert f"https://example.invalid/up/blob/{pin[1]}/pkg/errors.py#L6-L11" in text.replace("\n", "")
    # inline citations print their label; the permalink goes to a footnote at the page's foot
    page = next(p for p in review_pdf.pages if "Evidence: HTTPError" in p)
    body, _, foot = page.rpartition("Evidence: HTTPError")
    assert "https://example.invalid/" in foot


def test_cross_references_print_the_right_page_number(review_pdf):
    guide = next(p for p in review_pdf.pages if "Start with" in p)
    m = re.search(r"exception-root \(p\.\s*(\d+)\)", " ".join(guide.split()))
    assert m, guide
    target = int(m[1])
    # the page numbers printed on pages are roman in the front matter; find the page printing this number
    printed = [
        i
        for i, p in enumerate(review_pdf.pages)
        if re.search(rf"(^|\n)\s*{target}\s", p) or p.rstrip().endswith(str(target))
    ]
    assert any("Rule of exception-root." in review_pdf.pages[i] for i in printed), (target, printed)


def test_latex_log_has_no_undefined_references(review_pdf):
    assert "undefined" not in review_pdf.log.lower().replace("undefined control", "")
    assert "There were undefined references" not in review_pdf.log
    assert "Label(s) may have changed" not in review_pdf.log


def test_evidence_index_and_matrix_are_appendices(review_pdf):
    appendix = next(p for p in review_pdf.pages if "APPENDIX" in p)
    assert "MATRIX" in appendix and "exception-root" in appendix
    index = next(p for p in review_pdf.pages if "pkg/errors.py" in p and "(all files)" in p)
    assert "8 citations of 2 files" in index and "pkg/errors.py (7 citations)" in index


def test_link_annotations_resolve(review_pdf):
    from pypdf import PdfReader

    reader = PdfReader(str(review_pdf.path))
    dests = reader.named_destinations
    internal: dict[int, list[int]] = {}  # page index -> target page indexes
    uris = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            action = obj.get("/A")
            if obj.get("/Subtype") != "/Link" or action is None:
                continue
            if action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
            elif action.get("/S") == "/GoTo":
                name = str(action["/D"])
                assert name in dests, f"link to a missing destination {name!r}"
                internal.setdefault(number, []).append(reader.get_destination_page_number(dests[name]))
    # the guide's cross-reference lands on the pattern's page
    guide = next(i for i, p in enumerate(review_pdf.pages) if "Start with" in p)
    assert any("Rule of exception-root." in review_pdf.pages[t] for t in internal[guide])
    # every entry of the evidence index lands on a page that cites
    index = next(i for i, p in enumerate(review_pdf.pages) if "(all files)" in p)
    assert len(internal[index]) >= 10
    for target in internal[index]:
        assert re.search(r"HTTPError|RequestError", review_pdf.pages[target]), target
    # permalinks are URI links with the exact commit
    pins = {m[1] for u in uris if (m := re.search(r"/blob/([0-9a-f]{40})/", u))}
    assert len(pins) == 1, pins
    assert any(u.endswith("pkg/errors.py#L6-L11") for u in uris)


def test_render_a_page_to_png(review_pdf, tmp_path):
    artifacts = Path(os.environ.get("PYPATTERNS_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    page = next(i + 1 for i, p in enumerate(review_pdf.pages) if "class HTTPError(Exception)" in p)
    prefix = artifacts / "test-review-page"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(review_pdf.path),
            str(prefix),
        ],
        check=True,
    )
    png = prefix.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_compact_inline_excerpts_are_off_by_default_and_print_when_on(tmp_path, review_pdf):
    assert "class RequestError(HTTPError):" not in review_pdf.text()
    files = {
        k: v for k, v in review_files().items() if k in ("index.md", "patterns/root.md", "smells/bare.md", "matrix.md")
    }
    files["index.md"] = "# Review copy\n\n```{toctree}\nsmells/bare\npatterns/root\nmatrix\n```\n"
    on = make_pdf(tmp_path, files, "pypatterns_print_inline_excerpts = True\n")
    text = on.text()
    assert re.search(r"\b14\s+class RequestError\(HTTPError\):", text), text
    assert "up pkg/errors.py:14\u201315" in text
    assert SMELL_CITE and ROOT  # the pages cite these targets


def test_inline_citations_print_where_they_point_and_no_popup(review_pdf):
    text = " ".join(review_pdf.text().split())
    assert "Evidence: HTTPError pkg/errors.py:6\u201311" in text  # the symbol, then path:lines
    # the HTML popups' cited lines are not printed: only the cite directive's excerpt is
    assert text.count("class HTTPError(Exception):") == 1, text


def _claims_page(count: int) -> str:
    """``count`` claims with their excerpts, after fillers of 1 to ``count`` lines: some land at a page's foot."""
    parts = ["# Claims\n"]
    for i in range(1, count + 1):
        parts.append("Filler words for the page. " * (3 * i) + "\n")
        parts.append(
            f":::{{cite}} up:pkg/errors.py:6-11\n:symbol: HTTPError\n:caption: Caption {i}\n\nClaim {i}.\n:::\n"
        )
    return "\n".join(parts)


def test_a_claim_and_its_excerpt_print_on_one_page(tmp_path):
    files = {
        "index.md": "# Claims book\n\n```{toctree}\nclaims\nmatrix\n```\n",
        "claims.md": _claims_page(24),
        "matrix.md": evidence_files()["matrix.md"],  # an appendix of LATEX_CONF
    }
    pdf = make_pdf(tmp_path, files)

    def page_of(pattern: str) -> int:
        return next(n for n, p in enumerate(pdf.pages) if re.search(pattern, p))

    for i in range(1, 25):
        claim, caption = page_of(rf"Claim {i}\."), page_of(rf"Caption {i} \u2014")
        assert claim == caption, f"claim {i} on page {claim + 1}, its excerpt's caption on page {caption + 1}"


def test_the_dashboard_prints_long_pattern_ids_whole(tmp_path):
    from conftest import page

    files = review_files()
    reason = " ".join(["A long reason that fills the second column of the dashboard's table on paper."] * 3)
    ident = "a-rather-long-pattern-identifier"
    body = files["patterns/thin.md"].split(":::\n\n", 1)[1]
    files["patterns/long.md"] = page(
        "pattern", ident, options=f":id: {ident}\n:area: typing\n:rule: A rule.\n:no-smell: {reason}", body=body
    )
    files["index.md"] = files["index.md"].replace("patterns/thin\n", "patterns/thin\npatterns/long\n")
    pdf = make_pdf(tmp_path, files)
    table = next(p for p in pdf.pages if "Why no smell inverts it" in p)
    assert ident in table.split(), table  # one word on one line: not broken at a hyphen
    assert "A long reason that fills" in table
