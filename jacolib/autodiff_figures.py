"""Chapter 3's figures: the JVP/VJP live panel (``JvpVjpField`` in the
browser, on the page; ``JvpVjpScene``, its matplotlib twin, in the
kernel) and the cost plots.

The panel's map is a smooth warp of the plane,

    f(x) = (x1 + 0.4 sin(1.5 x2),  x2 + 0.25 x1**2 - 0.5),
    J(x) = [[1, 0.6 cos(1.5 x2)], [0.5 x1, 1]],

whose Jacobian is not symmetric, so J v and J^T u point different ways.
det J = 1 - 0.3 x1 cos(1.5 x2) >= 0.4 on the panel's square |xi| <= 2:
the warp folds nothing there.
"""

import itertools
import re
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from matplotlib.collections import LineCollection

from jacolib import autodiff
from jacolib.plotting import LINESTYLES, PALETTE

__all__ = ["warp", "warp_jacobian", "JvpVjpScene", "JvpVjpField",
           "plot_jacobian_costs", "plot_pass_costs", "plot_hvp_costs",
           "plot_hessian_costs"]

BLUE, ORANGE, GREEN = PALETTE[0], PALETTE[1], PALETTE[2]
# The palette's colours with their dashes, less its yellow, too faint on
# white for a thin line.
_LINE_STYLES = [(color, dash) for color, dash in zip(PALETTE, LINESTYLES)
                if color != "#F0E442"]
LIMIT = 2.0  # the panel's input square is [-LIMIT, LIMIT]^2


def warp(x):
    """The panel's map R^2 -> R^2, on points of shape (..., 2).

    Written with jacolib.autodiff's sin, so it runs on numpy arrays (to
    draw) and on torch tensors (for torch.func) alike.
    """
    x1, x2 = x[..., 0], x[..., 1]
    z1 = x1 + 0.4 * autodiff.sin(1.5 * x2)
    z2 = x2 + 0.25 * x1 ** 2 - 0.5
    if isinstance(x, torch.Tensor):
        return torch.stack([z1, z2], dim=-1)
    return np.stack([z1, z2], axis=-1)


def warp_jacobian(x):
    """J(x) of ``warp`` at one point x of shape (2,), by hand."""
    x = np.asarray(x, dtype=float)
    if x.shape != (2,):
        raise ValueError(f"x must have shape (2,); got {x.shape}")
    return np.array([[1.0, 0.6 * np.cos(1.5 * x[1])],
                     [0.5 * x[0], 1.0]])


