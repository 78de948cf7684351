"""Why local and distant gradients align (chapter 8).

A network of D layers, s_l = σ(s_(l-1) W_l) with s_0 = X (rows are
samples), has a target s_l* for every layer and a loss per layer,
ℓ_l = ‖s_l − s_l*‖² summed over units and averaged over the samples;
L = Σ_l ℓ_l. Layer l's weights receive a *local* gradient ∂ℓ_l/∂W_l
and a *distant* one ∂ℓ_m/∂W_l from every later loss (m > l).

- ``random_problem``: random weights, inputs and targets (random
  points, or the states of a second random network, the "teacher");
- ``per_loss_gradients``, ``alignment_matrix``: ∂ℓ_m/∂W_l for every
  l <= m with one backward pass per loss, and S[l, m] = cos(∂ℓ_l/∂W_l,
  ∂ℓ_m/∂W_l) from them;
- ``two_layer_terms``, ``pair_expansion``, ``pair_factors``: internal
  and external terms of the gradients, for two linear layers and for
  any pair, and the two factors of the internal product;
- ``target_free_first_term``: the internal product of two linear
  layers with the targets' sizes replaced by their expectation;
- ``train``: gradient descent on the global loss or on local losses.

Everything takes an optional leading batch axis (seeds, settings): the
weights (S, n, n), X (S, N, n), each target (S, N, n); losses and
cosines come out per batch entry. Indices are 0-based in code (layer
l of the page is index l − 1).
"""

import functools
import math
from collections import namedtuple

import torch

from jacolib.validate import checked_by, describe, require_count, \
    require_in, require_positive

__all__ = [
    "ACTIVATIONS", "GAINS", "TARGET_KINDS", "Problem", "random_problem",
    "layer_states", "layer_losses", "per_loss_gradients", "cosine",
    "Alignment", "alignment_matrix", "by_distance", "ClaimStatistics",
    "claim_statistics", "ClaimEstimates", "claim_estimates",
    "claim_verdict", "sweep",
    "TwoLayerTerms", "two_layer_terms",
    "EXPANSION_LABELS", "expansion_terms", "pair_expansion",
    "PairFactors", "pair_factors", "autoencoder_error",
    "target_free_first_term", "two_layer_draws", "rank_correlation",
    "total_loss", "train"]


def _identity(z):
    return z


ACTIVATIONS = {"linear": _identity, "tanh": torch.tanh,
               "relu": torch.relu}
# The gain that keeps a state's size through a layer at scale ω = 1:
# He et al.'s √2 for ReLU, which zeroes half of its inputs.
GAINS = {"linear": 1.0, "tanh": 1.0, "relu": math.sqrt(2.0)}
TARGET_KINDS = ("random points", "teacher")
Problem = namedtuple("Problem", "weights X targets activation")


# --- input checks, run before the functions below --------------------------

def _network_inputs(weights, X, targets, activation):
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError("weights must be a non-empty list of tensors "
                         f"(..., n, n); got {describe(weights)}")
    if not isinstance(X, torch.Tensor) or X.ndim < 2:
        raise ValueError(f"X must be a tensor (..., N, n); got "
                         f"{describe(X)}")
    n, batch = X.shape[-1], tuple(X.shape[:-2])
    for layer, W in enumerate(weights, start=1):
        if not isinstance(W, torch.Tensor) or \
                tuple(W.shape) != batch + (n, n):
            raise ValueError(f"W_{layer} must have shape {batch + (n, n)} "
                             f"(X is {tuple(X.shape)}); got {describe(W)}")
    if not isinstance(targets, (list, tuple)) or \
            len(targets) != len(weights):
        raise ValueError(f"targets must be a list of {len(weights)} "
                         f"tensors, one per layer; got {describe(targets)}")
    for layer, target in enumerate(targets, start=1):
        if not isinstance(target, torch.Tensor) or \
                target.shape != X.shape:
            raise ValueError(f"target of layer {layer} must have the shape of "
                             f"X {tuple(X.shape)}; got {describe(target)}")
    if not callable(activation):
        raise ValueError(f"activation must be a function; got "
                         f"{describe(activation)}")


def _two_layer_inputs(W1, W2, X, target1, target2):
    _network_inputs([W1, W2], X, [target1, target2], _identity)


def _train_inputs(weights, X, targets, activation, lr, n_steps,
                  rule="global"):
    _network_inputs(weights, X, targets, activation)
    require_in("rule", rule, ["global", "local"])
    require_count("n_steps", n_steps)


# --- random networks and targets -------------------------------------------

