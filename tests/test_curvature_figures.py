"""Tests of jacolib.curvature_figures: the example loss against its
closed-form derivatives, the Taylor panel against hand-computed models,
its browser copy (``TaylorPanel``; its maths, jacolib/web/
taylor_lines.mjs, run in node against jacolib.curvature over the
sliders' whole range), and the plots' contents.
"""

import io
import warnings

import matplotlib
import numpy as np
import pytest
import torch
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PIL import Image
from torch.autograd.functional import hessian as autograd_hessian
from torch.func import hessian, vmap

import jacolib
from jacolib import curvature, curvature_figures as F
from jacolib.widgets import LivePanel
from panel_maths import needs_node, run_js, tex_to_markup

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


def test_taylor_scene_describes_its_numbers_and_changes_with_them():
    panel = taylor_panel()
    saddle = panel.scene.describe(w1=0.0, w2=0.0, angle=30)
    assert saddle == panel.image.tooltip or "(-0.50, 0.50)" in \
        panel.image.tooltip
    assert "w = (0.00, 0.00) in the direction ψ = 30°" in saddle
    assert "curvature dᵀHd = -0.25" in saddle
    assert "a downward parabola, with no minimum" in saddle
    assert "H has a negative eigenvalue" in saddle
    # The chapter's second question: the model's minimum far from the
    # loss's own (t* = -1.03 against -0.42, as the page computes).
    far = panel.scene.describe(w1=-0.5, w2=0.5, angle=30)
    assert "its minimum at t = -1.03" in far
    assert "the loss itself is lowest at t = -0.42" in far
    at_minimum = panel.scene.describe(w1=1.0, w2=0.5, angle=90)
    assert "H is positive semi-definite" in at_minimum
    assert "slope gᵀd = +0.00, curvature dᵀHd = +2.00" in at_minimum
    panel.controls["angle"].value = 90
    assert "ψ = 90°" in panel.image.tooltip


@pytest.mark.parametrize("w1, w2, angle", [
    (-2.0, -1.5, 0), (2.0, 2.5, 360), (0.5, 0.0, 0), (0.0, -0.5, 90)])
def test_taylor_description_never_fails_at_the_ends_and_edges(w1, w2,
                                                              angle):
    scene = object.__new__(F.TaylorScene)  # describe needs no figure
    text = scene.describe(w1=w1, w2=w2, angle=angle)
    assert f"ψ = {angle:g}°" in text and "-0.00" not in text


# --- the Taylor panel in the browser ----------------------------------------

def slider_values(low, high, step):
    count = round((high - low) / step)
    return [round(low + k * step, 2) for k in range(count + 1)]


def reference_numbers(points, angles):
    """Slope, curvature and λmin at each (w, ψ), by jacolib.curvature
    and torch.func (vmapped: thousands of points)."""
    w = torch.tensor(points, dtype=DTYPE)
    radians = np.deg2rad(np.asarray(angles, dtype=np.float64))
    d = torch.tensor(np.stack([np.cos(radians), np.sin(radians)], 1))
    slope, curv = vmap(lambda w_, d_: curvature.slope_and_curvature(
        F.curved_double_well, w_, d_))(w, d)
    smallest = torch.linalg.eigvalsh(vmap(hessian(F.curved_double_well))(w))
    return slope.numpy(), curv.numpy(), smallest[:, 0].numpy()


@needs_node
def test_the_browser_computes_the_taylor_models_as_jacolib_does():
    # Every angle of the slider at the corners and the centre of the
    # range of w, and at random points inside it.
    ends = [(w1, w2) for w1 in (-2.0, 0.0, 2.0) for w2 in (-1.5, 0.5, 2.5)]
    cases = [(w1, w2, angle) for w1, w2 in ends
             for angle in slider_values(0, 360, 5)]
    rng = np.random.default_rng(0)
    cases += [(rng.uniform(-2, 2), rng.uniform(-1.5, 2.5),
               rng.uniform(0, 360)) for _ in range(100)]
    steps = F.TaylorScene.steps
    results = run_js([dict(kind="taylor", w1=w1, w2=w2, angle=angle,
                           steps=steps.tolist())
                      for w1, w2, angle in cases], "taylor_grid")
    # jacolib's numbers for every case at once (vmapped: one call per
    # step of t rather than one per case and step).
    w = torch.tensor([case[:2] for case in cases], dtype=DTYPE)
    d = torch.tensor(np.array([F._direction(case[2]) for case in cases]),
                     dtype=DTYPE)

    def jacolib_numbers(w_, d_):
        models = curvature.taylor_models(F.curved_double_well, w_, d_,
                                         steps)
        slope, curv = curvature.slope_and_curvature(
            F.curved_double_well, w_, d_)
        return (F.curved_double_well(w_), slope, curv, models.true,
                models.first_order, models.second_order)

    value, slope, curv, *models = (
        t.numpy() for t in vmap(jacolib_numbers)(w, d))
    worst = 0.0
    for k, (case, ours) in enumerate(zip(cases, results)):
        expected = {"d": d[k].numpy(), "slope": slope[k],
                    "curvature": curv[k], "value": value[k],
                    "true": models[0][k], "first": models[1][k],
                    "second": models[2][k],
                    "shown": [np.clip(m[k] - value[k], -1e3, 1e3)
                              for m in models]}
        for key, theirs in expected.items():
            theirs = np.asarray(theirs, dtype=np.float64)
            error = np.max(np.abs(np.asarray(ours[key]) - theirs)
                           / np.maximum(1.0, np.abs(theirs)))
            assert error < 1e-9, (*case, key, error)
            worst = max(worst, error)
    print(f"{len(cases)} (w, ψ); largest relative error {worst:.1e}")


