"""jacolib.setup, the page checks, the data sets and the figure helpers."""

import random

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import jacolib
from jacolib import checks, datasets, plotting


def draws():
    return (random.random(), np.random.rand(), torch.rand(1).item())


def test_setup_seeds_every_generator_and_returns_nothing():
    assert jacolib.setup(seed=3) is None
    first = draws()
    jacolib.setup(seed=3)
    assert draws() == first
    jacolib.setup(seed=4)
    assert draws() != first


def test_setup_sets_float64_one_thread_and_the_style():
    torch.set_default_dtype(torch.float32)
    mpl.rcParams["axes.grid"] = False
    jacolib.setup()
    assert torch.get_default_dtype() == torch.float64
    assert torch.tensor([1.0]).dtype == torch.float64
    assert torch.get_num_threads() == 1
    assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == \
        plotting.PALETTE[0]


@pytest.mark.parametrize("seed", ["1", 1.5, True, None])
def test_setup_refuses_a_seed_that_is_not_an_int(seed):
    with pytest.raises(ValueError, match="seed must be an int, got"):
        jacolib.setup(seed=seed)


def test_check_close_prints_a_stable_verdict(capsys):
    checks.check_close("same", np.ones(3), np.ones(3) + 1e-13)
    checks.check_close("torch", torch.ones(2), np.ones(2))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["same: max |error| < 1e-10  ✓",
                     "torch: max |error| < 1e-10  ✓"]


@pytest.mark.parametrize("actual", [[1.0, 2.5], [1.0, np.nan]])
def test_a_failed_check_raises_and_prints_no_tick(capsys, actual):
    with pytest.raises(checks.CheckFailed,
                       match=r"off: max \|error\| = .*, not < 1e-03  ✗"):
        checks.check_close("off", actual, [1.0, 2.0], tol=1e-3)
    assert capsys.readouterr().out == ""


def test_check_prints_a_claim_or_raises(capsys):
    checks.check("λmin < 0", -0.5 < 0)
    assert capsys.readouterr().out == "λmin < 0  ✓\n"
    with pytest.raises(checks.CheckFailed, match="λmin > 0: does not hold"):
        checks.check("λmin > 0", -0.5 > 0)
    assert issubclass(checks.CheckFailed, AssertionError)


def test_report_gap_states_the_gap_and_claims_nothing(capsys):
    checks.report_gap("approximation", [1.0, 1.0], [1.0, 1.1])
    checks.report_gap("exact", [2.0], [2.0])
    checks.report_gap("close", [1.001], [1.0])
    out = capsys.readouterr().out
    assert out == ("approximation: 7% off\nexact: < 1e-5\n"
                   "close: 1e-03 off\n")
    assert "✓" not in out and "✗" not in out
    assert checks.relative_gap(np.array([3.0, 4.0]),
                               np.array([0.0, 5.0])) == \
        pytest.approx(np.hypot(3.0, 1.0) / 5.0)
    with pytest.raises(ValueError, match="expected value is 0"):
        checks.relative_gap([1.0], [0.0])


def test_max_abs_error_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        checks.max_abs_error(np.ones(2), np.ones(3))


def test_show_source_shows_the_real_source():
    code = checks.show_source(datasets.linear_regression_data)
    assert code.data.startswith("def linear_regression_data(")
    assert "duplicate_feature" in code.data


def test_regression_data_follow_the_true_weights():
    X, y = datasets.linear_regression_data(n_samples=5000, noise=0.1,
                                           true_w=(2.0, -1.0), seed=7)
    w_fit = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(w_fit, [2.0, -1.0], atol=0.01)
    again = datasets.linear_regression_data(n_samples=5000, noise=0.1,
                                            true_w=(2.0, -1.0), seed=7)
    np.testing.assert_array_equal(X, again[0])


def test_duplicate_feature_makes_a_rank_deficient_design():
    X, _ = datasets.linear_regression_data(true_w=(1.0, 2.0, 3.0),
                                           duplicate_feature=True)
    np.testing.assert_array_equal(X[:, 2], X[:, 0])
    assert np.linalg.matrix_rank(X) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"true_w": ()}, "non-empty vector"),
    ({"n_samples": 0}, "n_samples must be an int >= 1; got 0"),
    ({"true_w": (1.0,), "duplicate_feature": True}, "at least 2 weights"),
])
def test_bad_data_requests_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.linear_regression_data(**kwargs)


def test_limits_around_hold_the_points_in_a_square():
    points = np.array([[0.0, 0.0], [4.0, 1.0]])
    (x0, x1), (y0, y1) = plotting.limits_around(points, margin=0.5)
    assert x1 - x0 == pytest.approx(y1 - y0)
    assert x0 < 0 < 4 < x1 and y0 < 0 < 1 < y1


def test_log_error_curves_end_where_a_run_overflows():
    fig, ax = plt.subplots()
    plotting.log_error_curves(ax, [[1.0, 0.0, np.inf]], ["run"])
    ydata = ax.lines[0].get_ydata()
    assert ydata[1] == 1e-16 and np.isnan(ydata[2])
    plt.close(fig)


# --- noisy_sine_data -------------------------------------------------------

def test_noisy_sine_data_shapes_grid_and_noise_level():
    X, y = datasets.noisy_sine_data(n_samples=2000, noise=0.1, seed=3)
    assert X.shape == y.shape == (2000, 1) and X.dtype == torch.float64
    assert torch.equal(X.flatten(), torch.linspace(-2, 2, 2000,
                                                   dtype=torch.float64))
    noise = y - torch.sin(2 * X)
    assert abs(noise.std().item() - 0.1) < 0.005
    assert abs(noise.mean().item()) < 0.01


def test_noisy_sine_data_is_seeded_and_noise_free_at_zero():
    assert torch.equal(datasets.noisy_sine_data(seed=1)[1],
                       datasets.noisy_sine_data(seed=1)[1])
    assert not torch.equal(datasets.noisy_sine_data(seed=1)[1],
                           datasets.noisy_sine_data(seed=2)[1])
    X, y = datasets.noisy_sine_data(n_samples=7, noise=0.0, frequency=3.0)
    assert torch.equal(y, torch.sin(3.0 * X))


@pytest.mark.parametrize("n", [0, -3, 2.5, "10"])
def test_noisy_sine_data_rejects_bad_sizes(n):
    with pytest.raises(ValueError,
                       match=r"n_samples must be an int >= 1; got"):
        datasets.noisy_sine_data(n_samples=n)
