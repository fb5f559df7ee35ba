"""The book as one PDF (`make pdf`: the single-page HTML build printed by headless Chromium).

Builds the single-page book into a temporary folder, prints it with scripts/book_pdf.py and reads
the PDF back with poppler's pdftotext / pdfimages (Debian: poppler-utils). Without Chromium, the
playwright package or poppler these tests skip, except under CI=true, where they fail.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest
from helpers import build_book, unavailable
from test_playground import ROOT, browser, playwright_api  # noqa: F401 (fixtures)

sys.path.insert(0, str(ROOT / "scripts"))
import book_pdf


def chapter_titles():
    """The title (first '# ' heading) of every document in _toc.yml."""
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    files.insert(0, re.search(r"root:\s*(\S+)", (ROOT / "_toc.yml").read_text()).group(1))
    titles = []
    for f in files:
        if (ROOT / f"{f}.ipynb").exists():
            cells = json.loads((ROOT / f"{f}.ipynb").read_text())["cells"]
            text = "".join("".join(c["source"]) + "\n" for c in cells if c["cell_type"] == "markdown")
        else:
            text = (ROOT / f"{f}.md").read_text()
        titles.append(re.search(r"^# (.+)$", text, re.M).group(1).strip())
    return titles


def squash(text):
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


@pytest.fixture(scope="module")
def singlehtml(tmp_path_factory):
    result, out = build_book(tmp_path_factory.mktemp("pdf-book"), "--builder", "singlehtml")
    folder = out / "singlehtml"
    assert result.returncode == 0 and (folder / "index.html").exists(), (result.stdout + result.stderr)[-4000:]
    return folder


@pytest.fixture(scope="module")
def pdf_text(singlehtml, playwright_api):  # noqa: F811 (playwright_api: skips without Chromium)
    if not shutil.which("pdftotext"):
        unavailable("pdftotext is missing: apt-get install -y --no-install-recommends poppler-utils")
    pdf = singlehtml.parent / "pdf" / "microgpt-book.pdf"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "book_pdf.py"), str(singlehtml), str(pdf)],
                   check=True, capture_output=True, text=True, timeout=600)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return pdf, subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout, images


def test_the_pdf_has_the_contents_every_chapter_figures_and_outputs(pdf_text, singlehtml):
    pdf, text, images = pdf_text
    assert pdf.stat().st_size > 100_000
    flat = squash(text)
    titles = chapter_titles()
    assert len(titles) >= 12
    missing = [t for t in titles if squash(t) not in flat]
    assert not missing, f"chapter titles not in the PDF's text: {missing}"
    # The table of contents at the front lists every chapter before the first chapter begins.
    contents = flat.index("Contents")
    assert all(flat.find(squash(t), contents) < flat.find("Who this is for") for t in titles[1:]), flat[:2000]
    # Figures: at least one picture in the PDF per PNG figure of the single-page book.
    pngs = (singlehtml / book_pdf.root_page(singlehtml)).read_text().count('.png"')
    assert pngs >= 10 and len(images.splitlines()) - 2 >= pngs, images[:500]
    # Stored outputs: the caption of a package listing (an output of microgpt.show) is printed.
    assert "microgpt/autograd.py, lines" in flat


def test_no_code_line_is_cut_in_print(singlehtml, browser):  # noqa: F811
    book_pdf.link_image_folders(singlehtml)
    with book_pdf.serve(singlehtml) as base:
        page = book_pdf.open_for_print(browser, base, singlehtml)
        cut = page.evaluate("""() => [...document.querySelectorAll('pre')]
            .filter(pre => pre.offsetParent !== null)
            .filter(pre => pre.scrollWidth > pre.clientWidth + 1
                           || pre.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b).slice(0, 80))""")
        blocks = page.evaluate("document.querySelectorAll('pre').length")
        page.context.close()
    assert blocks > 100
    assert not cut, f"{len(cut)} code blocks wider than the printed page, e.g. {cut[:5]}"
