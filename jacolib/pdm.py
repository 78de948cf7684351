"""Chapter 7: a probability density mapping (a normalising flow) trained
by maximum likelihood, with the exact gradient or with the relative
gradient, which inverts no matrix and takes no determinant.

The flow maps data x to latents z through D layers (s_0 = x):

    r_l = W_l s_{l-1} + β_l,   s_l = σ(r_l) for l < D,   z = s_D = r_D,

σ the smooth leaky ReLU of slope μ at -∞, and p_z the base density.
By the change of variables, for each sample

    log p(x) = log p_z(z) + Σ_{l<D} Σ_j log σ'(r_lj) + Σ_l log|det W_l|.

Tensors are float64 rows: a batch x is (N, n). Every tensor may carry
leading axes (copies of the flow, e.g. one per seed, trained at once):
W_l is then (..., n, n), β_l (..., n) and x (..., N, n).
The chapter's timing harness is in ``jacolib.pdm_costs``, its unmixing
experiments in ``jacolib.pdm_unmixing``, its figures and panel in
``jacolib.pdm_figures``.
"""

import math
import numbers
from collections import namedtuple

import torch

from jacolib.validate import checked_by, describe, require_count, \
    require_in, require_tensor

__all__ = ["BASES", "UPDATES", "Flow", "TrainResult", "code_update",
           "exact_update", "relative_update", "smooth_leaky_relu", "train"]

TrainResult = namedtuple("TrainResult", "nll records stopped_at problems")


# --- the base densities p_z: log-density, its gradient, a sampler -----------
def _normal_log_pdf(z):
    return -0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)


def _logistic_log_pdf(z):
    # p_z(z) = sech²(z) / 2, the logistic density of scale 1/2
    a = z.abs()
    return -2 * (a + torch.log1p(torch.exp(-2 * a))) + math.log(2)


def _normal_sample(shape, generator):
    return torch.randn(shape, generator=generator, dtype=torch.float64)


def _logistic_sample(shape, generator):
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return 0.5 * torch.log(u / (1 - u))


Base = namedtuple("Base", "log_pdf score sample")
BASES = {
    "normal": Base(_normal_log_pdf, lambda z: -z, _normal_sample),
    "logistic": Base(_logistic_log_pdf, lambda z: -2 * torch.tanh(z),
                     _logistic_sample),
}


# --- the smooth leaky ReLU --------------------------------------------------
def smooth_leaky_relu(r, slope):
    """σ(r) = μ r + (1 − μ) log(1 + eʳ), μ = ``slope``: slope μ at −∞,
    1 at +∞, smooth and strictly increasing, so invertible."""
    return slope * r + (1 - slope) * torch.nn.functional.softplus(r)


def _log_derivative(r, slope):
    """log σ'(r), with σ'(r) = μ + (1 − μ) sigmoid(r)."""
    return torch.log(slope + (1 - slope) * torch.sigmoid(r))


def _derivatives(r, slope):
    """σ'(r) and d/dr log σ'(r) = σ''(r) / σ'(r), from one sigmoid."""
    logistic = torch.sigmoid(r)
    sigma_prime = slope + (1 - slope) * logistic
    return sigma_prime, (1 - slope) * logistic * (1 - logistic) / (
        sigma_prime)


def _inverse_activation(s, slope, n_iter=30):
    """σ⁻¹(s) by Newton's method: σ is convex and increasing, so from
    the first step on the iterates fall monotonically onto the root."""
    r = s.clone()
    for _ in range(n_iter):
        r = r - (smooth_leaky_relu(r, slope) - s) / _derivatives(
            r, slope)[0]
    return r


# --- input checks -----------------------------------------------------------
def _flow_settings(dim, n_layers, slope, base):
    require_count("dim", dim, minimum=1)
    require_count("n_layers", n_layers, minimum=1)
    if isinstance(slope, bool) or not (isinstance(slope, (int, float))
                                       and 0 < slope <= 1):
        raise ValueError(f"slope must be a number in (0, 1]; got {slope!r}")
    require_in("base", base, BASES)


def _flow_and_data(flow, x):
    require_tensor("x", x)
    if x.ndim < 2 or x.shape[-1] != flow.dim or not x.is_floating_point():
        raise ValueError(
            f"x must be a float tensor of samples in rows, shape "
            f"(..., N, {flow.dim}); got {describe(x)}")


