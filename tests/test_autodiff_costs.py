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


# --- P passes, looped or batched ------------------------------------------

def small_map_and_jacobian(n=4, m=3):
    f = autodiff_costs.tanh_network(n, m, n_hidden=5, seed=3)
    x = torch.randn(n, generator=torch.Generator().manual_seed(4))
    return f, x, torch.autograd.functional.jacobian(f, x)


@pytest.mark.parametrize("products", [autodiff_costs.looped_jvps,
                                      autodiff_costs.batched_jvps])
def test_jvps_are_the_rows_j_v_for_each_direction(products):
    f, x, J = small_map_and_jacobian()
    directions = torch.randn(5, 4, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(products(f, x, directions),
                               directions @ J.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("products", [autodiff_costs.looped_vjps,
                                      autodiff_costs.batched_vjps])
def test_vjps_are_the_rows_jt_u_for_each_cotangent(products):
    f, x, J = small_map_and_jacobian()
    cotangents = torch.randn(6, 3, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(products(f, x, cotangents), cotangents @ J,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("products, rows, message", [
    (autodiff_costs.looped_jvps, torch.zeros(2, 5),
     r"each direction must have the shape of x, \(4,\); got \(5,\)"),
    (autodiff_costs.batched_jvps, torch.zeros(0, 4), "at least one"),
    (autodiff_costs.batched_vjps, torch.zeros(2, 4),
     r"each cotangent must have the shape of f\(x\), \(3,\); got \(4,\)"),
    (autodiff_costs.looped_vjps, torch.zeros(0, 3), "at least one"),
])
def test_products_refuse_rows_of_the_wrong_shape(products, rows, message):
    f, x, _ = small_map_and_jacobian()
    with pytest.raises(ValueError, match=message):
        products(f, x, rows)


def test_products_refuse_a_non_tensor():
    f, x, _ = small_map_and_jacobian()
    with pytest.raises(TypeError, match="directions must be a torch"):
        autodiff_costs.batched_jvps(f, x, [[1.0, 2.0, 3.0, 4.0]])


def test_pass_count_sweep_bookkeeping():
    costs = autodiff_costs.pass_count_sweep([1, 4], [2], n=3, m=2,
                                            n_hidden=4, repeats=1)
    np.testing.assert_array_equal(costs.counts, [1, 4])
    np.testing.assert_array_equal(costs.looped_counts, [2])
    for seconds, size in ((costs.batched, 2), (costs.looped, 1)):
        assert set(seconds) == {"JVPs", "VJPs"}
        assert all(s.shape == (size,) and np.all(s > 0)
                   for s in seconds.values())


def test_pass_count_sweep_times_the_whole_grid_in_turns(monkeypatch):
    timed = []

    def fake_interleaved(fns, repeats, warmup, clock):
        timed.append(sorted(fns))
        return {key: 1.0 for key in fns}

    monkeypatch.setattr(autodiff_costs.timing,
                        "interleaved_median_seconds", fake_interleaved)
    autodiff_costs.pass_count_sweep([1, 4], [2], n=3, m=2, n_hidden=4)
    # One call with every (style, mode, P): all are timed in one rotation.
    assert timed == [sorted(
        [("batched", mode, p) for mode in ("JVPs", "VJPs") for p in (1, 4)]
        + [("looped", mode, 2) for mode in ("JVPs", "VJPs")])]


@pytest.mark.parametrize("run_sweep", [
    lambda: autodiff_costs.jacobian_shape_sweep([2, 5], n_plus_m=10,
                                                n_hidden=4, repeats=1),
    lambda: autodiff_costs.hvp_cost_sweep(
        {"f": lambda loss, w, v: loss(w)}, [2, 3], n_in=3, n_out=2,
        batch=4, repeats=1),
    lambda: autodiff_costs.hessian_build_sweep([1, 2], n_in=3, n_out=2,
                                               batch=4, repeats=1),
])
def test_size_sweeps_rotate_across_sizes(monkeypatch, run_sweep):
    seen = []
    real_sweep = autodiff_costs.timing.scaling_sweep

    def recording_sweep(*args, **kwargs):
        seen.append(kwargs.get("across_sizes"))
        return real_sweep(*args, **kwargs)

    monkeypatch.setattr(autodiff_costs.timing, "scaling_sweep",
                        recording_sweep)
    run_sweep()
    assert seen == [True]


class OneSecondPerRead:
    """A clock that moves on by one second at each reading."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now


@pytest.mark.parametrize("run_sweep", [
    lambda clock: autodiff_costs.jacobian_shape_sweep(
        [2, 5], n_plus_m=10, n_hidden=4, repeats=1, clock=clock).forward,
    lambda clock: autodiff_costs.pass_count_sweep(
        [1, 2], [1], n=3, m=2, n_hidden=4, repeats=1,
        clock=clock).batched["JVPs"],
    lambda clock: autodiff_costs.hvp_cost_sweep(
        {"f": lambda loss, w, v: loss(w)}, [2, 3], n_in=3, n_out=2,
        batch=4, repeats=1, clock=clock).seconds["f"],
    lambda clock: autodiff_costs.hessian_build_sweep(
        [1, 2], n_in=3, n_out=2, batch=4, repeats=1, clock=clock).looped,
    lambda clock: np.array(list(autodiff_costs.fixed_cost_split(
        {"f": lambda loss, w, v: loss(w)},
        autodiff_costs._mlp_problem(3, 2, 2, 4),
        autodiff_costs._mlp_problem(1, 1, 1, 1), repeats=1,
        clock=clock).seconds.values())),
])
def test_sweeps_read_the_clock_they_are_given(run_sweep):
    # Each timed call reads the clock twice: one second apart.
    np.testing.assert_array_equal(run_sweep(OneSecondPerRead()), 1.0)


def test_sweeps_default_to_the_cpu_clock(monkeypatch):
    clock = OneSecondPerRead()
    monkeypatch.setattr(autodiff_costs.timing, "cpu_clock", lambda: clock)
    costs = autodiff_costs.jacobian_shape_sweep([2, 5], n_plus_m=10,
                                                n_hidden=4, repeats=1)
    np.testing.assert_array_equal(costs.reverse, 1.0)
    assert clock.now > 0


def test_pass_count_sweep_refuses_a_count_below_one():
    with pytest.raises(ValueError, match="every count must be an int >= 1"):
        autodiff_costs.pass_count_sweep([0, 2], [1], n=3, m=2)


def test_hvp_reverse_over_reverse_is_h_v():
    loss, n = autodiff_costs.mlp_loss(3, 2, 2, batch=4, seed=1)
    w, v = torch.randn(2, n, generator=torch.Generator().manual_seed(3))
    H = torch.autograd.functional.hessian(loss, w)
    torch.testing.assert_close(
        autodiff_costs.hvp_reverse_over_reverse(loss, w, v), H @ v,
        rtol=1e-10, atol=1e-12)


def test_fixed_cost_split_times_each_method_on_both_problems():
    calls = []

    def method(loss, w, v):
        calls.append(w.numel())

    full = (None, torch.zeros(7), torch.zeros(7))
    empty = (None, torch.zeros(1), torch.zeros(1))
    split = autodiff_costs.fixed_cost_split({"a": method, "b": method},
                                            full, empty, repeats=2)
    assert set(split.seconds) == set(split.fixed) == {"a", "b"}
    # Two methods, two problems, a warm-up call and two rounds each.
    assert sorted(calls) == [1] * 6 + [7] * 6
    with pytest.raises(ValueError, match="at least one method"):
        autodiff_costs.fixed_cost_split({}, full, empty)


# --- H from n HVPs --------------------------------------------------------

def test_looped_hessian_matches_autograd():
    loss, n = autodiff_costs.mlp_loss(3, 2, 2, batch=4, seed=1)
    w = torch.randn(n, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(autodiff_costs.looped_hessian(loss, w),
                               torch.autograd.functional.hessian(loss, w),
                               rtol=1e-10, atol=1e-12)


def test_looped_hessian_refuses_a_matrix_w():
    loss, _ = autodiff_costs.mlp_loss(3, 2, 2, batch=4)
    with pytest.raises(ValueError, match=r"w must be a 1-D float tensor"):
        autodiff_costs.looped_hessian(loss, torch.zeros(3, 5))


def test_hessian_build_sweep_bookkeeping():
    costs = autodiff_costs.hessian_build_sweep([1, 2], n_in=3, n_out=2,
                                               batch=4, repeats=1)
    expected_n = [h * (3 + 1) + 2 * (h + 1) for h in (1, 2)]
    np.testing.assert_array_equal(costs.n_params, expected_n)
    for seconds in (costs.one_hvp, costs.looped, costs.batched):
        assert seconds.shape == (2,) and np.all(seconds > 0)
