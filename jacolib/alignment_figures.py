"""Chapter 8's figures: the alignment heat map, the similarity against
the distance m − l, the two-layer scatter plots, the training curves,
and the live panel ``AlignmentScene``.

A heat map encodes S[l, m] by colour; so that no reading depends on
colour alone, every negative entry also carries a cross, the colour
bar names its ends, and the curve beside it gives the numbers.
"""

import matplotlib as mpl
import numpy as np

from jacolib import alignment
from jacolib.plotting import LINESTYLES, PALETTE

__all__ = ["CLAIM", "draw_heat_map", "draw_distance_curve",
           "distance_curves", "sweep_curves", "two_layer_scatter",
           "training_curves", "AlignmentScene"]

BLUE, ORANGE, GREEN, BLACK = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[7]
# The claim under test: S ≈ 0.65 at distance 1, ≈ 0.14 at distance 19.
CLAIM = {1: 0.65, 19: 0.14}
# How a kind of target reads in a sentence.
_KIND_WORDS = {"random points": "random-point", "teacher": "teacher"}
# Grey for NaN, the half of the matrix with no pair.
_COLORMAP = mpl.colormaps["PuOr_r"].with_extremes(bad="0.93")


def draw_heat_map(ax, matrix, colorbar=True):
    """S[l, m] of one network (D, D) as an image, layers numbered from 1,
    negative entries crossed. Returns the image."""
    matrix = np.asarray(matrix, dtype=np.float64)
    depth = matrix.shape[-1]
    edges = (0.5, depth + 0.5, depth + 0.5, 0.5)
    image = ax.imshow(matrix, cmap=_COLORMAP, vmin=-1, vmax=1,
                      extent=edges, interpolation="nearest")
    rows, columns = np.nonzero(np.nan_to_num(matrix, nan=1.0) < 0)
    ax.plot(columns + 1, rows + 1, "x", color=BLACK, ms=4, mew=0.8)
    ax.set(xlabel="distant loss $\\ell_m$", ylabel="weights $W_l$")
    ax.grid(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if colorbar:
        _signed_colorbar(ax.figure.colorbar(image, ax=ax, shrink=0.85))
    return image


def _signed_colorbar(bar):
    """Words at the ends of the S colour bar, not only a hue."""
    bar.set_ticks([-1, 0, 1],
                  labels=["−1 opposed", "0", "+1 aligned"])
    bar.set_label("$S[l, m]$ (× marks $S < 0$)")
    bar.ax.tick_params(labelsize=8)


def draw_distance_curve(ax, matrix, label="mean over the pairs"):
    """Mean S[l, l + k] against k for one network, its range as a band,
    and the claim's two points."""
    mean, low, high = (t.numpy() for t in alignment.by_distance(
        _tensor(matrix)))
    distances = np.arange(1, len(mean) + 1)
    ax.fill_between(distances, low, high, color=BLUE, alpha=0.18, lw=0,
                    label="range over the pairs")
    ax.plot(distances, mean, "o-", color=BLUE, ms=3, label=label)
    _claim_and_zero(ax)
    ax.set(xlabel="distance $m - l$", ylabel="$S[l, m]$", ylim=(-1, 1))
    ax.legend(loc="lower left", fontsize=8)


def distance_curves(ax, matrices, title):
    """One thin line per seed (mean S at each distance), their mean in
    bold, and the claim's points. ``matrices``: (seeds, D, D)."""
    mean = alignment.by_distance(_tensor(matrices))[0].numpy()
    distances = np.arange(1, mean.shape[-1] + 1)
    for curve in mean:
        ax.plot(distances, curve, "-", color=BLUE, lw=0.7, alpha=0.5)
    ax.plot(distances, mean.mean(0), "o-", color=BLUE, ms=3,
            label=f"mean of {len(mean)} seeds (thin: each seed)")
    _claim_and_zero(ax)
    ax.set(xlabel="distance $m - l$", ylabel="mean $S[l, m]$",
           ylim=(-0.2, 1), title=title)
    ax.legend(loc="upper right", fontsize=8)


def sweep_curves(ax, results, labels, title):
    """The mean over seeds of the mean S at each distance, one line per
    setting (each with its own colour and dash pattern)."""
    for index, (matrices, label) in enumerate(zip(results, labels)):
        mean = alignment.by_distance(_tensor(matrices))[0].mean(0)
        ax.plot(np.arange(1, len(mean) + 1), mean.numpy(),
                color=PALETTE[index % 8], ls=LINESTYLES[index % 8],
                label=label)
    _claim_and_zero(ax)
    ax.set(xlabel="distance $m - l$", ylabel="mean $S[l, m]$",
           ylim=(-0.2, 1), title=title)
    ax.legend(fontsize=8, loc="upper right")


def two_layer_scatter(axes, measured, error, predictor, orthogonal):
    """Left: the alignment against the autoencoder error; right: against
    the target-free first term cos(in₁, in₂) η̂₁ η̂₂. ``orthogonal``:
    (error, alignment, predictor) of the draws with W_2 = ω_2 U, drawn
    as crosses. One legend for both, below the axes."""
    left, right = axes
    left.semilogx(error, measured, ".", color=BLUE, ms=3, alpha=0.5,
                  label="Gaussian $W_2$")
    left.semilogx(np.maximum(orthogonal[0], 1e-3), orthogonal[1], "x",
                  color=ORANGE, ms=4, label="$W_2 = \\omega_2 U$")
    left.set(xlabel="$\\|s_1 W_2 W_2^\\top - s_1\\| / \\|s_1\\|$",
             ylabel="cos(local, distant)",
             title="the autoencoder error")
    right.plot(predictor, measured, ".", color=BLUE, ms=3, alpha=0.5)
    right.plot(orthogonal[2], orthogonal[1], "x", color=ORANGE, ms=4)
    right.plot([0, 1], [0, 1], ":", color=BLACK, lw=1, label="equal")
    right.set(xlabel="cos(in₁, in₂) η̂₁ η̂₂ (no target in it)",
              ylabel="cos(local, distant)",
              title="the internal term, target-free")
    handles = [line for ax in axes for line in ax.lines
               if not line.get_label().startswith("_")]
    left.figure.legend(handles=handles, loc="outside lower center",
                       ncols=3, fontsize=8)


def training_curves(axes, lrs, losses, shared_index):
    """Left: L against the step for both rules at one learning rate
    (mean over seeds, thin lines per seed); right: L after the last
    step against α (diverged runs are left out).

    ``losses``: {rule: (len(lrs), seeds, steps + 1)}.
    """
    left, right = axes
    for index, (rule, curves) in enumerate(losses.items()):
        color, style = PALETTE[index], LINESTYLES[index]
        marker = "os"[index % 2]  # the rules differ by more than colour
        runs = curves[shared_index].numpy()
        left.plot(runs.T, color=color, ls=style, lw=0.6, alpha=0.5)
        left.plot(runs.mean(0), color=color, ls=style, lw=2,
                  label=f"{rule} gradients")
        final = curves[..., -1].numpy()
        finite = np.isfinite(final).all(axis=1)
        right.loglog(np.asarray(lrs)[finite], final[finite].mean(1),
                     marker=marker, color=color, ls=style,
                     label=f"{rule} gradients")
    left.set(xlabel="step $k$", ylabel="global loss $L$",
             title=f"α = {lrs[shared_index]:g} for both")
    right.set(xlabel="learning rate α", ylabel="$L$ after the last step",
              title="each rule at each α (diverged: not shown)")
    for ax in axes:
        ax.legend(fontsize=8)


def _claim_and_zero(ax):
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.axhline(0, color="0.4", lw=0.8)
    ax.plot(list(CLAIM), list(CLAIM.values()), "*", color=ORANGE, ms=10,
            label="the claim", zorder=5)


def _tensor(values):
    import torch
    return torch.as_tensor(np.asarray(values, dtype=np.float64))


class AlignmentScene:
    """The live panel: one random network's S[l, m] (left) and the
    similarity against the distance (right), for a depth, width,
    activation, init scale ω, kind of targets and seed.

    Both axes keep fixed limits and no moving tick, so that only the
    image, the crosses, the curve, the band and a few labels are redrawn
    (blitting): the heat map fills its axes at any depth and numbers its
    layers with labels of its own.
    """

    n_samples = 32
    max_depth = 24

    def __init__(self, fig):
        fig.subplots_adjust(left=0.08, right=0.97, bottom=0.15, top=0.88,
                            wspace=0.62)
        self.ax_map, self.ax_curve = fig.subplots(1, 2)
        self._setup_map(fig)
        self._setup_curve()

    def _setup_map(self, fig):
        ax = self.ax_map
        ax.set(xlim=(0, 1), ylim=(1, 0), xticks=[], yticks=[],
               xlabel="distant loss $\\ell_m$", ylabel="weights $W_l$")
        ax.xaxis.labelpad = ax.yaxis.labelpad = 14
        ax.grid(False)
        self.image = ax.imshow(np.full((2, 2), np.nan), cmap=_COLORMAP,
                               vmin=-1, vmax=1, extent=(0, 1, 1, 0),
                               interpolation="nearest", aspect="auto")
        self.crosses, = ax.plot([], [], "x", color=BLACK, ms=4, mew=0.8)
        self.tick_labels = [
            ax.text(0, 0, "", fontsize=8, ha=ha, va=va, clip_on=False)
            for ha, va in [("center", "top"), ("right", "center")]
            for _ in range(6)]
        self.map_title = ax.set_title(" ", fontsize=10)
        _signed_colorbar(fig.colorbar(
            mpl.cm.ScalarMappable(mpl.colors.Normalize(-1, 1), _COLORMAP),
            ax=ax, shrink=0.85))

    def _setup_curve(self):
        ax = self.ax_curve
        ax.set(xlim=(0, self.max_depth), ylim=(-1, 1),
               xlabel="distance $m - l$", ylabel="$S[l, m]$")
        self.band = ax.fill_between([], [], [], color=BLUE, alpha=0.18,
                                    lw=0, label="range over the pairs")
        self.mean_line, = ax.plot([], [], "o-", color=BLUE, ms=3,
                                  label="mean over the pairs")
        _claim_and_zero(ax)
        ax.legend(loc="upper right", fontsize=8)
        self.curve_title = ax.set_title(" ", fontsize=10)

    def update(self, depth, width, activation, init_scale, targets, seed):
        matrix, (mean, low, high) = self._compute(
            depth, width, activation, init_scale, targets, seed)
        self._show_map(matrix, activation, init_scale)
        distances = np.arange(1, depth)
        self.mean_line.set_data(distances, mean)
        self.band.remove()
        self.band = self.ax_curve.fill_between(
            distances, low, high, color=BLUE, alpha=0.18, lw=0)
        self.curve_title.set_text(f"width {width}, {targets}")
        return [self.image, self.crosses, *self.tick_labels,
                self.map_title, self.band, self.mean_line,
                self.curve_title]

    def describe(self, depth, width, activation, init_scale, targets,
                 seed):
        """The figure in words, for its text alternative."""
        matrix, (mean, _, _) = self._compute(
            depth, width, activation, init_scale, targets, seed)
        positive = int(np.sum(matrix > 0))
        pairs = depth * (depth - 1) // 2
        return (f"Heat map of S[l, m] for one {activation} network of "
                f"{depth} layers, width {width}, init scale ω = "
                f"{init_scale:g}, {_KIND_WORDS.get(targets, targets)} "
                f"targets, seed {seed}: "
                f"{positive} of {pairs} pairs positive (negative ones "
                f"crossed). Right, the mean S against the distance m − l: "
                f"{mean[0]:.2f} at distance 1, {mean[-1]:.2f} at distance "
                f"{depth - 1}.")

    def _compute(self, *values):
        """S (D, D) and its mean, min and max by distance, as numpy;
        kept for the values last asked, so that describe() after
        update() computes nothing again."""
        if getattr(self, "_computed", (None,))[0] != values:
            depth, width, activation, init_scale, targets, seed = values
            problem = alignment.random_problem(
                depth, width, self.n_samples, activation, init_scale,
                targets, seeds=[seed])
            matrix = alignment.alignment_matrix(*problem).matrix[0]
            self._computed = (values, matrix.numpy(), tuple(
                t.numpy() for t in alignment.by_distance(matrix)))
        return self._computed[1:]

    def _show_map(self, matrix, activation, init_scale):
        depth = len(matrix)
        self.image.set_data(matrix)
        rows, columns = np.nonzero(np.nan_to_num(matrix, nan=1.0) < 0)
        self.crosses.set_data((columns + 0.5) / depth, (rows + 0.5) / depth)
        ticks = _layer_ticks(depth)
        for index, label in enumerate(self.tick_labels):
            layer = ticks[index % 6] if index % 6 < len(ticks) else None
            where = (layer - 0.5) / depth if layer else 0
            label.set_position((where, 1.02) if index < 6
                               else (-0.02, where))
            label.set_text(str(layer) if layer else "")
        positive = int(np.sum(matrix > 0))
        self.map_title.set_text(
            f"{activation}, ω = {init_scale:g}: {positive} of "
            f"{depth * (depth - 1) // 2} positive")


def _layer_ticks(depth):
    """At most six layer numbers from 1 to depth, evenly spread."""
    step = max(1, int(np.ceil(depth / 5)))
    return [1] + list(range(step, depth + 1, step))[:5] if step > 1 \
        else list(range(1, depth + 1))[:6]
