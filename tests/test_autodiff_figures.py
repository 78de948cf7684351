"""jacolib.autodiff_figures: the warp against its hand Jacobian and
torch.autograd, the panel's arrows against J v and J^T u by hand, the
panel at extreme slider values, and the cost plots."""

import warnings

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import jacolib
from jacolib import autodiff_costs, autodiff_figures
from jacolib.autodiff_figures import JvpVjpScene, warp, warp_jacobian
from jacolib.widgets import LivePanel

matplotlib.use("Agg")
POINTS = [(0.8, -0.5), (-2.0, 2.0), (2.0, -2.0), (0.0, 0.0), (1.3, 0.7)]


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def jvp_vjp_panel():
    return LivePanel(JvpVjpScene, figsize=(9.0, 4.4),
                     x1=(-2.0, 2.0, 0.05, 0.8), x2=(-2.0, 2.0, 0.05, -0.5),
                     v_angle=(0, 360, 5, 30), u_angle=(0, 360, 5, 120))


def unit(degrees):
    return np.array([np.cos(np.deg2rad(degrees)),
                     np.sin(np.deg2rad(degrees))])


@pytest.mark.parametrize("point", POINTS)
def test_warp_jacobian_matches_autograd(point):
    x = torch.tensor(point, dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(warp, x).numpy()
    np.testing.assert_allclose(warp_jacobian(point), expected, atol=1e-14)


def test_warp_on_arrays_and_tensors_agree_with_the_formula():
    rng = np.random.default_rng(0)
    points = rng.uniform(-2, 2, size=(4, 5, 2))
    x1, x2 = points[..., 0], points[..., 1]
    expected = np.stack([x1 + 0.4 * np.sin(1.5 * x2),
                         x2 + 0.25 * x1 ** 2 - 0.5], axis=-1)
    np.testing.assert_allclose(warp(points), expected, rtol=1e-15)
    np.testing.assert_allclose(warp(torch.as_tensor(points)).numpy(),
                               expected, rtol=1e-15)


def test_warp_folds_nothing_on_the_panel_square():
    # The module promises det J >= 0.4 for |x_i| <= 2.
    grid = np.linspace(-2, 2, 81)
    dets = [np.linalg.det(warp_jacobian((a, b)))
            for a in grid for b in grid]
    assert min(dets) == pytest.approx(0.4, abs=1e-12)


def test_warp_jacobian_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(2,\); got \(3,\)"):
        warp_jacobian([1.0, 2.0, 3.0])


@pytest.mark.parametrize("x1, x2", POINTS)
@pytest.mark.parametrize("v_angle, u_angle", [(30, 120), (0, 360),
                                              (275, 5)])
def test_panel_arrows_are_jv_and_jt_u(x1, x2, v_angle, u_angle):
    scene = JvpVjpScene(Figure(layout="none"))
    scene.update(x1=x1, x2=x2, v_angle=v_angle, u_angle=u_angle)
    J, v, u = warp_jacobian((x1, x2)), unit(v_angle), unit(u_angle)
    arrows_in = np.stack([scene.arrows_in.U, scene.arrows_in.V], axis=1)
    arrows_out = np.stack([scene.arrows_out.U, scene.arrows_out.V], axis=1)
    np.testing.assert_allclose(arrows_in, [v, J.T @ u], atol=1e-12)
    np.testing.assert_allclose(arrows_out, [J @ v, u], atol=1e-12)
    both_sides = f"{u @ J @ v:+.3f}"
    assert scene.duality_text.get_text().count(both_sides) == 2


def test_level_through_x_is_drawn_and_thick():
    scene = JvpVjpScene(Figure(layout="none"))
    scene.update(x1=0.8, x2=-0.5, v_angle=30, u_angle=120)
    through = unit(120) @ warp(np.array([0.8, -0.5]))
    levels = scene.level_curves.levels
    assert np.any(np.isclose(levels, through, atol=1e-12))
    np.testing.assert_allclose(np.diff(levels), 0.5, atol=1e-12)
    widths = scene.level_curves.get_linewidths()
    assert sorted(set(np.round(widths, 6))) == [0.8, 2.0]


def test_panel_at_extreme_values_draws_without_warnings():
    panel = jvp_vjp_panel()  # the first jvp loads torch's rules here
    extremes = [dict(x1=-2.0, x2=-2.0, v_angle=0, u_angle=0),
                dict(x1=2.0, x2=2.0, v_angle=360, u_angle=360),
                dict(x1=2.0, x2=-2.0, v_angle=180, u_angle=90),
                dict(x1=-2.0, x2=2.0, v_angle=45, u_angle=225)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in extremes:
            for name, value in values.items():
                panel.controls[name].value = value
            assert panel.status.value == ""
            assert bytes(panel.image.value).startswith(b"\x89PNG")


def fake_jacobian_costs():
    n = np.array([10, 500, 1000])
    return autodiff_costs.JacobianCosts(n, 1010 - n,
                                        np.array([1e-3, 5e-3, 1e-2]),
                                        np.array([1e-2, 5e-3, 1e-3]))


def test_plot_jacobian_costs_draws_both_modes_on_both_axes():
    fig = Figure()
    axes = fig.subplots(1, 2)
    autodiff_figures.plot_jacobian_costs(axes, fake_jacobian_costs())
    left, right = axes
    np.testing.assert_array_equal(left.lines[1].get_xdata(),
                                  [10, 500, 1000])
    # Right: reverse-mode time against its number of passes m.
    np.testing.assert_array_equal(right.lines[1].get_xdata(),
                                  [1000, 510, 10])
    np.testing.assert_allclose(right.lines[1].get_ydata(), [10, 5, 1])
    assert "1010 - n" in left.get_xlabel()
    for ax in axes:
        assert ax.get_title() and ax.get_legend() is not None


def test_plot_hvp_costs_one_line_per_method_in_ms():
    costs = autodiff_costs.HVPCosts(
        np.array([10, 100]),
        {"gradient": np.array([1e-3, 2e-3]), "HVP": np.array([3e-3, 5e-3])})
    fig = Figure()
    ax = autodiff_figures.plot_hvp_costs(fig.subplots(), costs)
    assert [line.get_label() for line in ax.lines] == ["gradient", "HVP"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [3.0, 5.0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_output_plane_is_labelled_z():
    scene = JvpVjpScene(Figure(layout="none"))
    assert (scene.ax_out.get_xlabel(), scene.ax_out.get_ylabel()) == (
        "$z_1$", "$z_2$")


def test_plot_pass_costs_draws_time_per_pass_in_microseconds():
    costs = autodiff_costs.PassCosts(
        np.array([1, 10, 100]),
        {"JVPs": np.array([1e-3, 2e-3, 5e-3]),
         "VJPs": np.array([2e-3, 3e-3, 4e-3])},
        np.array([1, 10]),
        {"JVPs": np.array([1e-3, 1e-2]), "VJPs": np.array([5e-4, 5e-3])})
    fig = Figure()
    ax = autodiff_figures.plot_pass_costs(fig.subplots(), costs)
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"JVPs, looped", "JVPs, batched", "VJPs, looped",
                          "VJPs, batched"}
    np.testing.assert_allclose(lines["JVPs, batched"].get_ydata(),
                               [1000, 200, 50])
    np.testing.assert_allclose(lines["VJPs, looped"].get_ydata(),
                               [500, 500])
    # Mode by marker, style by line: not by colour alone.
    assert lines["JVPs, looped"].get_marker() != \
        lines["VJPs, looped"].get_marker()
    assert lines["JVPs, looped"].get_linestyle() != \
        lines["JVPs, batched"].get_linestyle()
    assert ax.get_xscale() == ax.get_yscale() == "log"


def fake_hessian_costs():
    return autodiff_costs.HessianCosts(
        np.array([10, 40]), np.array([1e-3, 2e-3]),
        np.array([1e-2, 8e-2]), np.array([2e-3, 6e-3]))


def test_plot_hessian_costs_in_units_of_one_hvp():
    fig = Figure()
    ax = autodiff_figures.plot_hessian_costs(fig.subplots(),
                                             fake_hessian_costs())
    looped, batched = ax.lines[1], ax.lines[2]
    np.testing.assert_allclose(looped.get_ydata(), [10, 40])
    np.testing.assert_allclose(batched.get_ydata(), [2, 3])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [10, 40])  # n
    assert len(ax.lines) == 3 and ax.get_legend() is not None


def test_plot_hessian_costs_adds_the_larger_sweep():
    fig = Figure()
    ax = autodiff_figures.plot_hessian_costs(
        fig.subplots(), fake_hessian_costs(),
        sweep=(np.array([40, 160]), np.array([3.0, 12.0])))
    assert len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [10, 40, 160])
    np.testing.assert_allclose(ax.lines[3].get_ydata(), [3, 12])
