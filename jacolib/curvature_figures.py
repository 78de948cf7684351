"""Figures of chapter 2 (curvature): the Taylor panel and the plots.

The chapter's computations live in ``jacolib.curvature``; this module
only lays out figures: a 2-D example loss, the live Taylor panel
(``TaylorPanel``, computed in the browser so that every control moves
on the book's static page, and ``TaylorScene``, the same figure drawn by
matplotlib in a kernel), contour panels of stationary points, sorted
eigenvalue spectra on a symmetric-log axis, curve plots, growth away
from a stationary point, and a run at the edge of stability.
"""

import numpy as np
import torch
import traitlets
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator
from torch.func import hessian, vmap

from jacolib import curvature
from jacolib.front_end import PanelWidget, contour_colors, esm_bundle
from jacolib.plotting import PALETTE

# These figures span the page, two or three panels wide, and are shown
# shrunk: a legend a size above the tick labels stays readable.
LEGEND_SIZE = 11
VALLEY_LEVELS = np.geomspace(0.01, 8, 14)  # the Taylor panel's contours
# Where the panel's text looks for the lowest loss along the line.
LINE_GRID = np.linspace(-1.5, 1.5, 3001)
# Below this size a curvature or an eigenvalue counts as zero: on the
# boundary of the grey region λmin is 0 up to rounding, and autodiff and
# the browser's formulas round differently.
ZERO = 1e-12


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
    """The Taylor panel in a kernel: a 2-D loss, a point w, a direction d.

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
        ax.contour(X, Y, values, levels=VALLEY_LEVELS,
                   linewidths=0.8, cmap="viridis")
        ax.set(xlim=self.xlim, ylim=self.ylim, aspect="equal",
               xlabel="$w_1$", ylabel="$w_2$",
               title="loss $L(w)$; grey: $H$ not PSD")
        self.line, = ax.plot([], [], color=PALETTE[1], lw=1.5,
                             label="$w + t\\,d$")
        self.point, = ax.plot([], [], "o", color=PALETTE[7], ms=6,
                              label="the point $w$")
        self.legend = ax.legend(loc="lower center", fontsize=9.5, ncol=2,
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
        self.line_legend = ax.legend(loc="upper center", fontsize=9.5,
                                     frameon=True, framealpha=0.9)
        self.title = ax.set_title(" ")

    def update(self, w1, w2, angle):
        """angle: ψ in degrees, the direction d = (cos ψ, sin ψ)."""
        w = torch.tensor([w1, w2], dtype=torch.float64)
        d = torch.tensor(_direction(angle), dtype=torch.float64)
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
        self._numbers = ((w1, w2, angle),
                         (slope.item(), curv.item(), _smallest(w)))
        return [self.line, self.point, self.legend, *self.curves,
                self.line_legend, self.title]

    def describe(self, w1, w2, angle):
        """The figure in words, for its text alternative (the numbers of
        the last update when it drew these values)."""
        values, numbers = getattr(self, "_numbers", (None, None))
        if values != (w1, w2, angle):
            w = torch.tensor([w1, w2], dtype=torch.float64)
            d = torch.tensor(_direction(angle), dtype=torch.float64)
            slope, curv = curvature.slope_and_curvature(
                curved_double_well, w, d)
            numbers = (slope.item(), curv.item(), _smallest(w))
        return describe_line(w1, w2, angle, *numbers)


def _direction(angle):
    radians = np.deg2rad(angle)
    return np.array([np.cos(radians), np.sin(radians)])


def _smallest(w):
    """λmin of the valley's Hessian at w (a tensor (2,))."""
    H = hessian(curved_double_well)(w)
    return torch.linalg.eigvalsh(H)[0].item()


def _two_decimals(x, sign=""):
    # "+.2f" or ".2f", never "-0.00": a rounding's sign says nothing.
    # Rounded to 1e-9 first, so that a tie (0.875) rounds alike whether
    # autodiff or the browser's formulas computed it (0.87499999...).
    x = round(float(x), 9)
    return f"{x:{sign}.2f}".replace("-0.00", "+0.00" if sign else "0.00")


