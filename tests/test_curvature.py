"""Tests of jacolib.curvature against independent computations:
torch.autograd.functional, closed forms, finite differences, retraining.
"""

import math

import numpy as np
import pytest
import torch
from torch.autograd.functional import hessian as autograd_hessian
from torch.autograd.functional import jacobian as autograd_jacobian
from torch.func import jvp

from jacolib import autodiff as ad
from jacolib import curvature as C
from jacolib import small_nets as S

DTYPE = torch.float64

# torch's own forward-mode rule for nll_loss (cross-entropy) is built
# with torch.jit.script on first use, which warns; not our code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def randn(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=DTYPE)


def relative_error(a, b):
    return ((a - b).norm() / b.norm()).item()


def wavy_loss(w):
    """A smooth non-quadratic loss of any number of parameters."""
    return (torch.log(torch.cosh(w)).sum() + torch.sin(w[0] * w[-1])
            + (w**3).sum() / 3)


def hessian_at_origin(fn):
    return autograd_hessian(fn, torch.zeros(2, dtype=DTYPE))


# --- classify_stationary_point ---------------------------------------------

@pytest.mark.parametrize("fn, kind", [
    (lambda p: p[0]**2 + p[1]**2, "minimum"),
    (lambda p: -(p[0]**2 + p[1]**2), "maximum"),
    (lambda p: p[0]**2 - p[1]**2, "saddle"),
    (lambda p: p[0]**4 + p[1]**2, "degenerate"),
])
def test_classify_textbook_examples(fn, kind):
    assert C.classify_stationary_point(hessian_at_origin(fn)) == kind


def test_classify_quartic_hessian_is_diag_0_2():
    H = hessian_at_origin(lambda p: p[0]**4 + p[1]**2)
    assert torch.equal(H, torch.diag(torch.tensor([0.0, 2.0], dtype=DTYPE)))


@pytest.mark.parametrize("eigenvalues, tol, kind", [
    ([1e-9, 1.0], 1e-8, "degenerate"),   # below tol counts as zero
    ([1e-9, 1.0], 1e-10, "minimum"),     # above a smaller tol it does not
    ([-1e-9, -1.0], 1e-8, "degenerate"),
    ([-1e-9, 1.0], 1e-8, "degenerate"),  # a tiny negative is no saddle
    ([1e-9, -1.0], 1e-8, "degenerate"),
    ([-1e-9, 1.0], 1e-10, "saddle"),
    ([1e-8, 1.0], 1e-8, "degenerate"),   # |λ| == tol is zero (<=)
    ([-1.0, 0.0, 1.0], 1e-8, "saddle"),  # a saddle whatever the zeros
    ([0.0, 0.0], 1e-8, "degenerate"),
    ([0.0, 0.0], 0.0, "degenerate"),
    ([-2.0, -3.0, -1e-3], 1e-8, "maximum"),
    ([5.0], 1e-8, "minimum"),
])
def test_classify_tolerance_edges(eigenvalues, tol, kind):
    H = torch.diag(torch.tensor(eigenvalues, dtype=DTYPE))
    assert C.classify_stationary_point(H, tol=tol) == kind


@pytest.mark.parametrize("eigenvalues, kind", [
    ([3.0, 1.0, 2.0], "minimum"), ([-3.0, 1.0, 2.0], "saddle"),
    ([-3.0, -1.0, 0.0], "degenerate"), ([-3.0, -1.0, -2.0], "maximum"),
])
def test_classify_reads_eigenvalues_not_the_diagonal(eigenvalues, kind):
    Q, _ = torch.linalg.qr(randn(3, 3))
    H = Q @ torch.diag(torch.tensor(eigenvalues, dtype=DTYPE)) @ Q.T
    H = 0.5 * (H + H.T)
    assert C.classify_stationary_point(H) == kind


