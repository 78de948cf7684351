"""jacolib.restoration: the identity behind it, the structured and the
unstructured estimates, against the true Jacobians."""

import pytest
import torch

from jacolib import restoration as R

DTYPE = torch.float64


@pytest.fixture(autouse=True)
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(DTYPE)
    yield
    torch.set_default_dtype(previous)


def test_the_forward_measurement_is_the_jvp():
    generator = torch.Generator().manual_seed(0)
    A = torch.randn(3, 5, generator=generator)
    x, probe = torch.randn(2, 5, generator=generator)
    grad_f = torch.randn(3, generator=generator)
    _, df = torch.func.jvp(lambda v: A @ v, (x,), (probe,))
    torch.testing.assert_close(df, A @ probe, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close((A.T @ grad_f) @ probe, grad_f @ df)


def test_probe_pairs_agree_exactly_when_the_estimate_is_true():
    generator = torch.Generator().manual_seed(1)
    A = torch.randn(3, 4, generator=generator)
    probes = R.random_probes(6, 4, 2, generator).mT
    estimated, measured = R.probe_pairs(
        A, lambda x: x @ A.T, torch.randn(6, 3, generator=generator),
        torch.randn(6, 1, 4, generator=generator), probes)
    torch.testing.assert_close(estimated, measured, rtol=1e-12,
                               atol=1e-12)


def test_probes_are_orthonormal():
    probes = R.random_probes(10, 6, 3, torch.Generator().manual_seed(2))
    gram = probes.mT @ probes
    torch.testing.assert_close(gram, torch.eye(3).expand(10, 3, 3))


def test_the_structured_estimate_reaches_the_true_jacobian():
    A = torch.randn(3, 4, generator=torch.Generator().manual_seed(3))
    run = R.restore_linear(A, dim_sample=2, loss_type="mse",
                           steps_per_entry=20)
    assert run.cosines[-1] > 0.99
    assert run.sign_agreement[-1] == 1.0
    torch.testing.assert_close(run.estimates[-1], A, rtol=0, atol=0.05)


def test_the_cosine_loss_cannot_find_the_scale():
    A = torch.randn(3, 4, generator=torch.Generator().manual_seed(4))
    run = R.restore_linear(A, 2, "cosine", initial_messup=0.1,
                           steps_per_entry=20)
    scale = run.estimates[-1].norm() / A.norm()
    assert run.cosines[-1] > 0.95 and not 0.8 < scale < 1.25


def test_log_lin_exp_computes_products_with_their_signs():
    net = R.LogLinExp(3, 1, 1)
    with torch.no_grad():
        net.exponents.copy_(torch.tensor([[1.0, 1.0, 0.0]]))
        net.mix.copy_(torch.ones(1, 1))
    u = torch.tensor([[2.0, -3.0, 5.0], [-0.5, -4.0, 1.0]])
    torch.testing.assert_close(net(u)[:, 0], u[:, 0] * u[:, 1])


def test_log_lin_exp_restores_the_bilinear_gradient():
    result = R.restore_bilinear(R.LogLinExp(11, 40, 9), 2, 3,
                                dim_sample=3, n_steps=300)
    assert result.held_out_cosine > 0.99


def test_hand_written_loss_gradient_is_autograds():
    generator = torch.Generator().manual_seed(6)
    estimated = torch.randn(3, 5, 2, generator=generator)
    measured = torch.randn(5, 2, generator=generator)
    weights = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    loss, slope = R._loss_and_gradient(estimated, measured, weights)
    point = estimated.clone().requires_grad_(True)
    expected = R._weighted_losses(point, measured, weights)
    torch.testing.assert_close(loss, expected.detach())
    autograd = torch.autograd.grad(expected.sum(), point)[0]
    torch.testing.assert_close(slope, autograd, rtol=1e-10, atol=1e-12)


def test_runs_side_by_side_equal_runs_alone():
    W = torch.randn(2, 3, generator=torch.Generator().manual_seed(7))
    runs = R.restore_linear_runs(W, 2, ("mse", "cosine"), (1.0, 10.0),
                                 n_steps=30, seed=2, held_out_size=32)
    for (loss, messup), run in runs.items():
        alone = R.restore_linear(W, 2, loss, messup, n_steps=30, seed=2,
                                 held_out_size=32)
        torch.testing.assert_close(run.estimates, alone.estimates,
                                   rtol=1e-12, atol=1e-12)
    # every run starts from the same normal matrix, scaled
    torch.testing.assert_close(runs["mse", 10.0].estimates[0],
                               10 * runs["mse", 1.0].estimates[0])


@pytest.mark.parametrize("call, message", [
    (lambda: R.restore_linear(torch.ones(2, 3), 4),
     r"dim_sample must be at most n = 3; got 4"),
    (lambda: R.probe_losses(torch.ones(1, 2), torch.ones(1, 2), "l1"),
     r"loss_type must be one of \['mse', 'cosine', 'mix'\]"),
    (lambda: R.restore_linear(torch.ones(2, 3), 1, initial_messup=0),
     r"initial_messup must be a number > 0"),
])
def test_bad_settings_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_each_run_records_one_batch_loss_per_step():
    W = torch.randn(2, 3, generator=torch.Generator().manual_seed(8))
    run = R.restore_linear(W, 1, "mix", n_steps=12, held_out_size=16)
    assert run.losses.shape == (12,)
    assert run.held_out_losses.shape == run.cosines.shape == (13,)
