"""Chapter 10, rung 2: the fused engine. Whole operations are single nodes with hand-written backward passes.

The scalar engine builds one ``Value`` per multiply and add: about 100,000 nodes
for one name. Here every operation (matrix-vector product, rmsnorm, softmax, one
attention head, relu, cross-entropy) is one *kernel*: a forward function that
computes plain floats and keeps what its backward needs, and a backward function
that turns the gradient of its output into gradients of its inputs, with the
derivative written out by hand (each one is in the comment above it).

The arithmetic is the scalar engine's, float operation for float operation:
sums start at 0 and run left to right (``left_sum`` and ``dots``: from Python 3.12 the
built-in ``sum()`` of floats compensates round-off), ``a / b`` is ``a * b ** -1``, and
every gradient is accumulated in the order the scalar engine's reverse
topological walk would add it. So on every Python the losses and gradients are
*bit for bit* those of ``model.GPT``. Standard library only, and it does not
import the scalar engine: it runs in the browser under Pyodide too.
"""
import math
import sys
from dataclasses import dataclass
from itertools import chain, repeat
from operator import add, attrgetter, mul
from typing import NamedTuple

from .attention import KVCache
from .engines import check_finite, check_position, check_token_id, check_tokens, diverged
from .layers import Softmax, left_sum, softmax_floats
from .optim import ADAM
from .weights import check_weights, param_shapes

# -- dot products, two at a time ------------------------------------------------------------------
# Most of the work is dot products: W x, and the two products of its backward. On Python 3.10 and 3.11 each
# is one call of the built-in sum(), which adds floats left to right in C doubles. From 3.12 it no longer adds
# that way (see ``left_sum``), and a complex number lets one C-level call compute *two* of them instead.
# Complex arithmetic keeps the two parts apart: (a + bj) * x = a*x + (b*x)j and (a + bj) + (c + dj) =
# (a + c) + (b + d)j, each part rounded exactly as the float operation alone would be. So the dot product
# of complex(v_i, w_i) with x_i holds two of the scalar engine's sums, 0 + v_0 x_0 + v_1 x_1 + ... and
# 0 + w_0 x_0 + w_1 x_1 + ..., added left to right, bit for bit.

class Packed(NamedTuple):
    """n vectors of the same length, as ``dots`` reads them (``pack``)."""

    z: list   # from 3.12: z[k][i] = complex(vectors[2k][i], vectors[2k + 1][i]) (an odd last one pairs with
              # zeros); on 3.10 and 3.11 the vectors themselves
    n: int    # how many vectors


if sys.version_info >= (3, 12):
    from math import sumprod as _dot  # on complex numbers a plain left-to-right sum (on floats it is not)

    _PARTS = attrgetter("real", "imag")

    def pack(vectors):
        vectors = list(vectors)
        n = len(vectors)
        if n % 2:
            vectors.append([0.0] * len(vectors[0]))
        return Packed([list(map(complex, v, w)) for v, w in zip(vectors[0::2], vectors[1::2])], n)

    def dots(packed, x):
        """[left_sum(map(mul, v, x)) for v in vectors]: the same floats, two vectors per C-level call.

        ``+ 0.0`` changes no float but -0.0, which it makes 0.0: a sum that starts from 0 is never -0.0, but
        Python 3.14 adds 0 + (a + bj) as (0 + a) + bj, so the second part could keep the sign of a first -0.0.
        """
        out = list(map(add, chain.from_iterable(map(_PARTS, [_dot(z, x) for z in packed.z])), repeat(0.0)))
        del out[packed.n:]
        return out
else:
    def pack(vectors):
        vectors = list(vectors)
        return Packed(vectors, len(vectors))

    def dots(packed, x):
        """[left_sum(map(mul, v, x)) for v in vectors]."""
        return [sum(map(mul, v, x)) for v in packed.z]


# -- kernels: forward + backward -------------------------------------------------------------------

def matvec(w, x):
    """y = W x.  w: ``pack`` of the rows [n_out][n_in], x: [n_in] -> [n_out];  y_i = sum_j w_ij x_j."""
    return dots(w, x)


def matvec_backward_x(cols, g):
    """dL/dx_j = sum_i w_ij * dL/dy_i.

    ``cols`` is ``pack`` of W's columns with their rows in the order the gradient is
    accumulated, and ``g`` is dL/dy in that same order (see ``_column_orders``).
    """
    return dots(cols, g)


