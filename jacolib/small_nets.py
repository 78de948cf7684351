"""Small networks and their training (shared base, used by several
chapters).

``mlp`` builds a fully connected network whose parameters are one flat
vector ``w`` (so torch.func can take Hessians in w); ``train_gd`` runs
full-batch gradient descent and keeps snapshots of w, and
``train_gd_mse`` runs the same steps for a tanh network on the mean
squared error, with the backward pass written out in numpy (about ten
times faster: long runs fit a page's time budget; also in extended
precision), and ``mse_gradient`` is that gradient as a function;
``newton_minimize``
trains a few-parameter model to a true minimum (gradient ~ 1e-10), as
the response Jacobian of chapter 2 needs. Everything is float64.
"""

from collections import namedtuple

import numpy as np
import torch

from jacolib.validate import describe, require_count, require_flat, \
    require_in, require_like, require_positive, require_scalar_tensor

MinimizeResult = namedtuple("MinimizeResult", "w n_iter grad_norm converged")
MLP = namedtuple("MLP", "init_params forward n_params sizes")
GDRun = namedtuple("GDRun", "snapshots losses")

# numpy's float types for train_gd_mse: longdouble is the x87 80-bit
# format on x86-64, with a rounding unit 2048 times smaller (2^-64).
_PRECISIONS = {"float64": np.float64, "extended": np.longdouble}

_ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid,
                "softplus": torch.nn.functional.softplus,
                "relu": torch.relu}


# --- full-batch gradient descent with snapshots ----------------------------
def train_gd(loss, w0, lr, n_steps, snapshot_steps=()):
    """Run w <- w - lr ∇loss(w) for n_steps steps from w0 (n,).

    Returns ``GDRun(snapshots, losses)``: snapshots maps each step k in
    ``snapshot_steps`` (0 <= k <= n_steps) to w after k steps; losses
    (n_steps + 1,) holds loss(w_k) for every k.
    """
    require_flat("w0", w0)
    require_scalar_tensor("loss", loss(w0))
    wanted = sorted(set(int(k) for k in snapshot_steps))
    if wanted and not 0 <= wanted[0] <= wanted[-1] <= n_steps:
        raise ValueError(
            f"snapshot_steps must lie in [0, {n_steps}]; got {wanted}")
    require_positive("lr", lr)
    require_count("n_steps", n_steps)
    w, snapshots, losses = w0.detach().clone(), {}, []
    for step in range(n_steps + 1):
        if step in wanted:
            snapshots[step] = w.clone()
        # Plain autograd: per step, 2.5x faster than torch.func.grad.
        w.requires_grad_(True)
        value = loss(w)
        gradient, = torch.autograd.grad(value, w)
        losses.append(value.detach())
        w = (w - lr * gradient).detach()  # the last step goes unused
    return GDRun(snapshots, torch.stack(losses))


# --- the same, for a tanh MLP on the mean squared error, in numpy ---------
def _layers(w, sizes):
    """Views (W_l, β_l) of the flat numpy w, in mlp's layout."""
    layers, start = [], 0
    for n_out, n_in in _layer_shapes(sizes):
        W = w[start:start + n_out * n_in].reshape(n_out, n_in)
        beta = w[start + n_out * n_in:start + n_out * n_in + n_out]
        start += n_out * n_in + n_out
        layers.append((W, beta))
    return layers


def _mse_gradient_into(layers, gradients, X, y):
    """L(w) = ‖f(X; w) − y‖² / 2Nm, by backprop; writes ∇L into the
    views ``gradients`` (of one flat buffer), laid out as ``layers``."""
    states, last = [X], len(layers) - 1  # s_0 = x, then each layer's
    for index, (W, beta) in enumerate(layers):
        s = states[-1] @ W.T
        s += beta
        if index < last:
            np.tanh(s, out=s)
        states.append(s)
    residual = states[-1] - y
    delta = residual / residual.size  # ∂L/∂(output)
    for index in range(last, -1, -1):
        gradient_W, gradient_beta = gradients[index]
        np.matmul(delta.T, states[index], out=gradient_W)
        delta.sum(axis=0, out=gradient_beta)
        if index > 0:  # back through W_l, then tanh' = 1 − tanh²
            s = states[index]
            delta = (delta @ layers[index][0]) * (1 - s * s)
    return 0.5 * (residual**2).mean()