@pytest.mark.parametrize("H, message", [
    (torch.zeros(2, 3, dtype=DTYPE),
     r"square matrix \(n, n\); got shape \(2, 3\)"),
    (torch.zeros(3, dtype=DTYPE), r"square.*got shape \(3,\)"),
    (torch.zeros(0, 0, dtype=DTYPE), r"non-empty.*got shape \(0, 0\)"),
    (torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=DTYPE),
     r"shape \(2, 2\) must be symmetric.*= 2"),
    ([[1.0, 0.0], [0.0, 1.0]], r"got list"),
])
def test_classify_rejects_bad_matrices(H, message):
    with pytest.raises(ValueError, match=message):
        C.classify_stationary_point(H)


def test_classify_rejects_negative_tol():
    with pytest.raises(ValueError, match=r"tol must be >= 0; got -1"):
        C.classify_stationary_point(torch.eye(2, dtype=DTYPE), tol=-1)


# --- Taylor models ---------------------------------------------------------

def test_slope_and_curvature_match_autograd():
    w, d = randn(5, seed=1), randn(5, seed=2)
    g = autograd_jacobian(wavy_loss, w)
    H = autograd_hessian(wavy_loss, w)
    slope, curvature = C.slope_and_curvature(wavy_loss, w, d)
    assert torch.allclose(slope, g @ d, rtol=1e-12, atol=1e-12)
    assert torch.allclose(curvature, d @ H @ d, rtol=1e-12, atol=1e-12)


def test_taylor_second_order_exact_for_a_quadratic():
    A = randn(4, 4, seed=3)
    A = A @ A.T
    b = randn(4, seed=4)

    def quadratic(w):
        return 0.5 * w @ A @ w + b @ w + 1.5

    w, d = randn(4, seed=5), randn(4, seed=6)
    steps = torch.linspace(-2, 2, 9, dtype=DTYPE)
    models = C.taylor_models(quadratic, w, d, steps)
    expected = torch.stack([quadratic(w + s * d) for s in steps])
    assert torch.allclose(models.true, expected, rtol=0, atol=1e-12)
    assert torch.allclose(models.second_order, expected, rtol=0, atol=1e-12)
    slope = (A @ w + b) @ d
    assert torch.allclose(models.first_order, quadratic(w) + steps * slope)


def test_taylor_errors_shrink_as_s_squared_and_s_cubed():
    w, d = randn(6, seed=7), randn(6, seed=8)
    steps = 0.1 * 0.5 ** torch.arange(6, dtype=DTYPE)
    models = C.taylor_models(wavy_loss, w, d, steps)
    first_error = (models.true - models.first_order).abs()
    second_error = (models.true - models.second_order).abs()
    # Halving s divides an O(s^k) error by 2^k.
    first_ratio = first_error[:-1] / first_error[1:]
    second_ratio = second_error[:-1] / second_error[1:]
    assert abs(first_ratio[-1].item() - 4.0) < 0.08
    assert abs(second_ratio[-1].item() - 8.0) < 0.16
    assert (second_error < first_error).all()


def test_taylor_models_shapes_and_list_steps():
    models = C.taylor_models(wavy_loss, randn(3), randn(3, seed=1),
                             [0.0, 0.5, 1.0])
    assert models._fields == ("steps", "true", "first_order",
                              "second_order")
    assert all(value.shape == (3,) for value in models)
    assert models.true[0] == models.first_order[0] == wavy_loss(randn(3))


@pytest.mark.parametrize("w, d, steps, message", [
    (torch.zeros(2, 2, dtype=DTYPE), None, [1.0],
     r"w must be a 1-D float tensor of shape \(n,\); got shape \(2, 2\)"),
    (torch.zeros(3, dtype=DTYPE), torch.zeros(4, dtype=DTYPE), [1.0],
     r"direction must have the shape of w, \(3,\); got \(4,\)"),
    (torch.zeros(3, dtype=DTYPE), torch.zeros(3, dtype=DTYPE), [[1.0]],
     r"steps must be 1-D.*got shape \(1, 1\)"),
])
def test_taylor_rejects_bad_shapes(w, d, steps, message):
    with pytest.raises(ValueError, match=message):
        C.taylor_models(wavy_loss, w, w if d is None else d, steps)


