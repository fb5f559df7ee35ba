"""Chapter 4, attention: a head inspector. Type a name, pick a layer and a head, see where each position looks.

The widget is a thin shell around plain functions that notebooks and tests can
call directly:

- :func:`attention_matrix` -> the weights of one head on one name, and the row/column labels;
- :func:`format_matrix` -> the same numbers as a text table;
- :func:`plot_attention` / :func:`attention_figure` -> a matplotlib heatmap of them;
- :class:`HeadInspector` -> the ipywidgets version (a text box, a layer and a head dropdown).

The model reads the name the way it is read in training: BOS, then the letters
(the closing BOS is only ever a target). Row ``t`` of the matrix is position
``t`` (the query), column ``s`` is how much it attends to position ``s`` (the
key); entries above the diagonal are 0 because a position cannot see the future.

matplotlib and ipywidgets are imported inside the functions that need them.
"""
import html

from ..errors import MicrogptError
from . import figure_html


def _check_index(what, value, count):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < count:
        raise MicrogptError(f"{what} must be a whole number from 0 to {count - 1}, got {value!r}")


def attention_matrix(model, tokenizer, name, layer=0, head=0):
    """Attention weights of head ``head`` of layer ``layer`` on ``name``: (matrix [T][T], labels [T]).

    ``name`` is stripped and lower-cased; T = 1 + its length (BOS first). Any
    engine works (``model.attention_maps``). Bad input raises MicrogptError with
    a one-line message (unknown letters, empty or too long name, layer/head out of range).
    """
    config = model.config
    _check_index("layer", layer, config.n_layer)
    _check_index("head", head, config.n_head)
    if not isinstance(name, str):
        raise MicrogptError(f"the name must be text, got {type(name).__name__}")
    name = name.strip().lower()
    if not name:
        raise MicrogptError("type a name (at least one letter)")
    if len(name) + 1 > config.block_size:
        raise MicrogptError(f"{name!r} has {len(name)} letters; the model sees at most "
                            f"{config.block_size - 1} letters after BOS")
    ids = [tokenizer.BOS] + tokenizer.encode(name)  # raises MicrogptError for letters outside the vocabulary
    matrix = model.attention_maps(ids)[layer][head]
    return [list(map(float, row)) for row in matrix], ["BOS"] + list(name)


def format_matrix(matrix, labels, digits=2):
    """The matrix as a text table with row and column labels; blanks above the diagonal (masked positions)."""
    width = max(digits + 3, max(len(label) for label in labels) + 1)
    lines = [" " * 4 + "".join(f"{label:>{width}}" for label in labels)]
    for t, (label, row) in enumerate(zip(labels, matrix)):
        cells = "".join(f"{w:>{width}.{digits}f}" if s <= t else " " * width for s, w in enumerate(row))
        lines.append(f"{label:>4}" + cells)
    return "\n".join(lines)


def plot_attention(matrix, labels, ax=None, title=None, annotate=True, colorbar=True):
    """Heatmap of an attention matrix (rows: query positions, columns: key positions). Returns the figure."""
    import matplotlib.pyplot as plt

    T = len(matrix)
    masked = [[w if s <= t else float("nan") for s, w in enumerate(row)] for t, row in enumerate(matrix)]
    if ax is None:
        size = 1.6 + 0.48 * T
        fig, ax = plt.subplots(figsize=(size + (1.0 if colorbar else 0), size))
    else:
        fig = ax.figure
    cmap = plt.get_cmap("cividis").with_extremes(bad="#eeeeee")  # grey: masked (future) positions
    image = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(T), labels)
    ax.set_yticks(range(T), labels)
    ax.set_xlabel("attends to (key position)")
    ax.set_ylabel("position (query)")
    if annotate and T <= 12:
        for t in range(T):
            for s in range(t + 1):
                w = matrix[t][s]
                ax.text(s, t, f"{w:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if w > 0.55 else "white")
    if title:
        ax.set_title(title)
    if colorbar:
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    return fig


def attention_figure(model, tokenizer, name, layer=0, head=0, ax=None):
    """The function behind the widget: (matrix, labels, figure) for one name, layer and head."""
    matrix, labels = attention_matrix(model, tokenizer, name, layer, head)
    shown = "".join(labels[1:])
    fig = plot_attention(matrix, labels, ax=ax, title=f"{shown!r}: layer {layer}, head {head}")
    return matrix, labels, fig


class HeadInspector:
    """The head-inspection widget. ``.widget`` is the ipywidgets box; displaying the object shows it.

    After every change, ``.matrix`` and ``.labels`` hold what is shown (None after
    bad input), ``.status_text`` says in plain text what is shown or what was wrong
    (``.error`` is that text after bad input, else None), ``.message`` is the same
    line as an HTML widget, and ``.out`` holds the heatmap and the numbers as
    ordinary notebook outputs (so they are stored with the widget state and appear
    in the static book).
    """

    def __init__(self, model, tokenizer, name="emma", layer=0, head=0):
        import ipywidgets as widgets

        self.model, self.tokenizer = model, tokenizer
        config = model.config
        self.name = widgets.Text(value=name, description="name", continuous_update=False)
        self.layer = widgets.Dropdown(options=list(range(config.n_layer)), value=layer, description="layer")
        self.head = widgets.Dropdown(options=list(range(config.n_head)), value=head, description="head")
        self.message = widgets.HTML()
        self.out = widgets.Output()
        self.matrix, self.labels = None, None
        self.status_text, self.error = "", None
        for control in (self.name, self.layer, self.head):
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.name, self.layer, self.head]), self.message, self.out])
        self.update()

    def update(self, change=None):
        """Redraw for the current name, layer and head; bad input shows a message instead of raising."""
        import matplotlib.pyplot as plt

        try:
            matrix, labels, fig = attention_figure(self.model, self.tokenizer, self.name.value,
                                                   self.layer.value, self.head.value)
        except MicrogptError as error:
            self.matrix, self.labels = None, None
            self.status_text = self.error = str(error)
            self.message.value = f'<span style="color:#D55E00">&#9888; {html.escape(self.status_text)}</span>'
            self.out.outputs = ()
            return
        shown = "".join(labels[1:])
        alt = (f"Attention heatmap of layer {self.layer.value}, head {self.head.value} on {shown!r}: "
               f"{len(labels)} rows (positions) by {len(labels)} columns (where each looks); "
               f"the numbers are printed below it")
        picture = figure_html(fig, alt)
        plt.close(fig)
        self.matrix, self.labels = matrix, labels
        self.error = None
        self.status_text = (f"layer {self.layer.value}, head {self.head.value}: {len(labels)} positions "
                            f"(BOS + {len(labels) - 1} letters); row = position, column = where it looks")
        self.message.value = html.escape(self.status_text)
        self.out.outputs = (
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": picture, "text/plain": "<attention heatmap>"}},
            {"output_type": "stream", "name": "stdout", "text": format_matrix(matrix, labels) + "\n"},
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def head_inspector(model, tokenizer, name="emma", layer=0, head=0):
    """Build the head-inspection widget for ``model`` (any engine)."""
    return HeadInspector(model, tokenizer, name, layer, head)
