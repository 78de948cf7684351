"""jacolib.pdm_unmixing and chapter 7's sources: the Amari distance
against a loop over its definition, the mixings against their stated
singular values, and unmixing runs against what ICA must do."""

import itertools

import numpy as np
import pytest
import torch

import jacolib
from jacolib import datasets, pdm, pdm_unmixing


@pytest.fixture(autouse=True)
def book_setup():
    jacolib.setup()


def amari_by_loops(K):
    n = len(K)
    a = np.abs(np.asarray(K))
    total = 0.0
    for i in range(n):
        total += sum(a[i, j] / max(a[i]) for j in range(n)) - 1
    for j in range(n):
        total += sum(a[i, j] / max(a[:, j]) for i in range(n)) - 1
    return total / (2 * n * (n - 1))


def test_the_amari_distance_follows_its_definition():
    K = torch.randn(20, 5, 5, generator=torch.Generator().manual_seed(0))
    expected = [amari_by_loops(k) for k in K]
    np.testing.assert_allclose(pdm_unmixing.amari_distance(K), expected,
                               atol=1e-14)
    assert pdm_unmixing.amari_distance(torch.ones(2, 2)).item() == 1.0


def test_the_amari_distance_is_zero_for_every_scaled_permutation():
    for order in itertools.permutations(range(4)):
        K = torch.eye(4)[list(order)] * torch.tensor([2.0, -0.5, 3.0, -1.0])
        assert pdm_unmixing.amari_distance(K).item() == 0.0
    nearly = torch.eye(4) + 0.01
    assert 0 < pdm_unmixing.amari_distance(nearly).item() < 0.05


def test_steps_to_and_median_reached():
    amari = torch.tensor([[0.5, 0.2, 0.04, 0.01],
                          [0.5, 0.3, 0.2, 0.1],
                          [0.03, 0.5, 0.5, 0.5]])
    steps = pdm_unmixing.steps_to(amari)
    assert steps.tolist() == [2, -1, 0]
    assert pdm_unmixing.median_reached(steps) == "1 (2/3)"
    assert pdm_unmixing.median_reached(torch.tensor([3, 8, -1, 6])) == \
        "6 (3/4)"
    assert pdm_unmixing.median_reached(torch.tensor([-1, -1])) == \
        "never (0/2)"


@pytest.mark.parametrize("condition", [1.0, 10.0, 100.0])
def test_a_mixing_has_the_stated_singular_values(condition):
    M = datasets.mixing_matrix(5, condition, seed=3)
    sigma = torch.linalg.svdvals(M)
    np.testing.assert_allclose(sigma[0] / sigma[-1], condition, rtol=1e-10)
    np.testing.assert_allclose((sigma ** 2).mean(), 1.0, rtol=1e-12)
    ratios = sigma[:-1] / sigma[1:]  # geometric: one ratio throughout
    np.testing.assert_allclose(ratios, ratios[0].expand_as(ratios),
                               rtol=1e-10)


def test_sources_are_unit_laplace_and_shared_across_conditions():
    X1, sources, M1 = datasets.mixed_sources(100000, 3, 1.0, seed=2)
    X2, sources2, M2 = datasets.mixed_sources(100000, 3, 50.0, seed=2)
    assert torch.equal(sources, sources2)
    np.testing.assert_allclose(X1, sources @ M1.T, atol=1e-12)
    np.testing.assert_allclose(X2, sources @ M2.T, atol=1e-12)
    np.testing.assert_allclose(sources.var(0), 1.0, atol=0.02)
    kurtosis = (sources ** 4).mean(0) / sources.var(0) ** 2
    np.testing.assert_allclose(kurtosis, 6.0, atol=0.3)  # Laplace: 6


def test_bad_mixings_are_refused():
    with pytest.raises(ValueError, match="condition must be a number"):
        datasets.mixing_matrix(3, 0.5)
    with pytest.raises(ValueError, match="dim must be an int >= 2"):
        pdm_unmixing.unmixing_problem(dim=1)


