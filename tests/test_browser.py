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
    files = evidence_files()
    files["pins.md"] = "# Pins\n\n:::{pin-table}\n:::\n"
    pages = "\n".join(sorted(name.removesuffix(".md") for name in files))
    # the evidence index in the navigation, as docs/index.md lists it
    files["index.md"] = f"# Index\n\n```{{toctree}}\n{pages}\n```\n\n```{{toctree}}\nEvidence <pp-evidence>\n```\n"
    src = write_evidence_project(root / "p", repo, pin, files, 'html_theme = "furo"\n')
    manifest = src / "upstreams.toml"  # a long tag and license: cells of the pin table that do not wrap
    text = manifest.read_text().replace('license = "MIT"', 'license = "Apache-2.0 WITH LLVM-exception"', 1)
    manifest.write_text(text.replace('tag = "v1"', 'tag = "release-2026.12.02-candidate"', 1))
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


BOX = """(selector) => {
    const r = document.querySelector(selector).getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, width: r.width, height: r.height};
}"""


def box(page, selector: str) -> dict[str, float]:
    return page.evaluate(BOX, selector)


ROOT_CITE = "span.pypatterns-cite:has(a[href$='/pkg/errors.py#L6-L11'])"


def test_a_citation_by_its_symbol_shows_where_it_points(site, page):
    page.goto((site / "patterns/root.html").as_uri())
    link = page.locator(f"{ROOT_CITE} > a").first
    assert link.inner_text().split() == ["HTTPError", "pkg/errors.py:6\u201311"]
    where = link.locator("span.pypatterns-where")
    assert where.is_visible() and where.inner_text() == "pkg/errors.py:6\u201311"
    size = "(e) => parseFloat(getComputedStyle(e).fontSize)"
    assert where.evaluate(size) < link.evaluate(size)  # smaller than the symbol, by the extension's CSS
    assert link.get_attribute("title") is None  # where it points is shown, not in a tooltip


def _popup_shown(page) -> bool:
    found = box(page, f"{ROOT_CITE} > span.pypatterns-popup")
    return found["width"] > 100 and found["height"] > 40


def test_the_cited_lines_show_on_hover_and_on_keyboard_focus_only(site, page):
    page.goto((site / "patterns/root.html").as_uri())
    popup = page.locator(f"{ROOT_CITE} > span.pypatterns-popup").first
    # in the page, after the link (screen readers and print reach it), with the cited lines numbered
    text = popup.text_content() or ""
    assert text.splitlines()[0].split() == ["6", "class", "HTTPError(Exception):"], text
    assert text.splitlines()[-1].split() == ["11", "self.message", "=", "message"], text
    assert not _popup_shown(page)
    page.locator(f"{ROOT_CITE} > a").first.hover()
    assert _popup_shown(page)
    page.mouse.move(0, 0)
    assert not _popup_shown(page)
    # by keyboard: Tab until the citation holds the focus
    focused = "(sel) => document.activeElement?.matches(sel + ' > a') ?? false"
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate(focused, ROOT_CITE):
            break
    else:
        pytest.fail("Tab never reached the citation")
    assert _popup_shown(page)
    page.keyboard.press("Tab")
    assert not page.evaluate(focused, ROOT_CITE)
    assert not _popup_shown(page)


INSIDE = """([inner, outer]) => {
    const a = inner.getBoundingClientRect(), b = outer.getBoundingClientRect();
    return a.width > 0 && a.left >= b.left - 0.5 && a.right <= b.right + 0.5;
}"""


@pytest.mark.parametrize("width", [1000, 400])
def test_the_pin_table_stays_in_the_content_box(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto((site / "pins.html").as_uri())
        table, content = page.locator("table.pypatterns-pins"), page.locator("article[role=main]")
        assert page.locator("td.pypatterns-commit").first.is_visible()
        # the browser lays out its columns: given widths (print's) keep a table wider than the page
        assert table.locator("col[style*=width]").count() == 0
        fits = page.evaluate(INSIDE, [table.element_handle(), content.element_handle()])
        if width >= 1000:
            assert fits, (box(page, "table.pypatterns-pins"), box(page, "article[role=main]"))
        if not fits:  # narrower than its shortest layout: it scrolls in a container that fits
            scroller = table.locator("xpath=..")
            assert scroller.evaluate("(e) => getComputedStyle(e).overflowX") in ("auto", "scroll")
            assert page.evaluate(INSIDE, [scroller.element_handle(), content.element_handle()])
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page does not scroll sideways
    finally:
        context.close()


def test_the_sidebar_links_to_the_evidence_index(site, page):
    page.goto((site / "patterns/root.html").as_uri())
    link = page.locator(".sidebar-tree a", has_text="Evidence")
    assert link.count() == 1 and link.is_visible()
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("/pp-evidence.html")
    assert page.locator("table.domainindex-table").count() == 1
