"""jacolib.distortion_figures: the activation derivatives against
autograd, the figures' styles, and the live panel (its seeds, its
words, no warnings at any control value)."""

import itertools
import warnings

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import jacolib  # noqa: E402
from jacolib import distortion_figures as F  # noqa: E402


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()
    yield
    plt.close("all")


def test_activation_derivatives_match_autograd_one_point_at_a_time():
    r = torch.linspace(-3, 3, 13, dtype=torch.float64)
    slopes = F.activation_derivatives(r, width=0.5)
    for name, fn in [("GELU", torch.nn.functional.gelu),
                     ("tanh", torch.tanh), ("sin", torch.sin)]:
        expected = torch.stack([torch.func.grad(fn)(point) for point in r])
        torch.testing.assert_close(slopes[name], expected)
    # a central difference of ReLU at half-width 0.5, at r = 0.25
    middle = (torch.relu(torch.tensor(0.75)) - torch.relu(
        torch.tensor(-0.25))) / 1.0
    assert float(F.activation_derivatives(torch.tensor([0.25]))[
        "ReLU, difference h = 0.5"]) == pytest.approx(float(middle))


def test_every_target_has_its_own_dash_and_marker():
    styles = F.TARGET_STYLES.values()
    assert len({s["ls"] for s in styles}) == len(F.TARGET_STYLES)
    assert len({s["marker"] for s in styles}) == len(F.TARGET_STYLES)


def test_plot_sweep_draws_the_means_and_the_baseline():
    fig, ax = plt.subplots()
    accuracy = {"delta": torch.tensor([[0.8, 0.9], [0.5, 0.6]])}
    F.plot_sweep(ax, (0.0, 0.5), accuracy, "q",
                 baseline=torch.tensor([0.6, 0.7]))
    mean_line = ax.get_lines()[0]
    assert list(mean_line.get_ydata()) == pytest.approx([0.85, 0.55])
    labels = ax.get_legend_handles_labels()[1]
    assert any("readout only" in label for label in labels)


def panel_scene():
    # as LivePanel makes it: no layout engine under a scene
    fig = plt.figure(figsize=(7.2, 5.0), layout="none")
    return F.RestorationScene(fig)


def test_the_start_of_J_hat_is_not_a_multiple_of_W():
    scene = panel_scene()
    W, runs = scene.runs(3, 2, 1)
    start = runs["mse", 1.0].estimates[0]
    ratio = start / W
    assert not torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio))
    # and its held-out loss at the start is far from 0
    assert runs["mse", 1.0].held_out_losses[0] > 0.1


def test_describe_names_the_values_and_changes_with_them():
    scene = panel_scene()
    values = dict(n_in=3, n_out=2, dim_sample=1, loss="cosine",
                  initial_messup=10.0, epoch=4)
    scene.update(**values)
    text = scene.describe(**values)
    assert "2 x 3 matrix W" in text and "cosine loss" in text
    assert "10 times" in text and "1 probe directions" in text
    other = scene.describe(**{**values, "loss": "mse", "epoch": 0})
    assert "mse loss" in other and "at step 0 of" in other
    assert other != text


def test_no_warning_at_any_end_of_the_controls():
    scene = panel_scene()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n_in, n_out, loss, messup, epoch in itertools.product(
                (2, 3), (2,), ("mse", "cosine", "mix"), (0.1, 1.0, 10.0),
                (0, 4)):
            scene.update(n_in=n_in, n_out=n_out, dim_sample=1, loss=loss,
                         initial_messup=messup, epoch=epoch)
            scene.fig.canvas.draw()
            scene.describe(n_in=n_in, n_out=n_out, dim_sample=1,
                           loss=loss, initial_messup=messup, epoch=epoch)


def test_a_change_of_loss_start_or_epoch_computes_nothing():
    scene = panel_scene()
    scene.update(n_in=3, n_out=2, dim_sample=2, loss="mse",
                 initial_messup=1.0, epoch=0)
    cached = dict(scene._runs)
    scene.update(n_in=3, n_out=2, dim_sample=2, loss="cosine",
                 initial_messup=10.0, epoch=3)
    assert scene._runs.keys() == cached.keys()
