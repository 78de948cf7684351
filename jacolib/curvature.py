"""Chapter 2: curvature. Taylor models, the Hessian, Gauss-Newton and
the response Jacobian of an optimum.

Parameters are one flat vector ``w`` of shape (n,); losses are functions
of it returning a scalar tensor. Everything is torch float64 and built on
``torch.func``; Hessian-vector products are never a materialized H.
The small networks and trainers of the chapter are in
``jacolib.small_nets``, its figures in ``jacolib.curvature_figures``.
"""

from collections import namedtuple

import torch
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vjp

# The matrix-free products live in chapter 3's module; gnvp is
# re-exported so that ``curvature.gnvp`` keeps working.
from jacolib.autodiff import gnvp, hvp  # noqa: F401

TaylorModels = namedtuple(
    "TaylorModels", "steps true first_order second_order")
CGResult = namedtuple("CGResult", "x n_iter residual_norm converged")
SpectrumSummary = namedtuple(
    "SpectrumSummary", "n n_near_zero n_negative smallest largest")

STATIONARY_KINDS = ("minimum", "maximum", "saddle", "degenerate")


# --- input checks ----------------------------------------------------------
def _shape(x):
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def _check_flat(w, name="w"):
    if not (isinstance(w, torch.Tensor) and w.ndim == 1
            and w.is_floating_point()):
        raise ValueError(
            f"{name} must be a 1-D float tensor of shape (n,); "
            f"got {_shape(w)}")


def _check_like(v, reference, name, reference_name="w"):
    if not isinstance(v, torch.Tensor) or v.shape != reference.shape:
        raise ValueError(
            f"{name} must have the shape of {reference_name} "
            f"{tuple(reference.shape)}; got {_shape(v)}")


def _scalar_value(loss, w):
    value = loss(w)
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        raise ValueError(
            "loss must return a scalar tensor of shape (); "
            f"got {_shape(value)}")
    return value


# --- Taylor models ---------------------------------------------------------
def slope_and_curvature(loss, w, direction):
    """Slope gᵀd and curvature dᵀHd of ``loss`` at w along ``direction``.

    w, direction: (n,). Returns two scalar tensors. Hd comes from one
    Hessian-vector product, so this costs a few gradients, not n.
    """
    _check_flat(w)
    _check_like(direction, w, "direction")
    _scalar_value(loss, w)
    gradient, hessian_times_d = jvp(grad(loss), (w,), (direction,))
    return gradient @ direction, direction @ hessian_times_d


def taylor_models(loss, w, direction, steps):
    """The loss along w + s·d next to its first- and second-order models.

    w, direction: (n,); steps: the k values of s, shape (k,). Returns
    ``TaylorModels(steps, true, first_order, second_order)``, each (k,):
    true = L(w + s d), first_order = L + s gᵀd,
    second_order = L + s gᵀd + s²/2 dᵀHd.
    """
    slope, curvature = slope_and_curvature(loss, w, direction)
    steps = torch.as_tensor(steps, dtype=w.dtype)
    if steps.ndim != 1:
        raise ValueError(
            f"steps must be 1-D, shape (k,); got shape {tuple(steps.shape)}")
    value = loss(w).detach()
    true = torch.stack([loss(w + s * direction).detach() for s in steps])
    first_order = value + steps * slope
    second_order = first_order + 0.5 * steps**2 * curvature
    return TaylorModels(steps, true, first_order, second_order)


# --- the Hessian -----------------------------------------------------------
def hessian_eigenvalues(loss, w):
    """All eigenvalues of the Hessian of ``loss`` at ``w``, ascending, (n,).

    Materializes the n x n Hessian: meant for a few hundred parameters.
    """
    _check_flat(w)
    _scalar_value(loss, w)
    H = hessian(loss)(w)
    # Autodiff Hessians are symmetric only up to rounding.
    return torch.linalg.eigvalsh(0.5 * (H + H.T))


def spectrum_summary(eigenvalues, rel_tol=1e-3):
    """Counts that describe a Hessian spectrum, eigenvalues (n,).

    Relative to the scale s = max |λ|: ``n_near_zero`` counts |λ| <=
    rel_tol·s, ``n_negative`` counts λ < -rel_tol·s (clearly negative).
    Returns ``SpectrumSummary(n, n_near_zero, n_negative, smallest,
    largest)``, the last two as floats.
    """
    if not (isinstance(eigenvalues, torch.Tensor) and eigenvalues.ndim == 1
            and eigenvalues.numel() > 0):
        raise ValueError(
            "eigenvalues must be a non-empty 1-D tensor (n,); "
            f"got {_shape(eigenvalues)}")
    if not rel_tol >= 0:
        raise ValueError(f"rel_tol must be >= 0; got {rel_tol!r}")
    threshold = rel_tol * eigenvalues.abs().max().item()
    return SpectrumSummary(
        eigenvalues.numel(),
        int((eigenvalues.abs() <= threshold).sum()),
        int((eigenvalues < -threshold).sum()),
        eigenvalues.min().item(), eigenvalues.max().item())