def test_every_mixing_of_a_seed_starts_from_one_K():
    problem = pdm_unmixing.unmixing_problem(3, 200, (1, 10, 100), [0, 1])
    assert problem.X.shape == (6, 200, 3) and problem.W0.shape == (6, 3, 3)
    K0 = (problem.W0 @ problem.M).reshape(3, 2, 3, 3)
    for K in K0[1:]:
        np.testing.assert_allclose(K, K0[0], atol=1e-10)
    np.testing.assert_allclose(K0[0] @ K0[0].mT, torch.eye(3).expand(
        2, 3, 3), atol=1e-12)  # a rotation


def test_the_relative_gradient_unmixes_alike_whatever_the_mixing():
    problem = pdm_unmixing.unmixing_problem(3, 1000, (1, 100), [0])
    run = pdm_unmixing.unmix(problem, "relative", "sgd", 0.3, steps=120,
                             every=40)
    assert torch.all(run.amari[:, -1] < 0.05)
    np.testing.assert_allclose(run.K[0], run.K[1], atol=1e-8)
    np.testing.assert_allclose(run.nll[0], run.nll[1], atol=1e-8)
    assert run.nll.shape == (2, 4) and run.K.shape == (2, 121, 3, 3)
    assert run.nll[0, -1] < run.nll[0, 0]


def test_the_exact_gradient_is_slowed_by_the_mixing():
    problem = pdm_unmixing.unmixing_problem(3, 1000, (1, 100), [0])
    run = pdm_unmixing.unmix(problem, "exact", "sgd", 0.3, steps=120)
    assert run.amari[0, -1] < 0.05 < run.amari[1, -1]


def test_the_recorded_nll_is_the_nll_of_the_sources():
    problem = pdm_unmixing.unmixing_problem(2, 300, (10,), [0])
    run = pdm_unmixing.unmix(problem, "relative", "adam", 0.05, steps=7,
                             every=7)
    sources = problem.X @ torch.linalg.inv(problem.M).mT
    for step in (0, 7):  # the flow on x, and the same on the sources
        W = run.K[:, step] @ torch.linalg.inv(problem.M)
        on_x = pdm.Flow.from_layers([(W, run.beta[:, step])],
                                    base="logistic")
        on_sources = pdm.Flow.from_layers(
            [(run.K[:, step], run.beta[:, step])], base="logistic")
        recorded = run.nll[:, step // 7]
        np.testing.assert_allclose(recorded, on_sources.nll(sources),
                                   atol=1e-10)
        np.testing.assert_allclose(
            recorded, on_x.nll(problem.X)
            - torch.linalg.slogdet(problem.M).logabsdet, atol=1e-10)


def test_against_gradient_tells_each_step_from_the_autograd_gradient():
    problem = pdm_unmixing.unmixing_problem(3, 300, (1, 100), [0, 1])
    run = pdm_unmixing.unmix(problem, "relative", "adam", 0.1, steps=12)
    against = pdm_unmixing.against_gradient(problem, run, chunk=5)
    assert against.shape == (4, 12)
    inv_M = torch.linalg.inv(problem.M)
    for copy in range(4):
        for step in range(12):  # autograd on x, one copy and step
            W = (run.K[copy, step] @ inv_M[copy]).requires_grad_()
            beta = run.beta[copy, step].clone().requires_grad_()
            flow = pdm.Flow.from_layers([(W, beta)], base="logistic")
            flow.layers = [(W, beta)]
            gW, gbeta = torch.autograd.grad(
                flow.log_prob(problem.X[copy]).mean(), (W, beta))
            move_W = (run.K[copy, step + 1] - run.K[copy, step]) @ \
                inv_M[copy]
            move_beta = run.beta[copy, step + 1] - run.beta[copy, step]
            inner = (move_W * gW).sum() + (move_beta * gbeta).sum()
            assert against[copy, step].item() == (inner.item() < 0)
    assert against.any()  # Adam on a relative direction: some do


def test_plain_ascent_never_goes_against_the_gradient():
    problem = pdm_unmixing.unmixing_problem(3, 300, (100,), [0, 1])
    for method in ("exact", "relative"):  # gradient × an SPD matrix
        run = pdm_unmixing.unmix(problem, method, "sgd", 0.1, steps=10)
        assert not pdm_unmixing.against_gradient(problem, run).any()
