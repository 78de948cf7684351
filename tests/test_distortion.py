"""jacolib.distortion: the distorted backward pass is autograd's when
disabled, and distorts at the requested rate when enabled; the batched
optimiser is torch's; a sweep pairs its settings' initial weights."""

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
    model = D.BatchedMLP(range(3, 8), depth=4, width=8, init=init)
    ours = torch.autograd.grad(
        (model(X, D.Distortion(5)) ** 2).sum(), list(model.parameters()))
    for a, b in zip(ours, plain_gradients(model, X)):
        assert torch.equal(a, b)


def test_undistorted_networks_are_untouched_next_to_distorted_ones():
    X = datasets.xor_cloud(n_train=32, n_test=1)[0]
    model = D.BatchedMLP([0, 1], depth=3, width=6)
    mixed = D.Distortion(2, flip={"delta": [0.0, 0.5]},
                         power={"g": [1.0, 0.0]})
    ours = torch.autograd.grad((model(X, mixed) ** 2).sum(),
                               list(model.parameters()))
    for a, b in zip(ours, plain_gradients(model, X)):
        assert torch.equal(a[0], b[0])
        if a[1].numel() > 1:  # χ = 0 keeps a single entry as it is
            assert not torch.equal(a[1], b[1])


def test_flips_happen_at_the_requested_rate_per_network():
    u = torch.ones(3, 200, 100)
    flip = torch.tensor([0.0, 0.2, 0.45])
    out = D.flip_signs(u, flip, torch.Generator().manual_seed(0))
    rates = (out < 0).double().mean(dim=(1, 2))
    assert rates[0] == 0
    # 20000 draws each: 4 standard errors is about 0.015.
    assert torch.allclose(rates[1:], flip[1:], atol=0.015)
    assert torch.equal(out.abs(), u)  # magnitudes untouched


def test_flips_are_fresh_at_every_call():
    generator = torch.Generator().manual_seed(0)
    u = torch.ones(1, 50, 20)
    first = D.flip_signs(u, torch.tensor([0.5]), generator)
    second = D.flip_signs(u, torch.tensor([0.5]), generator)
    agree = (first == second).double().mean()
    assert 0.45 < agree < 0.55  # independent draws agree half the time


@pytest.mark.parametrize("per_sample", [False, True])
def test_power_keeps_the_norm_and_the_signs(per_sample):
    generator = torch.Generator().manual_seed(1)
    u = torch.randn(3, 7, 5, generator=generator)
    power = torch.tensor([1.0, 0.5, 0.0])
    out = D.keep_power(u, power, per_sample)
    torch.testing.assert_close(out[0], u[0], rtol=1e-14, atol=1e-14)
    axes = -1 if per_sample else (1, 2)
    torch.testing.assert_close(out.norm(dim=axes), u.norm(dim=axes),
                               rtol=1e-13, atol=0)
    assert torch.equal(torch.sign(out), torch.sign(u))
    # χ = 0: one magnitude per network, or one per sample (row)
    levels = out[2].abs() if per_sample else out[2].abs().flatten()
    torch.testing.assert_close(levels, levels[..., :1].expand_as(levels),
                               rtol=1e-13, atol=0)


def test_per_sample_power_keeps_each_samples_adjoint_size():
    u = torch.tensor([[[3.0, 4.0], [0.03, 0.04]]])  # sizes 5 and 0.05
    network = D.keep_power(u, torch.zeros(1), per_sample=False)
    sample = D.keep_power(u, torch.zeros(1), per_sample=True)
    torch.testing.assert_close(network.norm(dim=-1)[0, 0],
                               network.norm(dim=-1)[0, 1])  # equalised
    torch.testing.assert_close(sample.norm(dim=-1), u.norm(dim=-1))


def test_each_target_is_distorted_where_its_setting_says():
    X = datasets.xor_cloud(n_train=32, n_test=1)[0]
    model = D.BatchedMLP([0, 0], depth=2, width=4)
    exact = torch.autograd.grad(model(X, D.Distortion(2)).sum(),
                                list(model.parameters()))
    flipped = D.Distortion(2, flip={"g": torch.tensor([0.0, 1.0])})
    ours = torch.autograd.grad(model(X, flipped).sum(),
                               list(model.parameters()))
    for a, b in zip(ours, exact):  # network 1's g all flipped
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], -b[1])


