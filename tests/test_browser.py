"""HTML behaviour in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import build
from support.evidence_project import evidence_files, write_evidence_project
from support.upstreams import make_upstream

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "no chromium: bash .ci/system installs it"
    if os.environ.get("PYPATTERNS_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    repo, pin = make_upstream(root)
    src = write_evidence_project(root / "p", repo, pin, evidence_files(), 'html_theme = "furo"\n')
    return Path(build(src).app.outdir)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    yield page
    context.close()


IN_VIEW = """(id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
}"""


def in_view(page, ident: str) -> bool:
    """Whether the element ``ident`` is scrolled into the viewport (waits up to 5 s for the jump)."""
    try:
        page.wait_for_function(IN_VIEW, arg=ident, timeout=5000)
    except Exception:  # playwright's TimeoutError
        return False
    return True


def test_index_entry_lands_on_its_citation(site, page):
    page.goto((site / "pp-evidence.html").as_uri())
    link = page.locator("table.domainindex-table a", has_text="L14\u201315 RequestError").first
    href = link.get_attribute("href")
    assert href and "#cite-" in href
    link.click()
    page.wait_for_load_state()
    docname, _, ident = page.url.rpartition("/")[2].partition("#")
    assert ident.startswith("cite-")
    assert in_view(page, ident), page.url
    # the element the index points at is the citation of RequestError
    text = page.evaluate(f"document.getElementById({ident!r}).textContent")
    assert "RequestError" in text


def test_citation_links_to_the_pinned_permalink(site, page):
    page.goto((site / "patterns/root.html").as_uri())
    link = page.locator("span.pypatterns-cite a", has_text="RequestError").first
    href = link.get_attribute("href") or ""
    assert href.startswith("https://example.invalid/two/blob/") and href.endswith("/pkg/errors.py#L14-L15")
    assert len(href.split("/blob/")[1].split("/")[0]) == 40


def test_card_back_link_reaches_the_smell(site, page):
    page.goto((site / "patterns/root.html").as_uri())
    card = page.locator("div.pypatterns-card")
    assert card.is_visible()
    assert "3 citations from 2 upstreams" in card.inner_text()
    card.locator("a", has_text="bare-raise").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("smells/bare.html")
    assert page.locator("div.pypatterns-card").inner_text().count("exception-root") >= 1


def test_matrix_shows_empty_cells_and_totals(site, page):
    page.goto((site / "matrix.html").as_uri())
    empty = page.locator("td.pypatterns-empty")
    assert empty.count() == 1 and empty.first.is_visible() and empty.first.inner_text().strip() == "\u00b7"
    rows = page.locator("table.pypatterns-matrix tbody tr")
    assert rows.last.inner_text().split() == ["Total", "1", "3", "4"]