def test_non_scalar_loss_is_rejected():
    with pytest.raises(ValueError, match=r"scalar.*got shape \(3,\)"):
        C.slope_and_curvature(torch.sin, randn(3), randn(3))


# --- hessian_eigenvalues and spectrum_summary ------------------------------

def test_hessian_eigenvalues_of_a_quadratic_are_those_of_A():
    A = randn(6, 6, seed=9)
    A = A + A.T
    eigenvalues = C.hessian_eigenvalues(lambda w: 0.5 * w @ A @ w,
                                        randn(6))
    expected = np.linalg.eigvalsh(A.numpy())
    assert np.allclose(eigenvalues.numpy(), expected, atol=1e-12)


def test_hessian_eigenvalues_match_autograd():
    w = randn(5, seed=10)
    H = autograd_hessian(wavy_loss, w).numpy()
    eigenvalues = C.hessian_eigenvalues(wavy_loss, w).numpy()
    assert np.allclose(eigenvalues, np.linalg.eigvalsh(H), atol=1e-12)
    assert np.all(np.diff(eigenvalues) >= 0)


def test_spectrum_summary_counts_against_a_python_loop():
    # Scale max |λ| = 5, so rel_tol 1e-3 puts the threshold at 5e-3.
    values = [-5.0, -1e-2, -2e-3, 0.0, 1e-3, 4e-3, 0.1, 3.0, 4.0]
    summary = C.spectrum_summary(torch.tensor(values, dtype=DTYPE),
                                 rel_tol=1e-3)
    assert summary.n == 9
    assert summary.n_near_zero == sum(abs(x) <= 5e-3 for x in values) == 4
    assert summary.n_negative == sum(x < -5e-3 for x in values) == 2
    assert (summary.smallest, summary.largest) == (-5.0, 4.0)


def test_spectrum_summary_of_a_psd_matrix_has_no_negatives():
    A = randn(30, 5)
    eigenvalues = torch.linalg.eigvalsh(A @ A.T)  # rank 5 of 30
    summary = C.spectrum_summary(eigenvalues, rel_tol=1e-10)
    assert summary.n_negative == 0
    assert summary.n_near_zero == 25


@pytest.mark.parametrize("eigenvalues, rel_tol, message", [
    (torch.zeros(2, 2, dtype=DTYPE), 1e-3,
     r"1-D tensor \(n,\); got shape \(2, 2\)"),
    (torch.zeros(0, dtype=DTYPE), 1e-3, r"non-empty.*got shape \(0,\)"),
    ([1.0, 2.0], 1e-3, r"got list"),
    (torch.ones(3, dtype=DTYPE), -1.0, r"rel_tol must be >= 0; got -1.0"),
])
def test_spectrum_summary_rejects_bad_input(eigenvalues, rel_tol, message):
    with pytest.raises(ValueError, match=message):
        C.spectrum_summary(eigenvalues, rel_tol=rel_tol)


# --- power_iteration -------------------------------------------------------

def symmetric_with_spectrum(eigenvalues, seed=0):
    Q, _ = torch.linalg.qr(randn(len(eigenvalues), len(eigenvalues),
                                 seed=seed))
    return Q @ torch.diag(torch.tensor(eigenvalues, dtype=DTYPE)) @ Q.T


@pytest.mark.parametrize("eigenvalues", [
    [40.0, 14.0, 3.0, 0.0, -0.5, -1.0], [-9.0, 5.0, 1.0, 0.5]])
def test_power_iteration_finds_the_eigenvalue_of_largest_magnitude(
        eigenvalues):
    A = symmetric_with_spectrum(eigenvalues)
    result = C.power_iteration(lambda v: A @ v, randn(len(eigenvalues)))
    values, vectors = torch.linalg.eigh(A)
    top = values.abs().argmax()
    assert result.converged
    assert result.eigenvalue == pytest.approx(values[top].item(), rel=1e-10)
    # The eigenvector, up to its sign.
    assert abs(result.vector @ vectors[:, top]) == pytest.approx(1, abs=1e-8)
    assert result.vector.norm().item() == pytest.approx(1.0)


