"""Chapter 8 (training), the optimisers: plain gradient descent and Adam.

Both update ``Value`` parameters in place from their ``.grad`` and then reset the
gradients to zero, ready for the next backward pass. ``ADAM`` holds microgpt's Adam
settings, the one copy every engine (and ``benchmarks/speed.py``) uses.
"""
from typing import NamedTuple


class AdamSettings(NamedTuple):
    beta1: float  # decay of the running mean of the gradient
    beta2: float  # decay of the running mean of its square
    eps: float    # keeps the step finite where that mean is 0


ADAM = AdamSettings(beta1=0.85, beta2=0.99, eps=1e-8)


def linear_decay(step, num_steps, learning_rate=0.01):
    """microgpt's schedule: the rate falls in a straight line from ``learning_rate`` to 0."""
    return learning_rate * (1 - step / num_steps)


class SGD:
    """Plain gradient descent: p -= lr * grad."""

    def __init__(self, params):
        self.params = params

    def step(self, lr):
        for p in self.params:
            p.data -= lr * p.grad
            p.grad = 0


class Adam:
    """Adam with microgpt's settings: momentum (beta1) and a per-parameter step size (beta2).

    m is a running mean of the gradient (keeps a consistent direction), v a running
    mean of its square (shrinks steps where the gradient is noisy); both are
    bias-corrected because they start at zero.
    """

    def __init__(self, params, beta1=ADAM.beta1, beta2=ADAM.beta2, eps=ADAM.eps):
        self.params = params
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [0.0] * len(params)  # first moment, one per parameter
        self.v = [0.0] * len(params)  # second moment, one per parameter
        self.t = 0                    # number of updates so far

    def step(self, lr):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for i, p in enumerate(self.params):
            self.m[i] = b1 * self.m[i] + (1 - b1) * p.grad
            self.v[i] = b2 * self.v[i] + (1 - b2) * p.grad ** 2
            m_hat = self.m[i] / (1 - b1 ** self.t)
            v_hat = self.v[i] / (1 - b2 ** self.t)
            p.data -= lr * m_hat / (v_hat ** 0.5 + self.eps)
            p.grad = 0
