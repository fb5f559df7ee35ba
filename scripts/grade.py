"""Autograde a folder of student submissions, or print the digests of an instructor notebook's answers.

    python scripts/grade.py SUBMISSIONS [--out DIR] [--chapters 01_dataset,03_autograd] [--cell-timeout S]
                            [--timeout S] [--max-output BYTES]
    python scripts/grade.py digests NB [--write]

SUBMISSIONS holds one folder per student, each with that student's chapter notebooks under their chapter names
(``alice/03_autograd.ipynb``). Writes ``DIR/grades.csv`` (student, chapter, exercise, points, max_points),
``DIR/feedback/<student>.md`` and ``DIR/report.txt`` (one line per problem: not a notebook, time limit, output limit,
kernel died, missing chapter ...). Default DIR: ``_build/grades``.

**This executes the students' code.** Each submission runs in its own process group, in a scratch copy under the
system's temporary folder (never in the course checkout), with a per-cell and a total time limit, an output limit
(what the kernel prints and the size of any file it writes) and a memory limit. Run as root (in a container, or on a
machine like this project's), the worker also gets its own mount, process and network namespaces: every file system
read-only but its scratch folder, no network but loopback, no capabilities, no view of other processes, so a
submission cannot change the instructor's files or stop the grader. Run as an ordinary user it runs with your rights:
grade inside a container then (README). A notebook that loops forever, prints without end or deletes files gets zero
for that chapter and a line in the report; the run goes on.

Grading restores the instructor's checks cell and check cells (with their hidden tests) into each submission, by
nbgrader ``grade_id`` or, failing that, by exercise number, so editing a check does not change the grade. A check cell
scores its points when it runs without an error; an exercise whose check cell is missing is checked at the end.
"""
import argparse
import copy
import csv
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import editions
from loopback import fail

ROOT = editions.ROOT
MAX_SUBMISSION_BYTES = 50_000_000


# ---------------------------------------------------------------- building the notebook that is graded

def instructor_parts(nb):
    """The instructor's checks cell, and {exercise: (test cell, points)}, from an instructor notebook."""
    checks, tests = None, {}
    for i, (role, ex) in editions.roles(nb).items():
        if role == "checks":
            checks = nb.cells[i]
        elif role == "test":
            tests[ex] = (nb.cells[i], editions.points(nb.cells[i]))
    return checks, tests


def graded_notebook(submission, instructor):
    """The submission with the instructor's checks and check cells (hidden tests included) put back.

    Returns the notebook and {exercise: index of its check cell}."""
    checks, tests = instructor_parts(instructor)
    by_gid = {}
    for i, (role, ex) in editions.roles(instructor).items():
        gid = instructor.cells[i].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and role in ("checks", "test"):
            by_gid[gid] = (role, ex)
    nb = nbformat.v4.new_notebook(metadata=instructor.metadata)
    sub_roles = editions.roles(submission)
    placed_checks, test_index = False, {}
    for i, cell in enumerate(submission.cells):
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        role, ex = sub_roles.get(i, (None, None))
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in by_gid:
            role, ex = by_gid[gid]
        if role == "checks" and checks is not None and not placed_checks:
            cell, placed_checks = checks, True
        elif role == "test" and ex in tests and ex not in test_index:
            test_index[ex] = len(nb.cells)
            cell = tests[ex][0]
        cell = nbformat.from_dict(copy.deepcopy(dict(cell)))
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        nb.cells.append(cell)
    if checks is not None and not placed_checks:  # checks cell deleted: checks, then every check, at the end
        nb.cells.append(nbformat.from_dict(copy.deepcopy(dict(checks))))
        test_index = {}
    for ex, (cell, _) in tests.items():
        if ex not in test_index:
            test_index[ex] = len(nb.cells)
            nb.cells.append(nbformat.from_dict(copy.deepcopy(dict(cell))))
    return nb, test_index


# ---------------------------------------------------------------- the worker (runs the untrusted notebook)

def _limits(max_output, memory):
    """Runs in the worker process before exec: resource limits (output file size, memory, no core dumps), and
    on Linux a SIGKILL as soon as the grader dies, however it dies (the worker has a session of its own, so no
    signal sent to the grader's process group reaches it)."""
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_output, max_output))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def can_sandbox():
    """Root with unshare, mount, ip and setpriv: the worker gets a read-only view of every file system but its
    scratch folder, its own process and network namespaces (loopback only) and no capabilities."""
    return os.getuid() == 0 and all(shutil.which(t) for t in ("unshare", "mount", "ip", "setpriv"))