def test_power_iteration_warm_start_and_iteration_cap():
    A = symmetric_with_spectrum([10.0, 9.0, 1.0, 0.5])
    cold = C.power_iteration(lambda v: A @ v, randn(4))
    warm = C.power_iteration(lambda v: A @ v, cold.vector)
    assert warm.converged and warm.n_iter < cold.n_iter / 5
    capped = C.power_iteration(lambda v: A @ v, randn(4), max_iter=2)
    assert capped.n_iter == 2 and not capped.converged


def test_power_iteration_of_zero_and_of_finite_differences():
    zero = C.power_iteration(lambda v: 0 * v, randn(3))
    assert zero.converged and zero.eigenvalue == 0.0
    # Products Hv as finite differences of the gradient, as on page 2.1.
    w = randn(5, seed=10)
    gradient = torch.func.grad(wavy_loss)
    result = C.power_iteration(
        lambda v: ad.finite_difference_jvp(gradient, w, v), randn(5))
    values = torch.linalg.eigvalsh(autograd_hessian(wavy_loss, w))
    assert result.eigenvalue == pytest.approx(
        values.abs().max().item() * values[values.abs().argmax()].sign()
        .item(), rel=1e-8)


@pytest.mark.parametrize("matvec, start, message", [
    (lambda v: v, torch.zeros(3, dtype=DTYPE), "start must be a nonzero"),
    (lambda v: v, torch.ones(2, 2, dtype=DTYPE), r"start must be a 1-D"),
    (lambda v: v[:2], torch.ones(3, dtype=DTYPE),
     r"matvec must map shape \(3,\) to itself; got shape \(2,\)"),
])
def test_power_iteration_rejects_bad_input(matvec, start, message):
    with pytest.raises(ValueError, match=message):
        C.power_iteration(matvec, start)


# --- Gauss-Newton ----------------------------------------------------------

def mlp_problem(n_classes=2, seed=0):
    """f: w -> outputs (N, n_classes) of a small tanh MLP, and w."""
    net = S.mlp([3, 4, n_classes])
    X = randn(7, 3, seed=seed + 1)
    return (lambda w: net.forward(w, X)), randn(net.n_params, seed=seed)


def mse_to(targets):
    return lambda z: 0.5 * ((z - targets) ** 2).sum()


def cross_entropy_to(labels):
    return lambda z: torch.nn.functional.cross_entropy(z, labels)


def log_cosh_to(targets):
    return lambda z: torch.log(torch.cosh(z - targets)).sum()


LOSSES = {
    "mse": lambda: mse_to(randn(7, 3, seed=20)),
    "cross_entropy": lambda: cross_entropy_to(torch.arange(7) % 3),
    "log_cosh": lambda: log_cosh_to(randn(7, 3, seed=21)),
}


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_gauss_newton_plus_residual_is_the_hessian(loss_name):
    f, w = mlp_problem(n_classes=3)
    loss = LOSSES[loss_name]()
    H = autograd_hessian(lambda w_: loss(f(w_)), w)
    G = C.gauss_newton(f, loss, w)
    residual_term = C.hessian_remainder(f, loss, w)
    assert torch.allclose(G + residual_term, H, rtol=0, atol=1e-10)
    assert residual_term.abs().max() > 1e-3  # the split is not trivial


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_gauss_newton_is_j_transpose_hl_j(loss_name):
    f, w = mlp_problem(n_classes=3)
    loss = LOSSES[loss_name]()
    z = f(w).detach()
    J = autograd_jacobian(f, w).reshape(z.numel(), w.numel())
    H_loss = autograd_hessian(loss, z).reshape(z.numel(), z.numel())
    G = C.gauss_newton(f, loss, w)
    assert torch.allclose(G, J.T @ H_loss @ J, rtol=0, atol=1e-12)


def test_gauss_newton_is_psd_for_a_convex_loss_where_h_is_not():
    f, w = mlp_problem(n_classes=3)
    loss = cross_entropy_to(torch.arange(7) % 3)
    G = C.gauss_newton(f, loss, w)
    assert torch.linalg.eigvalsh(G).min() >= -1e-12
    assert C.hessian_eigenvalues(lambda w_: loss(f(w_)), w).min() < -1e-3


