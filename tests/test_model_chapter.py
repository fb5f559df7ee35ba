"""Chapter 7 (the model) and the maths page: the reference proof, the code shown, and the exercise checks.

The reference figures are microgpt/data/reference-2017.json (recorded from Karpathy's program, provenance inside).
"""
import contextlib
import hashlib
import importlib.resources
import io
import json
import math
import pathlib

import pytest

import microgpt
from microgpt import setup, train

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = microgpt.data.reference_run()


def test_reference_figures_belong_to_the_packaged_names():
    names = (importlib.resources.files("microgpt") / "data" / "names.txt").read_bytes()
    assert hashlib.sha256(names).hexdigest() == REFERENCE["data_sha256"]
    assert (REFERENCE["seed"], REFERENCE["num_steps"], REFERENCE["temperature"]) == (42, 1000, 0.5)
    assert len(REFERENCE["first_losses"]) == 20 and len(REFERENCE["samples"]) == 20


def test_scalar_engine_reproduces_the_reference_first_20_losses_exactly():
    model, docs, tokenizer, _ = setup(42, engine="scalar")
    assert train(model, docs, tokenizer, 1000, stop_after=20) == REFERENCE["first_losses"]


def test_fused_engine_reproduces_the_reference_run_and_samples():
    model, docs, tokenizer, rng = setup(42, engine="fused")
    losses = train(model, docs, tokenizer, 1000)
    assert max(abs(a - b) / b for a, b in zip(losses, REFERENCE["first_losses"])) < 1e-12
    assert max(abs(a - b) / b for a, b in zip(losses[-10:], REFERENCE["last_losses"])) < 1e-12
    assert microgpt.generate_many(model, tokenizer, rng, 20, temperature=0.5) == REFERENCE["samples"]


def _cells(name):
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _stdout(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("name") == "stdout")


def test_chapter_shows_forward_and_loss_from_the_package_and_proves_parity():
    cells = [c for c in _cells("07_model") if c["cell_type"] == "code"]
    sources = [_source(c) for c in cells]
    assert any("show(microgpt.GPT.forward)" in s for s in sources)
    assert any("show(microgpt.GPT.loss)" in s for s in sources)
    printed = "".join(_stdout(c) for c in cells)
    assert "first 20 losses identical to the reference's, to the last bit: True" in printed
    assert any(line.startswith("20 samples identical to the reference's:") and line.endswith("True")
               for line in printed.splitlines())
    assert "False" not in printed


def _check_functions(name, marker, namespace):
    """Run the notebook's hidden cell that defines the self-checks; return its namespace."""
    cell = next(c for c in _cells(name) if c["cell_type"] == "code" and marker in _source(c))
    assert "hide-input" in cell["metadata"].get("tags", [])
    exec(_source(cell), namespace)
    return namespace


def _said(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue().strip()


def test_chapter_7_exercise_checks():
    ns = _check_functions("07_model", "check_7_1 = Check(", {})
    right = {"check_7_1": 14528, "check_7_2": [3 / math.sqrt(12.5), 4 / math.sqrt(12.5)], "check_7_3": (5, 16)}
    # common wrong answers get their own hint
    wrong = {"check_7_1": (4 * 4192, "grow only 2x"), "check_7_2": ([0.6, 0.8], "root *mean* square"),
             "check_7_3": ((4, 16), "the BOS that ends the name")}
    for name in right:
        assert _said(ns[name], None) == "not answered yet"
        assert _said(ns[name], right[name]) == "correct"
        answer, hint = wrong[name]
        said = _said(ns[name], answer)
        assert said.startswith("hint:") and hint in said, said
        assert _said(ns[name], 12345).startswith("hint:")


MATHS_ANSWERS = {
    "vector": [3.5, -5.5], "dot": 12, "matvec": 64, "ln": 3.296, "softmax": 0.75, "choices": 0.75,
    "variance": 1.25, "derivative": 12, "chain": 0.667, "partial": 9, "jacobian": 2, "geomean": 4,
}


@pytest.mark.parametrize("question", sorted(MATHS_ANSWERS))
def test_maths_self_checks(question):
    ns = _check_functions("00_maths", "def check(name, answer)", {"math": math})
    assert _said(ns["check"], question, None) == "not answered yet"
    assert _said(ns["check"], question, MATHS_ANSWERS[question]) == "correct"
    wrong = [v + 1 for v in MATHS_ANSWERS[question]] if isinstance(MATHS_ANSWERS[question], list) \
        else MATHS_ANSWERS[question] + 1
    assert _said(ns["check"], question, wrong).startswith("not quite")


def test_every_maths_self_check_is_asked_in_the_page():
    asked = {s.split('check("')[1].split('"')[0] for s in map(_source, _cells("00_maths"))
             if s.startswith("answer = None")}
    assert asked == set(MATHS_ANSWERS)
