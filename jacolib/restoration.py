"""Chapter 6: learning a Jacobian back from forward measurements only.

For a map f with Jacobian J at its input x, and an adjoint δ of its
output, backpropagation needs the input's adjoint Jᵀδ. Since J v = df
for any probe v (a tangent at x),

    ⟨Jᵀδ, v⟩ = ⟨δ, J v⟩ = ⟨δ, df⟩,

so an estimate of Jᵀδ can be trained from forward measurements alone:
sample x, δ and K probes v spanning a random K-dimensional subspace,
measure df, and make ⟨estimate, v⟩ match ⟨δ, df⟩ for every probe.

- ``restore_linear``: f(x) = W x with W unknown to the learner, and a
  *structured* estimate Ĵᵀδ that holds an estimate Ĵ of W;
  ``restore_linear_runs`` trains several such Ĵ at once (one per loss
  and initial scale) on the same probes.
- ``restore_bilinear``: f(x, W) = W x with x and W both varying, and an
  *unstructured* estimate, a plain MLP or a ``LogLinExp`` net, which can
  represent the products that the adjoints (Wᵀδ, δxᵀ) are made of.
"""

from collections import namedtuple

import torch

from jacolib.distortion import BatchedOptimizer
from jacolib.validate import require_count, require_in, require_positive

__all__ = ["random_probes", "probe_losses", "probe_pairs",
           "restore_linear", "restore_linear_runs", "LogLinExp", "mlp",
           "restore_bilinear", "LOSS_TYPES"]

LOSS_TYPES = ("mse", "cosine", "mix")
Restoration = namedtuple(
    "Restoration", "estimates losses held_out_losses cosines "
    "sign_agreement steps")
Comparison = namedtuple("Comparison", "losses held_out_cosine n_params")
# How much of each loss a loss type adds up: (mean squared error, cosine)
_LOSS_WEIGHTS = {"mse": (1.0, 0.0), "cosine": (0.0, 1.0),
                 "mix": (1.0, 1.0)}


def random_probes(batch, n, k, generator):
    """For each of ``batch`` samples, k orthonormal probes in R^n: the
    columns of (batch, n, k), spanning a random k-dimensional subspace."""
    gaussian = torch.randn(batch, n, k, generator=generator)
    probes, _ = torch.linalg.qr(gaussian)
    return probes


def probe_losses(estimated, measured, loss_type):
    """Per sample, compare the K projections ⟨estimate, v⟩
    (``estimated``, (..., batch, K)) with ⟨δ, df⟩ (``measured``):
    "mse", "cosine" (blind to scale), or "mix" (their sum). Returns the
    mean over samples (one per leading index)."""
    require_in("loss_type", loss_type, LOSS_TYPES)
    return _weighted_losses(estimated, measured,
                            torch.tensor(_LOSS_WEIGHTS[loss_type]))


def _weighted_losses(estimated, measured, weights):
    """weights (..., 2): how much mse and cosine loss, per run."""
    mse = ((estimated - measured) ** 2).mean(dim=-1)
    cosine = 1 - torch.nn.functional.cosine_similarity(
        estimated, measured.expand_as(estimated), dim=-1, eps=1e-12)
    per_sample = (weights[..., :1] * mse + weights[..., 1:] * cosine)
    return per_sample.mean(dim=-1)


def probe_pairs(J_hat, f, delta, x, probes):
    """For each sample and probe: the estimate ⟨Ĵᵀδ, v⟩ and the
    measurement ⟨δ, df⟩, with df = f(x + v) − f(x) from two forward
    runs of f. delta (batch, m), x (batch, 1, n), probes v (batch, K, n);
    returns two (batch, K) tensors (the first (R, batch, K) for a stack
    of R estimates J_hat)."""
    df = f(x + probes) - f(x)  # forwards only: no Jacobian of f
    measured = torch.einsum("...m,...km->...k", delta, df)
    estimated = torch.einsum("...n,...kn->...k", delta @ J_hat, probes)
    return estimated, measured


