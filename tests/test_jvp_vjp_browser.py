"""Chapter 3's browser panel (``autodiff_figures.JvpVjpField``) on the
built static page, in headless Chromium: every slider moves the figure
and its text alternative, from the keyboard, with a visible focus; the
figure stays white in the theme's dark mode; no console error and no
request off 127.0.0.1. Screenshots land in _build/screenshots/."""

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, requested_urls
from conftest import ROOT
from jacolib.autodiff_figures import describe_jvp_vjp

pytestmark = pytest.mark.browser

PAGE = "book/03_vjp_jvp_hvp"
SHOTS = ROOT / "_build" / "screenshots"
WAIT_SECONDS = 30
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


def test_every_slider_moves_the_figure_from_the_keyboard_offline(
        browser, book_url):
    requested_urls(browser)
    browser.get(f"{book_url}/{PAGE}.html")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script(
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
        WebDriverWait(browser, WAIT_SECONDS).until(
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
    assert console_errors(browser) == []
    outside = [url for url in requested_urls(browser)
               if url.split(":")[0] in ("http", "https", "ws", "wss")
               and not url.startswith(book_url + "/")]
    assert outside == []
