"""Chapter 6's figures: activation derivatives, accuracy against a
distortion, decision boundaries, and the restored Jacobian (with the
live panel that steps through its training)."""

import torch

from jacolib import restoration
from jacolib.distortion import Distortion
from jacolib.plotting import PALETTE

__all__ = ["activation_derivatives", "plot_sweep", "plot_boundaries",
           "plot_restoration", "RestorationScene"]

MARKERS = "osD^v"


def activation_derivatives(t, width=0.5):
    """{name: derivative on t}: ReLU, GELU, tanh, sin, and ReLU blurred
    two ways: by a central difference of half-width h = ``width`` and by
    a Gaussian of standard deviation ``width`` (whose derivative is the
    normal CDF Φ(t/width))."""
    t = torch.as_tensor(t, dtype=torch.float64)
    normal = torch.distributions.Normal(0.0, 1.0)

    def derivative(fn):
        return torch.func.vmap(torch.func.grad(fn))(t)

    h = width
    return {
        "ReLU": (t > 0).double(),
        "GELU": derivative(torch.nn.functional.gelu),
        "tanh": derivative(torch.tanh),
        "sin": derivative(torch.sin),
        f"ReLU, difference h = {h:g}":
            (torch.relu(t + h) - torch.relu(t - h)) / (2 * h),
        f"ReLU, Gaussian h = {width:g}": normal.cdf(t / width),
    }


def plot_sweep(ax, values, accuracies, labels, xlabel):
    """Mean ± standard deviation of test accuracy over seeds against a
    setting: ``accuracies`` is {label: tensor (settings, seeds)}."""
    for (label, accuracy), marker in zip(accuracies.items(), MARKERS):
        ax.errorbar(values, accuracy.mean(dim=1), accuracy.std(dim=1),
                    marker=marker, capsize=3, label=labels.get(label,
                                                               label))
    ax.set(xlabel=xlabel, ylabel="test accuracy", ylim=(0.35, 0.95))
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    ax.legend()
    return ax


def plot_boundaries(axes, model, networks, titles, X, labels,
                    limit=3.0, n=80):
    """The decision regions of some of the batched ``model``'s networks
    (indices ``networks``), with the data on top."""
    axis = torch.linspace(-limit, limit, n, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1)
    with torch.no_grad():
        logits = model(grid.reshape(-1, 2),
                       Distortion(len(model.weights[0])))
    for ax, index, title in zip(axes, networks, titles):
        ax.contourf(axis, axis, (logits[index] > 0).reshape(n, n).double(),
                    levels=[-0.5, 0.5, 1.5], colors=["#ffffff", "#dde8f4"])
        for label, marker, color in [(0, "o", PALETTE[1]),
                                     (1, "s", PALETTE[0])]:
            points = X[labels == label]
            ax.plot(points[:, 0], points[:, 1], marker, ms=2.5,
                    color=color, alpha=0.7, label=f"label {label}")
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal",
               title=title, xlabel="$x_1$")
    axes[0].set_ylabel("$x_2$")
    return axes


def plot_restoration(axes, run, A, at=-1):
    """Ĵ at snapshot ``at`` next to A, and the run's curves."""
    ax_hat, ax_true, ax_loss, ax_match = axes
    limit = float(max(A.abs().max(), run.estimates[at].abs().max()))
    for ax, matrix, title in [(ax_hat, run.estimates[at],
                               f"Ĵ at step {int(run.steps[at])}"),
                              (ax_true, A, "A, the true Jacobian")]:
        ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(title=title, xlabel="input $j$", ylabel="output $i$")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    ax_loss.semilogy(run.losses, color=PALETTE[0])
    ax_loss.set(xlabel="step", ylabel="probe loss", title="loss")
    ax_match.plot(run.cosines, "-", color=PALETTE[2],
                  label="cosine of ∇ₓ to the truth")
    ax_match.plot(run.sign_agreement, "--", color=PALETTE[3],
                  label="entries with the right sign")
    ax_match.set(xlabel="step", ylim=(-0.05, 1.05), title="agreement")
    ax_match.legend(loc="lower right", fontsize=8)
    for ax in (ax_loss, ax_match):
        ax.axvline(int(run.steps[at]), color="0.4", lw=1, ls=":")
    return axes


class RestorationScene:
    """The live panel: learn Ĵ ≈ A (a fixed random m x n matrix) from
    forward measurements, and step through the training. A run is
    computed once per setting of the first five controls; the ``epoch``
    slider (one of 5 snapshots) only picks what to show."""

    def __init__(self, fig):
        self.fig = fig
        self._runs = {}

    def update(self, n_in, n_out, dim_sample, loss, initial_messup,
               epoch):
        key = (n_in, n_out, min(dim_sample, n_in), loss, initial_messup)
        if key not in self._runs:
            generator = torch.Generator().manual_seed(7)
            A = torch.randn(n_out, n_in, generator=generator,
                            dtype=torch.float64)
            run = restoration.restore_linear(
                A, min(dim_sample, n_in), loss, initial_messup,
                steps_per_entry=8, seed=7, n_snapshots=4)
            self._runs = {key: (A, run)}  # keep one: bounded memory
        A, run = self._runs[key]
        self.fig.clear()
        self.fig.subplots_adjust(left=0.03, right=0.98, bottom=0.17,
                                 top=0.86, wspace=0.4)
        axes = self.fig.subplots(1, 4, gridspec_kw={
            "width_ratios": [1, 1, 1.3, 1.3]})
        plot_restoration(axes, run, A, at=epoch)
        return None
