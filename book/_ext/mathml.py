"""Sphinx hook: the book's equations as MathML, written at build time (no MathJax in the pages).

Chromium, Firefox and Safari draw MathML themselves (MathML Core), so a page needs no script to show
its equations: MathJax 3 (tex-mml-chtml.js, 1.17 MB, plus its web fonts) was the largest file of every
chapter page. The TeX of each ``math`` / ``math_block`` node is converted by ``latex2mathml`` (PyPI,
pure Python, pinned in requirements.txt) with Sphinx's math-renderer API (``html_math_renderer:
mathml`` in _config.yml), so equation numbers and permalinks work as with MathJax.

Touches for MathML Core, which browsers implement: it ignores ``mathvariant`` except "normal", so
\\mathbb, \\mathcal, \\mathbf ... become the Unicode mathematical letters they stand for; it adds
no space after a function name, so ``\\ln a`` gets TeX's thin space (none before a bracket); ``\\max_i``,
``\\min_i``, ``\\lim_{h\\to 0}`` put their limits under the name in displayed equations, as TeX does;
and each ``<math>`` keeps its TeX as an ``alttext`` (read aloud, and found by the search page's text).
A TeX string that does not convert (or leaves a command as text) stops the build, naming it.
"""
import html
import re
import xml.etree.ElementTree as ET

import latex2mathml.converter
from docutils import nodes
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number

# mathvariant -> offset of "A" and "a" in Unicode's Mathematical Alphanumeric Symbols; the letters that
# have a code point elsewhere (the "holes" of that block) are listed apart.
_VARIANTS = {"bold": (0x1D400, 0x1D41A), "italic": (0x1D434, 0x1D44E), "bold-italic": (0x1D468, 0x1D482),
             "script": (0x1D49C, 0x1D4B6), "double-struck": (0x1D538, 0x1D552), "fraktur": (0x1D504, 0x1D51E),
             "sans-serif": (0x1D5A0, 0x1D5BA), "monospace": (0x1D670, 0x1D68A)}
_HOLES = {("italic", "h"): "\u210E", ("script", "B"): "\u212C", ("script", "E"): "\u2130",
          ("script", "F"): "\u2131", ("script", "H"): "\u210B", ("script", "I"): "\u2110",
          ("script", "L"): "\u2112", ("script", "M"): "\u2133", ("script", "R"): "\u211B",
          ("script", "e"): "\u212F", ("script", "g"): "\u210A", ("script", "o"): "\u2134",
          ("double-struck", "C"): "\u2102", ("double-struck", "H"): "\u210D", ("double-struck", "N"): "\u2115",
          ("double-struck", "P"): "\u2119", ("double-struck", "Q"): "\u211A", ("double-struck", "R"): "\u211D",
          ("double-struck", "Z"): "\u2124", ("fraktur", "C"): "\u212D", ("fraktur", "H"): "\u210C",
          ("fraktur", "I"): "\u2111", ("fraktur", "R"): "\u211C", ("fraktur", "Z"): "\u2128"}
_DIGITS = {"bold": 0x1D7CE, "double-struck": 0x1D7D8, "sans-serif": 0x1D7E2, "monospace": 0x1D7F6}
_TOKEN = re.compile(r'<(mi|mn|mo|mtext)([^>]*?) mathvariant="([a-z-]+)"([^>]*)>([^<]*)</\1>')


