"""The playground dashboard (chapter 13), driven without a notebook frontend: click, then look at what it shows."""

import pytest
from helpers import png_img_alt

import microgpt
from microgpt.widgets.playground import Playground

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

SMALL = microgpt.GPTConfig(n_embd=8, n_head=2, block_size=10)
WORDS = ["anna", "bob", "clara", "dave", "emma", "ben", "ada", "otto"]


@pytest.fixture
def pg():
    # The scalar engine (every engine offers the dashboard the same interface; this one needs nothing)
    # on a small model, for speed.
    playground = Playground(engine="scalar", config=SMALL, n_samples=4)
    _ = playground.ui  # build the widgets
    return playground


def test_one_click_is_microgpts_training_run():
    pg = Playground(engine="scalar")
    model, docs, tokenizer, _ = microgpt.setup(42)
    assert pg.train(3) == microgpt.train(model, docs, tokenizer, 3)
    assert pg.model.weights() == model.weights()



def test_train_button_moves_progress_curve_and_status(pg):
    before = pg.loss_image.value
    pg.steps_box.value = 4
    pg.train_button.click()
    assert pg.progress.max == 4 and pg.progress.value == 4
    assert len(pg.losses) == 4 and pg.step == 4
    assert "Loss curve over 4 training steps" in png_img_alt(pg.loss_image.value) and pg.loss_image.value != before
    assert pg.status.value == f"step 4, loss {pg.losses[-1]:.4f}"
    pg.train_button.click()  # a second click continues
    assert pg.step == 8 and len(pg.losses) == 8 and pg.progress.value == 4
    line = pg.loss_figure().axes[0].lines[0]
    assert list(line.get_ydata()) == pg.losses


def test_attention_maps_update_with_training_and_word(pg):
    maps0 = pg.attention_maps()
    image0 = pg.attention_image.value
    pg.train(2)
    assert pg.attention_maps() != maps0
    assert pg.attention_image.value != image0 and "after 2 steps" in png_img_alt(pg.attention_image.value)
    pg.word_box.value = "ava"
    assert pg.word == "ava" and pg.message == ""
    maps = pg.attention_maps()
    assert len(maps) == pg.config.n_layer and len(maps[0]) == pg.config.n_head
    assert len(maps[0][0]) == 4  # BOS, a, v, a
    for row in maps[0][0]:
        assert sum(row) == pytest.approx(1.0)


def test_temperature_changes_the_names(pg):
    pg.train(5)
    pg.temperature_slider.value = 0.5
    pg.generate_button.click()
    first = list(pg.samples)
    assert len(first) == pg.n_samples
    assert all(name in pg.samples_html.value for name in first)
    pg.generate_button.click()
    assert pg.samples == first  # same weights, same temperature: same names
    pg.temperature_slider.value = 1.5
    pg.generate_button.click()
    assert pg.samples != first
    assert pg.temperature == 1.5


def test_zero_steps_shows_a_message_and_changes_nothing(pg):
    pg.train(2)
    pg.steps_box.value = 0
    pg.train_button.click()
    assert "the number of steps must be a whole number >= 1" in pg.message
    assert "the number of steps must be a whole number &gt;= 1" in pg.message_html.value
    assert pg.step == 2 and len(pg.losses) == 2
    pg.steps_box.value = 1  # a good click clears the message
    pg.train_button.click()
    assert pg.message == "" and pg.message_html.value == "" and pg.step == 3


def test_negative_temperature_shows_a_message(pg):
    names = pg.generate(0.5)
    assert pg.generate(-1.0) is None
    assert "temperature" in pg.message and "temperature" in pg.message_html.value
    assert pg.samples == names
    pg.temperature_slider.value = -1.0  # the slider itself cannot go below 0
    assert pg.temperature_slider.value == 0.0


def test_bad_word_shows_a_message(pg):
    pg.word_box.value = "Emma!"
    assert "not in the vocabulary" in pg.message
    assert pg.word == "emma"
    pg.word_box.value = "x" * 12
    assert "at most" in pg.message


def test_reset_forgets_training(pg):
    fresh = pg.model.weights()
    pg.train(3)
    pg.reset()
    assert pg.losses == [] and pg.step == 0 and pg.progress.value == 0
    assert pg.model.weights() == fresh


def test_own_words_and_no_widgets():
    pg = Playground(docs=WORDS, engine="scalar", config=SMALL, n_samples=3)
    assert pg.tokenizer.chars == sorted(set("".join(WORDS)))
    assert pg.config.vocab_size == pg.tokenizer.vocab_size
    assert len(pg.train(2)) == 2
    assert len(pg.generate(1.0)) == 3
    assert pg.train(-5) is None and "whole number >= 1" in pg.message
    assert pg._ui is None  # nothing above needed a widget
    with pytest.raises(microgpt.MicrogptError):
        Playground(docs="anna bob", engine="scalar")


def test_dashboard_built_after_training_shows_that_training():
    pg = Playground(engine="scalar", config=SMALL, n_samples=2)
    pg.train(3)
    pg.generate(0.5)
    _ = pg.ui  # build the widgets
    assert pg.progress.value == pg.progress.max == 3
    assert pg.status.value.startswith("step 3, loss ")
    assert all(name in pg.samples_html.value for name in pg.samples)
