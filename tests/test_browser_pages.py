"""Every page of the built book in headless Chromium: navigation at every width, and accessibility.

Uses the playground tests' fixtures (tests/test_playground.py): the book built with PYODIDE=local
into a temporary folder, served on 127.0.0.1, Debian's Chromium driven by Playwright. Every request
leaving 127.0.0.1 is aborted and fails the test. axe-core comes from npm (package.json pins it;
`make node_modules`, run by `make test`, installs it into the git-ignored node_modules/).
"""
import sys

import pytest
from helpers import block_off_loopback, unavailable
from test_playground import ROOT, browser, playwright_api, server, site  # noqa: F401 (fixtures)

sys.path.insert(0, str(ROOT / "scripts"))
import page_weight

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
TABLET = {"viewport": {"width": 768, "height": 1024}}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CHAPTER = "notebooks/04_attention.html"
NEXT_CHAPTER = "05_mlp.html"


# Every page of the built book (also what scripts/page_weight.py weighs)
book_pages = page_weight.book_pages


class Offline:
    """A browser context whose requests may go to 127.0.0.1 only; the others are aborted and recorded."""

    def __init__(self, chromium, **options):
        self.context = chromium.new_context(**options)
        self.external = block_off_loopback(self.context)

    def close(self):
        self.context.close()
        assert not self.external, f"requests left 127.0.0.1: {self.external}"


@pytest.fixture
def offline(browser):  # noqa: F811
    made = []

    def make(**options):
        made.append(Offline(browser, **options))
        return made[-1]
    yield make
    for o in made:
        o.close()


def drawer(page, which):
    """The opened ``primary`` (chapters) or ``secondary`` (sections) sidebar at narrow widths.

    pydata-sphinx-theme 0.16+ moves the sidebar into a <dialog id="pst-...-sidebar-modal">; 0.15 (the release
    Python 3.10 gets, with sphinx-book-theme 1.1) slides the ``.bd-sidebar-...`` itself in, through a checkbox.
    """
    modal = page.locator(f"#pst-{which}-sidebar-modal")
    return modal if modal.count() else page.locator(f".bd-sidebar-{which}").first


def press(page, locator, touch):
    locator.tap() if touch else locator.click()


def no_tooltip_left(page):
    page.wait_for_timeout(700)  # Bootstrap shows a tooltip 500 ms after hover or focus
    assert page.locator(".tooltip.show").count() == 0, "a tooltip stayed open after the tap"


@pytest.mark.parametrize("device", [PHONE, TABLET], ids=["phone-390-touch", "tablet-768"])
def test_narrow_screens_open_the_chapter_list_and_the_contents(offline, server, device):  # noqa: F811
    touch = device.get("has_touch", False)
    page = offline(**device).context.new_page()
    page.goto(server + CHAPTER)
    # One sidebar button and one contents button, both visible (the theme used to render a second,
    # hidden pair first, and its script wired those).
    primary = page.locator(".primary-toggle")
    secondary = page.locator(".secondary-toggle")
    assert primary.count() == 1 and primary.is_visible()
    assert secondary.count() == 1 and secondary.is_visible()

    assert not drawer(page, "primary").is_visible() and not drawer(page, "secondary").is_visible()
    press(page, primary, touch)
    modal = drawer(page, "primary")
    modal.wait_for(state="visible", timeout=5000)
    link = modal.locator(f'nav.bd-docs-nav a[href$="{NEXT_CHAPTER}"]')
    assert link.is_visible()
    no_tooltip_left(page)
    press(page, link, touch)
    page.wait_for_url("**/" + NEXT_CHAPTER, timeout=10_000)

    page.wait_for_load_state()
    press(page, page.locator(".secondary-toggle"), touch)
    toc = drawer(page, "secondary")
    toc.wait_for(state="visible", timeout=5000)
    sections = toc.locator("#pst-page-toc-nav a, nav.bd-toc-nav a")
    assert sections.count() >= 3 and sections.first.is_visible()
    no_tooltip_left(page)
    page.keyboard.press("Escape")
    toc.wait_for(state="hidden", timeout=5000)


