"""The Makefile's commands refuse bad input with one clear line and exit status 2, before doing any work."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT

VENV = pathlib.Path(sys.prefix)  # the venv running the tests: make finds its tools there, installed
STAMP = VENV / ".installed"


def make(*args, **env):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # As a user types it: not under the outer `make test`'s flags and exported variables.
    outer = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYODIDE")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True,
                          text=True, timeout=120, env={**outer, **env})


def messages(result):
    """stderr without make's own "*** [target] Error 2" line."""
    return [line for line in result.stderr.splitlines() if not line.startswith("make: *** [")]


def test_an_unknown_pyodide_source_stops_make_before_anything_runs(tmp_path):
    result = make("book", "PYODIDE=bogus", f"VENV={tmp_path / 'venv'}")
    assert result.returncode == 2
    assert "PYODIDE=bogus: use cdn (the default) or local" in result.stderr
    assert result.stdout == "" and not (tmp_path / "venv").exists()


def test_a_python_that_does_not_exist_is_named_and_no_venv_is_made(tmp_path):
    venv = tmp_path / "venv"
    result = make("test-core", f"PYTHON={tmp_path / 'no-python'}", f"VENV={venv}")
    assert result.returncode == 2
    assert messages(result) == [f"make: PYTHON={tmp_path / 'no-python'} is not a program: "
                                "name a Python 3.10-3.13 (e.g. PYTHON=python3.12)"]
    assert not venv.exists()


@pytest.mark.parametrize("args, line", [
    (["notebook"], "make notebook: say which, e.g. make notebook NB=08_training"),
    (["notebook", "NB=bogus"], "make notebook: no notebooks/bogus.ipynb (names look like 08_training)"),
    (["grade"], "make grade: say which folder, e.g. make grade SUBMISSIONS=submissions"),
    (["grade", "SUBMISSIONS={tmp}/none"], "grade.py: error: {tmp}/none is not a folder (one sub-folder per student)"),
])
def test_a_missing_or_unknown_name_gets_one_line(tmp_path, args, line):
    if not STAMP.exists():
        pytest.skip(f"{VENV} was not made by `make venv` (no {STAMP}): make would install into it first")
    result = make(*(a.format(tmp=tmp_path) for a in args), f"VENV={VENV}", f"GRADES={tmp_path / 'grades'}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert messages(result) == [line.format(tmp=tmp_path)]
    assert "pip install" not in result.stdout, "make reinstalled the venv"
    assert not (tmp_path / "grades").exists()
