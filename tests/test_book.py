"""The book builds with warnings as errors: `jupyter-book build . -W -n --keep-going`.

Builds into a temporary folder (the notebooks are not executed: _config.yml has
execute_notebooks "off", and strict nbval in the same `make test` run proves the
stored outputs reproduce). Fails on a non-zero exit code or on any warning, and
prints the warnings.
"""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _jupyter_book():
    """The jupyter-book next to this interpreter (the venv's), else the one on PATH."""
    here = pathlib.Path(sys.executable).parent / "jupyter-book"
    return str(here) if here.exists() else shutil.which("jupyter-book")


def test_book_builds_without_warnings(tmp_path):
    exe = _jupyter_book()
    if exe is None:
        pytest.skip("jupyter-book is not installed (pip install -r requirements.txt)")
    cmd = [exe, "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(tmp_path)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")  # Python DeprecationWarnings are not Sphinx warnings
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    # The kernel's "running over TCP without encryption" notice is not a Sphinx warning.
    warnings = [line for line in warnings if "Kernel is running over TCP" not in line]
    assert result.returncode == 0 and not warnings, (
        f"jupyter-book build exited {result.returncode} with {len(warnings)} warning(s):\n"
        + "\n".join(warnings) + "\n\n--- full output (last 4000 chars) ---\n" + output[-4000:]
    )
    assert (tmp_path / "_build" / "html" / "index.html").exists()
