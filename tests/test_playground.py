"""The in-browser playground (book/playground.md), driven in headless Chromium.

Builds the book with ``PYODIDE=local`` (Pyodide from the npm package, fetched by
``make pyodide``) into a temporary folder, serves it on 127.0.0.1 and drives the page
with Playwright and Debian's Chromium (/usr/bin/chromium; never ``playwright install``).
Any request leaving 127.0.0.1 fails the test that made it. Without Chromium (or the
``playwright`` package) these tests skip, except under ``CI=true``, where they fail.
"""
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, block_off_loopback, build_book, serve, unavailable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import playground_assets  # noqa: E402  (the Sphinx hook: Pyodide version and cache folder)

PAGE = "book/playground.html"
# Console errors from the book's theme on every page, not from the playground:
# sphinx-thebe 0.3.1 inserts its config <script> twice under Sphinx 7, and
# pydata-sphinx-theme reports an unset theme mode before defaulting to "auto".
# Console errors from the theme that we tolerate: none any more (both former ones are fixed in _config.yml).
THEME_ERRORS = ()


@pytest.fixture(scope="module")
def playwright_api():
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing: pip install -r requirements-test.txt")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_api):
    b = playwright_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The book built with PYODIDE=local into a temporary folder: its _build/html path."""
    cache = playground_assets.local_pyodide_dir()
    if not all((cache / f).is_file() for f in playground_assets.PYODIDE_FILES):
        # `make test` fetches it first; a bare `pytest` run may not have.
        made = subprocess.run(["make", "-C", str(ROOT), "pyodide"], capture_output=True, text=True)
        if made.returncode:
            unavailable(f"Pyodide is not in {cache} and `make pyodide` failed:\n{made.stderr[-2000:]}")
    result, out = build_book(tmp_path_factory.mktemp("playground-book"), PYODIDE="local")
    html = out / "html"
    assert result.returncode == 0 and (html / PAGE).exists(), (result.stdout + result.stderr)[-4000:]
    return html


@pytest.fixture(scope="module")
def server(site):
    """A loopback HTTP server on a free port; yields its base URL."""
    with serve(site) as base:
        yield base


@pytest.fixture(scope="module")
def cli_losses(tmp_path_factory):
    """The first 20 losses of `python -m microgpt train --engine fused --steps 1000 --stop-after 20`."""
    log = tmp_path_factory.mktemp("cli") / "log.json"
    subprocess.run([sys.executable, "-m", "microgpt", "train", "--engine", "fused", "--steps", "1000",
                    "--stop-after", "20", "--seed", "42", "--samples", "0", "--log-json", str(log)],
                   cwd=ROOT, check=True, capture_output=True)
    return json.loads(log.read_text())["losses"]


class Visit:
    """One page visit: records console errors, failed responses and every request leaving loopback."""

    def __init__(self, context, base, path=PAGE):
        self.errors, self.bad_responses, self.seen = [], [], []
        self.page = context.new_page()
        self.external = block_off_loopback(self.page, seen=self.seen, hold=self._hold)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("response", self._response)
        self.page.goto(base + path)
        if path == PAGE:
            self.wait_ready()

    def wait_ready(self):
        self.page.wait_for_function("window.mgPlayground && window.mgPlayground.info !== null "
                                    "|| (window.mgPlayground && window.mgPlayground.state === 'error')",
                                    timeout=60_000)

    def _hold(self, route):
        """Take over a loopback request (return True); a plain visit lets every one through."""
        return False

    def _console(self, msg):
        if msg.type == "error" and not any(known in msg.text for known in THEME_ERRORS):
            where = msg.location.get("url", "") if msg.location else ""
            if not where.endswith("/favicon.ico"):
                self.errors.append(f"console error: {msg.text} ({where})")

    def _response(self, response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.bad_responses.append(f"{response.status} {response.url}")

    def state(self, expr="window.mgPlayground"):
        return self.page.evaluate(expr)

    def wait(self, expr, timeout=60_000):
        self.page.wait_for_function(expr, timeout=timeout)

    def check_clean(self):
        errors = [e for e in self.errors if not any(known in e for known in THEME_ERRORS)]
        assert not self.external, f"requests left 127.0.0.1: {self.external}"
        assert not errors, errors
        assert not self.bad_responses, self.bad_responses

    def close(self):
        self.page.close()


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module: its HTTP cache spares reloading Pyodide for every test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    yield ctx
    ctx.close()


@pytest.fixture
def visit(context, server):
    v = Visit(context, server)
    yield v
    v.close()


def test_page_loads_offline_with_no_errors(visit, server):
    s = visit.state()
    assert s["state"] == "ready", visit.page.text_content("#mg-status")
    assert s["engine"] == "fused"
    assert s["info"]["docs"] == 32469 and s["info"]["params"] == 4192
    assert "Ready: Python 3." in visit.page.text_content("#mg-status")
    # The worker's own requests (Pyodide, the wheel) went through the recording route.
    assert any(u.endswith("/_pyodide/pyodide.asm.wasm") for u in visit.seen), visit.seen
    assert any(u.endswith("-py3-none-any.whl") for u in visit.seen), visit.seen
    # Keyboard and screen readers: every control is labelled, every picture has a text alternative.
    unlabeled = visit.page.evaluate("""() => [...document.querySelectorAll(
        '.mg-pg input, .mg-pg select, .mg-pg textarea, .mg-pg button')]
        .filter(el => !(el.labels && el.labels.length) && !el.textContent.trim()).map(el => el.id)""")
    assert unlabeled == []
    for canvas in ("#mg-loss-canvas", "#mg-attn-canvas"):
        assert visit.page.get_attribute(canvas, "role") == "img"
        assert visit.page.get_attribute(canvas, "aria-label")
    visit.check_clean()
    # What `make serve` (python -m http.server) sends for the module and wasm files.
    for path, wanted in (("_static/playground/worker.mjs", "text/javascript"),
                         ("_pyodide/pyodide.asm.wasm", "application/wasm")):
        with urllib.request.urlopen(server + path) as response:
            assert response.headers["Content-Type"].startswith(wanted), (path, response.headers["Content-Type"])


def test_training_matches_the_cli_and_keeps_the_page_drawing(visit, cli_losses):
    page = visit.page
    blank_curve = page.evaluate("document.getElementById('mg-loss-canvas').toDataURL()")
    page.focus("#mg-train")
    page.keyboard.press("Enter")                     # keyboard-operable: a real <button>
    visit.wait("window.mgPlayground.losses.length >= 20")
    frames0, step0 = visit.state("window.mgPlayground.frames"), visit.state("window.mgPlayground.losses.length")
    t0 = time.time()
    page.wait_for_timeout(1500)
    frames1, step1 = visit.state("window.mgPlayground.frames"), visit.state("window.mgPlayground.losses.length")
    t1 = time.time()
    fps = (frames1 - frames0) / (t1 - t0)
    assert fps > 20, f"the main thread drew only {fps:.1f} frames per second during training"
    assert step1 > step0, "the step counter did not move"
    assert int(page.text_content("#mg-step")) >= step0
    assert page.evaluate("document.getElementById('mg-loss-canvas').toDataURL()") != blank_curve

    losses = visit.state("window.mgPlayground.losses.slice(0, 20)")
    assert losses == pytest.approx(cli_losses, rel=1e-12, abs=0)

    visit.wait("window.mgPlayground.state === 'done'", timeout=120_000)
    s = visit.state()
    assert len(s["losses"]) == 1000 and s["stepsPerSecond"] > 0
    rows = page.eval_on_selector_all("#mg-loss-table tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert rows == ["1"] + [str(k) for k in range(100, 1001, 100)]
    assert "Step 1000 of 1000" in page.text_content("#mg-train-live")
    assert sum(s["losses"][-100:]) / 100 < sum(s["losses"][:100]) / 100   # it learned
    visit.check_clean()


def test_generate_and_temperature(visit):
    page = visit.page
    page.click("#mg-train")
    visit.wait("window.mgPlayground.losses.length >= 200")
    page.click("#mg-pause")
    visit.wait("window.mgPlayground.state === 'paused'")
    page.fill("#mg-n", "12")
    page.click("#mg-generate")
    page.wait_for_function("document.querySelectorAll('#mg-samples li').length === 12")
    names = page.eval_on_selector_all("#mg-samples li", "els => els.map(e => e.textContent)")
    assert all(n == "(empty)" or (n.isalpha() and n.islower()) for n in names), names

    def top_probability(key):
        page.focus("#mg-temp")
        before = visit.state("window.mgPlayground.probs && window.mgPlayground.probs.temperature")
        page.keyboard.press(key)                    # the slider answers Home / End
        page.wait_for_function(f"window.mgPlayground.probs.temperature !== {json.dumps(before)}")
        return visit.state("window.mgPlayground.probs")

    page.fill("#mg-prefix", "ma")
    page.wait_for_function("window.mgPlayground.probs && window.mgPlayground.probs.prefix === 'ma'")
    hot = top_probability("End")        # temperature 2
    cold = top_probability("Home")      # temperature 0: all mass on the most likely letter
    assert hot["temperature"] == 2 and cold["temperature"] == 0
    assert cold["probs"][0][1] == 1.0
    assert hot["probs"][0][1] < 0.6
    assert page.text_content("#mg-temp-value") == "0.00"
    bars = page.eval_on_selector_all("#mg-probs li .mg-bar-num", "els => els.map(e => e.textContent)")
    assert bars[0] == "100.0%"
    # Greedy sampling gives the same name every time; temperature 2 gives many different ones.
    page.click("#mg-generate")
    page.wait_for_function("document.getElementById('mg-samples-note').textContent.includes('temperature 0 ')")
    greedy = page.eval_on_selector_all("#mg-samples li", "els => els.map(e => e.textContent)")
    assert len(set(greedy)) == 1, greedy
    top_probability("End")
    page.click("#mg-generate")
    page.wait_for_function("document.getElementById('mg-samples-note').textContent.includes('temperature 2 ')")
    wild = page.eval_on_selector_all("#mg-samples li", "els => els.map(e => e.textContent)")
    assert len(set(wild)) >= 8, wild
    # A letter outside the vocabulary: a one-line message, no crash.
    page.fill("#mg-prefix", "M!")
    page.wait_for_selector("#mg-probs-msg:not([hidden])")
    assert "not in the vocabulary" in page.text_content("#mg-probs-msg")
    visit.check_clean()


def test_attention_map_pause_and_reset(visit):
    page = visit.page
    page.fill("#mg-attn-text", "olivia")
    page.select_option("#mg-head", "2")
    page.wait_for_function("document.querySelector('#mg-attn-table caption') && "
                           "document.querySelector('#mg-attn-table caption').textContent.includes('head 2') && "
                           "document.querySelectorAll('#mg-attn-table tbody tr').length === 7")
    colours = page.evaluate("""() => {
        const c = document.getElementById('mg-attn-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
        return seen.size;
    }""")
    assert colours > 20, f"the attention canvas looks blank ({colours} colours)"
    rows = page.eval_on_selector_all(
        "#mg-attn-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert [r[0] for r in rows] == ["BOS", "o", "l", "i", "v", "i", "a"]
    for i, row in enumerate(rows):
        weights = [float(x) for x in row[1:] if x]
        assert len(weights) == i + 1 and abs(sum(weights) - 1) < 0.01 * len(weights), row
    # The map follows training: the step in the caption moves on.
    page.click("#mg-train")
    visit.wait("window.mgPlayground.losses.length >= 50")
    page.wait_for_function("window.mgPlayground.attention.step >= 50")
    page.click("#mg-pause")
    visit.wait("window.mgPlayground.state === 'paused'")
    step = visit.state("window.mgPlayground.losses.length")
    page.wait_for_timeout(500)
    assert visit.state("window.mgPlayground.losses.length") == step, "Pause did not stop training"
    page.fill("#mg-attn-text", "Olivia")
    page.wait_for_selector("#mg-attn-msg:not([hidden])")
    assert "not in the vocabulary" in page.text_content("#mg-attn-msg")
    page.click("#mg-reset")                          # Reset starts over from step 0
    visit.wait("window.mgPlayground.losses.length === 0 && window.mgPlayground.state === 'ready'")
    assert page.text_content("#mg-step") == "0"
    visit.check_clean()


def test_pasted_data_trains_and_bad_data_gets_a_message(visit):
    page = visit.page
    cities = ["amsterdam", "berlin", "copenhagen", "dublin", "edinburgh", "florence", "geneva", "helsinki",
              "istanbul", "jerusalem", "kyiv", "lisbon", "madrid", "naples", "oslo", "paris", "quebec",
              "rome", "stockholm", "tallinn", "utrecht", "vienna", "warsaw", "york", "zurich"]
    page.check("#mg-data-own")
    page.fill("#mg-data-text", "\n".join(cities) + "\n\n")
    page.click("#mg-train")
    visit.wait("window.mgPlayground.info.docs === 25 && window.mgPlayground.losses.length >= 10")
    page.click("#mg-pause")
    visit.wait("window.mgPlayground.state === 'paused'")
    assert "25 documents from your pasted list" in page.text_content("#mg-run-info")
    page.click("#mg-generate")
    page.wait_for_function("document.querySelectorAll('#mg-samples li').length === 10")
    for bad, message in (("   \n\n  \n", "no documents"), ("x" * 2_000_001, "at most")):
        page.fill("#mg-data-text", bad)
        page.click("#mg-reset")
        page.wait_for_selector("#mg-data-msg:not([hidden])")
        text = page.text_content("#mg-data-msg")
        assert message in text and "\n" not in text, text
        assert visit.state("window.mgPlayground.state") != "error"
    # The page still works afterwards: back to the names.
    page.check("#mg-data-names")
    page.click("#mg-reset")
    visit.wait("window.mgPlayground.info.docs === 32469")
    assert page.is_hidden("#mg-data-msg")
    visit.check_clean()


CHAPTERS = sorted(p.stem for p in pathlib.Path(ROOT, "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_CHAPTERS = {"04_attention", "09_inference", "13_playground"}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_pages_render_offline(context, server, chapter):
    """Every chapter page: nothing fetched off loopback, no console error, equations drawn, widgets drawn."""
    page = context.new_page()
    external, errors = block_off_loopback(page), []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not any(
        k in m.text for k in THEME_ERRORS) and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # failed loads are checked here, by URL (the console message does not name the file)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    try:
        page.goto(f"{server}notebooks/{chapter}.html")
        # Equations are MathML written at build time (book/_ext/mathml.py): each is a <math> the
        # browser lays out itself (display "inline math" / "block math"), with no TeX left as text.
        untypeset = page.evaluate(r"""() => [...document.querySelectorAll('div.math, span.math')].filter(e => {
            const m = e.querySelector(':scope > math');
            if (m && !e.getClientRects().length) return false;  // in a closed dropdown (a solution)
            return !m || !getComputedStyle(m).display.endsWith('math') || m.getBoundingClientRect().width < 1
                   || /\\[a-z]+|\\[(\[]/i.test(m.textContent); }).map(e => e.textContent.slice(0, 60))""")
        assert page.locator("math").count() == page.locator("div.math, span.math").count()
        assert not untypeset, f"equations not drawn as MathML: {untypeset[:5]}"
        if chapter in WIDGET_CHAPTERS:
            page.wait_for_selector(".jupyter-widgets.widget-container, .jupyter-widgets .widget-box",
                                   state="attached", timeout=30_000)
        assert page.locator("img").count() > 0, "no figures"
        missing_alt = page.evaluate("() => [...document.querySelectorAll('.cell_output img')]"
                                    ".filter(i => !i.getAttribute('alt')).length")
        assert missing_alt == 0, f"{missing_alt} figures without alt text"
        assert not external, external
        assert not errors, errors
    finally:
        page.close()


# ---------------------------------------------------------------------------
# No link to a placeholder; the playground never freezes; bad numbers are named.

PLACEHOLDERS = ("microgpt-book/microgpt-book", "example.org", "example.com", "127.0.0.1", "localhost",
                "0.0.0.0", "[::1]", "mybinder.org", "colab.research.google.com")


def test_no_link_to_a_placeholder_or_loopback(site):
    """With no repository configured, no page links (href/src/action) to a placeholder host or a loopback address."""
    import html.parser

    class Links(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.urls = []

        def handle_starttag(self, tag, attrs):
            self.urls += [v for k, v in attrs if k in ("href", "src", "action", "data-url") and v]

    bad = []
    for page in site.rglob("*.html"):
        if "_static" in page.parts or "lite" in page.relative_to(site).parts[:1]:
            continue
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        bad += [f"{page.relative_to(site)}: {u}" for u in parser.urls if any(p in u for p in PLACEHOLDERS)]
    assert not bad, bad[:20]
    chapter = (site / "notebooks" / "04_attention.html").read_text(encoding="utf-8")
    for button in ("Binder", "Colab", "JupyterHub", "Source repository"):
        assert f'title="{button}"' not in chapter and f"launch-{button.lower()}" not in chapter, button


def test_learning_rate_one_gets_a_message_and_the_page_works_again(visit):
    page = visit.page
    page.fill("#mg-lr", "1")
    page.click("#mg-train")
    page.wait_for_selector("#mg-train-msg:not([hidden])", timeout=60_000)
    text = page.text_content("#mg-train-msg")
    assert "diverged" in text and "too large" in text and "\n" not in text, text
    visit.wait("window.mgPlayground.state === 'paused'")
    assert not page.is_disabled("#mg-reset") and not page.is_disabled("#mg-generate")
    page.fill("#mg-lr", "0.01")
    page.fill("#mg-steps", "30")
    page.click("#mg-reset")
    visit.wait("window.mgPlayground.losses.length === 0 && window.mgPlayground.state === 'ready'")
    page.click("#mg-train")
    visit.wait("window.mgPlayground.state === 'done'")
    assert visit.state("window.mgPlayground.losses.length") == 30
    visit.check_clean()


def test_text_in_a_number_field_is_named_not_zero(visit):
    page = visit.page
    limits = visit.state("window.mgPlayground.limits")
    assert limits["steps"]["high"] == 10_000_000 and limits["learning_rate"]["low_open"]   # from microgpt.hparams
    assert page.get_attribute("#mg-seed", "min") == "0" and page.get_attribute("#mg-steps", "max") == "10000000"
    for field, name in (("#mg-seed", "seed"), ("#mg-steps", "steps"), ("#mg-lr", "learning rate")):
        page.fill(field, "")
        page.focus(field)
        page.keyboard.type("abc")                   # a number field shows the text but reports value ""
        page.click("#mg-reset")
        page.wait_for_selector("#mg-train-msg:not([hidden])")
        assert f"the {name} must be a number" in page.text_content("#mg-train-msg").lower(), name
        page.fill(field, {"#mg-seed": "42", "#mg-steps": "1000", "#mg-lr": "0.01"}[field])
    page.fill("#mg-seed", "-3")                      # out of range: Python's one line, as on the command line
    page.click("#mg-reset")
    page.wait_for_function(
        "document.getElementById('mg-train-msg').textContent.toLowerCase().includes('the seed must be')")
    visit.check_clean()


def test_the_loss_chart_survives_100000_steps(visit):
    page = visit.page
    seconds = page.evaluate("""() => {
        const t0 = performance.now();
        for (let k = 0; k < 100; k++) {
            const chunk = [];
            for (let i = 0; i < 1000; i++) chunk.push(3.3 - 1.0 * (k * 1000 + i) / 100000 + 0.3 * Math.sin(i));
            window.mgPlayground.feed(chunk);
        }
        return (performance.now() - t0) / 1000;
    }""")
    assert visit.state("window.mgPlayground.losses.length") == 100_000
    rows = page.eval_on_selector_all("#mg-loss-table tbody tr", "rows => rows.length")
    assert rows == 1 + 1000
    assert seconds < 30, f"feeding and drawing 100,000 steps took {seconds:.1f} s"
    visit.check_clean()


# ---------------------------------------------------------------------------
# The chapters' live widgets, in the page, against the notebooks' stored outputs.

def _stored_stdout(chapter, code):
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and code in "".join(cell["source"]):
            return "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout")
    raise AssertionError(code)


class ChapterVisit(Visit):
    """A chapter page whose Python is held back (its microgpt wheel's download) until its label has been read.

    The worker starts from the page's <head>, so Python can be ready before the page's load event: holding
    the wheel makes "the label says loading until Python is ready" something this test can always see.
    """

    def __init__(self, context, base, chapter):
        self.held = []
        super().__init__(context, base, f"notebooks/{chapter}.html")
        label = self.page.text_content(".mg-live-label")
        assert "loading" in label.lower(), label     # the stored picture, labelled, until Python is ready
        assert self.state("window.mgLive.state") != "live"
        held, self.held = self.held, None
        for route in held:
            route.continue_()
        self.wait("window.mgLive && (window.mgLive.state === 'live' || window.mgLive.state === 'error')")
        assert self.state("window.mgLive.state") == "live", self.page.text_content(".mg-live-label")
        assert self.page.text_content(".mg-live-label").startswith("Live")

    def _hold(self, route):
        if self.held is not None and route.request.url.endswith("-py3-none-any.whl"):
            self.held.append(route)
            return True
        return False

    def unlabeled(self):
        return self.page.evaluate("""() => [...document.querySelectorAll(
            '.mg-live input, .mg-live select, .mg-live button')]
            .filter(el => !(el.labels && el.labels.length) && !el.textContent.trim()).length""")


@pytest.fixture
def chapter_visit(context, server):
    visits = []

    def open_chapter(chapter):
        visits.append(ChapterVisit(context, server, chapter))
        return visits[-1]

    yield open_chapter
    for v in visits:
        v.close()


def test_live_head_inspector(chapter_visit):
    v = chapter_visit("04_attention")
    page = v.page
    assert page.is_hidden(".mg-live-cell .cell_output"), "the stored picture should give way to the live one"
    numbers = page.text_content(".mg-live .mg-live-numbers")
    assert numbers + "\n" == _stored_stdout("04_attention", "print(format_matrix(matrix, labels))")
    assert v.unlabeled() == 0
    page.select_option(".mg-live select >> nth=1", "2")          # the head
    page.wait_for_function("document.querySelector('.mg-live svg text').textContent.includes('head 2')")
    assert page.text_content(".mg-live .mg-live-numbers") != numbers
    assert v.state("window.mgLive.widgets[0].last.head") == 2
    matrix = v.state("window.mgLive.widgets[0].last.matrix")
    assert len(matrix) == 7 and all(abs(sum(row) - 1) < 1e-9 for row in matrix)
    page.fill(".mg-live input[type=text]", "Zoë")
    page.wait_for_selector(".mg-live .mg-msg:not([hidden])")
    assert "not in the vocabulary" in page.text_content(".mg-live .mg-msg")
    v.check_clean()


def test_live_temperature_explorer(chapter_visit):
    v = chapter_visit("09_inference")
    page = v.page
    first = v.state("window.mgLive.widgets[0].last")
    assert first["prefix"] == "em" and first["temperature"] == 1.0
    page.focus(".mg-live input[type=range]")
    for _ in range(10):                                          # 1.0 -> 0.5 in steps of 0.05
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.mgLive.widgets[0].last.temperature === 0.5")
    assert page.text_content(".mg-live .mg-live-numbers") + "\n" == _stored_stdout(
        "09_inference", "print(explorer.update(temperature=0.5))")
    bars = page.eval_on_selector_all(".mg-live svg rect", "rs => rs.map(r => r.getAttribute('height'))")
    assert len(bars) == 27
    assert v.unlabeled() == 0
    v.check_clean()


def test_live_tokenizer_box(chapter_visit):
    v = chapter_visit("02_tokenizer")
    page = v.page
    assert not page.is_hidden(".mg-live-cell .cell_output"), "the stored table stays; the box is new"
    stored = _stored_stdout("02_tokenizer", 'bpe.tokens(" understanding"')
    tokens = v.state("window.mgLive.widgets[0].last.tokens")
    assert f"{len(tokens):2d} tokens {tokens}" in stored and len(tokens) > 1  # the chapter's own split, in pieces
    page.fill(".mg-live input[type=text]", "emma")
    page.wait_for_function("window.mgLive.widgets[0].last.word === 'emma'")
    assert "ids [4, 12, 12, 0]" in page.text_content(".mg-live .mg-live-numbers")
    steps = page.eval_on_selector_all(".mg-live ol.mg-live-steps li", "els => els.map(e => e.textContent)")
    assert steps[0].startswith("bytes: 'e' 'm' 'm' 'a'") and len(steps) >= 2
    assert v.unlabeled() == 0
    v.check_clean()


def test_live_dashboard_trains(chapter_visit):
    v = chapter_visit("13_playground")
    page = v.page
    assert page.input_value(".mg-live input[type=number]") == "300"     # the notebook's click: 300 steps
    page.click(".mg-live button:text('Train')")
    page.wait_for_function("window.mgLive.widgets[0].state.step === 300", timeout=120_000)
    losses = v.state("window.mgLive.widgets[0].state.losses")
    stored = _stored_stdout("13_playground", "losses = pg.train(300, callback=record)")
    for step in (1, 10, 50, 100, 200, 300):
        assert f"step {step:3d}: loss {losses[step - 1]:.4f}" in stored, step
    page.click(".mg-live button:text('Generate')")
    page.wait_for_function("document.querySelectorAll('.mg-live ol.mg-live-samples li').length === 10")
    assert v.unlabeled() == 0
    v.check_clean()


# ---------------------------------------------------------------------------
# JupyterLite inside the built book, offline: it boots from the book's own Pyodide and runs a chapter.
# Opens the autograd chapter from its "Run in your browser" link, runs the install cell the build adds
# (microgpt and ipywidgets from the book's own pypi/ folder), then every chapter cell that needs neither
# numpy nor matplotlib, in order, in the JupyterLite kernel, and compares what each prints with the
# output stored in the notebook. Any request leaving 127.0.0.1 fails the test.

import re  # noqa: E402

NEEDS_COMPILED = re.compile(r"\bnumpy\b|\bnp\.|matplotlib|\bplt\b")
SANITIZE = [(re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"), "0xADDR"),
            (re.compile(r"\b\d+(\.\d+)?\s?(s|ms|us|ns|\u00b5s)\b"), "<TIME>"), (re.compile(r"\x1b\[[0-9;]*m"), "")]


# Lines that differ in JupyterLite for a reason outside the book: the Pyodide kernel (ipykernel shim over
# Pyodide's Python) runs with sys.getrecursionlimit() == 3,000, where CPython's default is 1,000.
KNOWN_DIFFERENCES = (re.compile(r"^Python's recursion limit \(nested calls\): +[\d,]+$", re.M),)


def sanitize(text):
    for pattern in KNOWN_DIFFERENCES:
        text = pattern.sub("<recursion limit line>", text)
    for pattern, replacement in SANITIZE:
        text = pattern.sub(replacement, text)
    return text


def stored_text(cell):
    parts = []
    for out in cell["outputs"]:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            parts.append("".join(out["text"]))
        elif out["output_type"] == "execute_result":
            parts.append("".join(out["data"].get("text/plain", "")) + "\n")
    return "".join(parts)


RUN_CELL = """async ([code]) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code, store_history: true });
    let text = "", error = null;
    future.onIOPub = (msg) => {
        const c = msg.content;
        if (msg.header.msg_type === "stream" && c.name === "stdout") text += c.text;
        else if (msg.header.msg_type === "execute_result") text += (c.data["text/plain"] || "") + "\\n";
        else if (msg.header.msg_type === "error") error = c.ename + ": " + c.evalue;
    };
    await future.done;
    return { text, error };
}"""


def test_jupyterlite_runs_the_autograd_chapter_offline(context, server, site):
    assert (site / "lite" / "static" / "pyodide" / "pyodide.mjs").exists(), "built without PYODIDE=local"
    page = context.new_page()
    external = block_off_loopback(page)
    try:
        page.goto(f"{server}notebooks/03_autograd.html")
        href = page.get_attribute(".mg-run-lite a", "href")
        assert href == "../lite/lab/index.html?path=03_autograd.ipynb", href
        page.click(".mg-run-lite a")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                               "window.jupyterapp.shell.currentWidget.sessionContext && "
                               "window.jupyterapp.shell.currentWidget.sessionContext.session && "
                               "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel", timeout=120_000)
        page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                               timeout=180_000)
        nb = json.loads((ROOT / "notebooks" / "03_autograd.ipynb").read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        install = page.evaluate(RUN_CELL, ["%pip install -q microgpt ipywidgets\nimport microgpt, ipywidgets\n"
                                           "print(microgpt.__version__, ipywidgets.__version__)"])
        assert install["error"] is None and install["text"].startswith("0.1.0 8."), install
        compared, mismatches, t0 = 0, [], time.time()
        for cell in cells:
            source = "".join(cell["source"])
            if NEEDS_COMPILED.search(source):
                continue
            got = page.evaluate(RUN_CELL, [source])
            assert got["error"] is None, (source[:200], got["error"])
            if "nbval-ignore-output" in cell["metadata"].get("tags", []):
                continue
            compared += 1
            if sanitize(got["text"]) != sanitize(stored_text(cell)):
                import difflib
                mismatches.append(source[:60] + "\n" + "\n".join(difflib.unified_diff(
                    sanitize(stored_text(cell)).splitlines(), sanitize(got["text"]).splitlines(), "stored", "lite",
                    lineterm="", n=0)))
        print(f"JupyterLite ran {compared} cells of 03_autograd in {time.time() - t0:.1f} s")
        assert compared >= 20, compared
        assert not mismatches, "\n\n".join(mismatches)
        assert not external, external
    finally:
        page.close()
