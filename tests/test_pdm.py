"""jacolib.pdm against independent computations: the log-density against
the change of variables with an autograd Jacobian, the gradients against
autograd through log_prob, the relative gradient against the exact one
times the augmented matrix's ŴᵀŴ, the trainer against torch.optim; and
chapter 7's 2-D data sets."""

import math

import numpy as np
import pytest
import torch

import jacolib
from jacolib import datasets, pdm


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def flow_with_biases(dim=3, n_layers=4, slope=0.4, base="normal", seed=0,
                     scale=0.3):
    flow = pdm.Flow(dim, n_layers, slope=slope, seed=seed, base=base)
    generator = torch.Generator().manual_seed(100 + seed)
    flow.layers = [(W, scale * torch.randn(beta.shape, generator=generator))
                   for W, beta in flow.layers]
    return flow


def data(N=40, dim=3, seed=1, shift=0.5):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(N, dim, generator=generator) + shift


def autograd_grads(flow, x):
    """∂/∂(W_l, β_l) of the mean log-likelihood, by autograd."""
    leaves = [t.clone().requires_grad_() for pair in flow.layers
              for t in pair]
    twin = pdm.Flow.from_layers(flow.layers, flow.slope, flow.base)
    twin.layers = list(zip(leaves[::2], leaves[1::2]))
    grads = torch.autograd.grad(twin.log_prob(x).mean(-1).sum(), leaves)
    return list(zip(grads[::2], grads[1::2]))


def augmented(W, beta):
    n = W.shape[-1]
    W_hat = torch.eye(n + 1)
    W_hat[:n, :n], W_hat[:n, n] = W, beta
    return W_hat


# --- the activation -----------------------------------------------------
def test_smooth_leaky_relu_has_the_stated_derivative_and_limits():
    r = torch.linspace(-30, 30, 601, requires_grad=True)
    sigma = pdm.smooth_leaky_relu(r, 0.3)
    (slope,) = torch.autograd.grad(sigma.sum(), r)
    np.testing.assert_allclose(slope, 0.3 + 0.7 * torch.sigmoid(r.detach()),
                               atol=1e-12)
    assert torch.all(slope > 0.3) and torch.all(slope <= 1)
    assert abs(slope[0] - 0.3) < 1e-9 and abs(slope[-1] - 1) < 1e-9
    np.testing.assert_allclose(pdm.smooth_leaky_relu(r, 1.0).detach(),
                               r.detach())  # slope 1: the identity


# --- the flow and its density ---------------------------------------------
def test_a_flow_starts_from_rotations_and_zero_biases():
    flow = pdm.Flow(4, 3, seed=5)
    for W, beta in flow.layers:
        np.testing.assert_allclose(W.T @ W, torch.eye(4), atol=1e-12)
        assert torch.all(beta == 0)
    again = pdm.Flow(4, 3, seed=5)
    assert all(torch.equal(a[0], b[0])
               for a, b in zip(flow.layers, again.layers))


def test_a_list_of_seeds_stacks_one_copy_per_seed():
    stacked = pdm.Flow(3, 2, seed=[4, 7])
    assert stacked.batch_shape == (2,)
    for copy, seed in enumerate([4, 7]):
        single = pdm.Flow(3, 2, seed=seed)
        for (W, beta), (W1, beta1) in zip(stacked.layers, single.layers):
            assert torch.equal(W[copy], W1) and torch.equal(beta[copy],
                                                            beta1)


def test_take_returns_the_chosen_copies_as_a_flow():
    flows = pdm.Flow(2, 3, slope=0.3, seed=[4, 5, 6], base="logistic")
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    two = flows.take([2, 0])
    assert two.batch_shape == (2,) and two.slope == 0.3
    assert two.base == "logistic"
    np.testing.assert_allclose(two.log_prob(x),
                               flows.log_prob(x)[[2, 0]], atol=1e-12)
    one = flows.take(1)
    np.testing.assert_allclose(
        one.log_prob(x),
        pdm.Flow(2, 3, slope=0.3, seed=5, base="logistic").log_prob(x),
        atol=1e-12)


@pytest.mark.parametrize("base", ["normal", "logistic"])
def test_log_prob_is_the_change_of_variables_with_an_autograd_jacobian(
        base):
    flow = flow_with_biases(base=base)
    x = data(8)

    def f(point):
        return flow.forward(point[None])[0][0]

    J = torch.stack([torch.autograd.functional.jacobian(f, p) for p in x])
    z = flow.forward(x)[0]
    if base == "normal":
        log_base = torch.distributions.Normal(0.0, 1.0).log_prob(z)
    else:  # sech²(z) / 2, written independently
        log_base = torch.log(0.5 / torch.cosh(z) ** 2)
    expected = log_base.sum(-1) + torch.linalg.slogdet(J).logabsdet
    np.testing.assert_allclose(flow.log_prob(x), expected, atol=1e-10)


