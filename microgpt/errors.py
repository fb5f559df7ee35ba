"""The one exception type the package raises for bad input.

Every message is a single line that says what was wrong and what to do about it;
the command line prints it as ``microgpt: error: <message>`` and exits with code 2.
"""
import os
import sys


class MicrogptError(ValueError):
    """Bad input: a one-line message saying what to fix."""


class DivergedError(MicrogptError):
    """Training produced a loss that is not a finite number (too large a learning rate, usually).

    Raised by an engine's ``train_step`` before it changes any weight, so the model keeps its last good state.
    """


class MathDomainError(MicrogptError):
    """An operation outside the numbers it is defined for: ``log`` of a number <= 0, ``0 ** negative``.

    Raised by ``autograd.Value``; during training it means the run has diverged (a
    probability rounded to 0), so the command line reports it as divergence.
    """


INTERRUPTED = "microgpt: interrupted; nothing was saved"


def exit_quietly_on_ctrl_c(message=INTERRUPTED):
    """From now on Ctrl-C prints ``message`` on stderr and exits with code 130 at once (command line only)."""
    import _signal  # what the signal module wraps, without its slow import of enum

    def handler(signum, frame):
        os.write(2, (message + "\n").encode("ascii", "backslashreplace"))
        os._exit(130)
    _signal.signal(_signal.SIGINT, handler)


def quiet_ctrl_c_while_starting():
    """While ``python -m microgpt`` starts, Ctrl-C prints one line and exits 130, no traceback.

    Called first thing by the package's ``__init__``; it does nothing unless Python is
    importing the package to run ``python -m microgpt`` (then ``sys.argv[0]`` is
    ``'-m'``), so importing microgpt in a program or notebook changes no signal handler.
    The command line's ``main`` switches to ordinary KeyboardInterrupt while it runs.
    """
    argv = getattr(sys, "orig_argv", [])
    if sys.argv[:1] == ["-m"] and "-m" in argv and argv[argv.index("-m") + 1:][:1] == ["microgpt"]:
        exit_quietly_on_ctrl_c()