class JvpVjpScene:
    """Push a direction forward, pull a covector back, through ``warp``.

    Left, the input plane: the point x, a unit direction v (blue) and
    the pull-back J^⊤u (orange), over the curves where <u, f(x)> is
    constant; J^⊤u is normal to them, being the gradient of <u, f>.
    Right, the output plane: the warped grid, the image of the line
    x + t v (a curve whose tangent at f(x) is J v, blue), the covector u
    (orange) and its straight level lines <u, z> = const. The title
    shows <u, J v> and <J^⊤u, v>, computed separately: always equal.
    """

    level_spacing = 0.5
    input_limits = (-3.3, 3.3)
    output_limits = (-3.5, 3.5)

    def __init__(self, fig):
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12,
                            top=0.84, wspace=0.2)
        self.fig = fig
        self.ax_in, self.ax_out = fig.subplots(1, 2)
        ticks = np.linspace(-LIMIT, LIMIT, 9)
        self._grid_lines(self.ax_in, ticks, transform=None)
        self._grid_lines(self.ax_out, ticks, transform=warp)
        self.ax_in.set(xlim=self.input_limits, ylim=self.input_limits,
                       xlabel="$x_1$", ylabel="$x_2$",
                       title=r"input: $x$, $v$ and the pull-back $J^\top u$")
        self.ax_out.set(xlim=self.output_limits, ylim=self.output_limits,
                        xlabel="$z_1$", ylabel="$z_2$",
                        title="output: $f(x)$, $Jv$ and the covector $u$")
        for ax in (self.ax_in, self.ax_out):
            ax.set_aspect("equal")
            ax.grid(False)
        self._make_moving_artists()
        self.duality_text = fig.suptitle(" ", fontsize=11)
        self.level_curves = None
        points = np.linspace(*self.input_limits, 61)
        self.mesh = np.stack(np.meshgrid(points, points), axis=-1)
        self.warped_mesh = warp(self.mesh)

    def _grid_lines(self, ax, ticks, transform):
        t = np.linspace(-LIMIT, LIMIT, 80)
        lines = []
        for k in ticks:
            for line in (np.stack([t, np.full_like(t, k)], axis=-1),
                         np.stack([np.full_like(t, k), t], axis=-1)):
                lines.append(line if transform is None else transform(line))
        ax.add_collection(LineCollection(lines, colors="0.75", lw=0.7))

    def _make_moving_artists(self):
        arrow = dict(angles="xy", scale_units="xy", scale=1, width=0.012,
                     zorder=4)
        self.arrows_in = self.ax_in.quiver(
            [0, 0], [0, 0], [1, 1], [1, 1], color=[BLUE, ORANGE], **arrow)
        self.arrows_out = self.ax_out.quiver(
            [0, 0], [0, 0], [1, 1], [1, 1], color=[BLUE, ORANGE], **arrow)
        self.line_in, = self.ax_in.plot([], [], "--", color=BLUE, lw=1.2,
                                        label="$x + t v$")
        self.line_out, = self.ax_out.plot([], [], "--", color=BLUE, lw=1.2,
                                          label="$f(x + t v)$")
        self.point_in, = self.ax_in.plot([], [], "o", color="black", ms=5)
        self.point_out, = self.ax_out.plot([], [], "o", color="black", ms=5)
        self.levels_out = LineCollection([], colors=ORANGE, lw=0.8,
                                         alpha=0.5)
        self.ax_out.add_collection(self.levels_out)
        self.labels = [ax.text(0, 0, "", ha="center", va="center",
                               fontsize=10, zorder=5, clip_on=True)
                       for ax in (self.ax_in, self.ax_in, self.ax_out,
                                  self.ax_out)]
        # Drawn over the moving lines, so they need an opaque frame.
        self.legends = [ax.legend(loc="upper left", fontsize=10,
                                  frameon=True, framealpha=0.9)
                        for ax in (self.ax_in, self.ax_out)]

    def update(self, x1, x2, v_angle, u_angle):
        x = torch.tensor([x1, x2], dtype=torch.float64)
        v = _unit(v_angle)
        u = _unit(u_angle)
        z, j_v = autodiff.jvp(warp, x, torch.as_tensor(v))
        _, jt_u = autodiff.vjp(warp, x, torch.as_tensor(u))
        x, z, j_v, jt_u = (t.numpy() for t in (x, z, j_v, jt_u))
        self._draw_input_side(x, v, jt_u, u)
        self._draw_output_side(x, z, v, j_v, u)
        self.duality_text.set_text(
            rf"$\langle u, Jv\rangle$ = {u @ j_v:+.3f}     "
            rf"$\langle J^\top u, v\rangle$ = {jt_u @ v:+.3f}")
        return [self.level_curves, self.levels_out, self.line_in,
                self.line_out, self.arrows_in, self.arrows_out,
                self.point_in, self.point_out, *self.labels,
                *self.legends, self.duality_text]

    def describe(self, x1, x2, v_angle, u_angle):
        """The figure in words at these values, for its text alternative.

        From the closed forms (``warp``, ``warp_jacobian``): a few
        microseconds, and it never raises.
        """
        return describe_jvp_vjp(x1, x2, v_angle, u_angle)

    def _draw_input_side(self, x, v, jt_u, u):
        t = np.linspace(-1.0, 1.0, 2)
        self.line_in.set_data(x[0] + t * v[0], x[1] + t * v[1])
        self.point_in.set_data([x[0]], [x[1]])
        self.arrows_in.set_offsets([x, x])
        self.arrows_in.set_UVC([v[0], jt_u[0]], [v[1], jt_u[1]])
        self._place_label(self.labels[0], x, v, "$v$")
        self._place_label(self.labels[1], x, jt_u, r"$J^\top u$")
        if self.level_curves is not None:
            self.level_curves.remove()
        # Level sets of x -> <u, f(x)>, at the levels of the right side.
        values = self.warped_mesh @ u
        through = u @ warp(x)
        levels = self._levels(through, values)
        self.level_curves = self.ax_in.contour(
            self.mesh[..., 0], self.mesh[..., 1], values, levels=levels,
            colors=ORANGE, linewidths=self._widths(levels, through),
            linestyles="solid", alpha=0.6)

    def _draw_output_side(self, x, z, v, j_v, u):
        t = np.linspace(-1.0, 1.0, 41)[:, None]
        curve = warp(x + t * v)
        self.line_out.set_data(curve[:, 0], curve[:, 1])
        self.point_out.set_data([z[0]], [z[1]])
        self.arrows_out.set_offsets([z, z])
        self.arrows_out.set_UVC([j_v[0], u[0]], [j_v[1], u[1]])
        self._place_label(self.labels[2], z, j_v, "$Jv$")
        self._place_label(self.labels[3], z, u, "$u$")
        # The straight lines <u, z> = c through the points c u.
        along = np.array([-u[1], u[0]]) * 10.0
        levels = self._levels(u @ z, np.array([-6.0, 6.0]))
        self.levels_out.set_segments(
            [[c * u - along, c * u + along] for c in levels])
        self.levels_out.set_linewidths(self._widths(levels, u @ z))

    def _levels(self, through, values):
        """Levels spaced ``level_spacing`` apart over the range of
        ``values``, one of them exactly ``through`` (the value at x)."""
        step = self.level_spacing
        low = through - step * np.floor((through - values.min()) / step)
        others = np.arange(low, values.max() + step / 2, step)
        others = others[np.abs(others - through) > step / 2]
        return np.sort(np.concatenate([[through], others]))

    @staticmethod
    def _widths(levels, through):
        # The level set through x is the one J^T u is normal to.
        return np.where(np.isclose(levels, through, atol=1e-9), 2.0, 0.8)

    @staticmethod
    def _place_label(label, base, arrow, text):
        # Just past the arrow's tip, so the label never hides the arrow.
        length = max(np.hypot(*arrow), 1e-12)
        label.set_position(base + arrow + 0.3 * arrow / length)
        label.set_text(text)