@pytest.mark.parametrize("base", ["normal", "logistic"])
def test_the_density_integrates_to_one(base):
    flow = flow_with_biases(dim=2, n_layers=3, slope=0.5, base=base)
    axis = torch.linspace(-25, 25, 1001)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1)
    mass = flow.log_prob(grid.reshape(-1, 2)).exp().sum() * (
        axis[1] - axis[0]) ** 2
    assert abs(mass.item() - 1) < 1e-6


def test_the_logistic_base_samples_follow_its_density():
    draws = pdm.BASES["logistic"].sample((200000,),
                                         torch.Generator().manual_seed(0))
    # variance of the logistic of scale 1/2: π²/12
    assert abs(draws.var().item() - math.pi ** 2 / 12) < 0.01
    assert abs(draws.mean().item()) < 0.01


def test_inverse_undoes_forward_and_samples_are_seeded():
    flow = flow_with_biases(dim=2, n_layers=5, slope=0.2)
    x = 3 * data(100, dim=2)
    np.testing.assert_allclose(flow.inverse(flow.forward(x)[0]), x,
                               atol=1e-10)
    samples = flow.sample(50, seed=3)
    assert samples.shape == (50, 2)
    assert torch.equal(samples, flow.sample(50, seed=3))
    z = flow.forward(samples)[0]
    expected = pdm.BASES["normal"].sample(
        (50, 2), torch.Generator().manual_seed(3))
    np.testing.assert_allclose(z, expected, atol=1e-10)


# --- the gradients ---------------------------------------------------------
@pytest.mark.parametrize("base", ["normal", "logistic"])
@pytest.mark.parametrize("n_layers", [1, 3])
def test_exact_grads_equal_autograd_through_log_prob(base, n_layers):
    flow = flow_with_biases(n_layers=n_layers, base=base)
    x = data()
    for mine, by_autograd in zip(flow.exact_grads(x),
                                 autograd_grads(flow, x)):
        for a, b in zip(mine, by_autograd):
            np.testing.assert_allclose(a, b, atol=1e-10)


def test_deltas_are_the_gradient_of_the_backpropagated_terms():
    flow = flow_with_biases()  # slope 0.4
    x = data(10)
    # a zero added to each pre-activation: its gradient is δ_l
    dummies = [torch.zeros(10, 3, requires_grad=True) for _ in flow.layers]
    s, value = x, 0
    for depth, ((W, beta), dummy) in enumerate(zip(flow.layers, dummies),
                                               start=1):
        r = s @ W.T + beta + dummy
        if depth < len(flow.layers):
            value = value + torch.log(0.4 + 0.6 * torch.sigmoid(r)).sum()
            s = 0.4 * r + 0.6 * torch.nn.functional.softplus(r)
    value = value + torch.distributions.Normal(0.0, 1.0).log_prob(r).sum()
    grads = torch.autograd.grad(value, dummies)
    deltas, _ = flow.deltas(x)
    for delta, g in zip(deltas, grads):
        np.testing.assert_allclose(delta, g, atol=1e-10)


@pytest.mark.parametrize("base", ["normal", "logistic"])
def test_relative_grads_are_exact_grads_times_the_augmented_gram_matrix(
        base):
    flow = flow_with_biases(base=base)
    x = data()
    for (W, beta), (dW, dbeta), (rW, rbeta) in zip(
            flow.layers, flow.exact_grads(x), flow.relative_grads(x)):
        W_hat = augmented(W, beta)
        expected = torch.cat([dW, dbeta[:, None]], 1) @ W_hat.T @ W_hat
        np.testing.assert_allclose(rW, expected[:, :-1], atol=1e-10)
        np.testing.assert_allclose(rbeta, expected[:, -1], atol=1e-10)


def test_without_a_bias_the_relative_update_is_exact_times_WtW():
    flow = pdm.Flow(4, 1, seed=2)
    x = data(30, dim=4)
    (dW, _), = flow.exact_grads(x)
    (rW, _), = flow.relative_grads(x)
    W = flow.layers[0][0]
    np.testing.assert_allclose(rW, dW @ W.T @ W, atol=1e-10)