def restore_linear(W, dim_sample, loss_type="mse", initial_messup=1.0,
                   steps_per_entry=3.0, n_steps=None, lr=0.05, batch=16,
                   seed=0, n_snapshots=8, held_out_size=1024):
    """Learn Ĵ ≈ W from probes, for f(x) = W x (W of shape (m, n)).

    The number of steps is ``steps_per_entry`` · m·n / dim_sample (so
    runs at different sizes see as many measured numbers per entry), or
    ``n_steps``. Ĵ starts at ``initial_messup`` times a standard normal
    matrix drawn from ``seed``. Returns Restoration(estimates: Ĵ at
    ``n_snapshots`` + 1 evenly spaced steps; losses: the loss of each
    step's batch (n_steps values); held_out_losses: the loss on
    ``held_out_size`` fixed samples;
    cosines between Ĵᵀδ and Wᵀδ on held-out δ; sign_agreement: the
    fraction of entries of Ĵ with W's sign; steps: where the snapshots
    were taken), these three curves with one value before every step
    and one after the last.
    """
    runs = restore_linear_runs(W, dim_sample, [loss_type],
                               [initial_messup], steps_per_entry,
                               n_steps, lr, batch, seed, n_snapshots,
                               held_out_size)
    return runs[loss_type, initial_messup]


def restore_linear_runs(W, dim_sample, loss_types=LOSS_TYPES,
                        messups=(1.0,), steps_per_entry=3.0,
                        n_steps=None, lr=0.05, batch=16, seed=0,
                        n_snapshots=8, held_out_size=1024):
    """``restore_linear`` for every (loss type, initial messup) at once,
    trained side by side on the same probes, from the same normal
    matrix scaled by each messup: {(loss_type, messup): Restoration}."""
    m, n = W.shape
    require_count("dim_sample", dim_sample, minimum=1)
    if dim_sample > n:
        raise ValueError(f"dim_sample must be at most n = {n}; got "
                         f"{dim_sample}")
    for loss_type in loss_types:
        require_in("loss_type", loss_type, LOSS_TYPES)
    for messup in messups:
        require_positive("initial_messup", messup)
    if n_steps is None:
        n_steps = max(1, round(steps_per_entry * m * n / dim_sample))
    require_count("n_steps", n_steps, minimum=1)
    keys = [(loss, messup) for loss in loss_types for messup in messups]
    weights = torch.tensor([_LOSS_WEIGHTS[loss] for loss, _ in keys])
    require_count("held_out_size", held_out_size, minimum=1)

    def f(x):  # the map whose Jacobian we learn, used forwards only
        return x @ W.T

    generator = torch.Generator().manual_seed(seed)
    start = torch.randn(m, n, generator=generator)
    J_start = torch.stack([messup * start for _, messup in keys])
    trajectory, losses = _train_estimates(
        J_start, f, weights, n_steps, dim_sample, lr, batch, generator)
    held_out = _held_out_set(m, n, dim_sample, held_out_size)
    curves = _curves(trajectory, f, W, held_out, weights)
    snapshots = torch.tensor(sorted({round(i * n_steps / n_snapshots)
                                     for i in range(n_snapshots + 1)}))
    return {key: Restoration(trajectory[r, snapshots], losses[r],
                             *(curve[r] for curve in curves), snapshots)
            for r, key in enumerate(keys)}


