"""Tests of jacolib.small_nets: the networks and trainers of chapter 2,
against torch.nn, closed forms of gradient descent and Newton's method.
"""

from fractions import Fraction

import pytest
import torch

from jacolib import datasets
from jacolib import small_nets as S
from test_curvature import ridge_objective, ridge_solution

DTYPE = torch.float64


def randn(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=DTYPE)


# --- train_gd --------------------------------------------------------------

def test_train_gd_matches_the_closed_form_on_a_quadratic():
    # GD on ½ wᵀ diag(a) w: each coordinate is multiplied by 1 − lr·a.
    a = torch.tensor([0.5, 1.0, 3.0], dtype=DTYPE)
    w0 = torch.tensor([1.0, -2.0, 0.5], dtype=DTYPE)
    run = S.train_gd(lambda w: 0.5 * (a * w**2).sum(), w0, lr=0.2,
                     n_steps=50, snapshot_steps=[0, 7, 50])
    assert sorted(run.snapshots) == [0, 7, 50]
    for k, w in run.snapshots.items():
        assert torch.allclose(w, (1 - 0.2 * a) ** k * w0, rtol=1e-12,
                              atol=1e-15)
    steps = torch.arange(51, dtype=DTYPE).reshape(-1, 1)
    expected = 0.5 * (a * ((1 - 0.2 * a) ** steps * w0) ** 2).sum(dim=1)
    assert run.losses.shape == (51,)
    assert torch.allclose(run.losses, expected, rtol=1e-12, atol=1e-15)


def test_train_gd_matches_a_torch_optim_sgd_loop():
    net = S.mlp([1, 5, 1])
    X, t = datasets.noisy_sine_data(n_samples=10)

    def loss(w):
        return ((net.forward(w, X) - t) ** 2).mean()

    run = S.train_gd(loss, net.init_params(2), lr=0.1, n_steps=20,
                     snapshot_steps=[20])
    w = net.init_params(2).clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w], lr=0.1)
    for _ in range(20):
        optimizer.zero_grad()
        loss(w).backward()
        optimizer.step()
    assert torch.allclose(run.snapshots[20], w.detach(), atol=1e-13)
    w0 = net.init_params(2)
    assert torch.equal(w0, net.init_params(2))  # w0 left untouched


def test_train_gd_with_no_snapshots_and_zero_steps():
    run = S.train_gd(lambda w: (w**2).sum(), torch.ones(2, dtype=DTYPE),
                     lr=0.1, n_steps=0)
    assert run.snapshots == {} and run.losses.tolist() == [2.0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(snapshot_steps=[0, 11]), r"snapshot_steps must lie in "
                                   r"\[0, 10\]; got \[0, 11\]"),
    (dict(snapshot_steps=[-1]), r"got \[-1\]"),
    (dict(lr=0.0), r"lr must be a number > 0; got 0.0"),
    (dict(w0=torch.ones(2, 2, dtype=DTYPE)),
     r"w0 must be a 1-D float tensor.*got shape \(2, 2\)"),
])
def test_train_gd_rejects_bad_input(kwargs, message):
    arguments = dict(loss=lambda w: (w**2).sum(),
                     w0=torch.ones(2, dtype=DTYPE), lr=0.1, n_steps=10)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        S.train_gd(**arguments)


# --- newton_minimize -------------------------------------------------------

def test_newton_minimize_solves_ridge_in_one_step():
    lam = torch.tensor(0.3, dtype=DTYPE)
    result = S.newton_minimize(lambda w: ridge_objective(w, lam),
                               torch.zeros(4, dtype=DTYPE))
    assert result.converged and result.n_iter <= 2
    assert torch.allclose(result.w, ridge_solution(lam), atol=1e-12)


def test_newton_minimize_rosenbrock():
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    result = S.newton_minimize(rosenbrock,
                               torch.tensor([-1.2, 1.0], dtype=DTYPE))
    assert result.converged
    assert torch.allclose(result.w, torch.ones(2, dtype=DTYPE), atol=1e-10)


def test_newton_minimize_escapes_a_saddle():
    # Plain Newton would jump to the saddle at 0; |λ| steps go downhill.
    def double_well(p):
        return p[0] ** 4 / 4 - p[0] ** 2 / 2 + p[1] ** 2

    result = S.newton_minimize(double_well,
                               torch.tensor([1e-3, 0.5], dtype=DTYPE))
    assert torch.allclose(result.w, torch.tensor([1.0, 0.0], dtype=DTYPE),
                          atol=1e-10)


