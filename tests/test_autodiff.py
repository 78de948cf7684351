"""jacolib.autodiff against independent computations.

The references are closed forms (linear maps, quadratics, a tanh MLP's
Jacobian written out by hand), torch.autograd.functional, torch.func
and central finite differences; never the function under test.
"""

import itertools

import numpy as np
import pytest
import torch

from jacolib import autodiff as ad
from jacolib.autodiff import Dual

EXACT = dict(rtol=1e-10, atol=1e-10)
FINITE_DIFFERENCE = dict(rtol=1e-6, atol=1e-6)
SIZES = [1, 3, 7]
SHAPES = list(itertools.product(SIZES, SIZES))  # (n, m) pairs


def randn(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def close(actual, expected, tolerance=EXACT):
    torch.testing.assert_close(actual, expected, **tolerance)


class TanhMLP:
    """f(x) = W2 tanh(W1 x + b1) + b2 and its Jacobian, by hand."""

    def __init__(self, n, m, hidden=5, seed=0):
        self.W1 = randn(hidden, n, seed=seed)
        self.b1 = randn(hidden, seed=seed + 1)
        self.W2 = randn(m, hidden, seed=seed + 2)
        self.b2 = randn(m, seed=seed + 3)

    def __call__(self, x):
        return self.W2 @ torch.tanh(self.W1 @ x + self.b1) + self.b2

    def jacobian(self, x):
        h = torch.tanh(self.W1 @ x + self.b1)
        return self.W2 @ torch.diag(1 - h ** 2) @ self.W1


def autograd_jacobian(f, x):
    return torch.autograd.functional.jacobian(f, x)


# --- jvp, vjp, jacobian ----------------------------------------------------

@pytest.mark.parametrize("n, m", SHAPES)
def test_jvp_is_jacobian_times_v(n, m):
    f, x, v = TanhMLP(n, m), randn(n, seed=10), randn(n, seed=11)
    y, j_v = ad.jvp(f, x, v)
    close(y, f(x))
    close(j_v, f.jacobian(x) @ v)
    close(j_v, ad.finite_difference_jvp(f, x, v), FINITE_DIFFERENCE)


@pytest.mark.parametrize("n, m", SHAPES)
def test_vjp_is_jacobian_transpose_times_u(n, m):
    f, x, u = TanhMLP(n, m), randn(n, seed=10), randn(m, seed=12)
    y, jt_u = ad.vjp(f, x, u)
    close(y, f(x))
    close(jt_u, f.jacobian(x).T @ u)


@pytest.mark.parametrize("n, m", SHAPES)
def test_duality_of_jvp_and_vjp(n, m):
    f, x = TanhMLP(n, m, seed=5), randn(n, seed=20)
    u, v = randn(m, seed=21), randn(n, seed=22)
    _, j_v = ad.jvp(f, x, v)
    _, jt_u = ad.vjp(f, x, u)
    close(torch.dot(u, j_v), torch.dot(jt_u, v))


def test_jvp_and_vjp_on_a_matrix_input():
    # x need not be a vector: W -> tanh(W) @ c, W of shape (3, 4).
    c = randn(4, seed=1)

    def f(W):
        return torch.tanh(W) @ c

    W, V, u = randn(3, 4, seed=2), randn(3, 4, seed=3), randn(3, seed=4)
    J = autograd_jacobian(f, W).reshape(3, 12)
    close(ad.jvp(f, W, V)[1], J @ V.reshape(-1))
    close(ad.vjp(f, W, u)[1], (J.T @ u).reshape(3, 4))


@pytest.mark.parametrize("n, m", SHAPES)
def test_jacobian_rev_equals_fwd_equals_autograd(n, m):
    f, x = TanhMLP(n, m, seed=7), randn(n, seed=30)
    expected = f.jacobian(x)
    close(ad.jacobian(f, x, mode="rev"), expected)
    close(ad.jacobian(f, x, mode="fwd"), expected)
    close(autograd_jacobian(f, x), expected)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_linear_map_is_its_matrix(mode):
    A, x = randn(4, 6, seed=1), randn(6, seed=2)
    J = ad.jacobian(lambda x: A @ x, x, mode=mode)
    close(J, A)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_flattens_the_output(mode):
    x = randn(3, seed=1)

    def matrix_valued(x):  # R^3 -> R^(2 x 3)
        return torch.stack([torch.sin(x), x ** 2])

    def scalar_valued(x):
        return (x ** 3).sum()

    expected = torch.cat([torch.diag(torch.cos(x)), torch.diag(2 * x)])
    close(ad.jacobian(matrix_valued, x, mode=mode), expected)
    close(ad.jacobian(scalar_valued, x, mode=mode), (3 * x ** 2)[None, :])


# --- hessian, hvp, gnvp ----------------------------------------------------

def log_sum_exp_of_mlp(n, seed=0):
    mlp = TanhMLP(n, 4, seed=seed)
    return lambda x: torch.logsumexp(mlp(x), dim=0)


@pytest.mark.parametrize("n", SIZES)
def test_hessian_of_quadratic_is_symmetric_part(n):
    B, x = randn(n, n, seed=1), randn(n, seed=2)
    H = ad.hessian(lambda x: 0.5 * x @ B @ x, x)
    close(H, (B + B.T) / 2)


@pytest.mark.parametrize("n", SIZES)
def test_hessian_matches_autograd(n):
    f, x = log_sum_exp_of_mlp(n), randn(n, seed=3)
    close(ad.hessian(f, x), torch.autograd.functional.hessian(f, x))


@pytest.mark.parametrize("n", SIZES)
def test_hvp_is_hessian_times_v(n):
    f, x, v = log_sum_exp_of_mlp(n, seed=4), randn(n, seed=5), randn(n, seed=6)
    h_v = ad.hvp(f, x, v)
    close(h_v, torch.autograd.functional.hessian(f, x) @ v)
    close(h_v, torch.autograd.functional.hvp(f, x, v)[1])
    close(h_v, ad.hessian(f, x) @ v)


def test_hvp_of_quadratic_and_on_a_matrix_input():
    B, x, v = randn(5, 5, seed=1), randn(5, seed=2), randn(5, seed=3)
    close(ad.hvp(lambda x: 0.5 * x @ B @ x, x, v), (B + B.T) / 2 @ v)

    def f(W):  # W of shape (2, 3)
        return torch.sin(W).prod() + (W ** 3).sum()

    W, V = randn(2, 3, seed=4), randn(2, 3, seed=5)
    close(ad.hvp(f, W, V), torch.autograd.functional.hvp(f, W, V)[1])


def mse(target):
    return lambda z: 0.5 * ((z - target) ** 2).sum()


def softmax_cross_entropy(label):
    return lambda z: torch.logsumexp(z, dim=0) - z[label]


def explicit_gauss_newton(f, loss, w):
    J = autograd_jacobian(f, w)
    H_loss = torch.autograd.functional.hessian(loss, f(w))
    return J.T @ H_loss @ J


@pytest.mark.parametrize("n, m", SHAPES)
@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
def test_gnvp_is_jt_h_j_times_v(n, m, loss_name):
    f, w, v = TanhMLP(n, m, seed=8), randn(n, seed=40), randn(n, seed=41)
    if loss_name == "mse":
        loss = mse(randn(m, seed=42))
    else:
        loss = softmax_cross_entropy(label=m - 1)
    G = explicit_gauss_newton(f, loss, w)
    close(ad.gnvp(f, loss, w, v), G @ v)


def test_gnvp_with_mse_is_jt_j_times_v():
    # The Hessian of 0.5 |z - y|^2 is the identity, so G = J^T J.
    f, w, v = TanhMLP(6, 4, seed=9), randn(6, seed=1), randn(6, seed=2)
    J = f.jacobian(w)
    close(ad.gnvp(f, mse(randn(4, seed=3)), w, v), J.T @ J @ v)


# --- finite differences ----------------------------------------------------

def test_finite_difference_jvp_on_tensors_arrays_and_floats():
    x, v = randn(7, seed=1), randn(7, seed=2)
    close(ad.finite_difference_jvp(torch.sin, x, v), torch.cos(x) * v,
          FINITE_DIFFERENCE)
    x_np, v_np = x.numpy(), v.numpy()
    np.testing.assert_allclose(
        ad.finite_difference_jvp(np.sin, x_np, v_np), np.cos(x_np) * v_np,
        rtol=1e-6, atol=1e-6)
    assert ad.finite_difference_jvp(np.exp, 1.0, 2.0) == pytest.approx(
        2 * np.e, rel=1e-8)


# --- dual numbers ----------------------------------------------------------

# (name, f on a Dual or on numbers, f' by hand), at a > 0.
UNARY_CASES = [
    ("x + c", lambda x: x + 2.5, lambda a: 1.0),
    ("c + x", lambda x: 2.5 + x, lambda a: 1.0),
    ("x - c", lambda x: x - 2.5, lambda a: 1.0),
    ("c - x", lambda x: 2.5 - x, lambda a: -1.0),
    ("x * c", lambda x: x * 2.5, lambda a: 2.5),
    ("c * x", lambda x: 2.5 * x, lambda a: 2.5),
    ("x / c", lambda x: x / 2.5, lambda a: 1 / 2.5),
    ("c / x", lambda x: 2.5 / x, lambda a: -2.5 / a ** 2),
    ("-x", lambda x: -x, lambda a: -1.0),
    ("x * x", lambda x: x * x, lambda a: 2 * a),
    ("x / (1 + x * x)", lambda x: x / (1 + x * x),
     lambda a: (1 - a ** 2) / (1 + a ** 2) ** 2),
    ("x ** 3", lambda x: x ** 3, lambda a: 3 * a ** 2),
    ("x ** -0.5", lambda x: x ** -0.5, lambda a: -0.5 * a ** -1.5),
    ("c ** x", lambda x: 2.5 ** x, lambda a: 2.5 ** a * np.log(2.5)),
    ("x ** x", lambda x: x ** x, lambda a: a ** a * (np.log(a) + 1)),
    ("exp", ad.exp, np.exp),
    ("log", ad.log, lambda a: 1 / a),
    ("sin", ad.sin, np.cos),
    ("cos", ad.cos, lambda a: -np.sin(a)),
    ("tanh", ad.tanh, lambda a: 1 / np.cosh(a) ** 2),
    ("relu", ad.relu, lambda a: np.where(a > 0, 1.0, 0.0)),
]


@pytest.mark.parametrize("name, f, derivative", UNARY_CASES,
                         ids=[case[0] for case in UNARY_CASES])
@pytest.mark.parametrize("a, b", [(0.7, 1.0), (1.3, -2.0),
                                  (np.array([0.2, 1.1, 3.0]),
                                   np.array([1.0, -0.5, 2.0]))])
def test_dual_tangent_is_the_analytic_derivative(name, f, derivative, a, b):
    y = f(Dual(a, b))
    np.testing.assert_allclose(y.primal, f(a), rtol=1e-12)
    np.testing.assert_allclose(y.tangent, derivative(a) * b, rtol=1e-12)


def test_dual_relu_on_both_sides_of_zero():
    y = ad.relu(Dual(np.array([-1.5, 0.0, 2.0]), np.array([3.0, 3.0, 3.0])))
    np.testing.assert_array_equal(y.primal, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(y.tangent, [0.0, 0.0, 3.0])


def test_dual_ops_with_numpy_arrays_on_either_side():
    c = np.array([2.0, -1.0, 0.5])
    x = Dual(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]))
    for y, expected_tangent in [(c * x, c), (x * c, c), (c + x, 1.0),
                                (c - x, -1.0), (c / x, -c / x.primal ** 2),
                                (np.float64(2.0) * x, 2.0)]:
        assert isinstance(y, Dual)
        np.testing.assert_allclose(y.tangent, expected_tangent * x.tangent)