def test_desktop_sidebar_button_collapses_and_restores_the_sidebar(offline, server):  # noqa: F811
    page = offline(**DESKTOP).context.new_page()
    page.goto(server + CHAPTER)
    sidebar = page.locator(".bd-sidebar-primary")
    assert sidebar.count() == 1 and sidebar.is_visible()
    # One search box at desktop width (the theme used to add a second one in a header bar).
    assert page.locator(".search-button-field:visible").count() == 1
    button = page.locator(".primary-toggle")
    button.click()
    sidebar.wait_for(state="hidden", timeout=5000)
    assert not page.locator("#pst-primary-sidebar-modal").is_visible()  # collapsed, not popped out
    button.click()
    sidebar.wait_for(state="visible", timeout=5000)
    no_tooltip_left(page)


def test_pages_are_light_icons_and_a_favicon(offline, server, site):  # noqa: F811
    """No fontawesome.js (1.49 MB per page: the theme's CSS web font draws the icons) and a favicon."""
    o = offline(**DESKTOP)
    page = o.context.new_page()
    urls = []
    page.on("response", lambda r: urls.append((r.status, r.url)))
    page.goto(server + CHAPTER, wait_until="networkidle")
    assert not [u for _, u in urls if "fontawesome.js" in u]
    icon = page.eval_on_selector('link[rel="icon"]', "e => e.href")
    assert page.request.get(icon).status == 200, icon
    # The icons still draw: the sidebar button's bars glyph has the Font Awesome font and a size.
    font = page.eval_on_selector(".primary-toggle .fa-bars", "e => getComputedStyle(e, '::before').fontFamily")
    assert "Font Awesome" in font


def test_every_page_is_within_its_weight_budget(browser, server, site):  # noqa: F811
    """Issue 13's size budget, in bytes Chromium loads (scripts/page_weight.py): a chapter without widgets
    at most 2 MB, a page with widgets at most 4 MB (the Python worker of the live widgets not counted)."""
    rows = page_weight.weigh_book(browser, server, site)
    assert len(rows) >= 20 and {k for _, k, _, _ in rows} == {"plain", "widgets"}
    over = page_weight.over_budget(rows)
    assert not over, "pages over budget:\n" + "\n".join(over)


# ---------------------------------------------------------------- axe-core on every page

def axe(page, contrast=True):
    """Serious and critical axe-core violations on the page: a list of readable lines."""
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"]}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    result = page.evaluate("options => axe.run(document, options)", options)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(n["target"]) + " " + n["html"][:80] for n in v["nodes"][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def settle(page):
    """Wait until the page's late content is there: embedded widgets drawn, live widgets live (equations are
    MathML, drawn at once)."""
    page.wait_for_load_state("load")
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        # attached, not visible: a live widget hides the stored one it replaces once Python is ready
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=20_000)
    if page.locator(".mg-live").count():
        page.wait_for_function("window.mgLive && ['live', 'error'].includes(window.mgLive.state)", timeout=60_000)
    page.wait_for_timeout(400)  # the book's script names and tab-stops late content after 200 ms


def train_playground(page):
    """Train the playground briefly, so its logs, tables and samples are on the page too."""
    page.wait_for_function("window.mgPlayground && window.mgPlayground.state === 'ready'", timeout=60_000)
    page.click("#mg-train")
    page.wait_for_function("window.mgPlayground.losses.length >= 30", timeout=60_000)
    page.click("#mg-pause")
    page.wait_for_function("window.mgPlayground.state === 'paused'", timeout=30_000)
    if page.locator("#mg-generate").count():
        page.click("#mg-generate")
        page.wait_for_selector("#mg-samples li", timeout=30_000)
    page.wait_for_timeout(400)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop-1280", "phone-390"])
def test_axe_finds_no_serious_violation_on_any_page(offline, server, site, scheme, device):  # noqa: F811
    if not AXE.exists():
        unavailable(f"{AXE} is missing: run `make node_modules` (npm ci)")
    page = offline(color_scheme=scheme, **device).context.new_page()
    # Colour contrast, by far the slowest rule (every text node), is checked at desktop width in
    # both colour schemes: the book's colours do not depend on the width. Every other rule runs
    # at both widths.
    contrast = device is DESKTOP
    found = []
    for path in book_pages(site):
        page.goto(server + path)
        settle(page)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme, path
        found += [f"{path}: {line}" for line in axe(page, contrast)]
        if path == "book/playground.html":
            train_playground(page)
            found += [f"{path} after training: {line}" for line in axe(page, contrast)]
    assert not found, "\n".join(found)