def _train_estimates(J_start, f, weights, n_steps, dim_sample, lr, batch,
                     generator):
    """Adam on the stack of estimates J_start (R, m, n), run r on its own
    loss (weights[r]); every run sees the same samples. Returns Ĵ
    before every step and after the last, (R, n_steps + 1, m, n), and
    each step's batch loss (R, n_steps).

    All samples are drawn and measured (two forward runs of f each)
    before training, and ``_loss_and_gradient`` differentiates the loss
    by hand: a step is then a few small products, which keeps a live
    panel's runs short."""
    R, m, n = J_start.shape
    deltas = torch.randn(n_steps, batch, m, generator=generator)
    probes = random_probes(n_steps * batch, n, dim_sample, generator)
    probes = probes.mT.reshape(n_steps, batch, dim_sample, n)
    xs = torch.randn(n_steps, batch, 1, n, generator=generator)
    _, measured = probe_pairs(J_start[0], f, deltas, xs, probes)
    # ⟨Ĵᵀδ, v⟩ = ⟨Ĵ, δ vᵀ⟩: one row of outer products per (sample, probe)
    outer = torch.einsum("tbm,tbkn->tbkmn", deltas, probes).reshape(
        n_steps, batch * dim_sample, m * n)
    J_hat = J_start.clone()
    optimizer = BatchedOptimizer([J_hat], adam=True, lr=lr)
    trajectory, losses = [J_start], []
    for rows, values in zip(outer, measured):
        estimated = (J_hat.reshape(R, m * n) @ rows.T).reshape(
            R, batch, dim_sample)
        loss, slope = _loss_and_gradient(estimated, values, weights)
        J_hat.grad = (slope.reshape(R, -1) @ rows).reshape(R, m, n)
        optimizer.step()
        trajectory.append(J_hat.clone())
        losses.append(loss)
    return torch.stack(trajectory, dim=1), torch.stack(losses, dim=1)


def _loss_and_gradient(estimated, measured, weights):
    """``_weighted_losses`` (R,) and its gradient with respect to
    ``estimated`` (R, batch, K), worked out by hand."""
    batch, k = measured.shape
    error = estimated - measured
    norms = (estimated.norm(dim=-1, keepdim=True),
             measured.norm(dim=-1, keepdim=True))
    norm_product = (norms[0] * norms[1]).clamp_min(1e-12)
    cosine = (estimated * measured).sum(-1, keepdim=True) / norm_product
    loss = (weights[:, 0] * (error ** 2).mean(dim=(1, 2))
            + weights[:, 1] * (1 - cosine).mean(dim=(1, 2)))
    d_mse = 2 * error / k
    d_cosine = -(measured / norm_product - cosine * estimated
                 / (norms[0] ** 2).clamp_min(1e-300))
    slope = (weights[:, :1, None] * d_mse
             + weights[:, 1:, None] * d_cosine) / batch
    return loss, slope


def _held_out_set(m, n, dim_sample, size):
    """Fixed samples (δ, x, probes) to measure the loss on, the same at
    every step (their own generator: the training draws are unchanged)."""
    generator = torch.Generator().manual_seed(12_345)
    delta = torch.randn(size, m, generator=generator)
    probes = random_probes(size, n, dim_sample, generator).mT
    x = torch.randn(size, 1, n, generator=generator)
    return delta, x, probes


def _curves(trajectory, f, W, held_out, weights):
    """For every run and step of ``trajectory`` (R, T, m, n): the loss
    on the held-out samples, the mean cosine of Ĵᵀδ to Wᵀδ over them,
    and the fraction of entries of Ĵ with W's sign; each (R, T)."""
    delta, x, probes = held_out
    R, T, m, n = trajectory.shape
    with torch.no_grad():
        _, measured = probe_pairs(W, f, delta, x, probes)
        # ⟨Ĵᵀδ, v⟩ = ⟨Ĵ, δ vᵀ⟩ for every step at once: one product
        outer = torch.einsum("hm,hkn->hkmn", delta, probes)
        estimated = trajectory.reshape(R * T, m * n) @ outer.reshape(
            -1, m * n).T
        held_out_losses = _weighted_losses(
            estimated.reshape(R, T, *measured.shape), measured,
            weights[:, None])
        adjoints = (delta @ trajectory.reshape(R * T, m, n)
                    ).reshape(R, T, len(delta), n)  # Ĵᵀδ per δ
        cosines = torch.nn.functional.cosine_similarity(
            adjoints, delta @ W, dim=-1).mean(dim=-1)
        signs = (torch.sign(trajectory) == torch.sign(W)).double()
    return held_out_losses, cosines, signs.mean(dim=(2, 3))


