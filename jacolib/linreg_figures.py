"""Chapter 1's figures: the live panel of gradient descent on a 2-D
quadratic, computed in the browser (``LearningRatePanel``: every
control moves on the book's static page) or drawn by matplotlib in a
kernel (``LearningRateScene``, for ``jacolib.widgets.LivePanel``). Both
draw the same figure from the same numbers: the browser's maths
(jacolib/web/gd_quadratic.mjs) is tested against jacolib.linreg."""

import numpy as np
import traitlets

from jacolib import plotting
from jacolib.front_end import PanelWidget, contour_colors, esm_bundle
from jacolib.linreg import conditioned_quadratic, gd, per_axis_errors
from jacolib.plotting import PALETTE

BLUE, ORANGE, GREEN, BLACK = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[7]
CONTOUR_LEVELS = np.geomspace(0.01, 20, 12)


class LearningRateScene:
    """Chapter 1's live panel: GD on a 2-D quadratic with λmax = 1.

    Left: contours and the trajectory; middle: the error along each
    eigen-axis on a log scale; right: each axis's contraction factor
    |1 − α λⱼ| against α, with the threshold 2/λmax and the current α.
    Limits are fixed, so moving a slider never rescales an axis.
    """

    n_steps = 30
    w0 = np.array([-1.5, 1.5])
    xlim, ylim = (-2.5, 3.0), (-2.0, 3.0)

    def __init__(self, fig):
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15,
                            top=0.89, wspace=0.55)
        self.ax_path, self.ax_err, self.ax_rate = fig.subplots(1, 3)
        self.grid = plotting.grid_values(lambda w: w[..., 0], self.xlim,
                                         self.ylim, n=50)
        self._setup_path_axes()
        self._setup_error_axes()
        self._setup_rate_axes()
        self.contours = None

    def _setup_path_axes(self):
        ax = self.ax_path
        ax.set(xlim=self.xlim, ylim=self.ylim, xlabel="$w_1$",
               ylabel="$w_2$", aspect="equal")
        # No legend to hide a diverging path: the title names the marks.
        self.path_line, = ax.plot([], [], "o-", ms=3, lw=1.2, color=GREEN)
        self.star, = ax.plot([], [], "*", ms=13, color=BLACK)
        self.legends = []
        self.path_title = ax.set_title(" ")

    def _setup_error_axes(self):
        ax = self.ax_err
        ax.set_yscale("log")
        ax.set(xlim=(0, self.n_steps), ylim=(1e-8, 1e4),
               xlabel="step $k$",
               ylabel=r"$|\tilde w_j^{(k)} - \tilde w_j^*|$",
               title="error per eigen-axis")
        self.error_lines = [
            ax.plot([], [], style, color=color, label=label)[0]
            for style, color, label in [
                ("-", BLUE, "flat axis $λ_1 = 1/κ$"),
                ("--", ORANGE, "steep axis $λ_2 = 1$")]]
        self.legends.append(_framed_legend(ax, "upper right"))

    def _setup_rate_axes(self):
        ax = self.ax_rate
        self.alphas = np.linspace(0.0, 2.6, 200)
        ax.set(xlim=(0, 2.6), ylim=(0, 1.6), xlabel="learning rate α",
               ylabel="contraction factor per step",
               title="stable while both < 1")
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.axvline(2.0, color=BLACK, ls=":", lw=1.2,
                   label=r"$2/λ_{max}$")
        ax.plot(self.alphas, np.abs(1 - self.alphas), "--", color=ORANGE,
                label="$|1 - α λ_2|$")
        self.flat_factor, = ax.plot([], [], "-", color=BLUE,
                                    label="$|1 - α λ_1|$")
        self.alpha_line = ax.axvline(1.0, color=GREEN, lw=2.0,
                                     label="current α")
        self.legends.append(_framed_legend(ax, "upper left"))

    def update(self, learning_rate, condition_number):
        objective = conditioned_quadratic(condition_number)
        path = gd(objective, self.w0, learning_rate, self.n_steps)
        # Agg cannot draw coordinates near overflow: stop a diverging
        # path once it is far outside the view.
        inside = np.all(np.abs(path) < 1e3, axis=1)
        shown = path[: int(np.argmin(inside)) + 1] if not inside.all() \
            else path
        self.path_line.set_data(shown[:, 0], shown[:, 1])
        self.star.set_data(*[[v] for v in objective.minimizer()])
        self.path_title.set_text(
            f"GD path, α = {learning_rate:.2f}, ★ = min")
        errors = per_axis_errors(objective, path)
        steps = np.arange(self.n_steps + 1)
        for line, curve in zip(self.error_lines, errors):
            line.set_data(steps, np.clip(curve, 1e-300, 1e300))
        self.flat_factor.set_ydata(
            np.abs(1 - self.alphas / condition_number))
        self.flat_factor.set_xdata(self.alphas)
        self.alpha_line.set_xdata([learning_rate, learning_rate])
        return [self._redraw_contours(objective), self.path_line,
                self.star, self.path_title, *self.error_lines,
                self.flat_factor, self.alpha_line, *self.legends]

    def describe(self, learning_rate, condition_number):
        """The figure in words, for its text alternative."""
        factors = np.abs(1 - learning_rate * np.array(
            [1 / condition_number, 1.0]))
        rho = factors.max()
        verdict = ("the steep axis's error keeps its size: the path "
                   "oscillates" if np.isclose(rho, 1) else
                   f"both errors shrink, the slower one by a factor of "
                   f"{rho:.2f} per step" if rho < 1 else
                   f"the path diverges, its error growing by a factor of "
                   f"{rho:.2f} per step")
        return (f"Gradient descent on a quadratic with condition number "
                f"{condition_number:g} at learning rate "
                f"{learning_rate:.2f}: {verdict}. Left, the path over the "
                f"contours; middle, the error per eigen-axis against the "
                f"step; right, each axis's contraction factor against "
                f"the learning rate.")

    def _redraw_contours(self, objective):
        if self.contours is not None:
            self.contours.remove()
        X, Y, _ = self.grid
        Z = objective.value(np.stack([X, Y], axis=-1))
        self.contours = self.ax_path.contour(
            X, Y, Z, levels=CONTOUR_LEVELS, linewidths=0.8)
        return self.contours


