"""Chapter 6: learning when backpropagation uses a wrong Jacobian.

A batch of small networks, one per (setting, seed), trained as one
batched model: every weight has a leading axis of size S, and each
linear layer is ``DistortedLinear``, whose forward pass is the usual
s Wᵀ + β but whose backward pass can distort three things, each with
its own per-network settings:

- ``"delta"``: the adjoint sent back to the layer's input, Wᵀδ (and
  through it the adjoint of every earlier layer);
- ``"g"``: the layer's own part of the gradient g, of W and of β (each
  distorted on its own), used only by the optimiser;
- ``"W"``: W as the backward pass uses it, in Wᵀδ.

A distortion first flips the sign of each entry with probability
``flip`` (fresh draws at every step, independent per entry; a flip of W
is drawn once per step and shared by all samples), then keeps a power
χ of the magnitude, sgn(u)|u|^χ, rescaled to u's norm (χ = 1 exact,
χ = 0 sign only). The norm is one per network, over the whole tensor
(for the adjoint: over all N samples at once), or, for networks with
``per_sample``, one per sample, so that each sample's adjoint keeps its
own size. ``readout_only`` networks send no adjoint back at all: only
their last layer learns, on top of its random features. With every flip
0 and every power 1 the backward pass is autograd's, exactly.
"""

from collections import namedtuple

import torch

from jacolib.validate import checked_by, require_count, require_in, \
    require_tensor

__all__ = ["Distortion", "distort", "flip_signs", "keep_power",
           "DistortedLinear", "BatchedMLP", "BatchedOptimizer", "train",
           "sweep", "accuracy", "plateau_length", "TARGETS"]

TARGETS = ("delta", "g", "W")
Run = namedtuple("Run", "losses test_accuracy")


def _per_network(name, value, n_networks, dtype=torch.float64):
    value = torch.as_tensor(value, dtype=dtype)
    if value.ndim > 1 or value.numel() not in (1, n_networks):
        raise ValueError(f"{name} must be one value or {n_networks} "
                         f"values; got shape {tuple(value.shape)}")
    return value.expand(n_networks).clone()


class Distortion:
    """Per-network distortion settings for the three targets.

    ``flip`` and ``power`` map a target ("delta", "g", "W") to S values
    in [0, 1] (or one value for every network); missing targets are
    left exact. ``per_sample`` and ``readout_only`` are one bool or S
    bools. ``generator`` draws the random flips, so a run is
    reproducible. Only the networks that have a distortion are touched:
    the others' backward pass is autograd's, bit for bit.
    """

    def __init__(self, n_networks, flip=None, power=None,
                 per_sample=False, readout_only=False, generator=None):
        require_count("n_networks", n_networks, minimum=1)
        self.n_networks = n_networks
        self.flip = self._settings("flip", flip)
        self.power = self._settings("power", power)
        self.per_sample = _per_network("per_sample", per_sample,
                                       n_networks, torch.bool)
        self.readout_only = _per_network("readout_only", readout_only,
                                         n_networks, torch.bool)
        self.generator = generator or torch.Generator().manual_seed(0)

    def _settings(self, name, values):
        settings = {}
        for target, value in (values or {}).items():
            require_in("target", target, TARGETS)
            value = _per_network(name, value, self.n_networks)
            if not bool(((0 <= value) & (value <= 1)).all()):
                raise ValueError(f"{name} values must lie in [0, 1]; got "
                                 f"{value.tolist()}")
            settings[target] = value
        return settings

    def apply(self, target, u):
        """The distorted u (S, ...) for ``target``."""
        require_in("target", target, TARGETS)
        if target in self.flip:
            chosen = torch.nonzero(self.flip[target] > 0).squeeze(1)
            if len(chosen):
                u = u.index_copy(0, chosen, flip_signs(
                    u[chosen], self.flip[target][chosen], self.generator))
        if target in self.power:
            per_sample = (self.per_sample if target == "delta"
                          else torch.zeros_like(self.per_sample))
            for each_sample in (False, True):
                chosen = torch.nonzero((self.power[target] < 1)
                                       & (per_sample == each_sample))
                chosen = chosen.squeeze(1)
                if len(chosen):
                    u = u.index_copy(0, chosen, keep_power(
                        u[chosen], self.power[target][chosen],
                        each_sample))
        if target == "delta" and bool(self.readout_only.any()):
            u = torch.where(_each(self.readout_only, u), 0.0, u)
        return u


