"""Budgets of chapter 6's live panel (jacolib.distortion_figures.
RestorationScene) beyond the redraw that bench_book measures.

bench_book cycles every control through its ends; the panel keeps the
runs of every size it has computed, so after the first cycle those
redraws only repaint (< 100 ms). A move of a size control (n_in, n_out
or dim_sample) to a size not seen yet computes nine runs at once (three
losses × three starts) and is slower; it is measured here, honestly:

- a new size, worst case (8 x 8 with K = 1: the most steps), < 3 s;
- a new size, the default (4 x 6 with K = 2), < 0.5 s;
- a move of loss, start or epoch (cached runs), < 100 ms.
"""

import matplotlib

matplotlib.use("Agg")

import jacolib  # noqa: E402
from benchmarks.budget import Budget  # noqa: E402
from jacolib import distortion_figures  # noqa: E402
from jacolib.timing import median_seconds  # noqa: E402
from jacolib.widgets import LivePanel  # noqa: E402

CONTROLS = dict(n_in=(2, 8, 1, 6), n_out=(2, 8, 1, 4),
                dim_sample=(1, 8, 1, 2), loss=["mse", "cosine", "mix"],
                initial_messup=[1.0, 0.1, 10.0], epoch=(0, 4, 1, 4))


def _panel():
    return LivePanel(distortion_figures.RestorationScene,
                     figsize=(7.2, 5.0), **CONTROLS)


def _new_size_seconds(n_in, n_out, dim_sample, repeats):
    panels = [_panel() for _ in range(repeats + 1)]  # each one fresh
    calls = iter(panels)

    def first_visit():
        next(calls).render(n_in=n_in, n_out=n_out, dim_sample=dim_sample)
    # the panels were built at the default size: visit another one first
    for panel in panels:
        panel.scene._runs.clear()
    return median_seconds(first_visit, repeats=repeats, warmup=1)


def _cached_seconds():
    panel = _panel()
    moves = [dict(loss=loss, initial_messup=messup, epoch=epoch)
             for loss in ("mse", "cosine", "mix")
             for messup in (0.1, 10.0) for epoch in (0, 4)]
    calls = iter(range(10**6))

    def move():
        panel.render(**moves[next(calls) % len(moves)])
    return median_seconds(move, repeats=20)


def budgets() -> list[Budget]:
    jacolib.setup()
    return [
        Budget("06 panel: redraw at a new size, 8 x 8, K = 1 (median 3)",
               _new_size_seconds(8, 8, 1, 3) * 1000, 3000, "ms"),
        Budget("06 panel: redraw at a new size, 4 x 6, K = 2 (median 3)",
               _new_size_seconds(6, 4, 2, 3) * 1000, 500, "ms"),
        Budget("06 panel: move of loss, start or epoch (median of 20)",
               _cached_seconds() * 1000, 100, "ms"),
    ]
