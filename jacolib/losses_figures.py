"""Chapter 5's figures: the loss field in the browser (``LossField``, an
anywidget that needs no kernel), the same field drawn by matplotlib for
a live panel (``LossFieldScene``), and plots of fields and flows.

Both views draw arrows of the negative gradient on a 25x25 grid, with a
length that grows with the gradient's size up to 0.8 of a cell
(``arrow_lengths``), so a field that explodes somewhere still shows its
directions everywhere.
"""

from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from matplotlib.collections import LineCollection

from jacolib import losses
from jacolib.plotting import PALETTE

__all__ = ["LossField", "LossFieldScene", "arrow_lengths", "grid_points",
           "plot_field"]

WEB = Path(__file__).resolve().parent / "web"
BLUE, ORANGE, BLACK = PALETTE[0], PALETTE[1], PALETTE[7]
GRID = 25


def _esm_source():
    """The widget's module: the losses, then the widget that imports
    them, as one file (a page with no server can load only one)."""
    fields = (WEB / "loss_fields.mjs").read_text()
    widget = (WEB / "loss_widget.mjs").read_text()
    importing = 'import { fieldAt, LOSSES, USES_NU } from "./loss_fields.mjs";'
    if importing not in widget:
        raise RuntimeError("loss_widget.mjs must import loss_fields.mjs")
    return fields + "\n" + widget.replace(importing, "")


CSS = """
.jacolib-field { font-size: 0.9rem; }
.jacolib-field-controls { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem;
  align-items: center; margin-bottom: 0.4rem; }
.jacolib-field canvas { border: 1px solid #ccc; display: block; }
.jacolib-field canvas:focus { outline: 3px solid #E69F00; }
.jacolib-field-caption { max-width: 440px; margin-top: 0.3rem; }
"""


class LossField(anywidget.AnyWidget):
    """The gradient field of a loss, computed and animated in the browser.

    Every control works without a kernel: ``loss`` (a name of
    ``losses.LOSSES``), ``nu``, ``log``, ``wrt`` ("x": the field over the
    prediction, the target ``fixed`` held; "y": over the target), the
    step ``lr`` of the particles, and ``fixed``, dragged with the mouse.
    """

    _esm = traitlets.Unicode(_esm_source()).tag(sync=True)
    _css = traitlets.Unicode(CSS).tag(sync=True)
    loss = traitlets.Unicode("1 − CosSim").tag(sync=True)
    nu = traitlets.Float(1.0).tag(sync=True)
    log = traitlets.Bool(False).tag(sync=True)
    wrt = traitlets.Unicode("x").tag(sync=True)
    fixed = traitlets.List(traitlets.Float(), [0.8, -0.6],
                           minlen=2, maxlen=2).tag(sync=True)
    lr = traitlets.Float(0.05).tag(sync=True)
    half_width = traitlets.Float(2.0).tag(sync=True)
    log_allowed = traitlets.Dict(
        {name: loss.positive for name, loss in losses.LOSSES.items()}
    ).tag(sync=True)

    @traitlets.validate("loss")
    def _known_loss(self, proposal):
        if proposal.value not in losses.LOSSES:
            raise traitlets.TraitError(
                f"loss must be one of {list(losses.LOSSES)}; got "
                f"{proposal.value!r}")
        return proposal.value

    @traitlets.validate("nu")
    def _nu_in_range(self, proposal):
        if not 0 <= proposal.value <= 2:
            raise traitlets.TraitError(
                f"nu must lie in [0, 2]; got {proposal.value!r}")
        return proposal.value

    @traitlets.validate("wrt")
    def _x_or_y(self, proposal):
        if proposal.value not in ("x", "y"):
            raise traitlets.TraitError(
                f"wrt must be 'x' or 'y'; got {proposal.value!r}")
        return proposal.value


def grid_points(half_width=2.0, n=GRID, offset=0.013):
    """The centres of an n x n grid of cells on [-h, h]², moved by
    ``offset``: shape (n, n, 2). With n odd a centre would sit at the
    origin, where a loss that divides by |x| is undefined."""
    spacing = 2 * half_width / n
    axis = -half_width + (np.arange(n) + 0.5) * spacing + offset
    return np.stack(np.meshgrid(axis, axis), axis=-1)


def arrow_lengths(field, spacing):
    """Arrow vectors of the same direction as ``field`` (..., 2), each at
    most 0.8 of a cell long: 0.8 spacing tanh(|g| / median |g|)."""
    field = np.asarray(field, dtype=np.float64)
    sizes = np.linalg.norm(field, axis=-1)
    finite = np.isfinite(sizes) & (sizes > 0)
    typical = np.median(sizes[finite]) if finite.any() else 1.0
    length = 0.8 * spacing * np.tanh(sizes / typical)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(finite[..., None], field / sizes[..., None], 0.0)
    return unit * np.where(finite, length, 0.0)[..., None]


