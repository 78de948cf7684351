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


def xor_cloud(n_train=256, n_test=1024, label_noise=0.1, seed=0):
    """A Gaussian cloud in the plane labelled by the XOR of its
    coordinates' signs (1 when they differ), with a fraction
    ``label_noise`` of the labels flipped at random; torch float64.
    Returns (X_train, y_train, X_test, y_test): X (N, 2), y (N,) of 0/1.
    The test labels are noisy too, so the best test accuracy is about
    1 − label_noise."""
    require_count("n_train", n_train, minimum=1)
    require_count("n_test", n_test, minimum=1)
    if not 0 <= label_noise <= 1:
        raise ValueError(
            f"label_noise must lie in [0, 1]; got {label_noise!r}")
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_train + n_test, 2, generator=generator,
                    dtype=torch.float64)
    labels = ((X[:, 0] > 0) != (X[:, 1] > 0)).to(torch.float64)
    flipped = torch.rand(len(X), generator=generator,
                         dtype=torch.float64) < label_noise
    labels = torch.where(flipped, 1 - labels, labels)
    return X[:n_train], labels[:n_train], X[n_train:], labels[n_train:]


# --- chapter 7: sources to unmix, and 2-D densities for a flow -------------
def mixing_matrix(dim, condition=1.0, seed=0):
    """A dim x dim mixing M = U diag(σ) Vᵀ, U and V random rotations.

    The singular values σ fall geometrically from the largest to the
    largest / ``condition``, scaled so that their squares average 1
    (‖M‖²_F = dim): mixings of every condition give data of the same
    total variance. ``condition=1`` gives a rotation. U and V depend on
    ``seed`` only, so mixings of one seed differ only in their σ.
    """
    require_count("dim", dim, minimum=1)
    if not (np.isscalar(condition) and condition >= 1):
        raise ValueError(f"condition must be a number >= 1; got "
                         f"{condition!r}")
    rng = np.random.default_rng([seed, 7])
    U, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    V, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    sigma = condition ** -np.linspace(0.0, 1.0, dim)
    sigma *= np.sqrt(dim / np.sum(sigma ** 2))
    return torch.as_tensor(U @ np.diag(sigma) @ V.T, dtype=torch.float64)


def mixed_sources(n_samples=1000, dim=4, condition=1.0, seed=0):
    """Independent Laplace sources ξ (N, dim) of unit variance, mixed:
    x = M ξ. Returns (X, sources, M), X of shape (N, dim), torch float64.

    The sources depend on ``seed`` only, so two calls that differ only
    in ``condition`` mix the same sources.
    """
    require_count("n_samples", n_samples, minimum=1)
    rng = np.random.default_rng([seed, 11])
    sources = rng.laplace(scale=1 / np.sqrt(2), size=(n_samples, dim))
    sources = torch.as_tensor(sources, dtype=torch.float64)
    M = mixing_matrix(dim, condition, seed)
    return sources @ M.T, sources, M


def two_moons(n_samples=1000, noise=0.1, seed=0):
    """Two interleaved half circles in the plane, with Gaussian noise:
    (N, 2), torch float64, centred near (0.5, 0.25) as in scikit-learn's
    ``make_moons``."""
    require_count("n_samples", n_samples, minimum=2)
    rng = np.random.default_rng([seed, 13])
    n_upper = n_samples // 2
    angles = np.pi * rng.uniform(size=n_samples)
    upper = np.arange(n_samples) < n_upper
    points = np.where(upper[:, None],
                      np.stack([np.cos(angles), np.sin(angles)], 1),
                      np.stack([1 - np.cos(angles),
                                0.5 - np.sin(angles)], 1))
    points += noise * rng.normal(size=points.shape)
    return torch.as_tensor(points, dtype=torch.float64)


def ring(n_samples=1000, radius=1.5, width=0.15, seed=0):
    """Points on a ring: uniform angle, radius ``radius`` plus Gaussian
    noise of standard deviation ``width``. (N, 2), torch float64."""
    require_count("n_samples", n_samples, minimum=1)
    rng = np.random.default_rng([seed, 17])
    angles = 2 * np.pi * rng.uniform(size=n_samples)
    radii = radius + width * rng.normal(size=n_samples)
    points = radii[:, None] * np.stack([np.cos(angles), np.sin(angles)], 1)
    return torch.as_tensor(points, dtype=torch.float64)