def test_the_relative_gradient_needs_no_inverse_and_no_determinant(
        monkeypatch):
    flow = flow_with_biases()
    x = data()
    expected = flow.relative_grads(x)

    def refuse(*args, **kwargs):
        raise AssertionError("an inverse or a determinant was computed")

    for name in ("inv", "solve", "slogdet", "det", "inv_ex", "lu_factor"):
        monkeypatch.setattr(torch.linalg, name, refuse)
    for name in ("inverse", "det", "slogdet", "logdet"):
        monkeypatch.setattr(torch, name, refuse)
    monkeypatch.setattr(torch.Tensor, "inverse", refuse)
    again = flow.relative_grads(x)
    for a, b in zip(expected, again):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_the_codes_update_is_ours_without_the_bias_logdet_term():
    flow = flow_with_biases()
    x = data()
    deltas, trace = flow.deltas(x)
    ours = pdm.relative_update(flow.layers, trace, deltas)
    theirs = pdm.code_update(flow.layers, trace, deltas)
    for (_, beta), (oW, obeta), (tW, tbeta) in zip(flow.layers, ours,
                                                   theirs):
        assert torch.equal(oW, tW)
        np.testing.assert_allclose(obeta - tbeta, beta, atol=1e-15)


def test_gradients_of_stacked_copies_are_those_of_each_copy():
    flows = pdm.Flow(3, 3, seed=[1, 2])
    x = torch.stack([data(seed=3), data(seed=4)])
    for copy, seed in enumerate([1, 2]):
        single = pdm.Flow(3, 3, seed=seed)
        for method in ("exact_grads", "relative_grads"):
            for a, b in zip(getattr(flows, method)(x),
                            getattr(single, method)(x[copy])):
                np.testing.assert_allclose(a[0][copy], b[0], atol=1e-12)
                np.testing.assert_allclose(a[1][copy], b[1], atol=1e-12)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((5, 3)), "torch.Tensor"),
    (torch.zeros(5, 2), r"shape \(\.\.\., N, 3\)"),
    (torch.zeros(3), r"shape \(\.\.\., N, 3\)"),
    (torch.zeros(5, 3, dtype=torch.int64), "float tensor"),
])
def test_bad_data_is_refused(bad, message):
    flow = pdm.Flow(3, 2)
    with pytest.raises((TypeError, ValueError), match=message):
        flow.log_prob(bad)
    with pytest.raises((TypeError, ValueError), match=message):
        flow.relative_grads(bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"dim": 0}, "dim must be an int >= 1"),
    ({"n_layers": 0}, "n_layers must be an int >= 1"),
    ({"slope": 0.0}, r"slope must be a number in \(0, 1\]"),
    ({"slope": 1.5}, r"slope must be a number in \(0, 1\]"),
    ({"base": "cauchy"}, "base must be one of"),
])
def test_bad_flows_are_refused(kwargs, message):
    settings = {"dim": 2, "n_layers": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        pdm.Flow(**settings)


def test_mismatched_layers_and_deltas_are_refused():
    flow = pdm.Flow(2, 3)
    deltas, trace = flow.deltas(data(dim=2))
    with pytest.raises(ValueError, match="one entry per layer"):
        pdm.relative_update(flow.layers, trace, deltas[:2])


# --- training ------------------------------------------------------------
@pytest.mark.parametrize("method", ["exact", "relative", "relative-code"])
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 0.02)])
def test_training_increases_the_likelihood(method, optimizer, lr):
    flow = pdm.Flow(2, 3, slope=0.5, seed=0)
    x = datasets.two_moons(200, seed=0)
    before = flow.nll(x).item()
    result = pdm.train(flow, x, method, optimizer, lr, steps=60)
    assert result.problems == [] and torch.all(result.stopped_at == -1)
    assert result.nll.shape == (61,)
    assert result.nll[-1] < before - 0.5
    assert abs(result.nll[-1] - flow.nll(x)) < 1e-12


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_trainer_takes_torch_optims_steps(optimizer):
    flow = flow_with_biases(dim=2, n_layers=2)
    x = data(30, dim=2)
    params = [t.clone().requires_grad_() for pair in flow.layers
              for t in pair]
    twin = pdm.Flow.from_layers(flow.layers, flow.slope)
    twin.layers = list(zip(params[::2], params[1::2]))
    rule = (torch.optim.SGD(params, lr=0.1) if optimizer == "sgd"
            else torch.optim.Adam(params, lr=0.01))
    for _ in range(15):
        rule.zero_grad()
        twin.nll(x).backward()  # descent on the NLL = ascent on log p
        rule.step()
    pdm.train(flow, x, "exact", optimizer, 0.1 if optimizer == "sgd"
              else 0.01, steps=15)
    for mine, theirs in zip([t for pair in flow.layers for t in pair],
                            params):
        np.testing.assert_allclose(mine, theirs.detach(), atol=1e-10)