def test_dual_of_two_variables_gives_partial_derivatives():
    # f(x, y) = x * y / (x + y); seed x with 1, y with 0 for df/dx.
    a, c = 1.5, 0.5
    y = Dual(a, 1.0) * Dual(c, 0.0) / (Dual(a, 1.0) + Dual(c, 0.0))
    assert y.tangent == pytest.approx(c ** 2 / (a + c) ** 2, rel=1e-12)
    z = Dual(a, 0.0) ** Dual(c, 1.0)  # d(a**c)/dc = a**c log a
    assert z.tangent == pytest.approx(a ** c * np.log(a), rel=1e-12)


def test_dual_matmul_indexing_and_sum():
    rng = np.random.default_rng(0)
    W, a, b = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    y = W @ Dual(a, b)
    np.testing.assert_allclose(y.tangent, W @ b, rtol=1e-12)
    assert y[2].tangent == pytest.approx((W @ b)[2], rel=1e-12)
    assert y.sum().tangent == pytest.approx((W @ b).sum(), rel=1e-12)


def test_dual_with_integer_parts_uses_true_division():
    assert ad.log(Dual(2, 1)).tangent == 0.5
    assert (1 / Dual(2, 1)).tangent == -0.25
    assert (Dual(3, 1) ** 2).tangent == 6


