"""Chapter 10, rung 3: the numpy engine. The whole sequence at once, as matrices.

The scalar and fused engines walk the positions one by one, each new position
reading the keys and values cached by the earlier ones. For training we already
know every token, so this engine computes all positions in one go: the queries
of every position against the keys of every position, ``Q K^T``, with a causal
mask (-inf above the diagonal) so that position t still sees only positions
0..t. The backward pass is written by hand, one block per forward operation.

At microgpt's size (16-wide matrices) a numpy call costs more than the
arithmetic inside it, so the code is written to make few calls: q, k and v come
from one matrix product (``attn_wq/wk/wv`` are adjacent in one flat parameter
vector), all heads are one batched product, and Adam updates every parameter
with a handful of operations on that flat vector.

``train_step_batch`` trains on several documents at once (padded to the longest
and masked); the loss is the mean of the documents' mean losses.  With
``residual=False`` the blocks have no residual connections (for the
residual-connections chapter's experiment).

This is the only module of the package that imports numpy.
"""
from typing import NamedTuple

import numpy as np

from .engines import check_finite, check_position, check_token_id, check_tokens, diverged
from .errors import MicrogptError
from .optim import ADAM
from .weights import check_weights, param_shapes


class NumpyKVCache:
    """Keys and values of the positions so far: ``k[layer, head, t]`` (preallocated to block_size)."""

    def __init__(self, config):
        shape = (config.n_layer, config.n_head, config.block_size, config.head_dim)
        self.k = np.zeros(shape)
        self.v = np.zeros(shape)
        self.length = 0

    def __len__(self):
        return self.length


class LayerWeights(NamedTuple):
    """One block's matrices (views into the flat parameter or gradient vector)."""

    qkv: np.ndarray     # attn_wq, attn_wk, attn_wv stacked: [3 * n_embd, n_embd]
    wo: np.ndarray      # attn_wo
    fc1: np.ndarray     # mlp_fc1
    fc2: np.ndarray     # mlp_fc2


class Views(NamedTuple):
    """A flat vector seen as the model's matrices."""

    by_name: dict       # name -> matrix view, as in param_shapes
    layers: list        # one LayerWeights per block


class BlockActs(NamedTuple):
    """What one block's forward keeps for the backward, for every position at once."""

    x_in: np.ndarray    # the residual stream entering the block [B*n, E]
    s1: np.ndarray      # rmsnorm scale before attention
    xn: np.ndarray      # rmsnorm(x_in): the input of the q/k/v product
    q: np.ndarray       # [B, H, n, hd]
    k: np.ndarray
    v: np.ndarray
    att: np.ndarray     # attention weights [B, H, n, n]
    heads: np.ndarray   # the heads' outputs side by side [B*n, E]: the input of attn_wo
    x2: np.ndarray      # the stream after attention
    s2: np.ndarray      # rmsnorm scale before the MLP
    xn2: np.ndarray     # rmsnorm(x2): the input of mlp_fc1
    h: np.ndarray       # mlp_fc1's output, before relu
    hr: np.ndarray      # after relu: the input of mlp_fc2


class ForwardActs(NamedTuple):
    """What the whole forward keeps: the embedding sum and its norm, each block's acts, the final stream."""

    x0: np.ndarray
    s0: np.ndarray
    blocks: list
    x: np.ndarray


def rmsnorm(x):
    """y = x * s, s = (mean(x^2) + eps)^-1/2 per row.  Returns (y, s)."""
    s = (np.add.reduce(x * x, -1, keepdims=True) * (1 / x.shape[-1]) + 1e-5) ** -0.5
    return x * s, s


def rmsnorm_backward(x, s, dy):
    """dx = s dy - x s^3 (x . dy) / n   (from dy/dx = s I + x ds/dx, ds/dx = -s^3 x / n)."""
    c = np.add.reduce(x * dy, -1, keepdims=True) * (s * s * s) * (1 / x.shape[-1])
    return s * dy - x * c