def test_newton_minimize_matches_a_closed_form_quadratic_and_a_net():
    # A full quadratic: one Newton step from anywhere; and a tanh net's
    # minimum, checked by torch.func: a zero gradient, a PD Hessian.
    A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=DTYPE)
    b = torch.tensor([1.0, -1.0], dtype=DTYPE)
    result = S.newton_minimize(lambda w: 0.5 * w @ A @ w - b @ w,
                               torch.tensor([5.0, -7.0], dtype=DTYPE))
    assert result.n_iter == 1
    assert torch.allclose(result.w, torch.linalg.solve(A, b), atol=1e-14)
    net = S.mlp([1, 3, 1])
    X, y = datasets.noisy_sine_data(n_samples=10)

    def objective(w):
        return mse_of(net, X, y)(w) + 1e-3 * w @ w

    fit = S.newton_minimize(objective, net.init_params(0))
    assert fit.converged
    assert torch.func.grad(objective)(fit.w).norm() < 1e-10
    assert torch.linalg.eigvalsh(torch.func.hessian(objective)(fit.w))[0] > 0


def test_newton_minimize_stops_at_once_on_an_affine_objective_at_zero():
    b = torch.zeros(3, dtype=DTYPE)
    result = S.newton_minimize(lambda w: b @ w, torch.ones(3, dtype=DTYPE))
    assert result.converged and result.n_iter == 0


def test_newton_minimize_reports_no_convergence():
    result = S.newton_minimize(lambda w: torch.cosh(w).sum(),
                               torch.full((3,), 5.0, dtype=DTYPE),
                               max_iter=1)
    assert result.n_iter == 1 and not result.converged


# --- mlp -------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus",
                                        "relu"])
def test_mlp_matches_torch_nn(activation):
    sizes = [3, 5, 4, 2]
    net = S.mlp(sizes, activation=activation)
    modules = {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
               "softplus": torch.nn.Softplus, "relu": torch.nn.ReLU}
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=DTYPE),
                   modules[activation]()]
    reference = torch.nn.Sequential(*layers[:-1])
    w = torch.nn.utils.parameters_to_vector(reference.parameters())
    assert net.n_params == w.numel() == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    X = randn(6, 3)
    assert torch.allclose(net.forward(w.detach(), X), reference(X),
                          atol=1e-14)


def test_mlp_init_is_seeded_and_scaled():
    net = S.mlp([200, 100, 1])
    w = net.init_params(1)
    assert w.dtype == DTYPE and w.shape == (net.n_params,)
    assert torch.equal(w, net.init_params(1))
    assert not torch.equal(w, net.init_params(2))
    first_weights = w[:200 * 100]
    assert abs(first_weights.std().item() * 200 ** 0.5 - 1) < 0.02
    assert w[200 * 100:200 * 100 + 100].abs().max() == 0  # biases


@pytest.mark.parametrize("call, message", [
    (lambda: S.mlp([3]), r"sizes must list >= 2 positive widths; got \[3\]"),
    (lambda: S.mlp([3, 0, 1]), r"got \[3, 0, 1\]"),
    (lambda: S.mlp([3, 1], activation="gelu"),
     r"activation must be one of \['relu', .*got 'gelu'"),
    (lambda: S.mlp([3, 1]).forward(torch.zeros(5, dtype=DTYPE),
                                   torch.zeros(2, 3, dtype=DTYPE)),
     r"w must have shape \(4,\); got shape \(5,\)"),
    (lambda: S.mlp([3, 1]).forward(torch.zeros(4, dtype=DTYPE),
                                   torch.zeros(2, 2, dtype=DTYPE)),
     r"X must have shape \(N, 3\); got shape \(2, 2\)"),
])
def test_mlp_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- train_gd_mse: the same steps, backprop by hand ------------------------

def mse_of(net, X, y):
    return lambda w: 0.5 * ((net.forward(w, X) - y) ** 2).mean()


