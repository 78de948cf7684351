"""Checks printed in the pages, in a form that is stable across CPUs.

A page prints ``max |error| < 1e-10  ✓`` rather than the float itself,
whose last digits depend on the machine. A check that fails raises
``CheckFailed``: the notebook stops there, `make execute` refuses to
store it, and the tests fail. So a ✓ on a page is a claim that held
when the page was made, and no ✗ can be stored.

Where a page shows a mismatch on purpose (an approximation next to the
exact answer), ``report_gap`` prints the size of the gap and claims
nothing.
"""

import inspect

import numpy as np


class CheckFailed(AssertionError):
    """A claim checked on a page did not hold."""


def max_abs_error(actual, expected):
    """max |actual − expected| over all entries (numpy or torch)."""
    actual = np.asarray(_to_numpy(actual), dtype=np.float64)
    expected = np.asarray(_to_numpy(expected), dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(
            f"cannot compare shapes {actual.shape} and {expected.shape}")
    if actual.size == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected)))


def check_close(label, actual, expected, tol=1e-10):
    """Print ``label: max |error| < tol  ✓``, or raise CheckFailed.

    Prints rather than returns, so it can end a cell without echoing a
    value; the stored ✓ is what nbval then guards. A NaN error fails.
    """
    error = max_abs_error(actual, expected)
    if not error < tol:
        raise CheckFailed(
            f"{label}: max |error| = {error:.2e}, not < {tol:.0e}  ✗")
    print(f"{label}: max |error| < {tol:.0e}  ✓")


def check(claim, holds):
    """Print ``claim  ✓`` when ``holds`` is true, or raise CheckFailed.

    For claims that are not a comparison of numbers: a sign, an order,
    a count ("λmin < 0", "CG converged").
    """
    if not bool(holds):
        raise CheckFailed(f"{claim}: does not hold  ✗")
    print(f"{claim}  ✓")


def relative_gap(actual, expected):
    """‖actual − expected‖ / ‖expected‖ (Frobenius norms)."""
    actual = np.asarray(_to_numpy(actual), dtype=np.float64)
    expected = np.asarray(_to_numpy(expected), dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(
            f"cannot compare shapes {actual.shape} and {expected.shape}")
    scale = np.linalg.norm(expected)
    if scale == 0:
        raise ValueError("the expected value is 0: no relative gap")
    return float(np.linalg.norm(actual - expected) / scale)


def report_gap(label, actual, expected):
    """Print how far ``actual`` is from ``expected``, claiming nothing.

    For mismatches shown on purpose: ``label: 7% off`` (or ``< 1e-5``
    when they agree); ``relative_gap`` gives the number itself.
    """
    gap = relative_gap(actual, expected)
    shown = "< 1e-5" if gap < 1e-5 else (
        f"{gap:.0%} off" if gap >= 0.01 else f"{gap:.0e} off")
    print(f"{label}: {shown}")


def show_source(obj):
    """Display the source of a jacolib function or class in the page.

    The page shows the code that runs, not a copy that could drift.
    """
    from IPython.display import Code
    return Code(inspect.getsource(obj), language="python")


def _to_numpy(value):
    if hasattr(value, "detach"):  # a torch tensor
        return value.detach().cpu().numpy()
    return value
