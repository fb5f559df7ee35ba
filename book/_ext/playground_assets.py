"""Sphinx hook for the in-browser playground (book/playground.md).

* Adds ``book/_playground`` to ``html_static_path``: the page's own small files
  (``.mjs``, ``.py``, ``.css``) land in ``_build/html/_static/playground/``. They
  are ``.mjs``, not ``.js``: Jupyter Book would add every static ``*.js`` file to
  every page.
* After the HTML build, builds the ``microgpt`` wheel from this repository
  (``pip wheel --no-deps``) into ``_static/playground/`` and writes
  ``_static/playground/config.json``: where Pyodide comes from and the wheel's name.
* On every page that runs Python (the playground, the chapters with a live widget), adds a small
  inline script at the top of ``<head>`` (``BOOT_JS``) that starts the book's Python worker at once,
  so Pyodide loads while the page's own scripts, styles and pictures do (``start.mjs`` takes it over).
* Where Pyodide comes from, chosen by the environment variable ``PYODIDE``:
  ``cdn`` (default) -> https://cdn.jsdelivr.net/pyodide/v<version>/full/;
  ``local`` -> the npm package files, fetched by ``make pyodide`` into
  ``.cache/pyodide-<version>/``, copied to ``_build/html/_pyodide/`` (no network at view time).
"""
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _read_env(path):
    """``KEY=value`` lines (``#`` comments): the file the Makefile includes."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


PYODIDE = _read_env(Path(__file__).with_name("pyodide.env"))
PYODIDE_VERSION = PYODIDE["PYODIDE_VERSION"]
CDN_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
# The core runtime only: what loadPyodide fetches (no numpy, no micropip).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
PYC_STDLIB = "python_stdlib.pyc.zip"  # python_stdlib.zip + the start-up modules' bytecode (pyc_stdlib.mjs)
ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parents[1] / "_playground"


# Starts worker.mjs while the page is still being parsed; ROOT/ is the page's way to the book's root.
# Its messages wait in window.mgBoot.queue until start.mjs (live.mjs, playground.mjs) takes the worker.
# Opened as a file, module scripts do not run at all, so this (a classic script) says why there is no Python.
BOOT_JS = """(function () {
  if (location.protocol === "file:") {
    document.addEventListener("DOMContentLoaded", function () {
      var why = "Python in the browser needs the book served over HTTP (in the repository: make serve), " +
        "not opened as a file.";
      document.querySelectorAll(".mg-live").forEach(function (mount) {
        var label = mount.querySelector(".mg-live-label");
        if (!label) return;
        label.textContent = (mount.dataset.replace === "no" ? "No live version: " : "Static picture: ") + why;
        label.dataset.state = "error";
      });
      var status = document.getElementById("mg-status");
      if (status) status.textContent = why;
    });
    return;
  }
  if (!window.Worker) return;  // start.mjs says why there is no Python
  var base = new URL("ROOT/_static/playground/", location.href), boot = { queue: [] }, worker;
  try { worker = new Worker(new URL("worker.mjs", base), { type: "module" }); } catch (e) { return; }
  worker.onmessage = function (e) { boot.queue.push(["message", e]); };
  worker.onerror = function (e) { boot.queue.push(["error", e]); };
  worker.postMessage({ type: "init", configURL: new URL("config.json", base).href });
  boot.worker = worker;
  window.mgBoot = boot;
})();"""
PYTHON_PAGES = ("_static/playground/live.mjs", "_static/playground/playground.mjs")


class PlaygroundBuildError(RuntimeError):
    pass


def pyodide_mode():
    mode = os.environ.get("PYODIDE", "cdn").strip() or "cdn"
    if mode not in ("cdn", "local"):
        raise PlaygroundBuildError(f"PYODIDE={mode!r}: use 'cdn' (default) or 'local'")
    return mode


def local_pyodide_dir():
    return ROOT / ".cache" / f"pyodide-{PYODIDE_VERSION}"


def build_wheel(dest):
    """``pip wheel --no-deps`` on a copy of the package sources (keeps build/ out of the repository)."""
    with tempfile.TemporaryDirectory(prefix="microgpt-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy2(ROOT / "pyproject.toml", src)
        readme = ROOT / "README.md"
        if readme.exists():
            shutil.copy2(readme, src)
        else:  # pyproject names README.md as the long description
            (src / "README.md").write_text("The microgpt book.\n", encoding="utf-8")
        shutil.copytree(ROOT / "microgpt", src / "microgpt",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
        out = Path(tmp) / "dist"
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
             "--disable-pip-version-check", "-q", str(src), "-w", str(out)],
            capture_output=True, text=True)
        wheels = sorted(out.glob("microgpt-*-py3-none-any.whl"))
        if proc.returncode or len(wheels) != 1:
            raise PlaygroundBuildError(f"building the microgpt wheel failed:\n{proc.stdout}\n{proc.stderr}")
        for old in dest.glob("microgpt-*.whl"):
            old.unlink()
        shutil.copy2(wheels[0], dest)
        return wheels[0].name


def microgpt_stdlib_imports():
    """The standard-library modules the package's sources import (anywhere, so lazy imports count too)."""
    found = set()
    for path in sorted((ROOT / "microgpt").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(name for name in found if name.partition(".")[0] in sys.stdlib_module_names)


def precompiled_stdlib(src):
    """``python_stdlib.zip`` plus bytecode for the modules start-up imports (``pyc_stdlib.mjs``, run by Node).

    Cached in the Pyodide folder under a hash of the recipe. Returns its path, or None where Node is
    not available or fails (the book then uses Pyodide's own zip: the same modules, compiled on start-up).
    """
    script = Path(__file__).with_name("pyc_stdlib.mjs")
    modules = microgpt_stdlib_imports()
    recipe = json.dumps([PYODIDE_VERSION, script.read_text(encoding="utf-8"), modules]).encode()
    out = src / f"python_stdlib-pyc-{hashlib.sha256(recipe).hexdigest()[:12]}.zip"
    if out.is_file():
        return out
    node = shutil.which("node")
    if node is None:
        return None
    try:
        proc = subprocess.run([node, str(script), str(src), str(out), json.dumps(modules)],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode or not out.is_file():
        return None
    for old in src.glob("python_stdlib-pyc-*.zip"):
        if old != out:
            old.unlink(missing_ok=True)  # two builds at once (make test's workers) may both prune
    return out


def copy_local_pyodide(outdir):
    src = local_pyodide_dir()
    missing = [f for f in PYODIDE_FILES if not (src / f).is_file()]
    if missing:
        raise PlaygroundBuildError(
            f"PYODIDE=local but {src} lacks {', '.join(missing)}; run `make pyodide` first")
    dest = Path(outdir) / "_pyodide"
    dest.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copy2(src / name, dest / name)
    stdlib = precompiled_stdlib(src)
    if stdlib is None:
        (dest / PYC_STDLIB).unlink(missing_ok=True)
        return None
    shutil.copy2(stdlib, dest / PYC_STDLIB)
    return PYC_STDLIB


def on_config_inited(app, config):
    pyodide_mode()  # a bad PYODIDE fails the build before it starts, not after it
    if str(STATIC) not in map(str, config.html_static_path):
        config.html_static_path.append(str(STATIC))


def on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    mode = pyodide_mode()
    dest = Path(app.outdir) / "_static" / "playground"
    dest.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(dest)
    stdlib = None
    if mode == "local":
        stdlib = copy_local_pyodide(app.outdir)
        index_url = "../../_pyodide/"  # relative to config.json, i.e. _static/playground/
    else:
        index_url = CDN_URL
    config = {"pyodideVersion": PYODIDE_VERSION, "pyodide": mode, "indexURL": index_url, "wheel": wheel}
    if stdlib:
        config["stdLib"] = index_url + stdlib
    (dest / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def on_page_context(app, pagename, templatename, context, doctree):
    """Pages that run Python start the worker from the top of their <head>."""
    body = context.get("body") or ""
    if not any(script in body for script in PYTHON_PAGES):
        return
    root = "../" * pagename.count("/") or "./"
    app.add_js_file(None, body=BOOT_JS.replace("ROOT/", root), priority=1)
    context["script_files"].sort(key=lambda js: getattr(js, "priority", 500))  # stable: only this one moves


def setup(app):
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", on_page_context)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
