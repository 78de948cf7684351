"""jacolib.layers: each module's backward pass against torch.autograd."""

import numpy as np
import pytest
import torch

from jacolib import layers

TORCH_ACTIVATIONS = {layers.ReLU: torch.relu, layers.Sigmoid: torch.sigmoid}


@pytest.mark.parametrize("batch", [None, 7])
@pytest.mark.parametrize("activation", [layers.ReLU, layers.Sigmoid])
def test_a_stack_of_modules_matches_torch_autograd(batch, activation):
    rng = np.random.default_rng(3)
    weights = layers.init_weights([4, 6, 5, 2], seed=4, gain=1.5)
    shape = (4,) if batch is None else (batch, 4)
    x, delta = rng.normal(size=shape), rng.normal(size=shape[:-1] + (2,))
    net = layers.Sequential([m for W in weights
                             for m in (layers.Linear(W), activation())])
    net.forward(x)
    delta_in = net.backward(delta)
    Ws = [torch.tensor(W, requires_grad=True) for W in weights]
    tx = torch.tensor(x, requires_grad=True)
    s = tx
    for W in Ws:
        s = TORCH_ACTIVATIONS[activation](s @ W.T)
    expected = torch.autograd.grad((s * torch.tensor(delta)).sum(),
                                   [tx, *Ws])
    np.testing.assert_allclose(delta_in, expected[0].numpy(), rtol=1e-12)
    for module, grad in zip(net.layers[::2], expected[1:]):
        np.testing.assert_allclose(module.grad_W, grad.numpy(),
                                   rtol=1e-12, atol=1e-14)


def test_adjoint_norms_are_recorded_at_each_module_output():
    W = np.eye(3)
    net = layers.Sequential([layers.Linear(2 * W), layers.Linear(3 * W)])
    net.forward(np.ones(3))
    net.backward(np.array([1.0, 0.0, 0.0]))
    # δ at the last output is e₁; at the first output it is 3 e₁.
    assert net.adjoint_norms == [3.0, 1.0]


def test_init_weights_have_the_requested_scale():
    W, = layers.init_weights([400, 300], seed=0, gain=2.0)
    assert W.shape == (300, 400)
    assert W.std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02)


def test_a_weight_that_is_not_a_matrix_is_refused():
    with pytest.raises(ValueError, match=r"W must be a matrix \(n_out, "
                                         r"n_in\); got shape \(3,\)"):
        layers.Linear(np.ones(3))
