"""jacolib.alignment_figures: what the heat map marks, the panel at its
extremes, and the page's figures."""

import math

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import jacolib
from jacolib import alignment, alignment_figures
from jacolib.widgets import LivePanel

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def a_matrix():
    matrix = torch.full((4, 4), math.nan)
    matrix[0, 1:] = torch.tensor([0.5, -0.2, 0.1])
    matrix[1, 2:] = torch.tensor([-0.7, 0.3])
    matrix[2, 3] = 0.9
    return matrix


def test_the_heat_map_crosses_exactly_the_negative_pairs():
    fig = Figure()
    ax = fig.subplots()
    image = alignment_figures.draw_heat_map(ax, a_matrix())
    np.testing.assert_array_equal(np.asarray(image.get_array().filled(
        np.nan)), a_matrix().numpy())
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(crosses) == 1
    marked = sorted(zip(crosses[0].get_ydata(), crosses[0].get_xdata()))
    assert marked == [(1, 3), (2, 3)]  # (l, m) from 1: S[1,3], S[2,3]


def test_the_distance_curve_draws_the_mean_and_the_claim():
    fig = Figure()
    ax = fig.subplots()
    alignment_figures.draw_distance_curve(ax, a_matrix())
    mean_line = next(line for line in ax.lines if line.get_marker() == "o")
    np.testing.assert_allclose(mean_line.get_ydata(),
                               [(0.5 - 0.7 + 0.9) / 3, (-0.2 + 0.3) / 2,
                                0.1])
    stars = next(line for line in ax.lines if line.get_marker() == "*")
    assert list(stars.get_xdata()) == list(alignment_figures.CLAIM)


@pytest.mark.parametrize("depth", [2, 3, 7, 20, 24])
def test_layer_ticks_lie_within_the_network(depth):
    ticks = alignment_figures._layer_ticks(depth)
    assert ticks[0] == 1 and len(ticks) <= 6
    assert all(1 <= tick <= depth for tick in ticks)
    assert ticks == sorted(set(ticks))


def panel():
    return LivePanel(alignment_figures.AlignmentScene, figsize=(9.0, 3.6),
                     depth=(2, 24, 1, 20), width=(8, 64, 8, 32),
                     activation=list(alignment.ACTIVATIONS),
                     init_scale=(0.25, 2.0, 0.25, 1.0),
                     targets=list(alignment.TARGET_KINDS),
                     seed=(0, 9, 1, 0))


@pytest.mark.parametrize("activation", list(alignment.ACTIVATIONS))
@pytest.mark.parametrize("targets", list(alignment.TARGET_KINDS))
def test_the_panel_draws_every_activation_and_target(activation, targets):
    live = panel()
    for depth, width, scale in [(2, 8, 0.25), (24, 64, 2.0), (20, 32, 1)]:
        png = live.render(depth=depth, width=width, activation=activation,
                          init_scale=scale, targets=targets)
        assert live.status.value == "", (depth, width, scale)
        assert png.startswith(b"\x89PNG")


def test_the_panel_title_counts_the_positive_pairs():
    live = panel()
    live.render(depth=5, activation="tanh", init_scale=2.0, seed=3)
    problem = alignment.random_problem(5, 32, 32, "tanh", 2.0,
                                       "random points", seeds=[3])
    matrix = alignment.alignment_matrix(*problem).matrix[0]
    positive = int((matrix > 0).sum())
    assert live.scene.map_title.get_text() == \
        f"tanh, ω = 2: {positive} of 10 positive"
    crosses = live.scene.crosses.get_xdata()
    assert len(crosses) == int((matrix < 0).sum())


def test_the_description_names_the_values_and_counts_the_pairs():
    live = panel()
    text = live.describe(depth=6, activation="relu", init_scale=0.5,
                         targets="teacher", seed=2)
    problem = alignment.random_problem(6, 32, 32, "relu", 0.5, "teacher",
                                       seeds=[2])
    matrix = alignment.alignment_matrix(*problem).matrix[0]
    mean = alignment.by_distance(matrix)[0]
    for words in ["relu network of 6 layers", "width 32", "ω = 0.5",
                  "teacher targets", "seed 2",
                  f"{int((matrix > 0).sum())} of 15 pairs positive",
                  f"{mean[0]:.2f} at distance 1",
                  f"{mean[-1]:.2f} at distance 5"]:
        assert words in text, words
    assert live.describe(depth=6, activation="relu", init_scale=1.5,
                         targets="teacher", seed=2) != text
    # The image's text follows the controls, frame by frame.
    live.controls["init_scale"].value = 1.25
    assert "ω = 1.25" in live.image.tooltip


def test_the_description_never_fails_at_the_extremes():
    live = panel()
    for depth, width, scale in [(2, 8, 0.25), (24, 64, 2.0)]:
        for activation in alignment.ACTIVATIONS:
            text = live.describe(depth=depth, width=width,
                                 activation=activation, init_scale=scale)
            assert f"of {depth * (depth - 1) // 2} pairs" in text


def test_the_colour_bar_names_its_ends():
    fig = Figure()
    ax = fig.subplots()
    alignment_figures.draw_heat_map(ax, a_matrix())
    bar_axes = [a for a in fig.axes if a is not ax][0]
    labels = [t.get_text() for t in bar_axes.get_yticklabels()]
    assert labels == ["−1 opposed", "0", "+1 aligned"]


def test_the_page_figures_draw_their_lines():
    problem = alignment.random_problem(6, 8, seeds=range(3))
    matrices = alignment.alignment_matrix(*problem).matrix
    fig = Figure()
    ax_curves, ax_sweep, ax_left, ax_right, ax_loss, ax_rate = \
        fig.subplots(1, 6)
    alignment_figures.distance_curves(ax_curves, matrices, "t")
    assert len(ax_curves.lines) == 3 + 1 + 2  # seeds, mean, 0, claim
    alignment_figures.sweep_curves(ax_sweep, [matrices, matrices],
                                   ["a", "b"], "t")
    assert len(ax_sweep.get_legend().get_texts()) == 3  # a, b, the claim
    values = np.linspace(0, 1, 5)
    alignment_figures.two_layer_scatter(
        (ax_left, ax_right), values, values + 1, values,
        (values + 1, values, values))
    assert len(ax_right.lines) == 3
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "Gaussian $W_2$", "$W_2 = \\omega_2 U$", "equal"]
    losses = {"global": torch.tensor([[[3.0, 2.0]], [[math.nan] * 2]]),
              "local": torch.tensor([[[3.0, 2.5]], [[3.0, 1.5]]])}
    alignment_figures.training_curves((ax_loss, ax_rate), [0.1, 1.0],
                                      losses, shared_index=0)
    points = [line for line in ax_rate.lines]
    assert [len(line.get_xdata()) for line in points] == [1, 2]
    # The rules differ by marker and dash, not by colour alone.
    assert points[0].get_marker() != points[1].get_marker()
    assert points[0].get_linestyle() != points[1].get_linestyle()
