"""jacolib.autodiff_costs: the test problems against torch.nn, and the
sweeps' bookkeeping (sizes, shapes, which method got what)."""

import numpy as np
import pytest
import torch

import jacolib
from jacolib import autodiff_costs


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def test_tanh_network_shape_and_seed():
    f = autodiff_costs.tanh_network(7, 3, n_hidden=5, seed=1)
    x = torch.randn(7)
    assert f(x).shape == (3,)
    same = autodiff_costs.tanh_network(7, 3, n_hidden=5, seed=1)
    other = autodiff_costs.tanh_network(7, 3, n_hidden=5, seed=2)
    assert torch.equal(f(x), same(x)) and not torch.equal(f(x), other(x))


def torch_nn_mlp_loss(w, n_in, n_hidden, n_out, X, Y):
    """The same loss built from torch.nn layers, independently."""
    net = torch.nn.Sequential(torch.nn.Linear(n_in, n_hidden),
                              torch.nn.Tanh(),
                              torch.nn.Linear(n_hidden, n_out)).double()
    sizes = [n_hidden * n_in, n_hidden, n_out * n_hidden, n_out]
    W1, b1, W2, b2 = torch.split(w, sizes)
    with torch.no_grad():
        net[0].weight.copy_(W1.reshape(n_hidden, n_in))
        net[0].bias.copy_(b1)
        net[2].weight.copy_(W2.reshape(n_out, n_hidden))
        net[2].bias.copy_(b2)
        return 0.5 * torch.nn.functional.mse_loss(net(X), Y)


def test_mlp_loss_matches_torch_nn():
    n_in, n_hidden, n_out, batch = 5, 7, 3, 11
    loss, n_params = autodiff_costs.mlp_loss(n_in, n_hidden, n_out, batch,
                                             seed=4)
    assert n_params == n_hidden * (n_in + 1) + n_out * (n_hidden + 1)
    # The data come first from the generator seeded with `seed`.
    generator = torch.Generator().manual_seed(4)
    X = torch.randn(batch, n_in, generator=generator)
    Y = torch.randn(batch, n_out, generator=generator)
    w = torch.randn(n_params, generator=torch.Generator().manual_seed(9))
    expected = torch_nn_mlp_loss(w, n_in, n_hidden, n_out, X, Y)
    torch.testing.assert_close(loss(w), expected, rtol=1e-12, atol=1e-12)


def test_mlp_loss_default_size_is_about_1e5():
    _, n_params = autodiff_costs.mlp_loss()
    assert n_params == 100_600


def test_jacobian_shape_sweep_bookkeeping():
    costs = autodiff_costs.jacobian_shape_sweep([2, 5, 9], n_plus_m=10,
                                                n_hidden=4, repeats=1)
    np.testing.assert_array_equal(costs.n, [2, 5, 9])
    np.testing.assert_array_equal(costs.m, [8, 5, 1])
    for seconds in (costs.forward, costs.reverse):
        assert seconds.shape == (3,) and np.all(seconds > 0)


@pytest.mark.parametrize("n_values", [[0, 5], [5, 10], [-1]])
def test_jacobian_shape_sweep_refuses_n_outside_the_range(n_values):
    message = r"every n must lie in .* = \[1, 9\]"
    with pytest.raises(ValueError, match=message):
        autodiff_costs.jacobian_shape_sweep(n_values, n_plus_m=10)


def test_hvp_cost_sweep_calls_each_method_on_its_problem():
    calls = []

    def record(name):
        def method(loss, w, v):
            calls.append((name, w.shape, v.shape, loss(w).ndim))
        return method

    costs = autodiff_costs.hvp_cost_sweep(
        {"a": record("a"), "b": record("b")}, hidden_sizes=[2, 3],
        n_in=4, n_out=2, batch=5, repeats=1)
    expected_n = [h * (4 + 1) + 2 * (h + 1) for h in (2, 3)]
    np.testing.assert_array_equal(costs.n_params, expected_n)
    assert set(costs.seconds) == {"a", "b"}
    assert all(s.shape == (2,) for s in costs.seconds.values())
    for n in expected_n:
        for name in ("a", "b"):
            assert (name, (n,), (n,), 0) in calls


@pytest.mark.parametrize("call, message", [
    (lambda: autodiff_costs.hvp_cost_sweep({}, [2]), "at least one"),
    (lambda: autodiff_costs.tanh_network(0, 3), "n_in must be an int"),
    (lambda: autodiff_costs.mlp_loss(n_hidden=2.5), "n_hidden must be"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
