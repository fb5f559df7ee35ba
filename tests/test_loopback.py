"""scripts/loopback.py: the loopback server, and the one-line refusals of the tools that use it."""
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from helpers import ROOT, serve


def test_serve_gives_the_folder_on_loopback_and_stops(tmp_path):
    (tmp_path / "page.html").write_text("<p>hello</p>", encoding="utf-8")
    with serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        with urllib.request.urlopen(base + "page.html", timeout=10) as response:
            assert response.read() == b"<p>hello</p>"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "nothing.html", timeout=10)
        assert missing.value.code == 404
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "page.html", timeout=5)


@pytest.mark.parametrize("command, expected", [
    (["scripts/book_pdf.py", "{missing}", "{tmp}/book.pdf"], "book_pdf: error: no {missing}/index.html"),
    (["scripts/page_weight.py", "{missing}"], "page_weight: error: no {missing}/index.html"),
    (["benchmarks/playground_speed.py", "--site", "{missing}"],
     "playground_speed: error: no {missing}/book/playground.html"),
    (["benchmarks/playground_speed.py", "--site", "{missing}", "--native-python", "{tmp}/no-python"],
     "playground_speed: error: --native-python {tmp}/no-python is not a program that runs"),
])
def test_a_missing_book_or_python_gets_one_line_and_exit_2(tmp_path, command, expected):
    missing = tmp_path / "no-book"
    fill = {"missing": str(missing), "tmp": str(tmp_path)}
    result = subprocess.run([sys.executable, *(part.format(**fill) for part in command)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(expected.format(**fill)), result.stderr
    assert not (tmp_path / "book.pdf").exists()
