"""Chapter 7's figures: the scalar flows, the unmixing runs, the learned
2-D densities, the cost sweep, and the live panel's scene
(``UnmixingScene``: the NLL, the Amari distance and the matrix K = W M
of one unmixing run, step by step). Lines that differ in colour differ
in line style or marker too."""

import numpy as np
import torch

from jacolib import pdm_unmixing
from jacolib.plotting import LINESTYLES, PALETTE
from jacolib.timing import loglog_slope

__all__ = ["UnmixingScene", "density_grid", "plot_costs",
           "plot_flow_row", "plot_scalar", "plot_unmixing"]

BLUE, ORANGE, GREEN, BLACK = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[7]
METHOD_STYLE = {"exact": (ORANGE, "--"), "relative": (BLUE, "-"),
                "relative-code": (GREEN, "-.")}


def plot_scalar(axes, w_grid, directions, paths):
    """Left: each ascent direction against w. Right: the paths w⁽ᵏ⁾.

    ``directions`` and ``paths`` map a label to an array: over
    ``w_grid``, and (steps + 1, starts) of gradient ascent.
    """
    for (label, values), color, style in zip(directions.items(),
                                             (ORANGE, BLUE), ("--", "-")):
        axes[0].plot(w_grid, values, style, color=color, label=label)
    axes[0].axhline(0, color="0.4", lw=0.8)
    axes[0].set(xlabel="$w$", ylabel="ascent direction",
                ylim=(-4, 6), title="the two directions")
    axes[0].legend(loc="upper right")
    for (label, path), color, style in zip(paths.items(), (ORANGE, BLUE),
                                           ("--", "-")):
        lines = axes[1].plot(path, style, color=color)
        lines[0].set_label(label)
    axes[1].set(xlabel="step $k$", ylabel="$w^{(k)}$", yscale="log",
                title="gradient ascent from three starts")
    axes[1].legend(loc="lower right")


def plot_unmixing(axes, runs, problem, seed_index=0):
    """The NLL of the sources (left) and the Amari distance (right) of
    one seed, for each run in ``runs`` {method: UnmixingRun} and each
    mixing of ``problem``: the method sets the colour and the line
    style, the mixing the marker (none for the first)."""
    n_seeds = len(problem.seeds)
    for method, run in runs.items():
        color, style = METHOD_STYLE[method]
        for c, condition in enumerate(problem.conditions):
            copy = c * n_seeds + seed_index
            label = f"{method}, condition {condition:g}"
            steps = np.arange(run.nll.shape[-1]) * run.every
            # dots on the second mixing: its line may hide under the first
            marks = {"marker": "o", "ms": 3, "markevery": 0.1} if c else {}
            axes[0].plot(steps, run.nll[copy], color=color, ls=style,
                         label=label, **marks)
            axes[1].semilogy(run.amari[copy], color=color, ls=style,
                             label=label, **marks)
    axes[1].axhline(0.05, color="0.4", lw=0.8)
    axes[0].set(xlabel="step $k$", ylabel="NLL of the sources (nats)",
                title="negative log-likelihood")
    axes[1].set(xlabel="step $k$", ylabel="Amari distance of $K = WM$",
                title="distance to a scaled permutation")
    axes[1].legend(fontsize=8)


def density_grid(flow, lim=3.0, n=100):
    """exp(log p) of every copy of ``flow`` on an n x n grid of
    [-lim, lim]²: (X, Y, densities (..., n, n))."""
    axis = torch.linspace(-lim, lim, n, dtype=torch.float64)
    X, Y = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([X, Y], -1).reshape(-1, 2)
    with torch.no_grad():
        density = flow.log_prob(points).exp()
    return X.numpy(), Y.numpy(), density.reshape(
        *flow.batch_shape, n, n).numpy()


def plot_flow_row(axes, name, data, grid, first, samples, latents,
                  lim=3.0):
    """One data set's row: its training data; the densities of copies
    ``first`` (exact) and ``first + 1`` (relative) of ``grid``, the
    latter with ``samples`` of the flow; held-out ``latents`` f(x)."""
    X, Y, densities = grid
    axes[0].scatter(*np.asarray(data).T, s=2, color=BLACK, alpha=0.5)
    for ax, copy in zip(axes[1:3], (first, first + 1)):
        ax.pcolormesh(X, Y, densities[copy], shading="auto",
                      cmap="viridis")
    axes[2].scatter(*np.asarray(samples).T, s=1.5, color="white",
                    alpha=0.8)
    axes[3].scatter(*np.asarray(latents).T, s=1.5, color=BLUE, alpha=0.4)
    angles = np.linspace(0, 2 * np.pi, 100)
    for radius in (1, 2):
        axes[3].plot(radius * np.cos(angles), radius * np.sin(angles),
                     color=BLACK, lw=1)
    titles = [f"{name}: training data", "exact: density",
              "relative: density, samples", "relative: z = f(x)"]
    for ax, title in zip(axes, titles):
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
               title=title)
        ax.set_title(title, fontsize=9)
        ax.grid(False)
    for ax in axes[:3]:
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
    axes[3].set(xlabel="$z_1$", ylabel="$z_2$")


