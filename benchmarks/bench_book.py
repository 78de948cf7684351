"""Budgets of the book itself: notebook execution, build, panel redraws.

- each notebook executes on a fresh kernel in < 30 s (2 cores);
- the HTML build on an installed venv takes < 60 s, the tests < 5 min;
- each live panel redraws in < 100 ms (median of 20 renders to Agg).
"""

import subprocess
import sys
import time
from pathlib import Path

import jacolib
from benchmarks.budget import Budget
from jacolib import autodiff_figures, curvature_figures, linreg
from jacolib.timing import median_seconds
from jacolib.widgets import LivePanel

ROOT = Path(__file__).resolve().parent.parent

# One entry per live panel in the book, at its default size and values:
# (name, panel factory, values to move through while timing).
PANELS = [
    ("ch1 learning-rate panel",
     lambda: LivePanel(linreg.LearningRateScene,
                       learning_rate=(0.05, 2.5, 0.05, 1.5),
                       condition_number=(1.0, 50.0, 1.0, 10.0)),
     [{"learning_rate": lr, "condition_number": kappa}
      for lr, kappa in [(1.5, 10.0), (0.3, 50.0), (2.2, 3.0), (1.0, 1.0)]]),
    ("ch2 Taylor panel",
     lambda: LivePanel(curvature_figures.TaylorScene,
                       w1=(-2.0, 2.0, 0.05, -0.5), w2=(-1.5, 2.5, 0.05, 0.5),
                       angle=(0, 360, 5, 30)),
     [{"w1": w1, "w2": w2, "angle": angle}
      for w1, w2, angle in [(-0.5, 0.5, 30), (2.0, -1.5, 0), (-2.0, 2.5, 355),
                            (0.3, 1.0, 180)]]),
    ("ch3 JVP/VJP panel",
     lambda: LivePanel(autodiff_figures.JvpVjpScene, figsize=(9.0, 4.4),
                       x1=(-2.0, 2.0, 0.05, 0.8), x2=(-2.0, 2.0, 0.05, -0.5),
                       v_angle=(0, 360, 5, 30), u_angle=(0, 360, 5, 120)),
     [{"x1": x1, "x2": x2, "v_angle": v, "u_angle": u}
      for x1, x2, v, u in [(0.8, -0.5, 30, 120), (-2.0, 2.0, 0, 360),
                           (2.0, -2.0, 270, 45), (0.0, 0.0, 90, 90)]]),
]


def panel_budgets():
    jacolib.setup()
    rows = []
    for name, make_panel, moves in PANELS:
        panel = make_panel()
        calls = iter(range(10**6))

        def move():
            panel.render(**moves[next(calls) % len(moves)])

        seconds = median_seconds(move, repeats=20)
        rows.append(Budget(f"{name}: redraw (median of 20)",
                           seconds * 1000, 100, "ms"))
    return rows


def _timed(command):
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def notebook_budgets():
    rows = []
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
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


def budgets():
    return panel_budgets() + notebook_budgets() + build_and_test_budgets()
