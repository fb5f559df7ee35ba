"""How fast is each engine? Trains the article config on every rung in one run and prints a table.

    python benchmarks/speed.py                # the full run (about a minute)
    python benchmarks/speed.py --quick        # fewer steps, for a smoke test

Every engine starts from the same weights (seed 42) and trains on the same
documents in the same order, so "tokens" (positions trained) are the same work
on every rung. Speed-ups are ratios measured in this one run, against the
scalar engine. A PyTorch row (eager mode, CPU, the same model written with
torch tensors and autograd) is added when torch is importable; it is never a
requirement of the course.
"""
import argparse
import datetime
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from microgpt import setup, train
from microgpt.engines import make_model
from microgpt.optim import ADAM, linear_decay
from microgpt.sample import next_token_probs, prefill

NUM_STEPS = 1000  # the schedule's length (the learning rate decays over 1000 steps)


def positions(docs, tok, steps, block_size):
    return sum(min(block_size, len(tok.encode_doc(docs[i % len(docs)])) - 1) for i in range(steps))


def time_training(engine, steps):
    model, docs, tok, _ = setup(42, engine=engine)
    start = time.perf_counter()
    train(model, docs, tok, NUM_STEPS, stop_after=steps)
    seconds = time.perf_counter() - start
    return seconds / steps, positions(docs, tok, steps, model.config.block_size) / seconds


def time_batched(batch, steps):
    model, docs, tok, _ = setup(42, engine="numpy")
    batches = [[tok.encode_doc(docs[(s * batch + b) % len(docs)]) for b in range(batch)] for s in range(steps)]
    n_tokens = sum(min(model.config.block_size, len(t) - 1) for b in batches for t in b)
    start = time.perf_counter()
    for s, b in enumerate(batches):
        model.train_step_batch(b, linear_decay(s, steps))
    seconds = time.perf_counter() - start
    return seconds / steps, n_tokens / seconds


