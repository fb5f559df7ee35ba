"""The notebooks' text twins are in step, and no notebook carries volatile metadata (scripts/notebooks.py)."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_twins_match_and_notebooks_are_clean():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "notebooks.py"), "check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_check_names_a_stale_twin(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    import notebooks

    monkeypatch.setattr(notebooks, "TWINS", tmp_path)
    notebooks.write_twins(notebooks.notebooks(["01_dataset"]))
    twin = tmp_path / "01_dataset.md"
    twin.write_text(twin.read_text(encoding="utf-8") + "\nan edit not carried into the notebook\n", encoding="utf-8")
    assert any("01_dataset.md does not match" in line for line in notebooks.problems())
