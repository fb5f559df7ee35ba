"""The student edition and the autograder (scripts/editions.py, scripts/grade.py, microgpt/selfcheck.py).

Grading runs on a tiny two-exercise chapter made here (each run starts a kernel, so this keeps the tests fast);
the chapter notebooks themselves are checked without executing them (their solutions and "correct" checks are
executed by strict nbval in `make test`). One real chapter is graded too, as its solution and its untouched
student edition.
"""
import csv
import math
import os
import pathlib
import sys

import nbformat
import pytest

from microgpt.selfcheck import Check, canonical, digest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402
import grade  # noqa: E402
from helpers import assert_one_line_error  # noqa: E402

# The graded chapters; the maths refresher (00_maths) has ungraded self-checks only (tested below).
CHAPTERS = sorted(p for p in (ROOT / "notebooks").glob("[0-9]*.ipynb") if p.stem != "00_maths")
REAL = "02_tokenizer"  # the real chapter graded end to end (one of the quicker ones to execute)


# ---------------------------------------------------------------- selfcheck

def test_digest_is_salted_and_rounds_numbers():
    assert digest(5, "1.1") != digest(5, "1.2")
    assert digest(math.log(2), "8.1", sig=3) == digest(0.6931, "8.1", sig=3) != digest(0.69, "8.1", sig=3)
    assert digest(16384.0, "x") == digest(16384, "x")
    assert canonical((-2.0, -1.5)) == canonical([-2, -1.5])
    assert canonical({True: True, False: False}) == canonical({False: False, True: True})


def test_check_says_not_answered_correct_or_hint(capsys):
    check = Check("9.9", digest("u", "9.9"), hint="look again", near={digest("v", "9.9"): "close"})
    for answer in (None, "u", "x", "v", object()):
        check(answer)
    assert capsys.readouterr().out.splitlines() == ["not answered yet", "correct", "hint: look again",
                                                    "hint: close", "hint: look again"]
    assert check.passed("u") and not check.passed(None) and not check.passed("x")


def test_check_with_a_test_function_never_raises(capsys):
    def test(fn):
        return fn(2) == 4 or "square it"
    check = Check("9.8", test=test, hint="h")
    check(lambda x: x * x)
    check(lambda x: x + 1)
    check(lambda x: 1 / 0)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "correct" and out[1] == "hint: square it"
    assert out[2].startswith("hint: your answer raised ZeroDivision")


# ---------------------------------------------------------------- the chapter notebooks (no execution)

@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_is_marked_and_checked(path):
    nb = nbformat.read(path, as_version=4)
    roles = editions.roles(nb)
    answers = sorted(ex for r, ex in roles.values() if r == "answer")
    tests = sorted(ex for r, ex in roles.values() if r == "test")
    assert answers and answers == tests, f"{path.name}: answers {answers}, checks {tests}"
    for i, (role, ex) in roles.items():
        cell = nb.cells[i]
        assert "nbgrader" in cell.metadata, f"{path.name} cell {i} ({role} {ex}) has no nbgrader metadata"
        if role == "test":
            assert editions.BEGIN_TESTS in cell.source and f"check_{ex.replace('.', '_')}" in cell.source
            # the instructor notebook's check printed "correct": the solution ran and passed its own check
            printed = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            assert printed.startswith("correct"), f"{path.name}: check {ex} printed {printed!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_holds_no_solution(path):
    nb = nbformat.read(path, as_version=4)
    student = editions.student_edition(nb)
    text = nbformat.writes(student)
    leaked = [line for line in editions.solution_lines(nb) if line in text]
    assert not leaked, f"{path.name}: the student edition still contains {leaked[:3]}"
    for marker in (editions.BEGIN_SOLUTION, editions.BEGIN_TESTS, "{admonition} Solution"):
        assert marker not in text
    start = min(editions.roles(student))
    assert all(not c.get("outputs") for c in student.cells[start:] if c.cell_type == "code")
    checks = student.cells[next(i for i, (r, _) in editions.roles(student).items() if r == "checks")].source
    assert "Check(" in checks and "answer_" not in checks  # digests and hints only


