"""jacolib.graph, the tiny reverse-mode engine, against torch.autograd on
many random expressions, and its traces against Baydin et al.'s table."""

import re

import numpy as np
import pytest
import torch

from jacolib import graph as g

UNARY = {
    "sin": (g.sin, torch.sin), "cos": (g.cos, torch.cos),
    "tanh": (g.tanh, torch.tanh), "sigmoid": (g.sigmoid, torch.sigmoid),
    "relu": (g.relu, torch.relu), "neg": (lambda a: -a, lambda a: -a),
    "exp_tanh": (lambda a: g.exp(g.tanh(a)),
                 lambda a: torch.exp(torch.tanh(a))),
    "log_square_plus_1": (lambda a: g.log(a * a + 1.0),
                          lambda a: torch.log(a * a + 1.0)),
    "square": (lambda a: a ** 2, lambda a: a ** 2),
    "cube": (lambda a: a ** 3, lambda a: a ** 3),
    "scale": (lambda a: 2.5 * a - 1.0, lambda a: 2.5 * a - 1.0),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "maximum": (g.maximum, torch.maximum),
}


def random_expression(seed, n_ops=12):
    """The same random DAG built in the engine and in torch.

    Inputs: two vectors of 3 entries and a 3x3 matrix; each op draws its
    operands from everything made so far, so nodes get used several
    times. Returns (engine inputs, torch inputs, engine output, torch
    output), outputs scalar."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=3), rng.normal(size=3),
              rng.normal(size=(3, 3))]
    ours = [g.Value(a, name=f"x{i}") for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    inputs = (list(ours), list(theirs))
    pool = list(zip(ours[:2], theirs[:2]))
    pool.append((ours[2] @ ours[0], theirs[2] @ theirs[0]))  # matmul
    for _ in range(n_ops):
        if rng.random() < 0.4:
            ours_fn, torch_fn = UNARY[rng.choice(sorted(UNARY))]
            a, ta = pool[rng.integers(len(pool))]
            pool.append((ours_fn(a), torch_fn(ta)))
        else:
            ours_fn, torch_fn = BINARY[rng.choice(sorted(BINARY))]
            (a, ta), (b, tb) = (pool[i] for i in
                                rng.integers(len(pool), size=2))
            pool.append((ours_fn(a, b), torch_fn(ta, tb)))
    (last, t_last), (other, t_other) = pool[-1], pool[rng.integers(
        len(pool))]
    return (*inputs, (last * other).sum() + last.max(),
            (t_last * t_other).sum() + t_last.max())


@pytest.mark.parametrize("seed", range(60))
def test_backward_matches_torch_autograd_on_random_expressions(seed):
    ours, theirs, out, t_out = random_expression(seed)
    np.testing.assert_allclose(out.data, t_out.item(), rtol=1e-12)
    out.backward()
    expected = torch.autograd.grad(t_out, theirs, allow_unused=True)
    for value, grad in zip(ours, expected):
        if grad is None:  # an input the expression never used
            assert value.grad is None
        else:
            np.testing.assert_allclose(value.grad, grad.numpy(),
                                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_forward_trace_gives_the_jvp_of_torch_func(seed):
    ours, theirs, out, _ = random_expression(seed)
    rng = np.random.default_rng(100 + seed)
    tangents = [rng.normal(size=v.shape) for v in ours]
    table = g.forward_trace(out, dict(zip(ours, tangents)))

    def as_torch(*arrays):
        return random_expression_torch(seed, arrays)

    _, expected = torch.func.jvp(
        as_torch, tuple(t.detach() for t in theirs),
        tuple(torch.tensor(t) for t in tangents))
    np.testing.assert_allclose(table.output_tangent, expected.item(),
                               rtol=1e-10, atol=1e-12)


def random_expression_torch(seed, arrays):
    """The torch side of random_expression, as a function of its inputs
    (for torch.func): the same ops, replayed on ``arrays``."""
    rng = np.random.default_rng(seed)
    rng.normal(size=3), rng.normal(size=3), rng.normal(size=(3, 3))
    pool = [arrays[0], arrays[1], arrays[2] @ arrays[0]]
    for _ in range(12):
        if rng.random() < 0.4:
            torch_fn = UNARY[rng.choice(sorted(UNARY))][1]
            pool.append(torch_fn(pool[rng.integers(len(pool))]))
        else:
            torch_fn = BINARY[rng.choice(sorted(BINARY))][1]
            i, j = rng.integers(len(pool), size=2)
            pool.append(torch_fn(pool[i], pool[j]))
    last, other = pool[-1], pool[rng.integers(len(pool))]
    return (last * other).sum() + last.max()


def broadcasting_expression(seed, n_ops=10):
    """Random elementwise ops on inputs of shapes (4, 1), (1, 3), () and
    (3,), which broadcast against each other; engine and torch."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape) for shape in [(4, 1), (1, 3), (), (3,)]]
    ours = [g.Value(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    pool = list(zip(ours, theirs))
    for _ in range(n_ops):
        names = sorted(BINARY) if rng.random() < 0.6 else sorted(UNARY)
        table = BINARY if names[0] in BINARY else UNARY
        ours_fn, torch_fn = table[rng.choice(names)]
        picks = [pool[i] for i in rng.integers(len(pool), size=2)]
        if table is BINARY:
            (a, ta), (b, tb) = picks
            pool.append((ours_fn(a, b), torch_fn(ta, tb)))
        else:
            pool.append((ours_fn(picks[0][0]), torch_fn(picks[0][1])))
    out, t_out = pool[-1][0].sum() + ours[0].sum(), \
        pool[-1][1].sum() + theirs[0].sum()
    return ours, theirs, arrays, out, t_out


@pytest.mark.parametrize("seed", range(40))
def test_broadcasting_adjoints_and_tangents_match_torch(seed):
    ours, theirs, arrays, out, t_out = broadcasting_expression(seed)
    out.backward()
    expected = torch.autograd.grad(t_out, theirs, allow_unused=True)
    for value, grad in zip(ours, expected):
        if grad is not None:
            np.testing.assert_allclose(value.grad, grad.numpy(),
                                       rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(seed + 1000)
    tangents = [rng.normal(size=np.shape(a)) for a in arrays]
    table = g.forward_trace(out, dict(zip(ours, tangents)))
    # The JVP along the tangents is ⟨∇, tangents⟩ (one scalar output).
    by_adjoints = sum(np.sum(v.grad * t) for v, t in zip(ours, tangents)
                      if v.grad is not None)  # None: not in the graph
    np.testing.assert_allclose(table.output_tangent, by_adjoints,
                               rtol=1e-10, atol=1e-12)


def test_a_node_used_twice_gets_the_sum_over_both_paths():
    x = g.Value(3.0, name="x")
    y = x * x + g.sin(x)  # x reaches y along three edges
    y.backward()
    assert x.grad == pytest.approx(2 * 3.0 + np.cos(3.0), rel=1e-15)


def test_maximum_routes_the_adjoint_to_the_selected_input():
    a, b = g.Value([1.0, 5.0, 2.0]), g.Value([3.0, 4.0, 2.0])
    g.maximum(a, b).sum().backward()
    # Where a won, a gets the adjoint; where b won, b; a tie goes to a.
    np.testing.assert_array_equal(a.grad, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.0, 0.0])
    x = g.Value([2.0, 7.0, 7.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])  # first of ties


def test_numbers_work_on_either_side():
    x = g.Value(2.0, name="x")
    y = 2 * x + x / 4 - 1.0 / x + (3 - x) * 0.5
    y.backward()
    assert y.data == pytest.approx(4 + 0.5 - 0.5 + 0.5)
    assert x.grad == pytest.approx(2 + 0.25 + 1 / 4 - 0.5)


def test_pow_with_a_value_exponent_matches_torch():
    a, b = g.Value(1.7), g.Value(0.6)
    (a ** b).backward()
    ta = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    expected = torch.autograd.grad(ta ** tb, (ta, tb))
    np.testing.assert_allclose([a.grad, b.grad],
                               [e.item() for e in expected], rtol=1e-14)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((2, 3), (3,)),
                                    ((3,), (3, 4)), ((3,), (3,))])
