"""jacolib.alignment against independent computations: one autograd
graph per pair, the gradients of two linear layers, numpy."""

import math

import numpy as np
import pytest
import torch

import jacolib
from jacolib import alignment


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def small_problem(activation="tanh", seeds=(0,), targets="random points",
                  depth=4, width=5, n_samples=6, init_scale=1.3):
    return alignment.random_problem(depth, width, n_samples, activation,
                                    init_scale, targets, seeds=seeds)


def gradient_of_one_loss(weights, X, targets, activation, m, layer,
                         batch_index):
    """∂ℓ_m/∂W_layer of one batch entry, on a graph of its own."""
    Ws = [W[batch_index].detach().clone().requires_grad_(True)
          for W in weights]
    s = X[batch_index]
    for W in Ws[:m + 1]:
        s = activation(s @ W)
    loss = ((s - targets[m][batch_index]) ** 2).sum(1).mean()
    return torch.autograd.grad(loss, Ws[layer])[0]


def brute_force_matrix(problem):
    depth, n_batch = len(problem.weights), problem.X.shape[0]
    matrix = torch.full((n_batch, depth, depth), math.nan)
    for b in range(n_batch):
        for layer in range(depth):
            local = gradient_of_one_loss(*problem, layer, layer, b)
            for m in range(layer + 1, depth):
                distant = gradient_of_one_loss(*problem, m, layer, b)
                matrix[b, layer, m] = torch.nn.functional.cosine_similarity(
                    local.flatten(), distant.flatten(), dim=0)
    return matrix


