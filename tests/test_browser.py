"""Chapter pages in headless Chromium, offline: the live panel's figure
visible and its frame slider working, solutions folded, no code box
scrolling sideways, chapter 5's field. (Every page's offline loading,
typesetting and console are checked in test_reader_browser.py, in the
same visit as its audit.) Screenshots land in _build/screenshots/.
"""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import console_errors, press_on_slider, requested_urls, \
    slider_named
from conftest import ROOT
from notebook_checks import chapter_notebooks, read

SHOTS = ROOT / "_build" / "screenshots"
CHAPTERS = [f"book/{path.stem}" for path in chapter_notebooks()]
PANEL_CHAPTERS = [f"book/{path.stem}" for path in chapter_notebooks()
                  if "LivePanel(" in "".join(c.source for c in
                                              read(path).cells)]
WAIT_SECONDS = 30

pytestmark = pytest.mark.browser


def load(browser, url):
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.readyState")
        == "complete")


def wait_for_math(browser):
    # A page with no math (the instructors' page) has nothing to wait for.
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script(
        "return document.querySelectorAll('.math').length === 0"
        " || document.querySelectorAll('mjx-container').length > 0"
        " && document.querySelectorAll('.math:not(:has(mjx-container))')"
        ".length === 0"))


@pytest.mark.parametrize("page", PANEL_CHAPTERS)
def test_live_panel_shows_its_figure(browser, book_url, page):
    load(browser, f"{book_url}/{page}.html")
    wait_for_math(browser)
    image = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "const img = document.querySelector('.jupyter-widgets img');"
            "return img && img.complete && img.naturalWidth > 0 ? img : null"))
    width, height = browser.execute_script(
        "return [arguments[0].naturalWidth, arguments[0].naturalHeight]",
        image)
    assert width >= 600 and height >= 200  # the stored frame, not a stub
    sliders = browser.find_elements(By.CSS_SELECTOR,
                                    ".jupyter-widgets .widget-slider")
    assert len(sliders) >= 1
    note = browser.find_element(By.CSS_SELECTOR, ".jupyter-widgets small")
    assert note.is_displayed() and "static page" in note.text
    panel = browser.find_element(By.CSS_SELECTOR, ".jupyter-widgets")
    browser.execute_script("arguments[0].scrollIntoView()", panel)
    name = page.split("/")[-1]
    browser.save_screenshot(str(SHOTS / f"{name}_live_panel.png"))


VISIBLE_FRAME = ("return [...document.querySelectorAll('.jacolib-frames img')]"
                 ".filter(img => img.offsetParent !== null)"
                 ".map(img => img.src)")


@pytest.mark.parametrize("page", PANEL_CHAPTERS)
def test_the_frame_slider_moves_the_figure_without_a_kernel(
        browser, book_url, page):
    load(browser, f"{book_url}/{page}.html")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(VISIBLE_FRAME))
    name = browser.find_element(
        By.CSS_SELECTOR, ".jacolib-static-note b").text
    slider = slider_named(browser, name)
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    before = (readout.text, browser.execute_script(VISIBLE_FRAME))
    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    at_first = (handle.get_attribute("aria-valuenow")
                == handle.get_attribute("aria-valuemin"))
    press_on_slider(browser, slider,
                    Keys.ARROW_RIGHT if at_first else Keys.ARROW_LEFT)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(VISIBLE_FRAME) != before[1])
    after = (readout.text, browser.execute_script(VISIBLE_FRAME))
    assert after[0] != before[0] and len(after[1]) == 1
    assert console_errors(browser) == []


@pytest.mark.parametrize("page", PANEL_CHAPTERS)
def test_the_static_page_shows_only_controls_that_work(
        browser, book_url, page):
    load(browser, f"{book_url}/{page}.html")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(VISIBLE_FRAME))
    note = browser.find_element(By.CSS_SELECTOR, ".jacolib-static-note")
    frame_slider = slider_named(browser, note.find_element(
        By.CSS_SELECTOR, "b").text)
    assert "jacolib-kernel-only" not in frame_slider.get_attribute("class")
    assert frame_slider.is_displayed()
    controls = browser.find_elements(
        By.CSS_SELECTOR, ".widget-slider, .widget-dropdown, .widget-checkbox")
    hidden = browser.find_elements(By.CSS_SELECTOR, ".jacolib-kernel-only")
    # Every control but the frame slider needs a kernel.
    assert len(hidden) == len(controls) - 1
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: all(
        d.execute_script("return arguments[0].inert", control)
        for control in hidden))
    for control in hidden:
        assert not control.is_displayed()
        # the note names what it hides, so nothing is lost from view
        # (a checkbox's name is in its own label, beside an empty one)
        label = browser.execute_script(
            "return (arguments[0].querySelector('.widget-label-basic')"
            " || arguments[0].querySelector('.widget-label')).textContent",
            control)
        assert label in note.text, (label, note.text)
    shown = [c for c in controls if c.is_displayed()]
    assert shown == [frame_slider]


OPEN_DROPDOWNS = ("document.querySelectorAll('.dropdown button.toggle-button')"
                  ".forEach(button => button.click())")
# The longest line of every code or output box wider than its box.
OVERFLOWING_BOXES = """
return [...document.querySelectorAll('pre')]
    .filter(pre => pre.offsetParent !== null
            && pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => pre.textContent.split('\\n')
         .reduce((a, b) => a.length >= b.length ? a : b))"""


@pytest.mark.parametrize("page", CHAPTERS)
def test_no_code_or_output_box_scrolls_sideways(browser, book_url, page):
    load(browser, f"{book_url}/{page}.html")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, ".dropdown button.toggle-button"))
    browser.execute_script(OPEN_DROPDOWNS)  # solutions and answers too
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: all(e.is_displayed() for e in d.find_elements(
            By.CSS_SELECTOR, ".solution pre")))
    assert browser.execute_script(OVERFLOWING_BOXES) == []


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercise_solutions_start_folded(browser, book_url, page):
    load(browser, f"{book_url}/{page}.html")
    solutions = browser.find_elements(By.CSS_SELECTOR, ".solution")
    assert len(solutions) >= 3
    for solution in solutions:
        assert "dropdown" in solution.get_attribute("class")
        body = solution.find_elements(By.CSS_SELECTOR, ".section, p")
        assert not any(element.is_displayed() for element in body[1:])


# --- chapter 5's field, computed in the page -------------------------------

FIELD_PAGE = "book/05_loss_geometry"
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


def test_the_field_moves_with_a_drag_and_the_keys_offline(browser,
                                                          book_url):
    requested_urls(browser)
    load(browser, f"{book_url}/{FIELD_PAGE}.html")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script(
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
    WebDriverWait(browser, WAIT_SECONDS).until(
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
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: field_state(d)[1] != dragged)
    stepped = held_point(field_state(browser)[1])
    assert stepped[0] == pytest.approx(held_point(dragged)[0] + 0.05,
                                       abs=0.011)
    assert_point_drawn_at(browser, canvas, stepped)
    loss = Select(browser.find_element(
        By.CSS_SELECTOR, ".jacolib-field select[aria-label='loss']"))
    loss.select_by_value("MSE")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: "of MSE over" in field_state(d)[1])
    assert "of MSE over" in canvas.get_attribute("aria-label")
    # MSE's arrows all point at the target: another picture.
    assert changed_fraction(arrows_dragged, arrows_of(browser, canvas)) \
        > 0.3
    assert console_errors(browser) == []
    outside = [url for url in requested_urls(browser)
               if url.split(":")[0] in ("http", "https", "ws", "wss")
               and not url.startswith(book_url + "/")]
    assert outside == []
