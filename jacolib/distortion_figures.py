"""Chapter 6's figures: activation derivatives, accuracy against a
distortion, decision regions, plateaus, and the restored Jacobian (with
the live panel that steps through its training)."""

import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from jacolib import restoration
from jacolib.distortion import Distortion
from jacolib.plotting import LINESTYLES, PALETTE

__all__ = ["activation_derivatives", "TARGET_STYLES", "plot_sweep",
           "plot_boundaries", "plot_plateaus", "plot_restoration",
           "RestorationScene"]

# One look per distorted quantity, the same in every figure: colour,
# dash and marker, so that no line is told apart by colour alone.
TARGET_STYLES = {
    "delta": dict(color=PALETTE[0], ls=LINESTYLES[0], marker="o",
                  label=r"adjoint $\delta$ (one norm per network)"),
    "delta per sample": dict(color=PALETTE[4], ls=LINESTYLES[4],
                             marker="v",
                             label=r"adjoint $\delta$ (one norm per "
                                   "sample)"),
    "g": dict(color=PALETTE[1], ls=LINESTYLES[1], marker="s",
              label=r"gradient $g$"),
    "W": dict(color=PALETTE[2], ls=LINESTYLES[2], marker="D",
              label=r"$W$ in the backward pass"),
}
PREDICTED_ONE = "#dde8f4"  # the shading of the region predicted 1


def activation_derivatives(r, width=0.5):
    """{name: derivative at r}: ReLU, GELU, tanh, sin, and ReLU blurred
    two ways: by a central difference of half-width h = ``width`` and by
    a Gaussian of standard deviation ``width`` (whose derivative is the
    normal CDF Φ(r/width))."""
    r = torch.as_tensor(r, dtype=torch.float64)
    normal = torch.distributions.Normal(0.0, 1.0)

    def derivative(fn):  # entrywise fn: the gradient of the sum
        point = r.clone().requires_grad_(True)
        return torch.autograd.grad(fn(point).sum(), point)[0]

    h = width
    return {
        "ReLU": (r > 0).double(),
        "GELU": derivative(torch.nn.functional.gelu),
        "tanh": derivative(torch.tanh),
        "sin": derivative(torch.sin),
        f"ReLU, difference h = {h:g}":
            (torch.relu(r + h) - torch.relu(r - h)) / (2 * h),
        f"ReLU, Gaussian h = {h:g}": normal.cdf(r / h),
    }


def plot_sweep(ax, values, accuracies, xlabel, baseline=None):
    """Test accuracy against a setting, one line per distorted quantity:
    ``accuracies`` is {key of TARGET_STYLES: tensor (settings, seeds)}.
    The line joins the means over seeds, small markers show each seed;
    ``baseline`` (seeds,), the readout-only networks, is a dotted line
    at its mean with a band from its lowest to its highest seed."""
    values = torch.as_tensor(values, dtype=torch.float64)
    for key, accuracy in accuracies.items():
        style = TARGET_STYLES[key]
        ax.plot(values, accuracy.mean(dim=1), color=style["color"],
                ls=style["ls"], marker=style["marker"], ms=6,
                label=style["label"])
        for seed in accuracy.T:
            ax.plot(values, seed, style["marker"], color=style["color"],
                    ms=3, alpha=0.45)
    if baseline is not None:
        ax.axhspan(float(baseline.min()), float(baseline.max()),
                   color="0.85", zorder=0)
        ax.axhline(float(baseline.mean()), color="0.3", ls=":", lw=1.5,
                   label="readout only (no adjoint sent back)")
    ax.axhline(0.5, color="0.5", lw=0.8, ls=(0, (1, 3)))
    ax.text(values.min(), 0.505, "chance", color="0.4", fontsize=9,
            va="bottom")
    ax.set(xlabel=xlabel, ylabel="test accuracy", ylim=(0.3, 0.95))
    return ax


