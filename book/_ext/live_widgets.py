"""Sphinx hook: the chapters' widgets come alive in the reader's browser.

For each chapter listed in ``LIVE`` this extension

* finds the notebook cell whose code makes the widget (by the call in its source, e.g.
  ``head_inspector(``; or a cell tagged ``live-widget-<kind>`` in its metadata, or a
  ``{live-widget} <kind>`` directive, if a chapter prefers to say where), and
* inserts into that cell a text label ("Static picture: loading the live version...") and a
  mount ``<div class="mg-live" ...>`` that ``_static/playground/live.mjs`` fills with the live
  widget once the book's Python worker (``worker.mjs``, shared with the playground) is ready.
  The widget starts from the settings of the notebook's own call (read from its source with
  ``ast``), so its first render shows the numbers of the stored output.

After the HTML build it writes the chapters' models into ``_static/live/``: the weights the
notebook trains (same code, same seed, same engine as the notebook's setup cell), as a microgpt
checkpoint, and chapter 2's BPE merges. They are cached in ``.cache/live/`` under a hash of the
package sources and the recipe, so an unchanged package costs nothing on the next build.
"""
import ast
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "live"

# The chapter models, each with the notebook's recipe (read the setup cells of the chapters named).
MODELS = {
    # 04_attention and 09_inference: setup(42, engine="numpy"), train 1000 steps at the default rate.
    "names-seed42-1000": {"kind": "checkpoint", "seed": 42, "engine": "numpy", "steps": 1000},
    # 02_tokenizer: bpe.train(train_text, 1000), train_text = four paragraphs of every five of the course text
    # (the chapter's own split; tests/test_live.py checks the widget against the chapter's stored output)
    "bpe-1000": {"kind": "merges", "merges": 1000},
}

# docname -> the widget, the call that makes it in the notebook, where its settings come from.
LIVE = {
    "notebooks/02_tokenizer": {"widget": "tokenizer", "find": 'bpe.tokens(" understanding"',
                               "model": "names-seed42-1000", "merges": "bpe-1000",
                               "settings": {"text": "understanding"}, "replace": False},
    "notebooks/04_attention": {"widget": "attention", "find": "head_inspector(", "model": "names-seed42-1000",
                               "calls": {"head_inspector": ["model", "tokenizer", "name", "layer", "head"]}},
    "notebooks/09_inference": {"widget": "temperature", "find": "explorer.show()", "model": "names-seed42-1000",
                               "calls": {"TemperatureExplorer": ["model", "tokenizer", "prefix", "temperature",
                                                                 "n_names", "seed"],
                                         "update": ["prefix", "temperature"]}},
    "notebooks/13_playground": {"widget": "dashboard", "find": "pg.show()",
                                "calls": {"Playground": [], "train": ["steps"]}},
}