@pytest.mark.parametrize("sizes", [[1, 16, 16, 1], [3, 5, 2], [2, 1]])
def test_train_gd_mse_takes_the_steps_of_autograd_train_gd(sizes):
    net = S.mlp(sizes)
    X, y = randn(9, sizes[0], seed=1), randn(9, sizes[-1], seed=2)
    w0 = net.init_params(4) + 0.1 * randn(net.n_params, seed=3)
    fast = S.train_gd_mse(net, w0, X, y, lr=0.05, n_steps=40,
                          snapshot_steps=[0, 13, 40])
    slow = S.train_gd(mse_of(net, X, y), w0, lr=0.05, n_steps=40,
                      snapshot_steps=[0, 13, 40])
    assert sorted(fast.snapshots) == [0, 13, 40]
    for k in (0, 13, 40):
        assert torch.allclose(fast.snapshots[k], slow.snapshots[k],
                              rtol=0, atol=1e-13)
    assert fast.losses.shape == (41,)
    assert torch.allclose(fast.losses, slow.losses, rtol=1e-13, atol=0)
    assert torch.equal(w0, net.init_params(4)
                       + 0.1 * randn(net.n_params, seed=3))  # untouched


def test_train_gd_mse_decreases_the_loss_of_a_noisy_sine_fit():
    net = S.mlp([1, 8, 1])
    X, y = datasets.noisy_sine_data(n_samples=16)
    run = S.train_gd_mse(net, net.init_params(0), X, y, lr=0.1,
                         n_steps=500)
    assert run.losses[-1] < 0.2 * run.losses[0]
    assert torch.isclose(run.losses[0],
                         mse_of(net, X, y)(net.init_params(0)),
                         rtol=1e-14, atol=0)


@pytest.mark.parametrize("change, message", [
    (dict(net=S.mlp([1, 3, 1], activation="relu")),
     r"net must be an mlp\(sizes, activation='tanh'\)"),
    (dict(X=torch.zeros(5, 2, dtype=DTYPE)),
     r"X and y must be tensors \(N, 1\) and \(N, 1\); got shape \(5, 2\)"),
    (dict(y=torch.zeros(4, 1, dtype=DTYPE)),
     r"got shape \(5, 1\) and shape \(4, 1\)"),
    (dict(snapshot_steps=[11]), r"snapshot_steps must lie in \[0, 10\]"),
    (dict(lr=-1.0), r"lr must be a number > 0; got -1.0"),
    (dict(w0=torch.zeros(3, dtype=DTYPE)), r"w must have shape \(10,\)"),
])
def test_train_gd_mse_rejects_bad_input(change, message):
    net = S.mlp([1, 3, 1])
    arguments = dict(net=net, w0=net.init_params(0),
                     X=torch.zeros(5, 1, dtype=DTYPE),
                     y=torch.zeros(5, 1, dtype=DTYPE), lr=0.1, n_steps=10)
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        S.train_gd_mse(**arguments)


def exact_linear_gd(X, y, w0, lr, n_steps):
    """GD on the MSE of the linear model f = X W^T + b, in exact
    rational arithmetic (Fractions of the float inputs)."""
    X = [[Fraction(x) for x in row] for row in X.tolist()]
    y = [Fraction(row[0]) for row in y.tolist()]
    w, lr, N = [Fraction(v) for v in w0.tolist()], Fraction(lr), len(y)
    for _ in range(n_steps):
        residuals = [sum(a * b for a, b in zip(row, w[:-1])) + w[-1] - t
                     for row, t in zip(X, y)]
        gradient = [sum(r * row[j] for r, row in zip(residuals, X)) / N
                    for j in range(len(w) - 1)] + [sum(residuals) / N]
        w = [v - lr * g for v, g in zip(w, gradient)]
    return w


def test_train_gd_mse_in_extended_precision_rounds_less():
    # A linear model (no hidden layer) has an exact rational GD path: in
    # extended precision the steps stay within 2^-64 of it, so rounding
    # the result to float64 gives the exact path correctly rounded; the
    # float64 run's own rounding errors are larger than that.
    net = S.mlp([3, 1])
    X, y = randn(7, 3, seed=1), randn(7, 1, seed=2)
    w0 = randn(4, seed=3)
    exact = torch.tensor([float(v) for v in
                          exact_linear_gd(X, y, w0, 0.1, 6)], dtype=DTYPE)
    extended = S.train_gd_mse(net, w0, X, y, lr=0.1, n_steps=6,
                              snapshot_steps=[6], precision="extended")
    plain = S.train_gd_mse(net, w0, X, y, lr=0.1, n_steps=6,
                           snapshot_steps=[6])
    assert torch.equal(extended.snapshots[6], exact)
    assert not torch.equal(plain.snapshots[6], exact)
    assert torch.allclose(plain.snapshots[6], exact, rtol=0, atol=1e-14)
    assert extended.losses.dtype == DTYPE and extended.losses.shape == (7,)


