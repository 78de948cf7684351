"""Shared fixtures: the strictly built book, served on 127.0.0.1."""

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from browser import start_chromium, stop_chromium

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))  # install_cell, student_edition


@pytest.fixture(scope="session")
def built_book():
    """Build the whole book as CI does: -W turns warnings into failure."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", ".", "--all", "-W", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    result.log = result.stdout + result.stderr
    return result


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url(built_book):
    """Base URL of _build/html served on a free loopback port."""
    if built_book.returncode != 0:
        pytest.fail("the book did not build:\n" + built_book.log[-3000:])
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one per test module."""
    driver = start_chromium()
    yield driver
    stop_chromium(driver)


# Tests that share one expensive build run on one worker (pytest-xdist,
# --dist loadgroup), so that each build happens once.
SHARED_BUILDS = {"built_book": "book", "book_url": "book",
                 "student_build": "student"}


def pytest_collection_modifyitems(items):
    for item in items:
        groups = {SHARED_BUILDS[name] for name in item.fixturenames
                  if name in SHARED_BUILDS}
        for group in groups:
            item.add_marker(pytest.mark.xdist_group(group))
