"""Chapter 2: curvature. Taylor models, the Hessian and its largest
eigenvalue (by power iteration), Gauss-Newton and the response Jacobian
of an optimum.

Parameters are one flat vector ``w`` of shape (n,); losses are functions
of it returning a scalar tensor. Everything is torch float64 and built on
``torch.func``; Hessian-vector products are never a materialized H.
The small networks and trainers of the chapter are in
``jacolib.small_nets``, its figures in ``jacolib.curvature_figures``.
"""

from collections import namedtuple

import torch
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vjp

from jacolib.autodiff import hvp
from jacolib.validate import checked_by, describe, require_flat, \
    require_in, require_like, require_scalar_tensor

TaylorModels = namedtuple(
    "TaylorModels", "steps true first_order second_order")
CGResult = namedtuple("CGResult", "x n_iter residual_norm converged")
SpectrumSummary = namedtuple(
    "SpectrumSummary", "n n_near_zero n_negative smallest largest")
PowerIteration = namedtuple("PowerIteration",
                            "eigenvalue vector n_iter converged")

STATIONARY_KINDS = ("minimum", "maximum", "saddle", "degenerate")


# --- input checks ----------------------------------------------------------
def _scalar_value(loss, w):
    value = loss(w)
    require_scalar_tensor("loss", value)
    return value


def _loss_point_direction(loss, w, direction, *rest):
    require_flat("w", w)
    require_like("direction", direction, w, "w")
    _scalar_value(loss, w)


# --- Taylor models ---------------------------------------------------------
@checked_by(_loss_point_direction)
def slope_and_curvature(loss, w, direction):
    """Slope gᵀd and curvature dᵀHd of ``loss`` at w along ``direction``.

    w, direction: (n,). Returns two scalar tensors. Hd comes from one
    Hessian-vector product, so this costs a few gradients, not n.
    """
    gradient, hessian_times_d = jvp(grad(loss), (w,), (direction,))
    return gradient @ direction, direction @ hessian_times_d


