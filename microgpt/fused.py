"""Chapter 10, rung 2: the fused engine. Whole operations are single nodes with hand-written backward passes.

The scalar engine builds one ``Value`` per multiply and add: about 100,000 nodes
for one name. Here every operation (matrix-vector product, rmsnorm, softmax, one
attention head, relu, cross-entropy) is one *kernel*: a forward function that
computes plain floats and keeps what its backward needs, and a backward function
that turns the gradient of its output into gradients of its inputs, with the
derivative written out by hand (each one is in the comment above it).

The arithmetic is the scalar engine's, float operation for float operation:
sums start at 0 and run left to right, ``a / b`` is ``a * b ** -1``, and every
gradient is accumulated in the order the scalar engine's reverse topological
walk would add it. So on CPython 3.11 the losses and gradients are *bit for bit*
those of ``model.GPT`` (on 3.12+, ``sum`` of floats is compensated, and the
agreement is to about 1e-15 instead). Standard library only: it runs in the
browser under Pyodide too.
"""
import math
from itertools import chain
from operator import add, mul

from .attention import KVCache
from .model import check_weights, param_shapes


# -- kernels: forward + backward -------------------------------------------------------------------

def matvec(w, x):
    """y = W x.  w: [n_out][n_in], x: [n_in] -> [n_out];  y_i = sum_j w_ij x_j."""
    return [sum(map(mul, row, x)) for row in w]


def matvec_backward_x(cols, g):
    """dL/dx_j = sum_i w_ij * dL/dy_i.

    ``cols[j]`` is column j of W with its rows in the order the gradient is
    accumulated, and ``g`` is dL/dy in that same order (see ``_column_orders``).
    """
    return [sum(map(mul, col, g)) for col in cols]


def matvec_backward_w(xs, gs):
    """dL/dw_ij = sum_t x_tj * dL/dy_ti: the outer products of every position, summed. Returns W's shape, flat.

    xs, gs: the matrix's input and output gradient at each position, in the
    order the scalar engine adds them (last position first).
    """
    xcols = list(zip(*xs))
    zeros = [0.0] * len(xcols)
    return [d for gc in zip(*gs) for d in ([sum(map(mul, xc, gc)) for xc in xcols] if any(gc) else zeros)]


def rmsnorm(x):
    """y = x * s with s = (mean(x^2) + eps) ** -0.5.  Returns (y, s, mean + eps)."""
    mean_sq = sum([xi * xi for xi in x]) * len(x) ** -1
    base = mean_sq + 1e-5
    scale = base ** -0.5
    return [xi * scale for xi in x], scale, base


def rmsnorm_backward(x, scale, base, dy, dx_residual=None):
    """dL/dx_j = s * dy_j + 2 x_j * dL/dss, with dL/dss = (1/n) * (-1/2) base^(-3/2) * sum_k x_k dy_k.

    ``dx_residual`` is the gradient that reaches ``x`` through the residual
    connection; the scalar engine adds it first, then the two rmsnorm paths
    (the x_j * x_j node contributes x_j * dL/dss twice: once per factor).
    """
    dscale = sum(map(mul, x[::-1], dy[::-1]))                 # ds = sum_k x_k dy_k
    dbase = (-0.5 * base ** -1.5) * dscale                     # d(base^-0.5) = -0.5 base^-1.5
    dss = len(x) ** -1 * dbase                                 # base = ss/n + eps
    if dx_residual is None:
        return [(scale * d + xi * dss) + xi * dss for xi, d in zip(x, dy)]
    return [((r + scale * d) + xi * dss) + xi * dss for r, xi, d in zip(dx_residual, x, dy)]


def softmax(z):
    """p_i = e_i / sum_k e_k with e_i = exp(z_i - max z).  Returns (p, e, total, 1/total)."""
    max_z = max(z)
    e = [math.exp(zi - max_z) for zi in z]
    total = sum(e)
    inv = total ** -1
    return [ei * inv for ei in e], e, total, inv


def softmax_backward(e, total, inv, dp):
    """dL/dz_i = e_i * (dp_i / total - sum_k e_k dp_k / total^2).

    Written as the scalar graph computes it: p_i = e_i * inv_i with inv_i = total^-1,
    so de_i = inv * dp_i + dL/dtotal, and dL/dtotal = sum_i (-total^-2) * e_i dp_i.
    """
    c = -1 * total ** -2                                       # d(total^-1)/dtotal
    dtotal = sum([c * (ei * d) for ei, d in zip(e[::-1], dp[::-1])])
    return [ei * (inv * d + dtotal) for ei, d in zip(e, dp)]


