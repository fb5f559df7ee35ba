"""Self-checks for the chapter exercises that do not give the answer away.

A check cell in the student edition must not contain the truth in readable form. So a
check compares a *salted digest* of the student's answer with the digest of the right
answer, never the answer itself::

    check_1_1 = Check("1.1", "3f0c9a...", hint="count each name once")
    check_1_1(answer_1_1)        # prints "not answered yet", "correct" or "hint: ..."
    check_1_1.passed(answer_1_1) # True or False (the graders' hidden tests use this)

Numbers are compared after rounding to ``sig`` significant digits, so 0.6931 and
math.log(2) agree at ``sig=4``. The digest is salted with the exercise's number, so the
same answer to two exercises gives two different digests. This keeps the answer out of
plain sight; it is not encryption (a student can still try every small whole number),
and it is not meant to be: the autograder (scripts/grade.py) runs the instructor's own
checks, not the student's copy.

Exercises whose answer is a function (write ``tanh`` from primitives) use ``test=``: a
function that returns ``True`` when the answer is right, or a hint string.

Authors get a digest with :func:`digest` (``scripts/grade.py digests NB`` prints the
digests of every answer in an executed instructor notebook).
"""
import hashlib
import math

__all__ = ["Check", "canonical", "digest"]

UNANSWERED, CORRECT, WRONG = "not answered yet", "correct", "wrong"


def canonical(value, sig=6):
    """A text form of ``value`` that is the same for equal answers (numbers rounded to ``sig`` digits)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if type(value).__name__ == "bool_":  # numpy's bool
        return repr(bool(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or type(value).__name__.startswith(("float", "int")):
        x = float(value)
        if not math.isfinite(x):
            return repr(x)
        text = f"{x:.{sig}g}"
        return "0" if float(text) == 0 else repr(float(text)).removesuffix(".0")
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        items = sorted((canonical(k, sig), canonical(v, sig)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(canonical(v, sig) for v in value) + ")"
    return repr(value)


def digest(value, exercise, sig=6):
    """The salted digest of an answer to ``exercise`` ("1.1"), as a check stores it."""
    text = f"microgpt-book/{exercise}/{canonical(value, sig)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class Check:
    """The self-check of one exercise: prints a verdict, never the answer."""

    def __init__(self, exercise, expected=None, *, hint, test=None, sig=6, correct="correct", near=None):
        if (expected is None) == (test is None):
            raise ValueError("Check needs either a digest (expected=...) or a test function (test=...)")
        self.exercise, self.expected, self.test = exercise, expected, test
        self.hint, self.sig, self.correct = hint, sig, correct
        self.near = dict(near or {})  # digest of a common wrong answer -> its own hint

    def verdict(self, answer):
        """(status, message): status is UNANSWERED, CORRECT or WRONG."""
        if answer is None:
            return UNANSWERED, UNANSWERED
        if self.test is not None:
            try:
                result = self.test(answer)
            except Exception as exc:  # a student's function that raises is a wrong answer, not a crash
                return WRONG, f"hint: your answer raised {type(exc).__name__}: {exc}"
            if result is True:
                return CORRECT, self.correct
            return WRONG, f"hint: {result or self.hint}"
        try:
            got = digest(answer, self.exercise, self.sig)
        except Exception:
            got = None
        if got == self.expected:
            return CORRECT, self.correct
        return WRONG, f"hint: {self.near.get(got, self.hint)}"

    def passed(self, answer):
        return self.verdict(answer)[0] == CORRECT

    def __call__(self, answer):
        print(self.verdict(answer)[1])

    def __repr__(self):
        return f"Check({self.exercise!r})"
