"""The syllabus's numbers: reading and execution time per chapter, objectives and exercises, week by week.

    python scripts/syllabus.py measure [NB ...]   execute each chapter once (a scratch copy), record seconds,
                                                   date and machine in book/_generated/execution_times.json
    python scripts/syllabus.py page               write book/_generated/syllabus_plans.md (the book's build runs
                                                   this itself, book/_ext/syllabus_page.py, so it never goes stale)

Reading time: the words of a chapter's markdown cells (prose and equations, not code) at 200 words a minute, plus
the chapter's code cells at 10 lines a minute (reading code is slower than prose). Execution time: measured, one
run per chapter, with nbclient, as recorded in the JSON file (rounded up to the next minute in the tables).
Objectives: the bullet list under the chapter's "What you will learn" (or, failing that, its "What you will
build/measure" lines). Exercises: the chapter's marked exercises (scripts/editions.py).
"""
import datetime
import json
import math
import pathlib
import platform
import re
import sys
import time

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import editions

ROOT = editions.ROOT
GENERATED = ROOT / "book" / "_generated"
TIMES = GENERATED / "execution_times.json"
PAGE = GENERATED / "syllabus_plans.md"
WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 10

# Weeks -> chapter numbers; chapters that do not exist (yet) are left out.
PLANS = {
    6: [[1, 2], [3], [4, 5], [6, 7], [8, 9], [10, 11, 12, 13]],
    8: [[1, 2], [3], [4], [5, 6], [7], [8], [9, 10], [11, 12, 13]],
    10: [[1], [2], [3], [4], [5], [6], [7], [8], [9, 10], [11, 12, 13]],
}


def chapters():
    """{number: path} of the chapter notebooks (00_maths, the refresher, is a prerequisite, not a week)."""
    out = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        out[int(path.name[:2])] = path
    return out


def _text(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def words(nb):
    prose = sum(len(re.findall(r"[A-Za-z0-9][\w'-]*", _text(c))) for c in nb.cells if c.cell_type == "markdown")
    code = sum(len([ln for ln in _text(c).splitlines() if ln.strip()]) for c in nb.cells if c.cell_type == "code")
    return prose, code


def title(nb, path):
    for c in nb.cells:
        m = re.search(r"^#\s+(.+)$", _text(c), re.M)
        if c.cell_type == "markdown" and m:
            return m.group(1).strip()
    return path.stem


def objectives(nb):
    """The "What you will learn" bullets of the chapter's opening cells."""
    head = []
    for c in nb.cells:
        if c.cell_type == "markdown" and re.search(r"^##\s", _text(c), re.M) and head:
            break
        if c.cell_type == "markdown":
            head.append(_text(c))
    text = "\n".join(head)
    m = re.search(r"What you will learn[^\n]*\n+((?:\s*[-*]\s+.+\n?)+)", text, re.I)
    if m:
        return [re.sub(r"^\s*[-*]\s+", "", ln).strip() for ln in m.group(1).splitlines() if ln.strip()]
    return [re.sub(r"\*\*", "", ln).strip() for ln in text.splitlines() if re.match(r"\*\*What you will", ln)]


def exercises(nb):
    return sorted({ex for role, ex in editions.roles(nb).values() if role == "test" and ex},
                  key=lambda e: tuple(int(x) for x in e.split(".")))


def measure(names):
    from nbclient import NotebookClient
    found = chapters()
    paths = [editions.chapter_paths([n])[0] for n in names] if names else list(found.values())
    data = json.loads(TIMES.read_text()) if TIMES.exists() else {"chapters": {}}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()  # the notebook runs in memory: nothing is written back
        NotebookClient(nb, timeout=-1, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                       allow_errors=True).execute()
        seconds = time.perf_counter() - t0
        data["chapters"][path.stem] = round(seconds, 1)
        print(f"{path.stem}: {seconds:.1f} s", flush=True)
    data["measured"] = datetime.date.today().isoformat()
    data["machine"] = (f"{platform.platform()} | {platform.machine()} | {__import__('os').cpu_count()} CPUs | "
                       f"Python {platform.python_version()}")
    data["note"] = "one run per chapter with nbclient (kernel start included), the machine shared with other work"
    GENERATED.mkdir(parents=True, exist_ok=True)
    TIMES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return 0


def _minutes(seconds):
    return max(1, math.ceil(seconds / 60))


def page():
    times = json.loads(TIMES.read_text()) if TIMES.exists() else {"chapters": {}}
    rows = {}
    for number, path in chapters().items():
        nb = nbformat.read(path, as_version=4)
        prose, code = words(nb)
        reading = prose / WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE
        run = times["chapters"].get(path.stem)
        rows[number] = {"path": path, "title": title(nb, path), "prose": prose, "code": code, "reading": reading,
                        "run": run, "objectives": objectives(nb), "exercises": exercises(nb)}
    refresher = [f"[{label}]({href})" for path, label, href in (
        (ROOT / "notebooks" / "00_maths.ipynb", "the maths refresher (chapter 0)", "../notebooks/00_maths.ipynb"),
        (ROOT / "book" / "maths.md", "the maths refresher", "maths.md")) if path.exists()]
    out = ["<!-- generated by scripts/syllabus.py at build time: do not edit -->", "",
           "Before week 1: " + (f"work through {refresher[0]}, then " if refresher else "")
           + "check the prerequisites in [the introduction](intro.md).", "",
           "## Time per chapter", "",
           f"Reading: prose words at {WORDS_PER_MINUTE} words a minute plus code lines at {CODE_LINES_PER_MINUTE} "
           f"lines a minute. Running: the measured time to execute the whole notebook once"
           + (f", measured {times.get('measured')} on {times.get('machine')} ({times.get('note')})."
              if times.get("measured") else " (not measured yet: run `python scripts/syllabus.py measure`)."), "",
           "| chapter | prose words | code lines | reading (min) | running (min) | exercises |",
           "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows.values():
        run = f"{_minutes(r['run'])} ({r['run']:.0f} s)" if r["run"] is not None else "not measured"
        out.append(f"| [{r['title']}](../notebooks/{r['path'].stem}.ipynb) | {r['prose']:,} | {r['code']:,} | "
                   f"{math.ceil(r['reading'])} | {run} | {', '.join(r['exercises']) or '-'} |")
    for weeks, plan in PLANS.items():
        out += ["", f"## The {weeks}-week plan", ""]
        for w, numbers in enumerate(plan, 1):
            present = [rows[n] for n in numbers if n in rows]
            if not present:
                continue
            minutes = sum(math.ceil(r["reading"]) + (_minutes(r["run"]) if r["run"] is not None else 0)
                          for r in present)
            out.append(f"**Week {w}** ({minutes} min of reading and running, before the exercises): "
                       + ", ".join(f"[{r['title']}](../notebooks/{r['path'].stem}.ipynb)" for r in present))
            out.append("")
            for r in present:
                hand_in = ", ".join(r["exercises"]) or "none"
                out.append(f"- *{r['title']}*. Hand in: exercises {hand_in}. Objectives:")
                out += [f"  - {goal}" for goal in r["objectives"] or ["see the chapter's opening"]]
            out.append("")
    GENERATED.mkdir(parents=True, exist_ok=True)
    text = "\n".join(out).rstrip() + "\n"
    if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
        PAGE.write_text(text, encoding="utf-8")
    return 0


def main(argv):
    if not argv or argv[0] not in ("measure", "page"):
        sys.exit(__doc__)
    return measure(argv[1:]) if argv[0] == "measure" else page()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
