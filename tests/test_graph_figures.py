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


def sweep_panel():
    f = baydin()
    return f, LivePanel(graph_figures.BackwardSweepScene.of(f, "f"),
                        step=(0, 7, 1, 0), frames={"step": list(range(8))})


def test_each_frame_describes_its_step():
    _, panel = sweep_panel()
    texts = [image.tooltip for image in panel.frames.children]
    assert len(set(texts)) == 8
    assert "step 0 of 7" in texts[0] and "seed ā" in texts[0]
    for step, text in enumerate(texts[1:], start=1):
        assert f"step {step} of 7 of the reverse sweep" in text


def test_the_description_gives_the_adjoints_backward_computes():
    f, panel = sweep_panel()
    describe = panel.scene.describe
    names = panel.scene.picture.names
    text = describe(step=7)
    f.backward()  # independent of the sweep's recorded steps
    for node in graph.topological_order(f):
        if node.op != "const":
            adjoint = f"{node.grad:.4f}".replace("-", "−")
            name = names[node.id].replace("a", "ā", 1)
            assert f"{name} = {adjoint}" in text
    # Step 1 processes the output, a subtraction: it names both inputs.
    first = describe(step=1)
    output = names[f.id]
    inputs = [names[p.id] for p in f.parents]
    assert f"{output} = {inputs[0]} − {inputs[1]} sends its adjoint " \
           f"back to {inputs[0]}, {inputs[1]}" in first
    assert first.endswith(f"final at {output}.")


def test_the_description_takes_any_step():
    _, panel = sweep_panel()
    describe = panel.scene.describe
    assert describe(step=-5) == describe(step=0)
    assert describe(step=99) == describe(step=7)
    assert describe(step=3.0) == describe(step=3)


def test_a_signed_matrix_has_a_colour_bar_with_labelled_ends():
    fig, ax = plt.subplots()
    graph_figures.draw_matrix(ax, np.array([[1.5, -0.5], [0.0, -1.0]]),
                              "M", "row", "column")
    bar_axes = [a for a in fig.axes if a is not ax]
    assert len(bar_axes) == 1
    labels = [t.get_text() for t in bar_axes[0].get_yticklabels()]
    assert labels == ["−1.5 (negative)", "0", "+1.5 (positive)"]
    fig2, ax2 = plt.subplots()
    graph_figures.draw_matrix(ax2, np.eye(2), "I", "row", "column",
                              colorbar=False)
    assert fig2.axes == [ax2]
    plt.close(fig)
    plt.close(fig2)
