"""make bench times the panels the chapters really build."""

import ipywidgets as widgets
import pytest

from benchmarks.bench_book import notebook_panels, panel_moves
from notebook_checks import chapter_notebooks, read
from jacolib.widgets import LivePanel


@pytest.fixture(scope="module")
def panels():
    """Each chapter's panel, built as make bench builds it (by running
    the chapter's cells up to it): once for both tests."""
    return list(notebook_panels())


def test_every_panel_of_the_book_is_benchmarked(panels):
    found = [chapter for chapter, _ in panels]
    expected = [path.stem for path in chapter_notebooks()
                for cell in read(path).cells
                if cell.cell_type == "code"
                and "LivePanel(" in cell.source]
    assert found == expected and len(found) >= 3


def test_the_moves_reach_both_ends_of_every_slider(panels):
    for _, panel in panels:
        assert isinstance(panel, LivePanel)
        moves = panel_moves(panel)
        for name, control in panel.controls.items():
            values = [move[name] for move in moves]
            assert values[0] == control.value
            if isinstance(control, widgets.FloatSlider | widgets.IntSlider):
                assert min(values) == control.min
                assert max(values) == control.max
            if isinstance(control, widgets.SelectionSlider):
                ends = [control.options[0][1], control.options[-1][1]]
                assert set(ends) <= set(values)