def sandbox(scratch, rest):
    """Inside fresh mount, PID and network namespaces (as root): make everything read-only except ``scratch``,
    bring up loopback, then drop every capability and exec the worker with ``rest``."""
    for line in pathlib.Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if not mp.startswith(("/proc", "/sys", "/dev")):
            subprocess.run(["mount", "-o", "remount,bind,ro", mp], stderr=subprocess.DEVNULL)
    subprocess.run(["mount", "--bind", scratch, scratch], check=True)
    subprocess.run(["mount", "-o", "remount,bind,rw", scratch], check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    os.execvp("setpriv", ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs",
                          sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", *rest])


def worker(nb_path, result_path, cell_timeout, max_output):
    """Execute the notebook (allow_errors), stop at the output limit, write per-cell results as JSON."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    def stop(status):
        """Kill the kernel and leave at once: a result file saying why, and nothing else."""
        pathlib.Path(result_path).write_text(json.dumps({"status": status, "cells": []}))
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None) if client.km else None
        if pid:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        os._exit(0)

    class Client(NotebookClient):
        printed = 0

        def output(self, outs, msg, display_id, cell_index):
            self.printed += len(json.dumps(msg.get("content", {})))
            if self.printed > max_output:
                stop(f"output limit: the notebook printed more than {max_output:,} bytes")
            return super().output(outs, msg, display_id, cell_index)

    def note_kernel(**_):
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:  # the parent kills it too, should this worker be killed first
            (pathlib.Path(result_path).parent / "kernel.pid").write_text(str(pid))

    nb = nbformat.read(nb_path, as_version=4)
    client = Client(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                    resources={"metadata": {"path": str(pathlib.Path(nb_path).parent)}})
    client.on_notebook_start = note_kernel
    status = "ok"
    try:
        client.execute()
    except CellTimeoutError:
        status = f"time limit: a cell ran longer than {cell_timeout} s"
    except DeadKernelError:
        status = "the kernel died (memory limit, or the notebook ended its own process)"
    except Exception as exc:  # anything else the notebook provokes
        status = f"could not run: {type(exc).__name__}: {str(exc)[:200]}"
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cells.append(None)
            continue
        errors = [f"{o.get('ename')}: {str(o.get('evalue'))[:200]}" for o in cell.get("outputs", [])
                  if o.get("output_type") == "error"]
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        cells.append({"ran": cell.get("execution_count") is not None, "errors": errors, "text": text[-500:]})
    pathlib.Path(result_path).write_text(json.dumps({"status": status, "cells": cells}))


# ---------------------------------------------------------------- the parent: one process per submission

def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_isolated(nb, cell_timeout, total_timeout, max_output, memory):
    """Run ``nb`` in a worker process on a scratch copy; returns the worker's result dict (status, cells)."""
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="microgpt-grade-"))
    try:
        nb_path, result_path = scratch / "submission.ipynb", scratch / "result.json"
        nbformat.write(nb, nb_path)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "TMPDIR": str(scratch),
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
               "JUPYTER_RUNTIME_DIR": str(scratch / ".runtime"), "IPYTHONDIR": str(scratch / ".ipython"),
               "MPLCONFIGDIR": str(scratch / ".mpl"),
               "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8"}
        rest = [str(nb_path), str(result_path), str(cell_timeout), str(max_output)]
        me = str(pathlib.Path(__file__).resolve())
        sandboxed = can_sandbox()
        if sandboxed:
            cmd = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                   "--mount-proc", "--net",
                   sys.executable, me, "--sandbox", str(scratch), *rest]
        else:
            cmd = [sys.executable, me, "--worker", *rest]
        with open(os.devnull, "wb") as devnull:
            proc = subprocess.Popen(cmd, cwd=scratch, env=env, stdout=devnull, stderr=devnull,
                                    start_new_session=True, preexec_fn=lambda: _limits(max_output, memory))
            try:
                proc.wait(timeout=total_timeout)
            except subprocess.TimeoutExpired:
                return {"status": f"time limit: the notebook ran longer than {total_timeout} s", "cells": []}
            finally:
                _kill_group(proc.pid)  # the worker and whatever it left running
                proc.wait()
                kernel = scratch / "kernel.pid"
                if kernel.exists() and not sandboxed:  # unsandboxed, the kernel has a process group of its own
                    # (sandboxed, the kernel dies with its PID namespace, and the pid would mean nothing here)
                    try:
                        _kill_group(int(kernel.read_text()))
                    except ValueError:
                        pass
        try:
            if result_path.stat().st_size > 10 * max_output + 1_000_000:
                return {"status": "result too large", "cells": []}
            return json.loads(result_path.read_text())
        except (OSError, ValueError):
            return {"status": f"the grading process stopped without a result (exit code {proc.returncode})",
                    "cells": []}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_one(path, instructor, args):
    """(rows, problems, feedback lines) for one submitted chapter notebook."""
    chapter = path.stem
    _, tests = instructor_parts(instructor)
    zero = [(chapter, ex, 0, pts) for ex, (_, pts) in tests.items()]
    problem = None
    if path.is_symlink() or not path.is_file():
        problem = "not a regular file"
    elif path.stat().st_size > MAX_SUBMISSION_BYTES:
        problem = f"larger than {MAX_SUBMISSION_BYTES:,} bytes"
    else:
        try:
            submission = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        except Exception as exc:
            problem = f"not a notebook ({type(exc).__name__}: {str(exc)[:120]})"
    if problem:
        return zero, [problem], [f"- {chapter}: not graded, {problem}: 0 points"]
    nb, test_index = graded_notebook(submission, instructor)
    result = run_isolated(nb, args.cell_timeout, args.timeout, args.max_output, args.memory)
    if result["status"] != "ok":
        return zero, [result["status"]], [f"- {chapter}: not graded, {result['status']}: 0 points"]
    rows, lines = [], []
    cells = result["cells"]
    for ex, (_, pts) in tests.items():
        cell = cells[test_index[ex]] if test_index[ex] < len(cells) else None
        ok = bool(cell and cell["ran"] and not cell["errors"])
        rows.append((chapter, ex, pts if ok else 0, pts))
        said = (cell or {}).get("text", "").strip().splitlines()
        lines.append(f"- exercise {ex}: {pts if ok else 0}/{pts}" + (f" ({said[-1][:160]})" if said else ""))
    expected = {i for i, c in enumerate(nb.cells) if "raises-exception" in c.get("metadata", {}).get("tags", [])}
    for i, cell in enumerate(cells):
        if cell and cell["errors"] and i not in test_index.values() and i not in expected:
            lines.append(f"- cell {i + 1} raised {cell['errors'][0]}")
    return rows, [], lines


