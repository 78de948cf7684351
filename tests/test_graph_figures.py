"""jacolib.graph_figures: the layout, the drawing and the sweep panel."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import jacolib
from jacolib import graph, graph_figures
from jacolib.widgets import LivePanel


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def baydin():
    x1, x2 = graph.Value(2.0, name="x₁"), graph.Value(5.0, name="x₂")
    return (graph.log(x1) + x1 * x2) - graph.sin(x2)


def test_layout_puts_each_node_right_of_its_parents():
    f = baydin()
    positions = graph_figures.layout(f)
    for node in graph.topological_order(f):
        for parent in node.parents:
            if parent.id in positions:
                assert positions[parent.id][0] < positions[node.id][0]
    assert positions[f.id][0] == 3  # log/mul, add, sub above the inputs


def test_arrows_start_and_end_on_the_box_borders():
    fig, ax = plt.subplots()
    picture = graph_figures.draw(baydin(), ax)
    half = np.array([picture.box_width, picture.box_height]) / 2
    for (start, end, _) in picture.arrows:
        a, b = picture._border_points(start, end)
        for point, centre in [(a, picture.positions[start]),
                              (b, picture.positions[end])]:
            offset = np.abs(point - np.array(centre))
            assert np.isclose(offset / half, 1.0).any()  # on a side
            assert np.all(offset <= half + 1e-12)
    plt.close(fig)


def test_the_sweep_panel_labels_adjoints_as_backward_computes_them():
    f = baydin()
    panel = LivePanel(graph_figures.BackwardSweepScene.of(f, "f"),
                      step=(0, 7, 1, 0))
    panel.render(step=7)
    labels = [text.get_text() for text in
              panel.scene.picture.labels.values()]
    f.backward()
    for node in graph.topological_order(f):
        if node.op != "const":
            assert any(f"ā = {node.grad:.4f}" in label for label in labels)
    assert panel.status.value == ""
    assert "step 7" in panel.scene.caption.get_text()


def test_every_step_draws_without_error():
    panel = LivePanel(graph_figures.BackwardSweepScene.of(baydin(), "f"),
                      step=(0, 7, 1, 0))
    for step in range(8):
        assert panel.render(step=step).startswith(b"\x89PNG")
    assert panel.status.value == ""
