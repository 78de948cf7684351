"""Chapter 5: losses that compare a prediction x with a target y, and
the gradient fields they make.

Every loss takes batches x, y of shape (N, n), works row by row (N
vectors of dimension n) and returns N values, in torch, differentiable
in both arguments. ``LOSSES`` names the ones the chapter and its panels
show, each with its formula in LaTeX; ``gradient_field`` and ``flow``
turn any of them into arrows and particle paths.

A loss that divides by ‖x‖ or ‖y‖ is undefined where that norm is 0:
it raises a ValueError naming the row, rather than returning NaN. The
field of log ℓ (``gradient_field(..., log=True)``) is the exception: it
is undefined on the zero set of ℓ, a ray or a curve that a grid may
cross, so there it is NaN (no arrow) and defined everywhere else.
"""

from collections import namedtuple

import torch

from jacolib.validate import require_count, require_in, require_positive

__all__ = ["mse", "cos_sim", "dot_sim", "gen_sim", "sum_sim",
           "sign_mismatch", "perceptron", "log_of", "Loss", "LOSSES",
           "loss_fn", "gradient_field", "flow"]


# --- similarities and losses, row by row -------------------------------------
def mse(x, y):
    """‖x − y‖² per row."""
    return ((x - y) ** 2).sum(-1)


def cos_sim(x, y):
    """⟨x, y⟩ / (‖x‖ ‖y‖) per row: the cosine of the angle."""
    return _inner(x, y) / (_norm(x, "x") * _norm(y, "y"))


def dot_sim(x, y):
    """⟨x, y⟩ / ⟨y, y⟩ per row: the length of x along y, in units of y."""
    return _inner(x, y) / _norm(y, "y") ** 2


def gen_sim(x, y, nu):
    """⟨x, y⟩ / (‖x‖^ν ‖y‖^(2−ν)) per row, for 0 ≤ ν ≤ 2: ν = 0 is
    dot_sim, ν = 1 is cos_sim."""
    if not 0 <= nu <= 2:
        raise ValueError(f"nu must lie in [0, 2]; got {nu!r}")
    x_norm = _norm(x, "x") if nu > 0 else 1.0  # ‖x‖^0 = 1, even at 0
    y_norm = _norm(y, "y") if nu < 2 else 1.0
    return _inner(x, y) / (x_norm ** nu * y_norm ** (2 - nu))


def sum_sim(x, y):
    """1 − cos_sim + (1 − dot_sim)² per row: zero only at x = y."""
    return 1 - cos_sim(x, y) + (1 - dot_sim(x, y)) ** 2


def sign_mismatch(x, y):
    """Σ_j max(0, 1 − sgn(y_j x_j)) per row: 0 when every sign agrees,
    1 per zero coordinate, 2 per disagreeing one. Piecewise constant."""
    return torch.relu(1 - torch.sign(y * x)).sum(-1)


def perceptron(x, y):
    """Σ_j relu(−y_j x_j) per row: 0 when every sign agrees (the
    loss of Rosenblatt's perceptron rule)."""
    return torch.relu(-y * x).sum(-1)


def log_of(loss):
    """The loss log ℓ, minimised instead of ℓ (needs ℓ > 0: raises
    where ℓ ≤ 0)."""
    def log_loss(x, y, **options):
        values = loss(x, y, **options)
        if not bool((values > 0).all()):
            row = int(torch.nonzero(values <= 0)[0, 0])
            raise ValueError(
                "log of a loss needs the loss > 0; got "
                f"{values[row].item():g} at row {row}")
        return torch.log(values)
    return log_loss


# --- the registry: name -> function and formula ------------------------------
# allows_log: ℓ ≥ 0 and ℓ = 0 only on a thin set (a point, a line, a
# ray, a curve), so log ℓ is defined almost everywhere. Not so for
# 1 − DotSim (negative on a half-plane) and the two sign losses (0 on a
# whole quadrant).
Loss = namedtuple("Loss", "name fn latex uses_nu allows_log")