class NumpyGPT:
    """microgpt in numpy (float64): whole sequences under a causal mask, hand-written backward."""

    engine = "numpy"
    capabilities = frozenset({"logits", "residual_stream", "mlp_hidden", "train_step_batch"})

    def __init__(self, config, weights, residual=True):
        check_weights(config, weights)
        self.config = config
        self.residual = bool(residual)
        self.shapes = param_shapes(config)
        # One flat vector holds every parameter, in initialisation order; matrices are views into it.
        self.theta = np.concatenate([np.asarray(weights[name], dtype=np.float64).ravel() for name in self.shapes])
        self.grad = np.zeros_like(self.theta)
        self.m = np.zeros_like(self.theta)  # Adam's first moment
        self.v = np.zeros_like(self.theta)  # Adam's second moment
        self.t = 0
        self.param_views = self._views(self.theta)  # Views: by_name and per-layer matrices of theta ...
        self.grad_views = self._views(self.grad)    # ... and of grad
        self.inv_sqrt = (config.head_dim ** 0.5) ** -1
        T = config.block_size
        self.mask = np.triu(np.full((T, T), -np.inf), 1)  # -inf above the diagonal: no looking ahead

    def _views(self, flat):
        views, offsets, i = {}, {}, 0
        for name, (rows, cols) in self.shapes.items():
            views[name] = flat[i:i + rows * cols].reshape(rows, cols)
            offsets[name] = i
            i += rows * cols
        E = self.config.n_embd
        layers = []
        for li in range(self.config.n_layer):
            p = f"layer{li}."
            start = offsets[p + "attn_wq"]  # wq, wk, wv are adjacent: one (3E, E) matrix
            qkv = flat[start:start + 3 * E * E].reshape(3 * E, E)
            layers.append(LayerWeights(qkv, views[p + "attn_wo"], views[p + "mlp_fc1"], views[p + "mlp_fc2"]))
        return Views(views, layers)

    # -- forward and backward over a batch of sequences ------------------------------------------
    def _forward(self, idx, keep=False):
        """idx: int array [B, n] -> logits [B*n, V] (and the activations the backward needs)."""
        c = self.config
        (P, layers), B, n = self.param_views, idx.shape[0], idx.shape[1]
        E, H, hd = c.n_embd, c.n_head, c.head_dim
        x0 = (P["wte"][idx] + P["wpe"][:n]).reshape(B * n, E)
        x, s0 = rmsnorm(x0)
        mask = self.mask[:n, :n]
        acts = []
        for Wqkv, Wo, W1, W2 in layers:
            x_in = x
            xn, s1 = rmsnorm(x_in)
            qkv = (xn @ Wqkv.T).reshape(B, n, 3, H, hd).transpose(2, 0, 3, 1, 4)  # [3, B, H, n, hd]
            q, k, v = qkv
            att = q @ k.transpose(0, 1, 3, 2)                   # [B, H, n, n]: every query . every key
            att *= self.inv_sqrt
            att += mask
            att -= att.max(-1, keepdims=True)
            np.exp(att, out=att)
            att /= np.add.reduce(att, -1, keepdims=True)       # softmax over the keys
            heads = (att @ v).transpose(0, 2, 1, 3).reshape(B * n, E)  # concat the heads
            x2 = heads @ Wo.T
            if self.residual:
                x2 += x_in
            xn2, s2 = rmsnorm(x2)
            h = xn2 @ W1.T
            hr = np.maximum(h, 0.0)
            x = hr @ W2.T
            if self.residual:
                x += x2
            if keep:
                acts.append(BlockActs(x_in, s1, xn, q, k, v, att, heads, x2, s2, xn2, h, hr))
        logits = x @ P["lm_head"].T
        return logits, ForwardActs(x0, s0, acts, x)

    def _cross_entropy(self, logits, targets, weight):
        """Mean cross-entropy (``weight`` [B*n] per position) and dL/dlogits; a log(0) raises DivergedError.

        loss = logsumexp(z) - z[target];  dL/dz = softmax(z) - onehot(target).
        """
        z = logits - logits.max(-1, keepdims=True)
        e = np.exp(z)
        total = np.add.reduce(e, -1, keepdims=True)
        onehot = targets[:, None] == np.arange(self.config.vocab_size)
        if not np.all(e[onehot] > 0):          # the other engines take log(p_target) of a p_target of 0
            raise diverged()
        loss = float(weight @ (np.log(total[:, 0]) - z[onehot]))
        check_finite(loss)
        dlogits = e / total
        dlogits -= onehot
        dlogits *= weight[:, None]
        return loss, dlogits

    def _loss_and_backward(self, idx, targets, weight):
        """Mean cross-entropy (``weight`` [B*n] per position) and all gradients into ``self.grad``."""
        c = self.config
        (P, layers), (G, glayers) = self.param_views, self.grad_views
        B, n = idx.shape
        E, H, hd = c.n_embd, c.n_head, c.head_dim
        logits, fwd = self._forward(idx, keep=True)
        loss, dlogits = self._cross_entropy(logits, targets, weight)
        np.matmul(dlogits.T, fwd.x, out=G["lm_head"])
        dx = dlogits @ P["lm_head"]
        for li in range(c.n_layer - 1, -1, -1):
            Wqkv, Wo, W1, W2 = layers[li]
            gWqkv, gWo, gW1, gW2 = glayers[li]
            x_in, s1, xn, q, k, v, att, heads, x2, s2, xn2, h, hr = fwd.blocks[li]
            # mlp: x = x2 + W2 relu(W1 rmsnorm(x2))
            np.matmul(dx.T, hr, out=gW2)
            dh = dx @ W2
            dh *= h > 0                                          # relu passes gradient where h > 0
            np.matmul(dh.T, xn2, out=gW1)
            dx2 = rmsnorm_backward(x2, s2, dh @ W1)
            if self.residual:
                dx2 += dx
            # attention: x2 = x_in + Wo concat_h(softmax(q k^T / sqrt(d) + mask) v)
            np.matmul(dx2.T, heads, out=gWo)
            dheads = (dx2 @ Wo).reshape(B, n, H, hd).transpose(0, 2, 1, 3)  # [B, H, n, hd]
            datt = dheads @ v.transpose(0, 1, 3, 2)              # d/d(att) of att @ v
            dv = att.transpose(0, 1, 3, 2) @ dheads
            datt -= np.add.reduce(datt * att, -1, keepdims=True)  # softmax backward: p * (dp - sum p dp)
            datt *= att
            datt *= self.inv_sqrt
            dq = datt @ k
            dk = datt.transpose(0, 1, 3, 2) @ q
            dqkv = np.stack((dq, dk, dv)).transpose(1, 3, 0, 2, 4).reshape(B * n, 3 * E)
            np.matmul(dqkv.T, xn, out=gWqkv)
            dx = rmsnorm_backward(x_in, s1, dqkv @ Wqkv)
            if self.residual:
                dx += dx2
        self._embedding_backward(idx, rmsnorm_backward(fwd.x0, fwd.s0, dx))
        return loss

    def _embedding_backward(self, idx, dx0):
        """x0 = wte[token] + wpe[position]: each row's gradient is the sum of dx0 over where it was used."""
        G, (B, n) = self.grad_views.by_name, idx.shape
        onehot = idx.reshape(-1)[:, None] == np.arange(self.config.vocab_size)
        np.matmul(onehot.T.astype(np.float64), dx0, out=G["wte"])
        G["wpe"][n:] = 0.0
        np.add.reduce(dx0.reshape(B, n, self.config.n_embd), 0, out=G["wpe"][:n])

    def _batch(self, docs):
        """Token lists -> (inputs [B, n], targets [B*n], per-position loss weights [B*n])."""
        if isinstance(docs, (str, bytes)) or not hasattr(docs, "__len__") or not len(docs):
            raise MicrogptError("train_step_batch needs a non-empty list of token lists")
        docs = [check_tokens(tokens, self.config, min_len=2) for tokens in docs]
        T = self.config.block_size
        lengths = [min(T, len(tokens) - 1) for tokens in docs]
        B, n = len(docs), max(lengths)
        idx = np.zeros((B, n), dtype=np.intp)
        tgt = np.zeros((B, n), dtype=np.intp)
        weight = np.zeros((B, n))
        for b, (tokens, nb) in enumerate(zip(docs, lengths)):
            idx[b, :nb] = tokens[:nb]
            tgt[b, :nb] = tokens[1:nb + 1]
            weight[b, :nb] = 1 / (nb * B)   # mean over the document's positions, then over the batch
        return idx, tgt.reshape(-1), weight.reshape(-1)

    def _sequence(self, tokens):
        """One document -> (inputs [1, n], targets [n], loss weights [n] of 1/n)."""
        tokens = check_tokens(tokens, self.config, min_len=2)
        n = min(self.config.block_size, len(tokens) - 1)
        idx = np.array([tokens[:n]], dtype=np.intp)
        return idx, np.array(tokens[1:n + 1], dtype=np.intp), np.full(n, 1 / n)

    def _prefix(self, tokens):
        """At most block_size tokens as an input array [1, T] (for the forward-only inspections)."""
        return np.array([check_tokens(tokens, self.config)[: self.config.block_size]], dtype=np.intp)

    def _adam(self, lr):
        """Adam on the flat parameter vector: the same update as ``optim.Adam``, a few numpy calls in all."""
        beta1, beta2, eps = ADAM
        self.t += 1
        g, m, v = self.grad, self.m, self.v
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        denom = np.sqrt(v * (1 / (1 - beta2 ** self.t)))
        denom += eps
        step = m * (lr / (1 - beta1 ** self.t))
        step /= denom
        self.theta -= step

    def _checked_step(self, inputs, lr):
        """Backward, then Adam only if the loss and every gradient are finite (else DivergedError)."""
        loss = self._loss_and_backward(*inputs)
        check_finite(loss, bool(np.isfinite(self.grad).all()))
        self._adam(lr)
        return loss

    # -- the engine interface --------------------------------------------------------------------
    def train_step(self, tokens, lr):
        """Forward, backward and one Adam update on one document; returns the loss.

        A loss or gradient that is not finite (or a log(0)) raises DivergedError before any weight changes.
        """
        return self._checked_step(self._sequence(tokens), lr)

    def train_step_batch(self, docs, lr):
        """One Adam update on a batch of documents; returns the mean of their mean losses."""
        return self._checked_step(self._batch(docs), lr)

    def eval_loss(self, tokens):
        """The loss as a float: the forward pass only, no backward."""
        idx, targets, weight = self._sequence(tokens)
        return self._cross_entropy(self._forward(idx)[0], targets, weight)[0]

    def loss_and_grads(self, tokens):
        """The loss and every weight's gradient, as floats (does not update the weights)."""
        loss = self._loss_and_backward(*self._sequence(tokens))
        return loss, {name: view.tolist() for name, view in self.grad_views.by_name.items()}

    def logits(self, tokens):
        """Logits of every position of ``tokens`` in one causal forward pass: [T][vocab_size]."""
        return self._forward(self._prefix(tokens))[0].tolist()

    def new_cache(self):
        return NumpyKVCache(self.config)

    def next_logits(self, token_id, pos_id, cache):
        """Logits after one more token, reading and extending the KV cache (for sampling)."""
        c = self.config
        check_token_id(token_id, c)
        check_position(pos_id, c)
        P, layers = self.param_views
        H, hd, T = c.n_head, c.head_dim, pos_id + 1
        x, _ = rmsnorm(P["wte"][token_id] + P["wpe"][pos_id])
        for li, (Wqkv, Wo, W1, W2) in enumerate(layers):
            xn, _ = rmsnorm(x)
            q, k, v = (Wqkv @ xn).reshape(3, H, hd)
            cache.k[li, :, pos_id] = k
            cache.v[li, :, pos_id] = v
            att = (cache.k[li, :, :T] @ q[:, :, None])[:, :, 0] * self.inv_sqrt  # [H, T]
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            heads = (att[:, None, :] @ cache.v[li, :, :T]).reshape(-1)
            x2 = Wo @ heads + x if self.residual else Wo @ heads
            h = np.maximum(W1 @ rmsnorm(x2)[0], 0.0)
            x = W2 @ h + x2 if self.residual else W2 @ h
        cache.length = T
        return (P["lm_head"] @ x).tolist()

    def attention_maps(self, tokens):
        """Attention weights for a token sequence: [n_layer][n_head][T][T], zeros above the diagonal."""
        return [block.att[0].tolist() for block in self._forward(self._prefix(tokens), keep=True)[1].blocks]

    def weights(self):
        """Current weights as plain floats, name -> [rows][cols]."""
        return {name: view.tolist() for name, view in self.param_views.by_name.items()}

    # -- inspection, for the chapters that look inside the model -----------------------------------
    def residual_stream(self, tokens):
        """The stream before each block and after the last: [n_layer + 1][T][n_embd] (used by chapter 6)."""
        fwd = self._forward(self._prefix(tokens), keep=True)[1]
        return [block.x_in.tolist() for block in fwd.blocks] + [fwd.x.tolist()]

    def mlp_hidden(self, tokens):
        """Each block's MLP pre-activations fc1(rmsnorm(x)): [n_layer][T][4 * n_embd] (used by chapter 5)."""
        return [block.h.tolist() for block in self._forward(self._prefix(tokens), keep=True)[1].blocks]
