"""Jacobian-vector products and their relatives (chapter 3).

Every tool here is named by what it computes, for ``f: R^n -> R^m`` at x:

- ``jvp(f, x, v)``  -> (f(x), J v)      one forward pass (forward mode)
- ``vjp(f, x, u)``  -> (f(x), J^T u)    one backward pass (reverse mode)
- ``jacobian(f, x, mode)`` -> J, m x n  m VJPs ("rev") or n JVPs ("fwd")
- ``hessian(f, x)`` -> H, n x n         f scalar
- ``hvp(f, x, v)``  -> H v              never builds H
- ``gnvp(f, loss, w, v)`` -> J^T H_loss J v, the Gauss-Newton product
- ``finite_difference_jvp(f, x, v)``    the slow obvious way, for checks

They take and return torch tensors (float64 in the book). A non-tensor
input raises a TypeError that says how to convert it, rather than being
converted with a guessed dtype. A shape that does not fit raises a
ValueError naming the expected and the received shape.

``Dual`` and ``dual_jvp`` are forward mode from scratch: numbers
a + b eps with eps**2 = 0, carried through plain numpy code written with
this module's ``exp, log, sin, cos, tanh, relu``. Those also accept
floats, arrays and torch tensors, so one function written with them runs
under ``dual_jvp`` and under ``torch.func.jvp`` alike.
"""

import numpy as np
import torch

from jacolib.validate import checked_by, require_flat, require_in, \
    require_shape, require_tensor, scalar_valued

__all__ = [
    "jvp", "vjp", "jacobian", "hessian", "hvp", "gnvp",
    "finite_difference_jvp",
    "Dual", "dual_jvp", "exp", "log", "sin", "cos", "tanh", "relu",
]


# --- input checks, run before the functions below --------------------------

def _tensors_of_one_shape(f, x, v):
    require_tensor("x", x)
    require_tensor("v", v)
    require_shape("v", v, x.shape, "x")


def _tensors(f, x, u):
    require_tensor("x", x)
    require_tensor("u", u)


def _flat_x(f, x, *rest, **options):
    require_tensor("x", x)
    require_flat("x", x)


def _gnvp_inputs(f, loss, w, v):
    require_tensor("w", w)
    require_tensor("v", v)
    require_shape("v", v, w.shape, "w")


# --- torch.func tools ------------------------------------------------------

@checked_by(_tensors_of_one_shape)
def jvp(f, x, v):
    """f(x) and the Jacobian-vector product J v, in one forward pass.

    v has the shape of x; J v has the shape of f(x).
    """
    return torch.func.jvp(f, (x,), (v,))


@checked_by(_tensors)
def vjp(f, x, u):
    """f(x) and the vector-Jacobian product J^T u, in one backward pass.

    u has the shape of f(x); J^T u has the shape of x.
    """
    z, pullback = torch.func.vjp(f, x)  # runs f, keeps its trace
    require_shape("u", u, z.shape, "f(x)")
    (jt_u,) = pullback(u)  # one backward sweep
    return z, jt_u


@checked_by(_flat_x)
def jacobian(f, x, mode="rev"):
    """The m x n Jacobian of f at a 1-D x of n entries.

    f(x) is flattened to a vector of m entries, so a scalar f gives a
    1 x n matrix. ``mode="rev"`` builds J row by row, one VJP per row
    (e_i^T J): m backward passes, the cheap way when m << n.
    ``mode="fwd"`` builds it column by column, one JVP per column (J e_j):
    n forward passes, the cheap way when n << m. vmap batches the passes
    into one call.
    """
    require_in("mode", mode, ("rev", "fwd"))

    def flat_f(x):
        return f(x).reshape(-1)

    if mode == "rev":
        z, pullback = torch.func.vjp(flat_f, x)
        rows_of_identity = torch.eye(z.numel(), dtype=z.dtype)
        (rows,) = torch.func.vmap(pullback)(rows_of_identity)
        return rows

    def push_forward(v):
        return torch.func.jvp(flat_f, (x,), (v,))[1]

    columns_of_identity = torch.eye(x.numel(), dtype=x.dtype)
    # vmap stacks the n results J e_j as rows: that stack is J transposed.
    return torch.func.vmap(push_forward)(columns_of_identity).T


