"""Keep the chapter notebooks and their text twins in step, and keep volatile metadata out of commits.

    python scripts/notebooks.py twins [NB ...]   write notebooks/text/<name>.md from each notebook
    python scripts/notebooks.py sync  [NB ...]   update each notebook's cells from its edited twin (outputs kept)
    python scripts/notebooks.py clean [NB ...]   drop execution timestamps; number widget model ids in order
    python scripts/notebooks.py check            exit 1 (naming each file) if a twin is stale or a notebook unclean

NB is a chapter name such as ``08_training`` (default: every notebook in notebooks/).
"""
import hashlib
import json
import pathlib
import re
import sys
import uuid

import jupytext
import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TWINS = NOTEBOOKS / "text"
FMT = "md:myst"
CONFIG_OPTS = {"notebook_metadata_filter": "-all",
               "cell_metadata_filter": "-execution,-ExecuteTime,-scrolled,-collapsed"}
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime")


def notebooks(names):
    if not names:
        return sorted(NOTEBOOKS.glob("*.ipynb"))
    paths = []
    for name in names:
        path = NOTEBOOKS / (pathlib.Path(name).stem + ".ipynb")
        if not path.exists():
            sys.exit(f"notebooks.py: no notebook {rel(path)}; names look like 08_training")
        paths.append(path)
    return paths


def rel(path):
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


def twin_text(path):
    nb = jupytext.read(path)
    nb.metadata.setdefault("jupytext", {}).update(CONFIG_OPTS)
    return jupytext.writes(nb, fmt=FMT)


def twin_path(path):
    return TWINS / (path.stem + ".md")


def write_twins(paths):
    TWINS.mkdir(exist_ok=True)
    for path in paths:
        _write(twin_path(path), twin_text(path))


def sync(paths):
    """Cells (sources, tags, metadata) from the twin; outputs of cells whose source is unchanged are kept."""
    for path in paths:
        twin = twin_path(path)
        if not twin.exists():
            sys.exit(f"notebooks.py: {rel(twin)} is missing; run `python scripts/notebooks.py twins`")
        if twin.read_text(encoding="utf-8") == twin_text(path):
            continue  # already in step
        if twin.stat().st_mtime < path.stat().st_mtime:
            sys.exit(f"notebooks.py: {rel(path)} was changed after its twin; to keep the notebook's "
                     f"cells run `python scripts/notebooks.py twins {path.stem}`, "
                     "to keep the twin's touch it and sync again")
        old = nbformat.read(path, as_version=4)
        new = jupytext.read(twin)
        outputs, ids = {}, {}
        for cell in old.cells:
            ids.setdefault((cell.cell_type, cell.source), cell.id)
        for cell in old.cells:
            if cell.cell_type == "code":
                outputs.setdefault(cell.source, (cell.outputs, cell.execution_count))
        used = set()
        for i, cell in enumerate(new.cells):
            # unchanged cells keep their ids; new ones get ids derived from their text, not random ones
            cid = ids.get((cell.cell_type, cell.source)) or hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
            while cid in used:
                cid = hashlib.sha1(cid.encode()).hexdigest()[:8]
            cell.id = cid
            used.add(cid)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = outputs.get(cell.source, ([], None))
        new.metadata = old.metadata
        _write(path, nbformat.writes(new) + "\n")
        clean([path])


def _write(path, text):
    """Write via a temporary file and a rename, so a failure never leaves a half-written notebook."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _renumber_widgets(text, name):
    """Replace every widget model id by one derived from the notebook's name and the id's order of first use.

    One pass over the text (``re.sub`` with a mapping), so an id is never replaced twice even when the
    old ids already look like stable ones in another order.
    """
    mapping = {}

    def stable(match):
        mid = match.group(2)
        if mid not in mapping:
            mapping[mid] = uuid.uuid5(uuid.NAMESPACE_URL, f"microgpt-book/{name}/widget/{len(mapping)}").hex
        return match.group(1) + mapping[mid]

    return re.sub(r'("(?:IPY_MODEL_)?)([0-9a-f]{32})(?=")', stable, text)


def clean(paths):
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for key in VOLATILE_CELL_KEYS:
                cell.get("metadata", {}).pop(key, None)
        text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        _write(path, _renumber_widgets(text, path.stem))


def problems():
    found = []
    for path in notebooks([]):
        twin = twin_path(path)
        if not twin.exists() or twin.read_text(encoding="utf-8") != twin_text(path):
            found.append(f"{rel(twin)} does not match {path.name}: edit the twin, then `make sync`"
                         f" (or, after editing the notebook in Lab, `python scripts/notebooks.py twins`)")
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        if any(key in cell.get("metadata", {}) for cell in nb["cells"] for key in VOLATILE_CELL_KEYS):
            found.append(f"{path.name} carries execution timestamps: run `python scripts/notebooks.py clean`")
        elif text != _renumber_widgets(text, path.stem):
            found.append(f"{path.name} has random widget ids: run `python scripts/notebooks.py clean`")
    return found


def main(argv):
    if not argv or argv[0] not in {"twins", "sync", "clean", "check"}:
        sys.exit(__doc__)
    cmd, names = argv[0], argv[1:]
    if cmd == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    {"twins": write_twins, "sync": sync, "clean": clean}[cmd](notebooks(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