def test_matmul_adjoints_for_every_pair_of_ranks(shapes):
    rng = np.random.default_rng(0)
    A, B = (rng.normal(size=shape) for shape in shapes)
    a, b = g.Value(A), g.Value(B)
    g.tanh(a @ b).sum().backward()
    ta, tb = (torch.tensor(M, requires_grad=True) for M in (A, B))
    expected = torch.autograd.grad(torch.tanh(ta @ tb).sum(), (ta, tb))
    for ours, theirs in zip((a.grad, b.grad), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_broadcasting_sums_the_adjoint_back_to_the_input_shape():
    W, bias = g.Value(np.ones((4, 3))), g.Value(np.zeros(3))
    (W * 2.0 + bias).sum().backward()
    np.testing.assert_array_equal(bias.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(W.grad, np.full((4, 3), 2.0))


def baydin_graph():
    """f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂, built in Baydin et al.'s order."""
    x1, x2 = g.Value(2.0, name="x₁"), g.Value(5.0, name="x₂")
    a1 = g.log(x1)
    a2 = x1 * x2
    a3 = g.sin(x2)
    a4 = a1 + a2
    return x1, x2, a4 - a3


def test_the_baydin_reverse_trace_is_the_published_table():
    x1, x2, f = baydin_graph()
    f.backward()
    assert str(g.trace(f)) == "\n".join([
        "node  op        inputs     value  adjoint",
        "a₋₁   input x₁            2.0000   5.5000",
        "a₀    input x₂            5.0000   1.7163",
        "a₁    log       a₋₁       0.6931   1.0000",
        "a₂    mul       a₋₁, a₀  10.0000   1.0000",
        "a₃    sin       a₀       -0.9589  -1.0000",
        "a₄    add       a₁, a₂   10.6931   1.0000",
        "a₅    sub       a₄, a₃   11.6521   1.0000"])
    assert x1.grad == pytest.approx(1 / 2 + 5, rel=1e-15)
    assert x2.grad == pytest.approx(2 - np.cos(5.0), rel=1e-15)


def test_the_baydin_forward_trace_seeds_x1():
    x1, _, f = baydin_graph()
    table = g.forward_trace(f, {x1: 1.0})
    assert str(table).splitlines()[-1] == \
        "a₅    sub       a₄, a₃   11.6521   5.5000"
    assert table.output_tangent == pytest.approx(5.5, rel=1e-15)


def test_backward_steps_end_where_backward_ends():
    x1, x2, f = baydin_graph()
    *_, (_, adjoints) = g.backward_steps(f)
    f.backward()
    for node in g.topological_order(f):
        np.testing.assert_array_equal(adjoints[node.id], node.grad)


def test_powers_with_numbers_or_values_on_either_side():
    x = g.Value(1.5)
    (2 ** x + x ** 0 + x ** np.array(2.0)).backward()
    assert x.grad == pytest.approx(np.log(2) * 2 ** 1.5 + 0 + 3.0,
                                   rel=1e-14)
    zero = g.Value(0.0)
    (zero ** 0).backward()
    assert zero.grad == 0.0  # as torch: d(x⁰)/dx = 0, even at 0


def test_trace_shows_only_the_adjoints_of_its_own_output():
    x = g.Value(2.0, name="x")
    z = x ** 2
    z.backward()
    (x * 3).backward()  # a later sweep of another output
    rows = [row.split() for row in str(g.trace(z)).splitlines()]
    assert rows[1] == ["a₀", "input", "x", "2.0000"]  # no stale adjoint
    assert rows[2] == ["a₁", "pow", "2", "a₀", "4.0000", "1.0000"]


def test_unnamed_inputs_and_constants_have_readable_names():
    x = g.Value([1.0, 2.0])
    table = str(g.trace((x * 0.5).sum()))
    assert "input None" not in table
    assert re.search(r"a₁ +mul +a₀, 0.5 +array\(2,\)", table)


@pytest.mark.parametrize("seeds, message", [
    (lambda x, y: {y: 1.0}, r"seeds must map input Values to tangents; "
                            r"got a key Value\(3.0000\) that is not an "
                            r"input"),
    (lambda x, y: {x: np.ones(3)}, r"the seed for x must have its shape "
                                   r"\(\) \(or be a number\); got shape "
                                   r"\(3,\)"),
])
def test_forward_trace_refuses_bad_seeds(seeds, message):
    x = g.Value(1.5, name="x")
    y = x * 2
    with pytest.raises(ValueError, match=message):
        g.forward_trace(y + 1, seeds(x, y))


@pytest.mark.parametrize("call, message", [
    (lambda: g.Value([1.0, 2.0]).backward(),
     r"backward needs a scalar output, shape \(\); got shape \(2,\)"),
    (lambda: g.Value([1.0, 2.0]) * g.Value([1.0, 2.0, 3.0]),
     r"mul: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda: g.Value([1.0, 2.0]) + np.ones(3),
     r"add: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda: g.Value(-2.0) ** g.Value(2.0),
     r"pow with a Value exponent .* needs a positive base; got a "
     r"smallest entry of -2"),
    (lambda: g.maximum(g.Value([1.0, 2.0]), g.Value([1.0, 2.0, 3.0])),
     r"maximum: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda: g.Value(np.ones((2, 3))) @ g.Value(np.ones(2)),
     r"matmul: shapes \(2, 3\) and \(2,\) do not fit"),
    (lambda: g.log(g.Value([1.0, -2.0])),
     r"log needs positive values; got a smallest entry of -2"),
    (lambda: g.Value(1.0) + "one",
     r"expected a Value, a number or an array of numbers; got str"),
])
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
