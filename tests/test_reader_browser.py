"""The built book as a reader meets it, in headless Chromium and offline,
one visit per page: an accessibility audit of every page (axe-core,
from the npm packages) in the light theme, and of its colours in the
dark one; text alternatives for every image; folded solutions; kernel
panels whose frame slider works from the keyboard with a visible focus;
no code box scrolling sideways; the print stylesheet. Then search.
Screenshots of every page in both themes land in _build/screenshots/.
"""

import re
import traceback
from urllib.parse import quote

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import front_end_panels
from browser import console_errors, requested_urls, slider_named, wait
from conftest import ROOT
from notebook_checks import chapter_notebooks, read, toc_files

SHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = toc_files()
PANEL_PAGES = [f"book/{path.stem}" for path in chapter_notebooks()
               if "LivePanel(" in "".join(c.source for c in
                                           read(path).cells)]
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.browser


def open_page(browser, url):
    browser.get(url)
    # Ready: the document loaded, MathJax done, widgets drawn.
    wait(browser).until(lambda d: d.execute_script(
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
    with the colour transitions switched off (an audit halfway through
    one measures colours no reader sees for long), and make sure none
    runs."""
    browser.execute_script(
        "if (!document.getElementById('jacolib-tests-no-transitions')) {"
        " const style = document.createElement('style');"
        " style.id = 'jacolib-tests-no-transitions';"
        " style.textContent = '*, *::before, *::after"
        " { transition: none !important; }';"
        " document.head.appendChild(style); }"
        "document.documentElement.dataset.mode = arguments[0];"
        "document.documentElement.dataset.theme = arguments[0];"
        "localStorage.setItem('mode', arguments[0]);"
        "localStorage.setItem('theme', arguments[0]);", mode)
    wait(browser).until(lambda d: d.execute_script(
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


# The theme changes colours only: in the dark theme axe reruns its rules
# about colour (the structure was audited in the light theme) on the
# pages that are not chapters and on two chapters that between them
# hold every kind of chapter content: prose, code, outputs, source
# listings and a front-end panel (chapter 1), a kernel panel's frames,
# a canvas panel, a table and exercises (chapter 5). Every page's text
# is checked against what is behind it (tests/js/low_contrast_text.js:
# a tenth of a second, where axe takes five on a chapter, most of it
# to map the page's boxes).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
CHAPTERS = {f"book/{path.stem}" for path in chapter_notebooks()}
AXE_IN_THE_DARK = (set(PAGES) - CHAPTERS) | {"book/01_linear_regression",
                                             "book/05_loss_geometry"}
LOW_CONTRAST_TEXT = (ROOT / "tests" / "js" / "low_contrast_text.js") \
    .read_text()


def low_contrast_text(browser):
    """[text, contrast ratio, ratio needed] of each element whose text
    is too close to the colour behind it (WCAG's 4.5:1, 3:1 if large)."""
    return browser.execute_script(LOW_CONTRAST_TEXT)


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


# The panels' frame image, shown (a figure, not a stub), and the frame
# images of every panel that are visible.
PANEL_IMAGE = ("const img = document.querySelector('.jupyter-widgets img');"
               "return img && img.complete && img.naturalWidth > 0"
               " ? [img.naturalWidth, img.naturalHeight] : null")
VISIBLE_FRAME = ("return [...document.querySelectorAll('.jacolib-frames img')]"
                 ".filter(img => img.offsetParent !== null)"
                 ".map(img => img.src)")


def frame_panel_works_without_a_kernel(browser, page):
    """A kernel panel on the static page: its stored figure shows, only
    its frame slider is on view (the note names the controls it hides),
    and that slider, reached with Tab, shows its focus and moves the
    figure with an arrow key."""
    width, height = wait(browser).until(
        lambda d: d.execute_script(PANEL_IMAGE))
    assert width >= 600 and height >= 200  # the stored frame, not a stub
    note = browser.find_element(By.CSS_SELECTOR, ".jacolib-static-note")
    assert note.is_displayed() and "static page" in note.text
    name = note.find_element(By.CSS_SELECTOR, "b").text
    frame_slider = slider_named(browser, name)
    controls = browser.find_elements(
        By.CSS_SELECTOR, ".widget-slider, .widget-dropdown, .widget-checkbox")
    hidden = browser.find_elements(By.CSS_SELECTOR, ".jacolib-kernel-only")
    # Every control but the frame slider needs a kernel.
    assert frame_slider not in hidden
    assert len(hidden) == len(controls) - 1
    wait(browser).until(lambda d: all(
        d.execute_script("return arguments[0].inert", control)
        for control in hidden))
    for control in hidden:
        # the note names what it hides, so nothing is lost from view
        # (a checkbox's name is in its own label, beside an empty one)
        label = browser.execute_script(
            "return (arguments[0].querySelector('.widget-label-basic')"
            " || arguments[0].querySelector('.widget-label')).textContent",
            control)
        assert label in note.text, (label, note.text)
    assert [c for c in controls if c.is_displayed()] == [frame_slider]
    handle = frame_slider.find_element(By.CSS_SELECTOR, "[role=slider]")
    assert handle.get_attribute("aria-label") == name
    # Reach it with the Tab key, as a keyboard user would: from the
    # panel, Tab skips the inert controls and lands on the frame slider.
    browser.execute_script(
        "const panel = arguments[0].closest('.widget-vbox');"
        "panel.scrollIntoView({block: 'center'});"
        "panel.tabIndex = -1; panel.focus();", handle)
    browser.save_screenshot(str(SHOTS / f"{page.split('/')[-1]}"
                                        "_live_panel.png"))
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == handle
    outline = browser.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "return [s.outlineStyle, parseFloat(s.outlineWidth)];", handle)
    assert outline[0] != "none" and outline[1] >= 2, outline
    readout = frame_slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    value = handle.get_attribute("aria-valuenow")
    before = (readout.text, browser.execute_script(VISIBLE_FRAME))
    at_first = value == handle.get_attribute("aria-valuemin")
    handle.send_keys(Keys.ARROW_RIGHT if at_first else Keys.ARROW_LEFT)
    wait(browser).until(lambda d: d.execute_script(VISIBLE_FRAME)
                        != before[1])
    after = (readout.text, browser.execute_script(VISIBLE_FRAME))
    assert after[0] != before[0] and len(after[1]) == 1
    # and a screen reader hears the new value
    assert handle.get_attribute("aria-valuenow") != value


def front_end_panels_in_the_dark(browser):
    """Front-end panels drawn as a white card with black ink, whatever
    the theme: problems found (the theme must be dark)."""
    return [f"{colours} on a page of {background}"
            for colours, background in browser.execute_script(
                "const page = getComputedStyle(document.body).backgroundColor;"
                "return [...document.querySelectorAll('.jacolib-panel')]"
                ".map(panel => {"
                " const s = getComputedStyle(panel);"
                " const rect = panel.querySelector('svg rect');"
                " return [[s.backgroundColor, s.color,"
                "          rect.getAttribute('fill')], page]; })")
            if colours != ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "#ffffff"]
            or background == "rgb(255, 255, 255)"]


def unfolded_solutions(browser):
    """Solutions must start folded: the ones that do not, and a page of
    fewer than three."""
    solutions = browser.find_elements(By.CSS_SELECTOR, ".solution")
    problems = [] if len(solutions) >= 3 else [f"{len(solutions)} solutions"]
    for solution in solutions:
        body = solution.find_elements(By.CSS_SELECTOR, ".section, p")
        if ("dropdown" not in solution.get_attribute("class")
                or any(element.is_displayed() for element in body[1:])):
            problems.append(solution.text[:60])
    return problems


OPEN_DROPDOWNS = ("document.querySelectorAll('.dropdown button.toggle-button')"
                  ".forEach(button => button.click())")
# The longest line of every code or output box wider than its box.
OVERFLOWING_BOXES = """
return [...document.querySelectorAll('pre')]
    .filter(pre => pre.offsetParent !== null
            && pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => pre.textContent.split('\\n')
         .reduce((a, b) => a.length >= b.length ? a : b))"""


def boxes_scrolling_sideways(browser):
    """Code and output boxes wider than the page, solutions and answers
    opened too (this leaves them open)."""
    browser.execute_script(OPEN_DROPDOWNS)
    wait(browser).until(lambda d: all(
        e.is_displayed()
        for e in d.find_elements(By.CSS_SELECTOR, ".solution pre")))
    return browser.execute_script(OVERFLOWING_BOXES)


# The page whose print view is checked: a kernel panel (its controls
# must not print, its figure must) and folded solutions (they print).
PRINTED_PAGE = PANEL_PAGES[0]


def print_shows_the_text_and_figures_without_the_furniture(browser):
    """What the print stylesheet shows and hides, with solutions still
    folded on the screen: problems found."""
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
    expected = {"nav": False, "toc": False, "controls": False,
                "figure": True, "solution": True}
    return [] if shown == expected else [shown]


def failure_of(check, *args):
    """[] if the check passes, else where and why it failed: the visit
    goes on, so that the page's other problems (its console errors,
    say) are reported with it."""
    try:
        check(*args)
    except (AssertionError, WebDriverException) as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        return [f"{check.__name__}, line {where.lineno}: {where.line}: "
                f"{type(error).__name__}: {error}"]
    return []


def off_the_book(browser, book_url):
    """What the page asked for, since the last look, from anywhere but
    the book (chrome:// and data: URLs are the browser's own)."""
    return [url for url in requested_urls(browser)
            if url.split(":")[0] in ("http", "https", "ws", "wss")
            and not url.startswith(book_url + "/")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_as_a_reader_meets_it(browser, book_url, page):
    # One visit per page, as a chapter takes seconds to load and to
    # audit: the page works offline (no request off 127.0.0.1, no
    # console error, every formula typeset); it passes the audit in
    # both themes, with screenshots of each; a chapter's figures say
    # what they show, its solutions start folded, its kernel panel
    # works from the keyboard, its front-end panel follows every control
    # (front_end_panels.py), and no code box scrolls sideways; one
    # chapter's print view.
    requested_urls(browser)  # drop earlier pages' requests and errors
    console_errors(browser)
    open_page(browser, f"{book_url}/{page}.html")
    if page in front_end_panels.CHECKS:  # drawn after the page loads
        wait(browser).until(lambda d: d.execute_script(
            "return document.querySelector(arguments[0])",
            front_end_panels.DRAWN))
    chapter = page in CHAPTERS
    found = {"off the book": off_the_book(browser, book_url),
             "raw TeX": browser.execute_script(
                 "return [...document.querySelectorAll('.math')]"
                 ".filter(e => !e.querySelector('mjx-container'))"
                 ".map(e => e.textContent.slice(0, 60))")}
    if chapter:
        found["unfolded solutions"] = unfolded_solutions(browser)
    set_theme(browser, "light")
    found["light"] = audit(browser)
    if chapter:
        found["figures"] = figures_say_what_they_show(browser)
    if page == PRINTED_PAGE:  # before any solution is opened
        found["print"] = (
            print_shows_the_text_and_figures_without_the_furniture(browser))
    shoot(browser, page, "light")
    set_theme(browser, "dark")
    found["dark"] = low_contrast_text(browser) + (
        audit(browser, COLOUR_RULES) if page in AXE_IN_THE_DARK else [])
    found["panels in the dark"] = front_end_panels_in_the_dark(browser)
    shoot(browser, page, "dark")
    set_theme(browser, "light")
    if page in PANEL_PAGES:
        found["kernel panel"] = failure_of(
            frame_panel_works_without_a_kernel, browser, page)
    # Every front-end panel is moved by its check (and only such pages
    # have one).
    found["front-end panel, unchecked"] = [page] if browser.execute_script(
        "return !!document.querySelector("
        "'.jacolib-panel, .jacolib-jvp, .jacolib-field')") != (
            page in front_end_panels.CHECKS) else []
    if page in front_end_panels.CHECKS:
        found["front-end panel"] = failure_of(
            front_end_panels.CHECKS[page], browser, page)
    if chapter:
        found["wide boxes"] = boxes_scrolling_sideways(browser)
    found["console"] = console_errors(browser)
    found["off the book, once moved"] = off_the_book(browser, book_url)
    assert found == {key: [] for key in found}


# Text added to a page to be caught: (text, its CSS), and which of it
# is too faint in each theme: opaque and translucent ink, a translucent
# background, an element's opacity, a colour the browser reports in
# another syntax (color-mix), and large text, which needs 3:1 only.
FAINT = [("faint one", "color: #333"), ("grey two", "color: #777"),
         ("dark grey", "color: #595959"),
         ("a big title", "color: #aaa; font-size: 30px"),
         ("bold and large",
          "color: #8a8a8a; font-size: 19px; font-weight: 700"),
         ("thin ink", "color: rgba(0, 0, 0, 0.35)"),
         ("on a tint", "color: #666; background: rgba(0, 0, 0, 0.25)"),
         ("mixed colour",
          "color: color-mix(in srgb, #000 30%, transparent)"),
         ("see-through", "color: #000; opacity: 0.3")]
TOO_FAINT = {"light": {"grey two", "a big title", "thin ink", "on a tint",
                       "mixed colour", "see-through"},
             "dark": {"faint one", "grey two", "dark grey", "thin ink",
                      "on a tint", "mixed colour", "see-through"}}


def texts_axe_finds_faint(browser):
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'rule',"
        " values: ['color-contrast']}, resultTypes: ['violations']})"
        ".then(r => done(r.violations.flatMap(v => v.nodes.map(n =>"
        " document.querySelector(n.target[0]).textContent))));")
    return set(violations)


def test_the_audit_would_catch_a_violation(browser, book_url):
    # The audit above could pass by auditing nothing: an image without
    # a text alternative must be reported, and a short one, and so must
    # faint text, by axe and by the quick check of text colours, which
    # must agree.
    open_page(browser, f"{book_url}/{PAGES[0]}.html")
    browser.execute_script(
        "const article = document.querySelector('article');"
        "const img = document.createElement('img');"
        "img.src = 'data:image/gif;base64,"
        "R0lGODlhAQABAAAAACwAAAAAAQABAAA=';"
        "article.appendChild(img);"
        "for (const [text, css] of arguments[0]) {"
        " const p = document.createElement('p');"
        " p.textContent = text; p.style.cssText = css;"
        " article.appendChild(p); }", FAINT)
    assert any(v.startswith("image-alt") for v in audit(browser))
    # and by the chapters' own rule: a text alternative says what the
    # figure shows, in 40 characters at least
    browser.execute_script(
        "document.querySelector('article img').alt = 'a figure';")
    assert "short alt: 'a figure'" in figures_say_what_they_show(browser)
    try:
        for mode in ("light", "dark"):
            set_theme(browser, mode)
            assert texts_axe_finds_faint(browser) == TOO_FAINT[mode]
            assert {text for text, _, _ in low_contrast_text(browser)} \
                == TOO_FAINT[mode]
    finally:
        set_theme(browser, "light")


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
    results = wait(browser).until(
        lambda d: d.execute_script(
            "const found = document.querySelectorAll("
            "'#search-results li a');"
            "const status = document.querySelector('.search-summary');"
            "return status && status.textContent.trim() ?"
            " [...found].map(a => a.getAttribute('href')) : null;"))
    pages = {href.split("?")[0].split("#")[0] for href in results}
    assert pages == {"book/05_loss_geometry.html"}, (word, results)


def test_the_dark_audit_names_pages_of_the_book():
    assert AXE_IN_THE_DARK <= set(PAGES) and AXE_IN_THE_DARK & CHAPTERS


def test_a_failed_check_is_reported_with_its_line_and_the_visit_goes_on():
    def the_slider_moves():
        moved = False
        assert moved, "the slider did not move"

    [problem] = failure_of(the_slider_moves)
    assert problem.startswith("the_slider_moves, line ")
    assert "assert moved" in problem and "did not move" in problem
    assert failure_of(lambda: None) == []
