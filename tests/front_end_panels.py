"""The front-end panels, computed in the page with no kernel: each
moved as a reader would, on the built static page in headless Chromium.
Called in the page's one visit (test_reader_browser.py), after its
audit; that visit also checks that nothing is requested off 127.0.0.1
and nothing reaches the console. Screenshots land in
_build/screenshots/.
"""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from browser import wait
from conftest import ROOT
from jacolib.autodiff_figures import describe_jvp_vjp

SHOTS = ROOT / "_build" / "screenshots"


# --- chapters 1 and 2.1 -----------------------------------------------------

# page: the sliders' accessible names, in order
PANELS = {
    "book/01_linear_regression": ["learning rate α", "condition number κ"],
    "book/02_1_taylor_hessian": ["w₁ (the point)", "w₂ (the point)",
                                 "angle ψ of d (degrees)"],
}


def figure_state(panel):
    svg = panel.find_element(By.CSS_SELECTOR, "svg.jacolib-panel-figure")
    return svg.get_attribute("aria-label"), svg.get_attribute("innerHTML")


def the_sliders_redraw_the_panel(browser, page):
    """Chapters 1 and 2.1 (jacolib.front_end.PanelWidget): every slider,
    moved from the keyboard, redraws the figure and its text
    alternative, with a visible focus, in under 100 ms."""
    panel = wait(browser).until(lambda d: d.execute_script(
        "return document.querySelector('.jacolib-panel[data-redraws]')"))
    browser.execute_script("arguments[0].scrollIntoView()", panel)
    svg = panel.find_element(By.CSS_SELECTOR, "svg")
    assert svg.get_attribute("role") == "img"
    sliders = panel.find_elements(By.CSS_SELECTOR, "input[type=range]")
    assert [s.get_attribute("aria-label") for s in sliders] == PANELS[page]
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = page.split("/")[-1]
    browser.save_screenshot(str(SHOTS / f"{name}_panel_before.png"))
    for slider in sliders:
        label, drawing = figure_state(panel)
        redraws = int(panel.get_attribute("data-redraws"))
        slider.send_keys(Keys.END)  # focused by the key press's click
        assert browser.switch_to.active_element == slider
        outline = browser.execute_script(
            "return getComputedStyle(arguments[0]).outlineStyle", slider)
        assert outline != "none"  # the focus shows
        wait(browser).until(
            lambda _, before=redraws:
            int(panel.get_attribute("data-redraws")) > before)
        assert slider.get_attribute("value") == slider.get_attribute("max")
        new_label, new_drawing = figure_state(panel)
        assert new_label != label and new_drawing != drawing, \
            slider.get_attribute("aria-label")
        assert "nan" not in new_drawing.lower()
        slider.send_keys(Keys.ARROW_LEFT)  # one step back still redraws
        wait(browser).until(
            lambda _, before=new_label: figure_state(panel)[0] != before)
        assert float(panel.get_attribute("data-redraw-ms")) < 100
    browser.save_screenshot(str(SHOTS / f"{name}_panel_moved.png"))


# --- chapter 3 -------------------------------------------------------------

SLIDERS = ["x1", "x2", "v_angle", "u_angle"]
# Each slider's value after End, then Arrow Left: its maximum less a
# step (the defaults are 0.8, -0.5, 30 and 120).
AFTER_KEYS = {"x1": 1.95, "x2": 1.95, "v_angle": 355, "u_angle": 355}


def panel_state(browser):
    panel = browser.find_element("css selector", ".jacolib-jvp")
    canvas = panel.find_element("css selector", "canvas")
    return (panel.get_attribute("data-redraws"),
            canvas.get_attribute("aria-label"),
            browser.execute_script("return arguments[0].toDataURL()",
                                   canvas))


