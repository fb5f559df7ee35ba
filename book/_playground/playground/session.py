"""The playground's Python side: runs inside Pyodide, in the page's Web Worker.

Thin glue over the microgpt package, so the numbers are the chapters' and the
command line's: ``Session(seed=42, num_steps=1000)`` followed by ``run(...)`` gives
the losses of ``python -m microgpt train --seed 42 --steps 1000``. Every method
returns a JSON string; bad input comes back as ``{"error": "<one line>"}``.
"""
import json
import math
import time

import microgpt
from microgpt import (GPTConfig, MicrogptError, Tokenizer, count_params, generate_many, init_weights,
                      make_model, make_rng, next_token_probs, parse_docs, shuffle_docs)
from microgpt.optim import linear_decay
from microgpt.sample import check_prompt
from microgpt.train import check_steps

MAX_STEPS = 100_000
MAX_PASTED_CHARS = 2_000_000
MAX_VOCAB = 500


def best_engine():
    """The fused engine (fastest in pure Python) when the package has it, else the scalar one."""
    return "fused" if "fused" in microgpt.ENGINES else "scalar"


def _check_number(name, value, low, high, whole=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        raise MicrogptError(f"{name} must be {kind}, got {value!r}")
    if not low <= value <= high:
        raise MicrogptError(f"{name} must be between {low} and {high}, got {value:g}")
    return int(value) if whole else float(value)


class Session:
    """One training run: seeded data order, tokenizer, model and the sampling random stream."""

    def __init__(self, seed=42, num_steps=1000, learning_rate=0.01, text=None, engine=None):
        seed = _check_number("the seed", seed, 0, 2**32 - 1, whole=True)
        num_steps = _check_number("the number of steps", num_steps, 1, MAX_STEPS, whole=True)
        check_steps(num_steps)
        learning_rate = _check_number("the learning rate", learning_rate, 1e-6, 1.0)
        self.engine = engine or best_engine()
        if text is None:
            # Exactly microgpt.setup: seeded rng -> shuffled names -> tokenizer -> init_weights.
            self.model, self.docs, self.tokenizer, self.rng = microgpt.setup(seed, engine=self.engine)
        else:
            if len(text) > MAX_PASTED_CHARS:
                raise MicrogptError(f"the pasted data has {len(text):,} characters; paste at most {MAX_PASTED_CHARS:,}")
            rng = make_rng(seed)
            docs = shuffle_docs(parse_docs(text, "the pasted data"), rng)
            tokenizer = Tokenizer.from_docs(docs)
            if tokenizer.vocab_size > MAX_VOCAB:
                raise MicrogptError(f"the pasted data uses {tokenizer.vocab_size - 1} different characters; "
                                    f"the playground takes at most {MAX_VOCAB - 1}")
            config = GPTConfig(vocab_size=tokenizer.vocab_size)
            self.model = make_model(self.engine, config, init_weights(config, rng))
            self.docs, self.tokenizer, self.rng = docs, tokenizer, rng
        self.seed, self.num_steps, self.learning_rate = seed, num_steps, learning_rate
        self.step = 0

    def info(self):
        return {"docs": len(self.docs), "vocab": self.tokenizer.vocab_size, "chars": "".join(self.tokenizer.chars),
                "params": count_params(self.model.config), "engine": self.engine, "seed": self.seed,
                "steps": self.num_steps, "learningRate": self.learning_rate, "step": self.step,
                "blockSize": self.model.config.block_size, "nLayer": self.model.config.n_layer,
                "nHead": self.model.config.n_head, "examples": self.docs[:5]}

    def train_one(self):
        """One step of ``microgpt.train``'s loop: next document, linearly decayed rate, ``train_step``."""
        doc = self.docs[self.step % len(self.docs)]
        tokens = self.tokenizer.encode_doc(doc)
        lr_t = linear_decay(self.step, self.num_steps, self.learning_rate)
        loss = self.model.train_step(tokens, lr_t)
        self.step += 1
        return loss

    def run(self, budget_ms=40.0, max_steps=None):
        """Train until ``budget_ms`` has passed (at least one step) or the run is over."""
        start, losses = time.perf_counter(), []
        left = self.num_steps - self.step
        if max_steps is not None:
            left = min(left, int(max_steps))
        while left > 0:
            losses.append(self.train_one())
            left -= 1
            if (time.perf_counter() - start) * 1000 >= budget_ms:
                break
        return {"first": self.step - len(losses), "losses": losses, "step": self.step,
                "done": self.step >= self.num_steps, "seconds": time.perf_counter() - start}

    def _ids(self, text):
        return [self.tokenizer.BOS] + check_prompt(text, self.tokenizer, self.model.config.block_size)

    def attention(self, text):
        """Attention weights for BOS + ``text``: [n_layer][n_head][T][T] (row: the position that looks)."""
        ids = self._ids(text)
        labels = ["BOS"] + list(text)
        return {"labels": labels, "maps": self.model.attention_maps(ids), "step": self.step}

    def generate(self, n, temperature):
        n = _check_number("the number of names", n, 0, 200, whole=True)
        temperature = _check_number("the temperature", temperature, 0, 10)
        return {"samples": generate_many(self.model, self.tokenizer, self.rng, n, temperature),
                "temperature": temperature, "step": self.step}

    def probs(self, prefix, temperature):
        """Probabilities of the next character after BOS + ``prefix``; "end" is BOS (the name stops)."""
        temperature = _check_number("the temperature", temperature, 0, 10)
        ids = self._ids(prefix)
        cache = self.model.new_cache()
        for pos_id, token_id in enumerate(ids):
            logits = self.model.next_logits(token_id, pos_id, cache)
        p = next_token_probs(logits, temperature)
        labels = self.tokenizer.chars + ["end"]
        return {"prefix": prefix, "temperature": temperature, "step": self.step,
                "probs": sorted(([labels[i], p[i]] for i in range(len(p))), key=lambda lp: -lp[1])}


SESSION = None


def dispatch(request_json):
    """One request from the worker -> one JSON reply. ``{"op": "reset", ...}`` starts a new session."""
    global SESSION
    req = json.loads(request_json)
    op = req.pop("op")
    try:
        if op == "reset":
            SESSION = Session(req["seed"], req["steps"], req["learningRate"], req.get("text"))
            reply = SESSION.info()
        elif SESSION is None:
            raise MicrogptError("there is no model yet; press Reset")
        elif op == "run":
            reply = SESSION.run(req.get("budgetMs", 40.0), req.get("maxSteps"))
        elif op == "attention":
            reply = SESSION.attention(req["text"])
        elif op == "generate":
            reply = SESSION.generate(req["n"], req["temperature"])
        elif op == "probs":
            reply = SESSION.probs(req["prefix"], req["temperature"])
        elif op == "info":
            reply = SESSION.info()
        else:
            raise MicrogptError(f"unknown request {op!r}")
    except MicrogptError as exc:
        reply = {"error": str(exc)}
    reply["op"] = op
    return json.dumps(reply)