def _each(values, like):
    """Per-network values (S,), shaped to broadcast against ``like``."""
    return values.view((-1,) + (1,) * (like.ndim - 1))


def _setting_per_network(name):
    """A check that u is a tensor and ``name`` has one value per network
    (S,), or one for all (1,)."""
    def check(u, values, *_, **__):
        require_tensor("u", u)
        require_tensor(name, values)
        if values.ndim != 1 or len(values) not in (1, len(u)):
            raise ValueError(f"{name} must have shape (1,) or "
                             f"({len(u)},); got {tuple(values.shape)}")
    return check


@checked_by(_setting_per_network("flip"))
def flip_signs(u, flip, generator):
    """Each entry of u (S, ...) with its sign flipped with probability
    ``flip`` (per network, (S,) or (1,)): new draws at every call."""
    draws = torch.rand(u.shape, generator=generator, dtype=torch.float32)
    return torch.where(draws < _each(flip, u), -u, u)


@checked_by(_setting_per_network("power"))
def keep_power(u, power, per_sample=False):
    """sgn(u)|u|^χ with χ = ``power`` (per network), rescaled to u's
    norm: one norm per network, or one per sample (the last axis)."""
    kept = torch.sign(u) * u.abs() ** _each(power, u)
    axes = -1 if per_sample else tuple(range(1, u.ndim))
    norms = (u.norm(dim=axes, keepdim=True),
             kept.norm(dim=axes, keepdim=True).clamp_min(1e-300))
    return kept * (norms[0] / norms[1])


def distort(u, flip, power, generator, per_sample=False):
    """Flip the signs of u (S, ...) with probability ``flip``, then keep
    the power ``power`` of the magnitudes, each per network."""
    return keep_power(flip_signs(u, flip, generator), power, per_sample)


class DistortedLinear(torch.autograd.Function):
    """s (S, N, n_in) -> s Wᵀ + β with W (S, n_out, n_in), β (S, n_out),
    and a backward pass distorted by a ``Distortion``."""

    @staticmethod
    def forward(ctx, s, W, beta, distortion):
        ctx.save_for_backward(s, W)
        ctx.distortion = distortion
        return torch.baddbmm(beta.unsqueeze(1), s, W.transpose(1, 2))

    @staticmethod
    def backward(ctx, delta):
        s, W = ctx.saved_tensors
        d = ctx.distortion
        W_used = d.apply("W", W)  # W as the backward pass uses it
        delta_in = d.apply("delta", torch.bmm(delta, W_used))  # Wᵀδ
        # g of W: (sᵀ δ)ᵀ = δᵀ s, in autograd's order (bit for bit)
        g_W = d.apply("g", torch.bmm(s.transpose(1, 2),
                                     delta).transpose(1, 2))
        g_beta = d.apply("g", delta.sum(dim=1))
        return delta_in, g_W, g_beta, None


