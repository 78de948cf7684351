"""Chapter 1: linear regression as a toy model of training.

A convex quadratic objective, gradient descent on it, and the same
trajectory in closed form from the eigendecomposition of A.
"""

import functools

import numpy as np

from jacolib.validate import checked_by, require_count, \
    require_finite_array, require_positive, require_shape

# Relative size below which an eigenvalue of A counts as zero.
EIGEN_TOL = 1e-12


class QuadraticObjective:
    """L(w) = ½ wᵀAw + bᵀw + c with A symmetric positive semi-definite.

    Linear regression is the instance A = XᵀX/N, b = −Xᵀy/N,
    c = yᵀy/(2N) (see ``from_regression``).
    """

    def __init__(self, A, b, c=0.0):
        A = require_finite_array("A", A)
        b = require_finite_array("b", b)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(
                f"A must be a square matrix (n, n); got shape {A.shape}")
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
    def from_regression(cls, X, y):
        """The mean squared error ½‖Xw − y‖²/N of a linear model."""
        X = require_finite_array("X", X)
        y = require_finite_array("y", y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(
                "X must be (N, n) and y (N,); got X "
                f"{X.shape} and y {y.shape}")
        n_samples = X.shape[0]
        return cls(X.T @ X / n_samples, -X.T @ y / n_samples,
                   y @ y / (2 * n_samples))

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
        """L(w); ``w`` may carry leading batch axes, e.g. a grid."""
        w = self._check_w(w)
        quadratic = 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w)
        return quadratic + w @ self.b + self.c

    def grad(self, w):
        """∇L(w) = Aw + b."""
        w = self._check_w(w)
        return w @ self.A + self.b

    def is_zero_eigenvalue(self):
        """Mask of the eigen-directions where A is (numerically) flat."""
        scale = max(1.0, float(self.eigenvalues[-1]))
        return self.eigenvalues <= EIGEN_TOL * scale

    def minimizer(self):
        """The minimum-norm minimizer −A⁺b.

        Where A is singular and b has a component along its null space,
        L is unbounded below and there is no minimizer: that raises.
        """
        b_eig = self.Q.T @ self.b
        flat = self.is_zero_eigenvalue()
        if np.any(np.abs(b_eig[flat]) > 1e-10 * max(1.0, np.abs(b_eig).max())):
            raise ValueError(
                "L is unbounded below: b has a component along the null "
                "space of A, so no minimizer exists")
        w_eig = np.zeros_like(b_eig)
        w_eig[~flat] = -b_eig[~flat] / self.eigenvalues[~flat]
        return self.Q @ w_eig


def _run_inputs(objective, w0, lr, n_steps):
    require_shape("w0", w0, (objective.dim,))
    require_finite_array("w0", w0)
    require_positive("lr", lr)
    require_count("n_steps", n_steps)


def _divergence_is_a_result(run):
    """A diverging run is a result, not an error: once the iterates
    overflow they are inf/nan, and no warning is raised."""
    @functools.wraps(run)
    def quiet_run(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return run(*args, **kwargs)
    return quiet_run


@checked_by(_run_inputs)
@_divergence_is_a_result
def gd(objective, w0, lr, n_steps):
    """Run gradient descent; return the trajectory, shape (n_steps+1, n)."""
    w = np.asarray(w0, dtype=np.float64)
    trajectory = [w]
    for _ in range(n_steps):
        w = w - lr * objective.grad(w)  # w⁽ᵏ⁺¹⁾ = w⁽ᵏ⁾ − α ∇L(w⁽ᵏ⁾)
        trajectory.append(w)
    return np.array(trajectory)


@checked_by(_run_inputs)
@_divergence_is_a_result
def closed_form(objective, w0, lr, n_steps):
    """The trajectory of ``gd`` from the eigendecomposition A = QΛQᵀ.

    In the eigenbasis w̃ = Qᵀw each axis evolves alone:
    w̃ⱼ ← (1 − α λⱼ) w̃ⱼ − α b̃ⱼ. For λⱼ > 0 this is a geometric approach
    to w̃ⱼ* = −b̃ⱼ/λⱼ; for λⱼ = 0 it drifts by −α b̃ⱼ per step.
    """
    lam, Q = objective.eigenvalues, objective.Q
    b_tilde, w0_tilde = Q.T @ objective.b, Q.T @ np.asarray(w0, float)
    k = np.arange(n_steps + 1)[:, None]  # every step at once
    flat = objective.is_zero_eigenvalue()
    safe_lam = np.where(flat, 1.0, lam)
    w_star_tilde = np.where(flat, 0.0, -b_tilde / safe_lam)
    decay = (1.0 - lr * lam) ** k
    curved = w_star_tilde + decay * (w0_tilde - w_star_tilde)
    drifting = w0_tilde - lr * b_tilde * k
    return np.where(flat, drifting, curved) @ Q.T


def stability_threshold(A):
    """The stability threshold of GD on A, 2 / λmax: when L is bounded
    below, GD converges for every 0 < α < 2/λmax, and above it diverges
    from almost every start."""
    A = require_finite_array("A", A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(
            f"A must be a square matrix (n, n); got shape {A.shape}")
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
    """|w̃ⱼ(k) − w̃ⱼ*| for each eigen-direction j: shape (n, n_steps+1)."""
    w_star = objective.minimizer()
    return np.abs((trajectory - w_star) @ objective.Q).T
