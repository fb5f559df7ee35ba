"""The head-inspection widget of the attention chapter: drive it like a reader would and check what it shows."""
import pytest

pytest.importorskip("ipywidgets")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from helpers import png_img_alt  # noqa: E402

import microgpt  # noqa: E402
from microgpt import GPTConfig, Tokenizer, init_weights, make_model, make_rng  # noqa: E402
from microgpt.widgets.attention import (  # noqa: E402
    HeadInspector,
    attention_figure,
    attention_matrix,
    format_matrix,
    head_inspector,
)


@pytest.fixture(scope="module")
def setup():
    tok = Tokenizer(list("abcdefghijklmnopqrstuvwxyz"))
    cfg = GPTConfig(vocab_size=tok.vocab_size, n_layer=2)
    # std 0.5 instead of 0.08: attention far from uniform, so heads and layers differ visibly
    model = make_model("scalar", cfg, init_weights(cfg, make_rng(3), std=0.5))
    return model, tok


def test_matrix_is_causal_and_rows_sum_to_one(setup):
    model, tok = setup
    matrix, labels = attention_matrix(model, tok, "emma", layer=1, head=2)
    assert labels == ["BOS", "e", "m", "m", "a"]
    assert len(matrix) == 5 and all(len(row) == 5 for row in matrix)
    for t, row in enumerate(matrix):
        assert sum(row) == pytest.approx(1.0)
        assert all(w == 0.0 for w in row[t + 1:])
    assert matrix == model.attention_maps([tok.BOS] + tok.encode("emma"))[1][2]


def test_name_is_stripped_and_lowercased(setup):
    model, tok = setup
    assert attention_matrix(model, tok, "  Emma ")[1] == ["BOS", "e", "m", "m", "a"]


def test_bad_input_raises_one_line_errors(setup):
    model, tok = setup
    with pytest.raises(microgpt.MicrogptError, match="not in the vocabulary"):
        attention_matrix(model, tok, "zoë")
    with pytest.raises(microgpt.MicrogptError, match="type a name"):
        attention_matrix(model, tok, "   ")
    with pytest.raises(microgpt.MicrogptError, match="at most 15 letters"):
        attention_matrix(model, tok, "a" * 16)
    with pytest.raises(microgpt.MicrogptError, match="head must be"):
        attention_matrix(model, tok, "emma", head=4)
    with pytest.raises(microgpt.MicrogptError, match="layer must be"):
        attention_matrix(model, tok, "emma", layer=2)


def test_format_matrix_masks_the_future(setup):
    model, tok = setup
    matrix, labels = attention_matrix(model, tok, "ava")
    lines = format_matrix(matrix, labels).splitlines()
    assert lines[0].split() == labels
    assert lines[1].split() == ["BOS", "1.00"]           # position 0 can only see itself
    assert len(lines[-1].split()) == 1 + len(labels)      # the last position sees everything


def test_attention_figure_labels_the_axes(setup):
    import matplotlib.pyplot as plt

    model, tok = setup
    _matrix, labels, fig = attention_figure(model, tok, "liam", layer=0, head=1)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert "layer 0, head 1" in ax.get_title()
    plt.close(fig)


def test_widget_follows_name_layer_and_head(setup):
    model, tok = setup
    insp = head_inspector(model, tok, name="emma")
    assert isinstance(insp, HeadInspector)
    assert insp.labels == ["BOS", "e", "m", "m", "a"]
    first = insp.matrix
    kinds = [o["output_type"] for o in insp.out.outputs]
    assert kinds == ["display_data", "stream"]
    assert "head 0 on 'emma'" in png_img_alt(insp.out.outputs[0]["data"]["text/html"])
    assert insp.out.outputs[1]["text"].rstrip("\n") == format_matrix(first, insp.labels)

    insp.name.value = "olivia"
    assert insp.labels == ["BOS", "o", "l", "i", "v", "i", "a"]
    assert insp.matrix == attention_matrix(model, tok, "olivia", 0, 0)[0]

    insp.head.value = 3
    assert insp.matrix == attention_matrix(model, tok, "olivia", 0, 3)[0]
    insp.layer.value = 1
    assert insp.matrix == attention_matrix(model, tok, "olivia", 1, 3)[0]
    assert "layer 1, head 3" in insp.message.value
    assert insp.status_text.startswith("layer 1, head 3: 7 positions")
    assert insp.error is None
    assert insp.out.outputs[1]["text"].rstrip("\n") == format_matrix(insp.matrix, insp.labels)

    # the widget exposes its controls with the model's ranges
    assert list(insp.head.options) == list(range(model.config.n_head))
    assert list(insp.layer.options) == [0, 1]


def test_widget_shows_a_message_for_bad_names(setup):
    model, tok = setup
    insp = HeadInspector(model, tok, name="emma")
    insp.name.value = "zoë"               # must not raise
    assert insp.matrix is None and insp.labels is None
    assert "not in the vocabulary" in insp.message.value
    # the plain-text form has no markup or escapes: what a reader would print
    assert insp.status_text == insp.error
    assert insp.error.startswith("'ë' not in the vocabulary")
    assert "&#" not in insp.error and "<" not in insp.error
    assert insp.out.outputs == ()
    insp.name.value = ""
    assert "type a name" in insp.message.value
    assert insp.error == "type a name (at least one letter)"
    insp.name.value = "noah"              # recovers
    assert insp.labels == ["BOS", "n", "o", "a", "h"]
    assert "&#9888;" not in insp.message.value
    assert insp.error is None and insp.status_text.startswith("layer 0, head 0: 5 positions")


def test_widget_works_with_the_fast_engine(setup):
    model, tok = setup
    if "fused" not in microgpt.ENGINES:
        pytest.skip("fused engine not registered")
    fast = make_model("fused", model.config, model.weights())
    insp = HeadInspector(fast, tok, name="mia", layer=1, head=2)
    expected = attention_matrix(model, tok, "mia", 1, 2)[0]
    flat = [w for row in insp.matrix for w in row]
    assert flat == pytest.approx([w for row in expected for w in row], abs=1e-12)
