"""microgpt.show: plain text is exactly the source; HTML is highlighted and deterministic."""
import inspect
import sys
import textwrap

import pytest

from microgpt import show as show_module
from microgpt.show import Source, show


def test_plain_text_is_the_source():
    src = show(show)
    assert isinstance(src, Source)
    assert str(src) == inspect.getsource(show)
    assert repr(src) == inspect.getsource(show).rstrip("\n")


def test_methods_are_dedented():
    src = show(Source.caption)
    assert src.text.startswith("def caption(self):")
    assert src.text == textwrap.dedent(inspect.getsource(Source.caption))


def test_dotted_name_and_module():
    assert show("microgpt.show.show").text == show(show).text
    whole = show(show_module)
    assert whole.text == inspect.getsource(show_module)
    assert whole.first_line == 1
    assert whole.name == "microgpt.show"
    assert whole.filename == "microgpt/show.py"


def test_caption_names_file_and_lines():
    src = show(show)
    _, first = inspect.getsourcelines(show)
    assert src.first_line == first
    assert src.caption() == f"microgpt.show.show | microgpt/show.py, lines {first}-{src.last_line}"


def test_markers_slice_inclusive():
    src = show(show, start="obj = _resolve(obj)", end="target = ")
    assert src.text.splitlines() == ["obj = _resolve(obj)", "target = inspect.unwrap(obj) if callable(obj) else obj"]
    lines, first = inspect.getsourcelines(show)
    assert lines[src.first_line - first].strip() == "obj = _resolve(obj)"


def test_end_blank_line_means_paragraph():
    src = show(show_module, start="class Source", end="")
    assert src.text.splitlines()[0].startswith("class Source")
    assert "def __init__" not in src.text


def test_missing_marker_is_an_error():
    with pytest.raises(ValueError, match="not found"):
        show(show, start="no such line anywhere")


def test_no_source_is_an_error():
    with pytest.raises(TypeError, match="no source"):
        show(len)


def test_html_is_highlighted_escaped_and_deterministic():
    pytest.importorskip("pygments")
    src = Source("if a < b:\n    x = 'hi'\n", name="demo")
    out = src._repr_html_()
    assert out == src._repr_html_()
    assert "&lt;" in out and "<span" in out and "a < b" not in out
    assert "demo" in out


def test_html_without_pygments(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)
    out = Source("x = 1 < 2\n")._repr_html_()
    assert "<pre>x = 1 &lt; 2\n</pre>" in out


def test_line_numbers_start_at_the_file_line():
    pytest.importorskip("pygments")
    src = show(show, linenos=True)
    assert str(src.first_line) in src._repr_html_()