def test_a_flip_of_W_compounds_through_the_layers():
    # q = 1 flips every entry of W in the backward pass: the gradient
    # of layer l passes D - l flipped products, sign (-1)^(D - l).
    X = datasets.xor_cloud(n_train=16, n_test=1)[0]
    model = D.BatchedMLP([0, 0], depth=3, width=5)
    exact = torch.autograd.grad(model(X, D.Distortion(2)).sum(),
                                list(model.weights))
    flipped = torch.autograd.grad(model(X, D.Distortion(
        2, flip={"W": [0.0, 1.0]})).sum(), list(model.weights))
    assert torch.equal(flipped[2][1], exact[2][1])   # top: exact
    assert torch.equal(flipped[1][1], -exact[1][1])  # one flip
    assert torch.equal(flipped[0][1], exact[0][1])   # two flips


def test_readout_only_trains_the_last_layer_alone():
    data = datasets.xor_cloud(n_train=32, n_test=8)
    model = D.BatchedMLP([0, 0], depth=3, width=4)
    before = [p.detach().clone() for p in model.parameters()]
    D.train(model, D.Distortion(2, readout_only=[True, False]), data,
            "sgd", 0.3, 3)
    after = list(model.parameters())
    for index, (a, b) in enumerate(zip(before, after)):
        last = index in (2, 5)  # W and β of the last layer
        assert torch.equal(a[0], b[0]) != last  # readout network
        assert not torch.equal(a[1], b[1])      # full network


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_batched_optimizer_is_torchs(name):
    generator = torch.Generator().manual_seed(5)
    start = torch.randn(2, 3, 4, generator=generator)
    ours = start.clone().requires_grad_(True)
    theirs = start.clone().requires_grad_(True)
    steps = D.BatchedOptimizer([ours], adam=name == "adam", lr=0.1)
    torch_optimizer = (torch.optim.Adam if name == "adam"
                       else torch.optim.SGD)([theirs], lr=0.1)
    for _ in range(5):
        for p in (ours, theirs):
            (p ** 3).sum().backward()
        steps.step()
        torch_optimizer.step()
        torch_optimizer.zero_grad()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)


def test_training_learns_xor_without_distortion():
    data = datasets.xor_cloud(n_train=200, n_test=400, label_noise=0.0)
    model = D.BatchedMLP([0, 1], depth=3, width=16, init="he")
    run = D.train(model, D.Distortion(2), data, "adam", 0.02, 150)
    assert (run.test_accuracy > 0.9).all()
    assert (run.losses[-1] < run.losses[0]).all()


def test_sweep_pairs_initial_weights_and_matches_separate_runs():
    data = datasets.xor_cloud(n_train=32, n_test=64)
    settings = {"exact": dict(optimizer="sgd"),
                "adam": dict(optimizer="adam"),
                "flip": dict(optimizer="sgd", flip={"g": 0.5})}
    results, model = D.sweep(settings, 2, data, 4, depth=2, width=4)
    alone = D.BatchedMLP([0, 1], depth=2, width=4)
    run = D.train(alone, D.Distortion(2), data, "sgd", 0.3, 4)
    torch.testing.assert_close(results["exact"].losses, run.losses,
                               rtol=1e-12, atol=1e-14)
    # every setting's seed i starts from the same loss
    for result in results.values():
        assert torch.equal(result.losses[0], run.losses[0])


def test_plateau_length_counts_steps_above_the_level():
    losses = torch.tensor([[0.7, 0.7], [0.69, 0.7], [0.5, 0.7]])
    assert D.plateau_length(losses, 0.6).tolist() == [2, 3]


@pytest.mark.parametrize("call, message", [
    (lambda: D.Distortion(2, flip={"delta": 1.5}),
     r"flip values must lie in \[0, 1\]"),
    (lambda: D.Distortion(2, flip={"x": 0.5}),
     r"target must be one of \['delta', 'g', 'W'\]"),
    (lambda: D.Distortion(2).apply("y", torch.ones(2, 1)),
     r"target must be one of \['delta', 'g', 'W'\]"),
    (lambda: D.Distortion(2, power={"g": [1.0, 0.5, 0.0]}),
     r"power must be one value or 2 values"),
    (lambda: D.BatchedMLP([0, 1], 3, 4, init=["he"]),
     r"init must be one name or 2 names; got 1"),
    (lambda: D.BatchedMLP([0, 1], 3, 4, init="xavier"),
     r"init must be one of \['torch', 'he'\]"),
    (lambda: D.keep_power(torch.ones(2, 3), torch.ones(3)),
     r"power must have shape \(1,\) or \(2,\)"),
    (lambda: datasets.xor_cloud(label_noise=2.0),
     r"label_noise must lie in \[0, 1\]"),
])
def test_bad_settings_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
