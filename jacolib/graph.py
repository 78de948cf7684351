"""Chapter 4: reverse-mode autodiff on a computation graph, from scratch.

A ``Value`` wraps a float or a numpy array and remembers the nodes it
was computed from and, for each of them, the local rules of the op
that made it: a VJP (send the adjoint back) and a JVP (push a tangent
forward). ``backward`` runs the reverse sweep:

    ā_out = 1, then for every node, outputs before inputs:
        ā_parent += (∂node/∂parent)ᵀ ā_node

``trace`` prints the evaluation trace (op, inputs, value, adjoint) and
``forward_trace`` the tangent trace of forward mode; both are stable
text. Figures of graphs are in ``jacolib.graph_figures``.
"""

import itertools

import numpy as np

from jacolib.validate import checked_by

__all__ = ["Value", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu",
           "maximum", "elementwise", "topological_order", "backward_steps",
           "node_names", "trace", "forward_trace", "Table"]

_creation_order = itertools.count()  # a topological order for free


class Value:
    """A node of a computation graph: its value and how it was made.

    ``Value(2.0, name="x₁")`` is an input. Arithmetic with Values (and
    plain numbers on either side) makes new nodes; ``backward()`` from
    a scalar node sets ``.grad`` on every node it depends on.
    """

    __array_ufunc__ = None  # `array * Value` is Value.__rmul__

    def __init__(self, data, name=None, op="input", parents=(),
                 vjps=(), jvps=()):
        self.data = np.asarray(data, dtype=np.float64)
        self.name, self.op = name, op
        self.parents, self.vjps, self.jvps = parents, vjps, jvps
        self.grad = None
        self.grad_of = None  # the output whose backward set .grad
        self.id = next(_creation_order)

    # --- arithmetic: each op returns a node with its local rules -------
    def __add__(self, other):
        other = _operand("add", self, other)
        return _node(self.data + other.data, "add", (self, other),
                     vjps=(lambda g: g, lambda g: g),
                     jvps=(lambda t: t, lambda t: t))

    def __sub__(self, other):
        other = _operand("sub", self, other)
        return _node(self.data - other.data, "sub", (self, other),
                     vjps=(lambda g: g, lambda g: -g),
                     jvps=(lambda t: t, lambda t: -t))

    def __mul__(self, other):
        other = _operand("mul", self, other)
        a, b = self.data, other.data
        return _node(a * b, "mul", (self, other),  # each gets the other
                     vjps=(lambda g: g * b, lambda g: g * a),
                     jvps=(lambda t: t * b, lambda t: a * t))

    def __truediv__(self, other):
        other = _operand("div", self, other)
        a, b = self.data, other.data
        return _node(a / b, "div", (self, other),
                     vjps=(lambda g: g / b, lambda g: -g * a / b ** 2),
                     jvps=(lambda t: t / b, lambda t: -a * t / b ** 2))

    def __neg__(self):
        return _node(-self.data, "neg", (self,), vjps=(lambda g: -g,),
                     jvps=(lambda t: -t,))

    def __pow__(self, exponent):
        if isinstance(exponent, Value) or np.ndim(exponent) > 0:
            return _power(self, _as_value(exponent))
        a, p = self.data, float(exponent)
        slope = p * a ** (p - 1) if p != 0 else np.zeros_like(a)
        return _node(a ** p, f"pow {p:g}", (self,),
                     vjps=(lambda g: g * slope,), jvps=(lambda t: slope * t,))

    def __rpow__(self, base):  # 2 ** x
        return _power(_as_value(base), self)

    def __matmul__(self, other):
        other = _as_value(other)
        A, B = self.data, other.data
        _check_matmul(A, B)
        return _node(A @ B, "matmul", (self, other),
                     vjps=(lambda G: _times_transpose(G, B),  # Ā = C̄ Bᵀ
                           lambda G: _transpose_times(A, G)),  # B̄ = AᵀC̄
                     jvps=(lambda T: T @ B, lambda T: A @ T))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def __rmatmul__(self, other):
        return _as_value(other) @ self

    def sum(self):
        shape = self.data.shape
        return _node(self.data.sum(), "sum", (self,),
                     vjps=(lambda g: np.broadcast_to(g, shape),),
                     jvps=(lambda t: t.sum(),))

    def max(self):
        """The largest entry; the adjoint goes to its (first) position."""
        chosen = np.zeros(self.data.shape)
        chosen.flat[np.argmax(self.data)] = 1.0  # recorded in the forward
        return _node(self.data.max(), "max", (self,),
                     vjps=(lambda g: g * chosen,),
                     jvps=(lambda t: (t * chosen).sum(),))

    # --- the reverse sweep ----------------------------------------------
    @checked_by(lambda self, watch=None: _require_scalar(self, "backward"))
    def backward(self, watch=None):
        """Set ``.grad`` = ∂self/∂node on every node self depends on.

        ``watch(node)``, if given, runs after each node has sent its
        adjoint back (to draw or print the sweep step by step).
        """
        order = topological_order(self)
        for node in order:
            node.grad, node.grad_of = np.zeros_like(node.data), self.id
        self.grad = np.ones_like(self.data)  # ∂out/∂out = 1
        for node in reversed(order):  # every node after all its users
            for parent, vjp in zip(node.parents, node.vjps):
                parent.grad = parent.grad + vjp(node.grad)  # sum of paths
            if watch is not None:
                watch(node)

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        grad = "" if self.grad is None else f", grad={_short(self.grad)}"
        return f"Value({_short(self.data)}{grad})"


