"""The built book served on 127.0.0.1 and headless Chromium kept to it: one copy for the scripts, the benchmarks
and the browser tests (``make pdf``, ``scripts/page_weight.py``, ``benchmarks/playground_speed.py``, tests/).

    with serve(folder) as base:                     # "http://127.0.0.1:<free port>/"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        external = block_off_loopback(context)      # requests to any other host are aborted and listed

Debian's Chromium (/usr/bin/chromium), never a browser downloaded by Playwright.
"""
import contextlib
import functools
import http.server
import pathlib
import sys
import threading
import urllib.parse

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


def block_off_loopback(target, also_abort=()):
    """Route every request of ``target`` (a Playwright page or context): loopback (and the in-page data:/blob:
    URLs) goes through, anything else is aborted and its URL recorded in the returned list. Loopback requests
    whose path ends with one of ``also_abort`` are aborted too, and not recorded."""
    external = []

    def route(r):
        url = r.request.url
        parts = urllib.parse.urlsplit(url)
        if not url.startswith(("data:", "blob:")) and parts.hostname != "127.0.0.1":
            external.append(url)
            r.abort()
        elif also_abort and parts.path.endswith(tuple(also_abort)):
            r.abort()
        else:
            r.continue_()

    target.route("**/*", route)
    return external


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
