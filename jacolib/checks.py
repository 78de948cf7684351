"""Checks printed in the pages, in a form that is stable across CPUs.

A page prints ``max |error| < 1e-10  ✓`` rather than the float itself,
whose last digits depend on the machine.
"""

import inspect

import numpy as np


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
    """Print ``label: max |error| < tol  ✓`` (or ✗ with the error).

    Prints rather than returns, so it can end a cell without echoing a
    value; the stored ✓ is what nbval then guards.
    """
    error = max_abs_error(actual, expected)
    if error < tol:
        print(f"{label}: max |error| < {tol:.0e}  ✓")
    else:
        print(f"{label}: max |error| = {error:.2e} ≥ {tol:.0e}  ✗")


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
