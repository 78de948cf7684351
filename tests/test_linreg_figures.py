"""jacolib.linreg_figures: chapter 1's panel in the browser
(``LearningRatePanel``; its maths, jacolib/web/gd_quadratic.mjs, run in
node against jacolib.linreg on every slider position) and what it
shares with the kernel's ``LearningRateScene``: numbers, words, layout
and colours."""

import numpy as np
import pytest
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import jacolib
from jacolib import linreg, linreg_figures as F
from panel_maths import needs_node, run_js, tex_to_markup

SCENE = F.LearningRateScene
# Every position of the two sliders, as the browser's range inputs give
# them (0.05, 0.1, ..., 2.5 and 1, 2, ..., 50).
SLIDER_RATES = [round(0.05 * k, 2) for k in range(1, 51)]
SLIDER_KAPPAS = [float(k) for k in range(1, 51)]
# Values between the slider's steps, and κ near 1 (distinct eigenvalues
# again, so another eigenbasis than κ = 1's).
OFF_GRID = [(0.123, 7.3), (2.4999, 1.5), (0.05, 1.0001), (1.0, 1.0),
            (2.0, 10.0), (1.999, 49.5)]


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def python_run(lr, kappa):
    """What LearningRateScene draws at (α, κ), from jacolib.linreg."""
    objective = linreg.conditioned_quadratic(kappa)
    with np.errstate(over="ignore", invalid="ignore"):
        path = linreg.gd(objective, SCENE.w0, lr, SCENE.n_steps)
        errors = np.clip(linreg.per_axis_errors(objective, path),
                         1e-300, 1e300)
    inside = np.all(np.abs(path) < 1e3, axis=1)
    shown = path if inside.all() else path[:int(np.argmin(inside)) + 1]
    alphas = np.linspace(0.0, 2.6, 200)
    return dict(A=objective.A, b=objective.b, c=objective.c,
                minimum=objective.minimizer(), path=path, shown=shown,
                errors=errors, factors=[np.abs(1 - alphas / kappa),
                                        np.abs(1 - alphas)])


def js_runs(pairs, name):
    return run_js([dict(kind="gd_run", lr=lr, kappa=kappa,
                        w0=SCENE.w0.tolist(), n_steps=SCENE.n_steps)
                   for lr, kappa in pairs], name)


def relative_error(ours, theirs):
    """max |ours − theirs| / max(1, |theirs|) where theirs is finite;
    NaN and ±inf must be in the same places."""
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert ours.shape == theirs.shape
    both = np.isfinite(theirs)
    assert np.array_equal(ours[~both], theirs[~both], equal_nan=True)
    if not both.any():
        return 0.0
    return float(np.max(np.abs(ours[both] - theirs[both])
                        / np.maximum(1.0, np.abs(theirs[both]))))


@needs_node
def test_the_browser_runs_gradient_descent_as_jacolib_does():
    kappas = [1.0, 2.0, 3.0, 5.0, 10.0, 25.0, 49.0, 50.0]
    pairs = [(lr, kappa) for lr in SLIDER_RATES for kappa in kappas]
    pairs += OFF_GRID
    worst = 0.0
    for (lr, kappa), ours in zip(pairs, js_runs(pairs, "gd_grid")):
        theirs = python_run(lr, kappa)
        for key in ("A", "b", "c", "minimum", "path", "shown", "errors",
                    "factors"):
            error = relative_error(ours[key], theirs[key])
            assert error < 1e-9, (lr, kappa, key, error)
            worst = max(worst, error)
    print(f"{len(pairs)} (α, κ); largest relative error {worst:.1e}")
    # The grid holds what the figure must survive: divergence far out
    # of view at α = 2.5, the oscillation at α = 2, an axis solved in one
    # step at α = 1 (error 0 on a log axis), and κ = 1.
    assert any(len(python_run(lr, k)["shown"]) < SCENE.n_steps + 1
               for lr, k in pairs)


