"""Chapter 6: learning when backpropagation uses a wrong Jacobian.

A batch of small networks, one per (setting, seed), trained as one
batched model: every weight has a leading axis of size S, and each
linear layer is ``DistortedLinear``, whose forward pass is the usual
x Wᵀ + β but whose backward pass can distort three things, each with
its own per-network settings:

- ``"x"``: ∇ₓ, the adjoint sent back to the layer's input (and so to
  every earlier layer);
- ``"theta"``: ∇_θ, the gradient of the layer's own parameters (W, β);
- ``"w"``: θ as the backward pass uses it, W in the VJP ∇ₓ = Wᵀ δ.

A distortion flips the sign of each entry with probability ``flip``,
then keeps a fraction of the magnitude: s(g) = sign(g)·|g|^γ, rescaled
to the norm of g (γ = 1 exact, γ = 0 sign only). With every flip 0 and
every γ 1 the backward pass is autograd's, exactly.
"""

from collections import namedtuple

import torch

from jacolib.validate import require_count, require_in

__all__ = ["Distortion", "distort", "DistortedLinear", "BatchedMLP",
           "train", "accuracy", "TARGETS"]

TARGETS = ("x", "theta", "w")
Run = namedtuple("Run", "losses test_accuracy")


class Distortion:
    """Per-network distortion settings for the three targets.

    ``flip`` and ``gamma`` map a target ("x", "theta", "w") to a tensor
    of S values (or a number, the same for every network); missing
    targets are left exact. ``generator`` draws the random flips, so a
    run is reproducible.
    """

    def __init__(self, n_networks, flip=None, gamma=None, generator=None):
        require_count("n_networks", n_networks, minimum=1)
        self.n_networks = n_networks
        self.flip = {t: self._per_network(v, "flip")
                     for t, v in (flip or {}).items()}
        self.gamma = {t: self._per_network(v, "gamma")
                      for t, v in (gamma or {}).items()}
        self.generator = generator or torch.Generator().manual_seed(0)

    def _per_network(self, value, name):
        value = torch.as_tensor(value, dtype=torch.float64)
        value = value.expand(self.n_networks).clone()
        if not bool(((0 <= value) & (value <= 1)).all()):
            raise ValueError(f"{name} values must lie in [0, 1]; got "
                             f"{value.tolist()}")
        return value

    def apply(self, target, g):
        """The distorted g (S, ...) for ``target``."""
        require_in("target", target, TARGETS)
        zero = torch.zeros(1, dtype=g.dtype)
        one = torch.ones(1, dtype=g.dtype)
        flip = self.flip.get(target, zero)
        gamma = self.gamma.get(target, one)
        return distort(g, flip, gamma, self.generator)


def distort(g, flip, gamma, generator):
    """Flip each entry's sign with probability ``flip``, then keep the
    sign and |g|^γ, rescaled to g's norm; both per network (leading axis
    of g; ``flip`` and ``gamma`` of shape (S,) or (1,)). Only the
    networks with a distortion are touched."""
    flip, gamma = flip.expand(len(g)), gamma.expand(len(g))
    flipped = torch.nonzero(flip > 0).squeeze(1)
    if len(flipped):
        part = g[flipped]
        draws = torch.rand(part.shape, generator=generator, dtype=g.dtype)
        g = g.index_copy(0, flipped, torch.where(
            draws < _per_network(flip[flipped], part), -part, part))
    kept = torch.nonzero(gamma < 1).squeeze(1)
    if len(kept):
        part = g[kept]
        powered = torch.sign(part) * part.abs() ** _per_network(
            gamma[kept], part)
        scale = (part.flatten(1).norm(dim=1)
                 / powered.flatten(1).norm(dim=1).clamp_min(1e-300))
        g = g.index_copy(0, kept, powered * _per_network(scale, part))
    return g


def _per_network(values, like):
    return values.view((-1,) + (1,) * (like.ndim - 1))