def plot_boundaries(axes, model, networks, titles, X, labels,
                    limit=3.0, n=80):
    """The decision regions of some of the batched ``model``'s networks
    (indices ``networks``), with the data on top: shaded where the
    network predicts label 1."""
    axis = torch.linspace(-limit, limit, n, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1)
    with torch.no_grad():
        logits = model(grid.reshape(-1, 2),
                       Distortion(len(model.weights[0])))
    for ax, index, title in zip(axes, networks, titles):
        ax.contourf(axis, axis, (logits[index] > 0).reshape(n, n).double(),
                    levels=[-0.5, 0.5, 1.5],
                    colors=["#ffffff", PREDICTED_ONE])
        for label, marker, color in [(0, "o", PALETTE[1]),
                                     (1, "s", PALETTE[0])]:
            points = X[labels == label]
            ax.plot(points[:, 0], points[:, 1], marker, ms=2.5,
                    color=color, alpha=0.7)
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal",
               title=title, xlabel="$x_1$", ylabel="$x_2$")
        ax.grid(False)
    handles = [Line2D([], [], ls="", marker="o", color=PALETTE[1],
                      label="label 0"),
               Line2D([], [], ls="", marker="s", color=PALETTE[0],
                      label="label 1"),
               Patch(facecolor=PREDICTED_ONE, edgecolor="0.6",
                     label="predicted 1 (shaded)")]
    return handles


def plot_plateaus(ax, losses, labels, level):
    """Training-loss curves (steps, curves), one per label, on a log
    step axis, with the ``level`` that ends a plateau."""
    steps = np.arange(1, len(losses) + 1)
    for curve, label, color, ls in zip(np.asarray(losses).T, labels,
                                       PALETTE, LINESTYLES):
        ax.semilogx(steps, curve, color=color, ls=ls, label=label)
    ax.axhline(np.log(2), color="0.5", lw=0.8, ls=(0, (1, 3)))
    ax.axhline(level, color="0.3", lw=0.8, ls=":")
    # Labels a little right of the middle of the log axis, where the
    # curves leave room above log 2 and below the level.
    middle = float(steps[-1]) ** 0.6
    ax.text(middle, np.log(2) + 0.015,
            r"$\log 2$: predicting 1/2 everywhere", fontsize=9,
            color="0.4", va="bottom")
    ax.text(middle, level - 0.01, f"plateau threshold {level:g}",
            fontsize=9, color="0.3", va="top")
    top = max(0.8, min(1.5, float(np.nanmax(losses)) + 0.05))
    ax.set(xlabel="step", ylabel="training loss", ylim=(0.0, top))
    return ax


def _mark_colour(value, limit):
    """White on the darkest cells, where black would vanish."""
    return "white" if abs(float(value)) > 0.6 * limit else "0.1"


def _show_matrix(ax, matrix, limit, annotate=True):
    """A signed matrix as an image on the colour scale ±limit, with each
    entry's sign written in its cell (the sign is not colour alone)."""
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if annotate:
        for (i, j), value in np.ndenumerate(np.asarray(matrix)):
            ax.text(j, i, "+" if value > 0 else "−", ha="center",
                    va="center", fontsize=10,
                    color=_mark_colour(value, limit))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return image


