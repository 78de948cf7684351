"""jacolib.validate: the shared input checks and the decorators that keep
them out of the functions a page shows."""

import numpy as np
import pytest
import torch

from jacolib import autodiff, linreg, validate
from jacolib.checks import show_source


def test_checked_by_runs_the_check_first_and_keeps_the_function():
    calls = []

    def check(x):
        calls.append(("check", x))
        if x < 0:
            raise ValueError(f"x must be >= 0; got {x}")

    @validate.checked_by(check)
    def square_root(x):
        """The square root."""
        calls.append(("body", x))
        return x ** 0.5

    assert square_root(4.0) == 2.0
    assert calls == [("check", 4.0), ("body", 4.0)]
    with pytest.raises(ValueError, match="x must be >= 0; got -1"):
        square_root(-1)
    assert calls[-1] == ("check", -1)  # the body never ran
    assert square_root.__name__ == "square_root"
    assert square_root.__doc__ == "The square root."


def test_a_shown_function_is_its_maths_under_one_check_line():
    source = show_source(linreg.gd).data
    assert source.startswith("@checked_by(_run_inputs)\n")
    assert "w = w - lr * objective.grad(w)" in source
    assert "require_" not in source and "errstate" not in source


def test_scalar_valued_checks_each_call_without_an_extra_one():
    calls = []

    def loss(w):
        calls.append(w)
        return (w ** 2).sum()

    h_v = autodiff.hvp(loss, torch.ones(3), torch.ones(3))
    assert torch.equal(h_v, 2 * torch.ones(3))
    assert len(calls) == 1  # torch.func traces loss once
    with pytest.raises(ValueError, match=r"f must return a scalar tensor "
                                         r"of shape \(\); got shape \(3,\)"):
        autodiff.hvp(lambda w: w ** 2, torch.ones(3), torch.ones(3))


@pytest.mark.parametrize("value", [0, -1.0, np.inf, np.nan, True, "1",
                                   [1.0]])
def test_require_positive_refuses_what_is_not_a_positive_number(value):
    with pytest.raises(ValueError, match="lr must be a number > 0; got"):
        validate.require_positive("lr", value)


@pytest.mark.parametrize("value", [-1, 2.5, True, "3", None])
def test_require_count_refuses_what_is_not_a_count(value):
    with pytest.raises(ValueError, match="n must be an int >= 0; got"):
        validate.require_count("n", value)


def test_require_finite_array_converts_or_says_what_came():
    np.testing.assert_array_equal(
        validate.require_finite_array("w", [1, 2]), [1.0, 2.0])
    with pytest.raises(ValueError, match="w must be finite"):
        validate.require_finite_array("w", [1.0, np.nan])
    with pytest.raises(ValueError, match="w must be an array of numbers"):
        validate.require_finite_array("w", ["a", 1.0])


def test_describe_gives_a_shape_or_a_type():
    assert validate.describe(torch.zeros(2, 3)) == "shape (2, 3)"
    assert validate.describe(np.zeros(4)) == "shape (4,)"
    assert validate.describe([1, 2]) == "list [1, 2]"
