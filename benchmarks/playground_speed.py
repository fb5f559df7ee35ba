"""How fast the playground trains in the browser, beside native CPython.

    .venv/bin/python benchmarks/playground_speed.py            # builds the book (PYODIDE=local) first
    .venv/bin/python benchmarks/playground_speed.py --site _build/html   # a book built with PYODIDE=local

Drives book/playground.html in headless Chromium (/usr/bin/chromium), trains the
article's 1,000 steps (seed 42, fused engine) and prints the seconds per step:
in the browser (wall clock from pressing Train to the last step, and the time
spent inside Python's steps) and in native CPython (the same Session code, same
engine). Exits 1 if the browser needs more than 30 s for the 1,000 steps.
"""
import argparse
import functools
import http.server
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
STEPS = 1000
LIMIT_SECONDS = 30.0


def build_site(out):
    env = dict(os.environ, PYODIDE="local")
    subprocess.run(["make", "-C", str(ROOT), "pyodide"], check=True, stdout=subprocess.DEVNULL)
    exe = pathlib.Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(exe), "build", str(ROOT), "--path-output", str(out)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return out / "_build" / "html"


def native(engine):
    """1,000 steps through the playground's own Session (microgpt/session.py, what the worker runs)."""
    sys.path.insert(0, str(ROOT))
    from microgpt import session
    s = session.Session(seed=42, num_steps=STEPS, learning_rate=0.01, engine=engine)
    start = time.perf_counter()
    while s.step < STEPS:
        s.train_one()
    return time.perf_counter() - start


def browser(site):
    from playwright.sync_api import sync_playwright

    handler = functools.partial(type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}), directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = b.new_page()
            t0 = time.perf_counter()
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/book/playground.html")
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
            b.close()
            return s
    finally:
        httpd.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", help="a book already built with PYODIDE=local (default: build one in a temp folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(args.site) if args.site else build_site(pathlib.Path(tmp))
        b = browser(site)
    if b["steps"] != STEPS:
        sys.exit(f"the page trained {b['steps']} steps, not {STEPS}")
    n = native(b["engine"])
    print(f"playground speed: {STEPS} steps, seed 42, engine {b['engine']!r}")
    print(f"  browser: {b['status']}")
    print(f"  Chromium {b['chromium']} headless; native CPython {platform.python_version()}")
    print(f"  page load to ready: {b['load']:.1f} s")
    print(f"{'':28}{'total s':>10}{'ms / step':>12}")
    rows = [("browser, wall clock", b["wall"]), ("browser, inside Python", b["compute"]), ("native CPython", n)]
    for name, seconds in rows:
        print(f"  {name:26}{seconds:10.2f}{1000 * seconds / STEPS:12.2f}")
    print(f"  browser / native (inside Python): {b['compute'] / n:.2f}x; page drew {b['fps']:.0f} frames/s while training")
    print(json.dumps({"steps": STEPS, "browser_wall_s": b["wall"], "browser_compute_s": b["compute"],
                      "native_s": n, "fps": b["fps"], "engine": b["engine"]}))
    if b["wall"] > LIMIT_SECONDS:
        print(f"FAIL: {STEPS} steps took {b['wall']:.1f} s in the browser (limit {LIMIT_SECONDS:.0f} s)")
        return 1
    print(f"OK: within the {LIMIT_SECONDS:.0f} s limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