def matvec_backward_w(xs, gs):
    """dL/dw_ij = sum_t x_tj * dL/dy_ti: the outer products of every position, summed. Returns W's shape, flat.

    xs, gs: the matrix's input and output gradient at each position, in the
    order the scalar engine adds them (last position first).
    """
    xcols = pack(zip(*xs))
    zeros = [0.0] * xcols.n
    flat = []
    for gc in zip(*gs):                                        # one row of dL/dW: skipped when it is all zero
        flat += dots(xcols, gc) if any(gc) else zeros
    return flat


def rmsnorm(x):
    """y = x * s with s = (mean(x^2) + eps) ** -0.5.  Returns (y, s, mean + eps)."""
    mean_sq = left_sum([xi * xi for xi in x]) * len(x) ** -1
    base = mean_sq + 1e-5
    scale = base ** -0.5
    return [xi * scale for xi in x], scale, base


def rmsnorm_backward(x, scale, base, dy, dx_residual=None):
    """dL/dx_j = s * dy_j + 2 x_j * dL/dss, with dL/dss = (1/n) * (-1/2) base^(-3/2) * sum_k x_k dy_k.

    ``dx_residual`` is the gradient that reaches ``x`` through the residual
    connection; the scalar engine adds it first, then the two rmsnorm paths
    (the x_j * x_j node contributes x_j * dL/dss twice: once per factor).
    """
    dscale = left_sum(map(mul, x[::-1], dy[::-1]))            # ds = sum_k x_k dy_k
    dbase = (-0.5 * base ** -1.5) * dscale                     # d(base^-0.5) = -0.5 base^-1.5
    dss = len(x) ** -1 * dbase                                 # base = ss/n + eps
    if dx_residual is None:
        return [(scale * d + xi * dss) + xi * dss for xi, d in zip(x, dy)]
    return [((r + scale * d) + xi * dss) + xi * dss for r, xi, d in zip(dx_residual, x, dy)]


def softmax_backward(e, total, inv, dp):
    """dL/dz_i = e_i * (dp_i / total - sum_k e_k dp_k / total^2).

    Written as the scalar graph computes it: p_i = e_i * inv_i with inv_i = total^-1,
    so de_i = inv * dp_i + dL/dtotal, and dL/dtotal = sum_i (-total^-2) * e_i dp_i.
    """
    c = -1 * total ** -2                                       # d(total^-1)/dtotal
    dtotal = left_sum([c * (ei * d) for ei, d in zip(e[::-1], dp[::-1])])
    return [ei * (inv * d + dtotal) for ei, d in zip(e, dp)]


def attention_head(q, keys, values, lo, hi, inv_sqrt):
    """One head at one position: scores_t = (q . k_t) / sqrt(d), p = softmax(scores), out = sum_t p_t v_t.

    q: [n_embd] (this position), keys/values: [T][n_embd] (all positions so far);
    the head owns the slice lo:hi.  Returns (out [d], the ``Softmax`` of the scores).
    """
    qh = q[lo:hi]
    scores = [left_sum(map(mul, qh, k[lo:hi])) * inv_sqrt for k in keys]
    sm = softmax_floats(scores)
    out = [left_sum(map(mul, sm.probs, col)) for col in zip(*[v[lo:hi] for v in values])]
    return out, sm


def attention_head_backward(q, keys, values, lo, hi, inv_sqrt, sm, dout, dq, dks, dvs):
    """Backward of ``attention_head``: fills dq[lo:hi] and adds into dks[t][lo:hi], dvs[t][lo:hi].

        dp_t = sum_j v_tj dout_j          dv_tj += p_t dout_j
        dscores = softmax_backward(dp)    dq_j = sum_t k_tj dscore_t / sqrt(d)    dk_tj += q_j dscore_t / sqrt(d)
    """
    rdout = dout[::-1]
    dp = [left_sum(map(mul, v[hi - 1:lo - 1 if lo else None:-1], rdout)) for v in values]
    for t, pt in enumerate(sm.probs):
        dv = dvs[t]
        for j in range(lo, hi):
            dv[j] += pt * dout[j - lo]
    dscores = softmax_backward(sm.exps, sm.total, sm.inv, dp)
    ddot = [inv_sqrt * ds for ds in dscores]                   # score = dot * d^-1/2
    rddot = ddot[::-1]
    for j in range(lo, hi):
        dq[j] = left_sum(map(mul, [k[j] for k in keys[::-1]], rddot))
    for t, dd in enumerate(ddot):
        dk = dks[t]
        for j in range(lo, hi):
            dk[j] += q[j] * dd