def test_gauss_newton_is_the_hessian_when_residuals_vanish():
    f, w = mlp_problem(n_classes=2)
    loss = mse_to(f(w).detach())  # targets = predictions
    H = autograd_hessian(lambda w_: loss(f(w_)), w)
    assert torch.allclose(C.gauss_newton(f, loss, w), H, atol=1e-12)
    residual_term = C.hessian_remainder(f, loss, w)
    assert residual_term.abs().max() == 0


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_gnvp_matches_the_materialized_gauss_newton(loss_name):
    f, w = mlp_problem(n_classes=3)
    loss = LOSSES[loss_name]()
    z = f(w).detach()
    J = autograd_jacobian(f, w).reshape(z.numel(), w.numel())
    H_loss = autograd_hessian(loss, z).reshape(z.numel(), z.numel())
    v = randn(w.numel(), seed=30)
    expected = J.T @ (H_loss @ (J @ v))
    assert torch.allclose(ad.gnvp(f, loss, w, v), expected, atol=1e-12)


def test_gnvp_rejects_a_mismatched_vector():
    f, w = mlp_problem()
    with pytest.raises(ValueError, match=r"v must have the shape of w"):
        ad.gnvp(f, mse_to(0.0), w, torch.zeros(3, dtype=DTYPE))


# --- conjugate gradient ----------------------------------------------------

def random_spd(n, condition=100.0, seed=0):
    Q, _ = torch.linalg.qr(randn(n, n, seed=seed))
    eigenvalues = torch.logspace(0, math.log10(condition), n, dtype=DTYPE)
    return Q @ torch.diag(eigenvalues) @ Q.T


@pytest.mark.parametrize("n", [1, 2, 5, 20, 60])
def test_cg_matches_linalg_solve(n):
    A, b = random_spd(n, seed=n), randn(n, seed=100 + n)
    result = C.conjugate_gradient(lambda v: A @ v, b, tol=1e-12)
    assert result.converged
    assert result.n_iter <= 2 * n
    assert result.residual_norm <= 1e-12 * b.norm()
    expected = torch.linalg.solve(A, b)
    assert relative_error(result.x, expected) < 1e-9


def test_cg_zero_right_hand_side_and_iteration_cap():
    A = random_spd(10)
    zero = C.conjugate_gradient(lambda v: A @ v, torch.zeros(10, dtype=DTYPE))
    assert zero.n_iter == 0 and zero.converged and zero.x.abs().max() == 0
    capped = C.conjugate_gradient(lambda v: A @ v, randn(10), max_iter=2)
    assert capped.n_iter == 2 and not capped.converged


def test_cg_rejects_indefinite_operators_and_bad_shapes():
    indefinite = torch.diag(torch.tensor([1.0, -1.0], dtype=DTYPE))
    with pytest.raises(ValueError, match=r"not positive definite"):
        C.conjugate_gradient(lambda v: indefinite @ v,
                             torch.tensor([0.0, 1.0], dtype=DTYPE))
    with pytest.raises(ValueError, match=r"map shape \(3,\) to itself; "
                                         r"got shape \(2,\)"):
        C.conjugate_gradient(lambda v: v[:2], randn(3))
    with pytest.raises(ValueError,
                       match=r"b must be a 1-D.*got shape \(3, 1\)"):
        C.conjugate_gradient(lambda v: v, randn(3, 1))


# --- response Jacobian: ridge regression -----------------------------------

RIDGE_X, RIDGE_Y = randn(20, 4, seed=40), randn(20, seed=41)


def ridge_solution(lam, y=RIDGE_Y):
    A = RIDGE_X.T @ RIDGE_X + lam * torch.eye(4, dtype=DTYPE)
    return torch.linalg.solve(A, RIDGE_X.T @ y)


def ridge_objective(w, lam):
    residual = RIDGE_X @ w - RIDGE_Y
    return 0.5 * residual @ residual + 0.5 * lam * w @ w