def _framed_legend(ax, loc):
    # Drawn over the moving lines, so it needs an opaque frame.
    return ax.legend(loc=loc, fontsize=9, frameon=True, framealpha=0.9)


class LearningRatePanel(PanelWidget):
    """Chapter 1's live panel in the browser: ``LearningRateScene``'s
    figure, computed and drawn by the page itself, so that both sliders
    move on the static book.

    Controls: ``learning_rate`` α in [0.05, 2.5] and
    ``condition_number`` κ in [1, 50]; the run's start, its number of
    steps and the contour levels are the scene's (trait ``scene``).
    The figure's text alternative is ``LearningRateScene.describe`` at
    the current values, kept up to date by the page.
    """

    RANGES = {"learning_rate": (0.05, 2.5, 0.05),
              "condition_number": (1.0, 50.0, 1.0)}
    _esm = traitlets.Unicode(esm_bundle("gd_panel")).tag(sync=True)
    learning_rate = traitlets.Float(1.5).tag(sync=True)
    condition_number = traitlets.Float(10.0).tag(sync=True)
    scene = traitlets.Dict({
        "w0": LearningRateScene.w0.tolist(),
        "n_steps": LearningRateScene.n_steps,
        "levels": CONTOUR_LEVELS.tolist(),
        "colors": contour_colors(CONTOUR_LEVELS),
    }, read_only=True).tag(sync=True)

    @traitlets.validate(*RANGES)
    def _in_range(self, proposal):
        return self._validate_control(proposal.trait.name, proposal.value)