def plot_restoration(axes, run, W, at=-1):
    """Ĵ at snapshot ``at`` next to W (signs written in the cells, one
    colour bar), and the run's held-out loss and agreement curves.
    ``axes``: Ĵ, W, colour bar, loss, agreement."""
    ax_hat, ax_true, ax_bar, ax_loss, ax_match = axes
    limit = float(W.abs().max())
    step = int(run.steps[at])
    for ax, matrix, title in [(ax_hat, run.estimates[at],
                               f"$\\hat J$ at step {step}"),
                              (ax_true, W, "$W$, the true Jacobian")]:
        image = _show_matrix(ax, matrix, limit)
        ax.set(title=title, xlabel="input $j$", ylabel="output $i$")
    bar = ax_bar.figure.colorbar(image, cax=ax_bar, ticks=[-limit, 0,
                                                          limit])
    bar.ax.set_yticklabels([f"−{limit:.1f}", "0", f"+{limit:.1f}"])
    ax_bar.set_title("entry", fontsize=10)
    ax_loss.semilogy(run.held_out_losses, color=PALETTE[0])
    ax_loss.set(xlabel="step", ylabel="held-out probe loss",
                title="loss on 1024 fixed samples")
    ax_match.plot(run.cosines, color=PALETTE[2], ls=LINESTYLES[0],
                  label=r"cosine of $\hat J^\top\delta$ to $W^\top\delta$")
    ax_match.plot(run.sign_agreement, color=PALETTE[3], ls=LINESTYLES[1],
                  label="entries with the right sign")
    ax_match.set(xlabel="step", ylim=(-0.05, 1.05), title="agreement")
    ax_match.legend(loc="lower right")
    for ax in (ax_loss, ax_match):
        ax.axvline(step, color="0.4", lw=1, ls=":")
    return axes


