"""Tests of jacolib.curvature_figures: the example loss against its
closed-form derivatives, the Taylor panel against hand-computed models,
and the plots' contents.
"""

import io
import warnings

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image
from torch.autograd.functional import hessian as autograd_hessian

import jacolib
from jacolib import curvature_figures as F
from jacolib.widgets import LivePanel

DTYPE = torch.float64


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def valley_gradient(w1, w2):
    # By hand from L = ¼(w₁² − 1)² + (w₂ − ½w₁²)².
    return np.array([2 * w1**3 - w1 - 2 * w1 * w2, 2 * w2 - w1**2])


def valley_hessian(w1, w2):
    return np.array([[6 * w1**2 - 1 - 2 * w2, -2 * w1], [-2 * w1, 2.0]])


# --- the example loss ------------------------------------------------------

def test_valley_minima_saddle_and_value():
    valley = F.curved_double_well
    for point in ([1.0, 0.5], [-1.0, 0.5]):
        assert valley(torch.tensor(point, dtype=DTYPE)) == 0
    assert valley(torch.zeros(2, dtype=DTYPE)) == 0.25
    assert valley(np.array([2.0, 1.0])) == pytest.approx(
        0.25 * 9 + (1.0 - 2.0) ** 2)


def test_valley_hessian_matches_the_closed_form():
    for point in ([0.0, 0.0], [0.3, -0.7], [-1.2, 1.5]):
        w = torch.tensor(point, dtype=DTYPE)
        H = autograd_hessian(F.curved_double_well, w).numpy()
        np.testing.assert_allclose(H, valley_hessian(*point), atol=1e-12)


def test_valley_works_on_grids_and_rejects_other_shapes():
    grid = np.zeros((4, 5, 2))
    assert F.curved_double_well(grid).shape == (4, 5)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\); "
                                         r"got \(3,\)"):
        F.curved_double_well(torch.zeros(3, dtype=DTYPE))


def test_smallest_eigenvalue_grid_matches_the_closed_form():
    X, Y, smallest = F.smallest_hessian_eigenvalue_grid(
        F.curved_double_well, (-2, 2), (-1, 2), n=7)
    assert X.shape == Y.shape == smallest.shape == (7, 7)
    expected = [np.linalg.eigvalsh(valley_hessian(x, y))[0]
                for x, y in zip(X.ravel(), Y.ravel())]
    np.testing.assert_allclose(smallest.ravel(), expected, atol=1e-12)


# --- the Taylor panel ------------------------------------------------------

def taylor_panel():
    return LivePanel(F.TaylorScene, w1=(-2.0, 2.0, 0.05, -0.5),
                     w2=(-1.5, 2.5, 0.05, 0.5), angle=(0, 360, 5, 30))


def test_taylor_scene_draws_the_models_computed_by_hand():
    panel = taylor_panel()
    panel.render(w1=0.4, w2=-0.3, angle=120)
    scene = panel.scene
    w = np.array([0.4, -0.3])
    d = np.array([np.cos(np.deg2rad(120)), np.sin(np.deg2rad(120))])
    s = scene.steps
    g, H = valley_gradient(*w), valley_hessian(*w)
    points = w + np.outer(s, d)
    true = F.curved_double_well(points) - F.curved_double_well(w)
    first = s * (g @ d)
    second = first + 0.5 * s**2 * (d @ H @ d)
    for curve, expected in zip(scene.curves, (true, first, second)):
        np.testing.assert_allclose(curve.get_xdata(), s)
        np.testing.assert_allclose(curve.get_ydata(), expected, atol=1e-12)
    assert f"{g @ d:+.2f}" in scene.title.get_text()
    assert f"{d @ H @ d:+.2f}" in scene.title.get_text()


def decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_taylor_blitted_frame_equals_a_full_redraw():
    blitted = taylor_panel()
    blitted.render(w1=1.5, w2=2.0, angle=300)
    frame = decoded(blitted.render(w1=0.0, w2=0.0, angle=0))
    fresh = decoded(taylor_panel().render(w1=0.0, w2=0.0, angle=0))
    np.testing.assert_array_equal(frame, fresh)