class Flow:
    """D layers z = W_D σ(... σ(W_1 x + β_1) ...) + β_D, the last one
    linear, with base density p_z (``base``: "normal" or "logistic").

    ``Flow(dim, n_layers, slope, seed)`` starts from random orthogonal
    W_l and β_l = 0; a list of seeds makes one copy per seed, stacked on
    a leading axis. ``flow.layers`` is the list of (W_l, β_l).
    """

    def __init__(self, dim, n_layers, slope=0.5, seed=0, base="normal"):
        _flow_settings(dim, n_layers, slope, base)
        one = isinstance(seed, numbers.Integral)
        seeds = [seed] if one else list(seed)
        copies = [_orthogonal_layers(dim, n_layers, s) for s in seeds]
        layers = [tuple(torch.stack(parts) for parts in zip(*per_layer))
                  for per_layer in zip(*copies)]
        if one:
            layers = [(W[0], beta[0]) for W, beta in layers]
        self.dim, self.slope, self.base = dim, slope, base
        self.layers = layers

    @classmethod
    def from_layers(cls, layers, slope=0.5, base="normal"):
        """A flow with the given [(W_l, β_l), ...] (copied)."""
        W, _ = layers[0]
        flow = cls(W.shape[-1], len(layers), slope, 0, base)
        flow.layers = [(W.clone(), beta.clone()) for W, beta in layers]
        return flow

    def copy(self):
        return Flow.from_layers(self.layers, self.slope, self.base)

    def take(self, index):
        """The copies ``index`` (an int, a list or a slice of the first
        leading axis) as a new flow."""
        return Flow.from_layers([(W[index], beta[index])
                                 for W, beta in self.layers],
                                self.slope, self.base)

    @property
    def batch_shape(self):
        """The leading axes of the copies: () for a single flow."""
        return self.layers[0][0].shape[:-2]

    def forward(self, x):
        """z and, per layer, its input s_{l-1} and pre-activation r_l."""
        s, trace = x, []
        for depth, (W, beta) in enumerate(self.layers, start=1):
            r = s @ W.mT + beta[..., None, :]
            trace.append((s, r))
            s = r if depth == len(self.layers) else smooth_leaky_relu(
                r, self.slope)
        return s, trace

    @checked_by(_flow_and_data)
    def log_prob(self, x):
        """log p(x) for each sample: (..., N). The determinants by
        slogdet, exactly."""
        z, trace = self.forward(x)
        value = BASES[self.base].log_pdf(z).sum(-1)
        for _, r in trace[:-1]:  # the nonlinear layers
            value = value + _log_derivative(r, self.slope).sum(-1)
        for W, _ in self.layers:
            value = value + torch.linalg.slogdet(W).logabsdet[..., None]
        return value

    def nll(self, x):
        """L = −(1/N) Σ_i log p(x_i), the mean negative log-likelihood."""
        return -self.log_prob(x).mean(-1)

    @checked_by(_flow_and_data)
    def deltas(self, x):
        """δ_l = ∂/∂r_l [log p_z(z) + Σ log σ'(r)] for each sample, by
        backpropagation, and the forward trace. No determinant here."""
        z, trace = self.forward(x)
        delta = BASES[self.base].score(z)  # at the linear last layer
        deltas = [delta]
        for (W_next, _), (_, r) in zip(self.layers[:0:-1],
                                       trace[-2::-1]):
            sigma_prime, log_sigma_prime_slope = _derivatives(r,
                                                              self.slope)
            delta = (delta @ W_next) * sigma_prime + log_sigma_prime_slope
            deltas.append(delta)
        return deltas[::-1], trace

    @checked_by(_flow_and_data)
    def exact_grads(self, x):
        """The gradient of the mean log-likelihood, [(∂/∂W_l, ∂/∂β_l)]."""
        deltas, trace = self.deltas(x)
        return exact_update(self.layers, trace, deltas)

    @checked_by(_flow_and_data)
    def relative_grads(self, x):
        """The relative gradient: no inverse, no determinant."""
        deltas, trace = self.deltas(x)
        return relative_update(self.layers, trace, deltas)

    def inverse(self, z):
        """x = f⁻¹(z), layer by layer: W_l by a solve, σ by Newton."""
        s = z
        for depth, (W, beta) in reversed(list(enumerate(self.layers,
                                                        start=1))):
            r = s if depth == len(self.layers) else _inverse_activation(
                s, self.slope)
            s = torch.linalg.solve(W, (r - beta[..., None, :]).mT).mT
        return s

    def sample(self, n_samples, seed=0):
        """n_samples points of the flow's density: base draws mapped
        back through f⁻¹. (..., n_samples, n)."""
        generator = torch.Generator().manual_seed(seed)
        shape = (*self.batch_shape, n_samples, self.dim)
        return self.inverse(BASES[self.base].sample(shape, generator))