def taylor_models(loss, w, direction, steps):
    """The loss along w + t·d next to its first- and second-order models.

    w, direction: (n,); steps: the k positions t, shape (k,). Returns
    ``TaylorModels(steps, true, first_order, second_order)``, each (k,):
    true = L(w + t d), first_order = L + t gᵀd,
    second_order = L + t gᵀd + t²/2 dᵀHd.
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
    require_flat("w", w)
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
            f"got {describe(eigenvalues)}")
    if not rel_tol >= 0:
        raise ValueError(f"rel_tol must be >= 0; got {rel_tol!r}")
    threshold = rel_tol * eigenvalues.abs().max().item()
    return SpectrumSummary(
        eigenvalues.numel(),
        int((eigenvalues.abs() <= threshold).sum()),
        int((eigenvalues < -threshold).sum()),
        eigenvalues.min().item(), eigenvalues.max().item())


def _power_inputs(matvec, start, tol=1e-12, max_iter=500):
    require_flat("start", start)
    if not start.norm() > 0:
        raise ValueError("start must be a nonzero vector")
    product = matvec(start)
    if not isinstance(product, torch.Tensor) \
            or product.shape != start.shape:
        raise ValueError(
            f"matvec must map shape {tuple(start.shape)} to itself; "
            f"got {describe(product)}")


@checked_by(_power_inputs)
def power_iteration(matvec, start, tol=1e-12, max_iter=500):
    """The eigenvalue of largest |λ| of a symmetric A, given as matvec.

    start: (n,), any vector not orthogonal to that eigenvector (the last
    one found is a good start for a nearby matrix). Repeats v <- Av/‖Av‖
    until the Rayleigh quotient vᵀAv moves by <= tol·|vᵀAv|. Returns
    ``PowerIteration(eigenvalue, vector, n_iter, converged)``. The error
    shrinks like (λ₂/λ₁)^(2k): fast when the top eigenvalue stands out.
    """
    vector = start / start.norm()
    product = matvec(vector)
    eigenvalue = vector @ product
    for n_iter in range(1, max_iter + 1):
        if product.norm() == 0:  # A v = 0: v is an eigenvector of 0
            return PowerIteration(0.0, vector, n_iter, True)
        vector = product / product.norm()
        product = matvec(vector)  # one product per iteration
        previous, eigenvalue = eigenvalue, vector @ product
        if (eigenvalue - previous).abs() <= tol * eigenvalue.abs():
            return PowerIteration(eigenvalue.item(), vector, n_iter, True)
    return PowerIteration(eigenvalue.item(), vector, max_iter, False)


def _symmetric_matrix(H, tol=1e-8):
    if not isinstance(H, torch.Tensor) or H.ndim != 2 \
            or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(
            f"H must be a non-empty square matrix (n, n); got {describe(H)}")
    scale = max(1.0, H.abs().max().item())
    asymmetry = (H - H.T).abs().max().item()
    if asymmetry > 1e-10 * scale:
        raise ValueError(
            f"H of shape {tuple(H.shape)} must be symmetric; "
            f"got max |H - Hᵀ| = {asymmetry:.3g}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol!r}")


@checked_by(_symmetric_matrix)
def classify_stationary_point(H, tol=1e-8):
    """Kind of a stationary point from its Hessian H (n, n), symmetric.

    An eigenvalue counts as zero when |λ| <= tol (absolute). The rule:
    a positive and a negative eigenvalue make a "saddle", whatever the
    zeros (a zero direction cannot undo a descent direction); otherwise
    any zero eigenvalue gives "degenerate" (second order cannot decide,
    e.g. x⁴ + y² at 0); else all positive is "minimum", all negative
    "maximum". Returns one of ``STATIONARY_KINDS``.
    """
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
#   H = Jᵀ H_ℓ J + Σ_i δ_i ∇²f_i = G + R,   δ = ∇_z ℓ.

def _flat_w(f, loss, w):
    require_flat("w", w)


@checked_by(_flat_w)
def gauss_newton(f, loss, w):
    """The (generalised) Gauss-Newton matrix G = Jᵀ H_ℓ J, (n, n), of
    loss(f(w)) at w.

    J = ∂f/∂w is (m, n) and H_ℓ = ∂²loss/∂z² is (m, m) at z = f(w).
    G is positive semi-definite whenever the loss is convex in z.
    """
    z = f(w)
    n, m = w.numel(), z.numel()
    J = jacrev(f)(w).reshape(m, n)
    H_loss = hessian(loss)(z).reshape(m, m)
    return J.T @ H_loss @ J


@checked_by(_flat_w)
def hessian_remainder(f, loss, w):
    """The rest of the Hessian, R = H − G = Σ_i δ_i ∇²f_i(w), (n, n).

    δ = ∂loss/∂z at z = f(w) (the residuals, for the squared error).
    Computed as the Hessian of w ↦ δᵀf(w) with δ held fixed: the
    contraction of f's m×n×n second-derivative tensor with δ, without
    building the m Hessians ∇²f_i.
    """
    delta = grad(loss)(f(w)).detach()  # computed once, then a constant
    return hessian(lambda w_: (delta * f(w_)).sum())(w)


def _gauss_newton_matvec(f, loss, w, damping):
    # Linearize f once; every CG step then costs one JVP and one VJP.
    z, pullback = vjp(f, w)
    z = z.detach()

    def matvec(v):
        J_v = jvp(f, (w,), (v,))[1]
        return pullback(hvp(loss, z, J_v))[0] + damping * v
    return matvec


# --- conjugate gradient ----------------------------------------------------
def _cg_inputs(matvec, b, tol=1e-10, max_iter=None):
    require_flat("b", b)
    product = matvec(torch.zeros_like(b))
    if not isinstance(product, torch.Tensor) or product.shape != b.shape:
        raise ValueError(
            f"matvec must map shape {tuple(b.shape)} to itself; "
            f"got {describe(product)}")


@checked_by(_cg_inputs)
def conjugate_gradient(matvec, b, tol=1e-10, max_iter=None):
    """Solve A x = b for a symmetric positive definite A given as matvec.

    b: (n,); matvec(v) -> A v, (n,). Stops when ‖b - A x‖ <= tol·‖b‖
    or after ``max_iter`` (default 10 n) steps. Returns
    ``CGResult(x, n_iter, residual_norm, converged)``. Raises ValueError
    when a search direction p has pᵀAp <= 0: A is not positive definite.
    """
    max_iter = 10 * b.numel() if max_iter is None else max_iter
    x = torch.zeros_like(b)
    r = b.clone()  # the residual b − A x at x = 0
    p = r.clone()  # the first search direction: steepest descent
    r_dot_r = r @ r
    for n_iter in range(max_iter):
        if r_dot_r.sqrt() <= tol * b.norm():
            return CGResult(x, n_iter, r_dot_r.sqrt(), True)
        A_p = matvec(p)  # the only access to A
        p_A_p = p @ A_p
        if p_A_p <= 0:
            raise ValueError(
                "matvec is not positive definite: pᵀAp = "
                f"{p_A_p.item():.3g} at iteration {n_iter}")
        step = r_dot_r / p_A_p  # exact minimum of the quadratic along p
        x, r = x + step * p, r - step * A_p
        r_dot_r, previous = r @ r, r_dot_r
        p = r + (r_dot_r / previous) * p  # A-conjugate to earlier p's
    converged = bool(r_dot_r.sqrt() <= tol * b.norm())
    return CGResult(x, max_iter, r_dot_r.sqrt(), converged)


# --- response Jacobian of an optimum ---------------------------------------
# At a minimum w*(θ) of L(w, θ), ∇_w L(w*(θ), θ) = 0 for every θ, so by
# the implicit function theorem dw*/dθ = -H_ww⁻¹ H_wθ.

def _require_theta(theta):
    if not (isinstance(theta, torch.Tensor) and theta.is_floating_point()):
        raise ValueError(
            "theta must be a float tensor (any shape); got "
            f"{describe(theta)}")


def _objective_at_minimum(objective, w_star, theta):
    require_flat("w_star", w_star)
    _require_theta(theta)


@checked_by(_objective_at_minimum)
def response_jacobian(objective, w_star, theta):
    """Direct dw*/dθ = -H_ww⁻¹ H_wθ at a minimum w* of objective(w, θ).

    w_star: (n,); theta: any shape, e.g. () for one ridge coefficient γ.
    Materializes H_ww (n, n) and H_wθ (n, one column per entry of θ)
    and solves: small problems. Returns shape (n,) + theta.shape.
    Assumes ∇_w objective = 0 at w*.
    """
    n, n_theta = w_star.numel(), theta.numel()
    H_ww = hessian(objective, argnums=0)(w_star, theta)
    H_w_theta = jacfwd(grad(objective, argnums=0), argnums=1)(w_star, theta)
    solution = torch.linalg.solve(H_ww, H_w_theta.reshape(n, n_theta))
    return -solution.reshape((n,) + tuple(theta.shape))


def _curvature_matvec(f, loss, w, curvature, damping):
    if curvature == "gauss_newton":
        return _gauss_newton_matvec(f, loss, w, damping)
    require_in("curvature", curvature, ("gauss_newton", "hessian"))
    return lambda v: hvp(lambda w_: loss(f(w_)), w, v) + damping * v


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
    require_flat("w_star", w_star)
    _require_theta(theta)
    require_like("dtheta", dtheta, theta, "theta")

    matvec = _curvature_matvec(
        f, lambda z: loss(z, theta), w_star, curvature, damping)

    def gradient_in_w(theta_):
        return grad(lambda w: loss(f(w), theta_))(w_star)

    mixed = jvp(gradient_in_w, (theta,), (dtheta,))[1]
    return conjugate_gradient(matvec, -mixed, tol=tol, max_iter=max_iter)
