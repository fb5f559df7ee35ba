"""The import rules of the package: the core is standard library only, heavy packages load lazily.

The core modules must also run in a browser's Python (Pyodide without numpy), and
importing any module must not drag in numpy, matplotlib, ipywidgets or tqdm unless
that module is the one that needs them.
"""
import ast
import json
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "microgpt"
MODULES = sorted("microgpt." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).replace(".__init__", "")
                 for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
HEAVY = ("numpy", "matplotlib", "ipywidgets", "tqdm", "IPython", "pygments")
# The only module allowed to import a third-party package at import time.
ALLOWED = {"microgpt.numpy_engine": {"numpy"}}


def top_level_imports(path):
    """Modules imported at module level (not inside functions) by a source file."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", MODULES)
def test_module_level_imports_are_standard_library(module):
    path = PACKAGE.joinpath(*module.split(".")[1:])
    path = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
    third_party = {n for n in top_level_imports(path) if n not in sys.stdlib_module_names and n != "microgpt"}
    assert third_party <= ALLOWED.get(module, set()), f"{module} imports {sorted(third_party)} at module level"


def test_importing_a_module_loads_no_heavy_package_it_does_not_need():
    lazy = [m for m in MODULES if m not in ALLOWED]
    code = f"""
import importlib, json, sys
for m in {lazy!r}:
    importlib.import_module(m)
print(json.dumps(sorted(h for h in {HEAVY!r} if h in sys.modules)))
"""
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == [], f"importing the package loaded {loaded}"