def test_train_gd_mse_extended_follows_the_float64_steps():
    net = S.mlp([1, 6, 1])
    X, y = datasets.noisy_sine_data(n_samples=12)
    runs = [S.train_gd_mse(net, net.init_params(1), X, y, lr=0.1,
                           n_steps=30, snapshot_steps=[30],
                           precision=precision)
            for precision in ("float64", "extended")]
    assert torch.allclose(runs[0].snapshots[30], runs[1].snapshots[30],
                          rtol=0, atol=1e-13)
    assert torch.allclose(runs[0].losses, runs[1].losses, rtol=1e-13)
    with pytest.raises(ValueError, match="precision must be one of"):
        S.train_gd_mse(net, net.init_params(1), X, y, lr=0.1, n_steps=1,
                       precision="float32")


# --- mse_gradient ----------------------------------------------------------

@pytest.mark.parametrize("sizes", [[1, 16, 16, 1], [3, 5, 2]])
def test_mse_gradient_matches_autograd(sizes):
    net = S.mlp(sizes)
    X, y = randn(9, sizes[0], seed=1), randn(9, sizes[-1], seed=2)
    gradient = S.mse_gradient(net, X, y)
    for seed in (3, 4):
        w = net.init_params(seed) + 0.1 * randn(net.n_params, seed=seed)
        expected = torch.func.grad(mse_of(net, X, y))(w)
        assert torch.allclose(gradient(w), expected, rtol=0, atol=1e-14)
        assert gradient(w).shape == (net.n_params,)


def test_mse_gradient_rejects_bad_input():
    net = S.mlp([1, 3, 1])
    X, y = torch.zeros(5, 1, dtype=DTYPE), torch.zeros(5, 1, dtype=DTYPE)
    with pytest.raises(ValueError, match=r"w must have the shape of the "
                                         r"network's parameters, \(10,\)"):
        S.mse_gradient(net, X, y)(torch.zeros(3, dtype=DTYPE))
    with pytest.raises(ValueError, match=r"net must be an mlp"):
        S.mse_gradient(S.mlp([1, 3, 1], activation="relu"), X, y)
    with pytest.raises(ValueError, match=r"X and y must be tensors"):
        S.mse_gradient(net, X, torch.zeros(4, 1, dtype=DTYPE))


# --- layer_slices ----------------------------------------------------------

def test_layer_slices_pick_each_torch_nn_layer():
    sizes = [3, 5, 4, 2]
    layers = [torch.nn.Linear(n_in, n_out, dtype=DTYPE)
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    w = torch.nn.utils.parameters_to_vector(
        [p for layer in layers for p in layer.parameters()]).detach()
    slices = S.layer_slices(sizes)
    assert len(slices) == 3
    for layer, where in zip(layers, slices):
        expected = torch.cat([layer.weight.flatten(), layer.bias]).detach()
        assert torch.equal(w[where], expected)
    assert slices[0].start == 0 and slices[-1].stop == w.numel()
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:]))


def test_a_relu_net_has_zero_hessian_blocks_within_its_layers():
    # Multilinear in its layers where no unit switches: the blocks
    # within a layer vanish, those between layers do not.
    net = S.mlp([2, 5, 4, 1], activation="relu")
    w = net.init_params(1) + 0.1 * randn(net.n_params, seed=6)
    x = randn(1, 2, seed=7)
    H = torch.autograd.functional.hessian(
        lambda w_: net.forward(w_, x).squeeze(), w)
    slices = S.layer_slices(net.sizes)
    for a in slices:
        assert H[a, a].abs().max() == 0
    assert H[slices[0], slices[1]].abs().max() > 1e-3
    assert H[slices[1], slices[2]].abs().max() > 1e-3
