"""Chapter 3's cost experiments: what a Jacobian, a gradient and a
Hessian-vector product cost, measured as the problem grows.

Two test problems, both torch float64 with fixed seeds:

- ``tanh_network(n_in, n_out)``: x -> W2 tanh(W1 x + b1), R^n -> R^m;
- ``mlp_loss(n_in, n_hidden, n_out, batch)``: a one-hidden-layer MLP's
  mean squared error on a fixed batch, as a function of one flat
  parameter vector w (the way an optimizer sees it).

and, built on ``jacolib.timing``, ``fixed_cost_split`` (each call's
time, and the part of it that a problem with no arithmetic takes too)
and four sweeps: ``jacobian_shape_sweep`` (forward against reverse mode
as the shape moves from tall to wide), ``pass_count_sweep`` (P JVPs or
VJPs made one call per pass, or batched by vmap into one call),
``hvp_cost_sweep`` (any set of methods as the parameter count grows)
and ``hessian_build_sweep`` (H from n HVPs, looped or batched, against
one HVP).

Each sweep times its whole grid of (size, method) calls in turns, round
after round, so that a slow spell of a shared machine hits every size
and method alike; and by default with ``timing.cpu_clock()``, the
processor time of this process, which other programs do not add to
(``clock=time.perf_counter`` times the wall clock instead).
"""

from collections import namedtuple

import numpy as np
import torch

from jacolib import autodiff, small_nets, timing
from jacolib.validate import checked_by, require_count, require_flat, \
    require_shape, require_tensor

__all__ = ["tanh_network", "mlp_loss", "JacobianCosts",
           "jacobian_shape_sweep", "looped_jvps", "batched_jvps",
           "looped_vjps", "batched_vjps", "PassCosts", "pass_count_sweep",
           "HVPCosts", "hvp_cost_sweep", "hvp_reverse_over_reverse",
           "CostSplit", "fixed_cost_split", "looped_hessian",
           "HessianCosts", "hessian_build_sweep"]

JacobianCosts = namedtuple("JacobianCosts", "n m forward reverse")
PassCosts = namedtuple("PassCosts", "counts batched looped_counts looped")
HVPCosts = namedtuple("HVPCosts", "n_params seconds")
HessianCosts = namedtuple("HessianCosts", "n_params one_hvp looped batched")
CostSplit = namedtuple("CostSplit", "seconds fixed")


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


def jacobian_shape_sweep(n_values, n_plus_m=1010, n_hidden=200, repeats=5,
                         clock=None):
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

    seconds = timing.scaling_sweep(make_fns, n_values, repeats=repeats,
                                   clock=_clock(clock), across_sizes=True)
    return JacobianCosts(n_values, n_plus_m - n_values,
                         seconds["forward"], seconds["reverse"])


# --- P passes: one call each, or one batched call --------------------------

def _rows_like_x(f, x, directions):
    require_tensor("x", x)
    _stacked("directions", directions)
    require_shape("each direction", directions[0], x.shape, "x")


def _cotangent_rows(f, x, cotangents):
    require_tensor("x", x)
    _stacked("cotangents", cotangents)


def _stacked(name, rows):
    require_tensor(name, rows)
    if rows.ndim < 1 or rows.shape[0] < 1:
        raise ValueError(
            f"{name} must stack at least one vector along a first axis; "
            f"got shape {tuple(rows.shape)}")


@checked_by(_rows_like_x)
def looped_jvps(f, x, directions):
    """J v for each row v of ``directions``: one jvp call per row."""
    return torch.stack([torch.func.jvp(f, (x,), (v,))[1]
                        for v in directions])


@checked_by(_rows_like_x)
def batched_jvps(f, x, directions):
    """J v for each row v of ``directions``, all in one vmap call."""
    def push_forward(v):
        return torch.func.jvp(f, (x,), (v,))[1]
    return torch.func.vmap(push_forward)(directions)


@checked_by(_cotangent_rows)
def looped_vjps(f, x, cotangents):
    """J^T u for each row u: one forward pass, then one sweep per row."""
    z, pullback = torch.func.vjp(f, x)  # the trace, stored once
    require_shape("each cotangent", cotangents[0], z.shape, "f(x)")
    return torch.stack([pullback(u)[0] for u in cotangents])


@checked_by(_cotangent_rows)
def batched_vjps(f, x, cotangents):
    """J^T u for each row u: one forward pass, all sweeps in one call."""
    z, pullback = torch.func.vjp(f, x)
    require_shape("each cotangent", cotangents[0], z.shape, "f(x)")
    return torch.func.vmap(pullback)(cotangents)[0]