def grade_all(args):
    source = {p.stem: p for p in editions.chapter_paths([])} if args.source is None else \
        {p.stem: p for p in sorted(pathlib.Path(args.source).glob("*.ipynb"))}
    students = sorted(p for p in pathlib.Path(args.submissions).iterdir() if p.is_dir() and not p.is_symlink())
    wanted = args.chapters.split(",") if args.chapters else sorted(
        {f.stem for s in students for f in s.iterdir() if f.stem in source})
    out = pathlib.Path(args.out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    instructors = {ch: nbformat.read(source[ch], as_version=4) for ch in wanted if ch in source}
    report, rows_all = [], []
    for student in students:
        feedback = [f"# Feedback for {student.name}", ""]
        for f in sorted(student.iterdir()):
            if f.stem not in instructors:
                report.append(f"{student.name}/{f.name}: not a chapter of this course ({', '.join(wanted)}): ignored")
        for ch in wanted:
            if ch not in instructors:
                continue
            path = student / f"{ch}.ipynb"
            t0 = time.monotonic()
            if not path.exists():
                rows, problems, lines = grade_one(path, instructors[ch], args)
                problems, lines = ["no submission"], [f"- {ch}: no submission: 0 points"]
            else:
                rows, problems, lines = grade_one(path, instructors[ch], args)
            report += [f"{student.name}/{ch}: {p}" for p in problems]
            got, top = sum(r[2] for r in rows), sum(r[3] for r in rows)
            feedback += [f"## {ch}: {got}/{top} points", *lines, ""]
            rows_all += [(student.name, *r) for r in rows]
            print(f"{student.name}/{ch}: {got}/{top} ({time.monotonic() - t0:.0f} s)"
                  + (f"  [{problems[0]}]" if problems else ""), flush=True)
        (out / "feedback" / f"{student.name}.md").write_text("\n".join(feedback), encoding="utf-8")
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "chapter", "exercise", "points", "max_points"])
        w.writerows(rows_all)
    (out / "report.txt").write_text("".join(line + "\n" for line in report), encoding="utf-8")
    print(f"wrote {out / 'grades.csv'}, {out / 'report.txt'} ({len(report)} problems), {out / 'feedback'}/")
    return 0


# ---------------------------------------------------------------- digests for authors