# --- elementary functions ----------------------------------------------------
def elementwise(x, op, value, slope):
    """A new node y = op(x), applied entrywise: ``value`` is op(x.data)
    and ``slope`` its derivative op'(x.data). Its local rules follow:
    ȳ·slope back, ẋ·slope forward. The ops below are built with it."""
    x = _as_value(x)
    return _node(value, op, (x,), vjps=(lambda g: g * slope,),
                 jvps=(lambda t: slope * t,))


def exp(x):
    x = _as_value(x)
    e = np.exp(x.data)
    return elementwise(x, "exp", e, e)


def log(x):
    x = _as_value(x)
    if np.any(x.data <= 0):
        raise ValueError(
            "log needs positive values; got a smallest entry of "
            f"{x.data.min():g} (shape {x.data.shape})")
    return elementwise(x, "log", np.log(x.data), 1.0 / x.data)


def sin(x):
    x = _as_value(x)
    return elementwise(x, "sin", np.sin(x.data), np.cos(x.data))


def cos(x):
    x = _as_value(x)
    return elementwise(x, "cos", np.cos(x.data), -np.sin(x.data))


def tanh(x):
    x = _as_value(x)
    y = np.tanh(x.data)
    return elementwise(x, "tanh", y, 1.0 - y ** 2)


def sigmoid(x):
    x = _as_value(x)
    y = 0.5 * (1.0 + np.tanh(0.5 * x.data))  # no overflow for large |x|
    return elementwise(x, "sigmoid", y, y * (1.0 - y))


def relu(x):
    x = _as_value(x)
    on = (x.data > 0).astype(np.float64)  # relu'(0) = 0, as in torch
    return elementwise(x, "relu", x.data * on, on)


def maximum(a, b):
    """Entrywise max(a, b). The adjoint is routed to the input that was
    selected in the forward pass; on a tie, to ``a``."""
    a, b = _as_value(a), _as_value(b)
    _broadcast_shape("maximum", a.data, b.data)
    a_wins = (a.data >= b.data).astype(np.float64)
    return _node(np.maximum(a.data, b.data), "maximum", (a, b),
                 vjps=(lambda g: g * a_wins, lambda g: g * (1 - a_wins)),
                 jvps=(lambda t: t * a_wins, lambda t: t * (1 - a_wins)))


