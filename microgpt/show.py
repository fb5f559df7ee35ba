"""Show the package's own source code in a notebook, so chapters never re-type it.

    from microgpt.show import show
    show(microgpt.autograd.Value)                # a class, function, method or module
    show("microgpt.autograd")                    # a dotted name works too
    show(Value.backward, start="topo", end="")   # only a slice of it

The result is a ``Source`` object. In a notebook it renders as syntax-highlighted
code (``_repr_html_``); its plain-text form (``repr``) is exactly the source
text, so stored notebook outputs are deterministic and strict nbval compares
the code itself. Standard library only at import time; pygments (which comes
with Jupyter) is imported only when the HTML is rendered.
"""
import html
import importlib
import inspect
import os
import re
import textwrap


class Source:
    """A piece of source code: plain text for ``repr``, highlighted HTML for notebooks."""

    def __init__(self, text, name="", filename="", first_line=1, linenos=False):
        self.text = text              # the code, dedented, newline-terminated
        self.name = name              # e.g. "microgpt.autograd.Value"
        self.filename = filename      # e.g. "microgpt/autograd.py" ("" if unknown)
        self.first_line = first_line  # line number of text's first line in filename
        self.linenos = linenos        # show line numbers in the HTML

    @property
    def last_line(self):
        return self.first_line + self.text.count("\n") - 1

    def __str__(self):
        return self.text

    def __repr__(self):
        # What strict nbval compares: the code itself, nothing that varies between runs.
        return self.text.rstrip("\n")

    def caption(self):
        where = f"{self.filename}, lines {self.first_line}-{self.last_line}" if self.filename else ""
        return " | ".join(part for part in (self.name, where) if part)

    def _repr_html_(self):
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:  # no pygments: plain, escaped code
            code, style = f"<pre>{html.escape(self.text)}</pre>", ""
        else:
            # Pygments' class-based HTML (<div class="highlight"> and token classes such as .k, .n):
            # the book's theme colours it with its own light and dark palettes. The <style> below is
            # a fallback for notebook front ends that style no .highlight classes; :where() gives its
            # rules no weight, so a page's own palette (the book's, light or dark) always wins.
            formatter = HtmlFormatter(
                linenos="inline" if self.linenos else False,
                linenostart=self.first_line,
            )
            code = highlight(self.text, PythonLexer(), formatter)
            scope = ":where(.microgpt-source) .highlight"
            used = set(re.findall(r'<span class="([\w-]+)"', code))  # only the token kinds this listing has
            rules = formatter.get_background_style_defs(scope)[1:2] + [
                rule.split(" /*")[0] for rule in formatter.get_token_style_defs(scope)
                if rule[len(scope) + 2:].split(" ", 1)[0] in used]
            style = "<style>" + "\n".join(rules) + "</style>"
        caption = html.escape(self.caption())
        header = f'<div class="mg-source-caption"><code>{caption}</code></div>' if caption else ""
        return f'<div class="microgpt-source">{style}{header}{code}</div>'


def _resolve(obj):
    """A dotted name like "microgpt.autograd.Value" -> the object; anything else unchanged."""
    if not isinstance(obj, str):
        return obj
    parts = obj.split(".")
    for i in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            found = getattr(found, attr)
        return found
    raise ImportError(f"show: cannot import {obj!r}")


def _qualified_name(obj):
    module = getattr(obj, "__module__", None)
    if inspect.ismodule(obj):
        return obj.__name__
    qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
    return f"{module}.{qualname}" if module else qualname


def _package_relative(path):
    """/…/site-or-repo/microgpt/autograd.py -> microgpt/autograd.py (stable across machines)."""
    if not path:
        return ""
    parts = os.path.abspath(path).split(os.sep)
    if "microgpt" in parts:
        i = len(parts) - 1 - parts[::-1].index("microgpt")
        return "/".join(parts[i:])
    return os.path.basename(path)


def _find(lines, marker, begin, what):
    for i in range(begin, len(lines)):
        if marker in lines[i]:
            return i
    raise ValueError(f"show: {what} marker {marker!r} not found")


def show(obj, start=None, end=None, linenos=False):
    """Return the source of obj (a function, class, method, module or dotted name) for display.

    start / end: optional substrings; keep only the lines from the first line
    containing ``start`` through the first later line containing ``end``
    (both inclusive). ``end=""`` means "up to the next blank line".
    """
    obj = _resolve(obj)
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        lines, first_line = inspect.getsourcelines(target)
    except (OSError, TypeError) as error:
        raise TypeError(f"show: no source available for {obj!r} ({error})") from None
    if first_line == 0:  # modules start at line 0 in inspect's convention
        first_line = 1
    lo, hi = 0, len(lines) - 1
    if start is not None:
        lo = _find(lines, start, 0, "start")
    if end is not None:
        if end == "":
            hi = next((i - 1 for i in range(lo + 1, len(lines)) if not lines[i].strip()), hi)
        else:
            hi = _find(lines, end, lo + 1 if start is not None else 0, "end")
    text = textwrap.dedent("".join(lines[lo:hi + 1]))
    if not text.endswith("\n"):
        text += "\n"
    try:
        filename = _package_relative(inspect.getsourcefile(target))
    except TypeError:
        filename = ""
    return Source(text, _qualified_name(obj), filename, first_line + lo, linenos)
