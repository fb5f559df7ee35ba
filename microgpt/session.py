"""The browser's Python side: what the book's Pyodide worker runs, for the playground page and the chapter widgets.

Thin glue over the package, so the numbers are the chapters' and the command line's:
``Session(seed=42, num_steps=1000)`` followed by ``run(...)`` gives the losses of
``python -m microgpt train --seed 42 --steps 1000`` (same ``setup``, same ``training_step``).
The worker talks to it only through :func:`dispatch`: one JSON request in, one JSON
reply out, always. Bad input and failures come back as ``{"error": "<one line>"}`` and
leave the worker usable (the page then offers Train, Reset and Generate again).

Standard library only: it runs in the browser, where there is no numpy.
"""
import json
import math
import time

from . import hparams, setup
from .engines import ENGINES
from .errors import DivergedError, MicrogptError
from .model import count_params
from .sample import check_prompt, generate_many, next_token_probs
from .train import training_step

MAX_PASTED_CHARS = 2_000_000
MAX_VOCAB = 500
MAX_NAMES = 200  # one Generate click


def best_engine():
    """The fused engine (fastest in pure Python) when the package has it, else the scalar one."""
    return "fused" if "fused" in ENGINES else "scalar"


def diverged_message(step, learning_rate):
    return (f"training diverged at step {step}: the loss is no longer a finite number; "
            f"the learning rate {learning_rate:g} is too large: try a smaller one (0.01 works) and press Reset")


class Session:
    """One training run: seeded data order, tokenizer, model and the sampling random stream."""

    def __init__(self, seed=42, num_steps=1000, learning_rate=0.01, text=None, engine=None):
        seed = hparams.check("seed", seed)
        num_steps = hparams.check("steps", num_steps)
        learning_rate = hparams.check("learning_rate", learning_rate)
        if text is not None and len(text) > MAX_PASTED_CHARS:
            raise MicrogptError(f"the pasted data has {len(text):,} characters; paste at most {MAX_PASTED_CHARS:,}")
        self.engine = engine or best_engine()
        # microgpt.setup: seeded rng -> shuffled documents -> tokenizer -> init_weights.
        self.model, self.docs, self.tokenizer, self.rng = setup(seed, engine=self.engine, text=text)
        if self.tokenizer.vocab_size > MAX_VOCAB:
            raise MicrogptError(f"the pasted data uses {self.tokenizer.vocab_size - 1} different characters; "
                                f"the playground takes at most {MAX_VOCAB - 1}")
        self.seed, self.num_steps, self.learning_rate = seed, num_steps, learning_rate
        self.step = 0
        self.diverged = None  # the one-line message once training has left the finite numbers

    def info(self):
        config = self.model.config
        return {"docs": len(self.docs), "vocab": self.tokenizer.vocab_size, "chars": "".join(self.tokenizer.chars),
                "params": count_params(config), "engine": self.engine, "seed": self.seed,
                "steps": self.num_steps, "learningRate": self.learning_rate, "step": self.step,
                "blockSize": config.block_size, "nLayer": config.n_layer, "nHead": config.n_head,
                "examples": self.docs[:5]}

    def train_one(self):
        """One step of ``microgpt.train``'s loop (``microgpt.train.training_step``); returns the loss."""
        if self.diverged:
            raise MicrogptError(self.diverged)
        try:
            loss = training_step(self.model, self.docs, self.tokenizer, self.step, self.num_steps, self.learning_rate)
        except DivergedError:
            self.diverged = diverged_message(self.step + 1, self.learning_rate)
            raise MicrogptError(self.diverged) from None
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            # An engine without the DivergedError check: log(0) or an overflow inside the step.
            if isinstance(exc, MicrogptError):
                raise
            self.diverged = diverged_message(self.step + 1, self.learning_rate)
            raise MicrogptError(self.diverged) from None
        if not math.isfinite(loss):
            self.diverged = diverged_message(self.step + 1, self.learning_rate)
            raise MicrogptError(self.diverged)
        self.step += 1
        return loss

    def run(self, budget_ms=40.0, max_steps=None):
        """Train until ``budget_ms`` has passed (at least one step) or the run is over.

        A step that fails ends the slice: the reply has the losses of the steps before it and ``error``.
        """
        start, losses, error = time.perf_counter(), [], None
        left = self.num_steps - self.step
        if max_steps is not None:
            left = min(left, int(max_steps))
        deadline = start + budget_ms / 1000
        while left > 0:
            try:
                losses.append(self.train_one())
            except MicrogptError as exc:
                error = str(exc)
                break
            left -= 1
            if time.perf_counter() >= deadline:
                break
        reply = {"first": self.step - len(losses), "losses": losses, "step": self.step,
                 "done": self.step >= self.num_steps, "seconds": time.perf_counter() - start}
        if error:
            reply["error"] = error
        return reply

    def _ids(self, text):
        return [self.tokenizer.BOS] + check_prompt(text, self.tokenizer, self.model.config.block_size)

    def attention(self, text):
        """Attention weights for BOS + ``text``: [n_layer][n_head][T][T] (row: the position that looks)."""
        ids = self._ids(text)
        return {"labels": ["BOS"] + list(text), "maps": self.model.attention_maps(ids), "step": self.step}

    def generate(self, n, temperature):
        n = hparams.check("samples", n)
        if n > MAX_NAMES:
            raise MicrogptError(f"the page draws at most {MAX_NAMES} names at a time, got {n}")
        temperature = hparams.check("temperature", temperature)
        return {"samples": generate_many(self.model, self.tokenizer, self.rng, n, temperature),
                "temperature": temperature, "step": self.step}

    def probs(self, prefix, temperature):
        """Probabilities of the next character after BOS + ``prefix``; "end" is BOS (the name stops)."""
        temperature = hparams.check("temperature", temperature)
        ids = self._ids(prefix)
        cache = self.model.new_cache()
        for pos_id, token_id in enumerate(ids):
            logits = self.model.next_logits(token_id, pos_id, cache)
        p = next_token_probs(logits, temperature)
        labels = self.tokenizer.chars + ["end"]
        return {"prefix": prefix, "temperature": temperature, "step": self.step,
                "probs": sorted(([labels[i], p[i]] for i in range(len(p))), key=lambda lp: -lp[1])}