DIGEST_CELL = """\
import json as _json
from microgpt.selfcheck import Check as _Check, digest as _digest
print("@@DIGESTS@@" + _json.dumps({_c.exercise: _digest(globals()["answer_" + _c.exercise.replace(".", "_")],
                                                         _c.exercise, _c.sig)
                                   for _c in list(globals().values()) if isinstance(_c, _Check) and _c.test is None}))
"""


def digests(name, write):
    import re

    from nbclient import NotebookClient
    path = editions.chapter_paths([name])[0]
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DIGEST_CELL))
    NotebookClient(nb, timeout=-1, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    found = json.loads(text.split("@@DIGESTS@@", 1)[1])
    for ex, d in sorted(found.items()):
        print(f'{ex}: "{d}"')
    if write:
        twin = path.parent / "text" / (path.stem + ".md")
        src = twin.read_text(encoding="utf-8")
        head, sep, tail = src.partition("\n## Exercises\n")
        for ex, d in found.items():
            tail = re.sub(rf'Check\("{re.escape(ex)}",\s*"[^"]*"', f'Check("{ex}", "{d}"', tail)
        twin.write_text(head + sep + tail, encoding="utf-8")
        print(f"updated {twin}")
    return 0


def _positive(text):
    """argparse type: a whole number > 0 (a limit of 0 would mean no limit to nbclient, or grade nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"a whole number > 0, got {value}")
    return value


def _check_args(args):
    """The one-line reason these arguments cannot be graded, or None; checked before any notebook runs."""
    subs = pathlib.Path(args.submissions)
    if not subs.is_dir():
        return f"{args.submissions} is not a folder (one sub-folder per student)"
    if not any(p.is_dir() and not p.is_symlink() for p in subs.iterdir()):
        return f"{args.submissions} has no student sub-folders (expected e.g. {subs / 'alice' / '03_autograd.ipynb'})"
    if args.source is not None:
        known = sorted(p.stem for p in pathlib.Path(args.source).glob("*.ipynb"))
        if not known:
            return f"--source {args.source} is not a folder of instructor notebooks (*.ipynb)"
    else:
        known = [p.stem for p in editions.chapter_paths([])]
    unknown = [ch for ch in args.chapters.split(",") if ch and ch not in known] if args.chapters else []
    if unknown:
        return f"--chapters {','.join(unknown)}: not a chapter of this course; choose from {','.join(known)}"
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        return f"--out {args.out} is a file, not a folder: give a folder for the grades"
    if out.resolve().is_relative_to(subs.resolve()):
        return f"--out {args.out} is inside the submissions: the next run would grade it; give a folder outside"
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--sandbox"]:
        sandbox(argv[1], argv[2:])
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return 0
    if argv[:1] == ["digests"]:
        ap = editions.OneLineParser(prog="grade.py digests")
        ap.add_argument("name")
        ap.add_argument("--write", action="store_true", help="write them into the twin's Check(...) lines")
        a = ap.parse_args(argv[1:])
        return digests(a.name, a.write)
    ap = editions.OneLineParser(prog="grade.py", description=__doc__.split("\n")[0])
    ap.add_argument("submissions", help="folder with one sub-folder per student, each holding chapter notebooks")
    ap.add_argument("--out", default=str(ROOT / "_build" / "grades"),
                    help="folder for grades.csv, report.txt and feedback/ (default: _build/grades)")
    ap.add_argument("--source", default=None, help="folder of instructor notebooks (default: notebooks/)")
    ap.add_argument("--chapters", default="", help="comma-separated chapter names (default: every one submitted)")
    ap.add_argument("--cell-timeout", type=_positive, default=300, help="seconds one cell may run (default: 300)")
    ap.add_argument("--timeout", type=_positive, default=900, help="seconds one notebook may run in all (default: 900)")
    ap.add_argument("--max-output", type=_positive, default=5_000_000,
                    help="bytes a notebook may print (and write to a file) (default: 5000000)")
    ap.add_argument("--memory", type=_positive, default=8 << 30,
                    help="bytes of address space for the worker and kernel (default: 8589934592, 8 GiB)")
    args = ap.parse_args(argv)
    problem = _check_args(args)
    if problem:
        fail("grade.py", problem)
    # Ctrl-C or a kill (SIGTERM) ends the run through the finally blocks that kill each worker and its kernel.
    before = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return grade_all(args)
    except KeyboardInterrupt:
        print(f"grade.py: interrupted; {pathlib.Path(args.out) / 'grades.csv'} was not written (the submissions "
              "are untouched): run it again", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, before)


if __name__ == "__main__":
    sys.exit(main())
