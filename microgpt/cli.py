"""``python -m microgpt``: train, sample and inspect microgpt from the terminal.

    python -m microgpt train --steps 1000 --seed 42 --samples 20 --out model.json
    python -m microgpt sample --ckpt model.json --n 10 --temperature 0.8 --prompt em
    python -m microgpt info

Bad input prints one line, ``microgpt: error: ...``, on stderr and exits with code 2.
The user's files are never lost: every output path is checked before training
starts (not the data file, not a folder or device, not named twice, in a writable
folder), files are written atomically, and a save that still fails after training
goes to a fallback file whose name is printed. If stdout is closed early
(``train ... | head -1``) training still finishes and saves; without a file to save
the run stops, with exit status 141 as if killed by SIGPIPE. Ctrl-C prints one line
and exits 130. Text the terminal cannot encode is printed with backslash escapes.
"""
import argparse
import os
import sys
import time

from . import hparams
from .errors import INTERRUPTED, MathDomainError, MicrogptError, exit_quietly_on_ctrl_c

STATUS_BAD_INPUT = 2
STATUS_INTERRUPTED = 130
STATUS_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a program killed by a closed pipe


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump)."""

    def error(self, message):
        raise MicrogptError(f"{message} (see: python -m microgpt {self.prog.split()[-1]} --help)"
                            if " " in self.prog else f"{message} (see: python -m microgpt --help)")


def _hparam(name):
    """An argparse type: the flag's text, checked against ``hparams.LIMITS[name]``."""
    def parse(text):
        value = text
        for convert in ((int, float) if hparams.LIMITS[name].whole else (float,)):
            try:
                value = convert(text)
                break
            except ValueError:
                pass
        try:
            return hparams.check(name, value)
        except MicrogptError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = name  # argparse names the type in some messages
    return parse


