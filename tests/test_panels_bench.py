"""make bench times the front-end panels the chapters really show: a
``PanelWidget`` (computed and drawn in the page) has no kernel redraw
for bench_book to time, so bench_browser times it in the built page."""

import nbformat

from benchmarks.bench_browser import MOVES, front_end_panels
from jacolib import curvature_figures, linreg_figures  # the panels
from jacolib.front_end import PanelWidget
from notebook_checks import chapter_notebooks


def test_every_front_end_panel_of_the_book_is_benchmarked():
    assert linreg_figures.LearningRatePanel in PanelWidget.__subclasses__()
    assert curvature_figures.TaylorPanel in PanelWidget.__subclasses__()
    names = {cls.__name__ for cls in PanelWidget.__subclasses__()}
    shown = [(path.stem, name) for path in chapter_notebooks()
             for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code"
             for name in sorted(names) if f"{name}(" in cell.source]
    assert front_end_panels() == shown
    assert ("01_linear_regression", "LearningRatePanel") in shown
    assert ("02_1_taylor_hessian", "TaylorPanel") in shown


def test_the_bench_moves_reach_both_ends_of_every_slider():
    # END and HOME put a range input at its max and min; the arrows then
    # step through the middle.
    assert MOVES[:2] == ["END", "HOME"]
    assert set(MOVES[2:]) == {"ARROW_RIGHT"}
