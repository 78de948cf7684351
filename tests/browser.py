"""Headless Chromium for the browser tests, recording every request."""

import json
import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage", "--window-size=1280,2000"]


WAIT_SECONDS = 30


def wait(driver):
    """A wait for the page, looking every tenth of a second: a page is
    ready in seconds, and a test looks many times."""
    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1)


def start_chromium():
    """A Chrome driver with console and network logs switched on."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs",
                           {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                              options=options)
    driver.profile_dir = profile
    return driver


def stop_chromium(driver):
    driver.quit()
    shutil.rmtree(driver.profile_dir, ignore_errors=True)


def requested_urls(driver):
    """Every URL the page asked for since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver):
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def slider_named(driver, label):
    """The ipywidgets slider whose label reads ``label``."""
    return next(
        element for element in driver.find_elements(
            By.CSS_SELECTOR, ".jupyter-widgets .widget-slider")
        if element.find_element(By.CSS_SELECTOR, ".widget-label").text
        == label)