def test_dual_repr():
    assert repr(Dual(3.0, 1.0)) == "Dual(3.0, 1.0)"
    assert repr(ad.exp(Dual(0.0, 2.0))) == "Dual(1.0, 2.0)"
    assert repr(Dual(3.0, 1.0) * Dual(3.0, 1.0)) == "Dual(9.0, 6.0)"


def test_elementary_functions_on_plain_numbers_and_tensors():
    t = randn(5, seed=1)
    for mine, numpy_fn, torch_fn in [(ad.exp, np.exp, torch.exp),
                                     (ad.sin, np.sin, torch.sin),
                                     (ad.cos, np.cos, torch.cos),
                                     (ad.tanh, np.tanh, torch.tanh),
                                     (ad.relu, None, torch.relu)]:
        assert isinstance(mine(t), torch.Tensor)
        close(mine(t), torch_fn(t))
        if numpy_fn is not None:
            assert mine(0.3) == pytest.approx(numpy_fn(0.3), rel=1e-15)
    assert ad.log(t.abs()).equal(torch.log(t.abs()))
    np.testing.assert_array_equal(ad.relu(np.array([-1.0, 2.0])), [0, 2])


def written_once(W):
    """A function built from ad's functions: runs on Duals and tensors."""
    def f(x):
        hidden = ad.tanh(W @ x) + ad.relu(x[0]) * ad.sin(W @ x)
        return ad.exp(-hidden) / (1 + hidden ** 2) + ad.log(
            1 + x ** 2).sum() * ad.cos(hidden)
    return f