# ---------------------------------------------------------------- settings from the notebook's calls
def call_settings(sources, calls):
    """The literal arguments of the named calls, in cell order (later calls override earlier ones)."""
    found = {}
    for source in sources:
        try:
            python_lines = (line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
            tree = ast.parse("\n".join(python_lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in calls:
                continue
            args = dict(zip(calls[name], node.args))
            args.update((k.arg, k.value) for k in node.keywords if k.arg)
            for key, value in args.items():
                try:
                    found[key] = ast.literal_eval(value)
                except ValueError:
                    pass
    return {k: v for k, v in found.items() if k not in ("model", "tokenizer")}


def widget_settings(spec, sources, index):
    """The settings of the widget made in cell ``index``: the spec's defaults, then the notebook's calls so far."""
    settings = dict(spec.get("settings", {}))
    settings.update(call_settings(sources[: index + 1], spec.get("calls", {})))
    return settings


def widget_cell(spec, cells):
    """The index of the cell that makes the widget: by its tag, else by the call in its source."""
    tag = f"live-widget-{spec['widget']}"
    for i, (_, metadata) in enumerate(cells):
        if tag in metadata.get("tags", []):
            return i
    for i, (source, _) in enumerate(cells):
        if spec["find"] in source:
            return i
    return None


def _relative_root(docname):
    return "../" * docname.count("/")


def mount_html(docname, spec, settings):
    root = _relative_root(docname)
    attrs = {"class": "mg-live", "data-widget": spec["widget"], "data-settings": json.dumps(settings)}
    if spec.get("model"):
        attrs["data-model"] = f"{root}_static/live/{spec['model']}.json"
    if spec.get("merges"):
        attrs["data-merges"] = f"{root}_static/live/{spec['merges']}.json"
    replace = spec.get("replace", True)  # False: the cell's output stays (the widget is new, not a live copy of it)
    attrs["data-replace"] = "yes" if replace else "no"
    label = ("Static picture: loading the live version (Python in your browser)…" if replace
             else "Live version: loading Python in your browser…")
    from html import escape
    attr_text = " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in attrs.items())
    return (f'<link rel="stylesheet" href="{root}_static/playground/playground.css">'
            f'<div {attr_text}><p class="mg-live-label" role="status" data-state="loading">{label}</p></div>'
            f'<script type="module" src="{root}_static/playground/live.mjs"></script>')


class live_widget_node(nodes.General, nodes.Element):
    """Where a ``{live-widget}`` directive asks for a widget (replaced in ``doctree-resolved``)."""


class LiveWidget(Directive):
    required_arguments = 1
    option_spec: ClassVar[dict] = {"settings": directives.unchanged}

    def run(self):
        node = live_widget_node()
        node["widget"] = self.arguments[0]
        node["settings"] = json.loads(self.options.get("settings", "{}"))
        return [node]


def _notebook_sources(app, docname):
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".ipynb":
        return []
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"], c.get("metadata", {}))
            for c in nb["cells"]]


def on_doctree_resolved(app, doctree, docname):
    spec = LIVE.get(docname)
    for node in list(doctree.findall(live_widget_node)):
        kind = node["widget"]
        chosen = spec if spec and spec["widget"] == kind else {"widget": kind}
        node.replace_self(nodes.raw("", mount_html(docname, chosen, node["settings"]), format="html"))
        spec = None  # the directive placed it
    if spec is None:
        return
    cells = _notebook_sources(app, docname)
    wanted = widget_cell(spec, cells)
    for cell in doctree.findall(nodes.container):
        index = cell.get("cell_index")
        if cell.get("nb_element") != "cell_code" or index is None or index != wanted:
            continue
        settings = widget_settings(spec, [s for s, _ in cells], index)
        cell["classes"].append("mg-live-cell")
        cell.append(nodes.raw("", mount_html(docname, spec, settings), format="html"))
        return
    raise RuntimeError(f"live_widgets: no cell in {docname} calls {spec['find']!r}; "
                       "update LIVE in book/_ext/live_widgets.py")


# ---------------------------------------------------------------- the chapters' models, built once
def _package_hash(recipe):
    h = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    h.update(sys.version.encode())  # BPE's training text is the standard library's docstrings
    for path in sorted((ROOT / "microgpt").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_model(name, recipe, path):
    sys.path.insert(0, str(ROOT))
    try:
        import microgpt
        from microgpt import bpe, checkpoint
    finally:
        sys.path.pop(0)
    if recipe["kind"] == "merges":
        paragraphs = microgpt.data.bpe_sample_text().split("\n\n")
        train_text = "\n\n".join(p for i, p in enumerate(paragraphs) if i % 5 != 4)
        merges = bpe.train(train_text, recipe["merges"])
        data = {"format": "microgpt-bpe-merges", "merges": [list(p) for p in merges],
                "meta": {"recipe": f"bpe.train(four paragraphs in five of bpe_sample_text(), {recipe['merges']:d})",
                         "python": sys.version.split()[0]}}
        checkpoint.atomic_write_text(path, json.dumps(data))
        return
    model, docs, tokenizer, _ = microgpt.setup(recipe["seed"], engine=recipe["engine"])
    microgpt.train(model, docs, tokenizer, recipe["steps"])
    checkpoint.save_checkpoint(path, model, tokenizer, seed=recipe["seed"], steps=recipe["steps"],
                               engine=recipe["engine"], recipe=f"setup({recipe['seed']}, engine={recipe['engine']!r}); "
                               f"train(model, docs, tokenizer, {recipe['steps']})")


def write_models(outdir):
    dest = Path(outdir) / "_static" / "live"
    dest.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, recipe in MODELS.items():
        cached = CACHE / f"{name}-{_package_hash(recipe)}.json"
        if not cached.exists():
            for old in CACHE.glob(f"{name}-*.json"):
                old.unlink(missing_ok=True)  # two builds at once (make test's workers) may both prune
            build_model(name, recipe, cached)
        shutil.copy2(cached, dest / f"{name}.json")


def on_build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        write_models(app.outdir)


def on_config_inited(app, config):
    """A fork's repository (``sphinx.config.microgpt_repository``) turns on the repository, Binder and Colab buttons.

    Empty (the default book): none of them, so no page links to a repository that does not exist.
    """
    repo = (config.microgpt_repository or "").strip().rstrip("/")
    if not repo:
        return
    if not repo.startswith("https://github.com/") or repo.count("/") != 4:
        raise RuntimeError(f"microgpt_repository must look like https://github.com/<owner>/<name>, got {repo!r}")
    options = dict(config.html_theme_options or {})
    options.update(repository_url=repo, repository_branch="main", path_to_docs="", use_repository_button=True)
    options["launch_buttons"] = dict(options.get("launch_buttons") or {}, notebook_interface="jupyterlab",
                                     binderhub_url="https://mybinder.org",
                                     colab_url="https://colab.research.google.com")
    config.html_theme_options = options


def setup(app):
    app.add_config_value("microgpt_repository", "", "html")
    app.connect("config-inited", on_config_inited)
    app.add_node(live_widget_node, html=(lambda self, node: None, lambda self, node: None))
    app.add_directive("live-widget", LiveWidget)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
