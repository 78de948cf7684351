"""Chapter 3's figures: the JVP/VJP live panel and the cost plots.

The panel's map is a smooth warp of the plane,

    f(x) = (x1 + 0.4 sin(1.5 x2),  x2 + 0.25 x1**2 - 0.5),
    J(x) = [[1, 0.6 cos(1.5 x2)], [0.5 x1, 1]],

whose Jacobian is not symmetric, so J v and J^T u point different ways.
det J = 1 - 0.3 x1 cos(1.5 x2) >= 0.4 on the panel's square |xi| <= 2:
the warp folds nothing there.
"""

import numpy as np
import torch
from matplotlib.collections import LineCollection

from jacolib import autodiff
from jacolib.plotting import PALETTE

__all__ = ["warp", "warp_jacobian", "JvpVjpScene",
           "plot_jacobian_costs", "plot_pass_costs", "plot_hvp_costs",
           "plot_hessian_costs"]

BLUE, ORANGE, GREEN = PALETTE[0], PALETTE[1], PALETTE[2]
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
    the pull-back J^T u (orange), over the curves where <u, f(x)> is
    constant; J^T u is normal to them, being the gradient of <u, f>.
    Right, the output plane: the warped grid, the image of the line
    x + t v (a curve whose tangent at f(x) is J v, blue), the covector u
    (orange) and its straight level lines <u, z> = const. The title
    shows <u, J v> and <J^T u, v>, computed separately: always equal.
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
                       title="input: $x$, $v$ and the pull-back $J^T u$")
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
        self.legends = [ax.legend(loc="upper left", fontsize=8,
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
            rf"$\langle J^T u, v\rangle$ = {jt_u @ v:+.3f}")
        return [self.level_curves, self.levels_out, self.line_in,
                self.line_out, self.arrows_in, self.arrows_out,
                self.point_in, self.point_out, *self.labels,
                *self.legends, self.duality_text]

    def _draw_input_side(self, x, v, jt_u, u):
        t = np.linspace(-1.0, 1.0, 2)
        self.line_in.set_data(x[0] + t * v[0], x[1] + t * v[1])
        self.point_in.set_data([x[0]], [x[1]])
        self.arrows_in.set_offsets([x, x])
        self.arrows_in.set_UVC([v[0], jt_u[0]], [v[1], jt_u[1]])
        self._place_label(self.labels[0], x, v, "$v$")
        self._place_label(self.labels[1], x, jt_u, "$J^Tu$")
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


def _unit(angle_in_degrees):
    angle = np.deg2rad(angle_in_degrees)
    return np.array([np.cos(angle), np.sin(angle)])


# --- cost plots -------------------------------------------------------------

def plot_jacobian_costs(axes, costs):
    """Left: J's time against n at fixed n + m; right: against passes.

    ``costs`` is ``autodiff_costs.jacobian_shape_sweep``'s result.
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
    ax_passes.plot(costs.n, forward_ms, "o-", label="forward, $n$ passes")
    ax_passes.plot(costs.m, reverse_ms, "s-", label="reverse, $m$ passes")
    ax_passes.set(xlabel="number of passes", ylabel="time (ms)",
                  title="time grows with the number of passes")
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


def plot_hvp_costs(ax, costs, markers="o^sDv"):
    """Median time of each method against the parameter count, log-log.

    ``costs`` is ``autodiff_costs.hvp_cost_sweep``'s result.
    """
    for (name, seconds), marker in zip(costs.seconds.items(), markers):
        ax.loglog(costs.n_params, 1e3 * seconds, marker + "-", label=name)
    ax.set(xlabel="number of parameters $n$", ylabel="time (ms)",
           title="cost against the number of parameters")
    ax.legend()
    return ax


def plot_hessian_costs(ax, costs, sweep=None):
    """The time of H in units of one HVP against n, log-log.

    ``costs`` is ``autodiff_costs.hessian_build_sweep``'s result; the
    dotted line is n, what n HVPs cost if each costs one HVP.
    ``sweep=(n_params, ratios)`` adds the batched H of a larger sweep
    (``hvp_cost_sweep``'s), over the n where the loop is too slow.
    """
    n = costs.n_params
    if sweep is not None:
        n = np.union1d(n, sweep[0])
    ax.loglog(n, n, ":", color="0.4", label="$n$ (the count of HVPs)")
    ax.loglog(costs.n_params, costs.looped / costs.one_hvp, "o-",
              color=BLUE, label="$H$ from $n$ looped HVPs")
    ax.loglog(costs.n_params, costs.batched / costs.one_hvp, "s--",
              color=ORANGE, mfc="white",
              label="$H$ from $n$ HVPs in one vmap call")
    if sweep is not None:
        ax.loglog(*sweep, "^--", color=GREEN, mfc="white",
                  label="the same, in the sweep above")
    ax.set(xlabel="number of parameters $n$",
           ylabel="time of $H$ / time of one HVP",
           title="building $H$: $n$ HVPs, looped or batched")
    # Room above the lines for the legend.
    ax.set_ylim(top=10 * ax.get_ylim()[1])
    ax.legend(loc="upper left")
    return ax
