"""Build a reveal.js slide deck per chapter: ``make slides`` -> _build/html/slides/<chapter>.slides.html.

    python scripts/slides.py [--out DIR] [--reveal DIR] [NB ...]

The notebooks carry no slide metadata; this script sets each cell's ``slideshow.slide_type`` in a copy, by one
rule, so that a deck is the chapter's argument:

* the title cell and every ``##`` section heading start a new slide (``slide``); a ``###`` heading a ``subslide``;
* a markdown cell with a display equation (``$$``) is shown (``subslide``): the key equations; so is the
  first cell after a ``##`` heading when it is prose (the section's opening claim), and the prose cell right after
  a figure or a measured result (what the measurement shows);
* a code cell that draws a figure is shown without its code (``subslide``, input removed): the figures;
* a code cell that prints a short result (1 to 14 lines) is shown without its code (``subslide``): the
  measured claims;
* everything else is skipped, and so is all of the Exercises section after its heading (the quiz is in the book).

Widget outputs are dropped (their text fallback is kept), and the deck loads reveal.js and MathJax from its own
folder (reveal.js/ and mathjax/ next to the decks), so it works offline and from file://.
"""
import argparse
import copy
import pathlib
import re
import shutil
import sys

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "_build" / "html" / "slides"
TEMPLATE = pathlib.Path(__file__).resolve().parent / "slides_template"
MATHJAX = ROOT / "book" / "_mathjax" / "mathjax"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MAX_CLAIM_LINES = 14


def _has_figure(cell):
    return any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for o in cell.get("outputs", []))


def _printed_lines(cell):
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return len(text.strip().splitlines()) if text.strip() else 0


def slide_types(nb):
    """Set slide types (and remove-input tags) in place, by the rule in the module docstring; returns the count."""
    in_exercises, n_slides, opening, after_result = False, 0, False, False
    for i, cell in enumerate(nb.cells):
        src = cell.source.lstrip()
        kind, hide_input = "skip", False
        if cell.cell_type == "markdown":
            heading = re.match(r"(#{1,3})\s", src)
            if heading and re.match(r"##\s+(Exercises|Quiz)\b", src):
                in_exercises = True
            if in_exercises:
                kind = "slide" if heading and src.startswith("## Exercises") else "skip"
            elif i == 0 or (heading and len(heading.group(1)) <= 2):
                kind = "slide"
            elif heading:
                kind = "subslide"
            elif "$$" in src or opening or after_result:
                kind = "subslide"
            opening = bool(heading) and len(heading.group(1)) == 2 and not in_exercises
            after_result = False
        elif cell.cell_type == "code" and not in_exercises:
            opening = False
            after_result = _has_figure(cell) or 0 < _printed_lines(cell) <= MAX_CLAIM_LINES
            if _has_figure(cell):
                kind, hide_input = "subslide", True
            elif 0 < _printed_lines(cell) <= MAX_CLAIM_LINES and not _has_widget(cell):
                kind, hide_input = "subslide", True
        cell.metadata["slideshow"] = {"slide_type": kind}
        tags = [t for t in cell.metadata.get("tags", []) if t not in ("hide-input", "remove-input")]
        cell.metadata["tags"] = tags + (["remove-input"] if hide_input else [])
        n_slides += kind in ("slide", "subslide")
    return n_slides


def _has_widget(cell):
    return any(WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", []))


def strip_widgets(nb):
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            out.get("data", {}).pop(WIDGET_MIME, None)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "display_data" or o.get("data")]


def build(path, out):
    nb = copy.deepcopy(nbformat.read(path, as_version=4))
    strip_widgets(nb)
    n = slide_types(nb)
    config = Config()
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    config.TagRemovePreprocessor.enabled = True
    config.SlidesExporter.preprocessors = ["nbconvert.preprocessors.TagRemovePreprocessor"]
    config.SlidesExporter.reveal_url_prefix = "reveal.js"
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    exporter = SlidesExporter(config=config, extra_template_basedirs=[str(TEMPLATE.parent)],
                              template_name=TEMPLATE.name)
    title = nb.cells[0].source.lstrip("# ").split("\n")[0] if nb.cells else path.stem
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = re.sub(r'href="(\d\d_\w+)\.ipynb', r'href="\1.slides.html', body)  # links between chapters
    target = out / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target, n


def install_assets(out, reveal):
    """Copy reveal.js (dist/ and its LICENSE) and MathJax next to the decks."""
    if not (reveal / "dist" / "reveal.js").exists():
        sys.exit(f"slides.py: no reveal.js in {reveal}; run `make reveal` (npm pack reveal.js, pinned)")
    dest = out / "reveal.js"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(reveal / "dist", dest / "dist")
    shutil.copy2(reveal / "LICENSE", dest / "LICENSE")
    if not (out / "mathjax").exists():
        shutil.copytree(MATHJAX, out / "mathjax")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    ap.add_argument("--reveal", type=pathlib.Path, required=True, help="unpacked npm reveal.js package")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    install_assets(args.out, args.reveal)
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in args.names] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    for path in paths:
        target, n = build(path, args.out)
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: {n} slides")
    return 0


if __name__ == "__main__":
    sys.exit(main())
