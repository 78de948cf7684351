"""jacolib.widgets.LivePanel: controls, in-place redraws, robustness."""

import io
import warnings

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

import jacolib
from conftest import ROOT
from jacolib import linreg_figures
from jacolib.widgets import LivePanel, make_control


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def learning_rate_panel():
    return LivePanel(linreg_figures.LearningRateScene,
                     learning_rate=(0.05, 2.5, 0.05, 1.5),
                     condition_number=(1.0, 50.0, 1.0, 10.0))


def test_specs_make_the_expected_controls():
    assert isinstance(make_control("n", (1, 10, 1, 3)), widgets.IntSlider)
    slider = make_control("lr", (0.1, 2.0, 0.1, 0.5))
    assert isinstance(slider, widgets.FloatSlider) and slider.value == 0.5
    assert make_control("loss", ["mse", "cos"]).value == "mse"
    assert isinstance(make_control("show", True), widgets.Checkbox)
    given = widgets.IntSlider()
    assert make_control("x", given) is given


@pytest.mark.parametrize("spec, message", [
    ((0.0, 1.0, 0.1, 2.0), r"value must lie in \[0.0, 1.0\]; got 2.0"),
    ("fast", "expected a widget, .*; got 'fast'"),
    ([], "expected a widget"),
])
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        make_control("lr", spec)


def test_panel_needs_a_callable_and_a_control():
    with pytest.raises(ValueError, match="draw must be a function"):
        LivePanel("not a function", x=(0, 1, 1, 0))
    with pytest.raises(ValueError, match="at least one control"):
        LivePanel(lambda fig, **values: None)


def test_moving_a_control_redraws_the_same_image_widget():
    panel = learning_rate_panel()
    image, first = panel.image, bytes(panel.image.value)
    assert first.startswith(b"\x89PNG")
    panel.controls["learning_rate"].value = 0.3
    assert panel.image is image and bytes(panel.image.value) != first
    # Back to the defaults: the blitted frame equals the first one.
    panel.controls["learning_rate"].value = 1.5
    np.testing.assert_array_equal(decoded(panel.image.value),
                                  decoded(first))


def test_blitted_frame_equals_a_full_redraw():
    blitted = learning_rate_panel()
    blitted.render(learning_rate=0.4, condition_number=30.0)
    frame = decoded(blitted.render(learning_rate=2.2, condition_number=5.0))
    fresh = learning_rate_panel()
    full = decoded(fresh.render(learning_rate=2.2, condition_number=5.0))
    np.testing.assert_array_equal(frame, full)


@pytest.mark.parametrize("learning_rate", [0.05, 2.0, 2.5])
@pytest.mark.parametrize("condition_number", [1.0, 50.0])
def test_extreme_values_draw_without_warnings(learning_rate,
                                              condition_number):
    panel = learning_rate_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel.controls["learning_rate"].value = learning_rate
        panel.controls["condition_number"].value = condition_number
    assert panel.status.value == ""


def test_a_failing_draw_is_reported_in_the_panel_not_raised():
    def draw(fig, x):
        if x > 1:
            raise ZeroDivisionError("x too large")
        fig.add_subplot().plot([0, x])

    panel = LivePanel(draw, x=(0, 3, 1, 0))
    panel.controls["x"].value = 2
    assert "ZeroDivisionError: x too large" in panel.status.value
    panel.controls["x"].value = 1
    assert panel.status.value == ""


def test_the_panel_displays_its_controls_image_and_note():
    panel = learning_rate_panel()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    controls, image, status, note = panel.widget.children
    assert image is panel.image
    assert "Binder" in note.value and "Colab" in note.value
    # Hidden where the notebook runs; the book's CSS overrides it.
    assert 'style="display: none"' in note.value
    css = (ROOT / "book" / "_static_local" / "jacolib.css").read_text()
    assert ".jacolib-static-note" in css and "!important" in css


# --- frames drawn in advance, for the static page ---------------------------

LEARNING_RATES = [0.5, 1.5, 2.1]


def framed_panel():
    return LivePanel(linreg_figures.LearningRateScene,
                     learning_rate=(0.05, 2.5, 0.05, 1.5),
                     condition_number=(1.0, 50.0, 1.0, 10.0),
                     frames={"learning_rate": LEARNING_RATES})


def test_each_frame_is_the_figure_at_its_value():
    panel = framed_panel()
    assert len(panel.frames.children) == len(LEARNING_RATES)
    for image, learning_rate in zip(panel.frames.children, LEARNING_RATES):
        fresh = learning_rate_panel()
        expected = fresh.render(learning_rate=learning_rate)
        np.testing.assert_array_equal(decoded(image.value),
                                      decoded(expected))


