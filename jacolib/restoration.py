"""Chapter 6: learning a Jacobian back from forward measurements only.

For a map f(α) and an output gradient ∇_f we want ∇_α = J_fᵀ ∇_f
without backpropagating through f. Since J dα = df for any probe dα,

    ⟨J_fᵀ ∇_f, dα⟩ = ⟨∇_f, df⟩,

so an estimate g(∇_f, α) of ∇_α can be trained from forward
measurements alone: sample α, ∇_f and probes dα (k of them, spanning a
random k-dimensional subspace), measure df by a JVP, and make
⟨g, dα⟩ match ⟨∇_f, df⟩ for every probe.

- ``restore_linear``: f(x) = A x with A unknown to the learner, and a
  *structured* g(∇_f) = Ĵᵀ ∇_f that holds an estimate Ĵ of A.
- ``restore_bilinear``: f(x, θ) = θ x with α = (x, θ) both varying, and
  an *unstructured* g, a plain MLP or a ``LogLinExp`` net, which can
  represent the products that ∇_α = (θᵀ∇_f, ∇_f xᵀ) is made of.
"""

from collections import namedtuple

import torch

from jacolib.validate import require_count, require_in, require_positive

__all__ = ["random_probes", "probe_losses", "probe_pairs",
           "restore_linear",
           "LogLinExp", "mlp", "restore_bilinear", "LOSS_TYPES"]

LOSS_TYPES = ("mse", "cosine", "mix")
Restoration = namedtuple(
    "Restoration", "estimates losses cosines sign_agreement steps")
Comparison = namedtuple("Comparison", "losses held_out_cosine n_params")


def random_probes(batch, n, k, generator):
    """For each of ``batch`` samples, k orthonormal probes in R^n: the
    columns of (batch, n, k), spanning a random k-dimensional subspace."""
    gaussian = torch.randn(batch, n, k, generator=generator)
    probes, _ = torch.linalg.qr(gaussian)
    return probes


def probe_losses(estimated, measured, loss_type):
    """Per sample, compare the k projections ⟨g, dα⟩ (``estimated``,
    (batch, k)) with ⟨∇_f, df⟩ (``measured``): "mse", "cosine" (blind
    to scale), or "mix" (their sum). Returns the mean over samples."""
    require_in("loss_type", loss_type, LOSS_TYPES)
    mse = ((estimated - measured) ** 2).mean(dim=1)
    cosine = 1 - torch.nn.functional.cosine_similarity(
        estimated, measured, dim=1, eps=1e-12)
    per_sample = {"mse": mse, "cosine": cosine,
                  "mix": mse + cosine}[loss_type]
    return per_sample.mean()


def probe_pairs(J_hat, f, grad_f, x, probes):
    """For each sample and probe: the estimate ⟨Ĵᵀ∇_f, dα⟩ and the
    measurement ⟨∇_f, df⟩, with df = f(x + dα) − f(x) from two forward
    runs of f. grad_f (batch, m), x (batch, 1, n), probes (batch, k, n);
    returns two (batch, k) tensors."""
    df = f(x + probes) - f(x)  # forwards only: no Jacobian of f
    measured = (grad_f.unsqueeze(1) * df).sum(-1)
    estimated = ((grad_f @ J_hat).unsqueeze(1) * probes).sum(-1)
    return estimated, measured