@checked_by(_flat_x)
@scalar_valued("f")
def hessian(f, x):
    """The n x n Hessian of a scalar f at a 1-D x.

    The Hessian is the Jacobian of the gradient: forward mode over
    reverse mode, n JVPs of ``torch.func.grad(f)``.
    """
    return jacobian(torch.func.grad(f), x, mode="fwd")


@checked_by(_tensors_of_one_shape)
@scalar_valued("f")
def hvp(f, x, v):
    """The Hessian-vector product H v of a scalar f at x, H never built.

    Forward over reverse: H v is the directional derivative of the
    gradient along v, i.e. the JVP of ``torch.func.grad(f)``. It costs a
    small multiple of one gradient, whatever the size of x.
    """
    gradient = torch.func.grad(f)  # reverse mode: x -> ∇f(x)
    _, h_v = torch.func.jvp(gradient, (x,), (v,))  # forward mode over it
    return h_v


@checked_by(_gnvp_inputs)
@scalar_valued("loss")
def gnvp(f, loss, w, v):
    """The Gauss-Newton-vector product G v, with G = J^T H_loss J.

    ``f: w -> z`` (R^n -> R^m) is the model, J = df/dw at w, and
    ``loss: z -> scalar`` has Hessian H_loss at z = f(w). Three passes,
    none of which builds a matrix: J v (a JVP of f), then H_loss (J v)
    (an HVP of the loss at z), then J^T of that (a VJP of f).
    """
    z, j_v = jvp(f, w, v)
    h_j_v = hvp(loss, z, j_v)
    _, g_v = vjp(f, w, h_j_v)
    return g_v


def finite_difference_jvp(f, x, v, h=1e-6):
    """J v by the central difference (f(x + h v) - f(x - h v)) / 2h.

    Error O(h**2) from truncation plus O(1e-16 / h) from rounding:
    about 1e-10 relative at h = 1e-6, good enough to check exact methods
    to ~1e-6. Works on torch tensors, numpy arrays and floats alike.
    """
    require_shape("v", v, np.shape(x), "x")
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


# --- forward mode from scratch: dual numbers -------------------------------

class Dual:
    """A dual number a + ȧ ε, with ε**2 = 0.

    Taylor's formula ends after one term: f(a + ȧ ε) = f(a) + f'(a) ȧ ε
    exactly. So a Dual carries a value (the primal a) and a derivative
    along a direction (the tangent ȧ); each operation below updates both.
    a and ȧ are floats or numpy arrays (elementwise).
    """

    # numpy would otherwise turn `array + Dual` into an array of Duals;
    # None makes it hand the operation to Dual.__radd__ and friends.
    __array_ufunc__ = None

    def __init__(self, primal, tangent=0.0):
        self.primal = primal
        self.tangent = tangent

    def __add__(self, other):
        other = _as_dual(other)
        return Dual(self.primal + other.primal,
                    self.tangent + other.tangent)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.primal, -self.tangent)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __mul__(self, other):
        a1, a1_dot = self._parts()
        a2, a2_dot = _as_dual(other)._parts()
        # (a1 + a1_dot ε)(a2 + a2_dot ε)
        #     = a1 a2 + (a1_dot a2 + a1 a2_dot) ε: the product rule.
        return Dual(a1 * a2, a1_dot * a2 + a1 * a2_dot)

    __rmul__ = __mul__

    def __truediv__(self, other):
        a1, a1_dot = self._parts()
        a2, a2_dot = _as_dual(other)._parts()
        # The quotient rule.
        return Dual(a1 / a2, (a1_dot * a2 - a1 * a2_dot) / a2 ** 2)

    def __rtruediv__(self, other):  # other / self
        return _as_dual(other) / self

    def __pow__(self, exponent):
        a, b = self._parts()
        if not isinstance(exponent, Dual):
            # A constant exponent needs no log: a negative base is fine.
            return Dual(a ** exponent, exponent * a ** (exponent - 1) * b)
        c, d = exponent._parts()
        # d(a**c) = c a**(c-1) da + a**c log(a) dc, which needs a > 0.
        return Dual(a ** c, c * a ** (c - 1) * b + a ** c * np.log(a) * d)

    def __rpow__(self, base):  # base**self
        return _as_dual(base) ** self

    def __matmul__(self, other):
        (a, b), (c, d) = self._parts(), _as_dual(other)._parts()
        # @ is bilinear like *, so the same product rule holds.
        return Dual(a @ c, a @ d + b @ c)

    def __rmatmul__(self, other):  # other @ self, e.g. W @ x
        return _as_dual(other) @ self

    def __getitem__(self, index):
        return Dual(self.primal[index], self.tangent[index])

    def sum(self):
        return Dual(np.sum(self.primal), np.sum(self.tangent))

    def _parts(self):
        return self.primal, self.tangent

    def __repr__(self):
        return f"Dual({_plain(self.primal)!r}, {_plain(self.tangent)!r})"


