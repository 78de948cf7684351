"""Small synthetic data sets, each made from an explicit seed."""

import numpy as np
import torch

from jacolib.validate import require_count


def linear_regression_data(n_samples=40, true_w=(1.5, -0.8), noise=0.3,
                           seed=0, duplicate_feature=False):
    """Inputs X (N, n) and targets y = X w_true + noise.

    With ``duplicate_feature`` the last column repeats the first, so
    XᵀX is singular: a rank-deficient design.
    """
    true_w = np.asarray(true_w, dtype=np.float64)
    if true_w.ndim != 1 or true_w.size == 0:
        raise ValueError(
            f"true_w must be a non-empty vector; got shape {true_w.shape}")
    require_count("n_samples", n_samples, minimum=1)
    rng = np.random.default_rng(seed)
    n_free = true_w.size - 1 if duplicate_feature else true_w.size
    if n_free < 1:
        raise ValueError("duplicate_feature needs at least 2 weights")
    X = rng.normal(size=(n_samples, n_free))
    if duplicate_feature:
        X = np.hstack([X, X[:, :1]])
    y = X @ true_w + noise * rng.normal(size=n_samples)
    return X, y


def noisy_sine_data(n_samples=20, noise=0.1, frequency=2.0, seed=0):
    """Inputs X (N, 1) evenly spaced on [-2, 2] and targets
    y = sin(frequency x) + noise * N(0, 1), (N, 1), torch float64."""
    require_count("n_samples", n_samples, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    X = torch.linspace(-2, 2, n_samples, dtype=torch.float64).reshape(-1, 1)
    noise_draw = torch.randn(n_samples, 1, generator=generator,
                             dtype=torch.float64)
    return X, torch.sin(frequency * X) + noise * noise_draw
