"""jacolib.autodiff_figures: the warp against its hand Jacobian and
torch.autograd, the panel's arrows against J v and J^T u by hand, the
panel at extreme slider values, the cost plots, and the browser's copy
of the panel's maths (jacolib/web/jvp_vjp_maths.mjs), run in node."""

import itertools
import json
import re
import shutil
import subprocess
import warnings

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import jacolib
from conftest import ROOT
from jacolib import autodiff, autodiff_costs, autodiff_figures, timing
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


def test_plot_jacobian_costs_draws_the_affine_fits_from_zero():
    fits = {"forward": timing.AffineFit(2e-3, 1e-5),
            "reverse": timing.AffineFit(1e-3, 2e-5)}
    fig = Figure()
    axes = fig.subplots(1, 2)
    autodiff_figures.plot_jacobian_costs(axes, fake_jacobian_costs(), fits)
    fit_lines = [line for line in axes[1].lines
                 if "fit" in line.get_label()]
    assert len(fit_lines) == 2 and len(axes[0].lines) == 2
    forward_fit, reverse_fit = fit_lines
    np.testing.assert_array_equal(forward_fit.get_xdata(), [0, 1000])
    # In ms: 2 + 1000 * 0.01 and 1 + 1000 * 0.02.
    np.testing.assert_allclose(forward_fit.get_ydata(), [2.0, 12.0])
    np.testing.assert_allclose(reverse_fit.get_ydata(), [1.0, 21.0])
    assert axes[1].get_xlim()[0] == 0