def restore_linear(A, dim_sample, loss_type="mse", initial_messup=1.0,
                   steps_per_entry=3.0, lr=0.05, batch=16, seed=0,
                   n_snapshots=8):
    """Learn Ĵ ≈ A from probes, for f(x) = A x (A of shape (m, n)).

    The number of steps is ``steps_per_entry`` · m·n / dim_sample, so runs
    at different sizes are comparable. Ĵ starts at ``initial_messup``
    times a standard normal matrix. Returns Restoration(estimates: Ĵ at
    ``n_snapshots`` + 1 evenly spaced steps, losses, cosines between
    Ĵᵀ∇_f and Aᵀ∇_f on held-out ∇_f, sign_agreement: the fraction of
    entries of Ĵ with A's sign, steps: where the snapshots were taken).
    df is measured as f(x + dα) − f(x), exact here since f is linear.
    """
    m, n = A.shape

    def f(x):  # the map whose Jacobian we learn, used forwards only
        return x @ A.T

    require_count("dim_sample", dim_sample, minimum=1)
    if dim_sample > n:
        raise ValueError(f"dim_sample must be at most n = {n}; got "
                         f"{dim_sample}")
    require_positive("initial_messup", initial_messup)
    generator = torch.Generator().manual_seed(seed)
    J_hat = (initial_messup * torch.randn(m, n, generator=generator)
             ).requires_grad_(True)
    optimizer = torch.optim.Adam([J_hat], lr=lr)
    held_out = torch.randn(256, m, generator=generator)
    n_steps = max(1, round(steps_per_entry * m * n / dim_sample))
    snapshots = sorted({round(i * n_steps / n_snapshots)
                        for i in range(n_snapshots + 1)})
    estimates, curves = [], {"loss": [], "cosine": [], "sign": []}
    for step in range(n_steps + 1):
        if step in snapshots:
            estimates.append(J_hat.detach().clone())
        grad_f = torch.randn(batch, m, generator=generator)
        probes = random_probes(batch, n, dim_sample, generator).mT
        x = torch.randn(batch, 1, n, generator=generator)
        loss = probe_losses(*probe_pairs(J_hat, f, grad_f, x, probes),
                            loss_type)
        _record(curves, loss, J_hat, A, held_out)
        if step < n_steps:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return Restoration(torch.stack(estimates),
                       *(torch.tensor(curves[k]) for k in curves),
                       torch.tensor(snapshots))


def _record(curves, loss, J_hat, A, held_out):
    with torch.no_grad():
        curves["loss"].append(loss.item())
        curves["cosine"].append(torch.nn.functional.cosine_similarity(
            held_out @ J_hat, held_out @ A, dim=1).mean().item())
        curves["sign"].append(
            (torch.sign(J_hat) == torch.sign(A)).double().mean().item())


class LogLinExp(torch.nn.Module):
    """u -> Σ_h c_h · exp(Σ_i w_hi log|u_i|) · cos(π Σ_i w_hi 𝟙[u_i < 0]).

    With w_h a 0/1 vector a unit is the product of the inputs it picks,
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
    """A plain tanh MLP, the unstructured g to compare with."""
    torch.manual_seed(seed)
    sizes = [n_in] + [width] * depth + [n_out]
    layers = []
    for index, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=torch.float64))
        if index < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _bilinear_sample(m, n, batch, dim_sample, generator):
    """α = (x, θ), ∇_f, probes dα in R^(n + m n), and ⟨∇_f, df⟩ with df
    the JVP of f(x, θ) = θ x along each probe."""
    x = torch.randn(batch, n, generator=generator)
    theta = torch.randn(batch, m, n, generator=generator)
    grad_f = torch.randn(batch, m, generator=generator)
    probes = random_probes(batch, n + m * n, dim_sample, generator)
    dx = probes[:, :n]                                 # (batch, n, k)
    dtheta = probes[:, n:].reshape(batch, m, n, -1)    # (batch, m, n, k)
    df = (torch.einsum("bmn,bnk->bmk", theta, dx)
          + torch.einsum("bmnk,bn->bmk", dtheta, x))   # θ dx + dθ x
    measured = torch.einsum("bm,bmk->bk", grad_f, df)
    inputs = torch.cat([grad_f, x, theta.flatten(1)], dim=1)
    true = torch.cat([torch.einsum("bmn,bm->bn", theta, grad_f),
                      torch.einsum("bm,bn->bmn", grad_f, x).flatten(1)],
                     dim=1)                            # ∇_α
    return inputs, probes, measured, true


def restore_bilinear(g, m, n, dim_sample, n_steps=400, lr=0.01,
                     batch=64, seed=0):
    """Train an unstructured g(∇_f, α) -> ∇_α for f(x, θ) = θ x from
    probes (MSE loss). Returns Comparison(losses, held_out_cosine: the
    mean cosine between g and the true ∇_α on 512 fresh samples,
    n_params)."""
    require_count("n_steps", n_steps, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(g.parameters(), lr=lr)
    losses = []
    for _ in range(n_steps):
        inputs, probes, measured, _ = _bilinear_sample(
            m, n, batch, dim_sample, generator)
        estimated = torch.einsum("ba,bak->bk", g(inputs), probes)
        loss = probe_losses(estimated, measured, "mse")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    inputs, _, _, true = _bilinear_sample(m, n, 512, dim_sample, generator)
    with torch.no_grad():
        cosine = torch.nn.functional.cosine_similarity(g(inputs), true,
                                                       dim=1).mean()
    n_params = sum(p.numel() for p in g.parameters())
    return Comparison(torch.tensor(losses), cosine.item(), n_params)
