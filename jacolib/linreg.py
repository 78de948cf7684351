"""Chapter 1: linear regression as a toy model of training.

A convex quadratic objective, gradient descent on it, and the same
trajectory in closed form from the eigendecomposition of A.
"""

import numpy as np

# Relative size below which an eigenvalue of A counts as zero.
EIGEN_TOL = 1e-12


def _as_float_array(value, name):
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return array


class QuadraticObjective:
    """f(w) = ½ wᵀAw + bᵀw + c with A symmetric positive semi-definite.

    Linear regression is the instance A = XᵀX/N, b = −Xᵀt/N,
    c = tᵀt/(2N) (see ``from_regression``).
    """

    def __init__(self, A, b, c=0.0):
        A = _as_float_array(A, "A")
        b = _as_float_array(b, "b")
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(
                f"A must be a square matrix (d, d); got shape {A.shape}")
        if b.shape != (A.shape[0],):
            raise ValueError(
                f"b must have shape ({A.shape[0]},) to match A "
                f"{A.shape}; got {b.shape}")
        if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12):
            asym = float(np.max(np.abs(A - A.T)))
            raise ValueError(
                f"A must be symmetric; got max |A - Aᵀ| = {asym:.3g}")
        self.A, self.b, self.c = A, b, float(c)
        self.eigenvalues, self.Q = np.linalg.eigh(A)
        scale = max(1.0, float(np.max(np.abs(self.eigenvalues))))
        if self.eigenvalues[0] < -EIGEN_TOL * scale:
            raise ValueError(
                "A must be positive semi-definite; got smallest "
                f"eigenvalue {self.eigenvalues[0]:.3g}")
        self.eigenvalues = np.clip(self.eigenvalues, 0.0, None)

    @classmethod
    def from_regression(cls, X, t):
        """The mean squared error ½‖Xw − t‖²/N of a linear model."""
        X = _as_float_array(X, "X")
        t = _as_float_array(t, "t")
        if X.ndim != 2 or t.shape != (X.shape[0],):
            raise ValueError(
                "X must be (N, d) and t (N,); got X "
                f"{X.shape} and t {t.shape}")
        n_samples = X.shape[0]
        return cls(X.T @ X / n_samples, -X.T @ t / n_samples,
                   t @ t / (2 * n_samples))

    @property
    def dim(self):
        return self.b.shape[0]

    def _check_w(self, w):
        w = np.asarray(w, dtype=np.float64)
        if w.shape[-1:] != (self.dim,):
            raise ValueError(
                f"w must have shape ({self.dim},) or (..., {self.dim}); "
                f"got {w.shape}")
        return w

    def value(self, w):
        """f(w); ``w`` may carry leading batch axes, e.g. a grid."""
        w = self._check_w(w)
        quadratic = 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w)
        return quadratic + w @ self.b + self.c

    def grad(self, w):
        """∇f(w) = Aw + b."""
        w = self._check_w(w)
        return w @ self.A + self.b

    def is_zero_eigenvalue(self):
        """Mask of the eigen-directions where A is (numerically) flat."""
        scale = max(1.0, float(self.eigenvalues[-1]))
        return self.eigenvalues <= EIGEN_TOL * scale

    def minimizer(self):
        """The minimum-norm minimizer −A⁺b.

        Where A is singular and b has a component along its null space,
        f is unbounded below and there is no minimizer: that raises.
        """
        b_eig = self.Q.T @ self.b
        flat = self.is_zero_eigenvalue()
        if np.any(np.abs(b_eig[flat]) > 1e-10 * max(1.0, np.abs(b_eig).max())):
            raise ValueError(
                "f is unbounded below: b has a component along the null "
                "space of A, so no minimizer exists")
        w_eig = np.zeros_like(b_eig)
        w_eig[~flat] = -b_eig[~flat] / self.eigenvalues[~flat]
        return self.Q @ w_eig


def _check_run(objective, w0, lr, n_steps):
    w0 = np.asarray(w0, dtype=np.float64)
    if w0.shape != (objective.dim,):
        raise ValueError(
            f"w0 must have shape ({objective.dim},); got {w0.shape}")
    if not np.isscalar(lr) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if (not isinstance(n_steps, (int, np.integer))
            or isinstance(n_steps, bool) or n_steps < 0):
        raise ValueError(
            f"n_steps must be a non-negative int; got {n_steps!r}")
    return w0


def gd(objective, w0, lr, n_steps):
    """Run gradient descent; return the trajectory, shape (n_steps+1, d).

    A diverging run is a result, not an error: once the iterates
    overflow they are inf/nan and no warning is raised.
    """
    w = _check_run(objective, w0, lr, n_steps)
    trajectory = np.empty((n_steps + 1, objective.dim))
    trajectory[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps):
            w = w - lr * objective.grad(w)
            trajectory[k + 1] = w
    return trajectory


