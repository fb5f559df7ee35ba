"""Sphinx hook: drop repeated inline <script> blocks from each page.

sphinx-thebe 0.3.1 registers its configuration script (``const THEBE_JS_URL = ...``)
twice under Jupyter Book 1, and the browser then throws "Identifier 'THEBE_JS_URL'
has already been declared" on every page. Keeping the first copy of each script
(same file or none, same body) fixes that without touching the installed packages.
"""


def _key(script):
    attrs = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))


def dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", dedupe, priority=999)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
