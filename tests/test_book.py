"""The strict HTML build: no warning, every chapter, assets served locally."""

import re

import pytest

from conftest import HTML
from notebook_checks import chapter_notebooks

pytestmark = pytest.mark.slow  # builds the whole book


def test_strict_build_has_no_warning(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    warnings = [line for line in built_book.log.splitlines()
                if "WARNING" in line or "ERROR" in line]
    assert warnings == []


def test_every_chapter_has_a_page(built_book):
    for path in chapter_notebooks():
        assert (HTML / "book" / f"{path.stem}.html").is_file(), path.stem


def test_math_and_widgets_load_from_the_book_itself(built_book):
    page_path = HTML / "book" / "01_linear_regression.html"
    scripts = re.findall(r'<script[^>]+src="([^"]+)"',
                         page_path.read_text())
    remote = [src for src in scripts if re.match(r"(https?:)?//", src)]
    assert remote == []
    local = [(page_path.parent / src.split("?")[0]).resolve()
             for src in scripts]
    assert (HTML / "_static/mathjax/tex-chtml-full.js").resolve() in local
    widgets = [(HTML / "widgets" / name).resolve() for name in
               ("require.js", "jacolib-widgets.js", "embed-amd.js")]
    # In this order: require.js, our loader, then the manager.
    assert [path for path in local if path in widgets] == widgets
    assert (HTML / "widgets" / "anywidget.js").is_file()
    assert all(path.is_file() for path in local), local


def test_pages_without_widgets_load_no_widget_code(built_book):
    page = (HTML / "book" / "notation.html").read_text()
    assert "widgets/embed-amd.js" not in page
    assert "widgets/require.js" not in page


def test_widget_state_is_embedded(built_book):
    page = (HTML / "book" / "01_linear_regression.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" in page
    assert "application/vnd.jupyter.widget-view+json" in page
