"""The built book as a reader meets it, in headless Chromium and offline:
an accessibility audit of every page in the light and the dark theme
(axe-core, from the npm packages), text alternatives for every image,
controls that work from the keyboard with a visible focus, the print
stylesheet, and search. Screenshots of every page in both themes land
in _build/screenshots/.
"""

import re
from urllib.parse import quote

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, requested_urls
from conftest import ROOT
from notebook_checks import chapter_notebooks, read, toc_files

SHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = toc_files()
PANEL_PAGES = [f"book/{path.stem}" for path in chapter_notebooks()
               if "LivePanel(" in "".join(c.source for c in
                                           read(path).cells)]
WAIT_SECONDS = 30
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.browser


def open_page(browser, url):
    browser.get(url)
    # Ready: the document loaded, MathJax done, widgets drawn.
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script(
        "return document.readyState === 'complete'"
        " && document.querySelectorAll('.math:not(:has(mjx-container))')"
        ".length === 0"
        " && [...document.querySelectorAll("
        "'script[type=\"application/vnd.jupyter.widget-view+json\"]')]"
        ".every(s => s.parentElement.querySelector('.jupyter-widgets'))"))


def audit(browser, rules=None):
    """axe-core's serious and critical violations on the page (of the
    given rules only, if named)."""
    if not browser.execute_script("return !!window.axe"):
        browser.execute_script(AXE.read_text())
    browser.set_script_timeout(120)
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0])"
        ".then(r => done(r.violations)).catch(e => done(String(e)));",
        options)
    assert isinstance(violations, list), violations
    return [f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(str(n["target"]) for n in v["nodes"][:4])
            for v in violations if v["impact"] in BLOCKING]


def set_theme(browser, mode):
    """The theme's own switch stores the choice; set it the same way,
    then wait for its colour transitions to end (an audit halfway
    through one measures colours no reader sees for long)."""
    browser.execute_script(
        "document.documentElement.dataset.mode = arguments[0];"
        "document.documentElement.dataset.theme = arguments[0];"
        "localStorage.setItem('mode', arguments[0]);"
        "localStorage.setItem('theme', arguments[0]);", mode)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script(
        "return document.getAnimations().filter(a =>"
        " a instanceof CSSTransition && a.playState === 'running')"
        ".length === 0"))


def shoot(browser, page, mode):
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = page.split("/")[-1]
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SHOTS / f"{name}_{mode}.png"))
    # The first figure too, where figures are: it must stay readable.
    if browser.execute_script(
            "const f = document.querySelector('.cell_output img,"
            " .widget-image, canvas');"
            "if (!f) return false;"
            "f.scrollIntoView({block: 'center'}); return true;"):
        browser.save_screenshot(str(SHOTS / f"{name}_{mode}_figure.png"))


# The theme changes colours only: in the dark theme the audit reruns the
# rules about colour (the structure was audited in the light theme).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
CHAPTERS = {f"book/{path.stem}" for path in chapter_notebooks()}


def figures_say_what_they_show(browser):
    """Problems with the text alternatives of a chapter's images."""
    texts = browser.execute_script(
        "return [...document.querySelectorAll('article img')]"
        ".map(img => img.alt)")
    problems = [] if texts else ["no image"]
    problems += [f"short alt: {text!r}" for text in texts if len(text) < 40]
    # A panel's image names its values: a digit at least.
    panel_texts = browser.execute_script(
        "return [...document.querySelectorAll('img.widget-image')]"
        ".map(img => img.alt)")
    problems += [f"panel alt without a value: {text!r}"
                 for text in panel_texts if not re.search(r"\d", text)]
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_every_page_passes_the_audit_in_light_and_dark(
        browser, book_url, page):
    # One visit per page: the page works offline (no request off
    # 127.0.0.1, no console error, every formula typeset), the audit,
    # the text alternatives of its figures (chapters) and the
    # screenshots, in both themes.
    requested_urls(browser)  # drop earlier pages' requests and errors
    console_errors(browser)
    open_page(browser, f"{book_url}/{page}.html")
    # chrome:// and data: URLs are the browser's own, not the network's.
    found = {"off the book": [
        url for url in requested_urls(browser)
        if url.split(":")[0] in ("http", "https", "ws", "wss")
        and not url.startswith(book_url + "/")],
        "console": console_errors(browser),
        "raw TeX": browser.execute_script(
            "return [...document.querySelectorAll('.math')]"
            ".filter(e => !e.querySelector('mjx-container'))"
            ".map(e => e.textContent.slice(0, 60))")}
    set_theme(browser, "light")
    found["light"] = audit(browser)
    if page in CHAPTERS:
        found["figures"] = figures_say_what_they_show(browser)
    shoot(browser, page, "light")
    set_theme(browser, "dark")
    found["dark"] = audit(browser, COLOUR_RULES)
    shoot(browser, page, "dark")
    set_theme(browser, "light")
    assert found == {key: [] for key in found}


