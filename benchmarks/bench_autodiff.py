"""Budgets of jacolib.autodiff: HVP cost, and which Jacobian mode wins.

- ``hvp`` on a ~1e5-parameter MLP costs no more than torch.func's own
  forward-over-reverse written by hand (the checks add nothing), and a
  small multiple of one gradient.
- ``jacobian`` at a 100:1 shape: reverse mode (one pass per output) wins
  when outputs are few, forward mode (one pass per input) when inputs are.
"""

import statistics

import torch

from benchmarks.budget import Budget, median_seconds
from jacolib import autodiff

REPEATS = 20


def budgets() -> list[Budget]:
    torch.set_num_threads(1)
    previous_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _hvp_budgets() + _jacobian_budgets()
    finally:
        torch.set_default_dtype(previous_dtype)


def interleaved_median_seconds(fns, repeats=REPEATS, warmup=2):
    """Median seconds of one call of each of fns, timed in turns a b c a b c.

    Other processes on a shared machine slow whichever call runs at the
    moment. Taking turns spreads that over all fns alike. Who goes first
    rotates too, as the first of a round measured ~5% faster. Measured
    here beside another busy process: hvp / hand-written in 0.93-1.15,
    mostly 1.00 +- 0.05; back-to-back medians of 20 gave 0.83-1.16.
    """
    for fn in fns:
        for _ in range(warmup):
            fn()
    samples = {fn: [] for fn in fns}
    for round_number in range(repeats):
        first = round_number % len(fns)
        for fn in fns[first:] + fns[:first]:
            samples[fn].append(median_seconds(fn, repeats=1, warmup=0))
    return [statistics.median(samples[fn]) for fn in fns]


# --- hvp -------------------------------------------------------------------

def mlp_loss(n_in=100, n_hidden=500, n_out=100, batch=64, seed=0):
    """A flat-parameter tanh MLP's MSE on a fixed batch, and its size.

    w holds W1 (n_hidden x n_in), b1, W2 (n_out x n_hidden), b2:
    100 * 500 + 500 + 500 * 100 + 100 = 100,600 parameters by default.
    """
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(batch, n_in, generator=generator)
    Y = torch.randn(batch, n_out, generator=generator)
    shapes = [(n_hidden, n_in), (n_hidden,), (n_out, n_hidden), (n_out,)]
    sizes = [torch.Size(shape).numel() for shape in shapes]

    def loss(w):
        W1, b1, W2, b2 = (
            part.reshape(shape)
            for part, shape in zip(torch.split(w, sizes), shapes))
        prediction = torch.tanh(X @ W1.T + b1) @ W2.T + b2
        return 0.5 * ((prediction - Y) ** 2).mean()

    return loss, sum(sizes)


def _hvp_budgets():
    loss, n_params = mlp_loss()
    generator = torch.Generator().manual_seed(1)
    w = 0.05 * torch.randn(n_params, generator=generator)
    v = torch.randn(n_params, generator=generator)
    gradient = torch.func.grad(loss)

    def by_hand():
        return torch.func.jvp(gradient, (w,), (v,))[1]

    hvp_time, by_hand_time, gradient_time = interleaved_median_seconds(
        [lambda: autodiff.hvp(loss, w, v), by_hand, lambda: gradient(w)])
    size = f"{n_params:,}-parameter MLP"
    return [
        Budget(f"hvp / hand-written jvp(grad), {size}",
               hvp_time / by_hand_time, 1.25, "x"),
        Budget(f"hvp / one gradient, {size}",
               hvp_time / gradient_time, 6.0, "x"),
    ]


# --- jacobian --------------------------------------------------------------

def tanh_network(n_in, n_out, n_hidden=200, seed=0):
    """x -> W2 tanh(W1 x + b1): R^n_in -> R^n_out.

    A torch.func call has a fixed cost (about 1 ms for a jvp, 0.5 ms for
    a vjp, measured here) that does not grow with the number of passes.
    200 hidden units make the 1000 slow passes cost ~2e8 multiply-adds,
    so the passes, not that fixed cost, are what the ratio compares.
    (With 100 hidden units the ratios measured were 6.6x and 4.1x.)
    """
    generator = torch.Generator().manual_seed(seed)
    W1 = torch.randn(n_hidden, n_in, generator=generator) / n_in ** 0.5
    b1 = torch.randn(n_hidden, generator=generator)
    W2 = torch.randn(n_out, n_hidden, generator=generator) / n_hidden ** 0.5
    return lambda x: W2 @ torch.tanh(W1 @ x + b1)


def _mode_speedup(n_in, n_out, fast_mode, slow_mode):
    f = tanh_network(n_in, n_out)
    x = torch.randn(n_in, generator=torch.Generator().manual_seed(2))
    fast, slow = interleaved_median_seconds(
        [lambda: autodiff.jacobian(f, x, mode=fast_mode),
         lambda: autodiff.jacobian(f, x, mode=slow_mode)])
    return Budget(
        f"jacobian R^{n_in} -> R^{n_out}: {slow_mode} time / "
        f"{fast_mode} time", slow / fast, 3.0, "x", at_most=False)


def _jacobian_budgets():
    return [_mode_speedup(1000, 10, fast_mode="rev", slow_mode="fwd"),
            _mode_speedup(10, 1000, fast_mode="fwd", slow_mode="rev")]


if __name__ == "__main__":
    for budget in budgets():
        verdict = "ok" if budget.ok else "OVER BUDGET"
        limit = ("<=" if budget.at_most else ">=") + f" {budget.limit:g}"
        print(f"{budget.what:<62} {budget.measured:8.2f} {budget.unit}"
              f"  (limit {limit}{budget.unit})  {verdict}")
