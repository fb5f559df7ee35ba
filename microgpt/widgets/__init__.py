"""Interactive widgets for the notebooks (ipywidgets and matplotlib, imported lazily inside functions).

One module per chapter that has a widget: ``attention`` (head inspector), ``inference`` (temperature slider),
``playground`` (train-and-watch dashboard). What they share lives here.
"""
import io

# Okabe-Ito colours: distinguishable with every common form of colour blindness.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"


def png_bytes(fig):
    """A matplotlib Figure as PNG bytes (for an ipywidgets Image)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


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