def _orthogonal_layers(dim, n_layers, seed):
    generator = torch.Generator().manual_seed(int(seed))
    layers = []
    for _ in range(n_layers):
        Q, R = torch.linalg.qr(torch.randn(dim, dim, generator=generator,
                                           dtype=torch.float64))
        layers.append((Q * torch.sign(torch.diagonal(R)),
                       torch.zeros(dim, dtype=torch.float64)))
    return layers


# --- directions of ascent, and the trainer ----------------------------------
def _layers_trace_deltas(layers, trace, deltas, *rest):
    if not len(layers) == len(trace) == len(deltas):
        raise ValueError(
            f"layers, trace and deltas must have one entry per layer; "
            f"got {len(layers)}, {len(trace)} and {len(deltas)}")


@checked_by(_layers_trace_deltas)
def exact_update(layers, trace, deltas):
    """The gradient of the mean log-likelihood from the backpropagated
    δ_l: the data terms, plus W_l⁻ᵀ from log|det W_l|."""
    grads = []
    for (W, _), (s_prev, _), delta in zip(layers, trace, deltas):
        N = delta.shape[-2]
        dW = delta.mT @ s_prev / N + torch.linalg.inv(W).mT
        grads.append((dW, delta.mean(-2)))
    return grads


@checked_by(_layers_trace_deltas)
def relative_update(layers, trace, deltas):
    """The exact gradient times Ŵ_lᵀ Ŵ_l, Ŵ_l = [[W_l, β_l], [0, 1]]
    the augmented matrix: the inverse and the determinant cancel out."""
    grads = []
    for (W, beta), (_, r), delta in zip(layers, trace, deltas):
        N = delta.shape[-2]
        dW = delta.mT @ (r @ W) / N + W  # mean δ (rᵀW): n² per sample
        r_beta = (r * beta[..., None, :]).sum(-1, keepdim=True)  # rᵀβ
        dbeta = (delta * (1 + r_beta)).mean(-2) + beta
        grads.append((dW, dbeta))
    return grads


@checked_by(_layers_trace_deltas)
def code_update(layers, trace, deltas, relative=None):
    """The update of the authors' published code: ours (``relative``,
    if already computed), except that the bias leaves out β_l, the
    log-det term of our derivation."""
    relative = relative or relative_update(layers, trace, deltas)
    return [(dW, dbeta - beta)
            for (dW, dbeta), (_, beta) in zip(relative, layers)]


UPDATES = {"exact": exact_update, "relative": relative_update,
           "relative-code": code_update}


def _ascent(flow, x, method):
    """The direction of ``method``, flat (..., D(n² + n)); with a list,
    copy i (one leading axis) follows method[i], from one backward
    pass."""
    deltas, trace = flow.deltas(x)
    names = [method] if isinstance(method, str) else list(method)
    updates = {}
    for name in sorted(set(names)):  # "relative" before "relative-code"
        if name == "relative-code":
            updates[name] = code_update(flow.layers, trace, deltas,
                                        updates.get("relative"))
        else:
            updates[name] = UPDATES[name](flow.layers, trace, deltas)
    chosen = None
    for name, update in updates.items():
        flat = _flat(update)
        mine = torch.tensor([m == name for m in names])[..., None]
        chosen = flat if chosen is None else torch.where(mine, flat,
                                                         chosen)
    return chosen


class _SGD:
    def __init__(self, lr):
        self.lr = lr

    def step(self, direction):
        return self.lr * direction


