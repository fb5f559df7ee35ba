"""The teacher's kit in headless Chromium: the quizzes work without a kernel, every slide deck builds and opens
offline (no console error, no request off loopback) with at least 10 slides, the syllabus page is built.

Builds the book (and `make slides` into it) in a temporary folder; Debian's /usr/bin/chromium through Playwright
(never `playwright install`). Without Chromium or playwright these tests skip, except under CI=true.
"""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "scripts"))
import quiz  # noqa: E402
from helpers import block_off_loopback, build_book, serve, unavailable  # noqa: E402
from test_playground import browser, playwright_api  # noqa: E402, F401 (fixtures: skip without Chromium)

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_has_a_valid_quiz(name):
    data = quiz.load(ROOT / "book" / "quizzes" / f"{name}.json")
    assert 5 <= len(data["questions"]) <= 8
    twin = (ROOT / "notebooks" / "text" / f"{name}.md").read_text(encoding="utf-8")
    assert f":::{{quiz}} {name}" in twin, f"{name} does not show its quiz"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    result, out = build_book(tmp_path_factory.mktemp("teacher-book"))
    html = out / "html"
    assert result.returncode == 0 and (html / "book" / "syllabus.html").exists(), \
        (result.stdout + result.stderr)[-3000:]
    made = subprocess.run(["make", "-C", str(ROOT), "reveal"], capture_output=True, text=True)
    if made.returncode:
        unavailable(f"reveal.js could not be fetched (`make reveal`):\n{made.stderr[-1500:]}")
    reveal = next((ROOT / ".cache").glob("reveal.js-*"))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "slides.py"), "--reveal", str(reveal),
                    "--out", str(html / "slides")], check=True, capture_output=True, timeout=600)
    return html


@pytest.fixture(scope="module")
def server(site):
    with serve(site) as base:
        yield base


def _open(browser, url):  # noqa: F811 (the fixture)
    """A page that records console errors, page errors, failed responses and requests off loopback."""
    page = browser.new_page()
    seen = {"errors": [], "external": block_off_loopback(page)}
    page.on("console", lambda m: m.type == "error" and "404" not in m.text and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    # (favicon.ico: the book has none yet, a known 404 on every page that is not the kit's)
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
            and seen["errors"].append(f"{r.status} {r.url}"))
    page.goto(url, wait_until="load")
    return page, seen


def test_quiz_right_and_wrong_answers_get_the_right_feedback(browser, server):  # noqa: F811 (the fixture)
    page, seen = _open(browser, server + "notebooks/03_autograd.html")
    data = quiz.load(ROOT / "book" / "quizzes" / "03_autograd.json")
    choice = next(i for i, q in enumerate(data["questions"], 1) if q["type"] == "choice")
    number = next(i for i, q in enumerate(data["questions"], 1) if q["type"] == "number")
    q = data["questions"][choice - 1]
    # right answer to a multiple-choice question, chosen with the keyboard
    page.focus(f"#quiz-03_autograd-{choice}-{q['answer']}")
    page.keyboard.press("Space")
    page.focus(f"#quiz-03_autograd-{choice} .mgpt-check")
    page.keyboard.press("Enter")
    assert page.inner_text(f"#quiz-03_autograd-{choice}-feedback") == "Correct."
    assert page.is_visible(f"#quiz-03_autograd-{choice}-explanation")
    # wrong answer to a number question
    wrong = data["questions"][number - 1]["answer"] + 7
    page.fill(f"#quiz-03_autograd-{number}-in", str(wrong))
    page.click(f"#quiz-03_autograd-{number} .mgpt-check")
    assert page.inner_text(f"#quiz-03_autograd-{number}-feedback").startswith("Not quite")
    assert page.get_attribute(f"#quiz-03_autograd-{number}-feedback", "aria-live") == "polite"
    assert page.is_visible(f"#quiz-03_autograd-{number}-explanation")
    assert not seen["errors"] and not seen["external"], seen
    page.close()


def test_syllabus_page_lists_the_three_plans(browser, server):  # noqa: F811 (the fixture)
    page, seen = _open(browser, server + "book/syllabus.html")
    text = page.inner_text("main")
    for weeks in (6, 8, 10):
        assert f"The {weeks}-week plan" in text
    assert "200 words a minute" in text and "Hand in: exercises 3.1, 3.2, 3.3" in text
    assert not seen["errors"] and not seen["external"], seen
    page.close()


@pytest.mark.parametrize("name", CHAPTERS)
def test_slide_deck_opens_offline_with_ten_slides(browser, server, name):  # noqa: F811 (the fixture)
    page, seen = _open(browser, server + f"slides/{name}.slides.html")
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    total = page.evaluate("Reveal.getTotalSlides()")
    page.keyboard.press("ArrowRight")  # move once: the slide-change handler runs without error
    assert total >= 10, f"{name}: {total} slides"
    assert not seen["errors"] and not seen["external"], seen
    page.close()
