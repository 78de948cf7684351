"""A learner's path: chapter 1 opened in JupyterLab, run, and its live
panel moved. The MyST must be rendered, the panel must redraw from the
kernel, and the note meant for the static page must stay hidden."""

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
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import press_on_slider, slider_named
from conftest import ROOT

pytestmark = pytest.mark.browser
CHAPTER = ROOT / "book" / "01_linear_regression.ipynb"
SHOTS = ROOT / "_build" / "screenshots"
VISIBLE_IMAGE = ("return [...document.querySelectorAll('.jupyter-widgets"
                 " img')].filter(img => img.offsetParent !== null"
                 " && img.naturalWidth > 0).map(img => img.src)")


SCROLL_TO_PANEL = """
const notebook = jupyterapp.shell.currentWidget.content;
const index = notebook.widgets.findIndex(
    cell => cell.model.sharedModel.getSource().includes('LivePanel('));
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


def test_the_panel_redraws_from_the_kernel_in_jupyterlab(browser, lab_url):
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
        SCROLL_TO_PANEL) and d.execute_script(VISIBLE_IMAGE))
    note = browser.find_element(By.CSS_SELECTOR, ".jacolib-static-note")
    assert not note.is_displayed()
    for label in ("condition number", "learning rate"):
        before = browser.execute_script(VISIBLE_IMAGE)
        press_on_slider(browser, slider_named(browser, label),
                        Keys.ARROW_RIGHT)
        WebDriverWait(browser, 30).until(
            lambda d, before=before:
            d.execute_script(VISIBLE_IMAGE) not in ([], before))
    status = browser.find_elements(By.CSS_SELECTOR, ".jupyter-widgets b")
    assert not any("Could not draw" in b.text for b in status)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "jupyterlab_chapter_1_panel.png"))