class LossFieldScene:
    """The live panel's figure: arrows of −∇ of a loss over a 25x25 grid
    with the field's target (or prediction) marked, or particle paths of
    gradient descent on it. Redraws only the arrows and paths."""

    half_width, n_particles, n_steps = 2.0, 48, 40

    def __init__(self, fig):
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.9)
        self.ax = fig.add_subplot()
        h = self.half_width
        self.ax.set(xlim=(-h, h), ylim=(-h, h), aspect="equal")
        self.points = grid_points(h)
        zeros = np.zeros(self.points.shape[:2])
        self.arrows = self.ax.quiver(
            self.points[..., 0], self.points[..., 1], zeros, zeros,
            color=BLUE, angles="xy", scale_units="xy", scale=1,
            width=0.005, pivot="middle")
        self.paths = LineCollection([], colors=ORANGE, linewidths=1.0)
        self.ax.add_collection(self.paths)
        self.marker, = self.ax.plot([], [], "o", ms=9, color=BLACK,
                                    markeredgecolor="white")
        generator = torch.Generator().manual_seed(0)
        self.starts = (2 * torch.rand(self.n_particles, 2,
                                      generator=generator) - 1) * h
        self.title = self.ax.set_title(" ")

    def update(self, loss, nu, log, wrt, fixed_angle, show):
        name = loss
        fixed = 1.0 * np.array([np.cos(np.deg2rad(fixed_angle)),
                                np.sin(np.deg2rad(fixed_angle))])
        fn = losses.loss_fn(name, nu=nu, log=log
                            and losses.LOSSES[name].positive)
        field, _ = losses.gradient_field(fn, torch.tensor(fixed),
                                         self.points, wrt=wrt)
        spacing = 2 * self.half_width / GRID
        vectors = arrow_lengths(field.numpy(), spacing)
        arrows = show == "arrows"
        self.arrows.set_UVC(vectors[..., 0], vectors[..., 1])
        self.arrows.set_visible(arrows)
        self.paths.set_segments([] if arrows else
                                self._paths(fn, fixed, wrt))
        self.marker.set_data([fixed[0]], [fixed[1]])
        held = "target y" if wrt == "x" else "prediction x"
        self.ax.set_xlabel(f"${wrt}_1$")
        self.ax.set_ylabel(f"${wrt}_2$")
        self.title.set_text(f"−∇ of {'log ' if log else ''}{name} over "
                            f"{wrt}; dot: the {held}")
        return [self.arrows, self.paths, self.marker, self.title,
                self.ax.xaxis.label, self.ax.yaxis.label]

    def _paths(self, fn, fixed, wrt):
        try:
            paths = losses.flow(fn, torch.tensor(fixed), self.starts,
                                lr=0.05, n_steps=self.n_steps, wrt=wrt)
        except ValueError:  # a particle met a point where fn is undefined
            return []
        paths = paths.numpy().transpose(1, 0, 2)
        # Stop each path where it leaves the view or overflows.
        inside = np.all(np.abs(paths) <= self.half_width, axis=-1)
        ends = np.where(inside.all(axis=1), paths.shape[1],
                        np.argmin(inside, axis=1))
        return [path[:end] for path, end in zip(paths, ends) if end > 1]


def plot_field(ax, loss, fixed, wrt="x", half_width=2.0, title=None,
               paths=None):
    """Arrows of −∇ ``loss`` on a 25x25 grid of ``ax``, the fixed point
    marked, and optional particle ``paths`` (steps, P, 2)."""
    points = grid_points(half_width)
    field, _ = losses.gradient_field(loss, torch.as_tensor(fixed),
                                     points, wrt=wrt)
    vectors = arrow_lengths(field.numpy(), 2 * half_width / GRID)
    ax.quiver(points[..., 0], points[..., 1], vectors[..., 0],
              vectors[..., 1], color=BLUE, angles="xy", scale_units="xy",
              scale=1, width=0.005, pivot="middle")
    if paths is not None:
        ax.add_collection(LineCollection(
            np.asarray(paths).transpose(1, 0, 2), colors=ORANGE,
            linewidths=1.0))
    ax.plot(*np.asarray(fixed, dtype=float), "o", ms=8, color=BLACK,
            markeredgecolor="white")
    ax.set(xlim=(-half_width, half_width), ylim=(-half_width, half_width),
           aspect="equal", xlabel=f"${wrt}_1$", ylabel=f"${wrt}_2$",
           title=title or "")
    return ax
