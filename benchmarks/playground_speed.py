"""How fast the playground trains in the browser, beside native CPython.

    .venv/bin/python benchmarks/playground_speed.py            # builds the book (PYODIDE=local) first
    .venv/bin/python benchmarks/playground_speed.py --site _build/html   # a book built with PYODIDE=local

Drives book/playground.html in headless Chromium (/usr/bin/chromium), trains the
article's 1,000 steps (seed 42, fused engine) and prints the seconds per step:
in the browser (wall clock from pressing Train to the last step, and the time
spent inside Python's steps) and in native CPython (the same Session code, same
engine), and their ratio (goal: wall clock at most 1.5x native). Also prints how
long a chapter page's live widget takes from navigation to usable, with Pyodide not
cached (a fresh browser context) and cached (the same page visited again), and
whether Pyodide's losses equal native CPython's bit for bit (and, if not, which of
the float operations the engine uses gives different bits in the browser).
Exits 1 if the browser needs more than 30 s for the 1,000 steps.

    --native-python ~/.pyenv/versions/3.13.0/bin/python    # also time native steps on that CPython

times the same 1,000 fused steps on another CPython too (a subprocess, with this repository on its
sys.path) and prints that ratio as well. Pyodide runs Python 3.14, where the fused engine adds left to right
with two dot products per math.sumprod call on complex numbers (as on native 3.12+); native 3.11 uses the
built-in sum()'s float loop, so 3.12+ is the like-for-like baseline. The start-up lines break the widget's
time down with the marks the worker and the page record (worker.mjs and live.mjs: window.mgLive.marks, ms since
navigation).
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from loopback import CHROMIUM, CHROMIUM_ARGS, build_book, check_book, fail, serve  # noqa: E402 (the loopback server and Chromium's flags)

STEPS = 1000
LIMIT_SECONDS = 30.0


def build_site(out):
    subprocess.run(["make", "-C", str(ROOT), "pyodide"], check=True, stdout=subprocess.DEVNULL)
    result, build = build_book(out, PYODIDE="local")
    if result is None:
        fail("playground_speed", "jupyter-book is not installed: run make book first, or pass --site")
    if result.returncode:
        last = (result.stderr or result.stdout).strip().splitlines() or [f"exit code {result.returncode}"]
        fail("playground_speed", f"the book build failed: {last[-1]}")
    return build / "html"


def check_site(site):
    """Exit 2 with one line unless ``site`` is a book built with PYODIDE=local (the benchmark works offline)."""
    check_book("playground_speed", site, "book/playground.html", build="make book PYODIDE=local")
    config = json.loads((site / "_static" / "playground" / "config.json").read_text())
    if config.get("pyodide") != "local":
        fail("playground_speed", f"{site} loads Pyodide from {config.get('indexURL')}, not from the book: "
             "rebuild it with make book PYODIDE=local")


def native(engine):
    """1,000 steps through the playground's own Session (microgpt/session.py, what the worker runs)."""
    sys.path.insert(0, str(ROOT))
    from microgpt import session
    s = session.Session(seed=42, num_steps=STEPS, learning_rate=0.01, engine=engine)
    start = time.perf_counter()
    while s.step < STEPS:
        s.train_one()
    return time.perf_counter() - start


def native_elsewhere(python, engine):
    """native(engine) on another CPython: this file, run there with --native-only."""
    proc = subprocess.run([str(pathlib.Path(python).expanduser()), __file__, "--native-only", engine],
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["seconds"], result["python"]


def native_first_losses(engine, k=20):
    sys.path.insert(0, str(ROOT))
    from microgpt import session
    s = session.Session(seed=42, num_steps=STEPS, learning_rate=0.01, engine=engine)
    return [s.train_one() for _ in range(k)]


def browser(site):
    from playwright.sync_api import sync_playwright

    with serve(site) as base, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page()
        t0 = time.perf_counter()
        page.goto(base + "book/playground.html")
        page.wait_for_function("window.mgPlayground && window.mgPlayground.info", timeout=120_000)
        load = time.perf_counter() - t0
        page.fill("#mg-steps", str(STEPS))
        frames0 = page.evaluate("window.mgPlayground.frames")
        t0 = time.perf_counter()
        page.click("#mg-train")
        page.wait_for_function("window.mgPlayground.state === 'done'", timeout=600_000, polling=50)
        wall = time.perf_counter() - t0
        s = page.evaluate("({engine: window.mgPlayground.engine, steps: window.mgPlayground.losses.length, "
                          "compute: window.mgPlayground.computeSeconds, frames: window.mgPlayground.frames, "
                          "status: document.getElementById('mg-status').textContent})")
        s["fps"] = (s["frames"] - frames0) / wall
        s["load"], s["wall"], s["chromium"] = load, wall, b.version
        s["losses20"] = page.evaluate("window.mgPlayground.losses.slice(0, 20)")
        s["probe"] = page.evaluate(PROBE_JS, PROBE_PY)
        s["widget"] = widget_times(b, base)
        b.close()
        return s


def widget_times(b, base, chapter="04_attention"):
    """Navigation -> live widget usable (first render done), cold (new context) then cached (same context).

    Returns the two times, and each visit's start-up marks (ms since navigation, from window.mgLive.marks).
    """
    ctx = b.new_context()
    times, marks = [], []
    for _ in range(2):
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}notebooks/{chapter}.html")
        page.wait_for_function("window.mgLive && window.mgLive.state === 'live'", timeout=120_000, polling=20)
        times.append(time.perf_counter() - t0)
        marks.append(page.evaluate("({...window.mgLive.marks, 'DOMContentLoaded': "
                                   "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})"))
        page.close()
    ctx.close()
    return times, marks


