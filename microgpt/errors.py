"""The one exception type the package raises for bad input.

Every message is a single line that says what was wrong and what to do about it;
the command line prints it as ``microgpt: error: <message>`` and exits with code 2.
"""


class MicrogptError(ValueError):
    """Bad input: a one-line message saying what to fix."""


class DivergedError(MicrogptError):
    """Training produced a loss that is not a finite number (too large a learning rate, usually).

    Raised by an engine's ``train_step`` before it changes any weight, so the model keeps its last good state.
    """