class BatchedMLP(torch.nn.Module):
    """One fully connected network 2 -> width -> ... -> 1 (a logit) per
    entry of ``seeds``, GELU after every hidden layer, trained together.

    A network's initial weights depend on its seed and its init only,
    so settings laid out side by side with the same seeds start from
    the same weights (paired runs). ``init``, one for all networks or a
    list with one per network: "torch" draws W and β from U(±1/√n_in),
    as torch.nn.Linear does; "he" draws W from N(0, 2/n_in) and sets
    β = 0, which keeps the signal's size through many GELU layers.
    """

    def __init__(self, seeds, depth, width, init="torch", n_in=2):
        super().__init__()
        seeds = list(seeds)
        require_count("number of seeds", len(seeds), minimum=1)
        require_count("depth", depth, minimum=1)
        require_count("width", width, minimum=1)
        inits = [init] * len(seeds) if isinstance(init, str) else init
        if len(inits) != len(seeds):
            raise ValueError(f"init must be one name or {len(seeds)} "
                             f"names; got {len(inits)}")
        for name in inits:
            require_in("init", name, ("torch", "he"))
        sizes = [n_in] + [width] * (depth - 1) + [1]
        layers = [_network_init(seed, sizes, name)
                  for seed, name in zip(seeds, inits)]
        self.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.stack(Ws)) for Ws in
            zip(*[[W for W, _ in network] for network in layers]))
        self.biases = torch.nn.ParameterList(
            torch.nn.Parameter(torch.stack(betas)) for betas in
            zip(*[[beta for _, beta in network] for network in layers]))

    def forward(self, x, distortion):
        """x (N, n_in) shared by all networks -> logits (S, N)."""
        s = x.expand(len(self.weights[0]), *x.shape[-2:])
        for index, (W, beta) in enumerate(zip(self.weights, self.biases)):
            s = DistortedLinear.apply(s, W, beta, distortion)
            if index < len(self.weights) - 1:
                s = torch.nn.functional.gelu(s)
        return s.squeeze(-1)


def _network_init(seed, sizes, init):
    """[(W, β) per layer] of one network, from its own generator."""
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init == "he":
            W = torch.randn(fan_out, fan_in, generator=generator) \
                * (2 / fan_in) ** 0.5
            beta = torch.zeros(fan_out)
        else:
            bound = fan_in ** -0.5
            W = (2 * torch.rand(fan_out, fan_in, generator=generator)
                 - 1) * bound
            beta = (2 * torch.rand(fan_out, generator=generator) - 1) \
                * bound
        layers.append((W, beta))
    return layers


def accuracy(model, X, labels):
    """The fraction of correct labels (0/1) per network, shape (S,)."""
    with torch.no_grad():
        logits = model(X, Distortion(len(model.weights[0])))
    return ((logits > 0) == labels.bool()).double().mean(dim=1)


class BatchedOptimizer:
    """Plain SGD or Adam, chosen per network, on parameters with a
    leading network axis (S, ...): ``adam`` and ``lr`` hold one value per
    network, or one for all (then any parameter shape will do). Adam's
    update is torch.optim.Adam's (β₁, β₂ = 0.9, 0.999, ε = 1e-8)."""

    def __init__(self, parameters, adam, lr):
        self.parameters = list(parameters)
        self.adam = torch.as_tensor(adam, dtype=torch.bool).reshape(-1)
        self.lr = torch.as_tensor(lr, dtype=torch.float64).reshape(-1)
        self.means = [torch.zeros_like(p) for p in self.parameters]
        self.squares = [torch.zeros_like(p) for p in self.parameters]
        self.n_steps = 0

    @torch.no_grad()
    def step(self):
        """One step along each parameter's .grad, which it then clears."""
        self.n_steps += 1
        correction = (1 - 0.9 ** self.n_steps, 1 - 0.999 ** self.n_steps)
        for p, mean, square in zip(self.parameters, self.means,
                                   self.squares):
            g = p.grad
            mean.lerp_(g, 1 - 0.9)
            square.mul_(0.999).addcmul_(g, g, value=1 - 0.999)
            denominator = (square.sqrt() / correction[1] ** 0.5).add_(1e-8)
            adam_step = mean / denominator / correction[0]
            step = torch.where(_each(self.adam, p), adam_step, g)
            p.sub_(_each(self.lr, p) * step)
            p.grad = None