def time_torch(steps):
    """The same model in PyTorch eager mode on the CPU: whole sequence, causal mask, autograd, torch Adam."""
    import torch
    model, docs, tok, _ = setup(42, engine="scalar")
    c, w = model.config, model.weights()
    torch.manual_seed(0)
    mask = torch.triu(torch.full((c.block_size, c.block_size), float("-inf"), dtype=torch.float64), 1)
    E, H, hd = c.n_embd, c.n_head, c.head_dim

    def rms(x):
        return x * (x.pow(2).mean(-1, keepdim=True) + 1e-5).rsqrt()

    def loss_fn(tokens):
        n = min(c.block_size, len(tokens) - 1)
        idx, tgt = torch.tensor(tokens[:n]), torch.tensor(tokens[1:n + 1])
        x = rms(P["wte"][idx] + P["wpe"][:n])
        for li in range(c.n_layer):
            p = f"layer{li}."
            xn = rms(x)
            q = (xn @ P[p + "attn_wq"].T).view(n, H, hd).transpose(0, 1)
            k = (xn @ P[p + "attn_wk"].T).view(n, H, hd).transpose(0, 1)
            v = (xn @ P[p + "attn_wv"].T).view(n, H, hd).transpose(0, 1)
            att = torch.softmax(q @ k.transpose(1, 2) * hd ** -0.5 + mask[:n, :n], -1)
            x = x + (att @ v).transpose(0, 1).reshape(n, E) @ P[p + "attn_wo"].T
            x = x + torch.relu(rms(x) @ P[p + "mlp_fc1"].T) @ P[p + "mlp_fc2"].T
        return torch.nn.functional.cross_entropy(x @ P["lm_head"].T, tgt)

    def run(n_steps):
        nonlocal P
        P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in w.items()}
        opt = torch.optim.Adam(P.values(), lr=0.01, betas=(ADAM.beta1, ADAM.beta2), eps=ADAM.eps)
        start = time.perf_counter()
        for step in range(n_steps):
            for group in opt.param_groups:
                group["lr"] = linear_decay(step, NUM_STEPS)
            loss = loss_fn(tok.encode_doc(docs[step % len(docs)]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    P = None
    run(10)  # warm-up: torch's first calls are slow
    seconds = run(steps)
    n_tokens = positions(docs, tok, steps, c.block_size)
    return seconds / steps, n_tokens / seconds, torch.__version__, torch.get_num_threads()


def generate_ids(model, rng, vocab_size, bos, use_cache):
    """One sample at temperature 0.5; without the cache every step recomputes all positions so far."""
    ids, cache = [bos], model.new_cache()
    while len(ids) <= model.config.block_size:
        if use_cache:
            logits = model.next_logits(ids[-1], len(ids) - 1, cache)
        else:
            logits = prefill(model, ids)[0]
        t = rng.choices(range(vocab_size), weights=next_token_probs(logits, 0.5))[0]
        if t == bos:
            break
        ids.append(t)
    return ids


def time_generation(engine, trained_weights, n):
    import random
    model, _, tok, _ = setup(42, engine="scalar")
    model = make_model(engine, model.config, trained_weights)
    out = {}
    for use_cache in (True, False):
        rng = random.Random(1)
        start = time.perf_counter()
        samples = [generate_ids(model, rng, tok.vocab_size, tok.BOS, use_cache) for _ in range(n)]
        out[use_cache] = (time.perf_counter() - start, samples)
    assert out[True][1] == out[False][1], "the KV cache must not change the samples"
    return out[True][0], out[False][0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps only (smoke test)")
    ap.add_argument("--names", type=int, default=200, help="names to generate per engine (default 200)")
    args = ap.parse_args(argv)
    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = None
    print(f"date: {datetime.date.today().isoformat()}")
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"{os.cpu_count()} CPUs | Python {platform.python_version()} | numpy {numpy_version}")
    print("model: article config (n_layer=1, n_embd=16, n_head=4, block_size=16, 4,192 parameters), "
          "seed 42, one name per step unless batched")
    print()
    engines = ["scalar", "fused"] + (["numpy"] if numpy_version else [])
    training_table(engines, args.quick)
    print()
    generation_table(engines, args.quick, 5 if args.quick else args.names)


def training_table(engines, quick):
    """Training speed of each engine (and numpy batched, and PyTorch when installed), against scalar."""
    steps = {"scalar": 3 if quick else 20, "fused": 20 if quick else 300, "numpy": 100 if quick else 2000}
    batch, batch_steps = 32, 20 if quick else 200
    rows = [(engine, steps[engine], *time_training(engine, steps[engine])) for engine in engines]
    if "numpy" in engines:
        rows.append((f"numpy, batch {batch}", batch_steps, *time_batched(batch, batch_steps)))
    torch_note = None
    try:
        sec, tps, tv, threads = time_torch(20 if quick else 500)
        rows.append(("pytorch eager CPU", 20 if quick else 500, sec, tps))
        torch_note = f"pytorch {tv}, {threads} threads, float64, autograd + torch.optim.Adam"
    except ImportError:
        pass
    base_tps = rows[0][3]
    print(f"{'training':<20}{'steps':>7}{'s/step':>12}{'tokens/s':>12}{'speed-up':>11}")
    for name, n, sec, tps in rows:
        print(f"{name:<20}{n:>7}{sec:>12.6f}{tps:>12,.0f}{tps / base_tps:>10,.0f}x")
    print("(speed-up: tokens/s over the scalar engine's; the batched row's step trains "
          f"{batch} names)")
    if torch_note:
        print(f"({torch_note})")


def generation_table(engines, quick, n_names):
    """Sampling time of each engine with and without the KV cache, on weights trained by the fused engine."""
    model, docs, tok, _ = setup(42, engine="fused")
    train(model, docs, tok, NUM_STEPS, stop_after=5 if quick else None)
    trained = model.weights()
    print(f"{'generation':<20}{'names':>7}{'KV cache s':>12}{'no cache s':>12}{'cache gain':>11}")
    for engine in engines:
        n = max(1, n_names // 20) if engine == "scalar" else n_names
        with_cache, without = time_generation(engine, trained, n)
        print(f"{engine:<20}{n:>7}{with_cache:>12.4f}{without:>12.4f}{without / with_cache:>10.1f}x")
    print("(temperature 0.5 after 1000 fused training steps; 'no cache' recomputes every earlier position "
          "for each new token; both give the same names)")


if __name__ == "__main__":
    main()