def test_the_frame_slider_is_linked_to_the_stack_in_the_browser():
    panel = framed_panel()
    slider = panel.controls["learning_rate"]
    assert isinstance(slider, widgets.SelectionSlider)
    assert [value for _, value in slider.options] == LEARNING_RATES
    assert slider.value == 1.5 and panel.frames.selected_index == 1
    link = panel._link
    assert isinstance(link, widgets.widget_link.Link)
    assert link.source == (slider, "index")
    assert link.target == (panel.frames, "selected_index")
    assert panel.frames in panel.widget.children


def test_in_a_kernel_a_move_redraws_the_frame_it_selects():
    panel = framed_panel()
    panel.controls["condition_number"].value = 40.0
    panel.controls["learning_rate"].value = 2.1
    assert panel.frames.selected_index == 2
    assert panel.image is panel.frames.children[2]
    expected = learning_rate_panel().render(learning_rate=2.1,
                                            condition_number=40.0)
    np.testing.assert_array_equal(decoded(panel.image.value),
                                  decoded(expected))


def test_only_the_frame_slider_is_marked_as_working_without_a_kernel():
    panel = framed_panel()
    marked = {name for name, control in panel.controls.items()
              if "jacolib-kernel-only" in control._dom_classes}
    assert marked == {"condition_number"}
    # Without frames, every control needs a kernel.
    plain = learning_rate_panel()
    assert all("jacolib-kernel-only" in control._dom_classes
               for control in plain.controls.values())
    script = (ROOT / "book" / "_static_local" /
              "jacolib-static.js").read_text()
    assert '".jacolib-kernel-only"' in script


def test_the_note_names_the_slider_that_moves_without_a_kernel():
    note = framed_panel().widget.children[-1].value
    assert "the <b>learning rate</b> slider moves through figures" in note
    # and names the controls that the static page hides
    assert "with condition number at its default. To move it too" in note
    assert 'style="display: none"' in note


@pytest.mark.parametrize("frames, message", [
    ({"learning_rate": [0.5]}, r"include the default 1.5; got \[0.5\]"),
    ({"learning_rate": [1.5, 3.0]}, r"must lie in \[0.05, 2.5\]"),
    ({"speed": [1.0]}, r"'speed' must name a slider among "
                       r"\['condition_number', 'learning_rate'\]"),
    ([1.5], r"frames must be \{control name: \[values\]\}"),
])
def test_bad_frames_are_refused(frames, message):
    with pytest.raises(ValueError, match=message):
        LivePanel(linreg_figures.LearningRateScene,
                  learning_rate=(0.05, 2.5, 0.05, 1.5),
                  condition_number=(1.0, 50.0, 1.0, 10.0), frames=frames)


def test_each_image_describes_itself_with_its_values():
    panel = framed_panel()
    texts = [image.tooltip for image in panel.frames.children]
    assert len(set(texts)) == len(texts)  # one text per frame
    for text, learning_rate in zip(texts, LEARNING_RATES):
        assert f"learning rate {learning_rate:.2f}" in text
        assert "condition number 10" in text
    # The text follows a control that the kernel redraws.
    panel.controls["condition_number"].value = 20.0
    assert "condition number 20" in panel.image.tooltip


def test_the_description_tells_convergence_from_divergence():
    scene = linreg_figures.LearningRateScene
    describe = scene.describe.__get__(object.__new__(scene))
    # |1 - α λ| per axis, λ = 1/κ and 1: closed forms of the factors.
    assert "by a factor of 0.95" in describe(learning_rate=0.5,
                                             condition_number=10.0)
    assert "oscillates" in describe(learning_rate=2.0,
                                    condition_number=10.0)
    assert "diverges" in describe(learning_rate=2.2,
                                  condition_number=10.0)
    assert "growing by a factor of 1.20" in describe(
        learning_rate=2.2, condition_number=10.0)


def test_a_panel_without_describe_states_its_alt_and_values():
    def draw(fig, amplitude):
        fig.add_subplot().plot([0, 1], [0, amplitude])

    panel = LivePanel(draw, alt="A line rising to its amplitude",
                      amplitude=(0.0, 2.0, 0.5, 1.0))
    assert panel.image.tooltip == ("A line rising to its amplitude, at "
                                   "amplitude 1.")
    with pytest.raises(ValueError, match="alt must be a sentence"):
        LivePanel(draw, alt=3, amplitude=(0.0, 2.0, 0.5, 1.0))
