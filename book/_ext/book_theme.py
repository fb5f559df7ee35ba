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


def _mathjax_only_with_maths(app, pagename, templatename, context, doctree):
    """MathJax (1.2 MB) only on pages that have maths of their own or widgets (their labels may).

    Sphinx asks its math domain, which counts a page's toctree children too: the root page (the
    intro, whose toctree is the whole book) and the reference pages loaded MathJax for nothing.
    """
    if app.builder.name != "html" or not app.config.mathjax_path:
        return
    scripts = context.get("script_files") or []
    if app.env.get_domain("math").data["has_equations"].get(pagename):
        return
    if any("embed-amd" in (getattr(js, "filename", "") or "") for js in scripts):
        return

    def is_mathjax(js):
        body = (getattr(js, "attributes", {}) or {}).get("body", "")
        name = (getattr(js, "filename", "") or "").split("?")[0]
        return name.endswith(app.config.mathjax_path) or body.startswith("window.MathJax")
    context["script_files"] = [js for js in scripts if not is_mathjax(js)]


def _pdf_link(app, pagename, templatename, context, doctree):
    context["book_pdf"] = context["pathto"](PDF_NAME, 1) if _pdf(app) else ""


def _copy_pdf(app, exception):
    if exception is None and _pdf(app):
        shutil.copyfile(_pdf(app), pathlib.Path(app.outdir) / PDF_NAME)


def setup(app):
    app.connect("config-inited", _theme_options)
    app.connect("builder-inited", _singlehtml_handlers)
    app.connect("html-page-context", _pdf_link)
    app.connect("html-page-context", _mathjax_only_with_maths, priority=900)
    app.connect("build-finished", _copy_pdf)
    app.add_css_file("theme/book.css")
    app.add_js_file("theme/book.js", loading_method="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