def _one_seed(seed, depth, width, n_samples, targets):
    generator = torch.Generator().manual_seed(seed)

    def gaussian(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    weights = [gaussian(width, width) for _ in range(depth)]  # drawn first:
    X = gaussian(n_samples, width)  # the same for both kinds of targets
    shape = (width, width) if targets == "teacher" else (n_samples, width)
    return weights, X, [gaussian(*shape) for _ in range(depth)]


@functools.lru_cache(maxsize=4)
def _standard_draws(depth, width, n_samples, targets, seeds):
    """The N(0, 1) draws of ``random_problem``, stacked over the seeds (a
    tuple): the weights, X, and the targets or the teacher's weights.
    Cached, because a sweep scales the same draws for every activation
    and ω; the callers never change them in place."""
    drawn = [_one_seed(seed, depth, width, n_samples, targets)
             for seed in seeds]
    return ([torch.stack([d[0][k] for d in drawn]) for k in range(depth)],
            torch.stack([d[1] for d in drawn]),
            [torch.stack([d[2][k] for d in drawn]) for k in range(depth)])


def random_problem(depth, width, n_samples=32, activation="linear",
                   init_scale=1.0, targets="random points", seeds=(0,)):
    """A random network, inputs and targets: ``Problem(weights, X,
    targets, activation)``, one per seed on a leading axis.

    W_l has entries N(0, ω² gain² / n) with ω = ``init_scale`` and the
    activation's gain (``GAINS``); X and random-point targets are
    N(0, 1); teacher targets are the states of a second network drawn
    like the first, fed the same X. The same seed gives the same
    Gaussian draws at every ω and activation, and seed k gives the same
    problem alone or in a batch.
    """
    require_count("depth", depth, minimum=1)
    require_count("width", width, minimum=1)
    require_count("n_samples", n_samples, minimum=1)
    require_in("activation", activation, list(ACTIVATIONS))
    require_positive("init_scale", init_scale)
    require_in("targets", targets, list(TARGET_KINDS))
    seeds = tuple(int(seed) for seed in seeds)
    if not seeds:
        raise ValueError("seeds must list at least one seed; got []")
    gaussians, X, second = _standard_draws(depth, width, n_samples,
                                           targets, seeds)
    std = init_scale * GAINS[activation] / math.sqrt(width)
    function = ACTIVATIONS[activation]
    if targets == "teacher":  # the states of a second random network
        goal = layer_states([std * g for g in second], X, function)[1:]
    else:
        goal = [t.clone() for t in second]
    return Problem([std * g for g in gaussians], X.clone(), goal, function)


# --- the forward pass, the losses and their gradients ----------------------

def layer_states(weights, X, activation):
    """[s_0, s_1, ..., s_D]: s_0 = X, s_l = σ(s_(l-1) W_l)."""
    states = [X]
    for W in weights:
        states.append(activation(states[-1] @ W))
    return states


def layer_losses(states, targets):
    """[ℓ_1, ..., ℓ_D]: ‖s_l − s_l*‖² summed over units, averaged over
    the samples; each of the batch's shape."""
    return [((s - target) ** 2).sum(-1).mean(-1)
            for s, target in zip(states[1:], targets)]


@checked_by(_network_inputs)
def per_loss_gradients(weights, X, targets, activation):
    """gradients[m][l] = ∂ℓ_m/∂W_l for every l <= m (0-based)."""
    weights = [W.detach().requires_grad_(True) for W in weights]
    losses = layer_losses(layer_states(weights, X, activation), targets)
    gradients = []
    for m, loss in enumerate(losses):
        # One backward pass per loss, keeping every earlier layer's
        # gradient. Seeds share no weight, so the gradient of their sum
        # holds each seed's own gradient.
        gradients.append(torch.autograd.grad(
            loss.sum(), weights[:m + 1], retain_graph=m < len(losses) - 1))
    return gradients


def cosine(a, b):
    """cos of the angle between a and b as flat vectors (their last two
    axes); NaN when either is zero."""
    return _dot(a, b) / (_norm(a) * _norm(b))


def _dot(a, b):
    return torch.linalg.vecdot(a.flatten(-2), b.flatten(-2))


def _norm(a):
    return torch.linalg.vector_norm(a, dim=(-2, -1))


Alignment = namedtuple("Alignment", "matrix with_global with_rest")


@checked_by(_network_inputs)
def alignment_matrix(weights, X, targets, activation):
    """``Alignment(matrix, with_global, with_rest)``.

    matrix (..., D, D): S[l, m] = cos(∂ℓ_l/∂W_l, ∂ℓ_m/∂W_l) for m > l,
    NaN elsewhere; with_global (..., D): cos(local, ∂L/∂W_l); with_rest
    (..., D): cos(local, ∂L/∂W_l − local), NaN for the last layer.
    """
    gradients = per_loss_gradients(weights, X, targets, activation)
    norms = [[_norm(gradient) for gradient in row] for row in gradients]
    depth, batch = len(weights), X.shape[:-2]
    matrix = X.new_full(batch + (depth, depth), math.nan)
    with_global = X.new_full(batch + (depth,), math.nan)
    with_rest = X.new_full(batch + (depth,), math.nan)
    for layer in range(depth):
        local, rest = gradients[layer][layer], 0.0
        for m in range(layer + 1, depth):
            distant = gradients[m][layer]
            matrix[..., layer, m] = _dot(local, distant) / (
                norms[layer][layer] * norms[m][layer])
            rest = rest + distant
        with_global[..., layer] = cosine(local, local + rest)
        if layer + 1 < depth:
            with_rest[..., layer] = cosine(local, rest)
    return Alignment(matrix, with_global, with_rest)


def by_distance(matrix):
    """Mean, min and max of S[l, l + k] for k = 1..D−1: three tensors
    (..., D − 1), entry k − 1 for distance k."""
    depth = matrix.shape[-1]
    diagonals = [torch.diagonal(matrix, offset=k, dim1=-2, dim2=-1)
                 for k in range(1, depth)]
    return tuple(torch.stack([reduce(d) for d in diagonals], dim=-1)
                 for reduce in (lambda d: d.mean(-1),
                                lambda d: d.amin(-1),
                                lambda d: d.amax(-1)))


ClaimStatistics = namedtuple(
    "ClaimStatistics", "all_positive fraction_positive nearest farthest")


def claim_statistics(matrix):
    """Per batch entry: whether all D(D−1)/2 pairs are positive, the
    fraction that are, and the mean S at distance 1 and at D − 1."""
    depth = matrix.shape[-1]
    rows, columns = torch.triu_indices(depth, depth, offset=1)
    pairs = matrix[..., rows, columns]
    mean, _, _ = by_distance(matrix)
    return ClaimStatistics((pairs > 0).all(-1),
                           (pairs > 0).double().mean(-1),
                           mean[..., 0], mean[..., -1])


ClaimEstimates = namedtuple(
    "ClaimEstimates", "all_positive fraction_positive nearest farthest")


def claim_estimates(matrix):
    """The statistics of ``claim_statistics`` over a leading seed axis
    (matrix (n, D, D), n >= 2), each as (estimate, standard error), two
    floats: for all_positive the proportion p of the seeds, error
    √(p (1 − p) / n); for the others the mean over the seeds, error
    their standard deviation / √n."""
    n = matrix.shape[0] if matrix.ndim == 3 else 0
    if n < 2:
        raise ValueError("matrix must be (seeds, D, D) with at least 2 "
                         f"seeds; got shape {tuple(matrix.shape)}")
    stats = claim_statistics(matrix)
    p = stats.all_positive.double().mean().item()
    return ClaimEstimates(
        (p, math.sqrt(p * (1 - p) / n)),
        *((v.mean().item(), v.std().item() / math.sqrt(n))
          for v in stats[1:]))


def claim_verdict(estimates, ranges, z=2.0):
    """"yes" when every estimate of ``ranges`` ({ClaimEstimates field:
    (low, high)}) lies more than z standard errors inside its range,
    "no" when one lies more than z outside, else "borderline"."""
    margins = []
    for field, (low, high) in ranges.items():
        value, error = getattr(estimates, field)
        inside = min(value - low, high - value)  # < 0: outside
        margins.append(inside / error if error > 0
                       else math.copysign(math.inf, inside))
    if min(margins) < -z:
        return "no"
    return "yes" if min(margins) > z else "borderline"


def sweep(settings, depth, seeds, n_samples=32):
    """The ``Alignment`` of each setting, every field with a leading
    seed axis: matrix (len(seeds), D, D), with_global and with_rest
    (len(seeds), D).

    ``settings`` are dicts of ``random_problem``'s width, activation,
    init_scale and targets. Settings that share a width and an
    activation run as one batch, every seed of each on a leading axis.
    """
    groups = {}
    for index, setting in enumerate(settings):
        key = (setting["width"], setting["activation"])
        groups.setdefault(key, []).append(index)
    seeds = list(seeds)
    results = [None] * len(settings)
    for indices in groups.values():
        problems = [random_problem(depth, n_samples=n_samples, seeds=seeds,
                                   **settings[i]) for i in indices]
        result = alignment_matrix(*_concatenated(problems))
        parts = [field.split(len(seeds)) for field in result]
        for position, i in enumerate(indices):
            results[i] = Alignment(*(part[position] for part in parts))
    return results


def _concatenated(problems):
    return Problem(
        [torch.cat(ws) for ws in zip(*(p.weights for p in problems))],
        torch.cat([p.X for p in problems]),
        [torch.cat(ts) for ts in zip(*(p.targets for p in problems))],
        problems[0].activation)


# --- two linear layers: internal and external terms ------------------------

TwoLayerTerms = namedtuple(
    "TwoLayerTerms",
    "internal_local external_local internal_distant external_distant")


@checked_by(_two_layer_inputs)
def two_layer_terms(W1, W2, X, target1, target2):
    """The gradients of W_1 in s_1 = X W_1, s_2 = s_1 W_2, split:
    ∂ℓ_1/∂W_1 = internal_local − external_local and
    ∂ℓ_2/∂W_1 = internal_distant − external_distant."""
    s1 = X @ W1
    back_to_W1 = 2 / X.shape[-2] * X.mT  # 2/N Xᵀ, shared by every term
    return TwoLayerTerms(
        internal_local=back_to_W1 @ s1,
        external_local=back_to_W1 @ target1,
        internal_distant=back_to_W1 @ s1 @ W2 @ W2.mT,
        external_distant=back_to_W1 @ target2 @ W2.mT)


EXPANSION_LABELS = ("in₁·in₂", "−in₁·ex₂", "−ex₁·in₂", "ex₁·ex₂")


def expansion_terms(terms):
    """The four terms of ⟨local, distant⟩ (..., 4), each divided by
    ‖local‖ ‖distant‖, so that they add up to the cosine."""
    in1, ex1, in2, ex2 = terms

    def dot(a, b):
        return (a * b).sum((-2, -1))

    local, distant = in1 - ex1, in2 - ex2
    size = (dot(local, local) * dot(distant, distant)).sqrt()
    return torch.stack([dot(in1, in2), -dot(in1, ex2), -dot(ex1, in2),
                        dot(ex1, ex2)], dim=-1) / size[..., None]


def _with_zero_targets(weights, X, targets, activation):
    """(gradients, internal): every ∂ℓ_m/∂W_l, and the same with all
    targets zero. A gradient is linear in its residual s − s*, so the
    second holds the internal parts (from s); the external parts (from
    s*) are internal − gradient."""
    zeros = [torch.zeros_like(t) for t in targets]
    return (per_loss_gradients(weights, X, targets, activation),
            per_loss_gradients(weights, X, zeros, activation))


@checked_by(_network_inputs)
def pair_expansion(weights, X, targets, activation):
    """The four terms of ``expansion_terms`` for every pair l < m of a
    deep network, (..., D, D, 4), NaN for m <= l. The internal part of a
    gradient is the gradient with zero targets, its external part the
    internal part minus the gradient."""
    gradients, internal = _with_zero_targets(weights, X, targets,
                                             activation)
    depth = len(weights)
    terms = X.new_full(X.shape[:-2] + (depth, depth, 4), math.nan)
    for layer in range(depth):
        own = internal[layer][layer]
        own_external = own - gradients[layer][layer]
        for m in range(layer + 1, depth):
            terms[..., layer, m, :] = expansion_terms(TwoLayerTerms(
                own, own_external, internal[m][layer],
                internal[m][layer] - gradients[m][layer]))
    return terms


PairFactors = namedtuple("PairFactors", "direction ratios")


@checked_by(_network_inputs)
def pair_factors(weights, X, targets, activation):
    """The two factors of the first term of ``pair_expansion``, for
    every pair l < m: direction = cos(in_l, in_m) and ratios = η_l η_m,
    with η = ‖internal part‖ / ‖gradient‖; each (..., D, D), NaN for
    m <= l. Their product is the first term."""
    gradients, internal = _with_zero_targets(weights, X, targets,
                                             activation)
    depth = len(weights)
    direction = X.new_full(X.shape[:-2] + (depth, depth), math.nan)
    ratios = direction.clone()
    for layer in range(depth):
        own = internal[layer][layer]
        own_ratio = _norm(own) / _norm(gradients[layer][layer])
        for m in range(layer + 1, depth):
            direction[..., layer, m] = cosine(own, internal[m][layer])
            ratios[..., layer, m] = own_ratio * _norm(
                internal[m][layer]) / _norm(gradients[m][layer])
    return PairFactors(direction, ratios)


def autoencoder_error(W2, s1):
    """‖s_1 W_2 W_2ᵀ − s_1‖ / ‖s_1‖: how far W_2 is from an autoencoder
    of s_1 (0 when W_2 W_2ᵀ = I)."""
    return (s1 @ W2 @ W2.mT - s1).norm(dim=(-2, -1)) / \
        s1.norm(dim=(-2, -1))


def target_free_first_term(W2, X, terms):
    """cos(in₁, in₂) η̂₁ η̂₂ for two linear layers: the first term with
    no target in it. η̂ = ‖in‖ / (‖in‖² + E‖ex‖²)^½ replaces the size of
    each external term by its mean over N(0, 1) targets, (2/N)² n ‖X‖²
    for ex₁ = (2/N) Xᵀ s₁* and (2/N)² ‖X‖² ‖W₂‖² for ex₂ = (2/N) Xᵀ s₂*
    W₂ᵀ (E[ex] = 0, so E‖in − ex‖² = ‖in‖² + E‖ex‖²)."""
    in1, in2 = terms.internal_local, terms.internal_distant
    n_samples, width = X.shape[-2:]
    scale = (2 / n_samples) ** 2 * (X * X).sum((-2, -1))
    mean_ex1 = scale * width
    mean_ex2 = scale * (W2 * W2).sum((-2, -1))
    eta1 = _norm(in1) / (_norm(in1) ** 2 + mean_ex1).sqrt()
    eta2 = _norm(in2) / (_norm(in2) ** 2 + mean_ex2).sqrt()
    return cosine(in1, in2) * eta1 * eta2


def two_layer_draws(n_draws, width=32, n_samples=32, w1_scales=(0.2, 5.0),
                    w2_scales=(0.2, 5.0), orthogonal=False, seed=0):
    """Random two-layer problems ``(W1, W2, X, target1, target2)``,
    each (n_draws, ...), and the scales ω (2, n_draws) of W_1 and W_2,
    log-uniform in ``w1_scales`` and ``w2_scales``: W_l = ω_l G / √n
    with G Gaussian, or W_2 = ω_2 U with U a random orthogonal matrix.
    X and the targets are N(0, 1)."""
    require_count("n_draws", n_draws, minimum=1)
    generator = torch.Generator().manual_seed(seed)

    def gaussian(*shape):
        return torch.randn(n_draws, *shape, generator=generator,
                           dtype=torch.float64)

    def log_uniform(low, high):
        u = torch.rand(n_draws, generator=generator, dtype=torch.float64)
        return (math.log(low) + (math.log(high) - math.log(low)) * u).exp()

    omega = torch.stack([log_uniform(*w1_scales), log_uniform(*w2_scales)])
    W1 = omega[0, :, None, None] * gaussian(width, width) / width ** 0.5
    G = gaussian(width, width)
    W2 = torch.linalg.qr(G).Q if orthogonal else G / width ** 0.5
    W2 = omega[1, :, None, None] * W2
    X, target1, target2 = (gaussian(n_samples, width) for _ in range(3))
    return (W1, W2, X, target1, target2), omega


def rank_correlation(a, b):
    """Spearman's rank correlation of two 1-D tensors (no ties)."""
    ranks = [v.argsort().argsort().double() for v in (a, b)]
    return torch.corrcoef(torch.stack(ranks))[0, 1]


# --- training on the global loss, or on each layer's own loss --------------

def total_loss(weights, X, targets, activation, local=False):
    """L = Σ_l ℓ_l (one per batch entry). With ``local=True`` each layer
    sees its input detached, so that the gradient in W_l is ∂ℓ_l/∂W_l:
    the local rule, for the same value of L."""
    s, total = X, 0.0
    for W, target in zip(weights, targets):
        s = activation((s.detach() if local else s) @ W)
        total = total + ((s - target) ** 2).sum(-1).mean(-1)
    return total


@checked_by(_train_inputs)
def train(weights, X, targets, activation, lr, n_steps, rule="global"):
    """Gradient descent W_l <- W_l − α (gradient) for n_steps steps:
    the gradient of L ("global") or of ℓ_l alone ("local"). ``lr`` is a
    number or a tensor with one α per batch entry. Returns L at every
    step, (..., n_steps + 1); a diverging run gives inf or NaN."""
    lr = torch.as_tensor(lr, dtype=X.dtype)[..., None, None]
    weights = [W.detach().clone().requires_grad_(True) for W in weights]
    history = []
    for step in range(n_steps + 1):
        loss = total_loss(weights, X, targets, activation,
                          local=rule == "local")
        history.append(loss.detach())
        if step == n_steps:
            break
        gradients = torch.autograd.grad(loss.sum(), weights)
        with torch.no_grad():
            for W, gradient in zip(weights, gradients):
                W -= lr * gradient
    return torch.stack(history, dim=-1)
