"""jacolib.losses_figures: the browser field's Python side, the arrows,
and the matplotlib panel over every loss."""

import numpy as np
import pytest
import traitlets

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
    assert allowed == {name: loss.positive
                       for name, loss in losses.LOSSES.items()}
    assert allowed["MSE"] and not allowed["1 − CosSim"]


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


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_the_panel_draws_every_loss_both_ways(name):
    panel = LivePanel(losses_figures.LossFieldScene,
                      loss=list(losses.LOSSES), nu=(0.0, 2.0, 0.25, 1.0),
                      log=False, wrt=["x", "y"],
                      fixed_angle=(0, 360, 15, 330),
                      show=["arrows", "paths"])
    for wrt in ("x", "y"):
        for show in ("arrows", "paths"):
            for log in (False, True):
                panel.render(loss=name, wrt=wrt, show=show, log=log)
                assert panel.status.value == "", (wrt, show, log)