@needs_node
def test_an_overflowing_run_is_cut_where_python_cuts_it():
    # Far beyond the slider: the iterates overflow to inf, then NaN.
    pairs = [(1e150, 10.0), (1e300, 50.0), (5.0, 1.0)]
    for (lr, kappa), ours in zip(pairs, js_runs(pairs, "gd_overflow")):
        theirs = python_run(lr, kappa)
        assert not np.isfinite(theirs["path"]).all() or lr == 5.0
        assert relative_error(ours["path"], theirs["path"]) < 1e-9
        np.testing.assert_allclose(ours["shown"], theirs["shown"],
                                   rtol=1e-9)
        # What is drawn: finite points, the last one past |w| = 1e3.
        assert np.isfinite(ours["shown"][:-1]).all()
        assert relative_error(ours["errors"], theirs["errors"]) < 1e-9


@needs_node
def test_the_browser_contours_the_same_loss():
    xs, ys = np.linspace(*SCENE.xlim, 50), np.linspace(*SCENE.ylim, 50)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    cases = [dict(kind="gd_values", kappa=kappa, points=points.tolist())
             for kappa in (1.0, 10.0, 50.0)]
    for case, ours in zip(cases, run_js(cases, "gd_values")):
        theirs = linreg.conditioned_quadratic(case["kappa"]).value(points)
        assert relative_error(ours, theirs) < 1e-9


@needs_node
def test_the_browser_describes_the_figure_in_the_scenes_words():
    pairs = [(lr, kappa) for lr in SLIDER_RATES for kappa in SLIDER_KAPPAS]
    pairs += OFF_GRID + [(0.875, 1.0), (1.125, 1.0)]  # ρ = 0.125: a tie
    cases = [dict(kind="describe_run", lr=lr, kappa=kappa)
             for lr, kappa in pairs]
    describe = SCENE.describe.__get__(object.__new__(SCENE))
    mismatches = [(pair, ours) for pair, ours in
                  zip(pairs, run_js(cases, "gd_words"))
                  if ours != describe(*pair)]
    assert mismatches == []
    assert "factor of 0.12 per step" in describe(0.875, 1.0)


@needs_node
def test_numbers_are_printed_as_python_prints_them():
    values = [0.125, 0.375, -0.125, 2.675, 1.005, 0.0, -0.0, -1e-17,
              1e-17, 0.5, 1.5, 2.5, 123.456, 0.045, 1 / 3, 7.0, 0.005]
    cases = [dict(kind="fixed", values=values, digits=d) for d in (0, 2)]
    cases.append(dict(kind="g", values=[1.0, 10.0, 2.5, 12.345678, 50.0,
                                        1e-5, 1e6, 123456789.0, 1e-4,
                                        0.1, 330.0, -2.5]))
    cases.append(dict(kind="linspace", start=-1.5, stop=1.5, n=3001))
    *fixed, g, spaced = run_js(cases, "formats")
    for case, ours in zip(cases, fixed):
        assert ours == [f"{v:.{case['digits']}f}" for v in values]
    assert g == [f"{v:g}" for v in cases[2]["values"]]
    assert spaced == np.linspace(-1.5, 1.5, 3001).tolist()


# --- the same look as the scene -----------------------------------------

def drawn_scene(lr=1.5, kappa=10.0):
    fig = Figure(figsize=(7.8, 3.4), dpi=100, layout="none")
    FigureCanvasAgg(fig)
    scene = SCENE(fig)
    scene.update(lr, kappa)
    fig.canvas.draw()
    return fig, scene


