"""A learner's path: chapter 1 opened in JupyterLab, run, and its live
panel moved. The MyST must be rendered, and the panel (a front-end
widget, jacolib.linreg_figures.LearningRatePanel, computed in the page)
must redraw when its sliders move, in JupyterLab as on the static book."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT

pytestmark = pytest.mark.browser
CHAPTER = ROOT / "book" / "01_linear_regression.ipynb"
SHOTS = ROOT / "_build" / "screenshots"
# The panel's figure, drawn: its text alternative (it names the values).
PANEL_LABEL = ("const svg = document.querySelector("
               "'.jacolib-panel svg[role=img]');"
               "return svg && svg.offsetParent !== null"
               " && svg.getAttribute('aria-label')")


SCROLL_TO_PANEL = """
const notebook = jupyterapp.shell.currentWidget.content;
const index = notebook.widgets.findIndex(
    cell => cell.model.sharedModel.getSource().includes(
        'LearningRatePanel('));
notebook.activeCellIndex = index;
notebook.scrollToItem(index, 'start');
return true;"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer at {url}")


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    shutil.copy(CHAPTER, home / CHAPTER.name)
    port = free_port()
    settings = home / ".settings"
    # No news prompt: a toast over the page could catch the clicks.
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    environment = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / ".config"),
                       JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
                       JUPYTERLAB_SETTINGS_DIR=str(settings),
                       JUPYTERLAB_WORKSPACES_DIR=str(home / ".workspaces"))
    jupyter = Path(sys.executable).parent / "jupyter"
    process = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=",
         "--LabApp.expose_app_in_browser=True",
         f"--ServerApp.root_dir={home}"],
        env=environment, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/api/status", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_all_cells(browser):
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "const w = window.jupyterapp && jupyterapp.shell.currentWidget;"
        "const kernel = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel;"
        "return !!kernel && kernel.status === 'idle'"))
    browser.execute_script(
        "jupyterapp.commands.execute('notebook:run-all-cells')")


def test_the_panel_redraws_in_jupyterlab(browser, lab_url):
    browser.get(f"{lab_url}/lab/tree/{CHAPTER.name}")
    # jupyterlab-myst renders the chapter's MyST, not its source text.
    opening = WebDriverWait(browser, 60).until(lambda d: d.find_element(
        By.CSS_SELECTOR, ".jp-MarkdownCell"))
    # The cell shows its source until the renderer has run: wait for it.
    WebDriverWait(browser, 60).until(
        lambda d: "In this chapter" in opening.text
        and ":::" not in opening.text and "{admonition}" not in opening.text)
    run_all_cells(browser)
    # Running all cells scrolls to the end; JupyterLab renders only the
    # cells in view, so bring the panel's cell back.
    WebDriverWait(browser, 120).until(lambda d: d.execute_script(
        SCROLL_TO_PANEL) and d.execute_script(PANEL_LABEL))
    first = browser.execute_script(PANEL_LABEL)
    for label in ("condition number κ", "learning rate α"):
        before = browser.execute_script(PANEL_LABEL)
        slider = browser.find_element(
            By.CSS_SELECTOR, f".jacolib-panel input[aria-label='{label}']")
        # The reader's move, as the input event the slider sends (in
        # JupyterLab the notebook takes the focus from an output after
        # a key or a click; keys and focus are tested on the static page)
        browser.execute_script(
            "const [s] = arguments; s.value = s.max;"
            "s.dispatchEvent(new Event('input', {bubbles: true}))", slider)
        WebDriverWait(browser, 30).until(
            lambda d, before=before:
            d.execute_script(PANEL_LABEL) not in (None, False, before))
    assert "condition number 10 at learning rate 1.50" in first
    assert "condition number 50 at learning rate 2.50" in \
        browser.execute_script(PANEL_LABEL)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "jupyterlab_chapter_1_panel.png"))