def attention_head(q, keys, values, lo, hi, inv_sqrt):
    """One head at one position: scores_t = (q . k_t) / sqrt(d), p = softmax(scores), out = sum_t p_t v_t.

    q: [n_embd] (this position), keys/values: [T][n_embd] (all positions so far);
    the head owns the slice lo:hi.  Returns (out [d], (p, e, total, inv)).
    """
    qh = q[lo:hi]
    scores = [sum(map(mul, qh, k[lo:hi])) * inv_sqrt for k in keys]
    p, e, total, inv = softmax(scores)
    out = [sum(map(mul, p, col)) for col in zip(*[v[lo:hi] for v in values])]
    return out, (p, e, total, inv)


def attention_head_backward(q, keys, values, lo, hi, inv_sqrt, saved, dout, dq, dks, dvs):
    """Backward of ``attention_head``: fills dq[lo:hi] and adds into dks[t][lo:hi], dvs[t][lo:hi].

        dp_t = sum_j v_tj dout_j          dv_tj += p_t dout_j
        dscores = softmax_backward(dp)    dq_j = sum_t k_tj dscore_t / sqrt(d)    dk_tj += q_j dscore_t / sqrt(d)
    """
    p, e, total, inv = saved
    rdout = dout[::-1]
    dp = [sum(map(mul, v[hi - 1:lo - 1 if lo else None:-1], rdout)) for v in values]
    for t, pt in enumerate(p):
        dv = dvs[t]
        for j in range(lo, hi):
            dv[j] += pt * dout[j - lo]
    dscores = softmax_backward(e, total, inv, dp)
    ddot = [inv_sqrt * ds for ds in dscores]                   # score = dot * d^-1/2
    rddot = ddot[::-1]
    for j in range(lo, hi):
        dq[j] = sum(map(mul, [k[j] for k in keys[::-1]], rddot))
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


def cross_entropy(logits, target):
    """loss = -log softmax(logits)[target].  Returns (loss, saved for backward)."""
    p, e, total, inv = softmax(logits)
    pt = p[target]
    return math.log(pt) * -1, (e, total, inv, pt)


def cross_entropy_backward(saved, target, dloss):
    """dL/dlogit_i = dloss * (p_i - [i == target]), computed through the same nodes as the scalar graph."""
    e, total, inv, pt = saved
    dpt = (1 / pt) * (-1 * dloss)                              # d(-log p)/dp = -1/p
    dinv = e[target] * dpt                                     # p_target = e_target * inv
    dtotal = (-1 * total ** -2) * dinv
    dlogits = [ei * dtotal for ei in e]                        # d exp(z)/dz = exp(z)
    dlogits[target] = e[target] * (inv * dpt + dtotal)
    return dlogits


def _rows(flat, cols):
    return [flat[i:i + cols] for i in range(0, len(flat), cols)]


def _record(act, x, g):
    act[0].append(x)
    act[1].append(g)


# -- the model ------------------------------------------------------------------------------------

