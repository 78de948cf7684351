"""Figures of chapter 2 (curvature): the Taylor panel and the plots.

The chapter's computations live in ``jacolib.curvature``; this module
only lays out figures: a 2-D example loss, the live Taylor panel
(``TaylorScene``), contour panels of stationary points, sorted
eigenvalue spectra on a symmetric-log axis, and curve plots.
"""

import numpy as np
import torch
from torch.func import hessian, vmap

from jacolib import curvature
from jacolib.plotting import PALETTE


def curved_double_well(w):
    """L(w) = ¼(w₁² − 1)² + (w₂ − ½ w₁²)², for w of shape (..., 2).

    A curved valley with minima at (±1, ½) and a saddle at (0, 0),
    where the Hessian is diag(−1, 2). Works on torch tensors and numpy
    arrays alike (only elementwise arithmetic).
    """
    if w.shape[-1:] != (2,):
        raise ValueError(
            f"w must have shape (..., 2); got {tuple(w.shape)}")
    w1, w2 = w[..., 0], w[..., 1]
    return 0.25 * (w1**2 - 1) ** 2 + (w2 - 0.5 * w1**2) ** 2


def smallest_hessian_eigenvalue_grid(loss, xlim, ylim, n=60):
    """λ_min of the Hessian of a 2-D ``loss`` on an n×n grid.

    Returns (X, Y, Λ) as numpy arrays of shape (n, n); where Λ < 0 the
    loss is not convex around that point.
    """
    xs = torch.linspace(*xlim, n, dtype=torch.float64)
    ys = torch.linspace(*ylim, n, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    points = torch.stack([X, Y], dim=-1).reshape(-1, 2)
    H = vmap(hessian(loss))(points)
    smallest = torch.linalg.eigvalsh(H)[:, 0].reshape(n, n)
    return X.numpy(), Y.numpy(), smallest.numpy()


class TaylorScene:
    """The live Taylor panel: a 2-D loss, a point w and a direction d.

    Left: contours of ``curved_double_well`` (shaded where its Hessian
    has a negative eigenvalue), the point and the line w + t d. Right:
    the change of the loss along that line and its first- and
    second-order Taylor models. Limits are fixed, so that only the
    moving artists are redrawn (blitting).
    """

    xlim, ylim = (-2.0, 2.0), (-1.5, 2.5)
    steps = np.linspace(-1.5, 1.5, 61)
    change_limits = (-2.0, 3.0)

    def __init__(self, fig):
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15,
                            top=0.88, wspace=0.3)
        self.ax_map, self.ax_line = fig.subplots(
            1, 2, gridspec_kw={"width_ratios": [1.0, 1.25]})
        self._setup_map()
        self._setup_line()

    def _setup_map(self):
        ax = self.ax_map
        X, Y, smallest = smallest_hessian_eigenvalue_grid(
            curved_double_well, self.xlim, self.ylim)
        values = curved_double_well(np.stack([X, Y], axis=-1))
        ax.contourf(X, Y, smallest < 0, levels=[0.5, 1.5],
                    colors=["0.88"])
        ax.contour(X, Y, values, levels=np.geomspace(0.01, 8, 14),
                   linewidths=0.8, cmap="viridis")
        ax.set(xlim=self.xlim, ylim=self.ylim, aspect="equal",
               xlabel="$w_1$", ylabel="$w_2$",
               title="loss $L(w)$; grey: $H$ not PSD")
        self.line, = ax.plot([], [], color=PALETTE[1], lw=1.5,
                             label="$w + t\\,d$")
        self.point, = ax.plot([], [], "o", color=PALETTE[7], ms=6,
                              label="expansion point $w$")
        self.legend = ax.legend(loc="lower center", fontsize=8, ncol=2,
                                frameon=True, framealpha=0.9)

    def _setup_line(self):
        ax = self.ax_line
        ax.set(xlim=(self.steps[0], self.steps[-1]),
               ylim=self.change_limits, xlabel="position $t$ along $d$",
               ylabel="$L(w + t\\,d) - L(w)$")
        ax.axhline(0.0, color="0.5", lw=0.8)
        names = ("loss", "first-order model", "second-order model")
        styles = ("-", "--", ":")
        self.curves = [ax.plot([], [], ls, lw=2, label=name)[0]
                       for name, ls in zip(names, styles)]
        self.line_legend = ax.legend(loc="upper center", fontsize=8,
                                     frameon=True, framealpha=0.9)
        self.title = ax.set_title(" ")

    def update(self, w1, w2, angle):
        """angle: ψ in degrees, the direction d = (cos ψ, sin ψ)."""
        w = torch.tensor([w1, w2], dtype=torch.float64)
        radians = np.deg2rad(angle)
        d = torch.tensor([np.cos(radians), np.sin(radians)],
                         dtype=torch.float64)
        models = curvature.taylor_models(curved_double_well, w, d,
                                         self.steps)
        value = curved_double_well(w)
        for curve, model in zip(self.curves, models[1:]):
            # Clip far outside the view: Agg dislikes huge coordinates.
            shown = np.clip((model - value).numpy(), -1e3, 1e3)
            curve.set_data(self.steps, shown)
        ends = w.numpy() + np.outer(self.steps[[0, -1]], d.numpy())
        self.line.set_data(ends[:, 0], ends[:, 1])
        self.point.set_data([w1], [w2])
        slope, curv = curvature.slope_and_curvature(
            curved_double_well, w, d)
        self.title.set_text(f"slope $g^\\top d$ = {slope.item():+.2f},  "
                            f"curvature $d^\\top H d$ = {curv.item():+.2f}")
        return [self.line, self.point, self.legend, *self.curves,
                self.line_legend, self.title]