def relu(x):
    """max(0, x), elementwise."""
    return [xi if xi > 0 else 0.0 for xi in x]


def relu_backward(x, dy):
    """dL/dx = dL/dy where x > 0, else 0."""
    return [d if xi > 0 else 0.0 for xi, d in zip(x, dy)]


class CrossEntropy(NamedTuple):
    """What ``cross_entropy_backward`` needs: the logits' softmax and the target's probability."""

    sm: Softmax
    p_target: float


def cross_entropy(logits, target):
    """loss = -log softmax(logits)[target].  Returns (loss, CrossEntropy for the backward)."""
    sm = softmax_floats(logits)
    pt = sm.probs[target]
    return math.log(pt) * -1, CrossEntropy(sm, pt)


def cross_entropy_backward(saved, target, dloss):
    """dL/dlogit_i = dloss * (p_i - [i == target]), computed through the same nodes as the scalar graph."""
    e, total, inv = saved.sm.exps, saved.sm.total, saved.sm.inv
    dpt = (1 / saved.p_target) * (-1 * dloss)                  # d(-log p)/dp = -1/p
    dinv = e[target] * dpt                                     # p_target = e_target * inv
    dtotal = (-1 * total ** -2) * dinv
    dlogits = [ei * dtotal for ei in e]                        # d exp(z)/dz = exp(z)
    dlogits[target] = e[target] * (inv * dpt + dtotal)
    return dlogits


def _rows(flat, cols):
    return [flat[i:i + cols] for i in range(0, len(flat), cols)]


# -- what the forward pass keeps for the backward pass ------------------------------------------------

class Norm(NamedTuple):
    """One rmsnorm: its input and the two numbers its backward needs (see ``rmsnorm``)."""

    x: list
    scale: float
    base: float


class BlockSaved(NamedTuple):
    """What one block keeps of one position (the names of nanoGPT's Block.forward)."""

    ln_1: Norm          # rmsnorm before attention; ln_1.x is the residual stream entering the block
    xn: list            # its output: the input of attn_wq/wk/wv
    q: list             # this position's query
    heads: list         # each head's Softmax of its attention scores
    concat: list        # the heads' outputs side by side: the input of attn_wo
    ln_2: Norm          # rmsnorm before the MLP; ln_2.x is the stream after attention
    xn2: list           # its output: the input of mlp_fc1
    hidden: list        # mlp_fc1's output, before relu
    hidden_relu: list   # after relu: the input of mlp_fc2


class PositionSaved(NamedTuple):
    """What the forward pass keeps of one position."""

    token_id: int
    ln_0: Norm          # rmsnorm of wte[token] + wpe[pos]
    blocks: list        # one BlockSaved per layer
    x: list             # the stream after the last block: the input of lm_head


@dataclass
class Backward:
    """The gradients being accumulated by one backward pass over a document."""

    acts: dict          # per matrix: (its inputs x_t, its output gradients g_t), in the scalar walk's order
    dwte: list          # [vocab_size][n_embd]
    dwpe: list          # [block_size][n_embd]
    dkeys: list         # [n_layer][n][n_embd]: gradients reaching each cached key ...
    dvalues: list       # ... and value, from the positions after it
    dloss_t: float      # dL/dloss_t of every position: loss = (1/n) * sum_t loss_t

    def record(self, name, x, g):
        self.acts[name][0].append(x)
        self.acts[name][1].append(g)


# -- the model ------------------------------------------------------------------------------------