def test_maths_page_student_edition_drops_the_worked_solutions():
    nb = nbformat.read(ROOT / "notebooks" / "00_maths.ipynb", as_version=4)
    assert any(c.source.startswith("::::{admonition} Solution") for c in nb.cells if c.cell_type == "markdown")
    text = nbformat.writes(editions.student_edition(nb))
    assert "{admonition} Solution" not in text


# ---------------------------------------------------------------- grading a tiny chapter

TINY_CHECKS = """\
from microgpt.selfcheck import Check
check_9_1 = Check("9.1", "{d1}", hint="two and two")
check_9_2 = Check("9.2", "{d2}", hint="a letter")
"""


def _tiny_instructor():
    cells = [
        nbformat.v4.new_markdown_cell("# 99. Tiny\n\nA chapter for the grading tests."),
        nbformat.v4.new_code_cell("base = 2"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_code_cell(TINY_CHECKS.format(d1=digest(4, "9.1"), d2=digest("q", "9.2"))),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 9.1\nTwo and two?\n:::"),
        nbformat.v4.new_code_cell("answer_9_1 = None  # your answer here\n### BEGIN SOLUTION\n"
                                  "answer_9_1 = base + base  # distinctive solution line\n### END SOLUTION"),
        nbformat.v4.new_code_cell("check_9_1(answer_9_1)\n### BEGIN HIDDEN TESTS\n"
                                  "assert check_9_1.passed(answer_9_1)\n### END HIDDEN TESTS"),
        nbformat.v4.new_markdown_cell("::::{admonition} Solution\n:class: dropdown\n"
                                      "Add them: the answer is four.\n::::"),
        nbformat.v4.new_markdown_cell(":::{admonition} Exercise 9.2\nWhich letter follows p?\n:::"),
        nbformat.v4.new_code_cell("answer_9_2 = None  # your answer here\n### BEGIN SOLUTION\n"
                                  "answer_9_2 = chr(ord('p') + 1)\n### END SOLUTION"),
        nbformat.v4.new_code_cell("check_9_2(answer_9_2)\n### BEGIN HIDDEN TESTS\n"
                                  "assert check_9_2.passed(answer_9_2)\n### END HIDDEN TESTS"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    editions.mark(nb, "99_tiny")
    nb.cells[10].metadata["nbgrader"]["points"] = 2  # exercise 9.2 is worth two points
    return nb


def _with_answer(nb, ex, code):
    """The solutions, with the answer cell of ``ex`` replaced by ``code``."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    for i, (role, e) in editions.roles(nb).items():
        if role == "answer" and e == ex:
            nb.cells[i].source = code
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    source, subs, out = base / "source", base / "submissions", base / "out"
    source.mkdir()
    instructor = _tiny_instructor()
    nbformat.write(instructor, source / "99_tiny.ipynb")
    # a file outside every scratch folder that a hostile submission tries to delete
    keep = base / "instructor-files"
    keep.mkdir()
    (keep / "precious.txt").write_text("the instructor's file")
    students = {
        "alice": instructor,                                       # the solutions: full marks
        "erin": editions.student_edition(instructor),              # untouched student edition: zero
        "dave": _with_answer(instructor, "9.1", "answer_9_1 = 5"),  # one wrong answer
        "carol": _with_answer(instructor, "9.1", "while True:\n    pass"),                   # loops forever
        "frank": _with_answer(instructor, "9.1", "while True:\n    print('x' * 100_000)"),  # prints forever
        "gina": _with_answer(instructor, "9.1", f"import os\nos.remove({str(keep / 'precious.txt')!r})\n"
                             "answer_9_1 = 4"),                     # deletes the instructor's file
    }
    for name, nb in students.items():
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / "99_tiny.ipynb")
    (subs / "bob").mkdir()
    (subs / "bob" / "99_tiny.ipynb").write_text("{ this is not a notebook")
    (subs / "bob" / "notes.txt").write_text("not a chapter")
    args = ["--source", str(source), "--out", str(out), "--cell-timeout", "20", "--timeout", "90",
            "--max-output", "200000", str(subs)]
    assert grade.main(args) == 0
    rows = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8")))
    points = {}
    for r in rows:
        points.setdefault(r["student"], {})[r["exercise"]] = (int(r["points"]), int(r["max_points"]))
    return {"points": points, "report": (out / "report.txt").read_text(), "out": out, "keep": keep}


def test_solutions_score_full_marks(graded):
    assert graded["points"]["alice"] == {"9.1": (1, 1), "9.2": (2, 2)}


def test_untouched_student_edition_runs_and_scores_zero(graded):
    assert graded["points"]["erin"] == {"9.1": (0, 1), "9.2": (0, 2)}
    feedback = (graded["out"] / "feedback" / "erin.md").read_text()
    assert "raised" not in feedback and "not answered yet" in feedback


def test_one_wrong_answer_loses_exactly_its_points(graded):
    assert graded["points"]["dave"] == {"9.1": (0, 1), "9.2": (2, 2)}
    assert "hint: two and two" in (graded["out"] / "feedback" / "dave.md").read_text()


def test_corrupt_submission_is_reported_not_fatal(graded):
    assert graded["points"]["bob"] == {"9.1": (0, 1), "9.2": (0, 2)}
    assert "bob/99_tiny: not a notebook" in graded["report"]
    assert "bob/notes.txt: not a chapter of this course" in graded["report"]


def test_infinite_loop_is_stopped_and_the_others_still_graded(graded):
    assert graded["points"]["carol"] == {"9.1": (0, 1), "9.2": (0, 2)}  # the whole chapter: zero
    assert "carol/99_tiny: time limit" in graded["report"]
    assert graded["points"]["alice"]["9.2"] == (2, 2)  # graded after carol (alphabetical order)


def test_output_flood_is_stopped(graded):
    assert graded["points"]["frank"] == {"9.1": (0, 1), "9.2": (0, 2)}  # the whole chapter: zero
    assert "frank/99_tiny: output limit" in graded["report"]


@pytest.mark.skipif(os.getuid() != 0,
                    reason="only a grader run as root can sandbox the worker (read-only file systems)")
def test_submission_cannot_delete_the_instructors_files(graded):
    assert (graded["keep"] / "precious.txt").read_text() == "the instructor's file"
    assert "Read-only file system" in (graded["out"] / "feedback" / "gina.md").read_text()
    assert graded["points"]["gina"] == {"9.1": (0, 1), "9.2": (2, 2)}


# ---------------------------------------------------------------- one real chapter, end to end

@pytest.fixture(scope="module")
def real_chapter(tmp_path_factory):
    base = tmp_path_factory.mktemp("real")
    nb = nbformat.read(ROOT / "notebooks" / f"{REAL}.ipynb", as_version=4)
    for name, sub in (("solution", nb), ("untouched", editions.student_edition(nb))):
        (base / "subs" / name).mkdir(parents=True)
        nbformat.write(sub, base / "subs" / name / f"{REAL}.ipynb")
    assert grade.main(["--out", str(base / "out"), "--cell-timeout", "300", "--timeout", "600",
                       str(base / "subs")]) == 0
    rows = list(csv.DictReader(open(base / "out" / "grades.csv", encoding="utf-8")))
    return rows, (base / "out" / "feedback" / "untouched.md").read_text()


def test_real_chapter_solution_full_marks_student_edition_zero(real_chapter):
    rows, untouched_feedback = real_chapter
    by = {}
    for r in rows:
        by.setdefault(r["student"], []).append((int(r["points"]), int(r["max_points"])))
    assert by["solution"] and all(p == m for p, m in by["solution"])
    assert by["untouched"] and all(p == 0 for p, _ in by["untouched"])
    assert "raised" not in untouched_feedback  # the student edition runs top to bottom without an error


# ---------------------------------------------------------------- bad input, as a teacher would type it

def editions_run(*args):
    return run_script("editions.py", *args)


def run_script(script, *args):
    import subprocess
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_student_edition_never_overwrites_instructor_notebooks(tmp_path):
    copy = tmp_path / "course"
    copy.mkdir()
    src = ROOT / "notebooks" / "03_autograd.ipynb"
    (copy / src.name).write_bytes(src.read_bytes())
    before = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert_one_line_error(editions_run("student", "--out", str(ROOT / "notebooks")),
                          "holds the solutions", "editions.py")
    assert_one_line_error(editions_run("student", "--out", str(copy), "03_autograd"),
                          "holds the solutions", "editions.py")
    assert {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")} == before
    assert (copy / src.name).read_bytes() == src.read_bytes()
    afile = tmp_path / "afile"
    afile.write_text("keep")
    assert_one_line_error(editions_run("student", "--out", str(afile)),
                          "is a file", "editions.py")
    assert afile.read_text() == "keep"
    assert_one_line_error(editions_run("studnet"),
                          "invalid choice", "editions.py")
    assert_one_line_error(editions_run("student", "08_trainin"),
                          "names look like 08_training", "editions.py")


def test_student_edition_can_be_rewritten(tmp_path):
    for _ in range(2):  # the second run replaces the first student edition, which holds no solutions
        result = editions_run("student", "--out", str(tmp_path), "03_autograd")
        assert result.returncode == 0, result.stderr
    assert editions.BEGIN_SOLUTION not in (tmp_path / "03_autograd.ipynb").read_text()


@pytest.mark.parametrize("args, words", [
    (["--cell-timeout", "0"], "argument --cell-timeout: a whole number > 0, got 0"),
    (["--timeout", "abc"], "argument --timeout: a whole number > 0, got 'abc'"),
    (["--memory", "-1"], "argument --memory: a whole number > 0"),
    (["--chapters", "03_autograd,3_autograd"], "--chapters 3_autograd: not a chapter of this course; choose from"),
    (["--source", "{tmp}/nothing"], "is not a folder of instructor notebooks"),
    (["--out", "{tmp}/afile"], "is a file, not a folder"),
    (["--out", "{tmp}/subs/grades"], "is inside the submissions"),
])
def test_grader_refuses_bad_arguments_before_running_anything(tmp_path, args, words):
    subs = tmp_path / "subs" / "alice"
    subs.mkdir(parents=True)
    (subs / "03_autograd.ipynb").write_text("{}")
    (tmp_path / "afile").write_text("keep")
    args = [a.format(tmp=tmp_path) for a in args]
    assert_one_line_error(run_script("grade.py", str(tmp_path / "subs"), *args), words, "grade.py")
    assert (tmp_path / "afile").read_text() == "keep"
    assert not (tmp_path / "subs" / "grades").exists()


def test_grader_refuses_a_folder_without_students(tmp_path):
    assert_one_line_error(run_script("grade.py", str(tmp_path)), "has no student sub-folders", "grade.py")


def _processes_under(folder):
    """The command lines of the processes that name ``folder`` (a grading run's scratch folders are there)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace") if proc.name.isdigit() else ""
        except OSError:  # the process ended meanwhile
            continue
        if str(folder) in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_stopping_the_grader_stops_the_students_code(tmp_path, signame):
    """Ctrl-C (one line, exit 130), a kill, even SIGKILL: no student's kernel is left running a loop."""
    import signal
    import subprocess
    import time
    source, subs, scratch = tmp_path / "source", tmp_path / "subs" / "carol", tmp_path / "scratch"
    for folder in (source, subs, scratch):
        folder.mkdir(parents=True)
    instructor = _tiny_instructor()
    nbformat.write(instructor, source / "99_tiny.ipynb")
    nbformat.write(_with_answer(instructor, "9.1", "while True:\n    pass"), subs / "99_tiny.ipynb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "grade.py"), "--source", str(source),
                             "--out", str(tmp_path / "out"), "--cell-timeout", "600", str(tmp_path / "subs")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(scratch)),
                            # Ctrl-C as at a terminal: pytest-xdist's workers ignore SIGINT, and children inherit that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not any("ipykernel" in cmdline for cmdline in _processes_under(scratch)):
            assert time.monotonic() < deadline and proc.poll() is None, "the student's kernel never started"
            time.sleep(0.5)
        time.sleep(1)  # the kernel is in the loop
        os.kill(proc.pid, getattr(signal, signame))
        _, err = proc.communicate(timeout=60)
    finally:  # whatever failed, leave no grader (or student loop) running behind the tests
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    if signame == "SIGINT":
        assert proc.returncode == 130 and err.count("\n") == 1, err
        assert err.startswith("grade.py: interrupted;") and "grades.csv was not written" in err, err
    deadline = time.monotonic() + 20
    while _processes_under(scratch) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_under(scratch), "the student's code is still running after the grader stopped"
    assert (subs / "99_tiny.ipynb").exists()