def the_sliders_move_the_jvp_and_vjp(browser, page):
    """Chapter 3 (jacolib.autodiff_figures.JvpVjpField): every slider
    moves the figure and its text alternative (the kernel panel's
    sentence), from the keyboard, with a visible focus; the figure stays
    white in the dark theme."""
    wait(browser).until(lambda d: d.execute_script(
        "const p = document.querySelector('.jacolib-jvp');"
        "return p && p.dataset.redraws"))
    canvas = browser.find_element("css selector", ".jacolib-jvp canvas")
    browser.execute_script("arguments[0].scrollIntoView()", canvas)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "jvp_vjp_light.png"))
    # The figure's text alternative is the kernel panel's sentence.
    assert canvas.get_attribute("role") == "img"
    _, label, image = panel_state(browser)
    assert label == describe_jvp_vjp(0.8, -0.5, 30, 120)
    values = {"x1": 0.8, "x2": -0.5, "v_angle": 30, "u_angle": 120}
    for name in SLIDERS:
        slider = browser.find_element(
            "css selector", f".jacolib-jvp input[data-name={name}]")
        assert slider.get_attribute("aria-label").strip()
        redraws, _, _ = panel_state(browser)
        slider.send_keys(Keys.END)
        slider.send_keys(Keys.ARROW_LEFT)
        wait(browser).until(
            lambda d, name=name: float(d.find_element(
                "css selector", f".jacolib-jvp input[data-name={name}]")
                .get_attribute("value")) == AFTER_KEYS[name])
        # Focused by the keys, with a visible outline.
        assert browser.execute_script(
            "const s = getComputedStyle(arguments[0]);"
            "return [document.activeElement === arguments[0],"
            " s.outlineStyle, s.outlineWidth]", slider) == [
                True, "solid", "3px"]
        values[name] = AFTER_KEYS[name]
        now_redraws, now_label, now_image = panel_state(browser)
        assert int(now_redraws) > int(redraws), name
        assert now_label == describe_jvp_vjp(**values), name
        assert now_label != label and now_image != image, name
        label, image = now_label, now_image
    # Dark mode: the figure keeps its white background.
    browser.execute_script(
        "document.documentElement.dataset.theme = 'dark'")
    corner = browser.execute_script(
        "return [...arguments[0].getContext('2d')"
        ".getImageData(2, 2, 1, 1).data]", canvas)
    assert corner == [255, 255, 255, 255]
    browser.save_screenshot(str(SHOTS / "jvp_vjp_dark.png"))
    browser.execute_script(
        "document.documentElement.dataset.theme = 'light'")


# --- chapter 5 -------------------------------------------------------------

CAPTION = ".jacolib-field-caption"
ARROW_RGB = (0, 114, 178)  # the arrows' colour, #0072B2
# Canvas pixels: a plane point's colour, and which pixels are drawn in
# the arrows' colour (the field itself: particles move, arrows do not).
PIXEL_AT = """
const [canvas, x, y] = arguments, half = 2;
const px = Math.round((x + half) / (2 * half) * canvas.width);
const py = Math.round((half - y) / (2 * half) * canvas.height);
return [...canvas.getContext('2d').getImageData(px, py, 1, 1).data]
  .slice(0, 3);"""
ARROW_PIXELS = """
const [canvas, [r, g, b]] = arguments;
const data = canvas.getContext('2d')
  .getImageData(0, 0, canvas.width, canvas.height).data;
const mask = [];
for (let k = 0; k < data.length; k += 4) {
  mask.push(Math.abs(data[k] - r) + Math.abs(data[k + 1] - g)
            + Math.abs(data[k + 2] - b) < 30 ? 1 : 0);
}
return mask.join('');"""


def field_state(browser):
    canvas = browser.find_element(By.CSS_SELECTOR, ".jacolib-field canvas")
    caption = browser.find_element(By.CSS_SELECTOR, CAPTION).text
    return canvas, caption


def held_point(caption):
    """The (x, y) of the fixed point that the caption reports."""
    numbers = caption.split(" = (")[1].split(")")[0].split(", ")
    return tuple(float(n) for n in numbers)


def arrows_of(browser, canvas):
    return browser.execute_script(ARROW_PIXELS, canvas, ARROW_RGB)


def changed_fraction(before, after):
    """The share of arrow pixels, before or after, that are not both."""
    either = sum(a == "1" or b == "1" for a, b in zip(before, after))
    differ = sum(a != b for a, b in zip(before, after))
    return differ / max(either, 1)


def assert_point_drawn_at(browser, canvas, point):
    assert browser.execute_script(PIXEL_AT, canvas, *point) == [0, 0, 0]