def test_ridge_dw_dlambda_matches_closed_form_and_finite_differences():
    lam = torch.tensor(0.3, dtype=DTYPE)
    w_star = ridge_solution(lam)
    dw = C.response_jacobian(ridge_objective, w_star, lam)
    assert dw.shape == (4,)
    A = RIDGE_X.T @ RIDGE_X + lam * torch.eye(4, dtype=DTYPE)
    assert torch.allclose(dw, -torch.linalg.solve(A, w_star), atol=1e-12)
    h = 1e-5
    finite = (ridge_solution(lam + h) - ridge_solution(lam - h)) / (2 * h)
    assert relative_error(dw, finite) < 1e-8


def test_ridge_dw_dtargets_is_the_hat_map():
    def objective(w, y):
        residual = RIDGE_X @ w - y
        return 0.5 * residual @ residual + 0.5 * 0.3 * w @ w

    dw_dy = C.response_jacobian(objective, ridge_solution(0.3), RIDGE_Y)
    A = RIDGE_X.T @ RIDGE_X + 0.3 * torch.eye(4, dtype=DTYPE)
    assert dw_dy.shape == (4, 20)
    assert torch.allclose(dw_dy, torch.linalg.solve(A, RIDGE_X.T),
                          atol=1e-12)


@pytest.mark.parametrize("curvature", ["gauss_newton", "hessian"])
def test_cg_response_with_damping_as_weight_decay_is_ridge(curvature):
    # Training objective ½‖Xw − y‖² + λ/2‖w‖²: damping λ is exact here.
    lam, dy = 0.3, randn(20, seed=42)
    result = C.response_jacobian_cg(
        lambda w: RIDGE_X @ w, lambda z, y: 0.5 * ((z - y) ** 2).sum(),
        ridge_solution(lam), RIDGE_Y, dy, damping=lam,
        curvature=curvature)
    A = RIDGE_X.T @ RIDGE_X + lam * torch.eye(4, dtype=DTYPE)
    expected = torch.linalg.solve(A, RIDGE_X.T @ dy)
    assert result.converged
    assert relative_error(result.x, expected) < 1e-9


def log_cosh_problem():
    f, w = mlp_problem(n_classes=3)
    targets = randn(7, 3, seed=21)

    def loss(z, t):
        return torch.log(torch.cosh(z - t)).sum()

    return f, loss, w, targets, randn(7, 3, seed=22)


def test_cg_response_solves_the_damped_gauss_newton_system():
    # A loss whose Hessian in z is not the identity, checked as algebra:
    # the result must be -(G + λI)⁻¹ H_wθ dθ, with G and H_wθ from
    # torch.autograd (w need not be a minimum for this identity).
    f, loss, w, t, dt = log_cosh_problem()
    z = f(w).detach()
    J = autograd_jacobian(f, w).reshape(z.numel(), w.numel())
    H_loss = autograd_hessian(lambda z_: loss(z_, t), z).reshape(21, 21)
    G = J.T @ H_loss @ J + 0.1 * torch.eye(w.numel(), dtype=DTYPE)
    mixed = autograd_jacobian(
        lambda t_: autograd_jacobian(lambda w_: loss(f(w_), t_), w,
                                     create_graph=True), t)
    mixed_dt = torch.tensordot(mixed, dt, dims=2)
    result = C.response_jacobian_cg(f, loss, w, t, dt, damping=0.1)
    expected = -torch.linalg.solve(G, mixed_dt)
    assert relative_error(result.x, expected) < 1e-9


def test_cg_response_with_hessian_equals_the_direct_solve():
    f, loss, w, t, dt = log_cosh_problem()

    def objective(w_, t_):
        return loss(f(w_), t_) + 0.5 * 20.0 * w_ @ w_

    direct = torch.tensordot(C.response_jacobian(objective, w, t), dt, 2)
    # Damping 20 > 12.3 = -(smallest eigenvalue of H here): PD system.
    result = C.response_jacobian_cg(f, loss, w, t, dt, damping=20.0,
                                    curvature="hessian")
    assert relative_error(result.x, direct) < 1e-9