WEB = Path(__file__).resolve().parent / "web"


def _esm_source():
    """The widget's module: the maths, then the widget that imports it,
    as one file (a page with no server can load only one)."""
    maths = (WEB / "jvp_vjp_maths.mjs").read_text()
    widget = (WEB / "jvp_vjp_widget.mjs").read_text()
    importing = re.compile(r'^import \{[^}]*\} from "\./jvp_vjp_maths'
                           r'\.mjs";\n', re.MULTILINE)
    if len(importing.findall(widget)) != 1:
        raise RuntimeError("jvp_vjp_widget.mjs must import "
                           "jvp_vjp_maths.mjs in one line")
    return maths + "\n" + importing.sub("", widget)


CSS = """
.jacolib-jvp { font-size: 0.9rem; }
.jacolib-jvp-controls { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem;
  align-items: center; margin-bottom: 0.4rem; }
.jacolib-jvp-controls span { display: inline-block; min-width: 3.2em; }
.jacolib-jvp canvas { border: 1px solid #ccc; display: block;
  max-width: 100%; height: auto !important; }
.jacolib-jvp :focus-visible { outline: 3px solid #c45a00;
  outline-offset: 2px; }
@media print { .jacolib-jvp-controls { display: none; }
  .jacolib-jvp canvas { border: none; } }
"""