@needs_node
def test_the_browser_describes_the_line_in_the_scenes_words():
    # w every 0.5 across both sliders (through the valley's minima
    # (±1, 0.5)), ψ every 15°, and points on the grey region's edge,
    # where λmin is 0 up to rounding.
    cases = [(w1, w2, angle) for w1 in slider_values(-2, 2, 0.5)
             for w2 in slider_values(-1.5, 2.5, 0.5)
             for angle in slider_values(0, 360, 15)]
    cases += [(0.5, 0.0, 0), (-0.5, 0.0, 45), (0.0, -0.5, 90),
              (1.0, 1.5, 180), (0.05, -0.495, 5), (1.0, 0.5, 270)]
    slopes, curvatures, smallest = reference_numbers(
        [c[:2] for c in cases], [c[2] for c in cases])
    ours = run_js([dict(kind="describe_line", w1=w1, w2=w2, angle=angle)
                   for w1, w2, angle in cases], "taylor_words")
    expected = [F.describe_line(*case, *map(float, numbers))
                for case, numbers in zip(cases,
                                         zip(slopes, curvatures, smallest))]
    mismatches = [(case, text) for case, text, want in
                  zip(cases, ours, expected) if text != want]
    assert mismatches == []
    # Every kind of sentence is among them: either region of H, with
    # each model it allows (a tangent line where dᵀHd is 0 up to
    # rounding, where words and rounding could disagree).
    kinds = {("negative eigenvalue" in text,
              next(model for model in ("upward", "downward", "tangent")
                   if model in text)) for text in expected}
    assert kinds == {(False, "upward"), (False, "tangent"), (True, "upward"),
                     (True, "downward"), (True, "tangent")}


@needs_node
def test_the_browser_has_the_valley_and_its_grey_region():
    X, Y, smallest = F.smallest_hessian_eigenvalue_grid(
        F.curved_double_well, F.TaylorScene.xlim, F.TaylorScene.ylim)
    points = np.stack([X, Y], axis=-1).reshape(-1, 2)
    [ours] = run_js([dict(kind="valley", points=points.tolist())],
                    "valley")
    ours = np.array(ours)
    np.testing.assert_allclose(ours[:, 0], F.curved_double_well(points),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[:, 1], smallest.ravel(), atol=1e-9)


def drawn_taylor_scene():
    fig = Figure(figsize=(9.0, 3.4), dpi=100, layout="none")
    FigureCanvasAgg(fig)
    scene = F.TaylorScene(fig)
    scene.update(0.0, 0.0, 30)
    fig.canvas.draw()
    return fig, scene


@needs_node
def test_the_browser_lays_out_the_scenes_axes():
    [layout] = run_js([dict(kind="layout", panel="taylor")], "taylor_layout")
    fig, scene = drawn_taylor_scene()
    height = fig.bbox.height
    for name, ax in [("map", scene.ax_map), ("line", scene.ax_line)]:
        spec, box = layout[name], ax.get_window_extent()
        np.testing.assert_allclose(
            spec["box"], [box.x0, height - box.y1, box.x1, height - box.y0],
            atol=0.1)
        assert spec["xlim"] == pytest.approx(list(ax.get_xlim()))
        assert spec["ylim"] == pytest.approx(list(ax.get_ylim()))
        for axis, ticks in [(ax.xaxis, spec["xticks"]),
                            (ax.yaxis, spec["yticks"])]:
            low, high = sorted(axis.get_view_interval())
            shown = [(value, label.get_text()) for value, label in
                     zip(axis.get_ticklocs(), axis.get_ticklabels())
                     if low - 1e-9 <= value <= high + 1e-9]
            assert [v for v, _ in ticks] == pytest.approx(
                [v for v, _ in shown])
            assert [t for _, t in ticks] == [t for _, t in shown]
        assert spec["xlabel"] == tex_to_markup(ax.get_xlabel())
        assert spec["ylabel"] == tex_to_markup(ax.get_ylabel())
        label = ax.yaxis.label.get_window_extent()
        assert spec["ylabelX"] == pytest.approx((label.x0 + label.x1) / 2,
                                                abs=0.5)
    assert layout["map"]["title"] == scene.ax_map.get_title()


def test_the_panel_draws_the_scenes_contours_and_steps():
    _, scene = drawn_taylor_scene()
    lines = [c for c in scene.ax_map.collections
             if len(getattr(c, "levels", [])) > 2]
    [contours] = lines
    panel = F.TaylorPanel()
    np.testing.assert_array_equal(contours.levels, panel.scene["levels"])
    assert panel.scene["colors"] == [to_hex(color) for color in
                                     contours.get_edgecolor()]
    assert panel.scene["steps"] == F.TaylorScene.steps.tolist()