class FusedGPT:
    """microgpt with fused kernels over plain floats: the same numbers as ``model.GPT``, about 30x faster.

    (``benchmarks/speed.py``: 31x the scalar engine's tokens/s on CPython 3.11. On 3.12+, where its sums
    cannot use the built-in ``sum()``, ``dots`` takes two dot products per call: a training step took 1.2x
    the CPU time of 3.11 on 3.13, and 2.2x in Pyodide, on 2026-12-02 on a busy machine.)
    """

    engine = "fused"
    capabilities = frozenset({"logits", "residual_stream", "mlp_hidden"})

    def __init__(self, config, weights):
        check_weights(config, weights)
        self.config = config
        self.w = {name: [[float(v) for v in row] for row in weights[name]] for name in param_shapes(config)}
        self.m = {name: [0.0] * (len(mat) * len(mat[0])) for name, mat in self.w.items()}  # Adam moments, flat
        self.v = {name: [0.0] * (len(mat) * len(mat[0])) for name, mat in self.w.items()}
        self.t = 0
        self.inv_sqrt = (config.head_dim ** 0.5) ** -1
        self._pack_rows()

    def _pack_rows(self):
        """The rows of the matrices the forward multiplies by, ``pack``ed (again after every update)."""
        self.rows = {name: pack(mat) for name, mat in self.w.items() if name not in ("wte", "wpe")}

    # -- forward --------------------------------------------------------------------------------
    def new_cache(self):
        return KVCache(self.config.n_layer)

    def _forward(self, token_id, pos_id, keys, values, saved=None):
        """One position; appends its key and value to keys[li]/values[li]. Returns (logits, [BlockSaved])."""
        w, rows = self.w, self.rows
        x0 = list(map(add, w["wte"][token_id], w["wpe"][pos_id]))
        x, scale, base = rmsnorm(x0)
        ln_0, blocks = Norm(x0, scale, base), []
        for li in range(self.config.n_layer):
            block = self._block(f"layer{li}.", x, keys[li], values[li])
            blocks.append(block)
            x = list(map(add, matvec(rows[f"layer{li}.mlp_fc2"], block.hidden_relu), block.ln_2.x))
        logits = matvec(rows["lm_head"], x)
        if saved is not None:
            saved.append(PositionSaved(token_id, ln_0, blocks, x))
        return logits, blocks

    def _block(self, p, x, keys, values):
        """One block at one position, up to mlp_fc2 (the caller adds its output to the stream)."""
        c, w, hd = self.config, self.rows, self.config.head_dim
        xn, scale1, base1 = rmsnorm(x)
        q, k, v = (matvec(w[p + key], xn) for key in ("attn_wq", "attn_wk", "attn_wv"))
        keys.append(k)
        values.append(v)
        concat, heads = [], []
        for h in range(c.n_head):
            out, sm = attention_head(q, keys, values, h * hd, h * hd + hd, self.inv_sqrt)
            concat.extend(out)
            heads.append(sm)
        x2 = list(map(add, matvec(w[p + "attn_wo"], concat), x))
        xn2, scale2, base2 = rmsnorm(x2)
        hidden = matvec(w[p + "mlp_fc1"], xn2)
        return BlockSaved(Norm(x, scale1, base1), xn, q, heads, concat, Norm(x2, scale2, base2), xn2,
                          hidden, relu(hidden))

    def next_logits(self, token_id, pos_id, cache):
        """Logits for the next token as plain floats (the KV cache gains this position)."""
        check_token_id(token_id, self.config)
        check_position(pos_id, self.config)
        return self._forward(token_id, pos_id, cache.keys, cache.values)[0]

    def logits(self, tokens):
        """Logits of every position of ``tokens`` (at most block_size of them): [T][vocab_size] floats."""
        return [logits for logits, _ in self._positions(tokens)]

    def attention_maps(self, tokens):
        """Attention weights for a token sequence: [n_layer][n_head][T][T], zeros above the diagonal."""
        rows = [blocks for _, blocks in self._positions(tokens)]
        T = len(rows)
        return [[[list(rows[t][li].heads[h].probs) + [0.0] * (T - t - 1) for t in range(T)]
                 for h in range(self.config.n_head)] for li in range(self.config.n_layer)]

    def _positions(self, tokens, saved=None):
        """(logits, blocks) of each of the first block_size tokens, through a fresh KV cache."""
        tokens = check_tokens(tokens, self.config)
        cache = self.new_cache()
        return [self._forward(tok, pos_id, cache.keys, cache.values, saved)
                for pos_id, tok in enumerate(tokens[: self.config.block_size])]

    # -- the loss, forward and backward over a document ------------------------------------------
    def _document_loss(self, tokens):
        """Forward over a document: (loss, what the backward needs). Arithmetic failures raise DivergedError."""
        tokens = check_tokens(tokens, self.config, min_len=2)
        c = self.config
        n = min(c.block_size, len(tokens) - 1)
        keys, values = [[] for _ in range(c.n_layer)], [[] for _ in range(c.n_layer)]
        saved, losses, ce = [], [], []
        try:
            for pos_id in range(n):
                logits, _ = self._forward(tokens[pos_id], pos_id, keys, values, saved)
                loss_t, ce_t = cross_entropy(logits, tokens[pos_id + 1])
                losses.append(loss_t)
                ce.append(ce_t)
        except (ArithmeticError, ValueError) as exc:     # math.log(0) raises ValueError
            raise diverged(exc) from None
        loss = left_sum(losses) * (1 / n)
        check_finite(loss)
        return loss, (tokens, saved, ce, keys, values)

    def eval_loss(self, tokens):
        """The loss as a float: the forward pass only, no backward."""
        return self._document_loss(tokens)[0]

    def _column_orders(self):
        """Each weight matrix's columns with rows in the scalar engine's gradient-accumulation order.

        The reverse topological walk adds the contributions to an input x_j from
        the rows of W in reverse of the order the forward graph first reached
        them: rows in descending order, except for the fused q/k/v input, which
        is reached head by head (q rows, then k rows, then v rows, interleaved
        q/k at position 0 where the key is the position's own).
        """
        c, w = self.config, self.w
        hd, E = c.head_dim, c.n_embd
        cols = {"lm_head": pack(zip(*w["lm_head"][::-1]))}
        late, first = [], []
        for h in range(c.n_head - 1, -1, -1):
            rows = range(h * hd + hd - 1, h * hd - 1, -1)
            late += [2 * E + r for r in rows] + [E + r for r in rows] + list(rows)
            first += [2 * E + r for r in rows] + [i for r in rows for i in (E + r, r)]
        for li in range(c.n_layer):
            p = f"layer{li}."
            qkv = w[p + "attn_wq"] + w[p + "attn_wk"] + w[p + "attn_wv"]
            cols[p + "qkv_late"] = pack(zip(*[qkv[r] for r in late]))
            cols[p + "qkv_first"] = pack(zip(*[qkv[r] for r in first]))
            for key in ("attn_wo", "mlp_fc1", "mlp_fc2"):
                cols[p + key] = pack(zip(*w[p + key][::-1]))
        return cols, late, first

    def _loss_and_grads(self, tokens):
        """The loss and every gradient, flat per matrix: the backward walks the positions last to first."""
        loss, (tokens, saved, ce, keys, values) = self._document_loss(tokens)
        c, w, n = self.config, self.w, len(saved)
        bw = Backward(acts={name: ([], []) for name in w},
                      dwte=[[0.0] * c.n_embd for _ in w["wte"]], dwpe=[[0.0] * c.n_embd for _ in w["wpe"]],
                      dkeys=[[[0.0] * c.n_embd for _ in range(n)] for _ in range(c.n_layer)],
                      dvalues=[[[0.0] * c.n_embd for _ in range(n)] for _ in range(c.n_layer)],
                      dloss_t=(1 / n) * 1)
        orders = self._column_orders()
        for pos_id in range(n - 1, -1, -1):                    # the scalar walk visits positions last to first
            self._position_backward(pos_id, saved[pos_id], ce[pos_id], tokens[pos_id + 1], keys, values, bw, orders)
        flat = {name: matvec_backward_w(*bw.acts[name]) for name in w if name not in ("wte", "wpe")}
        return loss, {"wte": list(chain.from_iterable(bw.dwte)), "wpe": list(chain.from_iterable(bw.dwpe)), **flat}

    def _position_backward(self, pos_id, s, ce, target, keys, values, bw, orders):
        """The backward of one position: from its loss down to its token and position embeddings."""
        cols = orders[0]
        dlogits = cross_entropy_backward(ce, target, bw.dloss_t)
        bw.record("lm_head", s.x, dlogits)
        g = dlogits[::-1]
        gt = g[-1 - target]
        g[-1 - target] = 0.0                                   # the target row's term is added last
        dx = [d + wj * gt for d, wj in zip(matvec_backward_x(cols["lm_head"], g), self.w["lm_head"][target])]
        for li in range(self.config.n_layer - 1, -1, -1):
            dx = self._block_backward(li, pos_id, s.blocks[li], dx, keys[li], values[li], bw, orders)
        dx0 = rmsnorm_backward(*s.ln_0, dx)
        bw.dwte[s.token_id] = list(map(add, bw.dwte[s.token_id], dx0))
        bw.dwpe[pos_id] = list(map(add, bw.dwpe[pos_id], dx0))

    def _block_backward(self, li, pos_id, b, dx, keys, values, bw, orders):
        """One block's backward at one position: dL/d(stream out) -> dL/d(stream in)."""
        c, p, (cols, late, first) = self.config, f"layer{li}.", orders
        hd = c.head_dim
        # mlp: x = x2 + fc2(relu(fc1(rmsnorm(x2))))
        bw.record(p + "mlp_fc2", b.hidden_relu, dx)
        dh = relu_backward(b.hidden, matvec_backward_x(cols[p + "mlp_fc2"], dx[::-1]))
        bw.record(p + "mlp_fc1", b.xn2, dh)
        dx2 = rmsnorm_backward(*b.ln_2, matvec_backward_x(cols[p + "mlp_fc1"], dh[::-1]), dx)
        # attention: x2 = x_in + wo(heads(q, k, v))
        bw.record(p + "attn_wo", b.concat, dx2)
        dconcat = matvec_backward_x(cols[p + "attn_wo"], dx2[::-1])
        dq = [0.0] * c.n_embd
        for h in range(c.n_head):
            attention_head_backward(b.q, keys[:pos_id + 1], values[:pos_id + 1], h * hd, h * hd + hd,
                                    self.inv_sqrt, b.heads[h], dconcat[h * hd:h * hd + hd],
                                    dq, bw.dkeys[li], bw.dvalues[li])
        dk, dv = bw.dkeys[li][pos_id], bw.dvalues[li][pos_id]
        bw.record(p + "attn_wq", b.xn, dq)
        bw.record(p + "attn_wk", b.xn, dk)
        bw.record(p + "attn_wv", b.xn, dv)
        g_all = dq + dk + dv
        order, qkv_cols = (first, cols[p + "qkv_first"]) if pos_id == 0 else (late, cols[p + "qkv_late"])
        dxn = matvec_backward_x(qkv_cols, [g_all[r] for r in order])
        return rmsnorm_backward(*b.ln_1, dxn, dx2)

    # -- the engine interface ---------------------------------------------------------------------
    def loss_and_grads(self, tokens):
        """The loss and every weight's gradient, as floats (does not update the weights)."""
        loss, flat = self._loss_and_grads(tokens)
        return loss, {name: _rows(flat[name], len(self.w[name][0])) for name in self.w}

    def train_step(self, tokens, lr):
        """Forward, backward and one Adam update (the float operations of ``optim.Adam``); returns the loss.

        A loss or gradient that is not finite (or a log(0)) raises DivergedError before any weight changes.
        """
        loss, grads = self._loss_and_grads(tokens)
        check_finite(loss, all(all(map(math.isfinite, flat)) for flat in grads.values()))
        beta1, beta2, eps = ADAM
        self.t += 1
        a1, a2 = 1 - beta1, 1 - beta2
        c1, c2 = 1 - beta1 ** self.t, 1 - beta2 ** self.t
        for name, g in grads.items():                        # one flat pass per matrix
            m = self.m[name] = [beta1 * mi + a1 * gi for mi, gi in zip(self.m[name], g)]
            v = self.v[name] = [beta2 * vi + a2 * gi ** 2 for vi, gi in zip(self.v[name], g)]
            flat = [p - lr * (mi / c1) / ((vi / c2) ** 0.5 + eps)
                    for p, mi, vi in zip(chain.from_iterable(self.w[name]), m, v)]
            self.w[name] = _rows(flat, len(self.w[name][0]))
        self._pack_rows()
        return loss

    def weights(self):
        """Current weights as plain floats, name -> [rows][cols]."""
        return {name: [list(row) for row in mat] for name, mat in self.w.items()}

    # -- inspection, for the chapters that look inside the model -----------------------------------
    def residual_stream(self, tokens):
        """The stream before each block and after the last: [n_layer + 1][T][n_embd] (used by chapter 6)."""
        saved = []
        self._positions(tokens, saved)
        return [[s.blocks[li].ln_1.x for s in saved] for li in range(self.config.n_layer)] + [[s.x for s in saved]]

    def mlp_hidden(self, tokens):
        """Each block's MLP pre-activations fc1(rmsnorm(x)): [n_layer][T][4 * n_embd] (used by chapter 5)."""
        return [[blocks[li].hidden for _, blocks in self._positions(tokens)] for li in range(self.config.n_layer)]
