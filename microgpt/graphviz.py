"""Chapter 3 (autograd), pictures: draw the computation graph of a ``Value`` with matplotlib.

No graphviz binary is needed. The layout is a plain layered drawing: inputs
(leaves) on the left, the output on the right, every node one column to the
right of its furthest child. ``Value`` does not store which operation made it,
so :func:`guess_op` reads it back from the numbers a node holds (exactly, not
approximately: it recomputes the operation and compares).

    from microgpt.graphviz import draw_graph
    fig = draw_graph(loss, labels={w: "w", x: "x"})

matplotlib is imported inside :func:`draw_graph` only.
"""
import math


def guess_op(node):
    """The operation that produced ``node``: '+', '*', 'exp', 'log', 'relu', '**k', or '' for a leaf.

    >>> from microgpt.autograd import Value
    >>> a, b = Value(2.0), Value(3.0)
    >>> [guess_op(n) for n in (a, a + b, a * b, a.exp(), a ** 2, a.relu())]
    ['', '+', '*', 'exp', '**2', 'relu']
    """
    kids, local = node._children, node._local_grads
    if not kids:
        return ""
    if len(kids) == 2:
        a, b = kids
        if tuple(local) == (1, 1) and node.data == a.data + b.data:
            return "+"
        if tuple(local) == (b.data, a.data) and node.data == a.data * b.data:
            return "*"
        return "?"
    (c,), (g,) = kids, local
    x = c.data
    if g == node.data and node.data == _safe(math.exp, x):
        return "exp"
    if x > 0 and node.data == math.log(x) and g == 1 / x:
        return "log"
    if node.data == max(0, x) and g == float(x > 0):
        return "relu"
    # c ** k has local gradient k * c ** (k - 1), so k = g * c / data.
    if x != 0 and node.data != 0:
        k = g * x / node.data
        for guess in (round(k), round(2 * k) / 2, round(k, 6)):  # whole numbers, halves (rmsnorm's -0.5), others
            if abs(k - guess) < 1e-6 and _safe(pow, x, guess) == node.data:
                return f"**{guess:g}"
    return "?"


def _safe(f, *args):
    try:
        return f(*args)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def graph_layout(root):
    """Columns for a left-to-right drawing of the graph that ends in ``root``.

    Returns ``(nodes, edges, column)``: nodes in topological order (children
    first), edges as ``(child, parent)`` pairs (one per use, so a node used twice
    by the same parent gives two edges), and ``column[id(node)]``: 0 for leaves,
    otherwise one more than the largest column among its children.
    """
    nodes = root.topological_order()
    column, edges = {}, []
    for node in nodes:  # children come first, so their columns are known
        column[id(node)] = 1 + max((column[id(c)] for c in node._children), default=-1)
        edges.extend((child, node) for child in node._children)
    return nodes, edges, column


def graph_stats(root):
    """Counts for the graph of ``root``: nodes, edges, leaves, and how often each operation occurs."""
    nodes, edges, _ = graph_layout(root)
    ops = {}
    for node in nodes:
        op = guess_op(node) or "leaf"
        if op.startswith("**"):
            op = "**"
        ops[op] = ops.get(op, 0) + 1
    leaves = sum(1 for n in nodes if not n._children)
    return {"nodes": len(nodes), "edges": len(edges), "leaves": leaves, "ops": dict(sorted(ops.items()))}


def _row_positions(nodes, edges, column):
    """Vertical slot of every node inside its column: leaves in order, others at the mean of their children."""
    by_col = {}
    for node in nodes:
        by_col.setdefault(column[id(node)], []).append(node)
    row = {}
    for col in sorted(by_col):
        members = by_col[col]
        if col == 0:
            for i, node in enumerate(members):
                row[id(node)] = float(i)
            continue
        wanted = sorted(members, key=lambda n: sum(row[id(c)] for c in n._children) / len(n._children))
        used = []
        for node in wanted:
            y = sum(row[id(c)] for c in node._children) / len(node._children)
            while any(abs(y - u) < 0.9 for u in used):  # keep boxes apart
                y += 1.0
            used.append(y)
            row[id(node)] = y
    return row


def draw_graph(root, labels=None, show_grad=True, ax=None, title=None, max_nodes=60):
    """Draw the graph of ``root``: one box per node with its operation, data and (optionally) grad.

    labels: optional dict ``{value: "name"}`` to name some nodes (inputs, weights, the loss).
    Returns the matplotlib figure. Refuses graphs with more than ``max_nodes`` nodes
    (a drawing of thousands of boxes shows nothing; count them with :func:`graph_stats`).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    labels = labels or {}
    nodes, edges, column = graph_layout(root)
    if len(nodes) > max_nodes:
        raise ValueError(f"the graph has {len(nodes)} nodes; draw_graph draws at most {max_nodes} (raise max_nodes)")
    row = _row_positions(nodes, edges, column)
    n_cols = max(column.values()) + 1
    n_rows = max(row.values()) + 1
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6.0, 2.3 * n_cols), max(2.5, 1.15 * n_rows)))
    else:
        fig = ax.figure
    xy = {id(n): (2.3 * column[id(n)], -1.15 * row[id(n)]) for n in nodes}
    names = {id(v): name for v, name in labels.items()}

    uses = {}
    for child, parent in edges:
        uses[(id(child), id(parent))] = uses.get((id(child), id(parent)), 0) + 1
    seen = {}
    for child, parent in edges:
        key = (id(child), id(parent))
        seen[key] = seen.get(key, 0) + 1
        # A child used twice by one parent (x * x) gets two arrows, bent apart so both show.
        bend = 0.0 if uses[key] == 1 else (0.35 if seen[key] == 1 else -0.35)
        (x0, y0), (x1, y1) = xy[id(child)], xy[id(parent)]
        ax.add_patch(FancyArrowPatch((x0 + 0.6, y0), (x1 - 0.6, y1), arrowstyle="-|>", mutation_scale=12,
                                     color="#555555", lw=1.0, connectionstyle=f"arc3,rad={bend}"))
    for node in nodes:
        x, y = xy[id(node)]
        op = guess_op(node)
        head = " ".join(part for part in (names.get(id(node), ""), f"[{op}]" if op else "") if part) or "leaf"
        text = f"{head}\ndata {node.data:.4g}"
        if show_grad:
            text += f"\ngrad {node.grad:.4g}"
        leaf = not node._children
        ax.text(x, y, text, ha="center", va="center", fontsize=8.5, family="monospace",
                bbox={"boxstyle": "round,pad=0.35", "fc": "#56B4E9" if leaf else "#F0E442",
                      "ec": "#0072B2" if leaf else "#E69F00", "alpha": 0.9})
    ax.set_xlim(-1.2, 2.3 * (n_cols - 1) + 1.2)
    ax.set_ylim(-1.15 * (n_rows - 1) - 0.8, 0.8)
    ax.axis("off")
    ax.set_title(title or "Computation graph (inputs left, output right)")
    return fig