class RestorationScene:
    """The live panel: learn Ĵ ≈ W, a fixed random n_out x n_in matrix,
    from forward measurements, and step through the training.

    One batched run per size and number of probes gives all nine
    (loss, initial messup) runs at once; it is kept, so moving back to
    a setting, or changing only the loss, the start or the epoch,
    computes nothing. Every axis is fixed (the curves are drawn against
    the share of the run), so a redraw only repaints the images, marks
    and curves over a cached background.
    """

    MESSUPS = (0.1, 1.0, 10.0)
    STEPS_PER_ENTRY = 8
    LOSS_RANGE = (1e-10, 1e4)

    def __init__(self, fig):
        self.fig = fig
        self._runs = {}
        self.ax_hat = fig.add_axes([0.06, 0.56, 0.32, 0.34])
        self.ax_true = fig.add_axes([0.45, 0.56, 0.32, 0.34])
        ax_bar = fig.add_axes([0.80, 0.56, 0.02, 0.34])
        self.ax_loss = fig.add_axes([0.09, 0.10, 0.36, 0.32])
        self.ax_match = fig.add_axes([0.60, 0.10, 0.36, 0.32])
        self.images, self.marks, self.titles = [], [], []
        for ax, name in [(self.ax_hat, "Ĵ"), (self.ax_true, "W")]:
            image = ax.imshow(np.zeros((2, 2)), cmap="RdBu_r", vmin=-1,
                              vmax=1, extent=(0, 1, 1, 0), aspect="auto",
                              interpolation="nearest")
            ax.set(xticks=[], yticks=[], xlabel="input $j$ →",
                   ylabel="← output $i$")
            ax.grid(False)
            self.images.append(image)
            self.marks.append([ax.scatter([], [], marker=marker, s=40,
                                          color="0.1", linewidths=1.4)
                               for marker in ("+", "_")])
            self.titles.append(ax.set_title(name))
        self.titles.pop().set_text("W, the true Jacobian")  # static
        bar = fig.colorbar(self.images[0], cax=ax_bar, ticks=[-1, 0, 1])
        bar.ax.set_yticklabels(["−max|W|", "0", "+max|W|"])
        self.loss_line, = self.ax_loss.semilogy([], [], color=PALETTE[0])
        self.ax_loss.set(xlim=(0, 1), ylim=self.LOSS_RANGE,
                         xlabel="share of the run's steps",
                         ylabel="held-out probe loss", title="loss")
        self.cosine_line, = self.ax_match.plot(
            [], [], color=PALETTE[2], ls=LINESTYLES[0],
            label=r"cosine of $\hat J^\top\delta$ to $W^\top\delta$")
        self.sign_line, = self.ax_match.plot(
            [], [], color=PALETTE[3], ls=LINESTYLES[1],
            label="entries with the right sign")
        self.ax_match.set(xlim=(0, 1), ylim=(-1.05, 1.05),
                          xlabel="share of the run's steps",
                          title="agreement")
        self.ax_match.legend(loc="lower right", fontsize=9)
        self.markers = [ax.axvline(0, color="0.4", lw=1, ls=":")
                        for ax in (self.ax_loss, self.ax_match)]

    def runs(self, n_in, n_out, dim_sample):
        """(W, {(loss, messup): Restoration}) for this size, computed
        once."""
        key = (n_in, n_out, min(dim_sample, n_in))
        if key not in self._runs:
            # W's seed differs from the one Ĵ's start is drawn from.
            W = torch.randn(n_out, n_in, dtype=torch.float64,
                            generator=torch.Generator().manual_seed(11))
            self._runs[key] = (W, restoration.restore_linear_runs(
                W, key[2], restoration.LOSS_TYPES, self.MESSUPS,
                steps_per_entry=self.STEPS_PER_ENTRY, seed=7,
                n_snapshots=4, held_out_size=128))
        return self._runs[key]

    def update(self, n_in, n_out, dim_sample, loss, initial_messup,
               epoch):
        W, runs = self.runs(n_in, n_out, dim_sample)
        run = runs[loss, initial_messup]
        limit = float(W.abs().max())
        for image, marks, matrix in zip(self.images, self.marks,
                                        (run.estimates[epoch], W)):
            image.set_data((matrix / limit).numpy())
            rows, columns = matrix.shape
            j, i = np.meshgrid((np.arange(columns) + 0.5) / columns,
                               (np.arange(rows) + 0.5) / rows)
            positive = (matrix > 0).numpy()
            colours = np.array([_mark_colour(value, limit)
                                for value in matrix.flatten()],
                               dtype=object).reshape(positive.shape)
            for mark, chosen in zip(marks, (positive, ~positive)):
                mark.set_offsets(np.c_[j[chosen], i[chosen]])
                mark.set_color(list(colours[chosen]))
        n_steps = len(run.losses)
        step = int(run.steps[epoch])
        self.titles[0].set_text(f"Ĵ at step {step} of {n_steps}")
        share = np.linspace(0, 1, n_steps + 1)
        self.loss_line.set_data(share, np.clip(
            run.held_out_losses.numpy(), *self.LOSS_RANGE))
        self.cosine_line.set_data(share, run.cosines.numpy())
        self.sign_line.set_data(share, run.sign_agreement.numpy())
        for marker in self.markers:
            marker.set_xdata([step / n_steps] * 2)
        return [*self.images, *self.marks[0], *self.marks[1],
                *self.titles, self.loss_line, self.cosine_line,
                self.sign_line, *self.markers]

    def describe(self, n_in, n_out, dim_sample, loss, initial_messup,
                 epoch):
        """The figure in words, with the numbers it shows."""
        W, runs = self.runs(n_in, n_out, dim_sample)
        run = runs[loss, initial_messup]
        step = int(run.steps[epoch])
        scale = float(run.estimates[epoch].norm() / W.norm())
        return (f"Ĵ learned from forward measurements for a {n_out} x "
                f"{n_in} matrix W, {min(dim_sample, n_in)} probe "
                f"directions per sample, {loss} loss, started at "
                f"{initial_messup:g} times a random matrix: at step "
                f"{step} of {len(run.losses)}, the held-out loss is "
                f"{float(run.held_out_losses[step]):.2g}, the cosine of "
                f"Ĵᵀδ to Wᵀδ {float(run.cosines[step]):.3f}, "
                f"{float(run.sign_agreement[step]):.0%} of the signs of Ĵ "
                f"are W's, and |Ĵ|/|W| = {scale:.2f}. Top, Ĵ and W as "
                f"images with each entry's sign marked; bottom, the "
                f"loss and the agreement against the share of the run.")
