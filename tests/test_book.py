"""The book builds with warnings as errors: `jupyter-book build . -W -n --keep-going`.

Builds into a temporary folder (the notebooks are not executed: _config.yml has
execute_notebooks "off", and strict nbval in the same `make test` run proves the
stored outputs reproduce). Fails on a non-zero exit code or on any warning, and
prints the warnings.
"""
from helpers import build_book


def test_book_builds_without_warnings(tmp_path):
    result, out = build_book(tmp_path, "-W", "-n", "--keep-going")
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    # The kernel's "running over TCP without encryption" notice is not a Sphinx warning.
    warnings = [line for line in warnings if "Kernel is running over TCP" not in line]
    assert result.returncode == 0 and not warnings, (
        f"jupyter-book build exited {result.returncode} with {len(warnings)} warning(s):\n"
        + "\n".join(warnings) + "\n\n--- full output (last 4000 chars) ---\n" + output[-4000:]
    )
    assert (out / "html" / "index.html").exists()