@pytest.mark.parametrize("n, m", SHAPES)
def test_dual_jvp_matches_torch_func_jvp_on_same_code(n, m):
    rng = np.random.default_rng(n * 10 + m)
    W, x, v = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=n)
    x[0] = abs(x[0]) + 0.1  # keep off relu's kink
    y, j_v = ad.dual_jvp(written_once(W), x, v)
    y_torch, j_v_torch = torch.func.jvp(
        written_once(torch.as_tensor(W)),
        (torch.as_tensor(x),), (torch.as_tensor(v),))
    np.testing.assert_allclose(y, y_torch.numpy(), rtol=1e-12)
    np.testing.assert_allclose(j_v, j_v_torch.numpy(), rtol=1e-10,
                               atol=1e-12)
    fd = ad.finite_difference_jvp(written_once(W), x, v)
    np.testing.assert_allclose(j_v, fd, rtol=1e-6, atol=1e-6)


def test_dual_jvp_on_floats_and_constant_functions():
    y, dy = ad.dual_jvp(lambda x: ad.sin(x) * x, 1.2, 2.0)
    assert type(y) is float and type(dy) is float
    assert y == pytest.approx(np.sin(1.2) * 1.2, rel=1e-15)
    assert dy == pytest.approx(2.0 * (np.cos(1.2) * 1.2 + np.sin(1.2)),
                               rel=1e-14)
    y, dy = ad.dual_jvp(lambda x: np.ones(2), np.ones(3), np.ones(3))
    np.testing.assert_array_equal(dy, np.zeros(2))