LOSSES = {loss.name: loss for loss in [
    Loss("MSE", lambda x, y, nu=1.0: mse(x, y),
         r"\lVert x - y\rVert^2", False, True),
    Loss("1 − CosSim", lambda x, y, nu=1.0: 1 - cos_sim(x, y),
         r"1 - \frac{\langle x, y\rangle}{\lVert x\rVert\,\lVert y\rVert}",
         False, True),
    Loss("1 − DotSim", lambda x, y, nu=1.0: 1 - dot_sim(x, y),
         r"1 - \frac{\langle x, y\rangle}{\langle y, y\rangle}",
         False, False),
    Loss("(1 − DotSim)²", lambda x, y, nu=1.0: (1 - dot_sim(x, y)) ** 2,
         r"\Big(1 - \frac{\langle x, y\rangle}{\langle y, y\rangle}\Big)^2",
         False, True),
    Loss("GenSim_ν", lambda x, y, nu=1.0:
         (gen_sim(x, y, nu) - gen_sim(y, y, nu)) ** 2,
         r"\big(\mathrm{GenSim}_\nu(x, y) - \mathrm{GenSim}_\nu(y, y)"
         r"\big)^2", True, True),
    Loss("SumSim", lambda x, y, nu=1.0: sum_sim(x, y),
         r"1 - \mathrm{CosSim} + (1 - \mathrm{DotSim})^2", False, True),
    Loss("1 − CosSim + MSE",
         lambda x, y, nu=1.0: 1 - cos_sim(x, y) + mse(x, y),
         r"1 - \mathrm{CosSim}(x, y) + \lVert x - y\rVert^2", False, True),
    Loss("sign mismatch", lambda x, y, nu=1.0: sign_mismatch(x, y),
         r"\sum_j \max\big(0, 1 - \mathrm{sgn}(y_j x_j)\big)", False,
         False),
    Loss("perceptron", lambda x, y, nu=1.0: perceptron(x, y),
         r"\sum_j \mathrm{relu}(-y_j x_j)", False, False),
]}


def loss_fn(name, nu=1.0, log=False):
    """The loss ``name`` of ``LOSSES`` as a function (x, y) -> (N,), at
    exponent ``nu``, of log ℓ when ``log`` is true."""
    require_in("name", name, list(LOSSES))

    def loss(x, y):
        return LOSSES[name].fn(x, y, nu=nu)

    return log_of(loss) if log else loss


# --- fields and flows ---------------------------------------------------
def gradient_field(loss, fixed, grid, wrt="x", log=False):
    """The negative gradient of ``loss`` at every point of ``grid``.

    ``wrt="x"``: the points are predictions x and ``fixed`` is the
    target y; ``wrt="y"``: the points are targets and ``fixed`` is the
    prediction. ``grid`` has shape (..., n), ``fixed`` shape (n,).
    Returns (−∇ loss, loss), of shapes (..., n) and (...): one batched
    backward pass for all points (the rows do not interact).

    ``log=True``: the field of log ℓ, −∇ℓ / ℓ, and the values log ℓ,
    both NaN at the points where ℓ ≤ 0 (log ℓ is undefined there).
    """
    require_in("wrt", wrt, ("x", "y"))
    grid = torch.as_tensor(grid, dtype=torch.float64)
    points = grid.reshape(-1, grid.shape[-1]).clone().requires_grad_(True)
    other = torch.as_tensor(fixed, dtype=torch.float64).expand_as(points)
    values = loss(points, other) if wrt == "x" else loss(other, points)
    (gradient,) = torch.autograd.grad(values.sum(), points)
    field, values = -gradient.detach(), values.detach()
    if log:  # ∇ log ℓ = ∇ℓ / ℓ where ℓ > 0
        defined = values > 0
        field = torch.where(defined[:, None], field / values[:, None],
                            torch.nan)
        values = torch.where(defined, torch.log(values), torch.nan)
    return (field.reshape(grid.shape), values.reshape(grid.shape[:-1]))


def flow(loss, fixed, starts, lr, n_steps, wrt="x", log=False):
    """Gradient descent on ``loss`` (on log ``loss`` if ``log``) from
    many starts at once.

    ``starts`` (P, n) are the particles (predictions for wrt="x",
    targets for wrt="y"); each step moves all of them by lr times the
    negative gradient. Returns the paths, shape (n_steps + 1, P, n). A
    particle that overflows, or lands where the log is undefined, is a
    result: it stays inf or nan.
    """
    require_positive("lr", lr)
    require_count("n_steps", n_steps)
    points = torch.as_tensor(starts, dtype=torch.float64)
    paths = [points]
    for _ in range(n_steps):
        field, _ = gradient_field(loss, fixed, points, wrt, log=log)
        points = points + lr * field
        paths.append(points)
    return torch.stack(paths)


# --- plumbing ------------------------------------------------------------
def _inner(x, y):
    return (x * y).sum(-1)


def _norm(v, name):
    norm = torch.linalg.vector_norm(v, dim=-1)
    if bool((norm == 0).any()):
        row = int(torch.nonzero(norm == 0)[0, 0])
        raise ValueError(
            f"this loss divides by |{name}|, which is 0 at row {row}; "
            f"choose points with {name} ≠ 0")
    return norm
