"""Chapter 5's figures: the loss field in the browser (``LossField``, an
anywidget that needs no kernel), the same field drawn by matplotlib for
a live panel (``LossFieldScene``), and plots of fields and flows.

Both views draw arrows of the negative gradient on a 25x25 grid, with a
length 0.8 spacing tanh(‖∇‖ / median ‖∇‖), the median taken over the
field on view (``arrow_lengths``): a field that explodes somewhere still
shows its directions everywhere. Since the lengths are relative, both
views print that median, the field's size.
"""

import re
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from matplotlib.collections import LineCollection

from jacolib import losses
from jacolib.plotting import PALETTE

__all__ = ["LossField", "LossFieldScene", "arrow_lengths", "grid_points",
           "loss_label", "plot_field", "plot_prediction_paths"]

WEB = Path(__file__).resolve().parent / "web"
BLUE, ORANGE, BLACK = PALETTE[0], PALETTE[1], PALETTE[7]
GRID = 25


def _esm_source():
    """The widget's module: the losses, then the widget that imports
    them, as one file (a page with no server can load only one)."""
    fields = (WEB / "loss_fields.mjs").read_text()
    widget = (WEB / "loss_widget.mjs").read_text()
    importing = re.compile(r'^import \{[^}]*\} from "\./loss_fields'
                           r'\.mjs";\n', re.MULTILINE)
    if len(importing.findall(widget)) != 1:
        raise RuntimeError("loss_widget.mjs must import loss_fields.mjs "
                           "in one line")
    return fields + "\n" + importing.sub("", widget)


CSS = """
.jacolib-field { font-size: 0.9rem; }
.jacolib-field-controls { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem;
  align-items: center; margin-bottom: 0.4rem; }
.jacolib-field canvas { border: 1px solid #ccc; display: block; }
.jacolib-field :focus-visible, .jacolib-field canvas:focus {
  outline: 3px solid #c45a00; outline-offset: 2px; }
.jacolib-field-caption { max-width: 440px; margin-top: 0.3rem; }
.jacolib-field .jacolib-sr-only { position: absolute; width: 1px;
  height: 1px; overflow: hidden; clip-path: inset(50%);
  white-space: nowrap; }
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
        {name: loss.allows_log for name, loss in losses.LOSSES.items()}
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
    origin, where a loss that divides by ‖x‖ is undefined."""
    spacing = 2 * half_width / n
    axis = -half_width + (np.arange(n) + 0.5) * spacing + offset
    return np.stack(np.meshgrid(axis, axis), axis=-1)


def field_size(field):
    """The median ‖∇‖ over the points where the field is finite and not
    zero (1 if there are none): the scale of ``arrow_lengths``."""
    sizes = np.linalg.norm(np.asarray(field, dtype=np.float64), axis=-1)
    finite = np.isfinite(sizes) & (sizes > 0)
    return float(np.median(sizes[finite])) if finite.any() else 1.0


def arrow_lengths(field, spacing):
    """Arrow vectors of the same direction as ``field`` (..., 2), each at
    most 0.8 of a cell long: 0.8 spacing tanh(‖∇‖ / median ‖∇‖)."""
    field = np.asarray(field, dtype=np.float64)
    sizes = np.linalg.norm(field, axis=-1)
    finite = np.isfinite(sizes) & (sizes > 0)
    length = 0.8 * spacing * np.tanh(sizes / field_size(field))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(finite[..., None], field / sizes[..., None], 0.0)
    return unit * np.where(finite, length, 0.0)[..., None]


def loss_label(name, log=False, math=False):
    """How a figure names the loss: "GenSim_ν" as GenSimν (in mathtext
    when ``math``), and "log (…)" around a name with an operator."""
    text = name
    if name == "GenSim_ν":
        text = r"$\mathrm{GenSim}_\nu$ loss" if math else "GenSimν loss"
    if not log:
        return text
    return f"log ({text})" if " " in name else f"log {text}"


def _field_facts(field):
    """(median ‖∇‖, points where ‖∇‖ is NaN, the field zero everywhere)
    of a field (..., 2): what the panel's text says about it."""
    sizes = np.linalg.norm(field, axis=-1)
    return (field_size(field), int(np.isnan(sizes).sum()),
            bool(np.all(np.nan_to_num(sizes) == 0)))


def _unit(angle_degrees):
    """The unit vector at an angle given in degrees, as an array."""
    angle = np.deg2rad(angle_degrees)
    return np.array([np.cos(angle), np.sin(angle)])