@pytest.mark.parametrize("container", [list, tuple])
def test_dual_jvp_takes_components_returned_as_a_list(container):
    # The way a learner writes a map from R^2 to R^2.
    def polar(x):
        return container([x[0] * ad.cos(x[1]), x[0] * ad.sin(x[1])])

    x, v = np.array([2.0, 0.3]), np.array([0.5, -1.0])
    y, j_v = ad.dual_jvp(polar, x, v)
    J = np.array([[np.cos(0.3), -2.0 * np.sin(0.3)],
                  [np.sin(0.3), 2.0 * np.cos(0.3)]])  # by hand
    np.testing.assert_allclose(y, [2 * np.cos(0.3), 2 * np.sin(0.3)],
                               rtol=1e-15)
    np.testing.assert_allclose(j_v, J @ v, rtol=1e-14)
    constant_first = ad.dual_jvp(lambda x: [1.0, x[0] ** 2], x, v)[1]
    np.testing.assert_allclose(constant_first, [0.0, 2 * 2.0 * 0.5])


# --- errors ----------------------------------------------------------------

def square(x):
    return x ** 2


def total(x):
    return x.sum()


X3, V4 = randn(3), randn(4)


@pytest.mark.parametrize("call", [
    lambda: ad.jvp(square, X3, V4),
    lambda: ad.hvp(total, X3, V4),
    lambda: ad.finite_difference_jvp(square, X3, V4),
    lambda: ad.dual_jvp(square, np.ones(3), np.ones(4)),
], ids=["jvp", "hvp", "finite_difference_jvp", "dual_jvp"])
def test_v_not_shaped_like_x(call):
    expected = r"v must have the shape of x, \(3,\); got \(4,\)"
    with pytest.raises(ValueError, match=expected):
        call()


def test_v_not_shaped_like_w_in_gnvp():
    expected = r"v must have the shape of w, \(3,\); got \(4,\)"
    with pytest.raises(ValueError, match=expected):
        ad.gnvp(square, total, X3, V4)


def test_u_not_shaped_like_f_of_x():
    with pytest.raises(
            ValueError,
            match=r"u must have the shape of f\(x\), \(2,\); got \(3,\)"):
        ad.vjp(lambda x: x[:2], randn(5), randn(3))


@pytest.mark.parametrize("call", [lambda: ad.hessian(square, X3),
                                  lambda: ad.hvp(square, X3, X3)],
                         ids=["hessian", "hvp"])
def test_f_not_scalar(call):
    with pytest.raises(ValueError, match=r"f must return a scalar tensor "
                                         r"of shape \(\); got shape \(3,\)"):
        call()


def test_loss_not_scalar_in_gnvp():
    with pytest.raises(ValueError, match=r"loss must return a scalar "
                                         r"tensor of shape \(\); got "
                                         r"shape \(3,\)"):
        ad.gnvp(square, square, X3, X3)


@pytest.mark.parametrize("call", [
    lambda: ad.jacobian(square, randn(2, 3)),
    lambda: ad.jacobian(square, randn(2, 3), mode="fwd"),
    lambda: ad.hessian(total, randn(2, 3)),
], ids=["jacobian_rev", "jacobian_fwd", "hessian"])
def test_x_not_1d(call):
    with pytest.raises(ValueError,
                       match=r"x must be a 1-D float tensor of shape "
                             r"\(n,\); got shape \(2, 3\)"):
        call()


def test_unknown_mode():
    with pytest.raises(ValueError,
                       match=r"mode must be one of \['rev', 'fwd'\]; "
                             r"got 'backward'"):
        ad.jacobian(square, X3, mode="backward")


@pytest.mark.parametrize("call, name, type_name", [
    (lambda: ad.jvp(square, [1.0, 2.0], X3), "x", "list"),
    (lambda: ad.jvp(square, X3, np.ones(3)), "v", "ndarray"),
    (lambda: ad.vjp(square, X3, 1.0), "u", "float"),
    (lambda: ad.jacobian(square, np.ones(3)), "x", "ndarray"),
    (lambda: ad.hvp(total, X3, [1.0, 2.0, 3.0]), "v", "list"),
    (lambda: ad.gnvp(square, total, np.ones(3), X3), "w", "ndarray"),
])
def test_non_tensor_input_is_named(call, name, type_name):
    with pytest.raises(TypeError, match=rf"{name} must be a torch.Tensor; "
                                        rf"got {type_name}\. Convert"):
        call()
