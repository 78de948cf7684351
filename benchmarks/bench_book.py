"""Budgets of the book itself: notebook execution, build, panel redraws.

- each notebook executes on a fresh kernel in < 30 s (2 cores);
- the HTML build on an installed venv takes < 60 s, the tests < 5 min;
- each live panel redraws in < 100 ms (median of 20 renders to Agg);
- each chapter's HTML page, widget frames included, weighs < 2 MB
  (a reader may be on a slow connection).
"""

import ast
import contextlib
import io
import subprocess
import warnings
import sys
import time
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import nbformat

import jacolib
from benchmarks.budget import Budget
from jacolib.timing import median_seconds

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def panel_cells(path):
    """The code cells a chapter runs before its live panel, and the
    panel's own cell (None if it has none); the hidden install cell and
    the wall-clock timing cells are left out."""
    cells = [c for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "code" and c.id != "install-jacolib"
             and not c.id.startswith("timing-")]
    panels = [i for i, c in enumerate(cells) if "LivePanel(" in c.source]
    if len(panels) > 1:
        raise ValueError(f"{path.name}: one live panel per chapter; "
                         f"got {len(panels)}")
    if not panels:
        return [], None
    split_panel_cell(cells[panels[0]].source)  # fails early if malformed
    return cells[:panels[0]], cells[panels[0]]


def split_panel_cell(source):
    """(the statements before it, the ``LivePanel(...)`` expression) of
    a panel's cell, whose last expression must be the panel."""
    *body, last = ast.parse(source).body
    if not (isinstance(last, ast.Expr) and "LivePanel(" in
            ast.get_source_segment(source, last)):
        raise ValueError("a panel's cell must end with LivePanel(...); "
                         f"got {source.splitlines()[-1]!r}")
    return ast.Module(body=body, type_ignores=[]), last.value


def notebook_panels(chapters=CHAPTERS):
    """Every live panel of the book, built by its chapter's own call.

    The chapter's code cells run in order up to the panel's cell, then
    the ``LivePanel(...)`` expression of that cell is evaluated, so the
    bench times the panel the reader gets, at its default size.
    """
    for path in chapters:
        before, panel = panel_cells(path)
        if panel is None:
            continue
        namespace = {}
        for cell in before:
            _run_quietly(cell.source, namespace)
        body, expression = split_panel_cell(panel.source)
        _run_quietly(body, namespace)
        yield path.stem, eval(compile(ast.Expression(expression),
                                      "<panel>", "eval"), namespace)


def _run_quietly(code, namespace):
    if isinstance(code, ast.Module):
        code = compile(code, "<cell>", "exec")
    # The cells' own prints and warnings (e.g. plt.show() under Agg) are
    # the chapter's, not the bench's: its table stays readable.
    with warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        exec(code, namespace)
    plt.close("all")


def control_positions(control):
    """Four values of a control: its default, both ends, the middle."""
    if isinstance(control, widgets.Checkbox):
        return [control.value, not control.value] * 2
    if isinstance(control, widgets.SelectionSlider):  # frames drawn ahead
        values = [value for _, value in control.options]
        return [control.value, values[0], values[-1],
                values[len(values) // 2]]
    if isinstance(control, widgets.Dropdown):
        options = list(control.options)
        return [options[i % len(options)] for i in range(4)]
    low, high = control.min, control.max
    middle = (low + high) // 2 if isinstance(low, int) else (low + high) / 2
    return [control.value, low, high, middle]


def panel_moves(panel):
    """Four settings of all the controls at once, to cycle through."""
    positions = {name: control_positions(control)
                 for name, control in panel.controls.items()}
    return [{name: values[i] for name, values in positions.items()}
            for i in range(4)]


def cycling_redraw(panel):
    """A call that redraws ``panel`` at the next of its four moves."""
    moves, calls = panel_moves(panel), iter(range(10**6))

    def move():
        panel.render(**moves[next(calls) % len(moves)])
    return move


def panel_budgets():
    jacolib.setup()
    rows = []
    for chapter, panel in notebook_panels():
        seconds = median_seconds(cycling_redraw(panel), repeats=20)
        rows.append(Budget(f"{chapter} panel: redraw (median of 20)",
                           seconds * 1000, 100, "ms"))
    return rows


def _timed(command):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True,
                            text=True)
    if result.returncode != 0:  # say what failed, not only that it did
        raise RuntimeError(f"{' '.join(command)} failed:\n"
                           + (result.stdout + result.stderr)[-4000:])
    return time.perf_counter() - start


def notebook_budgets():
    rows = []
    for path in CHAPTERS:
        # Execute a copy: the budget must not rewrite the stored notebook.
        seconds = _timed([sys.executable, "-m", "jupyter", "nbconvert",
                          "--to", "notebook", "--execute", "--stdout",
                          str(path)])
        rows.append(Budget(f"{path.stem}: execute on a fresh kernel",
                           seconds, 30, "s"))
    return rows


def build_and_test_budgets():
    bin_dir = Path(sys.executable).parent
    build = _timed([str(bin_dir / "jupyter-book"), "build", ".", "--all",
                    "--keep-going"])
    # The body of `make test` once the venv and assets are installed.
    tests = _timed([sys.executable, "-m", "pytest", "-q", "-p",
                    "no:cacheprovider"])
    return [Budget("make book: full HTML build (installed venv)", build,
                   60, "s"),
            Budget("make test: every test (installed venv)", tests / 60,
                   5, "min")]


def page_weight_budgets():
    # Run after the build above; the widget frames are in the page.
    return [Budget(f"{path.stem}: HTML page weight",
                   (ROOT / "_build/html/book" / f"{path.stem}.html")
                   .stat().st_size / 1e6, 2, "MB") for path in CHAPTERS]


def budgets():
    return (panel_budgets() + notebook_budgets() + build_and_test_budgets()
            + page_weight_budgets())
