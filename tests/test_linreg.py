"""jacolib.linreg against independent computations."""

import numpy as np
import pytest
import torch

from jacolib import datasets, linreg


def random_psd(dim, rank=None, seed=0):
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(dim, rank or dim))
    return factor @ factor.T / dim


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_value_and_grad_match_torch_autograd(dim):
    rng = np.random.default_rng(dim)
    A, b, c = random_psd(dim), rng.normal(size=dim), 0.7
    objective = linreg.QuadraticObjective(A, b, c)
    w = rng.normal(size=dim)
    w_t = torch.tensor(w, requires_grad=True)
    value = 0.5 * w_t @ torch.tensor(A) @ w_t + torch.tensor(b) @ w_t + c
    value.backward()
    assert objective.value(w) == pytest.approx(value.item(), abs=1e-12)
    np.testing.assert_allclose(objective.grad(w), w_t.grad.numpy(),
                               atol=1e-12)


def test_value_accepts_a_grid_of_points():
    objective = linreg.QuadraticObjective(random_psd(2), np.ones(2))
    grid = np.random.default_rng(0).normal(size=(4, 3, 2))
    expected = [[objective.value(p) for p in row] for row in grid]
    np.testing.assert_allclose(objective.value(grid), expected, atol=1e-12)


def test_from_regression_is_half_the_mean_squared_error():
    X, t = datasets.linear_regression_data(n_samples=30, seed=3)
    objective = linreg.QuadraticObjective.from_regression(X, t)
    w = np.array([0.2, -0.4])
    assert objective.value(w) == pytest.approx(
        0.5 * np.mean((X @ w - t) ** 2), abs=1e-12)


@pytest.mark.parametrize("duplicate", [False, True])
def test_minimizer_is_the_min_norm_least_squares_solution(duplicate):
    true_w = (1.0, -2.0, 0.5) if duplicate else (1.0, -2.0)
    X, t = datasets.linear_regression_data(true_w=true_w,
                                           duplicate_feature=duplicate)
    objective = linreg.QuadraticObjective.from_regression(X, t)
    np.testing.assert_allclose(objective.minimizer(),
                               np.linalg.pinv(X) @ t, atol=1e-10)


def test_minimizer_raises_when_unbounded_below():
    objective = linreg.QuadraticObjective(np.diag([1.0, 0.0]),
                                          np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="unbounded below"):
        objective.minimizer()


def gd_by_hand(A, b, w0, lr, n_steps):
    path = [np.array(w0, dtype=float)]
    for _ in range(n_steps):
        path.append(path[-1] - lr * (A @ path[-1] + b))
    return np.array(path)


@pytest.mark.parametrize("dim, rank", [(1, 1), (3, 3), (4, 2)])
@pytest.mark.parametrize("lr", [0.1, 0.9, 1.7])
def test_gd_and_closed_form_match_a_plain_loop(dim, rank, lr):
    rng = np.random.default_rng(dim + rank)
    A = random_psd(dim, rank, seed=dim)
    # b in the range of A, so flat directions never move (least squares).
    b = A @ rng.normal(size=dim)
    w0 = rng.normal(size=dim)
    lr = lr / np.linalg.eigvalsh(A)[-1]  # a fraction of 2/λmax
    expected = gd_by_hand(A, b, w0, lr, 50)
    objective = linreg.QuadraticObjective(A, b)
    np.testing.assert_allclose(linreg.gd(objective, w0, lr, 50), expected,
                               atol=1e-10)
    np.testing.assert_allclose(linreg.closed_form(objective, w0, lr, 50),
                               expected, atol=1e-10)


def test_closed_form_drifts_along_a_flat_axis_with_nonzero_b():
    objective = linreg.QuadraticObjective(np.diag([2.0, 0.0]),
                                          np.array([1.0, 0.5]))
    expected = gd_by_hand(objective.A, objective.b, np.zeros(2), 0.3, 40)
    np.testing.assert_allclose(
        linreg.closed_form(objective, np.zeros(2), 0.3, 40), expected,
        atol=1e-12)
    assert expected[-1, 1] == pytest.approx(-40 * 0.3 * 0.5)