for _name in ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu"):
    setattr(Value, _name, globals()[_name])  # x.exp() as well as exp(x)


# --- the graph ---------------------------------------------------------------
def topological_order(output):
    """Every node ``output`` depends on, each after its parents."""
    seen, stack = {}, [output]
    while stack:
        node = stack.pop()
        if node.id not in seen:
            seen[node.id] = node
            stack.extend(node.parents)
    # Creation order is topological: a node is made after its parents.
    return sorted(seen.values(), key=lambda node: node.id)


def backward_steps(output):
    """The reverse sweep one node at a time, for pictures and tables.

    Returns a list of (node, adjoints) after each node has sent its
    adjoint to its parents; ``adjoints`` maps node id to the adjoint
    accumulated so far. It runs ``output.backward()``, so at the end
    every ``.grad`` is set as usual.
    """
    order = topological_order(output)
    steps = []
    output.backward(watch=lambda node: steps.append(
        (node, {n.id: n.grad.copy() for n in order})))
    return steps


def node_names(output):
    """{node id: trace name}: inputs a₋ₙ₊₁ … a₀ in the order they were
    made, then the ops a₁, a₂, … (Baydin et al.'s numbering); constants
    are named by their value."""
    order = topological_order(output)
    inputs = [node for node in order if node.op == "input"]
    ops = [node for node in order if node.op not in ("input", "const")]
    names = {node.id: _constant_name(node.data) for node in order
             if node.op == "const"}
    for index, node in enumerate(inputs, start=1 - len(inputs)):
        names[node.id] = "a" + _subscript(index)
    for index, node in enumerate(ops, start=1):
        names[node.id] = "a" + _subscript(index)
    return names


def trace(output):
    """The evaluation trace as a table: node, op, inputs, value and, once
    ``output.backward()`` has run, the adjoint ā = ∂output/∂node."""
    def adjoint(node):  # only the adjoint that output's sweep computed
        return _short(node.grad) if node.grad_of == output.id else ""

    names = node_names(output)
    rows = [(names[n.id], _op_name(n),
             ", ".join(names[p.id] for p in n.parents), _short(n.data),
             adjoint(n))
            for n in topological_order(output) if n.op != "const"]
    return Table(("node", "op", "inputs", "value", "adjoint"), rows)


def forward_trace(output, seeds):
    """Forward mode: the tangent ȧ of every node, for input tangents
    ``seeds`` ({input Value: tangent}; other inputs get 0). Returns the
    table of values and tangents; its ``output_tangent`` is J v."""
    order = topological_order(output)
    _check_seeds(seeds, order)
    tangents = {}
    for node in order:
        if not node.parents:
            tangents[node.id] = np.broadcast_to(
                np.asarray(seeds.get(node, 0.0), float), node.data.shape)
            continue
        tangents[node.id] = sum(  # the chain rule, one parent at a time
            jvp(tangents[p.id]) for p, jvp in zip(node.parents, node.jvps))
    names = node_names(output)
    rows = [(names[n.id], _op_name(n),
             ", ".join(names[p.id] for p in n.parents), _short(n.data),
             _short(tangents[n.id]))
            for n in topological_order(output) if n.op != "const"]
    table = Table(("node", "op", "inputs", "value", "tangent"), rows)
    table.output_tangent = tangents[output.id]
    return table


class Table:
    """Rows of text printed in aligned columns (stable for nbval)."""

    def __init__(self, header, rows):
        self.header, self.rows = tuple(header), [tuple(r) for r in rows]

    def __str__(self):
        lines = [self.header, *self.rows]
        widths = [max(len(line[i]) for line in lines)
                  for i in range(len(self.header))]
        return "\n".join("  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                                   for i, (cell, w) in
                                   enumerate(zip(line, widths))).rstrip()
                         for line in lines)

    __repr__ = __str__


