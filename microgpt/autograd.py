"""Chapter 3, autograd: a scalar ``Value`` that remembers how it was computed.

Every operation builds a node holding its result, the nodes it came from
(``_children``) and the derivative of the result with respect to each of them
(``_local_grads``). ``backward()`` then walks the graph from the output back to
the inputs and applies the chain rule, one line per edge::

    child.grad += local_grad * node.grad

Only +, *, **, log, exp and relu are primitive; negation, subtraction and
division are built from them, exactly as the reference microgpt does, so the
floating-point results agree bit for bit.

A ``Value`` holds a plain number (``int`` or ``float``); anything else is refused
with a ``MicrogptError``. ``nan`` and ``inf`` are floats and are allowed: they flow
through the arithmetic exactly as they do for Python floats (the engines check
that the loss is finite). ``log`` of a number <= 0, ``0 ** negative`` and a
negative number to a fractional power are refused (``MathDomainError``, a kind
of ``MicrogptError``): they have no finite real value or gradient.
"""
import math

from .errors import MathDomainError, MicrogptError


class Value:
    """A scalar in a computation graph, with the gradient of the final output with respect to it."""

    __slots__ = ("data", "grad", "_children", "_local_grads")  # noqa: RUF023 -- the order __init__ sets them

    def __init__(self, data, children=(), local_grads=()):
        if not children and not isinstance(data, (int, float)):  # a leaf: check the number it is given
            raise MicrogptError(f"a Value holds a plain number (int or float), not {data!r}")
        self.data = data                  # the number this node holds
        self.grad = 0                     # d(output)/d(this node), filled by backward()
        self._children = children         # the nodes this one was computed from
        self._local_grads = local_grads   # d(this node)/d(each child), same order

    # -- primitive operations: result, local gradients, done -----------------
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise MicrogptError(f"x ** y needs a plain-number exponent (int or float), not {exponent!r}")
        if (self.data == 0 and exponent < 0) or (self.data < 0 and not float(exponent).is_integer()):
            raise MathDomainError(f"{self.data!r} ** {exponent!r} has no finite real value")
        return Value(self.data ** exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def log(self):
        if self.data <= 0:
            raise MathDomainError(f"log is defined for numbers > 0, not {self.data!r}")
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:  # beyond the largest float: inf, as float arithmetic overflows
            e = math.inf
        return Value(e, (self,), (e,))

    def relu(self):
        # NOTE: the gradient at exactly 0 is taken to be 0 (the input must be > 0 to pass gradient).
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    # -- built from the primitives ------------------------------------------
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return other + (-self)

    def __rtruediv__(self, other):
        return other * self ** -1

    # -- the backward pass -----------------------------------------------------
    def topological_order(self):
        """Every node reachable from this one, children before parents.

        A depth-first post-order walk, children in operand order, written with an
        explicit stack so deep graphs do not hit Python's recursion limit.
        """
        order, visited = [], set()
        stack = [(self, 0)]
        visited.add(id(self))
        while stack:
            node, i = stack.pop()
            if i < len(node._children):
                stack.append((node, i + 1))
                child = node._children[i]
                if id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
        return order

    def backward(self):
        """Fill ``.grad`` of every node that this one depends on (the chain rule, in reverse order).

        Gradients accumulate in the leaves (the inputs and weights, nodes with no
        children): calling ``backward()`` a second time without zeroing them adds
        exactly the same gradient again, as PyTorch does. The nodes in between are
        reset to 0 first, so they always hold this call's gradient. To start over,
        set every leaf's ``.grad = 0`` (the optimizers do that after each step).
        """
        order = self.topological_order()
        for node in order:
            if node._children:            # an intermediate result: start from 0 on every call
                node.grad = 0
        self.grad = 1
        for node in reversed(order):
            for child, local_grad in zip(node._children, node._local_grads):
                child.grad += local_grad * node.grad

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