def closed_form(objective, w0, lr, n_steps):
    """The trajectory of ``gd`` from the eigendecomposition A = QDQᵀ.

    In the eigenbasis w̃ = Qᵀw each axis evolves alone:
    w̃ⱼ ← (1 − α aⱼ) w̃ⱼ − α b̃ⱼ. For aⱼ > 0 this is a geometric approach
    to w̃ⱼ* = −b̃ⱼ/aⱼ; for aⱼ = 0 it drifts by −α b̃ⱼ per step.
    """
    w0 = _check_run(objective, w0, lr, n_steps)
    a = objective.eigenvalues
    b_eig = objective.Q.T @ objective.b
    w0_eig = objective.Q.T @ w0
    steps = np.arange(n_steps + 1)[:, None]
    flat = objective.is_zero_eigenvalue()
    safe_a = np.where(flat, 1.0, a)
    w_star_eig = np.where(flat, 0.0, -b_eig / safe_a)
    with np.errstate(over="ignore", invalid="ignore"):
        decay = (1.0 - lr * a) ** steps
        curved = w_star_eig + decay * (w0_eig - w_star_eig)
    drifting = w0_eig - lr * b_eig * steps
    trajectory_eig = np.where(flat, drifting, curved)
    return trajectory_eig @ objective.Q.T


def stability_threshold(A):
    """The largest stable learning rate of GD on A: 2 / λmax."""
    A = _as_float_array(A, "A")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(
            f"A must be a square matrix (d, d); got shape {A.shape}")
    lambda_max = float(np.linalg.eigvalsh(A)[-1])
    if lambda_max <= 0:
        raise ValueError(
            f"A must have a positive eigenvalue; got λmax = {lambda_max:.3g}")
    return 2.0 / lambda_max


def conditioned_quadratic(kappa, angle=np.pi / 6, w_star=(1.0, 0.5)):
    """A 2-D quadratic with eigenvalues 1 and 1/κ, axes turned by angle.

    λmax = 1 whatever κ, so the stability threshold stays at α = 2 and
    the condition number alone sets how slow the flat axis is.
    """
    if not np.isfinite(kappa) or kappa < 1:
        raise ValueError(f"kappa must be a number >= 1; got {kappa!r}")
    c, s = np.cos(angle), np.sin(angle)
    Q = np.array([[c, -s], [s, c]])
    A = Q @ np.diag([1.0 / kappa, 1.0]) @ Q.T
    A = 0.5 * (A + A.T)  # exact symmetry despite rounding
    w_star = np.asarray(w_star, dtype=np.float64)
    return QuadraticObjective(A, -A @ w_star, 0.5 * w_star @ A @ w_star)


def per_axis_errors(objective, trajectory):
    """|w̃ⱼ(k) − w̃ⱼ*| for each eigen-direction j: shape (d, n_steps+1)."""
    w_star = objective.minimizer()
    return np.abs((trajectory - w_star) @ objective.Q).T



class LearningRateScene:
    """Chapter 1's live panel: GD on a 2-D quadratic with λmax = 1.

    Left: contours and the trajectory; middle: the error along each
    eigen-axis on a log scale; right: each axis's contraction factor
    |1 − α aⱼ| against α, with the threshold 2/λmax and the current α.
    Limits are fixed, so moving a slider never rescales an axis.
    """

    n_steps = 30
    w0 = np.array([-1.5, 1.5])
    xlim, ylim = (-2.5, 3.0), (-2.0, 3.0)

    def __init__(self, fig):
        from jacolib import plotting

        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15,
                            top=0.9, wspace=0.38)
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
        self.path_line, = ax.plot([], [], "o-", ms=3, lw=1.2,
                                  color="#D55E00", label="GD path")
        self.star, = ax.plot([], [], "*", ms=12, color="black",
                             label="minimum")
        self.legends = [_framed_legend(ax, "lower right")]
        self.path_title = ax.set_title(" ")

    def _setup_error_axes(self):
        ax = self.ax_err
        ax.set_yscale("log")
        ax.set(xlim=(0, self.n_steps), ylim=(1e-8, 1e4),
               xlabel="step $k$",
               ylabel=r"$|\tilde w_j^{(k)} - \tilde w_j^*|$",
               title="error along each eigen-axis")
        self.error_lines = [
            ax.plot([], [], label=label)[0]
            for label in ("flat axis $a_1 = 1/κ$", "steep axis $a_2 = 1$")]
        self.legends.append(_framed_legend(ax, "upper right"))

    def _setup_rate_axes(self):
        ax = self.ax_rate
        self.alphas = np.linspace(0.0, 2.6, 200)
        ax.set(xlim=(0, 2.6), ylim=(0, 1.6), xlabel="learning rate α",
               ylabel="contraction factor per step",
               title="stable while both factors < 1")
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.axvline(2.0, color="black", ls="--", lw=1.0,
                   label=r"$2/λ_{max}$")
        ax.plot(self.alphas, np.abs(1 - self.alphas), color="#D55E00",
                label="$|1 - α a_2|$")
        self.flat_factor, = ax.plot([], [], color="#0072B2",
                                    label="$|1 - α a_1|$")
        self.alpha_line = ax.axvline(1.0, color="#009E73", lw=1.5,
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
        self.path_title.set_text(f"GD path, α = {learning_rate:.2f}")
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

    def _redraw_contours(self, objective):
        if self.contours is not None:
            self.contours.remove()
        X, Y, _ = self.grid
        Z = objective.value(np.stack([X, Y], axis=-1))
        self.contours = self.ax_path.contour(
            X, Y, Z, levels=np.geomspace(0.01, 20, 12), linewidths=0.8)
        return self.contours


def _framed_legend(ax, loc):
    # Drawn over the moving lines, so it needs an opaque frame.
    return ax.legend(loc=loc, fontsize=8, frameon=True, framealpha=0.9)
