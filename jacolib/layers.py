"""Chapter 4's module view of backpropagation: layers that store what
their backward pass needs and map the adjoint of their output to the
adjoint of their input (and of their weights).

    forward:   s_l = layer_l(s_{l-1})       (keep s_{l-1}, or a mask)
    backward:  δ_{l-1} = J_lᵀ δ_l, and ∂L/∂W_l from δ_l and s_{l-1}

Never a Jacobian: each backward is a VJP written in closed form. Plain
numpy, float64, one sample (vectors) or a batch (rows).
"""

import numpy as np

from jacolib.validate import require_finite_array

__all__ = ["Linear", "ReLU", "Sigmoid", "Sequential", "init_weights"]


class Linear:
    """s = W s_prev (no bias: fold one into W with a constant input)."""

    def __init__(self, W):
        self.W = _weight_matrix(W)  # float64, (n_out, n_in), checked

    def forward(self, s_prev):
        self.s_prev = s_prev  # the backward pass needs it for ∂L/∂W
        return s_prev @ self.W.T

    def backward(self, delta):
        self.grad_W = delta.T @ self.s_prev if delta.ndim == 2 \
            else np.outer(delta, self.s_prev)  # δ s_prevᵀ, summed over rows
        return delta @ self.W  # Wᵀ δ, for each row


class ReLU:
    """s = relu(s_prev): its Jacobian is diagonal, 0 or 1, so its VJP is
    a mask."""

    def forward(self, s_prev):
        self.on = s_prev > 0
        return s_prev * self.on

    def backward(self, delta):
        return delta * self.on


class Sigmoid:
    """s = σ(s_prev) = 1 / (1 + e^(−s_prev)); σ' = σ(1 − σ) ≤ 1/4."""

    def forward(self, s_prev):
        self.s = 0.5 * (1.0 + np.tanh(0.5 * s_prev))  # no overflow
        return self.s

    def backward(self, delta):
        return delta * self.s * (1.0 - self.s)


class Sequential:
    """Layers applied in turn; backward runs them in reverse order and
    records the norm of the adjoint that reaches each layer's output."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        s = x
        for layer in self.layers:
            s = layer.forward(s)
        return s

    def backward(self, delta):
        """δ at the output -> δ at the input; ``self.adjoint_norms[l]``
        is ‖δ‖ at the output of layer l (l = 0 the first)."""
        norms = []
        for layer in reversed(self.layers):
            norms.append(float(np.linalg.norm(delta)))
            delta = layer.backward(delta)
        self.adjoint_norms = norms[::-1]
        return delta


def _weight_matrix(W):
    W = require_finite_array("W", W)
    if W.ndim != 2:
        raise ValueError(
            f"W must be a matrix (n_out, n_in); got shape {W.shape}")
    return W


def init_weights(sizes, seed=0, gain=1.0):
    """Weight matrices W_l ~ N(0, gain²/n_in) for widths ``sizes``."""
    rng = np.random.default_rng(seed)
    return [gain * rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]
