"""Chapter 13, the playground: train a microgpt and watch it learn, in one notebook dashboard.

    from microgpt.widgets.playground import Playground
    pg = Playground(seed=42)
    pg.train(300)          # the same code path the Train button runs
    pg.generate()          # the same code path the Generate button runs
    pg.show()              # the dashboard (ipywidgets), in a notebook

The model, its training loop and its samples work without any widget: a
``Playground`` keeps its state in plain attributes (``losses``, ``samples``,
``message``, ``step``). The widgets are built the first time ``ui`` is asked for
(``show()`` does that) and from then on every ``train`` / ``generate`` also
refreshes them: the progress bar, the loss curve, the attention maps and the
list of names. ipywidgets and matplotlib are imported inside the functions
that need them, never at module import.

One click of Train with N steps is exactly microgpt's training run of N steps:
document ``i`` of the shuffled list at global step ``i``, Adam, a learning rate
falling linearly to zero over the N steps. A further click continues from the
current weights and starts a new decay from ``learning_rate``.
"""
import copy
import html
import math
import random

from .. import hparams, setup
from ..data import parse_docs
from ..engines import make_model
from ..errors import DivergedError, MicrogptError
from ..evaluate import moving_average
from ..sample import check_temperature, generate_many
from ..train import check_steps, diverged_message, training_step
from . import BLUE, VERMILLION, LazyUI, figure_html

# Okabe-Ito, colour-blind safe.