def describe_line(w1, w2, angle, slope, curv, smallest):
    """The Taylor figure at (w₁, w₂, ψ) in words, from its slope gᵀd,
    curvature dᵀHd and the smallest Hessian eigenvalue at w: the model's
    shape and minimum, and where the loss is lowest along the line."""
    along = curved_double_well(np.array([w1, w2])
                               + LINE_GRID[:, None] * _direction(angle))
    lowest = LINE_GRID[np.argmin(along)]
    where = ("H has a negative eigenvalue (the grey region)"
             if smallest < -ZERO else "H is positive semi-definite")
    model = ("an upward parabola with its minimum at t = "
             + _two_decimals(-slope / curv) if curv > ZERO else
             "a downward parabola, with no minimum" if curv < -ZERO else
             "the tangent line, with no minimum")
    return (f"The valley loss along the line through w = "
            f"({_two_decimals(w1)}, {_two_decimals(w2)}) in the direction "
            f"ψ = {angle:g}°, from a point where {where}: slope gᵀd = "
            f"{_two_decimals(slope, '+')}, curvature dᵀHd = "
            f"{_two_decimals(curv, '+')}, so the second-order model is "
            f"{model}; on t in [-1.5, 1.5] the loss itself is lowest at "
            f"t = {_two_decimals(lowest)}. Left, the contours with the "
            f"point and the line; right, the loss along the line and its "
            f"first- and second-order Taylor models against t.")


class TaylorPanel(PanelWidget):
    """Chapter 2's Taylor panel in the browser: ``TaylorScene``'s figure
    computed and drawn by the page itself, so that every control moves
    on the static book.

    Controls: the point ``w1`` in [−2, 2] and ``w2`` in [−1.5, 2.5]
    (also dragged on the map) and the direction's ``angle`` ψ in
    [0, 360] degrees. The figure's text alternative is
    ``TaylorScene.describe`` at the current values, kept up to date by
    the page.
    """

    RANGES = {"w1": (-2.0, 2.0, 0.05), "w2": (-1.5, 2.5, 0.05),
              "angle": (0.0, 360.0, 5.0)}
    _esm = traitlets.Unicode(esm_bundle("taylor_panel")).tag(sync=True)
    w1 = traitlets.Float(0.0).tag(sync=True)
    w2 = traitlets.Float(0.0).tag(sync=True)
    angle = traitlets.Float(30.0).tag(sync=True)
    scene = traitlets.Dict({
        "steps": TaylorScene.steps.tolist(),
        "levels": VALLEY_LEVELS.tolist(),
        "colors": contour_colors(VALLEY_LEVELS),
    }, read_only=True).tag(sync=True)

    @traitlets.validate(*RANGES)
    def _in_range(self, proposal):
        return self._validate_control(proposal.trait.name, proposal.value)


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


def plot_sorted_spectra(ax, spectra, linear_width=1e-4, rel_tol=None):
    """Sorted eigenvalues against their rank, on a symmetric-log axis.

    spectra: {label: eigenvalues (n,)}. Within ±linear_width the axis
    is linear, so zeros and tiny eigenvalues of both signs stay visible.
    With ``rel_tol``, each spectrum's band |λ| <= rel_tol·max|λ| (what
    ``spectrum_summary`` counts as near zero) is shaded in its colour.
    """
    for label, eigenvalues in spectra.items():
        values = np.sort(np.asarray(eigenvalues, dtype=np.float64))
        line, = ax.plot(np.arange(1, values.size + 1), values, lw=1.6,
                        label=label)
        if rel_tol is not None:  # a light fill, edged in the line's style
            band = rel_tol * np.abs(values).max()
            ax.axhspan(-band, band, facecolor=(line.get_color(), 0.06),
                       edgecolor=line.get_color(),
                       linestyle=line.get_linestyle(), lw=0.9)
    ax.set_yscale("symlog", linthresh=linear_width)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("rank $i$ (ascending)")
    ax.set_ylabel("eigenvalue $\\lambda_i$")
    handles, labels = ax.get_legend_handles_labels()
    if rel_tol is not None:
        handles.append(Patch(facecolor=(0.5, 0.5, 0.5, 0.15),
                             edgecolor="0.4", lw=0.9))
        labels.append(f"near zero: $|\\lambda| \\leq$ {rel_tol:g}"
                      " max$|\\lambda|$ (one per curve)")
    ax.legend(handles, labels, fontsize=LEGEND_SIZE)
    return ax