def pass_count_sweep(counts, looped_counts, n=505, m=505, n_hidden=200,
                     repeats=5, clock=None):
    """Median seconds of P JVPs and of P VJPs, batched and looped.

    The map is ``tanh_network(n, m)`` (n + m = 1010 by default, so a
    pass costs what it costs in ``jacobian_shape_sweep``); the P
    directions and cotangents are random. Batched: one vmap call for all
    P (as ``autodiff.jacobian`` does); looped: one call per pass, timed
    only at ``looped_counts`` (a looped JVP costs about a millisecond
    here). All (style, mode, P) calls are timed in turns, round after
    round. Returns PassCosts(counts, batched, looped_counts, looped),
    ``batched`` and ``looped`` {"JVPs": seconds, "VJPs": seconds}.
    """
    counts, looped_counts = list(counts), list(looped_counts)
    for count in counts + looped_counts:
        require_count("every count", count, minimum=1)
    generator = torch.Generator().manual_seed(2)
    f = tanh_network(n, m, n_hidden)
    x = torch.randn(n, generator=generator, dtype=torch.float64)
    largest = max(counts + looped_counts)
    directions = torch.randn(largest, n, generator=generator,
                             dtype=torch.float64)
    cotangents = torch.randn(largest, m, generator=generator,
                             dtype=torch.float64)

    products = {("batched", "JVPs"): (batched_jvps, directions, counts),
                ("batched", "VJPs"): (batched_vjps, cotangents, counts),
                ("looped", "JVPs"): (looped_jvps, directions, looped_counts),
                ("looped", "VJPs"): (looped_vjps, cotangents, looped_counts)}
    grid = {(style, mode, p): _bind(fn, f, x, rows[:p])
            for (style, mode), (fn, rows, sizes) in products.items()
            for p in sizes}
    seconds = timing.interleaved_median_seconds(grid, repeats, warmup=1,
                                                clock=_clock(clock))

    def column(style, sizes):
        return {mode: np.array([seconds[style, mode, p] for p in sizes])
                for mode in ("JVPs", "VJPs")}

    return PassCosts(np.array(counts), column("batched", counts),
                     np.array(looped_counts), column("looped", looped_counts))


def hvp_cost_sweep(methods, hidden_sizes, n_in=20, n_out=10, batch=64,
                   repeats=5, clock=None):
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
        loss, w, v = _mlp_problem(n_in, n_hidden, n_out, batch)
        n_params.append(w.numel())
        return {name: _bind(method, loss, w, v)
                for name, method in methods.items()}

    seconds = timing.scaling_sweep(make_fns, hidden_sizes, repeats=repeats,
                                   clock=_clock(clock), across_sizes=True)
    return HVPCosts(np.array(n_params), seconds)


@checked_by(lambda loss, w, v: require_flat("w", w))
def hvp_reverse_over_reverse(loss, w, v):
    """H v by reverse mode only: the gradient of w -> <grad loss(w), v>.

    (Chapter 3's exercise ex-rev-rev writes it by hand.)
    """
    return torch.func.grad(lambda w: torch.func.grad(loss)(w) @ v)(w)


def fixed_cost_split(methods, problem, empty_problem, repeats=15,
                     clock=None):
    """Each method's median seconds, and an estimate of its fixed cost.

    ``methods`` is {name: fn(loss, w, v)}; ``problem`` and
    ``empty_problem`` are (loss, w, v). The empty problem makes the same
    calls with next to no arithmetic (``mlp_loss(1, 1, 1, batch=1)``),
    so its time is what a call costs whatever the size: building the
    transforms, dispatching each operation. All calls on both problems
    are timed in turns. Returns CostSplit(seconds, fixed), two dicts
    {name: seconds}.
    """
    if not methods:
        raise ValueError("methods must hold at least one method; got none")
    calls = {(name, which): _bind(method, *args)
             for name, method in methods.items()
             for which, args in (("full", problem),
                                 ("empty", empty_problem))}
    seconds = timing.interleaved_median_seconds(calls, repeats, warmup=1,
                                                clock=_clock(clock))
    return CostSplit({name: seconds[name, "full"] for name in methods},
                     {name: seconds[name, "empty"] for name in methods})


# --- H from n HVPs: looped or batched -----------------------------------

@checked_by(lambda loss, w: require_flat("w", w))
def looped_hessian(loss, w):
    """H, one HVP call per column H e_j: n separate calls."""
    columns_of_identity = torch.eye(w.numel(), dtype=w.dtype)
    return torch.stack([autodiff.hvp(loss, w, e)
                        for e in columns_of_identity], dim=1)


def hessian_build_sweep(hidden_sizes, n_in=20, n_out=10, batch=64,
                        repeats=5, clock=None):
    """Seconds of one HVP, of H from n looped HVPs, and of H batched.

    On ``mlp_loss`` at each hidden width (n parameters): ``one_hvp`` is
    ``autodiff.hvp``, ``looped`` is ``looped_hessian`` (n HVP calls) and
    ``batched`` is ``autodiff.hessian`` (n HVPs in one vmap call), the
    three at every width timed in turns, medians over ``repeats``
    rounds. Returns HessianCosts(n_params, one_hvp, looped, batched),
    arrays of seconds.
    """
    n_params = []

    def make_fns(n_hidden):
        loss, w, v = _mlp_problem(n_in, n_hidden, n_out, batch)
        n_params.append(w.numel())
        return {"one_hvp": _bind(autodiff.hvp, loss, w, v),
                "looped": _bind(looped_hessian, loss, w),
                "batched": _bind(autodiff.hessian, loss, w)}

    seconds = timing.scaling_sweep(make_fns, hidden_sizes, repeats=repeats,
                                   clock=_clock(clock), across_sizes=True)
    return HessianCosts(np.array(n_params), seconds["one_hvp"],
                        seconds["looped"], seconds["batched"])


def _clock(clock):
    # CPU time by default: this chapter's sweeps run on shared machines.
    return clock if clock is not None else timing.cpu_clock()


def _mlp_problem(n_in, n_hidden, n_out, batch):
    """``mlp_loss`` of that width, a fixed random w and direction v."""
    loss, n = mlp_loss(n_in, int(n_hidden), n_out, batch)
    generator = torch.Generator().manual_seed(1)
    w = 0.3 * torch.randn(n, generator=generator, dtype=torch.float64)
    v = torch.randn(n, generator=generator, dtype=torch.float64)
    return loss, w, v


def _bind(fn, *args):
    # A function per call, not a lambda in a loop that would see only
    # the loop variables' last values.
    return lambda: fn(*args)