class _Adam:
    """Adam on an ascent direction, elementwise, so copies stay apart."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = self.v = 0.0
        self.k = 0

    def step(self, direction):
        self.k += 1
        self.m = self.b1 * self.m + (1 - self.b1) * direction
        self.v = self.b2 * self.v + (1 - self.b2) * direction ** 2
        m_hat = self.m / (1 - self.b1 ** self.k)
        v_hat = self.v / (1 - self.b2 ** self.k)
        return self.lr * m_hat / (v_hat.sqrt() + self.eps)


OPTIMIZERS = {"sgd": _SGD, "adam": _Adam}


def _train_inputs(flow, data, method="relative", optimizer="sgd", lr=0.1,
                  steps=100, record=None, every=1, max_condition=1e8):
    _flow_and_data(flow, data)
    names = [method] if isinstance(method, str) else list(method)
    for name in names:
        require_in("method", name, UPDATES)
    copies = flow.batch_shape
    if not isinstance(method, str) and (
            len(copies) != 1 or len(names) != copies[0]):
        raise ValueError(
            f"a list of methods needs one per copy of a flow with one "
            f"leading axis {tuple(copies)}; got {len(names)}")
    require_in("optimizer", optimizer, OPTIMIZERS)
    lr = torch.as_tensor(lr, dtype=torch.float64)
    if not (torch.all(lr > 0) and torch.all(torch.isfinite(lr))):
        raise ValueError(f"lr must be > 0 and finite; got {lr}")
    if lr.ndim and lr.shape != flow.batch_shape:
        raise ValueError(f"lr must be a number or one per copy, shape "
                         f"{tuple(flow.batch_shape)}; got {describe(lr)}")
    require_count("steps", steps, minimum=0)
    require_count("every", every, minimum=1)


@checked_by(_train_inputs)
def train(flow, data, method="relative", optimizer="sgd", lr=0.1,
          steps=100, record=None, every=1, max_condition=1e8):
    """Maximise the mean log-likelihood of ``data`` (full batch), in
    place, along ``method`` (a name of UPDATES, or one name per copy
    of a flow with one leading axis); ``optimizer`` "sgd" or "adam";
    ``lr`` a number, or one per copy (the flow's batch shape).

    A copy whose direction is not finite, or whose new W_l would be
    ill-conditioned (condition number over ``max_condition``), stops
    there, keeps its last parameters, and is reported. Returns
    ``TrainResult(nll, records, stopped_at, problems)``: the NLL L at
    steps 0, every, 2 every, ... and after the last, (..., K), nan once
    a copy stopped; ``record(flow)`` before each step and after the
    last (or None); the step at which each copy stopped (−1: never);
    a message per stop.
    """
    lr = torch.as_tensor(lr, dtype=torch.float64)
    rule = OPTIMIZERS[optimizer](lr[..., None])  # one rate per copy
    running = torch.ones(flow.batch_shape, dtype=torch.bool)
    stopped_at = torch.full(flow.batch_shape, -1)
    nll, records, problems = [], [], []
    for k in range(steps + 1):
        if k % every == 0 or k == steps:
            nll.append(torch.where(running, flow.nll(data), torch.nan))
        if record is not None:
            records.append(record(flow))
        if k == steps:
            break
        ascent = _ascent(flow, data, method)  # one vector per copy
        finite = ascent.isfinite().all(-1)
        healthy, worst = _apply(flow, rule.step(ascent), running & finite,
                                max_condition)
        for index in (running & ~healthy).nonzero().tolist():
            reason = (f"a W_l would have condition number "
                      f"{worst[tuple(index)]:.0e}"
                      if finite[tuple(index)] else "the gradient overflowed")
            copy = f"copy {tuple(index)}: " if index else ""
            problems.append(f"{copy}stopped before step {k + 1}, as "
                            f"{reason}")
        stopped_at[running & ~healthy] = k
        running &= healthy
    return TrainResult(torch.stack(nll, -1),
                       torch.stack(records, -1) if records else None,
                       stopped_at, problems)


def _flat(layers):
    """[(W_l, β_l), ...] as one vector per copy: (..., D (n² + n))."""
    return torch.cat([t for W, beta in layers
                      for t in (W.flatten(-2), beta)], -1)


def _apply(flow, move, running, max_condition):
    """Take the step ``move`` (flat) for the copies still running whose
    new W_l are all finite and well-conditioned. Returns which copies
    were healthy (those not running count as not), and their worst
    condition number."""
    n = flow.dim
    new = (_flat(flow.layers) + move).unflatten(-1, (-1, n * n + n))
    new_W = new[..., : n * n].unflatten(-1, (n, n))  # (..., D, n, n)
    finite = new.isfinite().all(-1).all(-1)
    old_W = torch.stack([W for W, _ in flow.layers], -3)
    condition = torch.linalg.cond(
        torch.where(finite[..., None, None, None], new_W, old_W))
    worst = torch.where(finite, condition.amax(-1), torch.inf)
    healthy = running & (worst < max_condition)
    flow.layers = [
        (torch.where(healthy[..., None, None], new_W[..., i, :, :], W),
         torch.where(healthy[..., None], new[..., i, n * n:], beta))
        for i, (W, beta) in enumerate(flow.layers)]
    return healthy, worst
