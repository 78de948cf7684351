"""jacolib.pdm_figures: the figures draw labelled axes from the chapter's
results, and the live panel's scene redraws at every end of its
controls without a warning, caching each run."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import jacolib
from jacolib import datasets, pdm, pdm_costs, pdm_figures, pdm_unmixing
from jacolib.widgets import LivePanel


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()
    yield
    plt.close("all")


def panel():
    return LivePanel(pdm_figures.UnmixingScene, figsize=(9.4, 3.3),
                     n=(2, 8, 1, 4), method=["relative", "exact"],
                     lr=(0.05, 1.0, 0.05, 0.3), step=(0, 150, 25, 150),
                     frames={"step": [0, 75, 150]})


def test_the_panel_draws_every_end_of_its_controls_quietly():
    live = panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in ({"n": 2, "method": "exact", "lr": 1.0, "step": 0},
                       {"n": 8, "method": "exact", "lr": 1.0, "step": 150},
                       {"n": 8, "method": "relative", "lr": 0.05,
                        "step": 75}):
            assert live.render(**values)[:4] == b"\x89PNG"
    assert live.status.value == ""
    assert "relative gradient, n = 8" in live.scene.title.get_text()


def test_the_scene_shows_the_run_it_caches():
    live = panel()
    scene = live.scene
    run = scene.run(4, "relative", 0.3)
    assert scene.run(4, "relative", 0.3) is run  # cached
    scene.update(n=4, method="relative", lr=0.3, step=50)
    x, y = scene.amari_now.get_data()
    assert x[0] == 50 and y[0] == pytest.approx(run.amari[0, 50].item())
    K = run.K[0, 50].abs()
    np.testing.assert_allclose(scene.image.get_array(),
                               K / K.amax(-1, keepdim=True))
    assert f"{run.amari[0, 50]:.3f}" in scene.title.get_text()


def test_the_unmixing_figure_has_one_line_per_run_and_mixing():
    problem = pdm_unmixing.unmixing_problem(2, 200, (1, 10), [0, 1])
    runs = {m: pdm_unmixing.unmix(problem, m, "sgd", 0.3, steps=10)
            for m in ("exact", "relative")}
    fig, axes = plt.subplots(1, 2)
    pdm_figures.plot_unmixing(axes, runs, problem)
    assert len(axes[0].lines) == 4 and len(axes[1].lines) == 5
    assert axes[0].get_xlabel() and axes[1].get_ylabel()
    assert len(axes[1].get_legend().get_texts()) == 4
    # Not by colour alone: every line has its own style and marker.
    looks = {(line.get_linestyle(), line.get_marker())
             for line in axes[0].lines}
    assert len(looks) == 4


def test_the_panel_describes_what_it_shows_at_its_values():
    scene = panel().scene
    text = scene.describe(n=4, method="relative", lr=0.3, step=150)
    run = scene.run(4, "relative", 0.3)
    first = pdm_unmixing.steps_to(run.amari[:1])[0].item()
    assert "relative gradient at α = 0.3, at step 150" in text
    assert f"Amari distance {run.amari[0, 150]:.3f}" in text
    assert f"first below 0.05 at step {first}" in text
    assert "one bright cell" in text
    start = scene.describe(n=4, method="relative", lr=0.3, step=0)
    assert start != text and "not yet a scaled permutation" in start
    exact = scene.describe(n=3, method="exact", lr=0.05, step=75)
    assert "3 sources" in exact and "exact gradient at α = 0.05" in exact
    assert "not below 0.05 within 150 steps" in exact
    live = panel()  # the panel's image carries the text
    assert live.image.tooltip == live.scene.describe(
        n=4, method="relative", lr=0.3, step=150)


def test_the_density_grid_holds_the_flows_density():
    flows = pdm.Flow(2, 2, seed=[0, 1])
    X, Y, density = pdm_figures.density_grid(flows, lim=8.0, n=200)
    assert density.shape == (2, 200, 200)
    cell = (X[0, 1] - X[0, 0]) * (Y[1, 0] - Y[0, 0])
    np.testing.assert_allclose(density.sum((-2, -1)) * cell, 1.0,
                               atol=1e-3)


def test_the_flow_row_and_the_scalar_and_cost_figures_are_labelled():
    flows = pdm.Flow(2, 2, seed=[0, 0])
    x = datasets.two_moons(50)
    fig, axes = plt.subplots(1, 4)
    pdm_figures.plot_flow_row(axes, "moons", x,
                              pdm_figures.density_grid(flows, n=20), 0,
                              flows.sample(30)[1], flows.forward(x)[0][1])
    assert all(ax.get_title() and ax.get_xlabel() for ax in axes)
    fig, axes = plt.subplots(1, 2)
    w = torch.linspace(0.1, 2, 20)
    pdm_figures.plot_scalar(axes, w, {"a": w, "b": -w},
                            {"a": torch.ones(5, 3), "b": torch.ones(5, 3)})
    assert all(ax.get_legend() is not None for ax in axes)
    fig, axes = plt.subplots(1, 2)
    dims = [8, 16, 32]
    sweeps = {N: pdm_costs.cost_sweep(dims, N, ("relative",
                                                "exact, inverse"),
                                      repeats=1) for N in (1, 10)}
    pdm_figures.plot_costs(axes, dims, sweeps)
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert all("slope" in label for label in labels)
    assert axes[1].get_title() == "one gradient step, batch N = 10"
