"""Chapter 9, inference: a temperature slider over a trained model's next-letter distribution.

    from microgpt.widgets.inference import TemperatureExplorer
    ex = TemperatureExplorer(model, tokenizer, prefix="em", temperature=1.0)
    ex.update(temperature=0.5)   # the same code path the slider runs; returns what is shown
    ex.figure()                  # the bar chart of the next-letter distribution (a matplotlib Figure)
    ex.show()                    # the widget: slider, prefix box, chart and names, in a notebook

An explorer keeps what it shows in plain attributes (``prefix``, ``temperature``,
``probs``, ``names``, ``message``), so it works and can be tested without any
widget. The widgets are built the first time ``ui`` is asked for; from then on
every ``update`` also redraws them. ipywidgets and matplotlib are imported
inside the functions that need them, never at module import.
"""
import html
import math
import random

from ..errors import MicrogptError
from ..evaluate import entropy
from ..sample import check_prompt, check_temperature, generate_many, next_token_probs, prefill
from . import BLUE, ORANGE, VERMILLION, LazyUI, figure_html

# Okabe-Ito, colour-blind safe.
END_LABEL = "."  # how the chart labels BOS, i.e. "the name ends here"


def prefix_logits(model, tokenizer, prefix):
    """Logits for the letter after ``BOS + prefix`` (raises MicrogptError for a prefix that cannot be encoded)."""
    ids = [tokenizer.BOS] + check_prompt(prefix, tokenizer, model.config.block_size)
    return prefill(model, ids)[0]


class TemperatureExplorer(LazyUI):
    """The next-letter distribution after a prefix, and names that start with it, at one temperature.

    model: any engine's model (``next_logits`` and ``new_cache``); tokenizer: its tokenizer.
    n_names: how many names to draw; seed: every update draws them from a fresh
    ``random.Random(seed)``, so the same temperature always gives the same names.
    """

    def __init__(self, model, tokenizer, prefix="", temperature=1.0, n_names=8, seed=0):
        self.model = model
        self.tokenizer = tokenizer
        self.n_names = n_names
        self.seed = seed
        self.labels = [END_LABEL if i == tokenizer.BOS else tokenizer.chars[i] for i in range(tokenizer.vocab_size)]
        self.prefix, self.temperature = "", 1.0
        self.logits, self.probs, self.names, self.message = [], [], [], ""
        self._ui = None
        self.update(prefix=prefix, temperature=temperature)
        if self.message:
            raise MicrogptError(self.message)

    # -- the computation, without any widget -----------------------------------
    def update(self, prefix=None, temperature=None):
        """Recompute for a new prefix and/or temperature; returns ``summary()``.

        Bad input does not raise: it is kept in ``message`` (and shown in the
        widget), and the previous distribution stays on screen.
        """
        prefix = self.prefix if prefix is None else prefix
        temperature = self.temperature if temperature is None else temperature
        try:
            if not isinstance(prefix, str):
                raise MicrogptError(f"the prefix must be text, got {prefix!r}")
            prefix = prefix.strip().lower()
            check_temperature(temperature)
            logits = prefix_logits(self.model, self.tokenizer, prefix)
        except MicrogptError as exc:
            self.message = str(exc)
        else:
            self.prefix, self.temperature, self.logits, self.message = prefix, temperature, logits, ""
            self.probs = next_token_probs(logits, temperature)
            rng = random.Random(self.seed)
            self.names = generate_many(self.model, self.tokenizer, rng, self.n_names, temperature, prompt=prefix)
        if self._ui is not None:
            self.refresh()
        return self.summary()

    def top(self, k=5):
        """The ``k`` most likely next symbols as (label, probability), most likely first (ties: vocabulary order)."""
        order = sorted(range(len(self.probs)), key=lambda i: (-self.probs[i], i))
        return [(self.labels[i], self.probs[i]) for i in order[:k]]

    def summary(self, k=5):
        """What the widget shows, as text: prefix, temperature, top-k letters, entropy, names (or the message)."""
        lines = [f"prefix {self.prefix!r}, temperature {self.temperature:g}"]
        if not self.probs:  # nothing computed yet (the first update failed)
            return "\n".join(lines + [f"message: {self.message}"])
        lines.append("next letter: " + "  ".join(f"{c} {p:.3f}" for c, p in self.top(k)))
        lines.append(f"entropy {entropy(self.probs):.3f} nats (uniform over {len(self.probs)}: "
                     f"{math.log(len(self.probs)):.3f}); probabilities sum to {sum(self.probs):.6f}")
        lines.append("names: " + ", ".join(self.names))
        if self.message:
            lines.append(f"message: {self.message}")
        return "\n".join(lines)

    def figure(self):
        """Bar chart of the next-symbol distribution (a matplotlib Figure, no pyplot state)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.5, 3.0), dpi=80, layout="constrained")
        ax = fig.add_subplot()
        colors = [ORANGE if label == END_LABEL else BLUE for label in self.labels]
        ax.bar(range(len(self.probs)), self.probs, color=colors)
        ax.set_xticks(range(len(self.labels)), self.labels)
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"next symbol ('{END_LABEL}' is BOS: the name ends)")
        ax.set_ylabel("probability")
        shown = self.prefix if self.prefix else "(start of a name)"
        ax.set_title(f"After '{shown}' at temperature {self.temperature:g}: "
                     f"entropy {entropy(self.probs):.2f} nats")
        return fig

    # -- the widget -----------------------------------------------------------------
    def refresh(self):
        """Redraw the chart, the names and the message from the current state."""
        if self._ui is None:
            return
        top = sorted(zip(self.probs, self.labels), reverse=True)[:3]
        shown = self.prefix if self.prefix else "the start of a name"
        alt = (f"Bar chart of the next-symbol probabilities after {shown!r} at temperature {self.temperature:g}; "
               "most likely: " + ", ".join(f"{label!r} {p:.2f}" for p, label in top))
        self.chart.value = figure_html(self.figure(), alt)
        self.names_html.value = "<b>names:</b> " + ", ".join(html.escape(n) for n in self.names)
        self.message_html.value = (f'<span style="color:{VERMILLION}">{html.escape(self.message)}</span>'
                                   if self.message else "")

    def _build_ui(self):
        import ipywidgets as W

        self.slider = W.FloatSlider(value=self.temperature, min=0.0, max=2.0, step=0.05,
                                    description="temperature", readout_format=".2f", continuous_update=False,
                                    style={"description_width": "initial"})  # the whole word, not "temperat..."
        self.prefix_box = W.Text(value=self.prefix, description="prefix", placeholder="e.g. em",
                                 continuous_update=False, layout=W.Layout(width="220px"))
        self.chart = W.HTML(value="")
        self.names_html = W.HTML(value="")
        self.message_html = W.HTML(value="")
        self.slider.observe(lambda change: self.update(temperature=change["new"]), names="value")
        self.prefix_box.observe(lambda change: self.update(prefix=change["new"]), names="value")
        self._ui = W.VBox([W.HBox([self.prefix_box, self.slider]), self.chart, self.names_html, self.message_html])
        self.refresh()

