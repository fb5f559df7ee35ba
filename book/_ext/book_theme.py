"""Sphinx hook: the book's own fixes to sphinx-book-theme 1.3.0 + pydata-sphinx-theme 0.17.1.

Dead sidebar and contents buttons below 992 px, and two search boxes at desktop width:
pydata-sphinx-theme 0.17 moved the default of its ``navbar_persistent`` option out of
theme.conf into code (``update_config``: "if the user has not set it, use
["search-button-field"]"). sphinx-book-theme empties that option in its own theme.conf,
which 0.17 no longer reads, so every page gets pydata's header bar as well: a second
search box, and its own ``.primary-toggle``/``.secondary-toggle`` buttons *before*
sphinx-book-theme's. Both themes' scripts wire only ``document.querySelector(".primary-toggle")``,
the first (hidden) copy, so the visible buttons did nothing (pydata-sphinx-theme #2451,
sphinx-book-theme #988). Setting the option explicitly to ``[]``, as sphinx-book-theme
means it, removes pydata's header bar: one copy of each button, one search box, and both
scripts wire the buttons the reader sees.

Also: the book's stylesheet and script (book/_theme/theme/, served as _static/theme/), and the
"Download the PDF" link at the foot of the sidebar (book/_templates/book-pdf-link.html), shown once
`make pdf` has made _build/pdf/microgpt-book.pdf; the PDF is then copied next to the HTML pages.
"""
import pathlib
import shutil

PDF_NAME = "microgpt-book.pdf"


def _pdf(app):
    """The PDF `make pdf` wrote next to this HTML build (<out>/_build/pdf/), if any, for the html builder."""
    if app.builder.name != "html":
        return None
    pdf = pathlib.Path(app.outdir).parent / "pdf" / PDF_NAME
    return pdf if pdf.is_file() else None


def _theme_options(app, config):
    options = dict(config.html_theme_options or {})
    options.setdefault("navbar_persistent", [])
    options.setdefault("primary_sidebar_end", ["book-pdf-link.html"])
    config.html_theme_options = options


def _singlehtml_handlers(app):
    """The single-page build (`make pdf`) gets every node the HTML build can write.

    Sphinx looks node visitors up by builder name first: sphinx-exercise registers its nodes for
    "singlehtml" as well, and that set then hides every node registered for "html" only (myst-nb's
    hidden-input cells: "departing unknown node type: HideCodeCellNode").
    """
    if app.builder.name == "singlehtml":
        handlers = app.registry.translation_handlers
        for node, visitors in handlers.get("html", {}).items():
            handlers.setdefault("singlehtml", {}).setdefault(node, visitors)


def _print_toc_of_the_whole_book(app, pagename, templatename, context, doctree):
    """The single-page build (`make pdf`) prints the whole book's table of contents at its front.

    sphinx-book-theme prints ``generate_toc_html()`` (pydata-sphinx-theme's "on this page" list) in
    ``#jb-print-toc``; for the single page, Sphinx's ``toc`` is the book's toctree: one list per part.
    pydata-sphinx-theme reads only the *first* list and, when it has a single entry with no sub-entries,
    takes that entry for the page's own title and returns nothing. Our first part, "Before you start",
    has one chapter (the maths page), so the printed contents came out empty. For the single page,
    give the theme the whole toctree (with the theme's list classes), every part and chapter.
    """
    if app.builder.name != "singlehtml" or not context.get("toc") or "generate_toc_html" not in context:
        return
    from bs4 import BeautifulSoup  # pydata-sphinx-theme's own dependency
    from markupsafe import Markup
    theme_toc = context["generate_toc_html"]

    def whole_book(kind="html"):
        if kind != "html":
            return theme_toc(kind)
        soup = BeautifulSoup(context["toc"], "html.parser")
        for ul in soup("ul"):
            ul["class"] = [*ul.get("class", []), "nav", "section-nav", "flex-column"]
        for li in soup("li"):
            li["class"] = [*li.get("class", []), "nav-item", "toc-entry"]
        return Markup(str(soup))
    context["generate_toc_html"] = whole_book


def _pdf_link(app, pagename, templatename, context, doctree):
    context["book_pdf"] = context["pathto"](PDF_NAME, 1) if _pdf(app) else ""


def _copy_pdf(app, exception):
    if exception is None and _pdf(app):
        shutil.copyfile(_pdf(app), pathlib.Path(app.outdir) / PDF_NAME)


def setup(app):
    app.connect("config-inited", _theme_options)
    app.connect("builder-inited", _singlehtml_handlers)
    app.connect("html-page-context", _pdf_link)
    # after pydata-sphinx-theme's html-page-context hook (priority 500), which defines generate_toc_html
    app.connect("html-page-context", _print_toc_of_the_whole_book, priority=900)
    app.connect("build-finished", _copy_pdf)
    app.add_css_file("theme/book.css")
    app.add_js_file("theme/book.js", loading_method="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
