"""Sphinx hook: every chapter opens in JupyterLite, inside the built book ("Run in your browser").

* Puts a "Run in your browser" link at the top of every chapter page: ``lite/lab/index.html?path=<chapter>.ipynb``
  (a relative link: the book needs no server of ours, no repository and no install).
* After the HTML build (after ``playground_assets`` has built the microgpt wheel), runs ``jupyter lite build``
  (jupyterlite-core + jupyterlite-pyodide-kernel) into ``_build/html/lite/``. Its contents are copies of the
  chapter notebooks, each with one cell added at the top that installs the book's own ``microgpt`` wheel (and
  ipywidgets) with piplite from the lite site itself (``disablePyPIFallback``: nothing comes from PyPI).
* Pyodide, chosen by ``PYODIDE`` like the playground: ``cdn`` -> the kernel loads Pyodide (our pinned version,
  book/_ext/pyodide.env) and numpy/matplotlib from Pyodide's CDN; ``local`` -> Pyodide's core (``make pyodide``)
  plus the pure-Python wheels its kernel needs (``make lite-wheels``, sha256-pinned in ``lite-wheels.txt``) are
  copied into the lite site, and their lock entries get those wheels' hashes: JupyterLite boots with no network.
  numpy and matplotlib are compiled for Pyodide and not on PyPI: offline, cells that need them fail.
* The lite site is cached in ``.cache/lite/`` under a hash of its inputs (an unchanged book copies it in a second).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docutils import nodes

sys.path.insert(0, str(Path(__file__).parent))
import playground_assets  # the Pyodide version, PYODIDE mode and the wheel

ROOT = playground_assets.ROOT
WHEELS_FILE = Path(__file__).with_name("lite-wheels.txt")
WHEELS_DIR = ROOT / ".cache" / "lite-wheels"
CACHE = ROOT / ".cache" / "lite"
KERNEL = "@jupyterlite/pyodide-kernel-extension:kernel"
NOT_IN_LOCK = ("comm", "ipywidgets", "jupyterlab_widgets")   # served from the lite site's pypi/ folder
INSTALL_CELL = (
    "# In JupyterLite (Python in your browser): install this book's microgpt package from the book itself.\n"
    "# numpy and matplotlib load from Pyodide's CDN the first time a cell imports them (that needs a network).\n"
    "%pip install -q microgpt ipywidgets"
)


def chapters(srcdir):
    return sorted((Path(srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def lite_notebook(path):
    """The chapter as JupyterLite gets it: the install cell first, outputs kept (so a reader sees them at once)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = {"cell_type": "code", "execution_count": None, "id": "jupyterlite-install",
            "metadata": {"tags": ["jupyterlite-install"]}, "outputs": [], "source": INSTALL_CELL}
    nb["cells"].insert(0, cell)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def on_doctree_resolved(app, doctree, docname):
    if not docname.startswith("notebooks/") or not Path(app.env.doc2path(docname)).suffix == ".ipynb":
        return
    root = "../" * docname.count("/")
    name = docname.split("/")[-1]
    link = (f'<p class="mg-run-lite"><a href="{root}lite/lab/index.html?path={name}.ipynb">'
            "Run in your browser</a> <span>opens this chapter in JupyterLite (Python in your browser, "
            "nothing to install; numpy and matplotlib need a network connection the first time)</span></p>")
    sections = list(doctree.findall(nodes.section))
    target = sections[0] if sections else doctree
    title = next(iter(target.findall(nodes.title)), None)
    index = target.index(title) + 1 if title is not None and title.parent is target else 0
    target.insert(index, nodes.raw("", link, format="html"))


def _wheels(mode):
    wanted = [line.split("==")[0] for line in WHEELS_FILE.read_text().splitlines() if "==" in line]
    if mode != "local":
        wanted = [w for w in wanted if w in NOT_IN_LOCK]
    found = {}
    for name in wanted:
        hits = sorted(WHEELS_DIR.glob(f"{name.replace('-', '_')}-*.whl")) + sorted(WHEELS_DIR.glob(f"{name}-*.whl"))
        if not hits:
            raise playground_assets.PlaygroundBuildError(
                f"JupyterLite needs {name} in {WHEELS_DIR}; run `make lite-wheels` first")
        found[name] = hits[0]
    return found


