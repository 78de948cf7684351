"""Chapter 3's cost experiments: what a Jacobian, a gradient and a
Hessian-vector product cost, measured as the problem grows.

Two test problems, both torch float64 with fixed seeds:

- ``tanh_network(n_in, n_out)``: x -> W2 tanh(W1 x + b1), R^n -> R^m;
- ``mlp_loss(n_in, n_hidden, n_out, batch)``: a one-hidden-layer MLP's
  mean squared error on a fixed batch, as a function of one flat
  parameter vector w (the way an optimizer sees it).

and two sweeps built on ``jacolib.timing``: ``jacobian_shape_sweep``
(forward against reverse mode as the shape moves from tall to wide) and
``hvp_cost_sweep`` (any set of methods as the parameter count grows).
"""

from collections import namedtuple

import numpy as np
import torch

from jacolib import autodiff, small_nets, timing
from jacolib.validate import require_count

__all__ = ["tanh_network", "mlp_loss", "JacobianCosts",
           "jacobian_shape_sweep", "HVPCosts", "hvp_cost_sweep"]

JacobianCosts = namedtuple("JacobianCosts", "n m forward reverse")
HVPCosts = namedtuple("HVPCosts", "n_params seconds")


def tanh_network(n_in, n_out, n_hidden=200, seed=0):
    """x -> W2 tanh(W1 x + b1), from R^n_in to R^n_out.

    200 hidden units make one pass cost ~2e5 multiply-adds per 1000
    inputs or outputs, so a Jacobian's passes, not the fixed cost of a
    torch.func call (a fraction of a millisecond), dominate its time.
    """
    for name, value in [("n_in", n_in), ("n_out", n_out),
                        ("n_hidden", n_hidden)]:
        require_count(name, value, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    W1 = torch.randn(n_hidden, n_in, generator=generator,
                     dtype=torch.float64) / n_in ** 0.5
    b1 = torch.randn(n_hidden, generator=generator, dtype=torch.float64)
    W2 = torch.randn(n_out, n_hidden, generator=generator,
                     dtype=torch.float64) / n_hidden ** 0.5
    return lambda x: W2 @ torch.tanh(W1 @ x + b1)


def mlp_loss(n_in=100, n_hidden=500, n_out=100, batch=64, seed=0):
    """A tanh MLP's mean squared error on a fixed batch, and its size.

    Returns ``(loss, n_params)``; ``loss(w)`` takes the flat vector w of
    ``small_nets.mlp([n_in, n_hidden, n_out])``: W1 (n_hidden x n_in),
    b1, W2 (n_out x n_hidden), b2; by default 100 * 500 + 500 +
    500 * 100 + 100 = 100,600 parameters.
    """
    for name, value in [("n_in", n_in), ("n_hidden", n_hidden),
                        ("n_out", n_out), ("batch", batch)]:
        require_count(name, value, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(batch, n_in, generator=generator, dtype=torch.float64)
    Y = torch.randn(batch, n_out, generator=generator, dtype=torch.float64)
    net = small_nets.mlp([n_in, n_hidden, n_out], activation="tanh")

    def loss(w):
        return 0.5 * ((net.forward(w, X) - Y) ** 2).mean()

    return loss, net.n_params


def jacobian_shape_sweep(n_values, n_plus_m=1010, n_hidden=200, repeats=5):
    """Time J by forward and by reverse mode, n + m held fixed.

    For each n in ``n_values`` the map is ``tanh_network(n, m)`` with
    m = n_plus_m - n, so one evaluation of f costs about the same at
    every n (~ n_hidden * (n + m) multiply-adds) and only the number of
    passes changes: n JVPs forward, m VJPs reverse. Returns
    JacobianCosts(n, m, forward, reverse), arrays of seconds.
    """
    n_values = np.asarray(n_values)
    if np.any(n_values < 1) or np.any(n_values >= n_plus_m):
        raise ValueError(
            f"every n must lie in [1, n_plus_m - 1] = [1, {n_plus_m - 1}]"
            f"; got {n_values.tolist()}")

    def make_fns(n):
        f = tanh_network(int(n), int(n_plus_m - n), n_hidden)
        x = torch.randn(int(n), dtype=torch.float64,
                        generator=torch.Generator().manual_seed(1))
        return {"forward": lambda: autodiff.jacobian(f, x, mode="fwd"),
                "reverse": lambda: autodiff.jacobian(f, x, mode="rev")}

    seconds = timing.scaling_sweep(make_fns, n_values, repeats=repeats)
    return JacobianCosts(n_values, n_plus_m - n_values,
                         seconds["forward"], seconds["reverse"])


def hvp_cost_sweep(methods, hidden_sizes, n_in=20, n_out=10, batch=64,
                   repeats=5):
    """Time each method on ``mlp_loss`` at several hidden widths.

    ``methods`` is {name: fn(loss, w, v)}; each is called on the loss of
    an MLP with that width, at a fixed random w and direction v. Returns
    HVPCosts(n_params, seconds): the parameter counts, and {name: array
    of median seconds, one per width}.
    """
    if not methods:
        raise ValueError("methods must hold at least one method; got none")
    n_params = []

    def make_fns(n_hidden):
        loss, n = mlp_loss(n_in, int(n_hidden), n_out, batch)
        n_params.append(n)
        generator = torch.Generator().manual_seed(1)
        w = 0.3 * torch.randn(n, generator=generator, dtype=torch.float64)
        v = torch.randn(n, generator=generator, dtype=torch.float64)
        return {name: _bind(method, loss, w, v)
                for name, method in methods.items()}

    seconds = timing.scaling_sweep(make_fns, hidden_sizes, repeats=repeats)
    return HVPCosts(np.array(n_params), seconds)


def _bind(method, loss, w, v):
    # A function per method, not a lambda in a loop that would see only
    # the last method.
    return lambda: method(loss, w, v)