def _as_dual(x):
    """A constant is a Dual whose tangent is 0: it does not move with x."""
    if isinstance(x, Dual):
        return x
    # An array of zeros, not a bare 0.0, so that A @ tangent works.
    return Dual(x, 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x)))


def _stack_duals(components):
    duals = [_as_dual(c) for c in components]
    primal = np.stack([np.asarray(d.primal, dtype=float) for d in duals])
    tangents = [np.broadcast_to(d.tangent, np.shape(d.primal))
                for d in duals]
    return Dual(primal, np.stack(tangents).astype(float))


def _plain(number_or_array):
    # Print 2.0, not numpy 2's np.float64(2.0).
    if np.ndim(number_or_array) == 0:
        return float(number_or_array)
    return number_or_array


def dual_jvp(f, x, v):
    """f(x) and J v by running f once on the Dual numbers x + v eps.

    x and v are floats or numpy arrays of one shape; f is written with
    + - * / ** @, indexing, ``.sum()`` and this module's exp, log, sin,
    cos, tanh, relu, and returns a Dual or a list or tuple of them (the
    components of a vector output). Returns numpy values (floats for
    scalar outputs).
    """
    x = np.asarray(x, dtype=float)
    require_shape("v", v, x.shape, "x")
    y = f(Dual(x, np.asarray(v, dtype=float)))
    if isinstance(y, (list, tuple)):  # components, as in [y1, y2]
        y = _stack_duals(y)
    y = _as_dual(y)
    primal = np.asarray(y.primal, dtype=float)
    # A tangent can be a bare 0.0 where f ignores x: give it f(x)'s shape.
    tangent = np.broadcast_to(y.tangent, primal.shape).astype(float)
    return _plain(primal), _plain(tangent)


# --- elementary functions for floats, arrays, tensors and Duals ------------

def exp(x):
    """e**x; (e**a)' = e**a."""
    return _elementary(x, np.exp, torch.exp, derivative=np.exp)


def log(x):
    """Natural logarithm; (log a)' = 1 / a."""
    return _elementary(x, np.log, torch.log, derivative=lambda a: 1 / a)


def sin(x):
    """Sine; (sin a)' = cos a."""
    return _elementary(x, np.sin, torch.sin, derivative=np.cos)


def cos(x):
    """Cosine; (cos a)' = -sin a."""
    return _elementary(x, np.cos, torch.cos,
                       derivative=lambda a: -np.sin(a))


def tanh(x):
    """Hyperbolic tangent; (tanh a)' = 1 - tanh(a)**2."""
    return _elementary(x, np.tanh, torch.tanh,
                       derivative=lambda a: 1 - np.tanh(a) ** 2)


def relu(x):
    """max(a, 0); its derivative is taken as 0 at a = 0, as torch does."""
    return _elementary(x, lambda a: np.maximum(a, 0.0), torch.relu,
                       derivative=lambda a: np.where(a > 0, 1.0, 0.0))


def _elementary(x, numpy_fn, torch_fn, derivative):
    # A torch branch lets one function run under dual_jvp and torch.func.
    if isinstance(x, Dual):  # the chain rule
        return Dual(numpy_fn(x.primal), derivative(x.primal) * x.tangent)
    if isinstance(x, torch.Tensor):
        return torch_fn(x)
    return numpy_fn(x)