def _local_pyodide(lite_dir, wheels):
    """Pyodide's core plus the kernel's pure-Python wheels, the lock pointing at those wheels' hashes."""
    dest = lite_dir / "static" / "pyodide"
    dest.mkdir(parents=True)
    src = playground_assets.local_pyodide_dir()
    for name in playground_assets.PYODIDE_FILES:
        shutil.copy2(src / name, dest / name)
    lock = json.loads((src / "pyodide-lock.json").read_text())
    by_file = {entry["file_name"]: entry for entry in lock["packages"].values()}
    for name, wheel in wheels.items():
        if name in NOT_IN_LOCK:
            continue
        entry = by_file.get(wheel.name)
        if entry is None:
            raise playground_assets.PlaygroundBuildError(f"{wheel.name} is not in Pyodide's lock; fix lite-wheels.txt")
        shutil.copy2(wheel, dest / wheel.name)
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (dest / "pyodide-lock.json").write_text(json.dumps(lock))


def _store(build, cached):
    """Put a finished JupyterLite build in the cache, safely when two book builds run at once (make test's
    two workers): copied beside the cache entry, renamed into place in one step (the first build to finish
    wins, the other's copy is dropped), and older entries pruned while they may still be in use elsewhere,
    so a failed removal is ignored."""
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=CACHE))
    shutil.copytree(build, staging / "lite")
    try:
        (staging / "lite").rename(cached)
    except OSError:  # another build put the same entry there first
        pass
    shutil.rmtree(staging, ignore_errors=True)
    for old in CACHE.iterdir():
        if old.name != cached.name and not old.name.startswith(".incoming-"):
            shutil.rmtree(old, ignore_errors=True)


def build_lite(app, out):
    mode = playground_assets.pyodide_mode()
    microgpt_wheel = next((Path(app.outdir) / "_static" / "playground").glob("microgpt-*.whl"))
    wheels = _wheels(mode)
    inputs = hashlib.sha256(json.dumps([mode, playground_assets.PYODIDE_VERSION, sys.version]).encode())
    for path in [microgpt_wheel, *wheels.values(), *chapters(app.srcdir), Path(__file__)]:
        inputs.update(path.name.encode() + path.read_bytes())
    cached = CACHE / inputs.hexdigest()[:16]
    if not (cached / "jupyter-lite.json").exists():
        with tempfile.TemporaryDirectory(prefix="microgpt-lite-") as tmp:
            tmp = Path(tmp)
            lite_dir, contents = tmp / "lite-src", tmp / "contents"
            lite_dir.mkdir()
            contents.mkdir()
            for chapter in chapters(app.srcdir):
                (contents / chapter.name).write_text(lite_notebook(chapter), encoding="utf-8")
            settings = {"disablePyPIFallback": True}
            if mode == "local":
                _local_pyodide(lite_dir, wheels)
            else:
                settings["pyodideUrl"] = playground_assets.CDN_URL + "pyodide.mjs"
            (lite_dir / "jupyter-lite.json").write_text(json.dumps(
                {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
                    "exposeAppInBrowser": True,   # window.jupyterapp: tests/test_live_jupyterlite.py drives the kernel
                    "litePluginSettings": {KERNEL: settings}}}))
            piplite = [str(microgpt_wheel)] + [str(wheels[n]) for n in NOT_IN_LOCK]
            (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(
                {"PipliteAddon": {"piplite_urls": piplite}}))
            build = tmp / "out"
            command = [sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(lite_dir),
                       "--contents", str(contents), "--output-dir", str(build),
                       "--apps", "lab", "--apps", "notebooks", "--no-sourcemaps", "--no-unused-shared-packages"]
            env = dict(os.environ, JUPYTERLITE_NO_LIBARCHIVE="1")
            env.pop("JUPYTERLITE_PYODIDE_URL", None)
            proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
            if proc.returncode:
                raise playground_assets.PlaygroundBuildError(
                    f"jupyter lite build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            _store(build, cached)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(cached, out)


def on_build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        build_lite(app, Path(app.outdir) / "lite")


def setup(app):
    app.add_css_file("playground/run-lite.css")  # book/_playground/ is a static path (playground_assets)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished, priority=800)  # after playground_assets made the wheel
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