class JvpVjpField(anywidget.AnyWidget):
    """``JvpVjpScene`` computed and drawn in the browser: every control
    (the point x = (x1, x2), the angles of v and u in degrees) works on
    the static page, without a kernel. The maths is
    jacolib/web/jvp_vjp_maths.mjs, tested against ``warp``,
    ``warp_jacobian`` and ``describe_jvp_vjp``; the canvas's text
    alternative is ``describe_jvp_vjp`` at the current values."""

    _esm = traitlets.Unicode(_esm_source()).tag(sync=True)
    _css = traitlets.Unicode(CSS).tag(sync=True)
    x1 = traitlets.Float(0.8).tag(sync=True)
    x2 = traitlets.Float(-0.5).tag(sync=True)
    v_angle = traitlets.Float(30.0).tag(sync=True)
    u_angle = traitlets.Float(120.0).tag(sync=True)

    @traitlets.validate("x1", "x2")
    def _on_the_square(self, proposal):
        if not -LIMIT <= proposal.value <= LIMIT:
            raise traitlets.TraitError(
                f"{proposal.trait.name} must lie in [-{LIMIT:g}, "
                f"{LIMIT:g}]; got {proposal.value!r}")
        return proposal.value

    @traitlets.validate("v_angle", "u_angle")
    def _an_angle(self, proposal):
        if not 0 <= proposal.value <= 360:
            raise traitlets.TraitError(
                f"{proposal.trait.name} must lie in [0, 360] degrees; "
                f"got {proposal.value!r}")
        return proposal.value

    def describe(self):
        """The canvas's text alternative at the current values."""
        return describe_jvp_vjp(self.x1, self.x2, self.v_angle,
                                self.u_angle)


def _unit(angle_in_degrees):
    angle = np.deg2rad(angle_in_degrees)
    return np.array([np.cos(angle), np.sin(angle)])


def describe_jvp_vjp(x1, x2, v_angle, u_angle):
    """One or two sentences saying what the panel shows at these values,
    with the vectors it draws: the text alternative of its image."""
    x = np.array([x1, x2], dtype=float)
    v, u = _unit(v_angle), _unit(u_angle)
    J = warp_jacobian(x)
    j_v, jt_u = J @ v, J.T @ u
    return (f"Left, the input plane: at x = {_pair(x)} the unit "
            f"direction v at {_degrees(v_angle)}° and the pull-back "
            f"Jᵀu = {_pair(jt_u)}, normal to the thick curve where "
            f"⟨u, f⟩ is constant. Right, the output plane: at f(x) = "
            f"{_pair(warp(x))} the push-forward Jv = {_pair(j_v)} and the "
            f"unit covector u at {_degrees(u_angle)}°; ⟨u, Jv⟩ = "
            f"⟨Jᵀu, v⟩ = {_number(u @ j_v, 3, sign=True)}.")


def _number(value, digits=2, sign=False):
    """``value`` to ``digits`` decimals with a true minus sign, and no
    "−0.00" for a value that rounds to zero."""
    text = f"{float(value):{'+' if sign else ''}.{digits}f}"
    if float(text) == 0:
        text = text.replace("-", "+" if sign else "")
    return text.replace("-", "−")


def _pair(vector):
    return f"({_number(vector[0])}, {_number(vector[1])})"


def _degrees(angle):
    return f"{float(angle):g}"


# --- cost plots -------------------------------------------------------------

def plot_jacobian_costs(axes, costs, fits=None):
    """Left: J's time against n at fixed n + m; right: against passes.

    ``costs`` is ``autodiff_costs.jacobian_shape_sweep``'s result.
    ``fits={"forward": fit, "reverse": fit}``, each a
    ``timing.affine_fit`` of that mode's time against its passes P,
    adds the lines t_call + P t_pass to the right panel, from P = 0.
    """
    ax_shape, ax_passes = axes
    forward_ms, reverse_ms = 1e3 * costs.forward, 1e3 * costs.reverse
    ax_shape.plot(costs.n, forward_ms, "o-", label="forward: $n$ JVPs")
    ax_shape.plot(costs.n, reverse_ms, "s-", label="reverse: $m$ VJPs")
    ax_shape.set(xlabel="inputs $n$ (outputs "
                        f"$m = {costs.n[0] + costs.m[0]} - n$)",
                 ylabel="time for the full $J$ (ms)",
                 title="tall $J$ (left) to wide $J$ (right)")
    ax_shape.legend()
    ax_passes.plot(costs.n, forward_ms, "o-", color=BLUE,
                   label="forward, $n$ passes")
    ax_passes.plot(costs.m, reverse_ms, "s-", color=ORANGE,
                   label="reverse, $m$ passes")
    # Dotted and dashed: the two fits differ by more than their colour.
    for mode, color, style in (("forward", BLUE, ":"),
                               ("reverse", ORANGE, "--")):
        if fits is not None:
            passes = np.array([0, max(costs.n.max(), costs.m.max())])
            line = 1e3 * (fits[mode].fixed + passes * fits[mode].per_unit)
            ax_passes.plot(passes, line, style, color=color, lw=1.4,
                           label=f"{mode}, fit "
                                 r"$t_{\mathrm{call}} + P\,t_{\mathrm{pass}}$")
    ax_passes.set(xlabel="number of passes $P$", ylabel="time (ms)",
                  title="time grows with the number of passes")
    ax_passes.set_xlim(left=0)
    ax_passes.legend()
    for ax in axes:
        ax.set_ylim(bottom=0)
    return axes


