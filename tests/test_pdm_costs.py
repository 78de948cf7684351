"""jacolib.pdm_costs: the four gradient steps of one layer compute one
direction (up to WᵀW), checked against autograd and pdm.Flow; the flop
prediction against its count; the sweep's shape."""

import numpy as np
import pytest
import torch

import jacolib
from jacolib import pdm, pdm_costs


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def test_the_four_steps_agree_with_a_one_layer_flow():
    W, X = pdm_costs.one_layer_problem(16, 7, seed=2)
    steps = {name: step() for name, step in
             pdm_costs.one_layer_steps(W, X).items()}
    assert set(steps) == set(pdm_costs.STEPS)
    flow = pdm.Flow.from_layers([(W, torch.zeros(16))])
    (exact, _), = flow.exact_grads(X)
    np.testing.assert_allclose(steps["exact, inverse"], exact, atol=1e-10)
    np.testing.assert_allclose(steps["exact, autograd"], exact, atol=1e-10)
    for name in ("relative", "relative, (ZᵀZ)W"):
        np.testing.assert_allclose(steps[name], exact @ W.T @ W,
                                   atol=1e-10)


def test_the_problem_is_well_conditioned_and_seeded():
    W, X = pdm_costs.one_layer_problem(64, 3, seed=1)
    assert W.shape == (64, 64) and X.shape == (3, 64)
    assert torch.linalg.cond(W) < 10
    W2, X2 = pdm_costs.one_layer_problem(64, 3, seed=1)
    assert torch.equal(W, W2) and torch.equal(X, X2)


@pytest.mark.parametrize("n, N", [(64, 1), (1024, 100), (4096, 100)])
def test_the_predicted_speedup_is_the_flop_ratio(n, N):
    exact = 2 * N * n * n + 2 * N * n * n + 2 * n ** 3
    relative = 3 * 2 * N * n * n
    assert pdm_costs.predicted_speedup(n, N) == pytest.approx(
        exact / relative, rel=1e-12)


def test_the_sweep_returns_one_positive_time_per_size_and_step():
    sweep = pdm_costs.cost_sweep([8, 16], 2, steps=("relative",
                                                    "exact, inverse"),
                                 repeats=1)
    assert set(sweep) == {"relative", "exact, inverse"}
    for seconds in sweep.values():
        assert seconds.shape == (2,) and np.all(seconds > 0)


@pytest.mark.parametrize("W, X", [
    (torch.zeros(3, 4), torch.zeros(2, 4)),
    (torch.zeros(4, 4), torch.zeros(2, 3)),
    (torch.zeros(4, 4), torch.zeros(4)),
])
def test_bad_shapes_are_refused(W, X):
    with pytest.raises(ValueError, match=r"W must be \(n, n\) and X"):
        pdm_costs.one_layer_steps(W, X)


def test_the_sweep_times_with_the_clock_it_is_given():
    ticks = iter(range(10 ** 6))  # each reading one tick later

    def clock():
        return float(next(ticks))

    sweep = pdm_costs.cost_sweep([8, 16], 2, steps=("relative",),
                                 repeats=3, clock=clock)
    np.testing.assert_array_equal(sweep["relative"], [1.0, 1.0])
