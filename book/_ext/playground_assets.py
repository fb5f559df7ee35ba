"""Sphinx hook for the in-browser playground (book/playground.md).

* Adds ``book/_playground`` to ``html_static_path``: the page's own small files
  (``.mjs``, ``.py``, ``.css``) land in ``_build/html/_static/playground/``. They
  are ``.mjs``, not ``.js``: Jupyter Book would add every static ``*.js`` file to
  every page.
* After the HTML build, builds the ``microgpt`` wheel from this repository
  (``pip wheel --no-deps``) into ``_static/playground/`` and writes
  ``_static/playground/config.json``: where Pyodide comes from and the wheel's name.
* Where Pyodide comes from, chosen by the environment variable ``PYODIDE``:
  ``cdn`` (default) -> https://cdn.jsdelivr.net/pyodide/v<version>/full/;
  ``local`` -> the npm package files, fetched by ``make pyodide`` into
  ``.cache/pyodide-<version>/``, copied to ``_build/html/_pyodide/`` (no network at view time).
"""
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
ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parents[1] / "_playground"


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


def on_config_inited(app, config):
    if str(STATIC) not in map(str, config.html_static_path):
        config.html_static_path.append(str(STATIC))


def on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    mode = pyodide_mode()
    dest = Path(app.outdir) / "_static" / "playground"
    dest.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(dest)
    if mode == "local":
        copy_local_pyodide(app.outdir)
        index_url = "../../_pyodide/"  # relative to config.json, i.e. _static/playground/
    else:
        index_url = CDN_URL
    config = {"pyodideVersion": PYODIDE_VERSION, "pyodide": mode, "indexURL": index_url, "wheel": wheel}
    (dest / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def setup(app):
    app.connect("config-inited", on_config_inited)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