class FusedGPT:
    """microgpt with fused kernels over plain floats: the same numbers as ``model.GPT``, ~50x faster."""

    engine = "fused"

    def __init__(self, config, weights):
        check_weights(config, weights)
        self.config = config
        self.w = {name: [[float(v) for v in row] for row in weights[name]] for name in param_shapes(config)}
        self.m = {name: [0.0] * (len(mat) * len(mat[0])) for name, mat in self.w.items()}  # Adam moments, flat
        self.v = {name: [0.0] * (len(mat) * len(mat[0])) for name, mat in self.w.items()}
        self.t = 0
        self.inv_sqrt = (config.head_dim ** 0.5) ** -1

    # -- forward --------------------------------------------------------------------------------
    def new_cache(self):
        return KVCache(self.config.n_layer)

    def _forward(self, token_id, pos_id, keys, values, saved=None):
        """One position; appends its key and value to keys[li]/values[li]. Returns the logits."""
        c, w = self.config, self.w
        x0 = list(map(add, w["wte"][token_id], w["wpe"][pos_id]))
        x, s0, b0 = rmsnorm(x0)
        layers, heads = [], []
        hd = c.head_dim
        for li in range(c.n_layer):
            p = f"layer{li}."
            x_in = x
            xn, s1, b1 = rmsnorm(x_in)
            q = matvec(w[p + "attn_wq"], xn)
            k = matvec(w[p + "attn_wk"], xn)
            v = matvec(w[p + "attn_wv"], xn)
            keys[li].append(k)
            values[li].append(v)
            concat, att = [], []
            for h in range(c.n_head):
                out, sv = attention_head(q, keys[li], values[li], h * hd, h * hd + hd, self.inv_sqrt)
                concat.extend(out)
                att.append(sv)
            a = matvec(w[p + "attn_wo"], concat)
            x2 = list(map(add, a, x_in))
            xn2, s2, b2 = rmsnorm(x2)
            hpre = matvec(w[p + "mlp_fc1"], xn2)
            hr = relu(hpre)
            m = matvec(w[p + "mlp_fc2"], hr)
            x = list(map(add, m, x2))
            layers.append((x_in, s1, b1, xn, q, concat, x2, s2, b2, xn2, hpre, hr))
            heads.append(att)
        logits = matvec(w["lm_head"], x)
        if saved is not None:
            saved.append((token_id, x0, s0, b0, layers, heads, x))
        return logits, heads

    def next_logits(self, token_id, pos_id, cache):
        """Logits for the next token as plain floats (the KV cache gains this position)."""
        return self._forward(token_id, pos_id, cache.keys, cache.values)[0]

    def attention_maps(self, tokens):
        """Attention weights for a token sequence: [n_layer][n_head][T][T], zeros above the diagonal."""
        cache, rows = self.new_cache(), []
        for pos_id, tok in enumerate(tokens[: self.config.block_size]):
            rows.append(self._forward(tok, pos_id, cache.keys, cache.values)[1])
        T = len(rows)
        return [[[list(rows[t][li][h][0]) + [0.0] * (T - t - 1) for t in range(T)]
                 for h in range(self.config.n_head)] for li in range(self.config.n_layer)]

    # -- forward + backward over a document ------------------------------------------------------
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
        cols = {"lm_head": [list(col) for col in zip(*w["lm_head"][::-1])]}
        late, first = [], []
        for h in range(c.n_head - 1, -1, -1):
            rows = range(h * hd + hd - 1, h * hd - 1, -1)
            late += [2 * E + r for r in rows] + [E + r for r in rows] + [r for r in rows]
            first += [2 * E + r for r in rows] + [i for r in rows for i in (E + r, r)]
        for li in range(c.n_layer):
            p = f"layer{li}."
            qkv = w[p + "attn_wq"] + w[p + "attn_wk"] + w[p + "attn_wv"]
            cols[p + "qkv_late"] = [list(col) for col in zip(*[qkv[r] for r in late])]
            cols[p + "qkv_first"] = [list(col) for col in zip(*[qkv[r] for r in first])]
            for key in ("attn_wo", "mlp_fc1", "mlp_fc2"):
                cols[p + key] = [list(col) for col in zip(*w[p + key][::-1])]
        return cols, late, first

    def _loss_and_grads(self, tokens):
        c, w = self.config, self.w
        n = min(c.block_size, len(tokens) - 1)
        keys = [[] for _ in range(c.n_layer)]
        values = [[] for _ in range(c.n_layer)]
        saved, losses, ce = [], [], []
        for pos_id in range(n):
            logits, _ = self._forward(tokens[pos_id], pos_id, keys, values, saved)
            loss_t, sv = cross_entropy(logits, tokens[pos_id + 1])
            losses.append(loss_t)
            ce.append(sv)
        loss = sum(losses) * (1 / n)

        acts = {name: ([], []) for name in w}                # per matrix: inputs x_t and output gradients g_t
        dwte = [[0.0] * c.n_embd for _ in w["wte"]]
        dwpe = [[0.0] * c.n_embd for _ in w["wpe"]]
        cols, late, first = self._column_orders()
        dkeys = [[[0.0] * c.n_embd for _ in range(n)] for _ in range(c.n_layer)]
        dvalues = [[[0.0] * c.n_embd for _ in range(n)] for _ in range(c.n_layer)]
        dloss_t = (1 / n) * 1                                  # loss = (1/n) * sum_t loss_t
        hd, E = c.head_dim, c.n_embd
        for pos_id in range(n - 1, -1, -1):                    # the scalar walk visits positions last to first
            token_id, x0, s0, b0, layers, heads, x = saved[pos_id]
            target = tokens[pos_id + 1]
            dlogits = cross_entropy_backward(ce[pos_id], target, dloss_t)
            _record(acts["lm_head"], x, dlogits)
            g = dlogits[::-1]
            gt = g[-1 - target]
            g[-1 - target] = 0.0                               # the target row's term is added last
            dx = [d + wc[-1 - target] * gt for d, wc in
                  zip(matvec_backward_x(cols["lm_head"], g), cols["lm_head"])]
            for li in range(c.n_layer - 1, -1, -1):
                p = f"layer{li}."
                x_in, s1, b1, xn, q, concat, x2, s2, b2, xn2, hpre, hr = layers[li]
                # mlp: x = x2 + fc2(relu(fc1(rmsnorm(x2))))
                _record(acts[p + "mlp_fc2"], hr, dx)
                dhr = matvec_backward_x(cols[p + "mlp_fc2"], dx[::-1])
                dh = relu_backward(hpre, dhr)
                _record(acts[p + "mlp_fc1"], xn2, dh)
                dxn2 = matvec_backward_x(cols[p + "mlp_fc1"], dh[::-1])
                dx2 = rmsnorm_backward(x2, s2, b2, dxn2, dx)
                # attention: x2 = x_in + wo(heads(q, k, v))
                _record(acts[p + "attn_wo"], concat, dx2)
                dconcat = matvec_backward_x(cols[p + "attn_wo"], dx2[::-1])
                dq = [0.0] * E
                for h in range(c.n_head):
                    attention_head_backward(q, keys[li][:pos_id + 1], values[li][:pos_id + 1],
                                            h * hd, h * hd + hd, self.inv_sqrt, heads[li][h],
                                            dconcat[h * hd:h * hd + hd], dq, dkeys[li], dvalues[li])
                dk, dv = dkeys[li][pos_id], dvalues[li][pos_id]
                _record(acts[p + "attn_wq"], xn, dq)
                _record(acts[p + "attn_wk"], xn, dk)
                _record(acts[p + "attn_wv"], xn, dv)
                g_all = dq + dk + dv
                order, qkv_cols = (first, cols[p + "qkv_first"]) if pos_id == 0 else (late, cols[p + "qkv_late"])
                dxn = matvec_backward_x(qkv_cols, [g_all[r] for r in order])
                dx = rmsnorm_backward(x_in, s1, b1, dxn, dx2)
            dx0 = rmsnorm_backward(x0, s0, b0, dx)
            dwte[token_id] = list(map(add, dwte[token_id], dx0))
            dwpe[pos_id] = list(map(add, dwpe[pos_id], dx0))
        flat = {name: matvec_backward_w(*acts[name]) for name in w if name not in ("wte", "wpe")}
        return loss, {"wte": list(chain.from_iterable(dwte)), "wpe": list(chain.from_iterable(dwpe)), **flat}

    # -- the engine interface ---------------------------------------------------------------------
    def loss_and_grads(self, tokens):
        """The loss and every weight's gradient, as floats (does not update the weights)."""
        loss, flat = self._loss_and_grads(tokens)
        return loss, {name: _rows(flat[name], len(self.w[name][0])) for name in self.w}

    def train_step(self, tokens, lr, beta1=0.85, beta2=0.99, eps=1e-8):
        """Forward, backward and one Adam update (the float operations of ``optim.Adam``); returns the loss."""
        loss, grads = self._loss_and_grads(tokens)
        self.t += 1
        a1, a2 = 1 - beta1, 1 - beta2
        c1, c2 = 1 - beta1 ** self.t, 1 - beta2 ** self.t
        for name, g in grads.items():                        # one flat pass per matrix
            m = self.m[name] = [beta1 * mi + a1 * gi for mi, gi in zip(self.m[name], g)]
            v = self.v[name] = [beta2 * vi + a2 * gi ** 2 for vi, gi in zip(self.v[name], g)]
            flat = [p - lr * (mi / c1) / ((vi / c2) ** 0.5 + eps)
                    for p, mi, vi in zip(chain.from_iterable(self.w[name]), m, v)]
            self.w[name] = _rows(flat, len(self.w[name][0]))
        return loss

    def weights(self):
        """Current weights as plain floats, name -> [rows][cols]."""
        return {name: [list(row) for row in mat] for name, mat in self.w.items()}

    # -- inspection, for the chapters that look inside the model -----------------------------------
    def _saved_forward(self, tokens):
        """What the training forward keeps for each position of ``tokens`` (at most block_size of them)."""
        cache, saved = self.new_cache(), []
        for pos_id, tok in enumerate(tokens[: self.config.block_size]):
            self._forward(tok, pos_id, cache.keys, cache.values, saved)
        return saved

    def residual_stream(self, tokens):
        """The stream before each block and after the last: [n_layer + 1][T][n_embd] (used by chapter 6)."""
        saved = self._saved_forward(tokens)
        return [[s[4][li][0] for s in saved] for li in range(self.config.n_layer)] + [[s[6] for s in saved]]

    def mlp_hidden(self, tokens):
        """Each block's MLP pre-activations fc1(rmsnorm(x)): [n_layer][T][4 * n_embd] (used by chapter 5)."""
        saved = self._saved_forward(tokens)
        return [[s[4][li][10] for s in saved] for li in range(self.config.n_layer)]