def plot_curves(ax, x, curves, styles=None):
    """Several curves y(x) with labels: curves is {label: y}."""
    styles = styles or {}
    for label, y in curves.items():
        ax.plot(np.asarray(x), np.asarray(y), styles.get(label, "-"),
                label=label)
    ax.legend(fontsize=LEGEND_SIZE)
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
    ax.legend(fontsize=LEGEND_SIZE)
    return ax


def plot_growth(ax, curves, predicted, title, ylabel, legend_loc="best"):
    """Deviations from a stationary point against the step, log scale.

    curves: {label: values (K+1,)}; predicted: (label, values), the
    linear model's growth, drawn thin and dotted in black so that it
    stays visible where it lies on a curve.
    """
    for label, values in curves.items():
        ax.plot(np.asarray(values, dtype=np.float64), label=label)
    label, values = predicted
    ax.plot(np.asarray(values, dtype=np.float64), color=PALETTE[7],
            ls=":", lw=1.2, label=label)
    ax.set(yscale="log", xlabel="step $k$", ylabel=ylabel, title=title)
    # Over many decades minor ticks are clutter, and slow to lay out.
    ax.yaxis.set_minor_locator(NullLocator())
    ax.legend(fontsize=LEGEND_SIZE, loc=legend_loc)
    return ax


def draw_edge_of_stability(fig, losses, largest, sharpness, lr,
                           first_step=0):
    """A gradient-descent run next to its sharpest curvature.

    Left: λmax at the checkpoints (largest: {step: λmax}) over the whole
    run, and the threshold 2/lr, chapter 1's largest stable curvature
    for that rate. Right, from ``first_step`` on, on one step axis: the
    loss (losses: (K+1,)) and, zoomed, λmax − 2/lr, densely from
    sharpness ({step: λmax}) and at the checkpoints. Returns the axes.
    """
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.4])
    ax_top = fig.add_subplot(grid[:, 0])
    ax_loss = fig.add_subplot(grid[0, 1])
    ax_gap = fig.add_subplot(grid[1, 1], sharex=ax_loss)
    checkpoints = sorted(largest)
    ax_top.plot(checkpoints, [largest[k] for k in checkpoints], "o-",
                ms=5, label="$\\lambda_{\\max}$")
    ax_top.axhline(2 / lr, color="0.3", ls="--", lw=1.2,
                   label=f"$2/\\alpha$ = {2 / lr:g}")
    ax_top.set(xlabel="step $k$", ylabel="$\\lambda_{\\max}(H)$",
               title="largest Hessian eigenvalue")
    ax_top.legend(loc="lower right", fontsize=LEGEND_SIZE)
    losses = np.asarray(losses, dtype=np.float64)
    ax_loss.plot(np.arange(first_step, losses.size), losses[first_step:],
                 lw=1.2)
    ax_loss.set(ylabel="loss $L(w^{(k)})$",
                title=f"from step {first_step}: the loss, and "
                      "$\\lambda_{\\max} - 2/\\alpha$")
    ax_loss.tick_params(labelbottom=False)
    dense = sorted(k for k in sharpness if k >= first_step)
    ax_gap.plot(dense, [sharpness[k] - 2 / lr for k in dense], lw=1.4,
                label="power iteration")
    late = [k for k in checkpoints if k >= first_step]
    ax_gap.plot(late, [largest[k] - 2 / lr for k in late], "o", ms=5,
                ls="none", label="full spectrum")
    ax_gap.axhline(0.0, color="0.3", ls="--", lw=1.2)
    ax_gap.set(xlabel="step $k$",
               ylabel="$\\lambda_{\\max} - 2/\\alpha$")
    ax_gap.legend(loc="lower left", fontsize=LEGEND_SIZE)
    return ax_top, ax_loss, ax_gap