def _letters(variant, text):
    upper, lower = _VARIANTS[variant]
    out = []
    for ch in text:
        if (variant, ch) in _HOLES:
            out.append(_HOLES[(variant, ch)])
        elif "A" <= ch <= "Z":
            out.append(chr(upper + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(lower + ord(ch) - ord("a")))
        elif "0" <= ch <= "9" and variant in _DIGITS:
            out.append(chr(_DIGITS[variant] + ord(ch) - ord("0")))
        else:
            out.append(ch)
    return "".join(out)


def _core(mathml):
    """mathvariant (which MathML Core ignores, but for "normal") spelt as Unicode letters."""
    def swap(m):
        tag, before, variant, after, text = m.groups()
        if variant == "normal":
            return m.group(0)
        if variant not in _VARIANTS:
            return f"<{tag}{before}{after}>{text}</{tag}>"
        # a single italic letter is italic by default in <mi>; "normal" keeps the Unicode letter upright
        return f'<{tag}{before} mathvariant="normal"{after}>{_letters(variant, html.unescape(text))}</{tag}>'
    return _TOKEN.sub(swap, mathml)


_NS = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("", _NS)
_LIMITS = {"max", "min", "lim", "sup", "inf", "argmax", "argmin"}   # limits under the name in display
_OPENING = {"(", "[", "{", "|", "\u2016"}
_THIN = "0.1667em"   # TeX's thin space, \\,


def _tag(el):
    return el.tag.rsplit("}", 1)[-1]


def _is_name(el):
    """A function name: \\ln, \\exp ... (latex2mathml: a multi-letter <mi>) or \\operatorname{...} (<mo>)."""
    text = (el.text or "").strip()
    return _tag(el) in ("mi", "mo") and len(text) > 1 and text.isalpha() and len(el) == 0


def _space(parent, index):
    parent.insert(index, ET.Element(f"{{{_NS}}}mspace", width=_THIN))


_SCRIPTED = {"msub", "msup", "msubsup", "munder", "mover", "munderover"}
_CLOSING = {")", "]", "}", "|", "\u2016"}


def _polish(root):
    """Function names spaced as TeX spaces them, and display limits under max/min/lim."""
    for parent in list(root.iter()):
        if _tag(parent) in _SCRIPTED:
            continue  # a scripted base is handled where the script element itself sits
        for el in list(parent):
            kind = _tag(el)
            if kind in ("msub", "munder") and len(el) == 2 and _is_name(el[0]):
                name = el[0]
                if name.text.strip() in _LIMITS:   # under the name when displayed, as a subscript inline
                    el.tag = f"{{{_NS}}}munder"
                    name.tag, name.attrib = f"{{{_NS}}}mo", {"movablelimits": "true", "lspace": "0em", "rspace": "0em"}
                else:
                    name.tag, name.attrib = f"{{{_NS}}}mi", {}
            elif _is_name(el):
                el.tag, el.attrib = f"{{{_NS}}}mi", {}   # a multi-letter <mi> is upright
            else:
                continue
            siblings = list(parent)
            i = siblings.index(el)
            nxt = siblings[i + 1] if i + 1 < len(siblings) else None
            if nxt is not None and not (_tag(nxt) == "mo" and (nxt.text or "").strip() in _OPENING):
                _space(parent, i + 1)   # \\ln x: a thin space; \\ln(x): none
            prev = siblings[i - 1] if i > 0 else None
            if prev is not None and (_tag(prev) != "mo" or (prev.text or "").strip() in _CLOSING):
                _space(parent, i)       # 2 \\ln x: a thin space before the name too
    return root


def _tidy(mathml):
    return ET.tostring(_polish(ET.fromstring(mathml)), encoding="unicode")


# commands latex2mathml 3.81.1 leaves as text, spelt as the characters they stand for
_SYMBOLS = {r"\lfloor": "\u230A", r"\rfloor": "\u230B", r"\lceil": "\u2308", r"\rceil": "\u2309"}


def to_mathml(tex, display, where):
    for command, char in _SYMBOLS.items():
        tex = re.sub(re.escape(command) + r"(?![A-Za-z])", char, tex)
    try:
        mathml = latex2mathml.converter.convert(tex, display=display)
        if re.search(r">[^<]*\\[A-Za-z]", mathml):
            raise ValueError("a TeX command is left as text in the MathML")
    except Exception as err:
        raise RuntimeError(f"mathml: cannot convert the TeX in {where}: {tex!r} ({err})") from err
    alt = html.escape(" ".join(tex.split()), quote=True)
    return _tidy(_core(mathml)).replace("<math ", f'<math alttext="{alt}" ', 1)


def _where(self, node):
    return f"{self.builder.current_docname}:{node.line or '?'}"


def visit_math(self, node):
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(to_mathml(node.astext(), "inline", _where(self, node)) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"] and not node["nowrap"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    tex = node.astext()
    if not node["nowrap"]:
        parts = [p for p in tex.split("\n\n") if p.strip()]
        if len(parts) > 1:  # several equations: one aligned block, as Sphinx's MathJax writer does
            tex = r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"
        elif r"\\" in tex and r"\begin" not in tex:
            tex = r"\begin{split}" + tex + r"\end{split}"
    self.body.append(to_mathml(tex, "block", _where(self, node)) + "</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