def test_copies_train_apart_with_their_own_rates_and_methods():
    x = torch.stack([data(seed=1), data(seed=2)])
    flows = pdm.Flow(3, 2, seed=[3, 4])
    pdm.train(flows, x, ["exact", "relative"], "sgd",
              lr=torch.tensor([0.05, 0.02]), steps=10)
    for copy, (seed, method, lr) in enumerate([(3, "exact", 0.05),
                                               (4, "relative", 0.02)]):
        single = pdm.Flow(3, 2, seed=seed)
        pdm.train(single, x[copy], method, "sgd", lr, steps=10)
        for (W, beta), (W1, beta1) in zip(flows.layers, single.layers):
            np.testing.assert_allclose(W[copy], W1, atol=1e-12)
            np.testing.assert_allclose(beta[copy], beta1, atol=1e-12)


def test_a_singular_step_stops_that_copy_and_says_so():
    x = torch.stack([data(seed=1), data(seed=1)])
    flows = pdm.Flow(3, 1, seed=[0, 0])
    result = pdm.train(flows, x, "exact", "sgd",
                       lr=torch.tensor([0.05, 40.0]), steps=20)
    assert result.stopped_at[0] == -1 and result.stopped_at[1] >= 0
    assert len(result.problems) == 1
    assert result.problems[0].startswith("copy (1,): stopped before step")
    stop = result.stopped_at[1].item()
    assert torch.isnan(result.nll[1, stop + 1:]).all()
    assert torch.isfinite(result.nll[1, :stop + 1]).all()
    assert torch.isfinite(result.nll[0]).all()
    W = flows.layers[0][0][1]
    assert torch.isfinite(W).all() and torch.linalg.cond(W) < 1e8


def test_an_overflowing_gradient_is_reported_not_applied():
    flow = pdm.Flow(2, 1, seed=0)
    x = torch.full((5, 2), 1e300)
    result = pdm.train(flow, x, "relative", "sgd", 0.1, steps=3)
    assert result.stopped_at == 0
    assert "the gradient overflowed" in result.problems[0]
    assert torch.isfinite(flow.layers[0][0]).all()


def test_records_and_nll_come_at_the_stated_steps():
    flow = pdm.Flow(2, 1, seed=0)
    x = data(dim=2)
    result = pdm.train(flow, x, "relative", "sgd", 0.1, steps=10,
                       record=lambda f: f.layers[0][0][0, 0], every=4)
    assert result.nll.shape == (4,)  # steps 0, 4, 8 and 10
    assert result.records.shape == (11,)
    assert result.records[-1] == flow.layers[0][0][0, 0]


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "natural"}, "method must be one of"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"lr": -0.1}, "lr must be > 0"),
    ({"lr": torch.tensor([0.1, 0.2])}, "lr must be a number or one per"),
    ({"method": ["exact", "relative"]}, "a list of methods needs one per"),
    ({"steps": -1}, "steps must be an int >= 0"),
    ({"every": 0}, "every must be an int >= 1"),
])
def test_bad_training_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pdm.train(pdm.Flow(2, 1), data(dim=2), **kwargs)


# --- chapter 7's 2-D data sets -------------------------------------------
def test_two_moons_are_two_half_circles():
    points = datasets.two_moons(1000, noise=0.0, seed=0)
    assert points.shape == (1000, 2) and points.dtype == torch.float64
    upper, lower = points[:500], points[500:]
    np.testing.assert_allclose(upper.norm(dim=1), 1.0, atol=1e-12)
    np.testing.assert_allclose((lower - torch.tensor([1.0, 0.5])).norm(
        dim=1), 1.0, atol=1e-12)
    assert torch.all(upper[:, 1] >= 0) and torch.all(lower[:, 1] <= 0.5)
    assert torch.equal(datasets.two_moons(50, seed=3),
                       datasets.two_moons(50, seed=3))


def test_the_ring_has_its_radius_and_width():
    points = datasets.ring(20000, radius=1.5, width=0.15, seed=0)
    radii = points.norm(dim=1)
    assert abs(radii.mean().item() - 1.5) < 0.01
    assert abs(radii.std().item() - 0.15) < 0.01