@pytest.mark.parametrize("w1, w2, angle", [
    (-2.0, -1.5, 0), (2.0, 2.5, 360), (2.0, -1.5, 45), (0.0, 0.0, 90)])
def test_taylor_extreme_values_draw_without_warnings(w1, w2, angle):
    panel = taylor_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel.controls["w1"].value = w1
        panel.controls["w2"].value = w2
        panel.controls["angle"].value = angle
    assert panel.status.value == ""


# --- plots -----------------------------------------------------------------

def new_axes():
    fig = Figure()
    return fig, fig.subplots()


def test_stationary_point_panels_titles_and_count():
    fig = Figure(figsize=(8, 2))
    examples = [("a", lambda p: p[..., 0] ** 2 + p[..., 1] ** 2, "minimum"),
                ("b", lambda p: p[..., 0] ** 2 - p[..., 1] ** 2, "saddle")]
    axes = F.draw_stationary_points(fig, examples)
    assert len(axes) == 2
    assert [ax.get_title() for ax in axes] == ["a\nminimum", "b\nsaddle"]


def test_sorted_spectra_are_sorted_on_a_symlog_axis():
    fig, ax = new_axes()
    F.plot_sorted_spectra(ax, {"H": torch.tensor([3.0, -1.0, 0.0])})
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), [-1.0, 0.0, 3.0])
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "symlog"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["H"]


def test_plot_curves_labels_and_default_style():
    fig, ax = new_axes()
    x = np.arange(4.0)
    F.plot_curves(ax, x, {"up": x, "down": -x}, styles={"down": ":"})
    up, down = ax.get_lines()
    assert (up.get_label(), down.get_label()) == ("up", "down")
    assert (up.get_linestyle(), down.get_linestyle()) == ("-", ":")
    np.testing.assert_array_equal(down.get_ydata(), -x)


def test_curve_panels_and_styles():
    fig = Figure()
    x = np.linspace(0, 1, 5)
    axes = F.draw_curve_panels(fig, x, [
        ("one", "$y$", {"a": x, "b": 2 * x}), ("two", "$z$", {"c": x})])
    assert [ax.get_title() for ax in axes] == ["one", "two"]
    first, second = axes[0].get_lines()
    assert (first.get_linestyle(), second.get_linestyle()) == ("-", "--")
    np.testing.assert_array_equal(second.get_ydata(), 2 * x)


def test_fit_with_moved_target_rings_the_right_point():
    fig, ax = new_axes()
    X = torch.linspace(-1, 1, 6).reshape(-1, 1)
    y = X**2
    F.plot_fit_with_moved_target(ax, X, y, 4, X, y)
    ring = ax.get_lines()[1]
    assert ring.get_xdata()[0] == X[4].item()
    assert ring.get_ydata()[0] == y[4].item()
    assert "y_{4}" in ring.get_label()



def test_loss_and_top_eigenvalue_plot_the_run_and_the_threshold():
    fig = Figure()
    ax_loss, ax_top = fig.subplots(1, 2)
    losses = torch.linspace(1.0, 0.5, 11)
    largest = {10: 39.0, 0: 5.0, 6: 41.0}
    F.plot_loss_and_top_eigenvalue(ax_loss, ax_top, losses, largest,
                                   lr=0.05, first_step=4)
    curve, = ax_loss.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), np.arange(4, 11))
    np.testing.assert_allclose(curve.get_ydata(), losses[4:].numpy())
    dots, threshold = ax_top.get_lines()
    np.testing.assert_array_equal(dots.get_xdata(), [0, 6, 10])
    np.testing.assert_array_equal(dots.get_ydata(), [5.0, 41.0, 39.0])
    assert threshold.get_ydata()[0] == pytest.approx(40.0)
    assert "40" in threshold.get_label()


def test_taylor_scene_labels_the_line_position_t():
    scene = taylor_panel().scene
    assert "$t$" in scene.ax_line.get_xlabel()
    assert "w + t" in scene.ax_line.get_ylabel()
