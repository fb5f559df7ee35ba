"""What every page of the built book weighs in the browser: every byte the page loads (HTML, CSS, JS,
fonts, images), uncompressed, as headless Chromium fetches it from a loopback server.

    python scripts/page_weight.py [_build/html] [--files] [--settle]   # a table per page, and the budget

Each page is opened in a fresh browser context (an empty cache), waited for until it has loaded, its
stored widgets are drawn and its web fonts are in (with --settle: until the network is idle, 0.5 s more
per page; it found the same bytes), and every response body the page received is added up.
Not counted: what the book's Python worker would fetch (Pyodide and the chapter models: the runtime of
the live widgets and the playground, loaded by a worker after the page is there; see WORKER).
tests/test_browser_pages.py fails when a page is over its budget (BUDGET_MB).
"""
import argparse
import pathlib
import sys
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from loopback import CHROMIUM, CHROMIUM_ARGS, block_off_loopback, check_book, serve

MB = 1_000_000
# The book's Python worker (Pyodide, 13.5 MB, and the chapter models) is not counted: the live widgets'
# runtime, started by _static/playground/live.mjs once the page is there. Its script is refused here.
WORKER = "/_static/playground/worker.mjs"
SETTLE = False
# The budget of issue 13: a chapter without widgets, a chapter with widgets (the stored ipywidgets
# picture plus the live widget's script).
BUDGET_MB = {"plain": 2.0, "widgets": 4.0}


def book_pages(html):
    """Every page of the built book (not the redirecting index.html, not theme files; not the JupyterLite app
    under lite/ nor the slide decks under slides/, which are other programs)."""
    skip = ("_static", "_sources", "_images", "lite", "slides")
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if p.relative_to(html).parts[0] not in skip and p.relative_to(html) != pathlib.Path("index.html"))


def kind(html, path):
    """'widgets' for a page with stored ipywidgets or a live widget mount, else 'plain'."""
    text = (html / path).read_text(encoding="utf-8")
    live = 'class="mg-live"' in text or "mgPlayground" in text or 'id="mg-' in text
    return "widgets" if live or "application/vnd.jupyter.widget-state+json" in text else "plain"


def measure(browser, url):
    """(bytes the page loaded, {url: bytes}) for one visit with an empty cache; the Python worker is not started."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    block_off_loopback(context, also_abort=(WORKER,))
    page = context.new_page()
    files = {}

    def on_response(response):
        try:
            files[response.url] = len(response.body())
        except Exception:
            pass
    page.on("response", on_response)
    page.goto(url, wait_until="load", timeout=60_000)
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        page.wait_for_selector(".jupyter-widgets", timeout=30_000)
    # the web fonts the page uses (they load after layout), then anything still in flight
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle", timeout=30_000) if SETTLE else page.wait_for_timeout(100)
    context.close()
    return sum(files.values()), files


def weigh_book(browser, base, html):
    """[(path, kind, bytes, {url: bytes})] for every page of the book."""
    rows = []
    for path in book_pages(html):
        total, files = measure(browser, base + path)
        rows.append((path, kind(html, path), total, files))
    return rows


def over_budget(rows):
    return [f"{path}: {total / MB:.2f} MB > {BUDGET_MB[k]} MB ({k})" for path, k, total, _ in rows
            if total > BUDGET_MB[k] * MB]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=pathlib.Path, default=pathlib.Path("_build/html"))
    parser.add_argument("--files", action="store_true", help="also list the heaviest files of each page")
    parser.add_argument("--settle", action="store_true", help="wait for the network to be idle on each page")
    args = parser.parse_args(argv)
    check_book("page_weight", args.html)
    global SETTLE
    SETTLE = args.settle
    from playwright.sync_api import sync_playwright
    with serve(args.html) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = weigh_book(browser, base, args.html)
        browser.close()
    print(f"{'page':34} {'kind':8} {'MB':>6} {'budget':>6}")
    for path, k, total, files in rows:
        print(f"{path:34} {k:8} {total / MB:6.2f} {BUDGET_MB[k]:6.1f}")
        if args.files:
            for url, size in sorted(files.items(), key=lambda item: -item[1])[:8]:
                print(f"    {size / MB:6.3f}  {urllib.parse.urlsplit(url).path}")
    over = over_budget(rows)
    print("over budget: " + ("; ".join(over) if over else "none"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