def test_plot_hvp_costs_one_line_per_method_in_ms():
    costs = autodiff_costs.HVPCosts(
        np.array([10, 100]),
        {"gradient": np.array([1e-3, 2e-3]), "HVP": np.array([3e-3, 5e-3])})
    fig = Figure()
    ax = autodiff_figures.plot_hvp_costs(fig.subplots(), costs)
    assert [line.get_label() for line in ax.lines] == ["gradient", "HVP"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [3.0, 5.0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_plot_hvp_costs_draws_every_method_however_many():
    names = [f"method {k}" for k in range(11)]
    costs = autodiff_costs.HVPCosts(
        np.array([10, 100]),
        {name: np.array([1e-3, 2e-3]) * (k + 1)
         for k, name in enumerate(names)})
    fig = Figure()
    ax = autodiff_figures.plot_hvp_costs(fig.subplots(), costs)
    assert [line.get_label() for line in ax.lines] == names
    # No two of the first eight share a marker.
    assert len({line.get_marker() for line in ax.lines[:8]}) == 8


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


def test_plot_hessian_costs_names_each_family_of_networks():
    fig = Figure()
    ax = autodiff_figures.plot_hessian_costs(
        fig.subplots(), fake_hessian_costs(),
        sweep=(np.array([40, 160]), np.array([3.0, 12.0])),
        family="small MLPs", sweep_family="wide MLPs")
    labels = [line.get_label() for line in ax.lines]
    assert [label.endswith("(small MLPs)") for label in labels] == \
        [False, True, True, False]
    assert labels[3].endswith("(wide MLPs)")


def test_panel_writes_the_transpose_as_on_the_page():
    scene = JvpVjpScene(Figure(layout="none"))
    scene.update(x1=0.8, x2=-0.5, v_angle=30, u_angle=120)
    texts = [scene.ax_in.get_title(), scene.duality_text.get_text(),
             *(label.get_text() for label in scene.labels)]
    assert all("J^T" not in text for text in texts)
    assert sum(r"J^\top u" in text for text in texts) == 3
    assert all(legend.get_texts()[0].get_fontsize() >= 10
               for legend in scene.legends)


def test_the_description_names_the_vectors_at_these_values():
    # J v, J^T u and f(x) from torch.autograd, not from the module.
    scene = JvpVjpScene(Figure(layout="none"))
    x = torch.tensor([0.8, -0.5], dtype=torch.float64)
    J = torch.autograd.functional.jacobian(warp, x).numpy()
    v, u = unit(30), unit(120)
    text = scene.describe(x1=0.8, x2=-0.5, v_angle=30, u_angle=120)
    z = warp(x).numpy()

    def pair(vector):
        return "({:.2f}, {:.2f})".format(*vector).replace("-", "−")

    assert f"x = {pair(x.numpy())}" in text
    assert f"f(x) = {pair(z)}" in text
    assert f"Jv = {pair(J @ v)}" in text
    assert f"Jᵀu = {pair(J.T @ u)}" in text
    assert "v at 30°" in text and "u at 120°" in text
    assert f"= {u @ J @ v:+.3f}." in text
    # The same sentence as the panel's image.
    panel = jvp_vjp_panel()
    assert panel.image.tooltip == text


def test_the_description_changes_with_every_control():
    scene = JvpVjpScene(Figure(layout="none"))
    base = dict(x1=0.8, x2=-0.5, v_angle=30, u_angle=120)
    texts = {scene.describe(**base)}
    for name, value in [("x1", -1.2), ("x2", 1.5), ("v_angle", 200),
                        ("u_angle", 355)]:
        texts.add(scene.describe(**{**base, name: value}))
    assert len(texts) == 5


@pytest.mark.parametrize("values", [
    dict(x1=-2.0, x2=-2.0, v_angle=0, u_angle=0),
    dict(x1=2.0, x2=2.0, v_angle=360, u_angle=360),
    dict(x1=0.0, x2=0.0, v_angle=0, u_angle=90),
    dict(x1=0.0, x2=0.0, v_angle=90, u_angle=0)])
def test_the_description_never_says_minus_zero_nor_fails(values):
    scene = JvpVjpScene(Figure(layout="none"))
    text = scene.describe(**values)
    assert "−0.00," not in text and "−0.00)" not in text
    # A true minus sign, which screen readers say, not a hyphen.
    assert not re.search(r"-\d", text)
    assert text.endswith(".") and len(text) > 100


def test_the_fit_lines_differ_by_more_than_colour():
    fits = {"forward": timing.AffineFit(2e-3, 1e-5),
            "reverse": timing.AffineFit(1e-3, 2e-5)}
    fig = Figure()
    axes = fig.subplots(1, 2)
    autodiff_figures.plot_jacobian_costs(axes, fake_jacobian_costs(), fits)
    forward_fit, reverse_fit = [line for line in axes[1].lines
                                if "fit" in line.get_label()]
    assert forward_fit.get_linestyle() != reverse_fit.get_linestyle()
    for ax in axes:  # the measured lines: by marker
        assert ax.lines[0].get_marker() != ax.lines[1].get_marker()


def test_plot_hvp_costs_leaves_out_the_faint_yellow_and_pairs_dashes():
    names = [f"method {k}" for k in range(9)]
    costs = autodiff_costs.HVPCosts(
        np.array([10, 100]),
        {name: np.array([1e-3, 2e-3]) for name in names})
    fig = Figure()
    ax = autodiff_figures.plot_hvp_costs(fig.subplots(), costs)
    colors = [matplotlib.colors.to_hex(line.get_color()).upper()
              for line in ax.lines]
    assert "#F0E442" not in colors
    assert len(set(colors[:7])) == 7  # the seven methods of the page
    assert colors[6] == "#000000"
    assert len({line.get_marker() for line in ax.lines[:7]}) == 7
    # Seven dash patterns too (matplotlib keeps them unscaled here).
    dashes = {str(line._unscaled_dash_pattern) for line in ax.lines[:7]}
    assert len(dashes) == 7


# --- the browser's copy: jacolib/web/jvp_vjp_maths.mjs -------------------

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None,
                                reason="needs node (make test has it)")
# A grid of the four controls, their ends and points between the
# slider's steps included.
PANEL_GRID = [dict(x1=x1, x2=x2, v_angle=v_angle, u_angle=u_angle)
              for x1, x2 in itertools.product([-2.0, -0.65, 0.0, 0.8, 2.0],
                                              [-2.0, -0.5, 0.05, 1.35, 2.0])
              for v_angle, u_angle in [(0, 360), (30, 120), (92.5, 270),
                                       (215, 5), (360, 0)]]


def js_jvp_vjp(cases):
    """Evaluate cases with tests/js/eval_jvp_vjp.mjs in node."""
    path = ROOT / "_build" / "js_jvp_vjp_cases.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(cases))
    result = subprocess.run(
        [NODE, str(ROOT / "tests" / "js" / "eval_jvp_vjp.mjs"),
         str(path)], capture_output=True, text=True, check=True,
        timeout=60)
    return json.loads(result.stdout)


@needs_node
def test_the_browser_maths_is_the_panels_to_1e_9_on_a_grid():
    results = js_jvp_vjp([dict(kind="panel", **c) for c in PANEL_GRID])
    scene = JvpVjpScene(Figure(layout="none"))
    for values, js in zip(PANEL_GRID, results):
        # The kernel panel's own computation: torch.func through warp.
        x = torch.tensor([values["x1"], values["x2"]], dtype=torch.float64)
        v = torch.as_tensor(unit(values["v_angle"]))
        u = torch.as_tensor(unit(values["u_angle"]))
        z, j_v = autodiff.jvp(warp, x, v)
        _, jt_u = autodiff.vjp(warp, x, u)
        t = np.linspace(-1.0, 1.0, 41)[:, None]
        for name, expected in [
                ("z", z), ("J", warp_jacobian(x.numpy())), ("v", v),
                ("u", u), ("jv", j_v), ("jtu", jt_u), ("uJv", u @ j_v),
                ("jtuV", jt_u @ v),
                ("line", warp(x.numpy() + t * v.numpy()))]:
            np.testing.assert_allclose(js[name], np.asarray(expected),
                                       rtol=0, atol=1e-9,
                                       err_msg=f"{name} at {values}")
        assert js["describe"] == scene.describe(**values), values


@needs_node
def test_the_browser_levels_and_numbers_are_the_panels():
    scene = JvpVjpScene(Figure(layout="none"))
    level_cases = [dict(through=through, low=low, high=high)
                   for through in (-2.3, 0.0, 0.3, 1.75)
                   for low, high in ((-6.0, 6.0), (-3.1, 2.2))]
    numbers = [-0.004, 0.004, 0.125, -0.125, -1.5, 0.0, -0.0, 2.675,
               1e-12, -123.4567]
    results = js_jvp_vjp(
        [dict(kind="levels", **c) for c in level_cases]
        + [dict(kind="number", values=numbers, digits=digits, sign=sign)
           for digits, sign in ((2, False), (3, True))])
    for case, js in zip(level_cases, results):
        expected = scene._levels(case["through"],
                                 np.array([case["low"], case["high"]]))
        np.testing.assert_allclose(js, expected, rtol=0, atol=1e-12)
    for (digits, sign), js in zip(((2, False), (3, True)),
                                  results[len(level_cases):]):
        assert js == [autodiff_figures._number(x, digits, sign)
                      for x in numbers]


# --- the browser panel: JvpVjpField ---------------------------------------

def test_the_field_bundles_the_maths_and_the_widget_in_one_module():
    field = autodiff_figures.JvpVjpField()
    esm = field._esm
    assert "export function describe(" in esm and "function render(" in esm
    assert "import {" not in esm  # one file: a static page loads one
    assert esm.rstrip().endswith("export default { render };")
    assert (field.x1, field.x2, field.v_angle, field.u_angle) == (
        0.8, -0.5, 30.0, 120.0)


def test_the_field_describes_itself_as_the_kernel_panel_does():
    field = autodiff_figures.JvpVjpField(x1=-1.2, x2=1.5, v_angle=200,
                                         u_angle=355)
    scene = JvpVjpScene(Figure(layout="none"))
    assert field.describe() == scene.describe(
        x1=-1.2, x2=1.5, v_angle=200, u_angle=355)


@pytest.mark.parametrize("name, value", [
    ("x1", 2.5), ("x2", -2.01), ("v_angle", -5), ("u_angle", 361)])
def test_the_field_refuses_values_off_its_sliders(name, value):
    import traitlets
    with pytest.raises(traitlets.TraitError, match=name):
        autodiff_figures.JvpVjpField(**{name: value})
