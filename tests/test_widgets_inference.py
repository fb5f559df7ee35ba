"""The temperature slider (chapter 9), driven without a notebook frontend: move it, then look at what it shows."""
import math

import pytest
from helpers import png_img_alt

import microgpt
from microgpt.widgets.inference import END_LABEL, TemperatureExplorer, entropy, prefix_logits

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")



@pytest.fixture(scope="module")
def trained():
    # A small model and a few scalar steps are enough to make the distribution non-trivial;
    # every engine has the same interface.
    config = microgpt.GPTConfig(n_embd=8, n_head=2, block_size=8)
    model, docs, tokenizer, _ = microgpt.setup(42, config=config)
    microgpt.train(model, docs, tokenizer, 20)
    return model, tokenizer


@pytest.fixture
def ex(trained):
    model, tokenizer = trained
    explorer = TemperatureExplorer(model, tokenizer, prefix="em", temperature=1.0, n_names=3)
    _ = explorer.ui  # build the widgets
    return explorer



def test_slider_changes_the_distribution_which_sums_to_one(ex):
    before, chart_before = list(ex.probs), ex.chart.value
    assert "next-symbol probabilities" in png_img_alt(ex.chart.value)
    ex.slider.value = 0.3
    assert ex.temperature == 0.3
    assert ex.probs != before
    assert math.isclose(sum(ex.probs), 1.0, rel_tol=0, abs_tol=1e-12)
    assert "temperature 0.3" in png_img_alt(ex.chart.value) and ex.chart.value != chart_before
    bars = [patch.get_height() for patch in ex.figure().axes[0].patches]
    assert bars == ex.probs


def test_lower_temperature_sharpens(ex):
    ex.slider.value = 0.25
    cold = entropy(ex.probs)
    ex.slider.value = 2.0
    hot = entropy(ex.probs)
    assert cold < hot <= math.log(len(ex.probs))


def test_distribution_is_softmax_of_scaled_logits(ex, trained):
    model, tokenizer = trained
    ex.slider.value = 0.5
    logits = prefix_logits(model, tokenizer, "em")
    assert ex.probs == microgpt.next_token_probs(logits, 0.5)


def test_temperature_zero_is_one_hot_on_the_argmax(ex):
    ex.slider.value = 0.0
    assert sorted(ex.probs)[-1] == 1.0 and sum(ex.probs) == 1.0
    assert ex.probs.index(1.0) == ex.logits.index(max(ex.logits))
    assert len(set(ex.names)) == 1  # greedy: every draw is the same name


def test_names_are_seeded_and_start_with_the_prefix(ex):
    ex.slider.value = 1.0
    first = list(ex.names)
    ex.slider.value = 0.7
    ex.slider.value = 1.0
    assert ex.names == first
    assert all(name.startswith("em") for name in ex.names)
    assert ex.names_html.value.startswith("<b>names:</b>")


def test_prefix_box_redraws(ex):
    before = list(ex.probs)
    ex.prefix_box.value = "  Ol "  # trimmed and lower-cased
    assert ex.prefix == "ol" and ex.message == ""
    assert ex.probs != before
    assert "'ol'" in ex.summary()


def test_bad_prefix_shows_a_message_and_keeps_the_last_distribution(ex):
    before, prefix = list(ex.probs), ex.prefix
    ex.prefix_box.value = "e1"  # '1' is not a letter of the vocabulary
    assert "not in the vocabulary" in ex.message
    assert "not in the vocabulary" in ex.message_html.value
    assert ex.probs == before and ex.prefix == prefix
    ex.prefix_box.value = "x" * 8  # longer than block_size - 1
    assert "at most 7" in ex.message
    ex.prefix_box.value = "an"  # a good prefix clears the message
    assert ex.message == "" and ex.message_html.value == ""


def test_summary_text(ex):
    ex.update(prefix="", temperature=0.5)
    text = ex.summary()
    assert text.startswith("prefix '', temperature 0.5")
    assert "probabilities sum to 1.000000" in text
    assert ex.labels[ex.tokenizer.BOS] == END_LABEL


def test_constructor_rejects_bad_prefix(trained):
    model, tokenizer = trained
    with pytest.raises(microgpt.MicrogptError):
        TemperatureExplorer(model, tokenizer, prefix="9")
