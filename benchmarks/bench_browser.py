"""Budgets measured in the browser, on the built book: chapter 5's loss
field, computed and animated in the page, keeps up with the screen
(about 60 frames per second in headless Chromium) for its 25x25 grid and
160 particles, while the target is being dragged.

Needs the built book (_build/html; `make book`) and Chromium (as for
`make test`). Runs after bench_book, which builds the book.
"""

import functools
import http.server
import statistics
import sys
import threading
import time
from pathlib import Path

from benchmarks.budget import Budget

ROOT = Path(__file__).resolve().parent.parent
PAGE = "book/05_loss_geometry.html"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _served(directory):
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def field_frames_per_second(seconds=3):
    """Median frames per second of the field over ``seconds`` one-second
    windows, with the target moved by a key press every 100 ms."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import start_chromium, stop_chromium
    from selenium.webdriver.common.keys import Keys

    server = _served(ROOT / "_build" / "html")
    driver = start_chromium()
    try:
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/{PAGE}")
        canvas = _wait(driver, "return document.querySelector("
                               "'.jacolib-field canvas')")
        driver.execute_script("arguments[0].scrollIntoView()", canvas)
        canvas.click()
        readings = []
        for second in range(seconds + 1):
            for _ in range(10):  # drag by keys: the field is recomputed
                canvas.send_keys(Keys.ARROW_LEFT if second % 2
                                 else Keys.ARROW_RIGHT)
                time.sleep(0.1)
            readings.append(float(driver.execute_script(
                "return document.querySelector('.jacolib-field')"
                ".dataset.fps")))
        return statistics.median(readings[1:])  # the first warms up
    finally:
        stop_chromium(driver)
        server.shutdown()


def _wait(driver, script, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            time.sleep(1.5)  # the animation's first fps reading
            return value
        time.sleep(0.2)
    raise TimeoutError(f"the page did not show the field: {script}")


def budgets() -> list[Budget]:
    return [Budget("05_loss_geometry field: frames per second while "
                   "moving", field_frames_per_second(), 55, "fps",
                   at_most=False)]
