"""The stored-widget renderer committed in book/_widgets/widgets/ is what `make widgets-js` builds.

The book build needs no Node, so the bundle is committed; this test rebuilds it with the pinned
esbuild and npm packages (package-lock.json) and compares the bytes, so the committed file can
neither drift from its source (book/_widgets_src/) nor be edited by hand.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"


def test_committed_widget_bundle_is_the_build_of_its_source(tmp_path):
    if not ESBUILD.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("node_modules/.bin/esbuild is missing: `npm ci` (make test runs it)")
        pytest.skip("esbuild is not installed (`npm ci`)")
    out = tmp_path / "widgets"
    made = subprocess.run(["make", "-s", "widgets-js", f"WIDGETS_OUT={out}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    for name in ("widgets.js", "widgets.css", "widgets.js.LEGAL.txt"):
        committed = ROOT / "book" / "_widgets" / "widgets" / name
        assert (out / name).read_bytes() == committed.read_bytes(), f"{name}: rebuild with `make widgets-js`"
