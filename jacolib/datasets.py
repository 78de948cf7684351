"""Small synthetic data sets, each made from an explicit seed."""

import numpy as np


def linear_regression_data(n_samples=40, true_w=(1.5, -0.8), noise=0.3,
                           seed=0, duplicate_feature=False):
    """Inputs X (N, d) and targets t = X w_true + noise.

    With ``duplicate_feature`` the last column repeats the first, so
    XᵀX is singular: a rank-deficient design.
    """
    true_w = np.asarray(true_w, dtype=np.float64)
    if true_w.ndim != 1 or true_w.size == 0:
        raise ValueError(
            f"true_w must be a non-empty vector; got shape {true_w.shape}")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(
            f"n_samples must be a positive int; got {n_samples!r}")
    rng = np.random.default_rng(seed)
    n_free = true_w.size - 1 if duplicate_feature else true_w.size
    if n_free < 1:
        raise ValueError("duplicate_feature needs at least 2 weights")
    X = rng.normal(size=(n_samples, n_free))
    if duplicate_feature:
        X = np.hstack([X, X[:, :1]])
    t = X @ true_w + noise * rng.normal(size=n_samples)
    return X, t