@pytest.mark.parametrize("activation", list(alignment.ACTIVATIONS))
def test_the_matrix_agrees_with_one_graph_per_pair(activation):
    problem = small_problem(activation, seeds=(0, 1, 2))
    matrix = alignment.alignment_matrix(*problem).matrix
    expected = brute_force_matrix(problem)
    assert torch.equal(matrix.isnan(), expected.isnan())
    np.testing.assert_allclose(matrix.nan_to_num(), expected.nan_to_num(),
                               atol=1e-12)
    assert matrix.isnan().sum() == 3 * (4 * 5 // 2)  # the diagonal, below


def test_local_against_global_and_the_rest():
    problem = small_problem("relu", seeds=(4,))
    result = alignment.alignment_matrix(*problem)
    Ws = [W[0].clone().requires_grad_(True) for W in problem.weights]
    s, total = problem.X[0], 0.0
    for W, target in zip(Ws, problem.targets):
        s = torch.relu(s @ W)
        total = total + ((s - target[0]) ** 2).sum(1).mean()
    global_gradients = torch.autograd.grad(total, Ws)
    for layer, global_gradient in enumerate(global_gradients):
        local = gradient_of_one_loss(*problem, layer, layer, 0)
        cos = torch.nn.functional.cosine_similarity
        assert result.with_global[0, layer].item() == pytest.approx(
            cos(local.flatten(), global_gradient.flatten(), dim=0).item(),
            abs=1e-12)
        if layer < len(Ws) - 1:
            rest = (global_gradient - local).flatten()
            assert result.with_rest[0, layer].item() == pytest.approx(
                cos(local.flatten(), rest, dim=0).item(), abs=1e-12)
    assert result.with_rest[0, -1].isnan()  # no later loss


def test_a_seed_gives_the_same_problem_alone_or_in_a_batch():
    batch = small_problem(seeds=(3, 7))
    alone = small_problem(seeds=(7,))
    for a, b in zip(batch.weights + batch.targets + [batch.X],
                    alone.weights + alone.targets + [alone.X]):
        assert torch.equal(a[1], b[0])


def test_both_kinds_of_target_share_the_network_and_teacher_is_reachable():
    points = small_problem("linear", targets="random points", width=4,
                           n_samples=9)
    teacher = small_problem("linear", targets="teacher", width=4,
                            n_samples=9)
    for a, b in zip(points.weights + [points.X],
                    teacher.weights + [teacher.X]):
        assert torch.equal(a, b)
    # s_l* = s_(l-1)* W* has an exact least-squares solution W*.
    inputs = [teacher.X] + teacher.targets[:-1]
    for before, after in zip(inputs, teacher.targets):
        solution = torch.linalg.lstsq(before[0], after[0]).solution
        np.testing.assert_allclose(before[0] @ solution, after[0],
                                   atol=1e-10)
    # With more samples than units (9 > 4) random points are not.
    solution = torch.linalg.lstsq(points.X[0], points.targets[0][0])
    assert (points.X[0] @ solution.solution
            - points.targets[0][0]).norm() > 1.0


def test_every_scale_and_activation_scales_the_same_draws():
    base = small_problem("linear", init_scale=1.0, targets="teacher")
    for activation, gain in [("linear", 1.0), ("relu", math.sqrt(2))]:
        scaled = small_problem(activation, init_scale=0.3,
                               targets="teacher")
        for W, W_base in zip(scaled.weights, base.weights):
            np.testing.assert_allclose(W, 0.3 * gain * W_base,
                                       rtol=1e-14)
        assert torch.equal(scaled.X, base.X)
    # The teacher is scaled alike: linear targets scale like 0.3^l.
    scaled = small_problem("linear", init_scale=0.3, targets="teacher")
    for layer, (t, t_base) in enumerate(zip(scaled.targets,
                                            base.targets), start=1):
        np.testing.assert_allclose(t, 0.3 ** layer * t_base, rtol=1e-12)


def test_changing_a_problem_in_place_leaves_the_next_draw_alone():
    first = small_problem("linear", seeds=(8,))
    again = small_problem("linear", seeds=(8,))
    first.X.add_(1.0)
    first.targets[0].mul_(0.0)
    first.weights[0].mul_(0.0)
    third = small_problem("linear", seeds=(8,))
    for a, b in zip(again.weights + again.targets + [again.X],
                    third.weights + third.targets + [third.X]):
        assert torch.equal(a, b)


@pytest.mark.parametrize("activation, gain", [("linear", 1.0),
                                               ("relu", math.sqrt(2))])
def test_weights_have_the_stated_scale(activation, gain):
    problem = alignment.random_problem(2, 400, 3, activation,
                                       init_scale=0.5)
    std = problem.weights[0].std().item()
    assert std == pytest.approx(0.5 * gain / 20, rel=0.01)


def test_gradients_per_loss_are_zero_above_nothing_and_match_autograd():
    problem = small_problem("tanh", seeds=(1,))
    gradients = alignment.per_loss_gradients(*problem)
    assert [len(row) for row in gradients] == [1, 2, 3, 4]
    for m, row in enumerate(gradients):
        for layer, gradient in enumerate(row):
            np.testing.assert_allclose(
                gradient[0], gradient_of_one_loss(*problem, m, layer, 0),
                atol=1e-12)


def test_a_problem_without_a_batch_axis_works_too():
    problem = small_problem("relu", seeds=(2,))
    single = alignment.Problem([W[0] for W in problem.weights],
                               problem.X[0], [t[0] for t in problem.targets],
                               problem.activation)
    matrix = alignment.alignment_matrix(*single).matrix
    assert matrix.shape == (4, 4)
    np.testing.assert_allclose(
        matrix.nan_to_num(),
        alignment.alignment_matrix(*problem).matrix[0].nan_to_num(),
        atol=1e-14)


def test_by_distance_and_the_claim_statistics_against_loops():
    generator = torch.Generator().manual_seed(0)
    matrix = torch.rand(2, 5, 5, generator=generator) * 2 - 1
    matrix = matrix.triu(1) + torch.tril(torch.full((5, 5), math.nan))
    mean, low, high = alignment.by_distance(matrix)
    for k in range(1, 5):
        values = torch.stack([matrix[:, i, i + k] for i in range(5 - k)])
        np.testing.assert_allclose(mean[:, k - 1], values.mean(0))
        np.testing.assert_allclose(low[:, k - 1], values.min(0).values)
        np.testing.assert_allclose(high[:, k - 1], values.max(0).values)
    stats = alignment.claim_statistics(matrix)
    pairs = [matrix[:, i, j] for i in range(5) for j in range(i + 1, 5)]
    positive = torch.stack(pairs) > 0
    assert torch.equal(stats.all_positive, positive.all(0))
    np.testing.assert_allclose(stats.fraction_positive,
                               positive.double().mean(0))
    np.testing.assert_allclose(stats.nearest, mean[:, 0])
    np.testing.assert_allclose(stats.farthest, matrix[:, 0, 4])


def test_the_claim_estimates_against_numpy():
    generator = torch.Generator().manual_seed(1)
    matrix = torch.rand(8, 4, 4, generator=generator) * 1.4 - 0.2
    matrix = matrix.triu(1) + torch.tril(torch.full((4, 4), math.nan))
    estimates = alignment.claim_estimates(matrix)
    values = matrix.numpy()
    pairs = values[:, [0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]]
    p = (pairs > 0).all(1).mean()
    assert 0 < p < 1
    assert estimates.all_positive == pytest.approx(
        (p, np.sqrt(p * (1 - p) / 8)))
    nearest = np.stack([values[:, k, k + 1] for k in range(3)]).mean(0)
    for estimate, per_seed in [(estimates.fraction_positive,
                                (pairs > 0).mean(1)),
                               (estimates.nearest, nearest),
                               (estimates.farthest, values[:, 0, 3])]:
        assert estimate == pytest.approx(
            (per_seed.mean(), per_seed.std(ddof=1) / np.sqrt(8)))
    with pytest.raises(ValueError, match="at least 2 seeds"):
        alignment.claim_estimates(matrix[:1])


@pytest.mark.parametrize("estimates, expected", [
    ({"all_positive": (0.95, 0.03), "nearest": (0.60, 0.01)}, "yes"),
    ({"all_positive": (1.0, 0.0), "nearest": (0.60, 0.01)}, "yes"),
    ({"all_positive": (0.85, 0.03), "nearest": (0.60, 0.01)},
     "borderline"),  # 5/3 errors inside
    ({"all_positive": (0.75, 0.03), "nearest": (0.60, 0.01)},
     "borderline"),  # 5/3 errors outside
    ({"all_positive": (0.95, 0.03), "nearest": (0.83, 0.01)}, "no"),
    ({"all_positive": (0.0, 0.0), "nearest": (0.60, 0.01)}, "no"),
])
def test_the_claim_verdict_counts_standard_errors(estimates, expected):
    ranges = {"all_positive": (0.8, math.inf), "nearest": (0.5, 0.8)}
    estimates = alignment.ClaimEstimates(
        fraction_positive=(1.0, 0.0), farthest=(9.0, 0.0), **estimates)
    assert alignment.claim_verdict(estimates, ranges) == expected


def test_a_sweep_equals_its_settings_run_one_by_one():
    settings = [dict(width=4, activation="relu", init_scale=0.7,
                     targets="teacher"),
                dict(width=3, activation="linear", init_scale=1.0,
                     targets="random points"),
                dict(width=4, activation="relu", init_scale=1.5,
                     targets="random points")]
    results = alignment.sweep(settings, depth=3, seeds=(0, 5), n_samples=5)
    for setting, result in zip(settings, results):
        problem = alignment.random_problem(3, n_samples=5, seeds=(0, 5),
                                           **setting)
        expected = alignment.alignment_matrix(*problem)
        assert result.matrix.shape == (2, 3, 3)
        for field, value in zip(result, expected):
            np.testing.assert_allclose(field.nan_to_num(),
                                       value.nan_to_num(), atol=1e-13)


def two_layer_gradients(W1, W2, X, target1, target2):
    W1 = W1.clone().requires_grad_(True)
    s1 = X @ W1
    s2 = s1 @ W2
    local = torch.autograd.grad(((s1 - target1) ** 2).sum(-1).mean(-1)
                                .sum(), W1, retain_graph=True)[0]
    distant = torch.autograd.grad(((s2 - target2) ** 2).sum(-1).mean(-1)
                                  .sum(), W1)[0]
    return local, distant


@pytest.mark.parametrize("orthogonal", [False, True])
def test_the_two_layer_terms_add_up_to_the_true_gradients(orthogonal):
    draws, _ = alignment.two_layer_draws(7, width=6, n_samples=9,
                                         orthogonal=orthogonal, seed=2)
    terms = alignment.two_layer_terms(*draws)
    local, distant = two_layer_gradients(*draws)
    np.testing.assert_allclose(
        terms.internal_local - terms.external_local, local, atol=1e-12)
    np.testing.assert_allclose(
        terms.internal_distant - terms.external_distant, distant,
        atol=1e-12)


def test_the_expansion_adds_up_to_the_cosine_and_its_first_term_is_a_norm():
    draws, _ = alignment.two_layer_draws(50, width=6, n_samples=9, seed=3)
    W1, W2, X = draws[:3]
    terms = alignment.expansion_terms(alignment.two_layer_terms(*draws))
    local, distant = two_layer_gradients(*draws)
    cosine = torch.nn.functional.cosine_similarity(
        local.flatten(1), distant.flatten(1), dim=1)
    np.testing.assert_allclose(terms.sum(-1), cosine, atol=1e-12)
    # in₁·in₂ = ‖(2/N) Xᵀ s₁ W₂‖², so the first term is never negative
    squared = ((2 / 9 * X.mT @ X @ W1 @ W2) ** 2).sum((-2, -1))
    size = (local.flatten(1).norm(dim=1) * distant.flatten(1).norm(dim=1))
    np.testing.assert_allclose(terms[:, 0], squared / size, atol=1e-12)
    assert (terms[:, 0] >= 0).all()


@pytest.mark.parametrize("activation", list(alignment.ACTIVATIONS))
def test_the_pair_expansion_adds_up_to_the_matrix(activation):
    problem = small_problem(activation, seeds=(0, 1))
    terms = alignment.pair_expansion(*problem)
    matrix = alignment.alignment_matrix(*problem).matrix
    np.testing.assert_allclose(terms.sum(-1).nan_to_num(),
                               matrix.nan_to_num(), atol=1e-12)
    assert torch.equal(terms[..., 0].isnan(), matrix.isnan())


def test_the_pair_expansion_of_two_linear_layers_is_the_explicit_one():
    draws, _ = alignment.two_layer_draws(3, width=5, n_samples=7, seed=4)
    W1, W2, X, target1, target2 = draws
    terms = alignment.pair_expansion([W1, W2], X, [target1, target2],
                                     alignment.ACTIVATIONS["linear"])
    np.testing.assert_allclose(
        terms[:, 0, 1],
        alignment.expansion_terms(alignment.two_layer_terms(*draws)),
        atol=1e-12)


@pytest.mark.parametrize("activation", list(alignment.ACTIVATIONS))
def test_the_pair_factors_multiply_to_the_first_term(activation):
    problem = small_problem(activation, seeds=(0, 1), targets="teacher")
    factors = alignment.pair_factors(*problem)
    first = alignment.pair_expansion(*problem)[..., 0]
    np.testing.assert_allclose(
        (factors.direction * factors.ratios).nan_to_num(),
        first.nan_to_num(), atol=1e-12)
    assert torch.equal(factors.direction.isnan(), first.isnan())
    assert (factors.ratios.nan_to_num() >= 0).all()


def test_the_pair_factors_of_two_linear_layers_are_the_explicit_ones():
    draws, _ = alignment.two_layer_draws(3, width=5, n_samples=7, seed=6)
    W1, W2, X, target1, target2 = draws
    factors = alignment.pair_factors([W1, W2], X, [target1, target2],
                                     alignment.ACTIVATIONS["linear"])
    in1, ex1, in2, ex2 = (t.flatten(1) for t in
                          alignment.two_layer_terms(*draws))
    np.testing.assert_allclose(
        factors.direction[:, 0, 1],
        torch.nn.functional.cosine_similarity(in1, in2), atol=1e-12)
    np.testing.assert_allclose(
        factors.ratios[:, 0, 1],
        in1.norm(dim=1) / (in1 - ex1).norm(dim=1)
        * in2.norm(dim=1) / (in2 - ex2).norm(dim=1), atol=1e-12)


def test_the_target_free_first_term_against_many_target_draws():
    draws, _ = alignment.two_layer_draws(2, width=4, n_samples=5, seed=7)
    W1, W2, X = draws[:3]
    n_targets = 40_000  # Monte Carlo over N(0, 1) targets
    generator = torch.Generator().manual_seed(11)
    targets = torch.randn(2, n_targets, 2, 5, 4, generator=generator)
    W1_, W2_, X_ = (a[:, None].expand(-1, n_targets, -1, -1)
                    for a in (W1, W2, X))
    terms = alignment.two_layer_terms(W1_, W2_, X_, targets[:, :, 0],
                                      targets[:, :, 1])
    in1, ex1, in2, ex2 = (t.flatten(-2) for t in terms)
    eta1 = in1[:, 0].norm(dim=-1) / ((in1 - ex1) ** 2).sum(-1).mean(
        1).sqrt()
    eta2 = in2[:, 0].norm(dim=-1) / ((in2 - ex2) ** 2).sum(-1).mean(
        1).sqrt()
    direction = torch.nn.functional.cosine_similarity(in1[:, 0],
                                                      in2[:, 0])
    exact = alignment.target_free_first_term(
        W2, X, alignment.two_layer_terms(W1, W2, X, targets[:, 0, 0],
                                         targets[:, 0, 1]))
    np.testing.assert_allclose(exact, direction * eta1 * eta2, rtol=0.01)


def test_the_autoencoder_error_of_scaled_orthogonal_matrices():
    draws, omega = alignment.two_layer_draws(6, width=5, orthogonal=True,
                                             w1_scales=(1.0, 1.0),
                                             w2_scales=(0.3, 3.0), seed=1)
    W1, W2, X = draws[:3]
    np.testing.assert_allclose(
        W2 @ W2.mT, omega[1, :, None, None] ** 2 * torch.eye(5),
        atol=1e-12)
    error = alignment.autoencoder_error(W2, X @ W1)
    np.testing.assert_allclose(error, (omega[1] ** 2 - 1).abs(), atol=1e-12)
    assert ((0.3 <= omega[1]) & (omega[1] <= 3.0)).all()
    np.testing.assert_allclose(omega[0], 1.0)


def naive_ranks(values):
    return np.array([(values < v).sum() for v in values], dtype=float)


def test_the_rank_correlation_against_numpy():
    generator = torch.Generator().manual_seed(5)
    a, b = torch.randn(2, 40, generator=generator)
    b = a + 0.8 * b
    expected = np.corrcoef(naive_ranks(a.numpy()),
                           naive_ranks(b.numpy()))[0, 1]
    assert alignment.rank_correlation(a, b).item() == pytest.approx(
        expected, abs=1e-12)
    assert alignment.rank_correlation(a, a.exp()).item() == \
        pytest.approx(1.0)
    assert alignment.rank_correlation(a, -a).item() == pytest.approx(-1.0)


@pytest.mark.parametrize("activation", list(alignment.ACTIVATIONS))
def test_the_local_total_loss_has_the_local_gradients(activation):
    problem = small_problem(activation, seeds=(6,))
    Ws = [W.clone().requires_grad_(True) for W in problem.weights]
    value = alignment.total_loss(Ws, *problem[1:], local=True)
    gradients = torch.autograd.grad(value.sum(), Ws)
    for layer, gradient in enumerate(gradients):
        np.testing.assert_allclose(
            gradient[0], gradient_of_one_loss(*problem, layer, layer, 0),
            atol=1e-12)
    np.testing.assert_allclose(
        value.detach(), alignment.total_loss(problem.weights, *problem[1:]),
        atol=1e-12)


@pytest.mark.parametrize("rule", ["global", "local"])
def test_training_takes_the_stated_steps_with_one_rate_per_entry(rule):
    problem = small_problem("tanh", seeds=(0, 1))
    lr = torch.tensor([0.01, 0.05])
    losses = alignment.train(*problem, lr=lr, n_steps=2, rule=rule)
    assert losses.shape == (2, 3)
    weights = [W.clone() for W in problem.weights]
    for step in range(3):
        Ws = [W.clone().requires_grad_(True) for W in weights]
        value = alignment.total_loss(Ws, *problem[1:],
                                     local=rule == "local")
        np.testing.assert_allclose(losses[:, step], value.detach(),
                                   atol=1e-12)
        gradients = torch.autograd.grad(value.sum(), Ws)
        weights = [W - lr[:, None, None] * g
                   for W, g in zip(weights, gradients)]
    assert (losses[:, -1] < losses[:, 0]).all()


def test_a_diverging_run_is_a_result_not_an_error():
    problem = small_problem("linear", seeds=(0,), init_scale=2.0)
    losses = alignment.train(*problem, lr=10.0, n_steps=30)
    assert not torch.isfinite(losses[:, -1]).all()


@pytest.mark.parametrize("change, message", [
    (lambda p: p._replace(weights=[]), "weights must be a non-empty list"),
    (lambda p: p._replace(weights=[W[:, :3] for W in p.weights]),
     r"W_1 must have shape \(1, 5, 5\)"),
    (lambda p: p._replace(X=p.X[0, 0]), r"X must be a tensor \(\.\.\., N"),
    (lambda p: p._replace(targets=p.targets[:2]),
     "targets must be a list of 4 tensors"),
    (lambda p: p._replace(targets=[t[..., :2] for t in p.targets]),
     r"target of layer 1 must have the shape of X \(1, 6, 5\)"),
    (lambda p: p._replace(activation="tanh"),
     "activation must be a function"),
])
def test_bad_networks_are_refused(change, message):
    problem = change(small_problem())
    with pytest.raises(ValueError, match=message):
        alignment.alignment_matrix(*problem)


@pytest.mark.parametrize("options, message", [
    (dict(activation="sigmoid"), "activation must be one of"),
    (dict(targets="random"), "targets must be one of"),
    (dict(init_scale=0.0), "init_scale must be a number > 0"),
    (dict(depth=0), "depth must be an int >= 1"),
    (dict(seeds=()), "seeds must list at least one seed"),
])
def test_bad_settings_are_refused(options, message):
    settings = {"depth": 3, "width": 4, **options}
    with pytest.raises(ValueError, match=message):
        alignment.random_problem(**settings)


def test_a_bad_training_rule_is_refused():
    with pytest.raises(ValueError, match="rule must be one of"):
        alignment.train(*small_problem(), lr=0.1, n_steps=1, rule="greedy")
    with pytest.raises(ValueError, match="W_1 must have shape"):
        alignment.two_layer_terms(torch.ones(2, 3), torch.ones(2, 2),
                                  torch.ones(4, 2), torch.ones(4, 2),
                                  torch.ones(4, 2))