def the_field_follows_a_drag_and_the_keys(browser, page):
    """Chapter 5 (jacolib.losses_figures.LossField): the canvas shows
    the field and its target where the caption says; a drag moves the
    target and redraws the arrows; a key steps it; another loss draws
    another field; the text alternative follows."""
    wait(browser).until(lambda d: d.execute_script(
        "const f = document.querySelector('.jacolib-field');"
        "return f && f.dataset.fps"))
    canvas, before = field_state(browser)
    browser.execute_script("arguments[0].scrollIntoView()", canvas)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "field_before_drag.png"))
    # The canvas shows the field: hundreds of arrow pixels, and the
    # target, black, where the caption says it is.
    assert held_point(before) == (0.8, -0.6)
    assert "median ‖∇‖ = " in before
    # Its text alternative says what it shows at these values.
    assert canvas.get_attribute("role") == "img"
    label_before = canvas.get_attribute("aria-label")
    assert "of 1 − CosSim over the prediction x" in label_before
    assert "target y is at (0.80, −0.60)" in label_before
    assert_point_drawn_at(browser, canvas, (0.8, -0.6))
    arrows_before = arrows_of(browser, canvas)
    assert arrows_before.count("1") > 2000
    image_before = browser.execute_script(
        "return arguments[0].toDataURL()", canvas)
    # Drag the target from (0.8, −0.6) to about (−1, 1), the other side
    # of the origin, on [−2, 2]².
    size = canvas.size["width"]
    start = ((0.8 + 2) / 4 * size - size / 2, (2 + 0.6) / 4 * size - size / 2)
    ActionChains(browser).move_to_element_with_offset(canvas, *start) \
        .click_and_hold().move_by_offset(-0.45 * size, -0.4 * size) \
        .release().perform()
    wait(browser).until(
        lambda d: field_state(d)[1] != before)
    _, dragged = field_state(browser)
    assert "target y = (-1." in dragged, dragged
    assert "target y is at (−1." in canvas.get_attribute("aria-label")
    browser.save_screenshot(str(SHOTS / "field_after_drag.png"))
    # The pixels moved with it: the target drawn at its new place and
    # not at the old one, and the arrows redrawn for the new field.
    assert_point_drawn_at(browser, canvas, held_point(dragged))
    assert browser.execute_script(PIXEL_AT, canvas, 0.8, -0.6) \
        != [0, 0, 0]
    arrows_dragged = arrows_of(browser, canvas)
    assert changed_fraction(arrows_before, arrows_dragged) > 0.3
    assert browser.execute_script(
        "return arguments[0].toDataURL()", canvas) != image_before
    # Focused by the drag, with a visible outline: a key step.
    assert browser.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "return [document.activeElement === arguments[0],"
        " s.outlineStyle, s.outlineWidth]", canvas) == [True, "solid", "3px"]
    canvas.send_keys(Keys.ARROW_RIGHT)
    wait(browser).until(
        lambda d: field_state(d)[1] != dragged)
    stepped = held_point(field_state(browser)[1])
    assert stepped[0] == pytest.approx(held_point(dragged)[0] + 0.05,
                                       abs=0.011)
    assert_point_drawn_at(browser, canvas, stepped)
    loss = Select(browser.find_element(
        By.CSS_SELECTOR, ".jacolib-field select[aria-label='loss']"))
    loss.select_by_value("MSE")
    wait(browser).until(
        lambda d: "of MSE over" in field_state(d)[1])
    assert "of MSE over" in canvas.get_attribute("aria-label")
    # MSE's arrows all point at the target: another picture.
    assert changed_fraction(arrows_dragged, arrows_of(browser, canvas)) \
        > 0.3


# A front-end panel once drawn (each sets these after its first frame).
DRAWN = (".jacolib-panel[data-redraws], .jacolib-jvp[data-redraws],"
         " .jacolib-field[data-fps]")
# The check of each page with a front-end panel.
CHECKS = {
    "book/01_linear_regression": the_sliders_redraw_the_panel,
    "book/02_1_taylor_hessian": the_sliders_redraw_the_panel,
    "book/03_vjp_jvp_hvp": the_sliders_move_the_jvp_and_vjp,
    "book/05_loss_geometry": the_field_follows_a_drag_and_the_keys,
}