def _tanh_mlp_data(net, w0, X, y):
    require_flat("w0", w0)
    d_in, d_out = net.sizes[0], net.sizes[-1]
    if not (isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)
            and X.ndim == 2 and X.shape[1] == d_in
            and tuple(y.shape) == (X.shape[0], d_out)):
        raise ValueError(
            f"X and y must be tensors (N, {d_in}) and (N, {d_out}); got "
            f"{describe(X)} and {describe(y)}")
    # The network's own output on a few probe inputs tells its activation.
    probe = torch.linspace(-2, 2, 5 * d_in, dtype=w0.dtype).reshape(5, d_in)
    theirs = net.forward(w0, probe)  # also checks the shape of w0
    mine = _forward(w0, probe, net.sizes, torch.tanh)
    if not torch.allclose(theirs, mine, rtol=0, atol=1e-12):
        raise ValueError("net must be an mlp(sizes, activation='tanh')")


def train_gd_mse(net, w0, X, y, lr, n_steps, snapshot_steps=(),
                 precision="float64"):
    """``train_gd`` on L(w) = ‖net.forward(w, X) − y‖² / 2Nm for a tanh
    ``net = mlp(sizes)``: the same steps, backprop written out in numpy.

    X: (N, d_in), y: (N, d_out), w0: (n,). Returns ``GDRun`` as
    ``train_gd`` does (torch float64). The rounding differs from
    autograd's in the last digits only. ``precision="extended"`` runs
    every step in numpy's longdouble (80-bit on x86-64: rounding 2048
    times smaller, about three times slower); the snapshots and losses
    it returns are rounded to float64.
    """
    _tanh_mlp_data(net, w0, X, y)
    require_positive("lr", lr)
    require_count("n_steps", n_steps)
    require_in("precision", precision, tuple(_PRECISIONS))
    wanted = sorted(set(int(k) for k in snapshot_steps))
    if wanted and not 0 <= wanted[0] <= wanted[-1] <= n_steps:
        raise ValueError(
            f"snapshot_steps must lie in [0, {n_steps}]; got {wanted}")
    wanted, real = set(wanted), _PRECISIONS[precision]
    w = w0.detach().numpy().astype(real)  # a copy
    gradient = np.empty_like(w)
    # Views into w and into the gradient, made once: the step updates w
    # in place, so they stay valid.
    layers, gradients = _layers(w, net.sizes), _layers(gradient, net.sizes)
    X_, y_ = (t.detach().numpy().astype(real) for t in (X, y))
    snapshots, losses = {}, np.empty(n_steps + 1, dtype=real)
    lr = real(lr)
    for step in range(n_steps + 1):
        if step in wanted:
            snapshots[step] = torch.tensor(w.astype(np.float64))  # a copy
        losses[step] = _mse_gradient_into(layers, gradients, X_, y_)
        w -= lr * gradient
    return GDRun(snapshots, torch.tensor(losses.astype(np.float64)))


def mse_gradient(net, X, y):
    """The gradient of L(w) = ‖net.forward(w, X) − y‖² / 2Nm for a tanh
    ``net = mlp(sizes)``, as a function w (n,) -> ∇L(w) (n,), float64.

    The backward pass of ``train_gd_mse``, in numpy: for a small
    network about ten times faster than autograd, so that many gradients
    (finite differences of them, say) stay cheap.
    """
    w_probe = net.init_params(0)
    _tanh_mlp_data(net, w_probe, X, y)
    X_, y_ = X.detach().numpy(), y.detach().numpy()

    def gradient(w):
        require_like("w", w, w_probe, "the network's parameters")
        w_ = w.detach().numpy()
        result = np.empty_like(w_)
        _mse_gradient_into(_layers(w_, net.sizes),
                           _layers(result, net.sizes), X_, y_)
        return torch.from_numpy(result)
    return gradient


# --- Newton's method, to train and retrain small models --------------------
def _newton_direction(H, gradient):
    # |λ| instead of λ: a saddle's negative directions become descent
    # directions ("saddle-free" Newton); the floor keeps steps finite.
    eigenvalues, Q = torch.linalg.eigh(0.5 * (H + H.T))
    floor = 1e-8 * max(1.0, eigenvalues.abs().max().item())
    scaled = (Q.T @ gradient) / eigenvalues.abs().clamp_min(floor)
    return -Q @ scaled


def _backtrack(objective, w, step, gradient):
    value = objective(w).item()
    decrease = (gradient @ step).item()
    # The slack lets rounding noise pass near the minimum, where the
    # predicted decrease is below float64 resolution of the loss.
    slack = 4 * torch.finfo(w.dtype).eps * abs(value)
    t = 1.0
    while t > 1e-10 and objective(w + t * step).item() \
            > value + 1e-4 * t * decrease + slack:
        t /= 2
    return w + t * step


