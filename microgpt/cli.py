"""``python -m microgpt``: train, sample and inspect microgpt from the terminal.

    python -m microgpt train --steps 1000 --seed 42 --samples 20 --out model.json
    python -m microgpt sample --ckpt model.json --n 10 --temperature 0.8 --prompt em
    python -m microgpt info

Bad input prints one line, ``microgpt: error: ...``, on stderr and exits with code 2.
"""
import argparse
import json
import os
import sys

from .errors import MicrogptError

STATUS_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump)."""

    def error(self, message):
        raise MicrogptError(f"{message} (see: python -m microgpt {self.prog.split()[-1]} --help)"
                            if " " in self.prog else f"{message} (see: python -m microgpt --help)")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return value


def _temperature(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0 (0 means greedy), got {text}")
    return value


def build_parser():
    from .engines import ENGINES
    p = _Parser(prog="microgpt", description="Train and sample microgpt, a complete GPT in pure Python.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def engine_arg(sp):
        sp.add_argument("--engine", default="scalar",
                        help=f"how to compute: {', '.join(ENGINES)} (default scalar)")

    t = sub.add_parser("train", help="train on a text file, then draw samples")
    t.add_argument("--data", default=None, help="text file, one document per line (default: the packaged 2017 names)")
    t.add_argument("--steps", type=_positive_int, default=1000, help="training steps (default 1000)")
    t.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    t.add_argument("--samples", type=int, default=20, help="samples to draw after training (default 20)")
    t.add_argument("--temperature", type=_temperature, default=0.5, help="sampling temperature (default 0.5)")
    t.add_argument("--learning-rate", type=float, default=0.01, help="Adam's initial learning rate (default 0.01)")
    t.add_argument("--log-json", default=None, help='write {"losses": [...], "samples": [...]} to this file')
    t.add_argument("--out", default=None, help="save the trained model to this checkpoint (JSON)")
    t.add_argument("--stop-after", type=_positive_int, default=None,
                   help="stop after this many steps of the --steps schedule (a quick look at a long run)")
    t.add_argument("--print-every", type=_positive_int, default=100, help="print the loss every N steps (default 100)")
    engine_arg(t)

    s = sub.add_parser("sample", help="draw samples from a saved checkpoint")
    s.add_argument("--ckpt", required=True, help="checkpoint written by: train --out")
    s.add_argument("--n", type=int, default=10, help="how many samples (default 10)")
    s.add_argument("--temperature", type=_temperature, default=0.5, help="sampling temperature (default 0.5)")
    s.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    s.add_argument("--prompt", default="", help="start every sample with this text")
    engine_arg(s)

    i = sub.add_parser("info", help="print the model's configuration and parameter table")
    i.add_argument("--ckpt", default=None, help="describe this checkpoint instead of the default model")
    i.add_argument("--data", default=None, help="size the vocabulary from this text file")
    return p


def _check_writable(path, flag):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise MicrogptError(f"{flag} {path!r}: folder {folder!r} does not exist; create it first")
    if os.path.isdir(path):
        raise MicrogptError(f"{flag} {path!r} is a directory; give a file name")


def _write(line):
    """Print a line above the progress bar (tqdm.write keeps the bar intact) or plainly."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(line, flush=True)
    else:
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()


def cmd_train(args):
    from .checkpoint import atomic_write_text, save_checkpoint
    from .data import load_docs, make_rng, shuffle_docs
    from .engines import engine_class
    from .model import GPTConfig, count_params, init_weights
    from .sample import generate_many
    from .tokenizer import Tokenizer
    from .train import train

    if args.samples < 0:
        raise MicrogptError(f"--samples must be 0 or more, got {args.samples}")
    for path, flag in ((args.log_json, "--log-json"), (args.out, "--out")):
        if path:
            _check_writable(path, flag)  # fail now, not after a long training run
    engine = engine_class(args.engine)
    rng = make_rng(args.seed)
    docs = shuffle_docs(load_docs(args.data), rng)
    tokenizer = Tokenizer.from_docs(docs)
    config = GPTConfig(vocab_size=tokenizer.vocab_size)
    model = engine(config, init_weights(config, rng))
    print(f"{len(docs):,} documents | vocabulary {tokenizer.vocab_size} | {count_params(config):,} parameters "
          f"| engine {args.engine} | seed {args.seed}")

    def report(step, loss):
        if step == 0 or (step + 1) % args.print_every == 0 or step + 1 == last:
            _write(f"step {step + 1:5d} / {args.steps} | loss {loss:.4f}")

    last = args.steps if args.stop_after is None else min(args.steps, args.stop_after)

    losses = train(model, docs, tokenizer, args.steps, learning_rate=args.learning_rate,
                   progress=True, callback=report, stop_after=args.stop_after)
    samples = generate_many(model, tokenizer, rng, args.samples, args.temperature)
    if samples:
        print(f"--- {len(samples)} sample{'' if len(samples) == 1 else 's'} at temperature {args.temperature} ---")
        for s in samples:
            print(s)
    if args.out:
        save_checkpoint(args.out, model, tokenizer, steps=last, num_steps=args.steps, seed=args.seed, engine=args.engine)
        print(f"saved checkpoint to {args.out}")
    if args.log_json:
        atomic_write_text(args.log_json, json.dumps({"losses": losses, "samples": samples}))
        print(f"wrote log to {args.log_json}")
    return 0


def cmd_sample(args):
    from .checkpoint import load_checkpoint
    from .data import make_rng
    from .sample import check_prompt, generate_many

    if args.n < 0:
        raise MicrogptError(f"--n must be 0 or more, got {args.n}")
    model, tokenizer, _ = load_checkpoint(args.ckpt, engine=args.engine)
    check_prompt(args.prompt, tokenizer, model.config.block_size)
    for s in generate_many(model, tokenizer, make_rng(args.seed), args.n, args.temperature, args.prompt):
        print(s)
    return 0


def cmd_info(args):
    from .checkpoint import load_checkpoint
    from .data import load_docs
    from .model import GPTConfig, param_shapes
    from .tokenizer import Tokenizer

    if args.ckpt:
        model, tokenizer, meta = load_checkpoint(args.ckpt)
        config = model.config
    else:
        tokenizer = Tokenizer.from_docs(load_docs(args.data))
        config = GPTConfig(vocab_size=tokenizer.vocab_size)
    print("GPTConfig(" + ", ".join(f"{k}={v}" for k, v in config.to_dict().items()) + ")")
    print(f"vocabulary: {''.join(tokenizer.chars)!r} + BOS (id {tokenizer.BOS})")
    print(f"{'parameter':<18}{'shape':>10}{'count':>8}")
    total = 0
    for name, (rows, cols) in param_shapes(config).items():
        total += rows * cols
        print(f"{name:<18}{f'{rows}x{cols}':>10}{rows * cols:>8,}")
    print(f"{'total':<18}{'':>10}{total:>8,}")
    return 0


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "sample": cmd_sample, "info": cmd_info}[args.command](args)
    except MicrogptError as exc:
        print(f"microgpt: error: {exc}", file=sys.stderr)
        return STATUS_BAD_INPUT
    except KeyboardInterrupt:
        print("microgpt: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