# The start-up, step by step: (label, the mark where the step ends); each step starts where the previous ended.
STARTUP = [("page: HTML parsed (DOMContentLoaded)", "DOMContentLoaded"),
           ("worker: started (the page's <head> script)", "worker: worker start"),
           ("worker: config.json, pyodide.mjs", "worker: pyodide.mjs"),
           ("worker: wasm fetched + compiled", "worker: wasm compiled"),
           ("worker: Python init + stdlib (loadPyodide)", "worker: loadPyodide"),
           ("worker: microgpt wheel unpacked", "worker: wheel"),
           ("worker: import microgpt.session", "worker: import"),
           ("worker: ready (version, limits)", "worker: ready"),
           ("page: live.mjs running", "live.mjs"),
           ("page: checkpoint loaded (live.load)", "attention: model loaded"),
           ("page: first render (live.attention)", "attention: first render")]


def startup_report(marks):
    """The marks of the cold and the cached visit, side by side: when each step ended (s since navigation)."""
    print(f"  start-up marks, s since navigation{'cold':>13}{'cached':>9}")
    for label, key in STARTUP:
        cells = "".join(f"{m[key] / 1000:9.2f}" if key in m else f"{'-':>9}" for m in marks)
        print(f"    {label:44}{cells}")


# Run in a page of the served book: Pyodide straight from its module, then Python code (returns JSON text).
PROBE_JS = """async (code) => {
    const { loadPyodide } = await import(new URL("../_pyodide/pyodide.mjs", location.href).href);
    const py = await loadPyodide({ indexURL: new URL("../_pyodide/", location.href).href });
    const configURL = new URL("../_static/playground/config.json", location.href);
    const config = await (await fetch(configURL)).json();
    const wheel = new Uint8Array(await (await fetch(new URL(config.wheel, configURL))).arrayBuffer());
    py.unpackArchive(wheel, "wheel", { extractDir: py.runPython("import site; site.getsitepackages()[0]") });
    return py.runPython(code);
}"""
# The float operations a training step is made of, on deterministic inputs: which give other bits here?
PROBE_PY = r"""
import json, math, random, sys, functools, operator
from microgpt import session
r = random.Random(1)
xs = [r.uniform(-30, 30) for _ in range(20000)]
ps = [r.uniform(1e-6, 1) for _ in range(20000)]
# uniform() is exact IEEE arithmetic on random()'s bits, so the inputs are the same in both Pythons
# (gauss() is not: it calls log, cos and sqrt, which can differ in the last bit).
lists = [[r.uniform(-1, 1) for _ in range(r.randint(2, 64))] for _ in range(5000)]
g = random.Random(42)
w = session.Session(seed=42, num_steps=1000, learning_rate=0.01, engine="fused").model.weights()
out = {"python": sys.version.split()[0],
       "initial weights": [v.hex() for name in sorted(w) for row in w[name] for v in row],
       "random.gauss": [g.gauss(0, 0.08).hex() for _ in range(5000)],
       "math.cos": [math.cos(6.283185307179586 * p).hex() for p in ps],
       "math.exp": [x.hex() for x in map(math.exp, xs)],
       "math.log": [x.hex() for x in map(math.log, ps)],
       "x ** 0.5": [(p ** 0.5).hex() for p in ps],
       "x ** -0.5": [(p ** -0.5).hex() for p in ps],
       "x ** 2": [(p ** 2).hex() for p in ps],
       "sum()": [sum(l).hex() for l in lists],
       "left to right +": [functools.reduce(operator.add, l).hex() for l in lists]}
json.dumps(out)
"""
# What each probe row is, for the report.
PROBE_ROWS = {"initial weights": "Session(seed=42).model.weights(), drawn with random.gauss",
              "random.gauss": "random.Random(42).gauss(0, 0.08), which calls math.cos, log and sqrt",
              "math.cos": "cos(2 pi u), u uniform", "math.exp": "exp(x), x uniform in [-30, 30]",
              "math.log": "log(u)", "x ** 0.5": "Adam's square root", "x ** -0.5": "rmsnorm's scale",
              "x ** 2": "Adam's squared gradient",
              "sum()": "built-in sum() of 2-64 floats (the engine no longer uses it from 3.12)",
              "left to right +": "0 + x0 + x1 + ...: how the engines add"}