def _gradient_and_hessian(objective, w):
    # Plain autograd, the n rows of H in one batched backward pass: for a
    # few parameters about five times faster than torch.func.hessian.
    w = w.detach().requires_grad_(True)
    gradient, = torch.autograd.grad(objective(w), w, create_graph=True)
    if not gradient.requires_grad:  # an affine objective: H = 0
        return gradient.detach(), torch.zeros(w.numel(), w.numel(),
                                              dtype=w.dtype)
    rows, = torch.autograd.grad(gradient, w, torch.eye(w.numel(),
                                                       dtype=w.dtype),
                                is_grads_batched=True,
                                materialize_grads=True)
    return gradient.detach(), rows


def newton_minimize(objective, w0, grad_tol=1e-10, max_iter=100):
    """Minimize objective(w) by Newton's method with a line search.

    w0: (n,) start. Materializes the Hessian each step: a few hundred
    parameters at most. Stops when ‖∇‖ <= grad_tol. Returns
    ``MinimizeResult(w, n_iter, grad_norm, converged)``.
    """
    require_flat("w0", w0)
    require_scalar_tensor("objective", objective(w0))
    w = w0.detach().clone()
    for n_iter in range(max_iter):
        gradient, H = _gradient_and_hessian(objective, w)
        if gradient.norm() <= grad_tol:
            return MinimizeResult(w, n_iter, gradient.norm(), True)
        step = _newton_direction(H, gradient)
        w = _backtrack(objective, w, step, gradient).detach()
    grad_norm = _gradient_and_hessian(objective, w)[0].norm()
    return MinimizeResult(w, max_iter, grad_norm, bool(grad_norm <= grad_tol))


# --- a small MLP as a function of one flat parameter vector ----------------
def _layer_shapes(sizes):
    return [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def layer_slices(sizes):
    """Where each layer's parameters sit in the flat w of ``mlp(sizes)``.

    Returns one slice per layer l = 1..D, covering W_l then β_l (they are
    contiguous), so ``w[layer_slices(sizes)[l - 1]]`` are layer l's and
    ``H[a, b]`` for two of them is a block of a Hessian in w.
    """
    sizes = tuple(int(size) for size in sizes)
    slices, start = [], 0
    for n_out, n_in in _layer_shapes(sizes):
        slices.append(slice(start, start + n_out * n_in + n_out))
        start += n_out * n_in + n_out
    return slices


def _init_params(sizes, seed):
    generator = torch.Generator().manual_seed(seed)
    pieces = []
    for n_out, n_in in _layer_shapes(sizes):
        W = torch.randn(n_out, n_in, generator=generator,
                        dtype=torch.float64) / n_in**0.5
        pieces += [W.flatten(), torch.zeros(n_out, dtype=torch.float64)]
    return torch.cat(pieces)


def _forward(w, X, sizes, act):
    start, h = 0, X.to(w.dtype)
    for layer, (n_out, n_in) in enumerate(_layer_shapes(sizes)):
        W = w[start:start + n_out * n_in].reshape(n_out, n_in)
        b = w[start + n_out * n_in:start + n_out * n_in + n_out]
        start += n_out * n_in + n_out
        h = h @ W.T + b
        if layer < len(sizes) - 2:  # no activation after the last layer
            h = act(h)
    return h


def mlp(sizes, activation="tanh"):
    """A fully connected network whose parameters are one flat vector.

    sizes: widths [d_in, hidden..., d_out]. Returns
    ``MLP(init_params, forward, n_params, sizes)``: init_params(seed) ->
    w (n_params,) float64, weights ~ N(0, 1/fan_in), biases 0;
    forward(w, X) maps X (N, d_in) to (N, d_out), the activation between
    layers and none after the last. Layout of w: W1 (row-major), b1,
    W2, b2, ...
    """
    sizes = tuple(int(size) for size in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"sizes must list >= 2 positive widths; got {list(sizes)}")
    require_in("activation", activation, sorted(_ACTIVATIONS))
    n_params = sum(o * i + o for o, i in _layer_shapes(sizes))

    def init_params(seed=0):
        return _init_params(sizes, seed)

    def forward(w, X):
        if not isinstance(w, torch.Tensor) or w.shape != (n_params,):
            raise ValueError(
                f"w must have shape ({n_params},); got {describe(w)}")
        if not isinstance(X, torch.Tensor) or X.ndim != 2 \
                or X.shape[1] != sizes[0]:
            raise ValueError(
                f"X must have shape (N, {sizes[0]}); got {describe(X)}")
        return _forward(w, X, sizes, _ACTIVATIONS[activation])

    return MLP(init_params, forward, n_params, sizes)
