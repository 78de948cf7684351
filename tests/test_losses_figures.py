"""jacolib.losses_figures: the browser field's Python side, the arrows,
and the matplotlib panel over every loss."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import traitlets
from matplotlib.figure import Figure

import jacolib
from jacolib import losses, losses_figures
from jacolib.widgets import LivePanel


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def test_the_widget_module_holds_the_losses_and_the_widget_in_one_file():
    source = losses_figures.LossField()._esm
    assert "export function fieldAt" in source
    assert "export default { render }" in source
    assert "import " not in source  # no file to import on a static page


def test_the_widget_knows_which_losses_allow_a_log():
    allowed = losses_figures.LossField().log_allowed
    assert allowed == {name: loss.allows_log
                       for name, loss in losses.LOSSES.items()}
    # 1 − CosSim is 0 on a ray only, like (1 − DotSim)² on a line.
    assert allowed["MSE"] and allowed["1 − CosSim"]
    assert allowed["(1 − DotSim)²"] and not allowed["1 − DotSim"]
    assert not allowed["perceptron"]


@pytest.mark.parametrize("trait, value, message", [
    ("loss", "hinge", r"loss must be one of \['MSE'"),
    ("nu", 2.5, r"nu must lie in \[0, 2\]; got 2.5"),
    ("wrt", "z", r"wrt must be 'x' or 'y'; got 'z'"),
])
def test_bad_settings_are_refused(trait, value, message):
    with pytest.raises(traitlets.TraitError, match=message):
        losses_figures.LossField(**{trait: value})


def test_arrows_keep_their_direction_and_stay_within_a_cell():
    rng = np.random.default_rng(0)
    field = rng.normal(size=(25, 25, 2)) * np.exp(rng.normal(size=(25, 25,
                                                                  1)) * 3)
    field[0, 0] = np.nan  # undefined there: no arrow
    arrows = losses_figures.arrow_lengths(field, spacing=0.16)
    lengths = np.linalg.norm(arrows, axis=-1)
    assert np.all(lengths <= 0.8 * 0.16 + 1e-15)
    assert lengths[0, 0] == 0
    cosines = (arrows * field).sum(-1)[1:] / (
        lengths[1:] * np.linalg.norm(field[1:], axis=-1))
    np.testing.assert_allclose(cosines, 1.0, rtol=1e-12)


def test_the_grid_avoids_the_origin():
    points = losses_figures.grid_points()
    assert points.shape == (25, 25, 2)
    assert np.min(np.linalg.norm(points, axis=-1)) > 0.01


def panel(**defaults):
    options = {"loss": list(losses.LOSSES), "wrt": ["x", "y"],
               "show": ["arrows", "paths"]}
    for name, value in defaults.items():  # that option first: default
        options[name] = [value] + [o for o in options[name] if o != value]
    return LivePanel(losses_figures.LossFieldScene,
                     nu=(0.0, 2.0, 0.25, 1.0), log=False,
                     fixed_angle=(0, 360, 15, 330), **options)


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_the_panel_draws_every_loss_both_ways(name):
    live = panel()
    for wrt in ("x", "y"):
        for show in ("arrows", "paths"):
            for log in (False, True):
                live.render(loss=name, wrt=wrt, show=show, log=log)
                assert live.status.value == "", (wrt, show, log)


def undefined_points(scene):
    """The count of grid points the scene's note says have no arrow
    because the log is undefined there (0 if it says nothing)."""
    note = scene.note.get_text()
    return int(note.split("no arrow at ")[1].split()[0]) \
        if "no arrow at " in note else 0  # "... at 5 points:"


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_the_scene_draws_every_loss_at_every_angle(name):
    # At 45° and 225° grid points lie on the ray of the fixed point,
    # where 1 − CosSim and the GenSim loss at ν = 1 are 0: the log field
    # has no arrow there, and is drawn everywhere else.
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    nus = (0.0, 0.5, 1.0, 1.5, 2.0) if losses.LOSSES[name].uses_nu \
        else (1.0,)
    for nu in nus:
        for angle in range(0, 360, 15):
            for wrt in ("x", "y"):
                scene.update(name, nu, True, wrt, angle, "arrows")
                assert np.isfinite(scene.arrows.U).all()
                assert np.isfinite(scene.arrows.V).all()
                assert undefined_points(scene) <= 25, (nu, angle, wrt)


def test_the_scene_skips_only_the_points_where_the_log_is_undefined():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    scene.update("GenSim_ν", 1.0, True, "x", 45, "arrows")
    undefined = undefined_points(scene)
    assert 1 <= undefined <= 25  # the diagonal of the grid, at most
    arrows = np.hypot(scene.arrows.U, scene.arrows.V)
    assert (arrows == 0).sum() == undefined
    scene.update("GenSim_ν", 1.0, True, "x", 45, "paths")
    assert len(scene.paths.get_segments()) > 10


def test_the_title_says_log_only_when_a_log_is_drawn():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    scene.update("1 − CosSim", 1.0, True, "x", 330, "arrows")
    assert "log (1 − CosSim)" in scene.title.get_text()
    scene.update("perceptron", 1.0, True, "x", 330, "arrows")
    assert "log" not in scene.title.get_text()
    assert "log ℓ is undefined for\nthis loss" in scene.note.get_text()
    scene.update("sign mismatch", 1.0, False, "y", 330, "arrows")
    assert "−∇ = 0 everywhere" in scene.note.get_text()
    scene.update("GenSim_ν", 1.25, False, "x", 330, "arrows")
    assert r"$\mathrm{GenSim}_\nu$" in scene.title.get_text()
    assert "ν = 1.25" in scene.title.get_text()
    assert "_ν" not in scene.title.get_text().replace("}_\\nu", "")


def test_the_scene_describes_its_figure_in_a_sentence():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    text = scene.describe("perceptron", 1.0, True, "y", 45, "paths")
    assert text.startswith(
        "Paths of 48 particles, 40 steps of α = 0.05, following the "
        "negative gradient of the perceptron loss over the target y, from "
        "−2 to 2 in each coordinate, with the prediction x at angle 45°, "
        "(0.71, 0.71).")
    assert "log is undefined for this loss" in text
    assert "log (1 − CosSim)" in scene.describe("1 − CosSim", 1.0, True,
                                                "x", 0, "arrows")


def test_the_description_follows_the_values():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    describe = scene.describe
    # The fixed point's coordinates, with a minus sign and no −0.00.
    assert "at angle 270°, (0.00, −1.00)" in describe(
        "MSE", 1.0, False, "x", 270, "arrows")
    # −∇ MSE = 2(y − x): the median of 2‖y − x‖ over the grid, as the
    # plot's note prints it; another target, another median.
    points = losses_figures.grid_points()
    for angle, target in ((0, [1.0, 0.0]), (180, [-1.0, 0.0])):
        expected = np.median(2 * np.linalg.norm(points - target, axis=-1))
        assert (f"median size of the gradient over the grid is "
                f"{expected:.3g}.") in describe("MSE", 1.0, False, "x",
                                                angle, "arrows")
    # ν is named only for the loss that uses it, and changes the text.
    at = [describe("GenSim_ν", nu, False, "x", 330, "arrows")
          for nu in (0.5, 1.5)]
    assert "(ν = 0.50)" in at[0] and "(ν = 1.50)" in at[1]
    assert at[0].split(". ")[1] != at[1].split(". ")[1]  # the median
    assert "ν" not in describe("SumSim", 1.5, False, "x", 330, "arrows")
    # Missing arrows and a zero field are said, not left to the eye.
    assert "no arrow at 5 points, where ℓ = 0" in describe(
        "GenSim_ν", 1.0, True, "x", 45, "arrows")
    assert "zero everywhere: nothing moves" in describe(
        "sign mismatch", 1.0, False, "y", 330, "paths")


def test_the_description_reuses_the_update_and_never_raises():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    values = dict(loss="SumSim", nu=1.0, log=True, wrt="y",
                  fixed_angle=120, show="arrows")
    fresh = scene.describe(**values)  # computed: no update yet
    scene.update(**values)
    assert scene.describe(**values) == fresh  # from the update's field
    assert "median size" in fresh
    assert "could not be drawn" in scene.describe(
        "hinge", 1.0, False, "x", 0, "arrows")
    # The panel stores it as each frame's text alternative.
    live = panel()
    assert live.image.tooltip == scene.describe(**{
        **values, "loss": "MSE", "log": False, "wrt": "x",
        "fixed_angle": 330})


def test_the_note_gives_the_median_size_that_scales_the_arrows():
    scene = losses_figures.LossFieldScene(Figure(layout="none"))
    scene.update("MSE", 1.0, False, "x", 0, "arrows")
    # −∇ MSE = 2(y − x): the median of 2‖y − x‖ over the grid.
    points = losses_figures.grid_points()
    expected = np.median(2 * np.linalg.norm(points - [1.0, 0.0], axis=-1))
    assert f"median ‖∇‖ = {expected:.3g}" in scene.note.get_text()


def test_switching_wrt_leaves_no_old_label_behind():
    # A panel that showed wrt = x then wrt = y draws exactly what a
    # panel that showed wrt = y from the start draws: nothing of the
    # first drawing stays in the cached background.
    switched = panel()
    switched.render(wrt="y")
    fresh = panel(wrt="y")
    assert switched.render(wrt="y") == fresh.render(wrt="y")
    assert switched.render(wrt="x") != fresh.render(wrt="y")


def test_field_size_is_the_median_of_the_finite_nonzero_sizes():
    field = np.array([[3.0, 4.0], [0.0, 0.0], [np.nan, 1.0], [1.0, 0.0],
                      [0.0, 2.0]])
    assert losses_figures.field_size(field) == 2.0
    assert losses_figures.field_size(np.zeros((3, 2))) == 1.0


def test_loss_labels_put_a_log_around_the_whole_name():
    label = losses_figures.loss_label
    assert label("MSE", log=True) == "log MSE"
    assert label("1 − CosSim + MSE", log=True) == "log (1 − CosSim + MSE)"
    assert label("GenSim_ν", math=True) == r"$\mathrm{GenSim}_\nu$ loss"


def test_plot_field_returns_the_scale_of_its_arrows():
    fig, ax = plt.subplots()
    target = torch.tensor([0.8, -0.6])
    scale = losses_figures.plot_field(ax, losses.loss_fn("1 − DotSim"),
                                      target)
    assert scale == pytest.approx(1 / float(target.norm()))  # ‖y‖/‖y‖²
    assert ax.get_legend_handles_labels()[1] == ["target y"]
    plt.close(fig)


def test_prediction_paths_show_starts_ends_and_targets():
    fig, ax = plt.subplots()
    predictions = np.random.default_rng(0).normal(size=(4, 6, 2))
    losses_figures.plot_prediction_paths(ax, predictions, predictions[-1])
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["predictions, start", "predictions, end", "targets"]
    assert len(ax.collections[0].get_segments()) == 6
    plt.close(fig)