class Playground(LazyUI):
    """A microgpt you can train, inspect and sample from; ``show()`` puts it on screen as a dashboard.

    docs: the training documents (default: the packaged names), shuffled with ``seed``.
    engine: "scalar", "fused" or "numpy" (see ``microgpt.engines``); "fused" computes the
    scalar engine's numbers bit for bit, about 30 times faster, in pure Python.
    config: a ``GPTConfig`` (its vocab_size is set from the documents).
    word: the document whose attention maps are drawn.
    sample_seed: every ``generate()`` draws from a fresh ``random.Random(sample_seed)``,
    so the same weights and temperature always give the same names and a change of
    temperature is the only thing that changes them.
    """

    def __init__(self, docs=None, seed=42, engine="fused", config=None, learning_rate=0.01,
                 word="emma", n_samples=10, temperature=0.5, sample_seed=0, smooth=50):
        if docs is not None:
            if isinstance(docs, str):
                raise MicrogptError("docs must be a list of documents, not one string; use str.split() or a list")
            docs = parse_docs("\n".join(str(d) for d in docs), "the list of documents")
        self.seed = seed
        self.engine = engine
        self.learning_rate = learning_rate
        self.n_samples = n_samples
        self.temperature = temperature
        self.sample_seed = sample_seed
        self.smooth = smooth
        model, self.docs, self.tokenizer, _ = setup(seed, docs=docs, engine=engine, config=config)
        self.config = model.config
        self._initial_weights = model.weights()  # what reset() goes back to
        self._ui = None
        self.reset()
        self.word = self._check_word(word)

    # -- the model, without any widget ----------------------------------------
    def reset(self):
        """Fresh weights from ``seed``: forget all training."""
        self.model = make_model(self.engine, self.config, copy.deepcopy(self._initial_weights))
        self.step = 0          # documents trained on so far
        self.last_steps = 0    # steps of the last train() call (what the progress bar counts)
        self.losses = []       # loss of every step so far
        self.samples = []      # the last generated names
        self.message = ""      # the last error or notice, for the reader
        if self._ui is not None:
            self.progress.value, self.progress.max = 0, 1
            self._show_message("")
            self.refresh()

    def train(self, steps=None, callback=None):
        """Train ``steps`` more steps (default: the steps box); returns this click's losses, or None on bad input.

        ``callback(playground)``, if given, is called after every step (to record
        something as the model learns; ``self.step`` says how far it is).
        """
        if steps is None:
            steps = self.steps_box.value if self._ui is not None else 100
        try:
            check_steps(steps)
            hparams.check("learning_rate", self.learning_rate)
        except MicrogptError as exc:
            return self._fail(exc)
        self.message = ""
        self.last_steps = steps
        every = max(1, steps // 10)  # about 10 redraws per click, the same ones every time
        if self._ui is not None:
            self.progress.max, self.progress.value = steps, 0
            self._show_message("")
        new = []
        for i in range(steps):
            try:
                loss = training_step(self.model, self.docs, self.tokenizer, i, steps, self.learning_rate,
                                     doc_index=self.step)
            except DivergedError as exc:  # the weights are those of the last good step
                self._fail(diverged_message(exc, i, steps, self.learning_rate))
                if self._ui is not None:
                    self.refresh(samples=False)
                break
            self.step += 1
            new.append(loss)
            self.losses.append(loss)
            if callback is not None:
                callback(self)
            if self._ui is not None:
                self.progress.value = i + 1
                if (i + 1) % every == 0 or i + 1 == steps:
                    self.refresh(samples=False)
        return new

    def generate(self, temperature=None, n=None):
        """``n`` (default ``n_samples``) names at ``temperature`` (default: the slider); None on bad input."""
        if temperature is None:
            temperature = self.temperature_slider.value if self._ui is not None else self.temperature
        try:
            check_temperature(temperature)
        except MicrogptError as exc:
            return self._fail(exc)
        self.temperature = temperature
        self.message = ""
        rng = random.Random(self.sample_seed)
        self.samples = generate_many(self.model, self.tokenizer, rng, n or self.n_samples, temperature)
        if self._ui is not None:
            self._show_message("")
            self.samples_html.value = self._samples_text()
        return self.samples

    def set_word(self, word):
        """Draw the attention maps of ``word`` from now on; returns False (and says why) if it cannot be encoded."""
        try:
            self.word = self._check_word(word)
        except MicrogptError as exc:
            self._fail(exc)
            return False
        self.message = ""
        if self._ui is not None:
            self._show_message("")
            self.refresh(samples=False)
        return True

    def attention_maps(self):
        """The attention weights of ``[BOS] + word``: [n_layer][n_head][T][T]."""
        tokens = [self.tokenizer.BOS] + self.tokenizer.encode(self.word)
        return self.model.attention_maps(tokens)

    def _check_word(self, word):
        if not isinstance(word, str) or not word.strip():
            raise MicrogptError("type a word to inspect, e.g. 'emma'")
        word = word.strip()
        self.tokenizer.encode(word)  # raises with the list of allowed characters
        if len(word) + 1 > self.config.block_size:
            raise MicrogptError(f"the word has {len(word)} characters; at most {self.config.block_size - 1} fit")
        return word

    def _fail(self, exc):
        self.message = str(exc)
        if self._ui is not None:
            self._show_message(self.message)
        return None

    # -- the figures (matplotlib Figure objects, no pyplot state) --------------
    def loss_figure(self, dpi=80):
        """The loss curve so far: every step's loss and its moving average."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.2, 3.4), dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
        steps = list(range(1, len(self.losses) + 1))
        ax.plot(steps, self.losses, color=BLUE, alpha=0.25, linewidth=0.8, label="loss of each step")
        ax.plot(steps, moving_average(self.losses, self.smooth), color=VERMILLION, linewidth=2,
                label=f"mean of last {self.smooth}")
        ax.axhline(math.log(self.tokenizer.vocab_size), color="#000000", linestyle=":", linewidth=1,
                   label=f"uniform guess, ln {self.tokenizer.vocab_size}")
        ax.set_xlabel("training step")
        ax.set_ylabel("loss (cross-entropy)")
        ax.set_title(f"Loss after {self.step} steps")
        ax.set_xlim(0, max(10, len(self.losses)))
        ax.legend(loc="upper right", fontsize=8)
        return fig

    def attention_figure(self, layer=0, dpi=80):
        """The attention weights of every head of ``layer`` for ``[BOS] + word``."""
        from matplotlib.figure import Figure

        maps = self.attention_maps()[layer]
        labels = ["BOS"] + list(self.word)
        n_head = len(maps)
        fig = Figure(figsize=(2.0 * n_head + 0.6, 2.9), dpi=dpi, layout="constrained")
        axes = fig.subplots(1, n_head, squeeze=False)[0]
        for h, ax in enumerate(axes):
            im = ax.imshow(maps[h], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks(range(len(labels)), labels, fontsize=7)
            ax.set_yticks(range(len(labels)), labels, fontsize=7)
            ax.set_title(f"head {h}", fontsize=9)
            ax.set_xlabel("looks at", fontsize=8)
        axes[0].set_ylabel("position", fontsize=8)
        fig.colorbar(im, ax=list(axes), shrink=0.8, label="weight")
        fig.suptitle(f"Layer {layer} attention on '{self.word}' after {self.step} steps", fontsize=10)
        return fig

    # -- the dashboard ----------------------------------------------------------
    def refresh(self, samples=True):
        """Redraw the loss curve and attention maps (and the samples) from the current state."""
        if self._ui is None:
            return
        if self.losses:
            loss_alt = (f"Loss curve over {self.step} training steps: first loss {self.losses[0]:.3f}, "
                        f"last {self.losses[-1]:.3f}")
        else:
            loss_alt = "Loss curve: no training steps yet"
        attn_alt = (f"Attention maps of every head of layer 0 on {self.word!r} after {self.step} steps: "
                    "rows are positions, columns where each looks, brighter means more weight")
        self.loss_image.value = figure_html(self.loss_figure(), loss_alt)
        self.attention_image.value = figure_html(self.attention_figure(), attn_alt)
        last = f", loss {self.losses[-1]:.4f}" if self.losses else ""
        self.status.value = f"step {self.step}{last}"
        if samples:
            self.samples_html.value = self._samples_text()

    def _samples_text(self):
        if not self.samples:
            return "<i>no names yet: press Generate</i>"
        return "<b>names:</b> " + ", ".join(html.escape(s) for s in self.samples)

    def _show_message(self, text):
        self.message_html.value = f'<span style="color:{VERMILLION}">{html.escape(text)}</span>' if text else ""

    def _build_ui(self):
        import ipywidgets as W

        self.steps_box = W.IntText(value=300, description="steps", layout=W.Layout(width="160px"))
        self.train_button = W.Button(description="Train", button_style="primary", icon="play")
        self.reset_button = W.Button(description="Reset", icon="undo")
        self.progress = W.IntProgress(value=self.last_steps, min=0, max=max(1, self.last_steps), description="progress")
        self.status = W.Label(value="")
        # pictures as <img> with alt text (figure_html), shrinking with a narrow page
        self.loss_image = W.HTML(value="")
        self.attention_image = W.HTML(value="")
        self.word_box = W.Text(value=self.word, description="word", layout=W.Layout(width="200px"))
        self.temperature_slider = W.FloatSlider(value=self.temperature, min=0.0, max=2.0, step=0.1,
                                                description="temperature", readout_format=".1f",
                                                style={"description_width": "initial"})
        self.generate_button = W.Button(description="Generate", icon="pencil")
        self.samples_html = W.HTML(value="")
        self.message_html = W.HTML(value="")

        self.train_button.on_click(lambda _: self.train())
        self.reset_button.on_click(lambda _: self.reset())
        self.generate_button.on_click(lambda _: self.generate())
        self.word_box.observe(lambda change: self.set_word(change["new"]), names="value")

        self._ui = W.VBox([
            W.HBox([self.steps_box, self.train_button, self.reset_button]),
            W.HBox([self.progress, self.status]),
            self.loss_image,
            self.word_box,
            self.attention_image,
            W.HBox([self.temperature_slider, self.generate_button]),
            self.samples_html,
            self.message_html,
        ])
        self.refresh()