def draw_stationary_points(fig, examples, lim=1.5, n=81):
    """One contour panel per (label, fn, kind) in ``examples``.

    fn maps points (..., 2) to values; the stationary point at the
    origin is marked, and each title gives the label and the kind.
    """
    axes = fig.subplots(1, len(examples), squeeze=False)[0]
    xs = np.linspace(-lim, lim, n)
    X, Y = np.meshgrid(xs, xs)
    for ax, (label, fn, kind) in zip(axes, examples):
        Z = fn(np.stack([X, Y], axis=-1))
        ax.contourf(X, Y, Z, levels=15, cmap="viridis")
        ax.contour(X, Y, Z, levels=15, colors="white", linewidths=0.4)
        ax.plot(0, 0, "o", color="white", mec="black", ms=6)
        ax.set(aspect="equal", title=f"{label}\n{kind}", xlabel="$w_1$")
        ax.grid(False)
    axes[0].set_ylabel("$w_2$")
    return axes


def plot_sorted_spectra(ax, spectra, linear_width=1e-4):
    """Sorted eigenvalues against their rank, on a symmetric-log axis.

    spectra: {label: eigenvalues (n,)}. Within ±linear_width the axis
    is linear, so zeros and tiny eigenvalues of both signs stay visible.
    """
    for label, eigenvalues in spectra.items():
        values = np.sort(np.asarray(eigenvalues, dtype=np.float64))
        ax.plot(np.arange(1, values.size + 1), values, lw=1.6,
                label=label)
    ax.set_yscale("symlog", linthresh=linear_width)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("rank $i$ (ascending)")
    ax.set_ylabel("eigenvalue $\\lambda_i$")
    ax.legend()
    return ax


def plot_curves(ax, x, curves, styles=None):
    """Several curves y(x) with labels: curves is {label: y}."""
    styles = styles or {}
    for label, y in curves.items():
        ax.plot(np.asarray(x), np.asarray(y), styles.get(label, "-"),
                label=label)
    ax.legend()
    return ax


def draw_curve_panels(fig, x, panels):
    """One axes per panel, side by side, all against the same x.

    panels: list of (title, ylabel, {label: y}); styles cycle through
    solid, dashed and dotted so that overlapping curves stay visible.
    """
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, ylabel, curves) in zip(axes, panels):
        styles = dict(zip(curves, ["-", "--", ":", "-."]))
        plot_curves(ax, x, curves, styles)
        ax.set(title=title, ylabel=ylabel, xlabel="input $x$")
    return axes


def plot_fit_with_moved_target(ax, X, y, index, x_grid, fit):
    """Training data (X, y), each (N, 1), the fitted curve on x_grid,
    and a ring around the target ``index`` that is moved."""
    ax.plot(X, y, "o", ms=4, color=PALETTE[0], label="targets $y$")
    ax.plot(X[index], y[index], "o", ms=10, mfc="none", color=PALETTE[1],
            label=f"$y_{{{index}}}$, the one moved")
    ax.plot(x_grid, fit, color=PALETTE[2], label="fit $f(x; w^*)$")
    ax.set(xlabel="$x$", ylabel="$f(x)$", title="the trained network")
    ax.legend(fontsize=8)
    return ax


def plot_loss_and_top_eigenvalue(ax_loss, ax_top, losses, largest, lr,
                                 first_step=0):
    """A gradient-descent run next to its sharpest curvature.

    Left: the loss at every step from ``first_step`` on (losses: (K+1,)).
    Right: λmax at the checkpoints (largest: {step: λmax}) and the
    threshold 2/lr, chapter 1's largest stable curvature for that rate.
    """
    losses = np.asarray(losses, dtype=np.float64)
    steps = np.arange(first_step, losses.size)
    ax_loss.plot(steps, losses[first_step:], lw=1.2)
    ax_loss.set(xlabel="step $k$", ylabel="loss $L(w^{(k)})$",
                title=f"the loss, from step {first_step}")
    checkpoints = sorted(largest)
    ax_top.plot(checkpoints, [largest[k] for k in checkpoints], "o-",
                ms=5, label="$\\lambda_{\\max}$ at the checkpoints")
    ax_top.axhline(2 / lr, color="0.3", ls="--", lw=1.2,
                   label=f"$2/\\alpha$ = {2 / lr:g}")
    ax_top.set(xlabel="step $k$", ylabel="$\\lambda_{\\max}(H)$",
               title="the largest eigenvalue of the Hessian")
    ax_top.legend(loc="lower right")
    return ax_loss, ax_top
