"""Chapter 7's cost measurements: one gradient step of one linear layer
z = W x with a standard normal base, so δ = −z, on a batch X (N, n):

    exact     ∇_W = −Zᵀ X / N + W⁻ᵀ        (an inverse: ~2n³ flops)
    relative  ∇_W WᵀW = −Zᵀ (Z W) / N + W   (no inverse: ~6Nn² flops)

with Z = X Wᵀ. The relative step must multiply Zᵀ (Z W), two products
of an (N, n) and an (n, n) matrix; (Zᵀ Z) W would spend n³ again.
Counting flops, the exact step costs 4Nn² + 2n³ and the relative one
6Nn², a predicted speed-up of 2/3 + n / (3N) (at N = 1 the products
with Zᵀ are outer products, n² flops, and the ratio is 0.6 + 0.4 n).
The timer is ``jacolib.timing``; make bench holds the budgets
(benchmarks/bench_pdm).
"""

import torch

from jacolib.timing import cpu_clock, scaling_sweep
from jacolib.validate import checked_by, require_count, require_tensor

__all__ = ["STEPS", "cost_sweep", "one_layer_problem", "one_layer_steps",
           "predicted_speedup"]

STEPS = ("relative", "relative, (ZᵀZ)W", "exact, inverse",
         "exact, autograd")


def _matrix_and_batch(W, X):
    require_tensor("W", W)
    require_tensor("X", X)
    n = W.shape[-1]
    if W.shape != (n, n) or X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"W must be (n, n) and X (N, n); got W "
                         f"{tuple(W.shape)} and X {tuple(X.shape)}")


@checked_by(_matrix_and_batch)
def one_layer_steps(W, X):
    """{name: step()} for the names of STEPS: each returns the ascent
    direction for W of the mean log-likelihood (the relative ones, times
    WᵀW)."""
    N = X.shape[0]

    def relative():
        Z = X @ W.mT
        return W - Z.mT @ (Z @ W) / N

    def relative_wrong_order():
        Z = X @ W.mT
        return W - (Z.mT @ Z) @ W / N

    def exact_inverse():
        Z = X @ W.mT
        return torch.linalg.inv(W).mT - Z.mT @ X / N

    def exact_autograd():
        W_leaf = W.detach().requires_grad_()
        log_p = (-0.5 * (X @ W_leaf.mT) ** 2).sum() / N + \
            torch.linalg.slogdet(W_leaf).logabsdet
        return torch.autograd.grad(log_p, W_leaf)[0]

    return dict(zip(STEPS, (relative, relative_wrong_order,
                            exact_inverse, exact_autograd)))


def one_layer_problem(n, N, seed=0):
    """A well-conditioned W = I + 0.3 G/√n (n, n) and a batch X (N, n)."""
    require_count("n", n, minimum=1)
    require_count("N", N, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    G = torch.randn(n, n, generator=generator, dtype=torch.float64)
    X = torch.randn(N, n, generator=generator, dtype=torch.float64)
    return torch.eye(n, dtype=torch.float64) + 0.3 * G / n ** 0.5, X


def predicted_speedup(n, N):
    """The flop-count ratio exact / relative: (4Nn² + 2n³) / (6Nn²)."""
    return 2 / 3 + n / (3 * N)


def cost_sweep(dims, N, steps=STEPS, repeats=5, clock=None):
    """Median seconds of each step in ``steps`` at each n of ``dims``,
    batch size N, timed in turns: {name: array over dims}. The clock is
    this process's processor time (``jacolib.timing.cpu_clock``) unless
    ``clock`` is given: on a shared machine it counts only our work."""
    def make(n):
        fns = one_layer_steps(*one_layer_problem(n, N))
        return {name: fns[name] for name in steps}
    return scaling_sweep(make, dims, repeats=repeats, warmup=1,
                         clock=clock or cpu_clock())