def test_the_taylor_panel_takes_the_sliders_values_and_refuses_others():
    panel = F.TaylorPanel(w1=-2.0, w2=2.5, angle=360)
    assert panel.values() == {"w1": -2.0, "w2": 2.5, "angle": 360.0}
    assert F.TaylorPanel().values() == {"w1": 0.0, "w2": 0.0,
                                        "angle": 30.0}
    assert panel.ranges == {"w1": [-2.0, 2.0, 0.05],
                            "w2": [-1.5, 2.5, 0.05],
                            "angle": [0.0, 360.0, 5.0]}
    for name, bad in [("w1", 2.05), ("w2", -1.6), ("angle", -5.0),
                      ("angle", float("inf"))]:
        with pytest.raises(traitlets.TraitError,
                           match=rf"{name} must be a number in \["):
            panel.set_trait(name, bad)
    with pytest.raises(TypeError, match="no control 'psi'"):
        F.TaylorPanel(psi=30)


def test_the_taylor_widget_module_is_one_file_with_its_maths():
    source = F.TaylorPanel()._esm
    for name in ("export function taylorModels(",
                 "export function describeLine(",
                 "export function makeAxes(", "export default { render }"):
        assert source.count(name) == 1, name
    assert "import " not in source
    assert "function gd(" not in source  # chapter 1's maths stays out


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
    assert len(ax.patches) == 0  # no band unless asked for


def test_sorted_spectra_shade_each_near_zero_band():
    fig, ax = new_axes()
    F.plot_sorted_spectra(ax, {"a": torch.tensor([4.0, -1.0, 0.0]),
                               "b": torch.tensor([-20.0, 1.0])},
                          rel_tol=0.1)
    bands = ax.patches
    assert len(bands) == 2
    # Each band spans ±rel_tol·max|λ| of its own spectrum, in its colour.
    for band, half_width, line in zip(bands, (0.4, 2.0), ax.get_lines()):
        low, high = band.get_y(), band.get_y() + band.get_height()
        assert (low, high) == pytest.approx((-half_width, half_width))
        assert band.get_facecolor()[:3] == pytest.approx(
            matplotlib.colors.to_rgb(line.get_color()))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a", "b"] and "near zero" in labels[2]


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



def test_edge_of_stability_plots_the_run_the_threshold_and_the_gap():
    fig = Figure()
    losses = torch.linspace(1.0, 0.5, 11)
    largest = {10: 39.0, 0: 5.0, 6: 41.0}
    sharpness = {4: 39.5, 5: 40.5, 6: 41.0, 8: 40.0, 10: 39.0}
    ax_top, ax_loss, ax_gap = F.draw_edge_of_stability(
        fig, losses, largest, sharpness, lr=0.05, first_step=4)
    dots, threshold = ax_top.get_lines()
    np.testing.assert_array_equal(dots.get_xdata(), [0, 6, 10])
    np.testing.assert_array_equal(dots.get_ydata(), [5.0, 41.0, 39.0])
    assert threshold.get_ydata()[0] == pytest.approx(40.0)
    assert "40" in threshold.get_label()
    curve, = ax_loss.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), np.arange(4, 11))
    np.testing.assert_allclose(curve.get_ydata(), losses[4:].numpy())
    dense, exact, zero = ax_gap.get_lines()
    np.testing.assert_array_equal(dense.get_xdata(), [4, 5, 6, 8, 10])
    np.testing.assert_allclose(dense.get_ydata(),
                               [-0.5, 0.5, 1.0, 0.0, -1.0])
    # Only the checkpoints from first_step on, less 2/α.
    np.testing.assert_array_equal(exact.get_xdata(), [6, 10])
    np.testing.assert_allclose(exact.get_ydata(), [1.0, -1.0])
    assert zero.get_ydata()[0] == 0.0
    assert ax_gap.get_shared_x_axes().joined(ax_gap, ax_loss)


def test_growth_draws_the_curves_and_a_visible_prediction():
    fig, ax = new_axes()
    k = np.arange(5)
    F.plot_growth(ax, {"w₁": 1.1**k}, ("$1.1^k$", 1.1**k), "t", "y")
    curve, predicted = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), 1.1**k)
    np.testing.assert_allclose(predicted.get_ydata(), 1.1**k)
    # Thinner, dotted and another colour: visible on top of the curve.
    assert predicted.get_linestyle() == ":"
    assert predicted.get_linewidth() < curve.get_linewidth()
    assert predicted.get_color() != curve.get_color()
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["w₁", "$1.1^k$"]
    fig, ax = new_axes()
    F.plot_growth(ax, {"w₁": 1.1**k}, ("p", k + 1.0), "t", "y",
                  legend_loc="upper left")
    assert ax.get_legend()._loc == 2  # matplotlib's code for upper left


def test_taylor_scene_labels_the_line_position_t():
    scene = taylor_panel().scene
    assert "$t$" in scene.ax_line.get_xlabel()
    assert "w + t" in scene.ax_line.get_ylabel()