def train(model, distortion, data, optimizer="adam", lr=0.01,
          n_steps=300):
    """Full-batch training of every network on the logistic loss.

    ``data`` is (X_train, y_train, X_test, y_test) with labels 0/1;
    ``optimizer`` "sgd" or "adam", or one of them per network, and
    ``lr`` one value or one per network. Returns Run(losses (n_steps,
    S): the training loss before each step, test_accuracy (S,)). Each
    network's loss is summed into one objective, so their gradients do
    not mix.
    """
    S = len(model.weights[0])
    names = [optimizer] * S if isinstance(optimizer, str) else optimizer
    if len(names) != S:
        raise ValueError(f"optimizer must be one name or {S} names; got "
                         f"{len(names)}")
    for name in names:
        require_in("optimizer", name, ("adam", "sgd"))
    require_count("n_steps", n_steps, minimum=1)
    X, labels, X_test, labels_test = data
    steps = BatchedOptimizer(model.parameters(),
                             [name == "adam" for name in names], lr)
    targets = labels.double().expand(S, -1)
    losses = []
    for _ in range(n_steps):
        logits = model(X, distortion)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets, reduction="none").mean(dim=1)
        loss.sum().backward()  # networks are independent: sum is fine
        steps.step()
        losses.append(loss.detach())
    return Run(torch.stack(losses), accuracy(model, X_test, labels_test))


Result = namedtuple("Result", "accuracy losses networks")
_OPTIMIZER_LR = {"sgd": 0.3, "adam": 0.01}


def sweep(settings, n_seeds, data, n_steps, depth=3, width=16, seed=0):
    """Train ``n_seeds`` networks per setting, all in one batched model.

    ``settings`` is {name: dict} with the keys: optimizer ("sgd", step
    0.3, or "adam", step 0.01), and optionally init ("torch" or "he"),
    flip and power ({target: value}), per_sample, readout_only. Seed i
    of every setting starts from the same weights (seed + i), so the
    settings are compared on paired networks. Returns ({name:
    Result(accuracy (n_seeds,), losses (n_steps, n_seeds), networks:
    their indices in the model)}, the trained model).
    """
    require_count("n_seeds", n_seeds, minimum=1)
    names = list(settings)
    columns = {key: [] for key in ("optimizer", "init", "per_sample",
                                   "readout_only")}
    flip = {target: [] for target in TARGETS}
    power = {target: [] for target in TARGETS}
    for name in names:
        setting = settings[name]
        for key, default in [("optimizer", None), ("init", "torch"),
                             ("per_sample", False),
                             ("readout_only", False)]:
            columns[key] += [setting.get(key, default)] * n_seeds
        for target in TARGETS:
            flip[target] += [setting.get("flip", {}).get(target, 0.0)
                             ] * n_seeds
            power[target] += [setting.get("power", {}).get(target, 1.0)
                              ] * n_seeds
    S = len(names) * n_seeds
    model = BatchedMLP([seed + i % n_seeds for i in range(S)], depth,
                       width, columns["init"])
    distortion = Distortion(
        S, flip={t: v for t, v in flip.items() if any(v)},
        power={t: v for t, v in power.items() if min(v) < 1},
        per_sample=columns["per_sample"],
        readout_only=columns["readout_only"])
    run = train(model, distortion, data, columns["optimizer"],
                [_OPTIMIZER_LR[name] for name in columns["optimizer"]],
                n_steps)
    results = {}
    for index, name in enumerate(names):
        networks = range(index * n_seeds, (index + 1) * n_seeds)
        results[name] = Result(run.test_accuracy[networks.start:
                                                 networks.stop],
                               run.losses[:, networks.start:
                                          networks.stop], networks)
    return results, model


def plateau_length(losses, level):
    """Per network, the first step at which the training loss is below
    ``level``; networks that never get there get len(losses)."""
    below = torch.as_tensor(losses) < level
    first = torch.argmax(below.to(torch.int64), dim=0)
    return torch.where(below.any(dim=0), first, len(below))
