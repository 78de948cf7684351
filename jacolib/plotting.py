"""The book's one figure style and the plots that several chapters share."""

import matplotlib as mpl
import numpy as np

# Colour-blind-safe palette (Okabe & Ito), used in this order everywhere.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7",
           "#E69F00", "#56B4E9", "#F0E442", "#000000"]
# Each colour of the cycle comes with its own dash pattern, so that no
# figure tells its lines apart by colour alone.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)),
              (0, (8, 2)), (0, (1, 2)), (0, (3, 1, 1, 1))]

STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": (mpl.cycler(color=PALETTE)
                        + mpl.cycler(linestyle=LINESTYLES)),
    "lines.linewidth": 1.8,
    # An opaque frame: legends often sit on contour lines or curves.
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "0.8",
    "image.cmap": "viridis",
    # Stable PNG bytes: no creation date or software tag in the file.
    "savefig.metadata": None,
}


def use_style():
    """Apply the book's style to every figure made after this call."""
    mpl.rcParams.update({k: v for k, v in STYLE.items()
                         if k != "savefig.metadata"})


def grid_values(fn, xlim, ylim, n=60):
    """Evaluate fn on an n×n grid; fn takes points of shape (..., 2)."""
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    return X, Y, fn(np.stack([X, Y], axis=-1))


def contour_with_path(ax, grid, path=None, levels=20, label="GD path",
                      minimizer=None):
    """Contours of a 2-D objective with a trajectory drawn on them.

    ``grid`` is ``grid_values(...)``'s (X, Y, Z); ``path`` an array of
    points (k, 2). Points outside the axes (a diverging run) are simply
    clipped by the axes, so a divergence shows as a path leaving view.
    """
    X, Y, Z = grid
    ax.contour(X, Y, Z, levels=levels, linewidths=0.8, cmap="viridis")
    if path is not None:
        ax.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1.2,
                color=PALETTE[1], label=label)
    if minimizer is not None:
        ax.plot(*minimizer, "*", ms=12, color=PALETTE[7], label="minimum")
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.set_aspect("equal")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    return ax


def log_error_curves(ax, errors, labels, floor=1e-16, ylabel="error"):
    """Error curves against the step k on a log scale.

    Zeros are drawn at ``floor`` (log scale has no 0); inf and nan
    (a diverged run) end the curve where the overflow happened.
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=np.float64))
    steps = np.arange(errors.shape[-1])
    for curve, label in zip(errors, labels):
        shown = np.where(np.isfinite(curve), np.maximum(curve, floor),
                         np.nan)
        ax.semilogy(steps, shown, label=label)
    ax.set_xlabel("step $k$")
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def limits_around(points, margin=1.0):
    """Square (xlim, ylim) that hold 2-D points with a margin around."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    center = (points.min(axis=0) + points.max(axis=0)) / 2
    half = (points.max(axis=0) - points.min(axis=0)).max() / 2 + margin
    return ((center[0] - half, center[0] + half),
            (center[1] - half, center[1] + half))