@needs_node
def test_the_browser_lays_out_the_scenes_axes():
    [layout] = run_js([dict(kind="layout", panel="gd")], "gd_layout")
    fig, scene = drawn_scene()
    height = fig.bbox.height
    for name, ax in [("path", scene.ax_path), ("errors", scene.ax_err),
                     ("rates", scene.ax_rate)]:
        spec, box = layout[name], ax.get_window_extent()
        np.testing.assert_allclose(
            spec["box"], [box.x0, height - box.y1, box.x1, height - box.y0],
            atol=0.1)
        assert spec["xlim"] == list(ax.get_xlim())
        assert spec["ylim"] == pytest.approx(list(ax.get_ylim()))
        for axis, ticks in [(ax.xaxis, spec["xticks"]),
                            (ax.yaxis, spec["yticks"])]:
            low, high = sorted(axis.get_view_interval())
            shown = [(value, tex_to_markup(label.get_text()))
                     for value, label in zip(axis.get_ticklocs(),
                                             axis.get_ticklabels())
                     if low <= value <= high]
            assert [v for v, _ in ticks] == pytest.approx(
                [v for v, _ in shown])
            assert [t for _, t in ticks] == [t for _, t in shown]
        assert spec["xlabel"] == tex_to_markup(ax.get_xlabel())
        assert spec["ylabel"] == tex_to_markup(ax.get_ylabel())
        label = ax.yaxis.label.get_window_extent()
        assert spec["ylabelX"] == pytest.approx((label.x0 + label.x1) / 2,
                                                abs=0.5)
    assert layout["errors"]["title"] == scene.ax_err.get_title()
    assert layout["rates"]["title"] == scene.ax_rate.get_title()


def test_the_panel_colours_its_contours_as_the_scene_does():
    _, scene = drawn_scene()
    np.testing.assert_array_equal(scene.contours.levels,
                                  F.LearningRatePanel().scene["levels"])
    assert F.LearningRatePanel().scene["colors"] == [
        to_hex(color) for color in scene.contours.get_edgecolor()]


def test_the_panel_runs_the_scenes_gradient_descent():
    panel = F.LearningRatePanel()
    assert panel.scene["w0"] == SCENE.w0.tolist()
    assert panel.scene["n_steps"] == SCENE.n_steps


# --- the widget's controls ----------------------------------------------

def test_the_panel_starts_at_the_chapters_values_and_takes_new_ones():
    panel = F.LearningRatePanel(learning_rate=0.5, condition_number=50)
    assert panel.values() == {"learning_rate": 0.5,
                              "condition_number": 50.0}
    assert F.LearningRatePanel().values() == {"learning_rate": 1.5,
                                              "condition_number": 10.0}
    panel.learning_rate = 2.5  # the slider's end
    assert panel.learning_rate == 2.5
    assert panel.ranges == {"learning_rate": [0.05, 2.5, 0.05],
                            "condition_number": [1.0, 50.0, 1.0]}


@pytest.mark.parametrize("values, message", [
    ({"learning_rate": 3.0}, r"learning_rate must be a number in "
                             r"\[0.05, 2.5\] \(its slider's range\); "
                             r"got 3.0"),
    ({"learning_rate": 0.0}, r"learning_rate must be .* got 0.0"),
    ({"condition_number": 0.5}, r"condition_number must be a number in "
                                r"\[1, 50\]"),
    ({"condition_number": float("nan")}, r"condition_number .* got nan"),
])
def test_bad_values_are_refused_with_the_range(values, message):
    with pytest.raises(traitlets.TraitError, match=message):
        F.LearningRatePanel(**values)
    panel = F.LearningRatePanel()
    with pytest.raises(traitlets.TraitError, match=message):
        panel.set_trait(*next(iter(values.items())))


def test_unknown_controls_and_new_ranges_are_refused():
    with pytest.raises(TypeError, match=r"no control 'lr'; its controls "
                                        r"are \['condition_number'"):
        F.LearningRatePanel(lr=1.0)
    with pytest.raises(traitlets.TraitError, match="ranges are fixed"):
        F.LearningRatePanel().ranges = {"learning_rate": [0, 9, 1]}


def test_the_widget_module_is_one_file_with_its_maths():
    source = F.LearningRatePanel()._esm
    for name in ("export function gd(", "export function perAxisErrors(",
                 "export function describeRun(", "export function pyFixed(",
                 "export function makeAxes(", "export default { render }"):
        assert source.count(name) == 1, name
    assert "import " not in source  # no file to import on a static page
