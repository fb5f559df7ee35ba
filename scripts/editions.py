"""One source, two editions: the instructor notebooks (the book) and the student edition.

    python scripts/editions.py student [--out DIR] [NB ...]   write the student edition (default _build/student/)
    python scripts/editions.py mark NB ...                    write nbgrader cell metadata into notebooks/NB.ipynb

The exercises of every chapter are marked the way nbgrader expects (see CONTRIBUTING.md, "Exercises"):

* an **answer cell** holds the student's stub and, between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
  the solution; in the instructor notebook the solution runs, so its check prints "correct";
* a **check cell** (``check_X_Y(answer_X_Y)``) carries a graded test between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` (``assert check_X_Y.passed(answer_X_Y)``), worth the cell's ``points`` (default 1);
* a **solution text** is the markdown cell that opens with ``::::{admonition} Solution`` after the exercise;
* the **checks cell** is the first code cell after ``## Exercises``: it defines the checks with
  ``microgpt.selfcheck.Check`` (salted digests, never the answer).

The roles are read from the cells' ``nbgrader`` metadata when present, else from the patterns above, so a new
chapter that follows the patterns works without metadata (``mark`` writes it for nbgrader users).

The student edition (what nbgrader's ``generate_assignment`` would do, without a server or database):
solution regions and hidden tests removed, solution texts replaced by a short stub, the book's
``hide-input`` tag dropped from answer cells, every output of the Exercises section cleared.
"""
import argparse
import copy
import pathlib
import re
import sys

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from loopback import fail  # one line, prog: error: ..., exit 2: the scripts' one copy

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT_DIR = ROOT / "_build" / "student"

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_TESTS, END_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
EXERCISES_HEADING = re.compile(r"^##\s+Exercises\s*$", re.M)
SOLUTION_TEXT = re.compile(r"^:{3,}\s*\{admonition\}\s+Solution\b")
EXERCISE_ID = re.compile(r"\b(?:check|answer)_(\d+)_(\d+)\b")
TEXT_STUB = "*Your notes on exercise {ex} (not autograded; your teacher may read them):*"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, ``prog: error: ... (see: prog --help)``, and exit 2."""

    def error(self, message):
        fail(self.prog, f"{message} (see: {self.prog} --help)")


def chapter_paths(names):
    if not names:
        return sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    out = []
    for name in names:
        path = pathlib.Path(name)
        if not path.suffix:
            path = NOTEBOOKS / (name + ".ipynb")
        if not path.exists():
            fail("editions.py", f"no notebook {path}; names look like 08_training")
        out.append(path)
    return out


def exercise_id(source):
    m = EXERCISE_ID.search(source)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _split_region(source, begin, end):
    """(lines outside, lines strictly inside) the ``begin`` ... ``end`` regions of ``source``."""
    outside, inside, within = [], [], False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped in (begin, end):
            within = stripped == begin
        else:
            (inside if within else outside).append(line)
    return outside, inside


def strip_region(source, begin, end):
    """Drop every line from ``begin`` to ``end`` (inclusive)."""
    out = _split_region(source, begin, end)[0]
    return "\n".join(out).rstrip() + "\n" if out else ""


def region_lines(source, begin, end):
    """The lines strictly between ``begin`` and ``end``."""
    return _split_region(source, begin, end)[1]


def roles(nb):
    """{cell index: (role, exercise id)} for the Exercises section; roles: checks, answer, test, solution_text."""
    found, start, last_ex, seen_checks = {}, None, None, False
    for i, cell in enumerate(nb.cells):
        if start is None:
            if cell.cell_type == "markdown" and EXERCISES_HEADING.search(cell.source):
                start = i
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        src = cell.source
        if cell.cell_type == "code":
            if meta.get("solution") or BEGIN_SOLUTION in src:
                last_ex = exercise_id(src) or last_ex
                found[i] = ("answer", last_ex)
            elif meta.get("grade") or BEGIN_TESTS in src:
                last_ex = exercise_id(src) or last_ex
                found[i] = ("test", last_ex)
            elif not seen_checks:
                found[i] = ("checks", None)
            seen_checks = True
        elif cell.cell_type == "markdown" and (meta.get("solution") or SOLUTION_TEXT.match(src.lstrip())):
            found[i] = ("solution_text", last_ex)
    return found


def points(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("points", 1)


def mark(nb, chapter):
    """Write nbgrader (schema 3) metadata into the exercise cells; returns the number of cells marked."""
    n = 0
    for i, (role, ex) in roles(nb).items():
        cell = nb.cells[i]
        key = (ex or "").replace(".", "_")
        meta = {"schema_version": 3, "locked": role in ("checks", "test"),
                "solution": role in ("answer", "solution_text"),
                "grade": role in ("test", "solution_text"),
                "grade_id": {"checks": f"checks_{chapter}", "answer": f"answer_{key}",
                             "test": f"test_{key}", "solution_text": f"notes_{key}"}[role]}
        if role == "test":
            meta["points"] = points(cell)
        if role == "solution_text":
            meta["points"] = 0  # read by the teacher, not autograded
        cell.metadata["nbgrader"] = meta
        n += 1
    return n


def student_edition(nb):
    """A new notebook: the student edition of ``nb``."""
    nb = copy.deepcopy(nb)
    found = roles(nb)
    if not found:
        # a page with ungraded self-checks only (the maths refresher): its worked solutions still go
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("::::{admonition} Solution"):
                cell.source = "*The worked solution is in the book (the instructor edition).*"
        return nb
    start = min(found)
    for i, cell in enumerate(nb.cells):
        role, ex = found.get(i, (None, None))
        if role == "answer":
            cell.source = strip_region(cell.source, BEGIN_SOLUTION, END_SOLUTION)
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
        elif role == "test":
            cell.source = strip_region(cell.source, BEGIN_TESTS, END_TESTS)
        elif role == "solution_text":
            cell.source = TEXT_STUB.format(ex=ex or "above")
        if cell.cell_type == "code" and i >= start:
            cell.outputs, cell.execution_count = [], None
    return nb


def solution_lines(nb, min_len=12):
    """The distinctive lines of every solution (code and text): none may appear in the student edition.

    Distinctive: at least ``min_len`` characters, and not also a line of the instructor notebook outside the
    solutions (``def tanh_v(x):`` is both the stub's first line and the solution's)."""
    lines = set()
    found = roles(nb)
    outside = set()
    for i, cell in enumerate(nb.cells):
        role = found.get(i, (None,))[0]
        if role == "solution_text":
            continue
        src = strip_region(strip_region(cell.source, BEGIN_SOLUTION, END_SOLUTION), BEGIN_TESTS, END_TESTS)
        outside.update(ln.strip() for ln in src.split("\n"))
    for i, (role, _) in found.items():
        src = nb.cells[i].source
        if role == "answer":
            body = region_lines(src, BEGIN_SOLUTION, END_SOLUTION)
        elif role == "test":
            body = region_lines(src, BEGIN_TESTS, END_TESTS)
        elif role == "solution_text":
            body = [ln for ln in src.split("\n") if not ln.lstrip().startswith(":")]
        else:
            continue
        lines.update(ln.strip() for ln in body if len(ln.strip()) >= min_len and ln.strip() not in outside)
    return lines


def write_student(paths, out):
    """Write each chapter's student edition into ``out``; refuses (before writing anything) a folder that is a
    file, or a target that holds solutions (the instructor notebooks themselves, or a copy of them)."""
    if out.exists() and not out.is_dir():
        fail("editions.py", f"--out {out} is a file, not a folder: give a folder for the student edition")
    for path in paths:
        target = out / path.name
        if target.exists() and (target.resolve() == path.resolve() or BEGIN_SOLUTION in target.read_text(
                encoding="utf-8", errors="replace")):
            fail("editions.py", f"--out {out}: {target} holds the solutions (an instructor notebook); writing the "
                 "student edition there would delete them: give another folder")
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_edition(nb), out / path.name)
        print(f"{out / path.name}: {sum(r == 'answer' for r, _ in roles(nb).values())} exercises")


def main(argv=None):
    ap = OneLineParser(prog="editions.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    s = sub.add_parser("student", help="write the student edition")
    s.add_argument("--out", type=pathlib.Path, default=STUDENT_DIR)
    s.add_argument("names", nargs="*")
    m = sub.add_parser("mark", help="write nbgrader metadata into the instructor notebooks")
    m.add_argument("names", nargs="+")
    args = ap.parse_args(argv)
    paths = chapter_paths(args.names)
    if args.cmd == "student":
        write_student(paths, args.out)
    else:
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            n = mark(nb, path.stem)
            nbformat.write(nb, path)
            print(f"{path.name}: {n} cells marked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
