"""make bench times the panels the chapters really build."""

import ast

import ipywidgets as widgets
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from benchmarks.bench_book import (cycling_redraw, notebook_panels,
                                   panel_cells, panel_moves,
                                   split_panel_cell)
from jacolib.widgets import LivePanel
from notebook_checks import chapter_notebooks, read


def test_every_panel_of_the_book_is_benchmarked():
    # Found without running the chapters: each chapter's panel cell, and
    # the cells it needs before it. (Running them all would repeat what
    # nbval does; one chapter is built in the next test.)
    found = {path.stem: panel_cells(path)
             for path in chapter_notebooks()}
    expected = [path.stem for path in chapter_notebooks()
                if any(cell.cell_type == "code"
                       and "LivePanel(" in cell.source
                       for cell in read(path).cells)]
    assert [name for name, (_, panel) in found.items()
            if panel is not None] == expected and len(expected) >= 3
    for path in chapter_notebooks():
        before, panel = found[path.stem]
        if panel is None:
            continue
        # The cells the bench leaves out (the install cell, the timing
        # cells) must define nothing that the cells it runs need.
        cells = [c for c in read(path).cells if c.cell_type == "code"]
        left_out = [c for c in cells[:cells.index(panel)] if c not in before]
        assert left_out, path.stem  # the install cell at least
        defined_there = set().union(*(names(c.source)[0] for c in left_out))
        defined, used = (set().union(*sets) for sets in zip(
            *(names(c.source) for c in before + [panel])))
        assert (used & defined_there) - defined == set(), path.stem


def names(source):
    """(the names a cell binds, the names it reads)."""
    bound, read_ = set(), set()
    python = TransformerManager().transform_cell(source)  # %pip etc.
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read_).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(alias.asname or alias.name).split(".")[0]
                      for alias in node.names}
    return bound, read_


def test_a_panel_cell_must_end_with_the_panel():
    with pytest.raises(ValueError, match="must end with LivePanel"):
        split_panel_cell("panel = LivePanel(scene, x=(0, 1, 1, 0))\n"
                         "print('built')")


def test_the_bench_builds_a_chapter_panel_as_the_reader_gets_it():
    chapter = next(path for path in chapter_notebooks()
                   if panel_cells(path)[1] is not None)
    (name, panel), = notebook_panels([chapter])
    assert name == chapter.stem and isinstance(panel, LivePanel)
    # The four moves, every control at once: as many pictures as moves
    # (a default may be an end).
    moves = panel_moves(panel)
    pictures = {panel.render(**move) for move in moves}
    assert len(pictures) == len({tuple(m.items()) for m in moves}) >= 2
    assert all(picture.startswith(b"\x89PNG") for picture in pictures)
    cycling_redraw(panel)()  # what the bench times runs too


def every_kind_of_control():
    """A panel with each kind of control the bench moves."""
    def draw(fig, **values):
        fig.add_subplot().set_title(repr(values))
    return LivePanel(draw, figsize=(2, 1), frames={"step": [0, 1, 2, 3]},
                     step=(0, 3, 1, 1), width=(1, 5, 1, 2),
                     rate=(0.1, 2.0, 0.1, 0.5),
                     loss=["mse", "cos", "dot"], show=True)


def test_the_moves_reach_both_ends_of_every_slider():
    panel = every_kind_of_control()
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
        if isinstance(control, widgets.Dropdown | widgets.Checkbox):
            assert len(set(values)) >= 2
    assert {type(c).__name__ for c in panel.controls.values()} >= {
        "SelectionSlider", "IntSlider", "FloatSlider", "Dropdown",
        "Checkbox"}