def test_the_audit_would_catch_a_violation(browser, book_url):
    # The audit above could pass by auditing nothing: an image without
    # a text alternative must be reported, and so must faint text in
    # the dark theme.
    open_page(browser, f"{book_url}/{PAGES[0]}.html")
    browser.execute_script(
        "const img = document.createElement('img');"
        "img.src = 'data:image/gif;base64,"
        "R0lGODlhAQABAAAAACwAAAAAAQABAAA=';"
        "document.querySelector('article').appendChild(img);"
        "const p = document.createElement('p');"
        "p.textContent = 'faint'; p.style.color = '#333';"
        "document.querySelector('article').appendChild(p);")
    assert any(v.startswith("image-alt") for v in audit(browser))
    set_theme(browser, "dark")
    try:
        assert any(v.startswith("color-contrast")
                   for v in audit(browser, COLOUR_RULES))
    finally:
        set_theme(browser, "light")


def test_a_figure_without_its_text_is_caught(browser, book_url):
    open_page(browser, f"{book_url}/{sorted(CHAPTERS)[0]}.html")
    browser.execute_script(
        "document.querySelector('article img').alt = 'a figure';")
    assert any("short alt" in problem
               for problem in figures_say_what_they_show(browser))


@pytest.mark.parametrize("page", PANEL_PAGES)
def test_the_frame_slider_takes_keys_and_shows_its_focus(
        browser, book_url, page):
    open_page(browser, f"{book_url}/{page}.html")
    name = browser.find_element(
        By.CSS_SELECTOR, ".jacolib-static-note b").text
    handle = next(
        h for h in browser.find_elements(
            By.CSS_SELECTOR, ".widget-slider [role=slider]")
        if h.get_attribute("aria-label") == name)
    # Reach it with the Tab key, as a keyboard user would: from the
    # panel, Tab skips the inert controls and lands on the frame slider.
    browser.execute_script(
        "const panel = arguments[0].closest('.widget-vbox');"
        "panel.scrollIntoView({block: 'center'});"
        "panel.tabIndex = -1; panel.focus();", handle)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == handle
    outline = browser.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "return [s.outlineStyle, parseFloat(s.outlineWidth)];", handle)
    assert outline[0] != "none" and outline[1] >= 2, outline
    before = handle.get_attribute("aria-valuenow")
    at_first = before == handle.get_attribute("aria-valuemin")
    handle.send_keys(Keys.ARROW_RIGHT if at_first else Keys.ARROW_LEFT)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: handle.get_attribute("aria-valuenow") != before)


def test_print_shows_the_text_and_figures_without_the_page_furniture(
        browser, book_url):
    page = PANEL_PAGES[0]
    open_page(browser, f"{book_url}/{page}.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script(
            "const shown = s => [...document.querySelectorAll(s)]"
            ".some(e => e.getClientRects().length > 0"
            " && getComputedStyle(e).visibility !== 'hidden');"
            "return {nav: shown('.bd-sidebar-primary'),"
            " toc: shown('.bd-sidebar-secondary'),"
            " controls: shown('.jupyter-widgets .widget-slider'),"
            " figure: shown('img.widget-image'),"
            " solution: shown('.solution .admonition-title ~ *')};")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown == {"nav": False, "toc": False, "controls": False,
                     "figure": True, "solution": True}


def chapter_five_only_word():
    """A word of chapter 5's prose that no other page uses."""
    chapter = ROOT / "book" / "05_loss_geometry.ipynb"
    prose = " ".join(cell.source for cell in read(chapter).cells
                     if cell.cell_type == "markdown").lower()
    others = [path.read_text().lower()
              for name in PAGES
              for path in [ROOT / f"{name}.ipynb", ROOT / f"{name}.md"]
              if path.exists() and path != chapter]
    words = sorted(set(re.findall(r"\b[a-z]{9,}\b", prose)))
    return next(word for word in words
                if not any(word in text for text in others))


def test_search_finds_the_one_page_that_holds_a_word(browser, book_url):
    word = chapter_five_only_word()
    browser.get(f"{book_url}/search.html?q={quote(word)}")
    results = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "const found = document.querySelectorAll("
            "'#search-results li a');"
            "const status = document.querySelector('.search-summary');"
            "return status && status.textContent.trim() ?"
            " [...found].map(a => a.getAttribute('href')) : null;"))
    pages = {href.split("?")[0].split("#")[0] for href in results}
    assert pages == {"book/05_loss_geometry.html"}, (word, results)