def probe_native():
    sys.path.insert(0, str(ROOT))
    ns = {}
    exec(PROBE_PY.replace("json.dumps(out)", "RESULT = json.dumps(out)"), ns)
    return json.loads(ns["RESULT"])


def bits_report(browser_losses, native_losses, probe):
    same = [a == b for a, b in zip(browser_losses, native_losses)]
    print(f"  bit for bit: {sum(same)} of {len(same)} first losses equal native CPython's "
          f"(first difference at step {same.index(False) + 1 if False in same else '-'})")
    mine = probe_native()
    print(f"  the same inputs in Pyodide {probe['python']} and native CPython {mine['python']}: results that differ")
    for op, what in PROBE_ROWS.items():
        diff = sum(a != b for a, b in zip(probe[op], mine[op]))
        print(f"    {op:16} {diff:5d} of {len(mine[op]):5d}  {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", help="a book already built with PYODIDE=local (default: build one in a temp folder)")
    ap.add_argument("--native-python", metavar="PATH",
                    help="also time the native steps on this CPython (e.g. ~/.pyenv/versions/3.13.0/bin/python)")
    ap.add_argument("--native-only", metavar="ENGINE", help=argparse.SUPPRESS)  # what --native-python runs
    args = ap.parse_args()
    if args.native_only:
        print(json.dumps({"seconds": native(args.native_only), "python": platform.python_version()}))
        return 0
    if args.native_python and not os.access(pathlib.Path(args.native_python).expanduser(), os.X_OK):
        fail("playground_speed", f"--native-python {args.native_python} is not a program that runs "
             "(e.g. ~/.pyenv/versions/3.13.0/bin/python)")
    if args.site:
        check_site(pathlib.Path(args.site))
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(args.site) if args.site else build_site(pathlib.Path(tmp))
        b = browser(site)
    if b["steps"] != STEPS:
        sys.exit(f"the page trained {b['steps']} steps, not {STEPS}")
    n = native(b["engine"])
    other = native_elsewhere(args.native_python, b["engine"]) if args.native_python else None
    native_losses = native_first_losses(b["engine"])
    print(f"playground speed: {STEPS} steps, seed 42, engine {b['engine']!r}")
    print(f"  browser: {b['status']}")
    print(f"  Chromium {b['chromium']} headless; native CPython {platform.python_version()}")
    print(f"  page load to ready: {b['load']:.1f} s")
    print(f"{'':28}{'total s':>10}{'ms / step':>12}")
    rows = [("browser, wall clock", b["wall"]), ("browser, inside Python", b["compute"]), ("native CPython", n)]
    if other:
        rows.append((f"native CPython {other[1]}", other[0]))
    for name, seconds in rows:
        print(f"  {name:26}{seconds:10.2f}{1000 * seconds / STEPS:12.2f}")
    print(f"  browser / native: {b['wall'] / n:.2f}x wall clock (goal <= 1.5x), {b['compute'] / n:.2f}x inside Python; "
          f"page drew {b['fps']:.0f} frames/s while training")
    if other:
        print(f"  browser / native {other[1]}: {b['wall'] / other[0]:.2f}x wall clock, "
              f"{b['compute'] / other[0]:.2f}x inside Python")
    (cold, warm), marks = b["widget"]
    print(f"  chapter widget (04_attention) usable after: {cold:.1f} s (Pyodide not cached), {warm:.1f} s (cached)")
    startup_report(marks)
    bits_report(b["losses20"], native_losses, json.loads(b["probe"]))
    print(json.dumps({"steps": STEPS, "browser_wall_s": b["wall"], "browser_compute_s": b["compute"],
                      "native_s": n, "fps": b["fps"], "engine": b["engine"],
                      "widget_cold_s": cold, "widget_cached_s": warm,
                      **({"native_other_s": other[0], "native_other_python": other[1]} if other else {})}))
    if b["wall"] > LIMIT_SECONDS:
        print(f"FAIL: {STEPS} steps took {b['wall']:.1f} s in the browser (limit {LIMIT_SECONDS:.0f} s)")
        return 1
    print(f"OK: within the {LIMIT_SECONDS:.0f} s limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
