"""Budgets of chapter 7 (jacolib.pdm_costs): the relative gradient step
of one layer against the exact step with its inverse.

Both steps run on one thread, on the same batch, for z = W x with a
normal base: exact −ZᵀX/N + W⁻ᵀ, relative −Zᵀ(ZW)/N + W. The machine is
shared, so each time is processor time (``jacolib.timing.cpu_clock``:
another program holding the processor does not count), a median over
repeats timed in turns, and at N = 100 the two sizes are timed in the
same rounds (``across_sizes``), so that a busy spell hits all four
calls alike. On a 2-core machine loaded by other jobs the speed-ups
still varied by a factor of 2 to 4 between runs (memory traffic of the
other jobs slows the memory-bound relative step at N = 1 most), so the
budgets sit well below the lowest value seen, yet far above what a
relative step that lost its advantage gives: multiplied as (ZᵀZ)W, an
n³ product like the inverse, it is about as slow as the exact step
(speed-up about 1, and no growth with n).

- at n = 1024 the relative step is at least 5 times faster than the
  exact one at batch size N = 1, and at least 2.5 times at N = 100;
- at N = 100 it is at least 6 times faster at n = 4096, and its
  speed-up grows from n = 1024 to 4096 by a factor of at least 1.2
  (the flop count predicts 3.5).
"""

import torch

from benchmarks.budget import Budget
from jacolib.pdm_costs import one_layer_problem, one_layer_steps
from jacolib.timing import cpu_clock, interleaved_median_seconds, \
    scaling_sweep

COMPARED = ("relative", "exact, inverse")


def budgets() -> list[Budget]:
    previous_threads = torch.get_num_threads()
    previous_dtype = torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    try:
        return _budgets()
    finally:
        torch.set_num_threads(previous_threads)
        torch.set_default_dtype(previous_dtype)


def speedups(clock=None):
    """{(n, N): median exact time / median relative time} at N = 1,
    n = 1024, and at N = 100, n = 1024 and 4096."""
    clock = clock or cpu_clock()
    steps = one_layer_steps(*one_layer_problem(1024, 1))
    single = interleaved_median_seconds(
        {name: steps[name] for name in COMPARED}, repeats=15, warmup=2,
        clock=clock)

    def make(n):
        steps = one_layer_steps(*one_layer_problem(n, 100))
        return {name: steps[name] for name in COMPARED}

    batched = scaling_sweep(make, [1024, 4096], repeats=5, warmup=1,
                            clock=clock, across_sizes=True)
    ratios = batched["exact, inverse"] / batched["relative"]
    return {(1024, 1): single["exact, inverse"] / single["relative"],
            (1024, 100): float(ratios[0]), (4096, 100): float(ratios[1])}


def _budgets():
    measured = speedups()
    what = "relative vs exact (inverse) step, one thread, CPU time"
    return [
        Budget(f"{what}: n=1024, N=1", measured[1024, 1], 5.0, "x",
               at_most=False),
        Budget(f"{what}: n=1024, N=100", measured[1024, 100], 2.5, "x",
               at_most=False),
        Budget(f"{what}: n=4096, N=100", measured[4096, 100], 6.0, "x",
               at_most=False),
        Budget("  its growth at N=100: speed-up n=4096 / n=1024",
               measured[4096, 100] / measured[1024, 100], 1.2, "x",
               at_most=False),
    ]
