"""microgpt/live.py and book/_ext/live_widgets.py, natively: the live widgets' numbers are the notebooks' stored ones.

The book build writes each chapter's model (same recipe as the notebook's setup cell) into
``_static/live/``; here the same files are built into a temporary folder (cached in
``.cache/live/``), loaded on the engine the browser uses (fused), and what the live widget's
first render shows is compared with the output stored in the notebook.
"""
import json
import pathlib
import sys

import pytest

from microgpt import bpe, live, session

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import live_widgets  # noqa: E402


def stored_stdout(chapter, code):
    """The stdout stored in ``notebooks/<chapter>.ipynb`` for the code cell containing ``code``."""
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and code in "".join(cell["source"]):
            return "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout")
    raise AssertionError(f"no cell in {chapter} contains {code!r}")


def cells(chapter):
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return [("".join(c["source"]), c.get("metadata", {})) for c in nb["cells"]]


def sources(chapter):
    return [source for source, _ in cells(chapter)]


def settings(chapter):
    """What book/_ext/live_widgets.py gives the chapter's live widget: the notebook's own call, read from its source."""
    spec = live_widgets.LIVE[f"notebooks/{chapter}"]
    index = live_widgets.widget_cell(spec, cells(chapter))
    assert index is not None, f"no cell in {chapter} makes its widget ({spec['find']!r})"
    return live_widgets.widget_settings(spec, sources(chapter), index)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("live-book")
    live_widgets.write_models(out)
    folder = out / "_static" / "live"
    live.load("names-seed42-1000", str(folder / "names-seed42-1000.json"))
    live.load("bpe-1000", str(folder / "bpe-1000.json"), kind="merges")
    return folder


def test_the_checkpoint_is_the_notebooks_model(models):
    meta = json.loads((models / "names-seed42-1000.json").read_text())["meta"]
    # 04_attention and 09_inference both train setup(42, engine="numpy") for 1000 steps
    for chapter in ("04_attention", "09_inference"):
        code = "\n".join(sources(chapter))
        assert 'setup(seed=42, engine="numpy")' in code or 'setup(42, engine="numpy")' in code, chapter
    assert meta["seed"] == 42 and meta["steps"] == 1000 and meta["engine"] == "numpy"


def test_head_inspector_parity(models):
    s = settings("04_attention")
    assert s == {"name": "olivia", "layer": 0, "head": 0}
    reply = live.attention("names-seed42-1000", s["name"], s["layer"], s["head"])
    assert reply["table"] + "\n" == stored_stdout("04_attention", "print(format_matrix(matrix, labels))")


@pytest.mark.parametrize("temperature", [0.5, 1.5])
def test_temperature_explorer_parity(models, temperature):
    s = settings("09_inference")
    assert s == {"prefix": "em", "temperature": 1.0, "n_names": 8, "seed": 0}
    reply = live.temperature("names-seed42-1000", s["prefix"], temperature, s["n_names"], s["seed"])
    stored = stored_stdout("09_inference", f"print(explorer.update(temperature={temperature}))")
    assert reply["summary"] + "\n" == stored


def test_tokenizer_box_parity(models):
    stored = stored_stdout("02_tokenizer", 'bpe.tokens(" understanding"')
    for m in (0, 50, 100, 200, 500, 1000):
        for text in ("understanding", " understanding"):
            reply = live.tokenize("names-seed42-1000", "bpe-1000", text, m)
            assert f"{len(reply['tokens']):2d} tokens {reply['tokens']}" in stored, (m, text)


def test_merge_steps_end_where_bpe_encode_ends(models):
    merges = live.MERGES["bpe-1000"]
    for text in ("understanding", " the tokenizer, 2026!", "naïve café", ""):
        steps = live.merge_steps(text, merges)
        assert steps[-1]["tokens"] == bpe.tokens(text, merges)
        assert steps[0]["tokens"] == bpe.tokens(text, [])
        ranks = [s["merge"] for s in steps[1:]]
        assert all(r is not None for r in ranks) and ranks == sorted(ranks)  # merges in rank order
        # every step makes at least one token fewer (a merge may apply at several places at once)
        sizes = [len(s["tokens"]) for s in steps]
        assert all(a > b for a, b in zip(sizes, sizes[1:]))
        assert sizes[0] - sizes[-1] == len(bpe.encode(text, [])) - len(bpe.encode(text, merges))


def test_tokenizer_box_character_ids(models):
    reply = live.tokenize("names-seed42-1000", "bpe-1000", "emma")
    assert reply["chars"]["ids"] == [4, 12, 12, 0] and reply["bos"] == 26
    bad = live.tokenize("names-seed42-1000", "bpe-1000", "Zoë")
    assert bad["chars"]["ids"] is None and "not in the vocabulary" in bad["chars"]["message"]


def test_live_requests_through_dispatch(models):
    reply = json.loads(session.dispatch(json.dumps({"op": "live.attention", "model": "names-seed42-1000",
                                                    "text": "Zoë", "layer": 0, "head": 0})))
    assert "not in the vocabulary" in reply["error"] and "\n" not in reply["error"]
    reply = json.loads(session.dispatch(json.dumps({"op": "live.attention", "model": "nope", "text": "emma"})))
    assert "not loaded" in reply["error"]
    reply = json.loads(session.dispatch(json.dumps({"op": "live.tokenize", "model": "names-seed42-1000",
                                                    "merges": "bpe-1000", "text": "x", "numMerges": 5000})))
    assert "from 0 to 1000" in reply["error"]


def test_dashboard_settings_are_the_notebooks():
    s = settings("13_playground")
    assert s["seed"] == 42 and s["steps"] == 300


def test_dashboard_losses_are_the_notebooks():
    """The dashboard's Train (a Session of 300 steps) prints the notebook's losses at the steps it prints."""
    stored = stored_stdout("13_playground", "losses = pg.train(300, callback=record)")
    ask = lambda **r: json.loads(session.dispatch(json.dumps(r)))  # noqa: E731
    ask(op="reset", session="dashboard", seed=42, steps=300, learningRate=0.01)
    losses = ask(op="run", session="dashboard", budgetMs=1e9)["losses"]
    for step in (1, 10, 50, 100, 200, 300):
        assert f"step {step:3d}: loss {losses[step - 1]:.4f}" in stored, step


def test_a_fork_repository_turns_on_binder_colab_and_the_repository_button():
    from types import SimpleNamespace
    config = SimpleNamespace(microgpt_repository="", html_theme_options={"home_page_in_navbar": True})
    live_widgets.on_config_inited(None, config)
    assert config.html_theme_options == {"home_page_in_navbar": True}       # the default book: none of them
    config.microgpt_repository = "https://github.com/someone/microgpt-book/"
    live_widgets.on_config_inited(None, config)
    options = config.html_theme_options
    assert options["repository_url"] == "https://github.com/someone/microgpt-book"
    assert options["use_repository_button"] is True
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert options["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    config.microgpt_repository = "https://example.org/x"
    with pytest.raises(RuntimeError, match=r"github\.com/<owner>/<name>"):
        live_widgets.on_config_inited(None, config)


def test_lite_copies_get_the_install_cell_and_keep_the_rest():
    import lite_build
    path = ROOT / "notebooks" / "03_autograd.ipynb"
    original = json.loads(path.read_text(encoding="utf-8"))
    lite = json.loads(lite_build.lite_notebook(path))
    assert lite["cells"][1:] == original["cells"]
    assert "%pip install -q microgpt ipywidgets" in lite["cells"][0]["source"]
