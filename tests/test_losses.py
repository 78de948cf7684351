"""jacolib.losses against closed forms and finite differences, its stated
properties, and the browser's copy (jacolib/web/loss_fields.mjs)
against it, evaluated in node."""

import json
import shutil
import subprocess

import numpy as np
import pytest
import torch

from conftest import ROOT
from jacolib import losses as L

DTYPE = torch.float64


def randn(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=DTYPE)


def numerical_gradient(loss, x, y, wrt="x", h=1e-6):
    """Central differences of the per-row loss, one coordinate at a time."""
    moving = (x if wrt == "x" else y).clone()
    gradient = torch.zeros_like(moving)
    for j in range(moving.shape[1]):
        step = torch.zeros_like(moving)
        step[:, j] = h
        plus, minus = moving + step, moving - step
        if wrt == "x":
            gradient[:, j] = (loss(plus, y) - loss(minus, y)) / (2 * h)
        else:
            gradient[:, j] = (loss(x, plus) - loss(x, minus)) / (2 * h)
    return gradient


SMOOTH = [name for name, loss in L.LOSSES.items()
          if name not in ("sign mismatch", "perceptron")]


@pytest.mark.parametrize("wrt", ["x", "y"])
@pytest.mark.parametrize("name", SMOOTH)
@pytest.mark.parametrize("nu", [0.0, 0.7, 1.0, 2.0])
def test_every_smooth_loss_has_the_gradient_of_finite_differences(
        name, nu, wrt):
    x, y = randn(20, 3, seed=1), randn(20, 3, seed=2)
    loss = L.loss_fn(name, nu=nu)
    field, values = L.gradient_field(
        loss, y[0] if wrt == "x" else x[0],
        x if wrt == "x" else y, wrt=wrt)
    fixed = (y[0] if wrt == "x" else x[0]).expand(20, 3)
    pair = (x, fixed) if wrt == "x" else (fixed, y)
    expected = numerical_gradient(loss, *pair, wrt=wrt)
    np.testing.assert_allclose(-field, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(values, loss(*pair), rtol=1e-14)


def test_closed_form_gradients_of_mse_and_cosine():
    x, y = randn(10, 4, seed=3), randn(10, 4, seed=4)
    field, _ = L.gradient_field(L.mse, y[0], x)
    np.testing.assert_allclose(-field, 2 * (x - y[0]), rtol=1e-14)
    field, _ = L.gradient_field(lambda a, b: L.cos_sim(a, b), y[0], x)
    nx, ny = x.norm(dim=1, keepdim=True), y[0].norm()
    cos = (x @ y[0])[:, None] / (nx * ny)
    np.testing.assert_allclose(-field, y[0] / (nx * ny) - cos * x / nx**2,
                               rtol=1e-12)  # ∇ₓ cos


def test_gen_sim_is_dot_sim_at_0_and_cos_sim_at_1():
    x, y = randn(8, 3, seed=5), randn(8, 3, seed=6)
    np.testing.assert_allclose(L.gen_sim(x, y, 0.0), L.dot_sim(x, y),
                               rtol=1e-14)
    np.testing.assert_allclose(L.gen_sim(x, y, 1.0), L.cos_sim(x, y),
                               rtol=1e-14)


@pytest.mark.parametrize("nu", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_gen_sim_scales_like_c_to_the_1_minus_nu(nu):
    x, y = randn(8, 3, seed=7), randn(8, 3, seed=8)
    np.testing.assert_allclose(L.gen_sim(3.0 * x, y, nu),
                               3.0 ** (1 - nu) * L.gen_sim(x, y, nu),
                               rtol=1e-13)


def test_cos_sim_ignores_the_length_of_y():
    x, y = randn(8, 3, seed=9), randn(8, 3, seed=10)
    np.testing.assert_allclose(L.cos_sim(x, 5.0 * y), L.cos_sim(x, y),
                               rtol=1e-14)


def test_dot_sim_ignores_the_part_of_x_orthogonal_to_y():
    x, y = randn(8, 3, seed=11), randn(8, 3, seed=12)
    orthogonal = randn(8, 3, seed=13)
    orthogonal -= ((orthogonal * y).sum(1, keepdim=True)
                   / (y * y).sum(1, keepdim=True)) * y
    np.testing.assert_allclose(L.dot_sim(x + 2.0 * orthogonal, y),
                               L.dot_sim(x, y), rtol=1e-12)


def test_sum_sim_has_a_single_minimum_on_a_grid():
    y = torch.tensor([0.7, -0.4], dtype=DTYPE)
    axis = torch.linspace(-2, 2, 401, dtype=DTYPE) + 1e-3  # avoid x = 0
    X, Y = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([X, Y], dim=-1).reshape(-1, 2)
    values = L.sum_sim(points, y.expand_as(points))
    nearest = points[values.argmin()]
    assert torch.allclose(nearest, y, atol=0.01)
    # Away from y, no other point comes close to 0.
    far = (points - y).norm(dim=1) > 0.1
    assert values[far].min() > 1e-3
    assert L.sum_sim(y[None], y[None]).item() == pytest.approx(0, abs=1e-15)


def test_sign_losses_are_piecewise_constant_and_zero_when_signs_agree():
    y = torch.tensor([[1.0, -2.0]], dtype=DTYPE)
    agree, mixed = (torch.tensor([[3.0, -0.5]], dtype=DTYPE),
                    torch.tensor([[3.0, 0.5]], dtype=DTYPE))
    assert L.sign_mismatch(agree, y).item() == 0
    assert L.sign_mismatch(mixed, y).item() == 2
    assert L.perceptron(agree, y).item() == 0
    assert L.perceptron(mixed, y).item() == pytest.approx(1.0)
    field, _ = L.gradient_field(L.sign_mismatch, y[0], mixed)
    assert torch.equal(field, torch.zeros_like(field))


def test_zero_norms_and_bad_logs_raise_instead_of_nan():
    y = torch.tensor([1.0, 0.0], dtype=DTYPE)
    grid = torch.tensor([[0.5, 0.5], [0.0, 0.0]], dtype=DTYPE)
    with pytest.raises(ValueError, match=r"divides by \|x\|, which is 0 "
                                         r"at row 1"):
        L.gradient_field(L.loss_fn("1 − CosSim"), y, grid)
    with pytest.raises(ValueError, match=r"log of a loss needs the loss "
                                         r"> 0; got 0 at row 0"):
        L.loss_fn("MSE", log=True)(y[None], y[None])
    with pytest.raises(ValueError, match=r"nu must lie in \[0, 2\]"):
        L.gen_sim(grid, grid, 2.5)


def test_the_log_field_is_autograd_of_log_where_defined_and_nan_on_zeros():
    y = torch.tensor([0.6, 0.8], dtype=DTYPE)
    # Two points on the ray of y (1 − CosSim = 0 there), three off it.
    points = torch.tensor([[1.2, 1.6], [0.3, 0.4], [1.0, 0.0],
                           [-0.5, 0.2], [0.1, -2.0]], dtype=DTYPE)
    loss = L.loss_fn("1 − CosSim")
    field, values = L.gradient_field(loss, y, points, log=True)
    off = slice(2, None)
    expected, expected_values = L.gradient_field(
        L.log_of(loss), y, points[off])
    np.testing.assert_allclose(field[off], expected, rtol=1e-12)
    np.testing.assert_allclose(values[off], expected_values, rtol=1e-14)
    assert torch.isnan(field[:2]).all() and torch.isnan(values[:2]).all()
    with pytest.raises(ValueError, match="log of a loss needs"):
        L.gradient_field(L.log_of(loss), y, points)


def test_a_particle_that_lands_on_the_zero_set_of_a_log_stops_as_nan():
    # log MSE from distance r = √(2α) lands exactly on y in one step.
    y = torch.tensor([0.5, -0.25], dtype=DTYPE)
    lr = 0.125
    start = y + torch.tensor([[0.5, 0.0]], dtype=DTYPE)  # r = √(2·0.125)
    paths = L.flow(L.mse, y, start, lr=lr, n_steps=3, log=True)
    np.testing.assert_allclose(paths[1, 0], y, atol=1e-15)
    assert torch.isnan(paths[2:]).all()


def test_which_losses_allow_a_log():
    allowed = {name for name, loss in L.LOSSES.items() if loss.allows_log}
    assert allowed == {"MSE", "1 − CosSim", "(1 − DotSim)²", "GenSim_ν",
                       "SumSim", "1 − CosSim + MSE"}
    # The others are ≤ 0 on a region of positive area: here, a quarter
    # or a half of a grid around the target.
    y = torch.tensor([0.8, -0.6], dtype=DTYPE)
    grid = torch.as_tensor(losses_grid().reshape(-1, 2))
    for name in set(L.LOSSES) - allowed:
        values = L.loss_fn(name)(grid, y.expand_as(grid))
        assert (values <= 0).double().mean() > 0.2, name
    for name in allowed:
        values = L.loss_fn(name, nu=0.5)(grid, y.expand_as(grid))
        assert (values >= 0).all() and (values <= 1e-12).sum() <= 1, name


def test_flow_is_gradient_descent_for_every_particle():
    y = torch.tensor([1.0, 0.5], dtype=DTYPE)
    starts = randn(5, 2, seed=14)
    paths = L.flow(L.mse, y, starts, lr=0.1, n_steps=3)
    assert paths.shape == (4, 5, 2)
    x = starts
    for k in range(3):
        x = x - 0.1 * 2 * (x - y)  # ∇‖x − y‖² = 2(x − y)
        np.testing.assert_allclose(paths[k + 1], x, rtol=1e-14)


# --- the browser's copy ---------------------------------------------------
NODE = shutil.which("node")


def js_fields(cases):
    """Run jacolib/web/loss_fields.mjs in node on a list of cases."""
    path = ROOT / "_build" / "js_field_cases.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(cases))
    result = subprocess.run(
        [NODE, str(ROOT / "tests" / "js" / "eval_fields.mjs"), str(path)],
        capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


needs_node = pytest.mark.skipif(NODE is None,
                                reason="needs node (make test has it)")


def python_field(case):
    """What jacolib.losses gives for a case of js_fields."""
    loss = L.loss_fn(case["name"], nu=case["nu"])
    field, values = L.gradient_field(
        loss, torch.tensor(case["fixed"], dtype=DTYPE),
        np.array(case["points"]), wrt=case["wrt"], log=case["log"])
    return values.numpy(), field.numpy().reshape(-1, 2)


def field_cases(points, fixed):
    """Every loss, at several ν, with and without its log, both ways."""
    return [dict(name=name, nu=nu, log=use_log, wrt=wrt,
                 points=points.tolist(), fixed=fixed)
            for name, loss in L.LOSSES.items()
            for nu in ((0.0, 0.5, 1.0, 1.7, 2.0) if loss.uses_nu
                       else (1.0,))
            for use_log in ((False, True) if loss.allows_log
                            else (False,))
            for wrt in ("x", "y")]


@needs_node
def test_the_browser_field_is_the_python_field_for_every_loss():
    grid = losses_grid().reshape(-1, 2)
    cases = field_cases(grid, [0.8, -0.6])
    for case, result in zip(cases, js_fields(cases)):
        values, field = python_field(case)
        ours = np.array(result, dtype=float)
        label = f"{case['name']} ν={case['nu']} log={case['log']} " \
                f"wrt {case['wrt']}"
        np.testing.assert_allclose(ours[:, 0], values, rtol=1e-9,
                                   atol=1e-12, err_msg=label)
        np.testing.assert_allclose(ours[:, 1:], field, rtol=1e-6,
                                   atol=1e-9, err_msg=label)
    assert len(cases) >= 2 * len(L.LOSSES)
    assert sum(case["log"] for case in cases) >= 2 * 6  # logs compared


@needs_node
def test_the_browser_field_has_no_arrow_where_the_log_is_undefined():
    # The fixed point on the grid's diagonal: the diagonal points lie on
    # its ray, where 1 − CosSim and the GenSim loss at ν = 1 are 0 (up
    # to rounding, which may leave a tiny positive value instead).
    grid = losses_grid().reshape(-1, 2)
    cases = [case for case in field_cases(grid, [0.7, 0.7])
             if case["log"] and case["name"] in ("1 − CosSim", "GenSim_ν")]
    undefined_somewhere = 0
    for case, result in zip(cases, js_fields(cases)):
        values, field = python_field(case)
        ours = np.array(result, dtype=float)
        plain, _ = python_field({**case, "log": False})
        decided = np.abs(plain) > 1e-12  # not a matter of rounding
        np.testing.assert_allclose(ours[decided, 1:], field[decided],
                                   rtol=1e-6, atol=1e-9)
        undefined = np.isnan(ours[:, 0])
        assert np.all(np.abs(plain[undefined]) <= 1e-12)
        undefined_somewhere += undefined.any()
    assert undefined_somewhere >= 2


@needs_node
@pytest.mark.parametrize("wrt", ["x", "y"])
def test_the_browser_field_at_the_origin_is_nan_where_python_refuses(wrt):
    # The moving point at 0: a loss that divides by its norm raises in
    # Python and must give NaN in the browser; the others must agree,
    # GenSim at ν = 0 (wrt x) and ν = 2 (wrt y) included.
    cases = field_cases(np.zeros((1, 2)), [0.8, -0.6])
    cases = [case for case in cases if case["wrt"] == wrt]
    finite_cases = 0
    for case, result in zip(cases, js_fields(cases)):
        ours = np.array(result, dtype=float)[0]
        try:
            values, field = python_field(case)
        except ValueError:
            assert np.isnan(ours[1:]).all(), case
            continue
        if not np.isfinite(values).all():
            assert np.isnan(ours[0]), case
            continue
        finite_cases += 1
        np.testing.assert_allclose(ours[0], values[0], atol=1e-12)
        np.testing.assert_allclose(ours[1:], field[0], atol=1e-9,
                                   err_msg=str(case))
    assert finite_cases >= 4


@needs_node
def test_the_browser_grid_and_arrow_scale_are_the_python_ones():
    from jacolib import losses_figures
    rng = np.random.default_rng(1)
    size_lists = [rng.exponential(size=n).tolist() for n in (1, 4, 7)]
    size_lists.append([0.0, 0.0, 2.0, 5.0, None, 1.0])  # zeros, a NaN
    size_lists.append([0.0, None])  # nothing to measure: 1
    cases = [dict(kind="median", sizes=sizes) for sizes in size_lists]
    cases.append(dict(kind="grid", half=2.0, n=25))
    *medians, axis = js_fields(cases)
    for sizes, median in zip(size_lists, medians):
        field = np.array([[s if s is not None else np.nan, 0.0]
                          for s in sizes])
        assert median == pytest.approx(losses_figures.field_size(field),
                                       rel=1e-15)
    np.testing.assert_allclose(axis, losses_grid()[0, :, 0], rtol=1e-15)


def losses_grid():
    from jacolib import losses_figures
    return losses_figures.grid_points()
