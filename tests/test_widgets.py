"""jacolib.widgets.LivePanel: controls, in-place redraws, robustness."""

import io
import warnings

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

import jacolib
from conftest import ROOT
from jacolib import linreg
from jacolib.widgets import LivePanel, make_control


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def learning_rate_panel():
    return LivePanel(linreg.LearningRateScene,
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
