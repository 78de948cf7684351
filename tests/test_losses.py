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
    for d in range(moving.shape[1]):
        step = torch.zeros_like(moving)
        step[:, d] = h
        plus, minus = moving + step, moving - step
        if wrt == "x":
            gradient[:, d] = (loss(plus, y) - loss(minus, y)) / (2 * h)
        else:
            gradient[:, d] = (loss(x, plus) - loss(x, minus)) / (2 * h)
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


@pytest.mark.skipif(NODE is None, reason="needs node (make test has it)")
def test_the_browser_field_is_the_python_field_for_every_loss():
    axis = np.linspace(-2.0, 2.0, 25) + 0.013  # a 25x25 grid, off 0
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    fixed = [0.8, -0.6]
    cases = [dict(name=name, nu=nu, log=use_log, wrt=wrt,
                  points=grid.tolist(), fixed=fixed)
             for name, loss in L.LOSSES.items()
             for nu in ((0.0, 0.5, 1.0, 1.7, 2.0) if loss.uses_nu else (1.0,))
             for use_log in ((False, True) if loss.positive else (False,))
             for wrt in ("x", "y")]
    for case, result in zip(cases, js_fields(cases)):
        loss = L.loss_fn(case["name"], nu=case["nu"], log=case["log"])
        field, values = L.gradient_field(
            loss, torch.tensor(fixed, dtype=DTYPE), grid, wrt=case["wrt"])
        ours = np.array(result)
        label = f"{case['name']} ν={case['nu']} log={case['log']} " \
                f"wrt {case['wrt']}"
        np.testing.assert_allclose(ours[:, 0], values, rtol=1e-9,
                                   atol=1e-12, err_msg=label)
        np.testing.assert_allclose(ours[:, 1:], field, rtol=1e-6,
                                   atol=1e-9, err_msg=label)
    assert len(cases) >= 2 * len(L.LOSSES)