def test_response_jacobian_cg_rejects_bad_input():
    args = (lambda w: RIDGE_X @ w, lambda z, y: ((z - y) ** 2).sum(),
            ridge_solution(0.3), RIDGE_Y)
    with pytest.raises(ValueError, match=r"dtheta must have the shape of "
                                         r"theta, \(20,\); got \(3,\)"):
        C.response_jacobian_cg(*args, torch.zeros(3, dtype=DTYPE))
    with pytest.raises(ValueError, match=r"curvature must be .*'newton'"):
        C.response_jacobian_cg(*args, RIDGE_Y, curvature="newton")
    with pytest.raises(ValueError, match=r"theta must be a float tensor"):
        C.response_jacobian(ridge_objective, ridge_solution(0.3), 0.3)


# --- response Jacobian: moving one target of a trained MLP -----------------

def newton_retrain(objective, w, n_steps=30):
    """Plain Newton from w with torch.autograd: an independent trainer."""
    for _ in range(n_steps):
        g = autograd_jacobian(objective, w)
        if g.norm() < 1e-13:
            break
        w = w - torch.linalg.solve(autograd_hessian(objective, w), g)
    assert g.norm() < 1e-11, f"retraining stalled at |g| = {g.norm():.2e}"
    return w


def retrained_response(f, loss, w_star, t, dt, weight_decay, eps=1e-4):
    def objective_with(targets):
        return lambda w: (loss(f(w), targets)
                          + 0.5 * weight_decay * w @ w)

    w_plus = newton_retrain(objective_with(t + eps * dt), w_star)
    w_minus = newton_retrain(objective_with(t - eps * dt), w_star)
    return (w_plus - w_minus) / (2 * eps)


def sum_squares(z, t):
    return 0.5 * ((z - t) ** 2).sum()


def one_target_moved(t, index=5):
    dt = torch.zeros_like(t)
    dt[index, 0] = 1.0
    return dt


def perfect_fit():
    """Targets made by a [3, 3, 1] network itself: zero residuals."""
    net = S.mlp([3, 3, 1])
    X = randn(30, 3, seed=50)
    w_star = randn(net.n_params, seed=51)
    f = lambda w: net.forward(w, X)  # noqa: E731
    t = f(w_star).detach()
    return f, w_star, t, one_target_moved(t)


def test_mlp_response_gauss_newton_exact_at_a_perfect_fit():
    # Zero residuals make G = H at w*, so Gauss-Newton CG is exact.
    f, w_star, t, dt = perfect_fit()
    result = C.response_jacobian_cg(f, sum_squares, w_star, t, dt,
                                    damping=0.0)
    retrained = retrained_response(f, sum_squares, w_star, t, dt, 0.0)
    assert result.converged
    assert relative_error(result.x, retrained) < 1e-3


@pytest.fixture(scope="module")
def noisy_fit():
    """A [1, 4, 1] tanh MLP trained with weight decay on noisy sin data."""
    net = S.mlp([1, 4, 1])
    X = torch.linspace(-2, 2, 20, dtype=DTYPE).reshape(-1, 1)
    t = torch.sin(2 * X) + 0.1 * randn(20, 1, seed=52)
    f = lambda w: net.forward(w, X)  # noqa: E731
    weight_decay = 1e-3
    trained = S.newton_minimize(
        lambda w: sum_squares(f(w), t) + 0.5 * weight_decay * w @ w,
        net.init_params(0))
    assert trained.converged
    dt = one_target_moved(t)
    retrained = retrained_response(f, sum_squares, trained.w, t, dt,
                                   weight_decay)
    return f, trained.w, t, dt, weight_decay, retrained


def test_mlp_response_hessian_matches_retraining(noisy_fit):
    f, w_star, t, dt, weight_decay, retrained = noisy_fit
    result = C.response_jacobian_cg(f, sum_squares, w_star, t, dt,
                                    damping=weight_decay,
                                    curvature="hessian")
    assert result.converged
    assert relative_error(result.x, retrained) < 1e-3


