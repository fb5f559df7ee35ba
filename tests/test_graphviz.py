"""microgpt.graphviz: operations read back from the numbers, the layered layout, counts, and the drawing."""
import pytest

from microgpt import Value
from microgpt.graphviz import graph_layout, graph_stats, guess_op


def test_guess_op_names_every_primitive():
    a, b = Value(2.0), Value(-3.0)
    cases = {
        "": a, "+": a + b, "*": a * b, "exp": a.exp(), "log": a.log(), "relu": b.relu(),
        "**2": a ** 2, "**-1": a ** -1, "**-0.5": a ** -0.5, "**0.3": a ** 0.3,
    }
    for expected, node in cases.items():
        assert guess_op(node) == expected


def test_guess_op_tells_add_from_mul_on_equal_numbers():
    one, two = Value(1.0), Value(2.0)
    assert guess_op(one + one) == "+" and guess_op(one * one) == "*"
    assert guess_op(two + two) == "+" and guess_op(two * two) == "*"


def test_layout_columns_and_edges():
    x = Value(3.0)
    y = x * x          # x used twice by one parent
    z = y + x          # and once more
    nodes, edges, column = graph_layout(z)
    assert nodes == [x, y, z]
    assert [column[id(n)] for n in nodes] == [0, 1, 2]
    assert len(edges) == 4
    assert edges.count((x, y)) == 2 and edges.count((x, z)) == 1 and edges.count((y, z)) == 1


def test_graph_stats_of_a_neuron():
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, -1.0, 0.5, -1.5, 0.1))
    out = (w1 * x1 + w2 * x2 + b).relu()
    stats = graph_stats(out)
    assert stats == {"nodes": 10, "edges": 9, "leaves": 5, "ops": {"*": 2, "+": 2, "leaf": 5, "relu": 1}}


def test_graph_stats_of_a_model_loss_has_no_unknown_ops():
    import microgpt

    model, _docs, tok, _ = microgpt.setup(seed=42)
    stats = graph_stats(model.loss(tok.encode_doc("ava")))
    assert "?" not in stats["ops"]
    assert stats["nodes"] == len(model.loss(tok.encode_doc("ava")).topological_order())


def test_draw_graph_draws_one_box_per_node():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from microgpt.graphviz import draw_graph

    a, b = Value(2.0), Value(-3.0)
    out = a * b + a
    out.backward()
    fig = draw_graph(out, labels={a: "a", b: "b", out: "out"})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 4
    assert any(t.startswith("a\n") and "grad -2" in t for t in texts)
    assert any(t.startswith("out [+]") for t in texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="at most 3"):
        draw_graph(out, max_nodes=3)
