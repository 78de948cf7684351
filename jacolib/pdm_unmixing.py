"""Chapter 7's unmixing experiments: a one-layer flow z = W x + β with
a logistic base is independent component analysis by maximum
likelihood. Several mixings and seeds are stacked on one leading axis
and trained at once by ``jacolib.pdm.train``.

Seen from the sources ξ (x = M ξ) the flow is z = K ξ + β with
K = W M, and the sources are recovered when K is a scaled permutation
(Amari distance 0). Every run starts from one K⁽⁰⁾ per seed, the same
for every mixing: W⁽⁰⁾ = K⁽⁰⁾ M⁻¹.
"""

from collections import namedtuple

import numpy as np
import torch

from jacolib import datasets, pdm
from jacolib.validate import require_count

__all__ = ["UnmixingProblem", "UnmixingRun", "against_gradient",
           "amari_distance", "median_reached", "steps_to", "unmix",
           "unmixing_problem"]

UnmixingProblem = namedtuple("UnmixingProblem",
                             "X M W0 conditions seeds")
UnmixingRun = namedtuple("UnmixingRun",
                         "nll amari K beta stopped_at problems every")


def unmixing_problem(dim=4, n_samples=2000, conditions=(1, 100),
                     seeds=range(4)):
    """Data X (C·S, N, n), mixings M and starts W⁽⁰⁾ (C·S, n, n) for
    every condition number in ``conditions`` (outer) and seed (inner).
    A seed fixes the sources, the rotations of M and K⁽⁰⁾, a random
    rotation, so mixings of one seed differ only in their conditioning.
    """
    require_count("dim", dim, minimum=2)
    seeds = list(seeds)
    X, M, K0 = [], [], []
    for condition in conditions:
        for seed in seeds:
            data, _, mixing = datasets.mixed_sources(n_samples, dim,
                                                     condition, seed)
            generator = torch.Generator().manual_seed(1000 + seed)
            Q, R = torch.linalg.qr(torch.randn(dim, dim,
                                               generator=generator))
            X.append(data)
            M.append(mixing)
            K0.append(Q * torch.sign(torch.diagonal(R)))
    M = torch.stack(M)
    W0 = torch.stack(K0) @ torch.linalg.inv(M)
    return UnmixingProblem(torch.stack(X), M, W0, tuple(conditions),
                           tuple(seeds))


def unmix(problem, method="relative", optimizer="sgd", lr=0.3,
          steps=200, every=5):
    """Train one flow per copy of ``problem`` from W⁽⁰⁾, β = 0.

    Returns ``UnmixingRun``: the NLL of the sources (the NLL of x minus
    log|det M|, so that every mixing is on one scale) at steps 0,
    every, ...; at every step the Amari distance of K = W M, K and β,
    (copies, steps + 1), (copies, steps + 1, n, n) and (copies,
    steps + 1, n); when each copy stopped (−1: never) and why.
    """
    W0 = problem.W0
    flow = pdm.Flow.from_layers(
        [(W0, torch.zeros(W0.shape[:-1], dtype=W0.dtype))],
        base="logistic")
    result = pdm.train(flow, problem.X, method, optimizer, lr, steps,
                       record=_parameters, every=steps)
    # (copies, steps + 1, n, n + 1): [W | β] before each step
    path = result.records.permute(0, 3, 1, 2)
    W, beta = path[..., :-1], path[..., -1]
    shown = list(range(0, steps + 1, every))
    past = pdm.Flow.from_layers([(W[:, shown], beta[:, shown])],
                                base="logistic")
    stopped = torch.isnan(result.nll[:, -1:])  # keep the reported stop
    nll = past.nll(problem.X[:, None]).masked_fill(stopped, torch.nan)
    log_det_M = torch.linalg.slogdet(problem.M).logabsdet
    K = W @ problem.M[:, None]
    return UnmixingRun(nll - log_det_M[:, None], amari_distance(K),
                       K, beta, result.stopped_at, result.problems, every)


def _parameters(flow):
    W, beta = flow.layers[0]
    return torch.cat([W, beta[..., None]], -1)


def steps_to(amari, threshold=0.05):
    """The first step at which each copy's Amari distance is below
    ``threshold``, −1 if never: (copies,) from (copies, steps + 1)."""
    below = amari < threshold
    first = below.to(torch.int64).argmax(-1)
    return torch.where(below.any(-1), first, -1)


def median_reached(steps):
    """"median (k/S)": the median of the steps of the S copies, over the
    k that got there (``steps_to`` ≥ 0); "never (0/S)" if none did."""
    got_there = steps[steps >= 0]
    share = f"({len(got_there)}/{len(steps)})"
    if len(got_there) == 0:
        return f"never {share}"
    middle = float(np.median(got_there.numpy()))  # halfway if even
    return f"{middle:g} {share}"


def amari_distance(K):
    """How far K (..., n, n) is from a permutation with scaled signs:

        d(K) = [Σ_i (Σ_j |K_ij| / max_j |K_ij| − 1)
                + Σ_j (Σ_i |K_ij| / max_i |K_ij| − 1)] / (2n(n − 1)),

    0 exactly for a scaled permutation, at most 1: a normalised form of
    the index of Amari, Cichocki and Yang (1996).
    """
    a = K.abs()
    rows = (a.sum(-1) / a.amax(-1) - 1).sum(-1)
    columns = (a.sum(-2) / a.amax(-2) - 1).sum(-1)
    n = K.shape[-1]
    return (rows + columns) / (2 * n * (n - 1))


def against_gradient(problem, run, chunk=50):
    """Which steps of ``run`` (a result of ``unmix(problem, ...)``,
    which keeps the path K, β at every step) went against the exact
    gradient g⁽ᵏ⁾ of the mean log-likelihood, taken where the step
    started: ⟨W⁽ᵏ⁺¹⁾ − W⁽ᵏ⁾, g_W⁽ᵏ⁾⟩ + ⟨β⁽ᵏ⁺¹⁾ − β⁽ᵏ⁾, g_β⁽ᵏ⁾⟩ < 0.
    A step along the gradient times a symmetric positive definite
    matrix never does. (copies, steps) booleans; the gradients are
    computed ``chunk`` steps at a time, to bound the memory.
    """
    require_count("chunk", chunk, minimum=1)
    W = torch.linalg.solve(problem.M[:, None].mT, run.K.mT).mT  # K M⁻¹
    moves = torch.cat([W.diff(dim=1), run.beta.diff(dim=1)[..., None]],
                      -1)
    inner = []
    for start in range(0, moves.shape[1], chunk):
        at = slice(start, min(start + chunk, moves.shape[1]))
        flow = pdm.Flow.from_layers([(W[:, at], run.beta[:, at])],
                                    base="logistic")
        (dW, dbeta), = flow.exact_grads(problem.X[:, None])
        gradient = torch.cat([dW, dbeta[..., None]], -1)
        inner.append((moves[:, at] * gradient).sum((-2, -1)))
    return torch.cat(inner, 1) < 0