def test_gd_diverges_quietly_above_the_threshold():
    objective = linreg.QuadraticObjective(np.eye(2), np.zeros(2))
    with np.errstate(all="raise"):  # any numpy warning would raise here
        path = linreg.gd(objective, np.ones(2), lr=3.5, n_steps=2000)
    assert not np.all(np.isfinite(path[-1]))
    assert np.isfinite(path[10]).all() and abs(path[10, 0]) > 1000


def test_stability_threshold_is_two_over_the_largest_eigenvalue():
    A = np.diag([0.5, 4.0, 1.0])
    assert linreg.stability_threshold(A) == pytest.approx(0.5)
    objective = linreg.QuadraticObjective(A, np.ones(3))
    w_star = objective.minimizer()
    for factor, converges in [(0.99, True), (1.01, False)]:
        lr = factor * linreg.stability_threshold(A)
        end = linreg.gd(objective, np.zeros(3), lr, 3000)[-1]
        assert (np.linalg.norm(end - w_star) < 1e-3) == converges


def test_conditioned_quadratic_has_the_asked_spectrum():
    objective = linreg.conditioned_quadratic(25.0)
    np.testing.assert_allclose(objective.eigenvalues, [1 / 25, 1.0],
                               atol=1e-12)
    np.testing.assert_allclose(objective.minimizer(), [1.0, 0.5],
                               atol=1e-12)


def test_per_axis_errors_follow_the_geometric_law():
    objective = linreg.conditioned_quadratic(4.0)
    path = linreg.gd(objective, np.array([2.0, -1.0]), 0.5, 10)
    errors = linreg.per_axis_errors(objective, path)
    factors = np.abs(1 - 0.5 * objective.eigenvalues)
    np.testing.assert_allclose(errors[:, 10],
                               factors ** 10 * errors[:, 0], rtol=1e-10)


@pytest.mark.parametrize("A, b, message", [
    (np.ones((2, 3)), np.ones(2),
     r"square matrix \(n, n\); got shape \(2, 3\)"),
    (np.eye(2), np.ones(3), r"b must have shape \(2,\) .* got \(3,\)"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones(2), "must be symmetric"),
    (np.diag([1.0, -1.0]), np.ones(2), "positive semi-definite"),
    (np.array([[np.nan]]), np.ones(1), "A must be finite"),
])
def test_bad_objectives_are_refused(A, b, message):
    with pytest.raises(ValueError, match=message):
        linreg.QuadraticObjective(A, b)


@pytest.mark.parametrize("w0, lr, n_steps, message", [
    (np.zeros(3), 0.1, 5, r"w0 must have shape \(2,\); got \(3,\)"),
    (np.zeros(2), 0.0, 5, "lr must be a number > 0; got 0.0"),
    (np.zeros(2), -1.0, 5, "lr must be a number > 0; got -1.0"),
    (np.zeros(2), 0.1, -1, "n_steps must be an int >= 0; got -1"),
    (np.zeros(2), 0.1, 2.5, "n_steps must be an int >= 0; got 2.5"),
])
def test_bad_runs_are_refused(w0, lr, n_steps, message):
    objective = linreg.QuadraticObjective(np.eye(2), np.zeros(2))
    for run in (linreg.gd, linreg.closed_form):
        with pytest.raises(ValueError, match=message):
            run(objective, w0, lr, n_steps)


def test_bad_points_and_matrices_are_refused():
    objective = linreg.QuadraticObjective(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError,
                       match=r"\(2,\) or \(\.\.\., 2\); got \(3,\)"):
        objective.value(np.zeros(3))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        linreg.stability_threshold(np.ones(3))
    with pytest.raises(ValueError, match="positive eigenvalue"):
        linreg.stability_threshold(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="kappa must be a number >= 1"):
        linreg.conditioned_quadratic(0.5)