def test_mlp_response_gauss_newton_is_only_approximate(noisy_fit):
    # Nonzero residuals: G misses the residual term of the Hessian. In
    # parameters the error is large (weakly determined directions); in
    # the fitted values, what the chapter plots, it is about 13%.
    f, w_star, t, dt, weight_decay, retrained = noisy_fit
    result = C.response_jacobian_cg(f, sum_squares, w_star, t, dt,
                                    damping=weight_decay)
    assert relative_error(result.x, retrained) > 0.5
    fit_change = jvp(f, (w_star,), (result.x,))[1]
    retrained_fit_change = jvp(f, (w_star,), (retrained,))[1]
    fit_error = relative_error(fit_change, retrained_fit_change)
    assert 0.05 < fit_error < 0.25


def test_default_damping_is_zero_and_a_small_one_biases():
    f, w_star, t, dt = perfect_fit()
    undamped = C.response_jacobian_cg(f, sum_squares, w_star, t, dt)
    exact = C.response_jacobian_cg(f, sum_squares, w_star, t, dt,
                                   damping=0.0)
    damped = C.response_jacobian_cg(f, sum_squares, w_star, t, dt,
                                    damping=1e-4)
    assert torch.equal(undamped.x, exact.x)
    assert relative_error(damped.x, exact.x) > 0.05


def test_response_jacobian_direct_matches_cg_on_the_mlp(noisy_fit):
    f, w_star, t, dt, weight_decay, retrained = noisy_fit

    def objective(w, targets):
        return sum_squares(f(w), targets) + 0.5 * weight_decay * w @ w

    jacobian = C.response_jacobian(objective, w_star, t)
    assert jacobian.shape == (w_star.numel(),) + tuple(t.shape)
    direct = torch.tensordot(jacobian, dt, dims=2)
    assert relative_error(direct, retrained) < 1e-3


# --- R = H − G as a contraction, and G of the linearised network ------------

def test_hessian_remainder_is_the_contraction_with_each_output_hessian():
    # Σ_i δ_i ∇²f_i with the m Hessians built one by one by autograd.
    f, w = mlp_problem(n_classes=2)
    loss = log_cosh_to(randn(7, 2, seed=23))
    z = f(w).detach()
    delta = torch.autograd.functional.jacobian(loss, z).flatten()
    expected = sum(
        delta[i] * autograd_hessian(lambda w_, i=i: f(w_).flatten()[i], w)
        for i in range(z.numel()))
    assert torch.allclose(C.hessian_remainder(f, loss, w), expected,
                          rtol=0, atol=1e-12)


def test_hessian_remainder_vanishes_for_a_linear_model_with_residuals():
    X, y = randn(12, 3, seed=24), randn(12, seed=25)
    w = randn(3, seed=26)
    loss = mse_to(y)
    assert (X @ w - y).abs().max() > 0.5  # far from a fit
    assert C.hessian_remainder(lambda w_: X @ w_, loss, w).abs().max() == 0
    H = autograd_hessian(lambda w_: loss(X @ w_), w)
    assert torch.allclose(C.gauss_newton(lambda w_: X @ w_, loss, w), H,
                          rtol=0, atol=1e-12)


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_gauss_newton_is_the_hessian_of_the_linearised_loss(loss_name):
    f, w = mlp_problem(n_classes=3)
    loss = LOSSES[loss_name]()
    z = f(w).detach()
    J = autograd_jacobian(f, w).reshape(z.numel(), w.numel())

    def linearised_loss(w_new):  # ℓ(f(w) + J (w_new − w))
        return loss(z + (J @ (w_new - w)).reshape(z.shape))

    H_lin = autograd_hessian(linearised_loss, w)
    assert torch.allclose(C.gauss_newton(f, loss, w), H_lin,
                          rtol=0, atol=1e-12)


def test_gauss_newton_and_remainder_reject_a_matrix_w():
    f, w = mlp_problem()
    for fn in (C.gauss_newton, C.hessian_remainder):
        with pytest.raises(ValueError, match=r"w must be a 1-D float "
                                             r"tensor.*got shape \(1, "):
            fn(f, mse_to(0.0), w.reshape(1, -1))