def _field_note(name, log, field, paths=None):
    """The text beside the panel's plot: the field's size, and why an
    arrow or a log is missing; with ``paths`` = (particles, steps, α),
    what the paths are. Short lines, for a narrow column."""
    size, undefined, zero = _field_facts(field)
    if zero:
        lines = ["−∇ = 0 everywhere:", "gradient descent", "does not move"]
    elif paths:
        lines = ["paths of {} particles,".format(paths[0]),
                 "{} steps of α = {}; field".format(*paths[1:]),
                 f"size: median ‖∇‖ = {size:.3g}"]
    else:
        lines = ["arrow length ∝", "tanh(‖∇‖ / median ‖∇‖),",
                 f"median ‖∇‖ = {size:.3g}"]
    if log and not losses.LOSSES[name].allows_log:
        lines += ["", "log ℓ is undefined for", "this loss (ℓ ≤ 0 on a",
                  "whole region): ℓ drawn"]
    elif undefined:
        lines += ["", f"no arrow at {undefined} points:", "ℓ = 0 there, so",
                  "log ℓ is undefined"]
    return "\n".join(lines)


class LossFieldScene:
    """The live panel's figure: arrows of −∇ of a loss over a 25x25 grid
    with the field's target (or prediction) marked, or particle paths of
    gradient descent on it.

    Redraws only what changes; the axis labels are free texts, since an
    axis paints its own label into the cached background."""

    half_width, n_particles, n_steps, lr = 2.0, 48, 40, 0.05

    def __init__(self, fig):
        # A square plot on the left, its notes in a column on the right.
        width, height = fig.get_size_inches()
        side = 0.75 * height  # inches
        self.ax = fig.add_axes([0.75 / width, 0.1, side / width,
                                side / height])
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
        self.title = self.ax.set_title(" ", fontsize=10)
        box = self.ax.get_position()
        self.xlabel = fig.text((box.x0 + box.x1) / 2, 0.015, "",
                               ha="center", va="bottom")
        self.ylabel = fig.text(0.01, (box.y0 + box.y1) / 2, "",
                               va="center", rotation="vertical")
        self.note = fig.text(box.x1 + 0.04, box.y1, "", fontsize=9,
                             va="top", linespacing=1.5)

    def update(self, loss, nu, log, wrt, fixed_angle, show):
        fixed = _unit(fixed_angle)
        use_log = log and losses.LOSSES[loss].allows_log
        fn = losses.loss_fn(loss, nu=nu)
        field, _ = losses.gradient_field(fn, torch.tensor(fixed),
                                         self.points, wrt=wrt, log=use_log)
        vectors = arrow_lengths(field.numpy(),
                                2 * self.half_width / GRID)
        arrows = show == "arrows"
        self.arrows.set_UVC(vectors[..., 0], vectors[..., 1])
        self.arrows.set_visible(arrows)
        self.paths.set_segments(
            [] if arrows else self._paths(fn, fixed, wrt, use_log))
        self.marker.set_data([fixed[0]], [fixed[1]])
        held = "target y" if wrt == "x" else "prediction x"
        exponent = (f" (ν = {nu:.2f})" if losses.LOSSES[loss].uses_nu
                    else "")
        self.title.set_text(f"−∇ of {loss_label(loss, use_log, True)}"
                            f"{exponent} over {wrt}\ndot: the {held}")
        self.xlabel.set_text(f"${wrt}_1$")
        self.ylabel.set_text(f"${wrt}_2$")
        self.note.set_text(_field_note(
            loss, log, field.numpy(),
            None if arrows else (self.n_particles, self.n_steps, self.lr)))
        # What describe() reports, kept so that it need not recompute.
        self._facts = ((loss, nu, log, wrt, fixed_angle),
                       _field_facts(field.numpy()))
        return [self.arrows, self.paths, self.marker, self.title,
                self.xlabel, self.ylabel, self.note]

    def describe(self, loss, nu, log, wrt, fixed_angle, show):
        """The figure at these values in two sentences, for its text
        alternative: what is drawn, where the fixed point is, the
        field's median size and where arrows are missing. Reuses what
        ``update`` computed at the same values; never raises."""
        try:
            spec = losses.LOSSES[loss]
            use_log = log and spec.allows_log
            name = loss_label(loss, use_log) + (
                f" (ν = {nu:.2f})" if spec.uses_nu else "")
            if loss[0].islower():  # a word, not a formula: perceptron
                name = f"the {name} loss"
        except (KeyError, TypeError, ValueError):
            return f"The field of the loss {loss!r} could not be drawn."
        what = ("Arrows of" if show == "arrows" else
                f"Paths of {self.n_particles} particles, {self.n_steps} "
                f"steps of α = {self.lr}, following")
        moving, held = (("prediction x", "target y") if wrt == "x"
                        else ("target y", "prediction x"))
        where = "({}, {})".format(*(
            f"{np.round(v, 2) + 0.0:.2f}".replace("-", "−")  # no −0.00
            for v in _unit(fixed_angle)))
        first = (f"{what} the negative gradient of {name} over the "
                 f"{moving}, from −2 to 2 in each coordinate, with the "
                 f"{held} at angle {fixed_angle}°, {where}.")
        facts = self._facts_at(loss, nu, log, wrt, fixed_angle)
        if facts is None:
            return first
        size, undefined, zero = facts
        if zero:
            second = " The gradient is zero everywhere: nothing moves."
        else:
            second = (" The median size of the gradient over the grid "
                      f"is {size:.3g}")
            second += (f"; no arrow at {undefined} points, where ℓ = 0 "
                       "and its log is undefined." if undefined else ".")
        if log and not spec.allows_log:
            second += (" The log is undefined for this loss (ℓ ≤ 0 on a "
                       "whole region), so ℓ itself is drawn.")
        return first + second

    def _facts_at(self, loss, nu, log, wrt, fixed_angle):
        """(median ‖∇‖, points without an arrow, zero everywhere) at
        these values: from the last update, else computed (None if the
        field cannot be computed)."""
        key = (loss, nu, log, wrt, fixed_angle)
        cached = getattr(self, "_facts", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            fixed = torch.tensor(_unit(fixed_angle))
            field, _ = losses.gradient_field(
                losses.loss_fn(loss, nu=nu), fixed, self.points, wrt=wrt,
                log=log and losses.LOSSES[loss].allows_log)
        except (KeyError, TypeError, ValueError):
            return None
        return _field_facts(field.numpy())

    def _paths(self, fn, fixed, wrt, use_log):
        try:
            paths = losses.flow(fn, torch.tensor(fixed), self.starts,
                                lr=self.lr, n_steps=self.n_steps, wrt=wrt,
                                log=use_log)
        except ValueError:  # a particle met a zero norm: fn undefined
            return []
        paths = paths.numpy().transpose(1, 0, 2)
        # Stop each path where it leaves the view, overflows or meets
        # a point where the log is undefined (NaN).
        inside = np.all(np.abs(paths) <= self.half_width, axis=-1)
        ends = np.where(inside.all(axis=1), paths.shape[1],
                        np.argmin(inside, axis=1))
        return [path[:end] for path, end in zip(paths, ends) if end > 1]


def plot_field(ax, loss, fixed, wrt="x", half_width=2.0, title=None,
               paths=None, log=False):
    """Arrows of −∇ ``loss`` (of log ``loss`` if ``log``) on a 25x25 grid
    of ``ax``, the fixed point marked (labelled "target y" or
    "prediction x" for a legend), and optional particle ``paths``
    (steps, P, 2). Returns the median ‖∇‖ that scales the arrows."""
    points = grid_points(half_width)
    field, _ = losses.gradient_field(loss, torch.as_tensor(fixed),
                                     points, wrt=wrt, log=log)
    vectors = arrow_lengths(field.numpy(), 2 * half_width / GRID)
    ax.quiver(points[..., 0], points[..., 1], vectors[..., 0],
              vectors[..., 1], color=BLUE, angles="xy", scale_units="xy",
              scale=1, width=0.005, pivot="middle")
    if paths is not None:
        ax.add_collection(LineCollection(
            np.asarray(paths).transpose(1, 0, 2), colors=ORANGE,
            linewidths=1.0))
    ax.plot(*np.asarray(fixed, dtype=float), "o", ms=8, color=BLACK,
            markeredgecolor="white",
            label="target y" if wrt == "x" else "prediction x")
    ax.set(xlim=(-half_width, half_width), ylim=(-half_width, half_width),
           aspect="equal", xlabel=f"${wrt}_1$", ylabel=f"${wrt}_2$",
           title=title or "")
    return field_size(field.numpy())


def plot_prediction_paths(ax, predictions, targets):
    """Predictions (K, N, 2) at K moments of training, each sample's
    path through them, its start (open circle), its end (dot) and its
    target (cross)."""
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    ax.add_collection(LineCollection(predictions.transpose(1, 0, 2),
                                     colors="0.6", linewidths=0.8))
    ax.plot(*predictions[0].T, "o", ms=5, mfc="white", color=BLUE,
            linestyle="none", label="predictions, start")
    ax.plot(*predictions[-1].T, "o", ms=4, color=BLUE, linestyle="none",
            label="predictions, end")
    ax.plot(*targets.T, "x", ms=6, color=ORANGE, linestyle="none",
            label="targets")
    ax.set(aspect="equal", xlabel="$x_1$ (and $y_1$)",
           ylabel="$x_2$ (and $y_2$)")
    ax.legend(loc="best", fontsize=8)
    return ax
