"""Budgets of jacolib.alignment (chapter 8): the similarity matrix is
computed efficiently.

- one backward pass per loss (D passes) against a fresh graph per
  gradient (D(D + 1)/2 of them), D = 20: at least 3 times faster;
- ten seeds on a leading batch axis against ten calls, one per seed:
  at least 2 times faster (the settings sweep of chapter 8 relies on
  it to fit the page's time budget).
"""

import torch

from benchmarks.budget import Budget
from jacolib import alignment
from jacolib.timing import interleaved_median_seconds

DEPTH, WIDTH = 20, 32


def budgets() -> list[Budget]:
    torch.set_num_threads(1)
    previous_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return [_per_loss_against_per_gradient(), _batched_seeds()]
    finally:
        torch.set_default_dtype(previous_dtype)


def _one_gradient(problem, m, layer):
    """∂ℓ_m/∂W_layer of the first seed, on a graph of its own."""
    weights = [W[0].clone().requires_grad_(True) for W in problem.weights]
    s = problem.X[0]
    for W in weights[:m + 1]:
        s = problem.activation(s @ W)
    loss = ((s - problem.targets[m][0]) ** 2).sum(1).mean()
    return torch.autograd.grad(loss, weights[layer])[0]


def _per_gradient_matrix(problem):
    depth = len(problem.weights)
    matrix = torch.full((depth, depth), float("nan"))
    for layer in range(depth):
        local = _one_gradient(problem, layer, layer)
        for m in range(layer + 1, depth):
            matrix[layer, m] = alignment.cosine(
                local, _one_gradient(problem, m, layer))
    return matrix


def _per_loss_against_per_gradient():
    problem = alignment.random_problem(DEPTH, WIDTH, seeds=[0])
    per_loss, per_gradient = interleaved_median_seconds(
        [lambda: alignment.alignment_matrix(*problem),
         lambda: _per_gradient_matrix(problem)], repeats=5, warmup=1)
    return Budget(f"alignment_matrix D = {DEPTH}: a graph per gradient / "
                  "a pass per loss", per_gradient / per_loss, 3.0, "x",
                  at_most=False)


def _batched_seeds():
    seeds = range(10)
    batch = alignment.random_problem(DEPTH, WIDTH, seeds=seeds)
    singles = [alignment.random_problem(DEPTH, WIDTH, seeds=[seed])
               for seed in seeds]
    batched, looped = interleaved_median_seconds(
        [lambda: alignment.alignment_matrix(*batch),
         lambda: [alignment.alignment_matrix(*one) for one in singles]],
        repeats=5, warmup=1)
    return Budget(f"alignment_matrix D = {DEPTH}, 10 seeds: looped / "
                  "batched", looped / batched, 2.0, "x", at_most=False)