def plot_pass_costs(ax, costs):
    """Time per pass against the number of passes P, log-log.

    ``costs`` is ``autodiff_costs.pass_count_sweep``'s result. JVPs are
    circles, VJPs squares; looped passes solid lines, batched dashed.
    """
    for mode, marker in (("JVPs", "o"), ("VJPs", "s")):
        for style, counts, seconds, line in (
                ("looped", costs.looped_counts, costs.looped, "-"),
                ("batched", costs.counts, costs.batched, "--")):
            per_pass_us = 1e6 * seconds[mode] / counts
            ax.loglog(counts, per_pass_us, marker + line,
                      color=BLUE if mode == "JVPs" else ORANGE,
                      mfc="white" if style == "batched" else None,
                      label=f"{mode}, {style}")
    ax.set(xlabel="number of passes $P$", ylabel="time per pass (µs)",
           title="time per pass: one call each, or one vmap call")
    ax.legend()
    return ax


def plot_hvp_costs(ax, costs, markers="o^sDvPX<>"):
    """Median time of each method against the parameter count, log-log.

    ``costs`` is ``autodiff_costs.hvp_cost_sweep``'s result. Each method
    has its own marker, and its colour with that colour's dash; the
    markers repeat if there are more methods than markers.
    """
    styles = zip(itertools.cycle(markers), itertools.cycle(_LINE_STYLES))
    for (name, seconds), (marker, (color, dash)) in zip(
            costs.seconds.items(), styles):
        ax.loglog(costs.n_params, 1e3 * seconds, marker=marker,
                  color=color, linestyle=dash, label=name)
    ax.set(xlabel="number of parameters $n$", ylabel="time (ms)",
           title="cost against the number of parameters")
    # Below the axes, in two columns: inside, it would hide the lines.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    return ax


def plot_hessian_costs(ax, costs, sweep=None, family="",
                       sweep_family=""):
    """The time of H in units of one HVP against n, log-log.

    ``costs`` is ``autodiff_costs.hessian_build_sweep``'s result; the
    dotted line is n, what n HVPs cost if each costs one HVP.
    ``sweep=(n_params, ratios)`` adds the batched H of a larger sweep
    (``hvp_cost_sweep``'s), over the n where the loop is too slow.
    ``family`` and ``sweep_family`` name the MLPs of each in the legend
    (they differ: the two sweeps are not one family of networks).
    """
    n = costs.n_params
    if sweep is not None:
        n = np.union1d(n, sweep[0])
    ax.loglog(n, n, ":", color="0.4", label="$n$ (the count of HVPs)")
    ax.loglog(costs.n_params, costs.looped / costs.one_hvp, "o-",
              color=BLUE, label=_with_family("$n$ HVPs, looped", family))
    ax.loglog(costs.n_params, costs.batched / costs.one_hvp, "s--",
              color=ORANGE, mfc="white",
              label=_with_family("$n$ HVPs in one vmap call", family))
    if sweep is not None:
        ax.loglog(*sweep, "^--", color=GREEN, mfc="white",
                  label=_with_family("$n$ HVPs in one vmap call",
                                     sweep_family))
    ax.set(xlabel="number of parameters $n$",
           ylabel="time of $H$ / time of one HVP",
           title="building $H$: $n$ HVPs, looped or batched")
    # Room above the lines for the legend.
    ax.set_ylim(top=10 * ax.get_ylim()[1])
    ax.legend(loc="upper left")
    return ax


def _with_family(label, family):
    return f"{label} ({family})" if family else label
