"""Budgets of jacolib.autodiff: HVP cost, and which Jacobian mode wins.

- ``hvp`` on a ~1e5-parameter MLP costs no more than torch.func's own
  forward-over-reverse written by hand (the checks add nothing), and a
  small multiple of one gradient.
- ``jacobian`` at a 100:1 shape: reverse mode (one pass per output) wins
  when outputs are few, forward mode (one pass per input) when inputs are.

The test problems and the interleaved timer are the ones chapter 3 uses
(jacolib.autodiff_costs, jacolib.timing).
"""

import torch

from benchmarks.budget import Budget
from jacolib import autodiff
from jacolib.autodiff_costs import mlp_loss, tanh_network
from jacolib.timing import interleaved_median_seconds


def budgets() -> list[Budget]:
    torch.set_num_threads(1)
    previous_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _hvp_budgets() + _jacobian_budgets()
    finally:
        torch.set_default_dtype(previous_dtype)


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