class DistortedLinear(torch.autograd.Function):
    """x (S, N, n_in) -> x Wᵀ + β with W (S, n_out, n_in), β (S, n_out),
    and a backward pass distorted by a ``Distortion``."""

    @staticmethod
    def forward(ctx, x, W, beta, distortion):
        ctx.save_for_backward(x, W)
        ctx.distortion = distortion
        return torch.baddbmm(beta.unsqueeze(1), x, W.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        d = ctx.distortion
        W_used = d.apply("w", W)  # θ as the backward pass uses it
        grad_x = d.apply("x", torch.bmm(grad_out, W_used))  # ∇ₓ = Wᵀδ
        # (xᵀ δ)ᵀ = δᵀ x, in the order autograd computes it (bit for bit)
        grad_W = d.apply("theta", torch.bmm(x.transpose(1, 2),
                                            grad_out).transpose(1, 2))
        grad_beta = d.apply("theta", grad_out.sum(dim=1))
        return grad_x, grad_W, grad_beta, None


class BatchedMLP(torch.nn.Module):
    """S fully connected networks 2 -> width -> ... -> 1 (a logit),
    GELU after every hidden layer, trained together.

    ``init``, for all networks or a list with one per network: "torch"
    draws W and β from U(±1/√n_in), as torch.nn.Linear does; "he" draws
    W from N(0, 2/n_in) and sets β = 0, which keeps the signal's size
    through many GELU layers.
    """

    def __init__(self, n_networks, depth, width, init="torch", seed=0,
                 n_in=2):
        super().__init__()
        require_count("depth", depth, minimum=1)
        require_count("width", width, minimum=1)
        inits = [init] * n_networks if isinstance(init, str) else init
        if len(inits) != n_networks:
            raise ValueError(f"init must be one name or {n_networks} "
                             f"names; got {len(inits)}")
        for name in inits:
            require_in("init", name, ("torch", "he"))
        he = torch.tensor([name == "he" for name in inits])
        generator = torch.Generator().manual_seed(seed)
        sizes = [n_in] + [width] * (depth - 1) + [1]
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            W, beta = _layer_init(n_networks, fan_in, fan_out, he,
                                  generator)
            self.weights.append(torch.nn.Parameter(W))
            self.biases.append(torch.nn.Parameter(beta))

    def forward(self, x, distortion):
        """x (N, n_in) shared by all networks, or (S, N, n_in) -> logits
        (S, N)."""
        s = x.expand(len(self.weights[0]), *x.shape[-2:])
        for index, (W, beta) in enumerate(zip(self.weights, self.biases)):
            s = DistortedLinear.apply(s, W, beta, distortion)
            if index < len(self.weights) - 1:
                s = torch.nn.functional.gelu(s)
        return s.squeeze(-1)


def _layer_init(n_networks, fan_in, fan_out, he, generator):
    shape = (n_networks, fan_out, fan_in)
    bound = fan_in ** -0.5
    uniform_W = (2 * torch.rand(shape, generator=generator) - 1) * bound
    uniform_beta = (2 * torch.rand(shape[:2], generator=generator) - 1) \
        * bound
    normal_W = torch.randn(shape, generator=generator) * (2 / fan_in) ** 0.5
    per_network = he.view(-1, 1, 1)
    return (torch.where(per_network, normal_W, uniform_W),
            torch.where(he.view(-1, 1), 0.0, uniform_beta))


def accuracy(model, X, labels):
    """The fraction of correct labels (0/1) per network, shape (S,)."""
    with torch.no_grad():
        logits = model(X, Distortion(len(model.weights[0])))
    return ((logits > 0) == labels.bool()).double().mean(dim=1)


def train(model, distortion, data, optimizer="adam", lr=0.01,
          n_steps=300):
    """Full-batch training of every network on the logistic loss.

    ``data`` is (X_train, y_train, X_test, y_test) with labels 0/1.
    Returns Run(losses (n_steps, S), test_accuracy (S,)). Each network's
    loss is summed into one objective, so their gradients do not mix.
    """
    require_in("optimizer", optimizer, ("adam", "sgd"))
    X, labels, X_test, labels_test = data
    optimizer = (torch.optim.Adam if optimizer == "adam"
                 else torch.optim.SGD)(model.parameters(), lr=lr)
    targets = labels.double().expand(len(model.weights[0]), -1)
    losses = []
    for _ in range(n_steps):
        logits = model(X, distortion)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets, reduction="none").mean(dim=1)
        optimizer.zero_grad()
        loss.sum().backward()  # networks are independent: sum is fine
        optimizer.step()
        losses.append(loss.detach())
    return Run(torch.stack(losses), accuracy(model, X_test, labels_test))