def build_parser():
    from .engines import ENGINES
    p = _Parser(prog="microgpt", description="Train and sample microgpt, a complete GPT in pure Python.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def engine_arg(sp):
        sp.add_argument("--engine", default="scalar",
                        help=f"how to compute: {', '.join(ENGINES)} (default scalar)")

    t = sub.add_parser("train", help="train on a text file, then draw samples")
    t.add_argument("--data", default=None, help="text file, one document per line (default: the packaged 2017 names)")
    t.add_argument("--steps", type=_hparam("steps"), default=1000, help="training steps (default 1000)")
    t.add_argument("--seed", type=_hparam("seed"), default=42, help="random seed (default 42)")
    t.add_argument("--samples", type=_hparam("samples"), default=20, help="samples to draw after training (default 20)")
    t.add_argument("--temperature", type=_hparam("temperature"), default=0.5, help="sampling temperature (default 0.5)")
    t.add_argument("--learning-rate", type=_hparam("learning_rate"), default=0.01,
                   help="Adam's initial learning rate (default 0.01)")
    t.add_argument("--log-json", default=None, help='write {"losses": [...], "samples": [...]} to this file')
    t.add_argument("--out", default=None, help="save the trained model to this checkpoint (JSON)")
    t.add_argument("--stop-after", type=_hparam("steps"), default=None,
                   help="stop after this many steps of the --steps schedule (a quick look at a long run)")
    t.add_argument("--print-every", type=_hparam("print_every"), default=100,
                   help="print the loss every N steps (default 100)")
    engine_arg(t)

    s = sub.add_parser("sample", help="draw samples from a saved checkpoint")
    s.add_argument("--ckpt", required=True, help="checkpoint written by: train --out")
    s.add_argument("--n", type=_hparam("samples"), default=10, help="how many samples (default 10)")
    s.add_argument("--temperature", type=_hparam("temperature"), default=0.5, help="sampling temperature (default 0.5)")
    s.add_argument("--seed", type=_hparam("seed"), default=42, help="random seed (default 42)")
    s.add_argument("--prompt", default="", help="start every sample with this text")
    engine_arg(s)

    i = sub.add_parser("info", help="print the model's configuration and parameter table")
    i.add_argument("--ckpt", default=None, help="describe this checkpoint instead of the default model")
    i.add_argument("--data", default=None, help="size the vocabulary from this text file")
    return p


# -- output: stdout may be closed early, or unable to encode a sample ---------------
class _StdoutClosed(Exception):
    """stdout was closed (``| head``) and there is no file to save: stop the run."""


class _Run:
    """What one command has done so far, for honest messages and exit codes."""

    def __init__(self):
        self.keep_going_without_stdout = False  # True when the run has files to save
        self.stdout_closed = False
        self.saved = []                         # files written so far
        self.failed = False                     # a save went to a fallback file (or nowhere)

    def print(self, line):
        """Print a line (above the progress bar, if tqdm is there); survive a closed stdout."""
        if self.stdout_closed:
            return
        try:
            try:
                from tqdm import tqdm
            except ImportError:
                print(line)
            else:
                tqdm.write(line, file=sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            self.stdout_closed = True
            _point_stdout_at_devnull()
            if not self.keep_going_without_stdout:
                raise _StdoutClosed from None

    def interrupted_message(self):
        if not self.saved:
            return INTERRUPTED
        return f"microgpt: interrupted; already saved {', '.join(repr(p) for p in self.saved)}"


def _point_stdout_at_devnull():
    """Send whatever else goes to stdout nowhere (so Python's final flush does not fail again)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _print_error(line):
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed too: nothing more we can say
        pass


def _safe_streams():
    """Characters the terminal cannot encode are printed as backslash escapes, never an exception."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


# -- checking the output paths before training ------------------------------------
def _identity(path):
    """What makes two paths the same file: (device, inode) if it exists, else its resolved name."""
    try:
        info = os.stat(path)
    except OSError:
        return os.path.normcase(os.path.realpath(path))
    return (info.st_dev, info.st_ino)


def _packaged_data_path():
    import importlib.resources

    from .data import PACKAGED_NAMES
    try:
        return os.fspath(importlib.resources.files("microgpt") / "data" / PACKAGED_NAMES)
    except TypeError:  # inside a zip: cannot be written anyway
        return None


def _looks_like(path, prefix):
    """True if the file at ``path`` is empty or starts with ``prefix`` (what this program writes there)."""
    with open(path, "rb") as f:
        head = f.read(len(prefix))
    return head in (b"", prefix)


def check_outputs(outputs, data_path):
    """Refuse, before any training, an output that would destroy a file or could not be written.

    ``outputs`` is a list of ``(flag, path, prefix)``: ``prefix`` is how a file this
    program wrote there starts, so an existing file that is something else is refused.
    """
    from .checkpoint import _open_temp, writable_target
    data = data_path if data_path is not None else _packaged_data_path()
    seen = {}  # identity -> why that file must not be written
    if data is not None and os.path.exists(data):
        seen[_identity(data)] = "is the data file; writing there would destroy it"
    for flag, path, prefix in outputs:
        if path is None:
            continue
        if path == "":
            raise MicrogptError(f"{flag} needs a file name")
        target = writable_target(path, flag)
        key = _identity(target)
        if key in seen:
            raise MicrogptError(f"{flag} {path!r} {seen[key]}: give another file name")
        seen[key] = f"is also given to {flag}; each output needs its own file"
        if os.path.exists(target):
            if not os.access(target, os.W_OK):
                raise MicrogptError(f"{flag} {path!r} is read-only; make it writable or give another file name")
            try:
                ours = _looks_like(target, prefix)
            except OSError as exc:
                raise MicrogptError(f"{flag} {path!r} cannot be read ({exc.strerror}); "
                                    "give another file name") from None
            if not ours:
                kind = "checkpoint" if flag == "--out" else "log"
                raise MicrogptError(f"{flag} {path!r} exists and is not a microgpt {kind}; "
                                    "refusing to overwrite it: delete it or give another file name")
        folder = os.path.dirname(target)
        try:  # the only honest test of "can I write here": try it
            fd, probe = _open_temp(folder, os.path.basename(target))
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise MicrogptError(f"{flag} {path!r}: cannot write in folder {folder!r} ({exc.strerror}); "
                                "give a path in a writable folder") from None


def _fallback_path(path):
    """A new file name for a save that failed: next to ``path``, else here, else in the temp folder."""
    import tempfile
    stem, ext = os.path.splitext(os.path.basename(path))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (os.path.dirname(os.path.abspath(path)), os.getcwd(), tempfile.gettempdir()):
        for n in range(100):
            candidate = os.path.join(folder, f"{stem}.recovered-{stamp}{'-' + str(n) if n else ''}{ext or '.json'}")
            if not os.path.lexists(candidate):
                yield candidate
                break


def _save(run, path, text, what):
    """Write ``text`` to ``path``; if that fails, to a fallback file, saying so in one line."""
    from .checkpoint import atomic_write_text
    try:
        atomic_write_text(path, text, what)
    except MicrogptError as exc:
        run.failed = True
        for fallback in _fallback_path(path):
            try:
                atomic_write_text(fallback, text, what)
            except MicrogptError:
                continue
            run.saved.append(fallback)
            _print_error(f"microgpt: error: {exc}; saved the {what} to {fallback!r} instead")
            return
        _print_error(f"microgpt: error: {exc}; no fallback file could be written either, the {what} is lost")
        return
    run.saved.append(path)
    run.print(f"saved {what} to {path}")


# -- the commands ------------------------------------------------------------------
def cmd_train(args, run):
    import json

    from .checkpoint import FORMAT, checkpoint_dict
    from .data import load_docs, make_rng, shuffle_docs
    from .engines import engine_class
    from .model import GPTConfig, count_params, init_weights
    from .sample import generate_many
    from .tokenizer import Tokenizer
    from .train import train

    check_outputs([("--out", args.out, b'{"format": "' + FORMAT.encode()),
                   ("--log-json", args.log_json, b'{"losses": ')], args.data)
    run.keep_going_without_stdout = bool(args.out or args.log_json)
    engine = engine_class(args.engine)
    rng = make_rng(args.seed)
    docs = shuffle_docs(load_docs(args.data), rng)
    tokenizer = Tokenizer.from_docs(docs)
    config = GPTConfig(vocab_size=tokenizer.vocab_size)
    model = engine(config, init_weights(config, rng))
    run.print(f"{len(docs):,} documents | vocabulary {tokenizer.vocab_size} | {count_params(config):,} parameters "
              f"| engine {args.engine} | seed {args.seed}")

    last = args.steps if args.stop_after is None else min(args.steps, args.stop_after)

    done = [0]  # steps finished, for the message if training diverges

    def report(step, loss):
        done[0] = step + 1
        if step == 0 or (step + 1) % args.print_every == 0 or step + 1 == last:
            run.print(f"step {step + 1:5d} / {args.steps} | loss {loss:.4f}")

    try:
        losses = train(model, docs, tokenizer, args.steps, learning_rate=args.learning_rate,
                       progress=True, callback=report, stop_after=args.stop_after)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, MicrogptError) and not isinstance(exc, MathDomainError):
            raise  # bad input, or DivergedError (which names the step itself)
        # The numbers left the floats inside an engine (a probability rounded to 0, an overflow).
        raise MicrogptError(f"training diverged at step {done[0] + 1} ({exc}); nothing was saved: "
                            f"try a smaller --learning-rate than {args.learning_rate:g}") from None
    if args.out:  # save first: sampling or printing cannot lose the trained model
        _save(run, args.out, json.dumps(checkpoint_dict(model, tokenizer, steps=last, num_steps=args.steps,
                                                        seed=args.seed, engine=args.engine)), "checkpoint")
    samples = generate_many(model, tokenizer, rng, args.samples, args.temperature)
    if samples:
        run.print(f"--- {len(samples)} sample{'' if len(samples) == 1 else 's'} at temperature {args.temperature} ---")
        for s in samples:
            run.print(s)
    if args.log_json:
        _save(run, args.log_json, json.dumps({"losses": losses, "samples": samples}), "log")
    return STATUS_BAD_INPUT if run.failed else 0


def cmd_sample(args, run):
    from .checkpoint import load_checkpoint
    from .data import make_rng
    from .sample import check_prompt, generate_many

    model, tokenizer, _ = load_checkpoint(args.ckpt, engine=args.engine)
    check_prompt(args.prompt, tokenizer, model.config.block_size)
    for s in generate_many(model, tokenizer, make_rng(args.seed), args.n, args.temperature, args.prompt):
        run.print(s)
    return 0


def cmd_info(args, run):
    from .checkpoint import load_checkpoint
    from .data import load_docs
    from .model import GPTConfig, param_shapes
    from .tokenizer import Tokenizer

    if args.ckpt:
        model, tokenizer, _meta = load_checkpoint(args.ckpt)
        config = model.config
    else:
        tokenizer = Tokenizer.from_docs(load_docs(args.data))
        config = GPTConfig(vocab_size=tokenizer.vocab_size)
    run.print("GPTConfig(" + ", ".join(f"{k}={v}" for k, v in config.to_dict().items()) + ")")
    run.print(f"vocabulary: {''.join(tokenizer.chars)!r} + BOS (id {tokenizer.BOS})")
    run.print(f"{'parameter':<18}{'shape':>10}{'count':>8}")
    total = 0
    for name, (rows, cols) in param_shapes(config).items():
        total += rows * cols
        run.print(f"{name:<18}{f'{rows}x{cols}':>10}{rows * cols:>8,}")
    run.print(f"{'total':<18}{'':>10}{total:>8,}")
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "info": cmd_info}


def main(argv=None, command=False):
    """Run the command line; return the exit status.

    ``command=True`` (``python -m microgpt``) also manages Ctrl-C: an ordinary
    KeyboardInterrupt while a command runs (so temporary files are cleaned up), and
    one line then an immediate exit 130 before and after.
    """
    import signal
    run = _Run()
    try:
        try:
            if command:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            _safe_streams()
            args = build_parser().parse_args(argv)
            return COMMANDS[args.command](args, run)
        except MicrogptError as exc:
            _print_error(f"microgpt: error: {exc}")
            return STATUS_BAD_INPUT
        except _StdoutClosed:
            return STATUS_BROKEN_PIPE
        finally:
            if command:
                exit_quietly_on_ctrl_c(run.interrupted_message())
    except KeyboardInterrupt:
        if command:
            exit_quietly_on_ctrl_c(run.interrupted_message())
        _print_error(run.interrupted_message())
        return STATUS_INTERRUPTED
    finally:
        if run.stdout_closed and run.saved:
            _print_error(f"microgpt: note: stdout was closed early; the run finished and saved "
                         f"{', '.join(repr(p) for p in run.saved)}")
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            _point_stdout_at_devnull()
