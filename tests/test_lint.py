"""ruff, with the configuration in pyproject.toml, finds nothing in the package, tests, scripts and notebooks."""
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def ruff():
    exe = pathlib.Path(sys.executable).with_name("ruff")
    return str(exe) if exe.exists() else shutil.which("ruff")


@pytest.mark.skipif(ruff() is None, reason="ruff is not installed (it is in requirements-test.txt)")
def test_ruff_finds_nothing():
    run = subprocess.run([ruff(), "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