SESSIONS = {}  # name -> Session: "main" for the playground page, "dashboard" for chapter 13's widget


def _session(req):
    name = req.pop("session", "main")
    if name not in SESSIONS:
        raise MicrogptError("there is no model yet; press Reset")
    return SESSIONS[name]


def _reset(req):
    name = req.pop("session", "main")
    SESSIONS[name] = Session(req["seed"], req["steps"], req["learningRate"], req.get("text"))
    return SESSIONS[name].info()


def _ops():
    from . import live
    return {
        "reset": _reset,
        "info": lambda req: _session(req).info(),
        "run": lambda req: _session(req).run(req.get("budgetMs", 40.0), req.get("maxSteps")),
        "attention": lambda req: _session(req).attention(req["text"]),
        "generate": lambda req: _session(req).generate(req["n"], req["temperature"]),
        "probs": lambda req: _session(req).probs(req["prefix"], req["temperature"]),
        "limits": lambda req: {"limits": json.loads(hparams.limits_json())},
        **live.OPS,
    }


def one_line(exc):
    """An exception as one line for the page's status area."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, MicrogptError) else f"{type(exc).__name__} in the Python worker: {text}"


def dispatch(request_json):
    """One request from the worker -> one JSON reply (``{"error": ...}`` on any failure, never an exception)."""
    op = "?"
    try:
        req = json.loads(request_json)
        op = req.pop("op")
        ops = _ops()
        if op not in ops:
            raise MicrogptError(f"unknown request {op!r}")
        reply = ops[op](req)
    except KeyError as exc:
        reply = {"error": f"the request {op!r} lacks the field {exc.args[0]!r}"}
    except Exception as exc:  # the page must get an answer, whatever went wrong
        reply = {"error": one_line(exc)}
    reply["op"] = op
    return json.dumps(reply, allow_nan=False) if _finite(reply) else json.dumps(
        {"op": op, "error": "the reply held a number that is not finite"})


def _finite(obj):
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(_finite(v) for v in obj)
    return True
