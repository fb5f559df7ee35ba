"""Print the single-page HTML build of the book to one PDF with headless Chromium (`make pdf`).

    python scripts/book_pdf.py _build/singlehtml _build/pdf/microgpt-book.pdf

Serves the single-page build on 127.0.0.1 (no other host is reachable: every other request is
aborted), waits for the embedded widgets (the equations are MathML, drawn by Chromium), and prints with the book's print
stylesheet (book/_theme/theme/book.css: code wraps, figures fit the page). The theme prints a linked
table of contents (every part and chapter) at the front; the PDF also gets bookmarks for the
headings and page numbers.
Needs Debian's /usr/bin/chromium and the playwright package (requirements-test.txt); no TeX.
"""
import argparse
import os
import pathlib
import re

from loopback import CHROMIUM, CHROMIUM_ARGS, block_off_loopback, check_book, serve

# A4 with 12 mm side margins: the printable width in CSS pixels (96 per inch).
PAGE = {"format": "A4", "margin": {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}}
PRINT_WIDTH_PX = round((210 - 24) / 25.4 * 96)


def root_page(folder):
    """The single page (index.html only redirects to it, e.g. to book/intro.html)."""
    m = re.search(r'url=([^"\s]+)', (folder / "index.html").read_text())
    return m.group(1) if m else "index.html"


def link_image_folders(folder):
    """Sphinx's single-page builder writes its links to images and static files relative to the build
    folder's top even when the page sits in a sub-folder (root doc book/intro: "_images/x.png" and
    "_static/..." from book/intro.html). Make those links resolve: <sub-folder>/_images -> ../_images,
    the same for every other top-level "_" folder."""
    page_dir = (folder / root_page(folder)).parent
    if page_dir == folder:
        return
    for target in sorted(folder.glob("_*")):
        link = page_dir / target.name
        if target.is_dir() and not link.exists():
            link.symlink_to(os.path.relpath(target, page_dir), target_is_directory=True)


def open_for_print(browser, base, folder):
    """The single page, fully drawn, in print media at the PDF's width; returns the Playwright page."""
    context = browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1100}, color_scheme="light")
    external = block_off_loopback(context)
    page = context.new_page()
    page.external = external
    page.goto(base + root_page(folder), wait_until="networkidle", timeout=120_000)
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        page.wait_for_selector(".jupyter-widgets", timeout=60_000)
    page.emulate_media(media="print")
    page.wait_for_timeout(500)
    return page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("singlehtml", type=pathlib.Path, help="the singlehtml build folder (has index.html)")
    parser.add_argument("pdf", type=pathlib.Path, help="where to write the PDF")
    args = parser.parse_args(argv)
    check_book("book_pdf", args.singlehtml, build="jupyter-book build --builder singlehtml .")
    from playwright.sync_api import sync_playwright

    args.pdf.parent.mkdir(parents=True, exist_ok=True)
    link_image_folders(args.singlehtml)
    with serve(args.singlehtml) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_for_print(browser, base, args.singlehtml)
        footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                  '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
        page.pdf(path=str(args.pdf), print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<div></div>", footer_template=footer, **PAGE)
        if page.external:  # e.g. the playground's Pyodide from its CDN: nothing the printed page shows
            print(f"book_pdf: not loaded (not 127.0.0.1): {' '.join(sorted(set(page.external)))}")
        browser.close()
    print(f"book_pdf: wrote {args.pdf} ({args.pdf.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
