"""The built book served on 127.0.0.1 and headless Chromium kept to it: one copy for the scripts, the benchmarks
and the browser tests (``make pdf``, ``scripts/page_weight.py``, ``benchmarks/playground_speed.py``, tests/),
and the book built into a folder of its own for them (``build_book``).

    with serve(folder) as base:                     # "http://127.0.0.1:<free port>/"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        external = block_off_loopback(context)      # requests to any other host are aborted and listed

Debian's Chromium (/usr/bin/chromium), never a browser downloaded by Playwright.
"""
import contextlib
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # Belt and braces: no host name but 127.0.0.1 resolves (block_off_loopback lists the requests).
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A page closed mid-download (the browser aborts requests when a page or test ends) is not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on 127.0.0.1 at a free port, in a thread; yields the base URL (ends with "/")."""
    httpd = _QuietServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def block_off_loopback(target, also_abort=(), seen=None, hold=None):
    """Route every request of ``target`` (a Playwright page or context): loopback (and the in-page data:/blob:
    URLs) goes through, anything else is aborted and its URL recorded in the returned list. Loopback requests
    whose path ends with one of ``also_abort`` are aborted too, and not recorded. ``seen``, a list, receives
    every URL requested; ``hold(route)``, if given, may take a loopback request over (return True: it will
    continue or abort it itself)."""
    external = []

    def route(r):
        url = r.request.url
        if seen is not None:
            seen.append(url)
        parts = urllib.parse.urlsplit(url)
        if not url.startswith(("data:", "blob:")) and parts.hostname != "127.0.0.1":
            external.append(url)
            r.abort()
        elif also_abort and parts.path.endswith(tuple(also_abort)):
            r.abort()
        elif not (hold and hold(r)):
            r.continue_()

    target.route("**/*", route)
    return external


def jupyter_book():
    """The jupyter-book next to this interpreter (the venv's), else the one on PATH, else None."""
    here = pathlib.Path(sys.executable).parent / "jupyter-book"
    return str(here) if here.exists() else shutil.which("jupyter-book")


def build_book(out, *args, **env):
    """``jupyter-book build ROOT --path-output out *args`` with ``env`` added to the environment, output captured.

    Returns ``(CompletedProcess, out / "_build")``, or ``(None, None)`` when jupyter-book is not installed."""
    exe = jupyter_book()
    if exe is None:
        return None, None
    env = dict(os.environ, PYTHONWARNINGS="ignore", **env)  # Python DeprecationWarnings are not Sphinx warnings
    result = subprocess.run([exe, "build", str(ROOT), *args, "--path-output", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    return result, pathlib.Path(out) / "_build"


def check_book(prog, folder, page="index.html", build="make book"):
    """Exit 2 with one line unless ``folder`` holds a built ``page`` and Debian's Chromium is installed."""
    path = pathlib.Path(folder) / page
    if not path.is_file():
        fail(prog, f"no {path}: build the book first ({build})")
    if not pathlib.Path(CHROMIUM).exists():
        fail(prog, f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")


def fail(prog, message):
    print(f"{prog}: error: {message}", file=sys.stderr)
    sys.exit(2)
