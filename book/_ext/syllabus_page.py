"""Sphinx hook: regenerate book/_generated/syllabus_plans.md (included by book/syllabus.md) before reading.

Runs ``scripts/syllabus.py page``: word counts, objectives and exercises are read from the notebooks at every
build, so the syllabus never disagrees with the chapters; execution times come from the measured
book/_generated/execution_times.json.
"""
import importlib.util
import pathlib


def generate(app):
    script = pathlib.Path(app.srcdir) / "scripts" / "syllabus.py"
    spec = importlib.util.spec_from_file_location("microgpt_syllabus", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.page()


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