class LogLinExp(torch.nn.Module):
    """u -> Σ_h c_h · exp(Σ_i a_hi log|u_i|) · cos(π Σ_i a_hi 𝟙[u_i < 0]).

    With a_h a 0/1 vector a unit is the product of the inputs it picks,
    sign included (the cosine of π times the number of negative factors
    is ±1): products of inputs, which an MLP can only approximate, are
    one unit each here."""

    def __init__(self, n_in, n_units, n_out, seed=0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.exponents = torch.nn.Parameter(
            0.5 * torch.rand(n_units, n_in, generator=generator))
        self.mix = torch.nn.Parameter(
            torch.randn(n_out, n_units, generator=generator) / n_units)

    def forward(self, u):
        magnitude = torch.exp(torch.log(u.abs() + 1e-12)
                              @ self.exponents.T)
        sign = torch.cos(torch.pi * (u < 0).to(u.dtype)
                         @ self.exponents.T)
        return (magnitude * sign) @ self.mix.T


def mlp(n_in, width, depth, n_out, seed=0):
    """A plain tanh MLP, the unstructured estimate to compare with."""
    generator = torch.Generator().manual_seed(seed)
    sizes = [n_in] + [width] * depth + [n_out]
    layers = []
    for index, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = torch.nn.Linear(a, b, dtype=torch.float64)
        with torch.no_grad():  # torch.nn.Linear's init, from our seed
            for parameter in layer.parameters():
                parameter.uniform_(-a ** -0.5, a ** -0.5,
                                   generator=generator)
        layers.append(layer)
        if index < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _bilinear_sample(m, n, batch, dim_sample, generator):
    """Inputs (δ, x, W), probes v = (dx, dW) in R^(n + m n), ⟨δ, df⟩
    with df the JVP of f(x, W) = W x along each probe, and the true
    adjoints (Wᵀδ, δxᵀ)."""
    x = torch.randn(batch, n, generator=generator)
    W = torch.randn(batch, m, n, generator=generator)
    delta = torch.randn(batch, m, generator=generator)
    probes = random_probes(batch, n + m * n, dim_sample, generator)
    dx = probes[:, :n]                                 # (batch, n, K)
    dW = probes[:, n:].reshape(batch, m, n, -1)        # (batch, m, n, K)
    df = (torch.einsum("bmn,bnk->bmk", W, dx)
          + torch.einsum("bmnk,bn->bmk", dW, x))       # W dx + dW x
    measured = torch.einsum("bm,bmk->bk", delta, df)
    inputs = torch.cat([delta, x, W.flatten(1)], dim=1)
    true = torch.cat([torch.einsum("bmn,bm->bn", W, delta),
                      torch.einsum("bm,bn->bmn", delta, x).flatten(1)],
                     dim=1)                            # (Wᵀδ, δxᵀ)
    return inputs, probes, measured, true


def restore_bilinear(estimate, m, n, dim_sample, n_steps=400, lr=0.01,
                     batch=64, seed=0):
    """Train an unstructured ``estimate`` (δ, x, W) -> (Wᵀδ, δxᵀ) for
    f(x, W) = W x from probes (MSE loss). Returns Comparison(losses,
    held_out_cosine: the mean cosine between the estimate and the true
    adjoints on 512 fresh samples, n_params)."""
    require_count("n_steps", n_steps, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    optimizer = BatchedOptimizer(estimate.parameters(), adam=True, lr=lr)
    losses = []
    for _ in range(n_steps):
        inputs, probes, measured, _ = _bilinear_sample(
            m, n, batch, dim_sample, generator)
        estimated = torch.einsum("ba,bak->bk", estimate(inputs), probes)
        loss = probe_losses(estimated, measured, "mse")
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    inputs, _, _, true = _bilinear_sample(m, n, 512, dim_sample, generator)
    with torch.no_grad():
        cosine = torch.nn.functional.cosine_similarity(
            estimate(inputs), true, dim=1).mean()
    n_params = sum(p.numel() for p in estimate.parameters())
    return Comparison(torch.tensor(losses), cosine.item(), n_params)