def _check_symmetric(H):
    if not isinstance(H, torch.Tensor) or H.ndim != 2 \
            or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(
            f"H must be a non-empty square matrix (n, n); got {_shape(H)}")
    scale = max(1.0, H.abs().max().item())
    asymmetry = (H - H.T).abs().max().item()
    if asymmetry > 1e-10 * scale:
        raise ValueError(
            f"H of shape {tuple(H.shape)} must be symmetric; "
            f"got max |H - Hᵀ| = {asymmetry:.3g}")


def classify_stationary_point(H, tol=1e-8):
    """Kind of a stationary point from its Hessian H (n, n), symmetric.

    An eigenvalue counts as zero when |λ| <= tol (absolute). The rule:
    a positive and a negative eigenvalue make a "saddle", whatever the
    zeros (a zero direction cannot undo a descent direction); otherwise
    any zero eigenvalue gives "degenerate" (second order cannot decide,
    e.g. x⁴ + y² at 0); else all positive is "minimum", all negative
    "maximum". Returns one of ``STATIONARY_KINDS``.
    """
    _check_symmetric(H)
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol!r}")
    eigenvalues = torch.linalg.eigvalsh(0.5 * (H + H.T))
    has_positive = bool((eigenvalues > tol).any())
    has_negative = bool((eigenvalues < -tol).any())
    if has_positive and has_negative:
        return "saddle"
    if bool((eigenvalues.abs() <= tol).any()):
        return "degenerate"
    return "minimum" if has_positive else "maximum"


# --- Gauss-Newton ----------------------------------------------------------
# The objective is loss(f(w)): f maps w (n,) to outputs z of any shape,
# m = z.numel() numbers; loss maps z to a scalar. Its Hessian splits as
#   H = Jᵀ H_L J + Σ_a (∂L/∂z_a) ∇²f_a = G + residual term.

def gauss_newton(f, loss, w):
    """Gauss-Newton matrix G = Jᵀ H_L J, (n, n), of loss(f(w)) at w.

    J = ∂f/∂w is (m, n) and H_L = ∂²loss/∂z² is (m, m) at z = f(w).
    G is positive semi-definite whenever the loss is convex in z.
    """
    _check_flat(w)
    z = f(w)
    n, m = w.numel(), z.numel()
    J = jacrev(f)(w).reshape(m, n)
    H_loss = hessian(loss)(z).reshape(m, m)
    return J.T @ H_loss @ J


def gauss_newton_residual(f, loss, w):
    """The rest of the Hessian: Σ_a (∂L/∂z_a) ∇²f_a(w), shape (n, n).

    Computed as the Hessian of w ↦ rᵀf(w) with r = ∂L/∂z frozen at
    z = f(w), which avoids building m separate Hessians of f.
    """
    _check_flat(w)
    residual = grad(loss)(f(w)).detach()
    return hessian(lambda w_: (residual * f(w_)).sum())(w)


def _gauss_newton_matvec(f, loss, w, damping):
    # Linearize f once; every CG step then costs one JVP and one VJP.
    z, pullback = vjp(f, w)
    z = z.detach()

    def matvec(v):
        J_v = jvp(f, (w,), (v,))[1]
        return pullback(hvp(loss, z, J_v))[0] + damping * v
    return matvec


