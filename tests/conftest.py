"""Shared fixtures: the strictly built book, served on 127.0.0.1."""

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

# The browser checks called from test_reader_browser report their
# values when they fail, as a test's own asserts do.
pytest.register_assert_rewrite("front_end_panels")

from browser import start_chromium, stop_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))  # install_cell, student_edition


# The two builds the tests share (the book, and the student edition)
# start in the background as soon as the tests are collected, on one
# worker, while both workers run the tests that need no build; the tests
# that need a build are put last and wait for its result on disk. So
# each build happens once per run and no worker sits idle waiting.
NEEDS_BOOK = {"built_book", "book_url"}
NEEDS_STUDENT = {"student_build"}
WAIT_FOR_BUILD = 1500  # seconds; a build takes 1-2 minutes
STUDENT_URL = "https://github.com/a-course/students"


def _run_directory(config):
    uid = (config.workerinput["testrunuid"]
           if hasattr(config, "workerinput") else config._jacolib_uid)
    return Path(tempfile.gettempdir()) / f"jacolib-tests-{uid}"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller, or no xdist
        uid = getattr(config.option, "testrunuid", None) or uuid.uuid4().hex
        if hasattr(config.option, "testrunuid"):
            config.option.testrunuid = uid  # the one xdist hands out
        config._jacolib_uid = uid


def pytest_sessionfinish(session):
    # After every worker has finished: the student edition's sources and
    # HTML (the book's HTML stays in _build/html, to look at).
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(_run_directory(session.config), ignore_errors=True)


def _write(path, returncode, stdout, stderr):
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"returncode": returncode,
                                   "stdout": stdout, "stderr": stderr}))
    partial.rename(path)  # whole or absent: readers never see half


def _build_in_background(directory, book, student):
    try:
        if book:
            jupyter_book = Path(sys.executable).parent / "jupyter-book"
            result = subprocess.run(
                [str(jupyter_book), "build", ".", "--all", "-W",
                 "--keep-going"],
                cwd=ROOT, capture_output=True, text=True, timeout=900)
            _write(directory / "book.json", result.returncode,
                   result.stdout, result.stderr)
        if student:
            import student_edition
            # An instructor's repository, with a file of an old edition.
            source = directory / "student" / "src"
            (source / ".git").mkdir(parents=True)
            (source / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
            (source / "stale.txt").write_text("from an older edition")
            student_edition.write_sources(source, STUDENT_URL)
            result = student_edition.build(source)
            _write(directory / "student.json", result.returncode,
                   result.stdout, result.stderr)
    except Exception as error:  # reported by the tests that wait
        for name, wanted in (("book", book), ("student", student)):
            path = directory / f"{name}.json"
            if wanted and not path.exists():
                _write(path, 1, "", f"the build failed to run: {error!r}")


def _needs(item, names):
    return bool(names & set(item.fixturenames))


def _page_size(item):
    """The source size of the page a test visits (0 for no page): the
    longest visits go first, so that the workers end together."""
    page = getattr(item, "callspec", None) and item.callspec.params.get(
        "page")
    sources = [ROOT / f"{page}{suffix}" for suffix in (".ipynb", ".md")]
    return next((path.stat().st_size for path in sources
                 if isinstance(page, str) and path.is_file()), 0)


def pytest_collection_modifyitems(config, items):
    # Every worker collects the same items and orders them the same way.
    items.sort(key=lambda item: (_needs(item, NEEDS_STUDENT),
                                 _needs(item, NEEDS_BOOK),
                                 item.get_closest_marker("slow") is None,
                                 -_page_size(item)))
    starter = os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0"
    book = any(_needs(item, NEEDS_BOOK) for item in items)
    student = any(_needs(item, NEEDS_STUDENT) for item in items)
    if starter and (book or student):
        directory = _run_directory(config)
        directory.mkdir(parents=True, exist_ok=True)
        threading.Thread(target=_build_in_background,
                         args=(directory, book, student),
                         daemon=True).start()


def _wait_for(config, name):
    path = _run_directory(config) / f"{name}.json"
    deadline = time.monotonic() + WAIT_FOR_BUILD
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the {name} build did not finish in "
                        f"{WAIT_FOR_BUILD} s")
        time.sleep(1)
    data = json.loads(path.read_text())
    return SimpleNamespace(**data, log=data["stdout"] + data["stderr"])


@pytest.fixture(scope="session")
def built_book(request):
    """The whole book built as CI does: -W turns warnings into failure."""
    return _wait_for(request.config, "book")


@pytest.fixture(scope="session")
def student_build(request):
    """The student edition written into a folder that is already a git
    repository (the instructor's), then built with its own Makefile:
    (its source folder, the build's result)."""
    result = _wait_for(request.config, "student")
    return _run_directory(request.config) / "student" / "src", result


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