def plot_costs(axes, dims, sweeps):
    """One log-log axes per batch size: seconds per step against n, with
    the fitted slope of each method in its label. ``sweeps`` maps N to
    ``pdm_costs.cost_sweep``'s result."""
    colors = dict(zip(sweeps[next(iter(sweeps))], (BLUE, GREEN, ORANGE,
                                                   PALETTE[3])))
    for ax, (N, seconds) in zip(axes, sweeps.items()):
        for (name, times), style in zip(seconds.items(), LINESTYLES):
            slope = loglog_slope(dims[-3:], times[-3:])
            ax.loglog(dims, times * 1e3, "o", ls=style,
                      color=colors[name], ms=4,
                      label=f"{name} (slope {slope:.1f})")
        ax.set(xlabel="dimension $n$", ylabel="ms per step",
               title=f"one gradient step, batch N = {N}")
        ax.legend(fontsize=8)


class UnmixingScene:
    """The live panel: NLL of the sources and Amari distance against
    the step, and |K| = |W M| at the chosen step, for one unmixing run
    (condition number 10, seed 0). Runs are cached by (n, method, lr)."""

    steps, nll_range = 150, (1.3, 1.45)

    def __init__(self, fig):
        fig.subplots_adjust(left=0.085, right=0.98, bottom=0.16, top=0.8,
                            wspace=0.4)
        self.ax_nll, self.ax_amari, self.ax_K = fig.subplots(1, 3)
        self.ax_nll.set(xlim=(0, self.steps), ylim=self.nll_range,
                        yticks=np.arange(1.3, 1.46, 0.05),
                        xlabel="step $k$", ylabel="NLL per source (nats)")
        self.ax_amari.set(xlim=(0, self.steps), ylim=(0.005, 1),
                          yscale="log", xlabel="step $k$",
                          ylabel="Amari distance")
        self.ax_amari.axhline(0.05, color="0.4", lw=0.8)
        self.nll_line, = self.ax_nll.plot([], [], color=BLUE)
        self.nll_now, = self.ax_nll.plot([], [], "o", color=ORANGE)
        self.amari_line, = self.ax_amari.plot([], [], color=BLUE)
        self.amari_now, = self.ax_amari.plot([], [], "o", color=ORANGE)
        self.image = self.ax_K.imshow(np.zeros((2, 2)), vmin=0, vmax=1,
                                      cmap="viridis",
                                      extent=(0, 1, 1, 0))
        self.ax_K.set(xticks=[], yticks=[], xlabel="source $j$",
                      ylabel="latent $i$")
        self.ax_K.set_title("$|K_{ij}|$ / largest in row $i$", fontsize=9)
        bar = fig.colorbar(self.image, ax=self.ax_K, ticks=[0, 1],
                           fraction=0.046, pad=0.04)
        bar.ax.set_yticklabels(["0", "1"])
        self.ax_nll.set_title("negative log-likelihood")
        self.ax_amari.set_title("distance to a permutation")
        self.ax_K.grid(False)
        self.title = fig.suptitle(" ")
        self.cache = {}

    def run(self, n, method, lr):
        key = (n, method, lr)
        if key not in self.cache:
            problem = pdm_unmixing.unmixing_problem(
                n, 500, conditions=(10,), seeds=[0])
            self.cache[key] = pdm_unmixing.unmix(
                problem, method, "sgd", lr, self.steps, every=1)
        return self.cache[key]

    def update(self, n, method, lr, step):
        run = self.run(n, method, lr)
        nll = run.nll[0].numpy() / n
        amari = run.amari[0].numpy()
        shown = min(step, len(amari) - 1)
        self.nll_line.set_data(np.arange(len(nll)), nll)
        self.amari_line.set_data(np.arange(len(amari)), amari)
        self.nll_now.set_data([shown], [np.clip(nll[shown],
                                                *self.nll_range)])
        self.amari_now.set_data([shown], [amari[shown]])
        K = run.K[0, shown].abs()
        self.image.set_data((K / K.amax(-1, keepdim=True)).numpy())
        stopped = run.stopped_at[0].item()
        note = f"; stopped at step {stopped}" if stopped >= 0 else ""
        self.title.set_text(
            f"{method} gradient, n = {n}, α = {lr:g}, step {shown}: "
            f"Amari distance {amari[shown]:.3f}{note}")
        return [self.nll_line, self.nll_now, self.amari_line,
                self.amari_now, self.image, self.title]

    def describe(self, n, method, lr, step):
        """The figure in words, for its text alternative."""
        run = self.run(n, method, lr)  # cached by the redraw
        amari = run.amari[0].numpy()
        shown = min(step, len(amari) - 1)
        first = pdm_unmixing.steps_to(run.amari[:1])[0].item()
        when = (f"first below 0.05 at step {first}" if first >= 0 else
                f"not below 0.05 within {self.steps} steps")
        state = ("each row and column of |K| has one bright cell"
                 if amari[shown] < 0.05 else "|K| is not yet a scaled "
                 "permutation")
        nll = run.nll[0, shown].item() / n
        nll = f", NLL {nll:.3f} nats per source" if np.isfinite(nll) else ""
        stopped = run.stopped_at[0].item()
        stop = (f" The run stopped at step {stopped}: a W became "
                f"ill-conditioned." if stopped >= 0 else "")
        return (f"Unmixing {n} sources mixed with condition number 10 by "
                f"gradient ascent with the {method} gradient at "
                f"α = {lr:g}, at step {shown}: Amari distance "
                f"{amari[shown]:.3f} ({when}){nll}; {state}. Left, the NLL "
                f"per source against the step; middle, the Amari "
                f"distance, with a line at 0.05; right, |K| = |WM|, rows "
                f"scaled to a largest entry of 1.{stop}")
