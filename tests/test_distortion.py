"""jacolib.distortion: the distorted backward pass is autograd's when
disabled, and distorts at the requested rate when enabled."""

import pytest
import torch

from jacolib import datasets, distortion as D

DTYPE = torch.float64


@pytest.fixture(autouse=True)
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(DTYPE)
    yield
    torch.set_default_dtype(previous)


def plain_gradients(model, X):
    """The same networks written with torch ops, differentiated by
    autograd."""
    s = X.expand(len(model.weights[0]), -1, -1)
    for index, (W, beta) in enumerate(zip(model.weights, model.biases)):
        s = torch.baddbmm(beta.unsqueeze(1), s, W.transpose(1, 2))
        if index < len(model.weights) - 1:
            s = torch.nn.functional.gelu(s)
    return torch.autograd.grad((s.squeeze(-1) ** 2).sum(),
                               list(model.parameters()))


@pytest.mark.parametrize("init", ["torch", "he"])
def test_no_distortion_is_autograd_bit_for_bit(init):
    X = datasets.xor_cloud(n_train=64, n_test=1)[0]
    model = D.BatchedMLP(5, depth=4, width=8, init=init, seed=3)
    ours = torch.autograd.grad(
        (model(X, D.Distortion(5)) ** 2).sum(), list(model.parameters()))
    for a, b in zip(ours, plain_gradients(model, X)):
        assert torch.equal(a, b)


def test_flips_happen_at_the_requested_rate_per_network():
    g = torch.ones(3, 200, 100)
    flip = torch.tensor([0.0, 0.2, 0.45])
    out = D.distort(g, flip, torch.ones(1), torch.Generator().manual_seed(0))
    rates = (out < 0).double().mean(dim=(1, 2))
    assert rates[0] == 0
    # 20000 draws each: 4 standard errors is about 0.015.
    assert torch.allclose(rates[1:], flip[1:], atol=0.015)
    assert torch.equal(out.abs(), g)  # magnitudes untouched


def test_gamma_keeps_the_norm_and_the_signs():
    generator = torch.Generator().manual_seed(1)
    g = torch.randn(3, 7, 5, generator=generator)
    gamma = torch.tensor([1.0, 0.5, 0.0])
    out = D.distort(g, torch.zeros(1), gamma, generator)
    assert torch.equal(out[0], g[0])  # γ = 1: exact
    assert torch.allclose(out.flatten(1).norm(dim=1),
                          g.flatten(1).norm(dim=1), rtol=1e-14)
    assert torch.equal(torch.sign(out), torch.sign(g))
    levels = out[2].abs().unique()  # γ = 0: one magnitude for all
    assert torch.allclose(levels, levels[0].expand_as(levels), rtol=1e-14)


def test_each_target_is_distorted_where_its_setting_says():
    X = datasets.xor_cloud(n_train=32, n_test=1)[0]
    model = D.BatchedMLP(2, depth=2, width=4, seed=0)
    exact = torch.autograd.grad(model(X, D.Distortion(2)).sum(),
                                list(model.parameters()))
    flipped = D.Distortion(2, flip={"theta": torch.tensor([0.0, 1.0])})
    ours = torch.autograd.grad(model(X, flipped).sum(),
                               list(model.parameters()))
    for a, b in zip(ours, exact):  # network 1's ∇θ all flipped
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], -b[1])


def test_training_learns_xor_without_distortion():
    data = datasets.xor_cloud(n_train=200, n_test=400, label_noise=0.0)
    model = D.BatchedMLP(2, depth=3, width=16, init="he", seed=0)
    run = D.train(model, D.Distortion(2), data, "adam", 0.02, 150)
    assert (run.test_accuracy > 0.9).all()
    assert (run.losses[-1] < run.losses[0]).all()


@pytest.mark.parametrize("call, message", [
    (lambda: D.Distortion(2, flip={"x": 1.5}),
     r"flip values must lie in \[0, 1\]"),
    (lambda: D.Distortion(2).apply("y", torch.ones(2, 1)),
     r"target must be one of \['x', 'theta', 'w'\]"),
    (lambda: D.BatchedMLP(2, 3, 4, init=["he"]),
     r"init must be one name or 2 names; got 1"),
    (lambda: D.BatchedMLP(2, 3, 4, init="xavier"),
     r"init must be one of \['torch', 'he'\]"),
    (lambda: datasets.xor_cloud(label_noise=2.0),
     r"label_noise must lie in \[0, 1\]"),
])
def test_bad_settings_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