# --- conjugate gradient ----------------------------------------------------
def conjugate_gradient(matvec, b, tol=1e-10, max_iter=None):
    """Solve A x = b for a symmetric positive definite A given as matvec.

    b: (n,); matvec(v) -> A v, (n,). Stops when ‖b - A x‖ <= tol·‖b‖
    or after ``max_iter`` (default 10 n) steps. Returns
    ``CGResult(x, n_iter, residual_norm, converged)``. Raises ValueError
    when a search direction p has pᵀAp <= 0: A is not positive definite.
    """
    _check_flat(b, "b")
    max_iter = 10 * b.numel() if max_iter is None else max_iter
    x = torch.zeros_like(b)
    product = matvec(x)
    if product.shape != b.shape:
        raise ValueError(
            f"matvec must map shape {tuple(b.shape)} to itself; "
            f"got {tuple(product.shape)}")
    residual = b - product
    direction = residual.clone()
    r_dot_r = residual @ residual
    target = tol * b.norm()
    for n_iter in range(max_iter):
        if r_dot_r.sqrt() <= target:
            return CGResult(x, n_iter, r_dot_r.sqrt(), True)
        A_p = matvec(direction)
        curvature = direction @ A_p
        if curvature <= 0:
            raise ValueError(
                "matvec is not positive definite: pᵀAp = "
                f"{curvature.item():.3g} at iteration {n_iter}")
        step = r_dot_r / curvature
        x = x + step * direction
        residual = residual - step * A_p
        r_dot_r, previous = residual @ residual, r_dot_r
        direction = residual + (r_dot_r / previous) * direction
    converged = bool(r_dot_r.sqrt() <= target)
    return CGResult(x, max_iter, r_dot_r.sqrt(), converged)


# --- response Jacobian of an optimum ---------------------------------------
# At a minimum w*(θ) of L(w, θ), ∇_w L(w*(θ), θ) = 0 for every θ, so by
# the implicit function theorem dw*/dθ = -H_ww⁻¹ H_wθ.

def _check_theta(theta, name="theta"):
    if not (isinstance(theta, torch.Tensor) and theta.is_floating_point()):
        raise ValueError(
            f"{name} must be a float tensor (any shape); got {_shape(theta)}")


def response_jacobian(objective, w_star, theta):
    """Direct dw*/dθ = -H_ww⁻¹ H_wθ at a minimum w* of objective(w, θ).

    w_star: (n,); theta: any shape (p numbers, a scalar λ is shape ()).
    Materializes H_ww (n, n) and H_wθ (n, p) and solves: small problems.
    Returns shape (n,) + theta.shape. Assumes ∇_w objective = 0 at w*.
    """
    _check_flat(w_star, "w_star")
    _check_theta(theta)
    n, p = w_star.numel(), theta.numel()
    H_ww = hessian(objective, argnums=0)(w_star, theta)
    H_w_theta = jacfwd(grad(objective, argnums=0), argnums=1)(w_star, theta)
    solution = torch.linalg.solve(H_ww, H_w_theta.reshape(n, p))
    return -solution.reshape((n,) + tuple(theta.shape))


def _curvature_matvec(f, loss, w, curvature, damping):
    if curvature == "gauss_newton":
        return _gauss_newton_matvec(f, loss, w, damping)
    if curvature == "hessian":
        return lambda v: hvp(lambda w_: loss(f(w_)), w, v) + damping * v
    raise ValueError(
        f"curvature must be 'gauss_newton' or 'hessian'; got {curvature!r}")


def response_jacobian_cg(f, loss, w_star, theta, dtheta, damping=0.0,
                         curvature="gauss_newton", tol=1e-10,
                         max_iter=None):
    """Matrix-free dw* = (dw*/dθ) dθ at a minimum w* of the training
    objective loss(f(w), θ) + damping/2 ‖w‖².

    f: w (n,) -> outputs z (e.g. predictions on the training set);
    loss: (z, θ) -> scalar (θ e.g. the targets); theta, dtheta: same
    shape. The mixed product H_wθ dθ is a JVP in θ of ∇_w; CG solves
    (C + damping I) dw* = -H_wθ dθ with C the Gauss-Newton matrix
    (``curvature="gauss_newton"``: exact when the fit's residuals
    vanish, an approximation otherwise) or the Hessian of loss(f(w), θ)
    (``"hessian"``: exact, needs C + damping I positive definite).
    Pass the training's weight decay as ``damping``: then it is exact.
    A damping the training did not have makes a singular C solvable but
    biases dw* (13% at 1e-4 for the 16-parameter MLP of the tests).
    Returns the ``CGResult``; its ``x`` (n,) is dw*.
    """
    _check_flat(w_star, "w_star")
    _check_theta(theta)
    _check_like(dtheta, theta, "dtheta", "theta")

    matvec = _curvature_matvec(
        f, lambda z: loss(z, theta), w_star, curvature, damping)

    def gradient_in_w(theta_):
        return grad(lambda w: loss(f(w), theta_))(w_star)

    mixed = jvp(gradient_in_w, (theta,), (dtheta,))[1]
    return conjugate_gradient(matvec, -mixed, tol=tol, max_iter=max_iter)
