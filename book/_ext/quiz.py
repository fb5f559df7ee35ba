"""Sphinx directive ``quiz``: an end-of-chapter quiz from ``book/quizzes/<name>.json``, interactive without a kernel.

    :::{quiz} 03_autograd
    :::

The questions are rendered as plain HTML forms (radio buttons with labels, or a labelled number field, and a
"Check" button per question), so they are readable and keyboard-usable as they are; ``_static/quiz/quiz.js``
(book/_quiz/quiz/, our own, no dependencies) checks an answer, shows whether it is right and the explanation, and
announces the result through an ``aria-live`` region. The directive also links the chapter's slide deck
(``slides/<name>.slides.html``, built by ``make slides``).

Quiz file: ``{"title": ..., "questions": [{"type": "choice", "prompt", "choices": [...], "answer": index,
"explanation"}, {"type": "number", "prompt", "answer": x, "tolerance": t, "explanation"}]}``; 5 to 8 questions.
"""
import html
import json
import pathlib
import re

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

_CODE = re.compile(r"`([^`]+)`")
_EM = re.compile(r"\*([^*]+)\*")


def _inline(text):
    """Escape, then render `code` and *emphasis* (the only markup the quiz files use)."""
    out = html.escape(text)
    out = _CODE.sub(r"<code>\1</code>", out)
    return _EM.sub(r"<em>\1</em>", out)


def load(path):
    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    qs = data.get("questions", [])
    if not 5 <= len(qs) <= 8:
        raise ValueError(f"{path}: a quiz has 5 to 8 questions, this one {len(qs)}")
    for i, q in enumerate(qs, 1):
        if q.get("type") == "choice":
            if not 0 <= q["answer"] < len(q["choices"]):
                raise ValueError(f"{path}: question {i}: answer {q['answer']} is not one of the choices")
        elif q.get("type") != "number":
            raise ValueError(f"{path}: question {i}: type must be 'choice' or 'number'")
        if not q.get("explanation"):
            raise ValueError(f"{path}: question {i} has no explanation")
    return data


def render(name, data, slides_href):
    parts = [f'<section class="mgpt-quiz" data-quiz="{html.escape(name)}" aria-labelledby="quiz-{name}-title">',
             f'<p class="mgpt-quiz-title" id="quiz-{name}-title"><strong>Quiz: {html.escape(data["title"])}</strong>'
             f' ({len(data["questions"])} questions; pick or type an answer, then press Check)</p>']
    for i, q in enumerate(data["questions"], 1):
        qid = f"quiz-{name}-{i}"
        parts.append(f'<fieldset class="mgpt-q" id="{qid}" data-type="{q["type"]}"'
                     + (f' data-answer="{q["answer"]}"' if q["type"] == "choice" else
                        f' data-answer="{q["answer"]}" data-tolerance="{q.get("tolerance", 0)}"') + ">")
        parts.append(f'<legend>{i}. {_inline(q["prompt"])}</legend>')
        if q["type"] == "choice":
            for j, choice in enumerate(q["choices"]):
                parts.append(f'<div class="mgpt-choice"><input type="radio" name="{qid}" id="{qid}-{j}" value="{j}">'
                             f'<label for="{qid}-{j}">{_inline(choice)}</label></div>')
        else:
            parts.append(f'<div class="mgpt-number"><label for="{qid}-in">Your answer</label> '
                         f'<input type="text" inputmode="decimal" id="{qid}-in" autocomplete="off"></div>')
        parts.append(f'<button type="button" class="mgpt-check">Check answer {i}</button>')
        parts.append(f'<p class="mgpt-feedback" role="status" aria-live="polite" id="{qid}-feedback"></p>')
        parts.append(f'<p class="mgpt-explanation" id="{qid}-explanation" hidden>{_inline(q["explanation"])}</p>')
        parts.append("</fieldset>")
    parts.append("</section>")
    parts.append(f'<p class="mgpt-slides"><a href="{slides_href}">The slides of this chapter</a> '
                 f'(reveal.js, built by <code>make slides</code>)</p>')
    return "\n".join(parts)


class QuizDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        name = self.arguments[0]
        path = pathlib.Path(self.env.srcdir) / "book" / "quizzes" / f"{name}.json"
        self.env.note_dependency(str(path))
        try:
            data = load(path)
        except (OSError, ValueError, KeyError) as exc:
            return [self.state.document.reporter.error(f"quiz {name}: {exc}", line=self.lineno)]
        depth = self.env.docname.count("/")
        href = "../" * depth + f"slides/{name}.slides.html"
        return [nodes.raw("", render(name, data, href), format="html")]


def setup(app):
    app.add_directive("quiz", QuizDirective)
    app.add_js_file("quiz/quiz.js", loading_method="defer")
    app.add_css_file("quiz/quiz.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
