"""The front-end panels of chapters 1 and 2.1 on the built static page,
in headless Chromium with no kernel: every slider, moved from the
keyboard, redraws the figure and its text alternative; the focus shows;
the panel stays a white, readable card in dark mode; no console error
and no request off 127.0.0.1. Screenshots land in _build/screenshots/.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, requested_urls
from conftest import ROOT

SHOTS = ROOT / "_build" / "screenshots"
WAIT_SECONDS = 30
# page: the sliders' accessible names, in order
PANELS = {
    "book/01_linear_regression": ["learning rate α", "condition number κ"],
    "book/02_1_taylor_hessian": ["w₁ (the point)", "w₂ (the point)",
                                 "angle ψ of d (degrees)"],
}

pytestmark = pytest.mark.browser


def open_panel(browser, url):
    browser.get(url)
    panel = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "return document.querySelector('.jacolib-panel[data-redraws]')"))
    browser.execute_script("arguments[0].scrollIntoView()", panel)
    return panel


def figure_state(panel):
    svg = panel.find_element(By.CSS_SELECTOR, "svg.jacolib-panel-figure")
    return svg.get_attribute("aria-label"), svg.get_attribute("innerHTML")


@pytest.mark.parametrize("page", list(PANELS))
def test_every_slider_moves_the_panel_from_the_keyboard_offline(
        browser, book_url, page):
    requested_urls(browser)  # forget earlier pages' requests
    panel = open_panel(browser, f"{book_url}/{page}.html")
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
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda _, before=redraws:
            int(panel.get_attribute("data-redraws")) > before)
        assert slider.get_attribute("value") == slider.get_attribute("max")
        new_label, new_drawing = figure_state(panel)
        assert new_label != label and new_drawing != drawing, \
            slider.get_attribute("aria-label")
        assert "nan" not in new_drawing.lower()
        slider.send_keys(Keys.ARROW_LEFT)  # one step back still redraws
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda _, before=new_label: figure_state(panel)[0] != before)
        assert float(panel.get_attribute("data-redraw-ms")) < 100
    browser.save_screenshot(str(SHOTS / f"{name}_panel_moved.png"))
    assert console_errors(browser) == []
    off_site = [url for url in requested_urls(browser)
                if url.startswith(("http:", "https:"))
                and not url.startswith("http://127.0.0.1")]
    assert off_site == []


@pytest.mark.parametrize("page", list(PANELS))
def test_the_panel_stays_a_white_card_in_dark_mode(browser, book_url, page):
    panel = open_panel(browser, f"{book_url}/{page}.html")
    browser.execute_script(
        "document.documentElement.dataset.theme = 'dark';"
        "document.documentElement.dataset.mode = 'dark'")
    page_background = browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor")
    colours = browser.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "const rect = arguments[0].querySelector('svg rect');"
        "return [s.backgroundColor, s.color, rect.getAttribute('fill')]",
        panel)
    assert page_background != "rgb(255, 255, 255)"  # the theme is dark
    assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "#ffffff"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(
        str(SHOTS / f"{page.split('/')[-1]}_panel_dark.png"))