# --- plumbing ----------------------------------------------------------------
def _node(data, op, parents, vjps, jvps):
    """A new node. Its rules are wrapped for broadcasting: an adjoint is
    summed back to each parent's shape (an input used along a broadcast
    axis is used several times) and a tangent spread to the node's."""
    shape = np.shape(data)
    vjps = [_summed_to(vjp, parent.data.shape)
            for vjp, parent in zip(vjps, parents)]
    jvps = [_spread_to(jvp, shape) for jvp in jvps]
    return Value(data, op=op, parents=parents, vjps=tuple(vjps),
                 jvps=tuple(jvps))


def _summed_to(vjp, shape):
    return lambda g: _unbroadcast(vjp(g), shape)


def _spread_to(jvp, shape):
    return lambda t: np.broadcast_to(jvp(t), shape)


def _operand(op, a, b):
    """``b`` as a Value, checking that it broadcasts with ``a``."""
    b = _as_value(b)
    _broadcast_shape(op, a.data, b.data)
    return b


def _power(base, exponent):
    """base ** exponent with a Value exponent: e^(exponent · ln base)."""
    _broadcast_shape("pow", base.data, exponent.data)
    if np.any(base.data <= 0):
        raise ValueError(
            "pow with a Value exponent is e^(b ln a), so it needs a "
            f"positive base; got a smallest entry of {base.data.min():g}")
    return exp(log(base) * exponent)


def _require_scalar(node, op):
    if node.data.shape != ():
        raise ValueError(
            f"{op} needs a scalar output, shape (); got shape "
            f"{node.data.shape}: reduce it first, e.g. with .sum()")


def _check_seeds(seeds, order):
    # An input the output does not use may be seeded (its tangent goes
    # nowhere); an intermediate node may not: its tangent is computed.
    for node, tangent in seeds.items():
        if not isinstance(node, Value) or node.parents:
            raise ValueError(
                "seeds must map input Values to tangents; got a key "
                f"{node!r} that is not an input")
        if np.shape(tangent) not in ((), node.data.shape):
            raise ValueError(
                f"the seed for {node.name or 'an input'} must have its "
                f"shape {node.data.shape} (or be a number); got shape "
                f"{np.shape(tangent)}")


def _op_name(node):
    if node.op == "input":
        return f"input {node.name}" if node.name else "input"
    return node.op


def _constant_name(array):
    array = np.asarray(array)
    return f"{float(array):g}" if array.ndim == 0 else f"const{array.shape}"


def _as_value(x):
    if isinstance(x, Value):
        return x
    try:
        return Value(x, op="const")
    except (TypeError, ValueError):
        raise ValueError(
            "expected a Value, a number or an array of numbers; got "
            f"{type(x).__name__} {x!r}"[:120]) from None


def _broadcast_shape(op, a, b):
    try:
        return np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise ValueError(f"{op}: shapes {np.shape(a)} and {np.shape(b)} "
                         "do not broadcast") from None


def _check_matmul(A, B):
    if A.ndim == 0 or B.ndim == 0 or A.ndim > 2 or B.ndim > 2 \
            or A.shape[-1] != B.shape[0]:
        raise ValueError(
            f"matmul: shapes {A.shape} and {B.shape} do not fit (the "
            "first's last axis must match the second's first, 1-D or 2-D)")


def _times_transpose(G, B):
    """C̄ Bᵀ, where a 1-D B is a column: for c = A b, Ā = c̄ bᵀ."""
    return np.multiply.outer(G, B) if B.ndim == 1 else G @ B.T


def _transpose_times(A, G):
    """Aᵀ C̄, where a 1-D A is a row: for c = aᵀ B, B̄ = a c̄ᵀ."""
    return np.multiply.outer(A, G) if A.ndim == 1 else A.T @ G


def _unbroadcast(grad, shape):
    """Sum a broadcast adjoint back to the shape of the input."""
    grad = np.asarray(grad, dtype=np.float64)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _short(array):
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{float(array):.4f}"
    return f"array{array.shape}"


_SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def _subscript(number):
    return str(number).translate(_SUBSCRIPTS)
