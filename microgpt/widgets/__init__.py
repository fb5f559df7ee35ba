"""Interactive widgets for the notebooks (ipywidgets and matplotlib, imported lazily inside functions).

One module per chapter that has a widget: ``attention`` (head inspector), ``inference`` (temperature slider),
``playground`` (train-and-watch dashboard). What they share lives here.
"""
import base64
import html
import io

# Okabe-Ito colours: distinguishable with every common form of colour blindness.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"


def png_bytes(fig):
    """A matplotlib Figure as PNG bytes (for an ipywidgets Image)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def figure_html(fig, alt):
    """A matplotlib Figure as an ``<img>`` with alt text (for an ipywidgets HTML or an Output).

    Widgets show pictures this way rather than with ``ipywidgets.Image``, which has
    no alt attribute: screen readers and the static book get a text alternative.
    """
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            f'style="max-width:100%;height:auto">')


class LazyUI:
    """Mixin: the widget tree is built by ``_build_ui()`` on first use of ``.ui``, so tests need no frontend."""

    _ui = None

    @property
    def ui(self):
        """The widget (built on first use)."""
        if self._ui is None:
            self._build_ui()
        return self._ui

    def show(self):
        """Display the widget in a notebook."""
        from IPython.display import display

        display(self.ui)
