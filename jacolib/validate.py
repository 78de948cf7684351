"""Input checks shared by every module: one place, one wording.

Bad input gets a ValueError (a TypeError for a value of the wrong kind)
that names what was expected and what came. The functions a page shows
with ``show_source`` keep their checks out of the body: the decorator
``checked_by(check)`` runs ``check`` on the same arguments first, so
the body is the maths alone and the page says so in one line.
"""

import functools
import inspect

import numpy as np
import torch

__all__ = [
    "checked_by", "scalar_valued", "describe", "require_tensor",
    "require_flat", "require_shape", "require_like", "require_count",
    "require_positive", "require_finite_array", "require_scalar_tensor",
    "require_in",
]


def checked_by(check):
    """Decorator: call ``check(*args, **kwargs)`` before the function.

    ``check`` raises on bad input and returns nothing; the decorated
    function keeps its signature, docstring and source (``show_source``
    prints the decorator line above the body).
    """
    def decorate(fn):
        @functools.wraps(fn)
        def checked(*args, **kwargs):
            check(*args, **kwargs)
            return fn(*args, **kwargs)
        return checked
    return decorate


def scalar_valued(*names):
    """Decorator: the arguments ``names`` are functions that must return
    a scalar tensor (a loss). Each call they make is checked as it
    happens, so the check costs no extra evaluation."""
    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            for name in names:
                bound.arguments[name] = _returning_a_scalar(
                    bound.arguments[name], name)
            return fn(*bound.args, **bound.kwargs)
        return checked
    return decorate


def _returning_a_scalar(f, name):
    @functools.wraps(f)
    def checked_f(*args, **kwargs):
        value = f(*args, **kwargs)
        require_scalar_tensor(name, value)
        return value
    return checked_f


def describe(value):
    """A short description of what came: a shape, or a type name."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"shape {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"[:80]


def require_tensor(name, value):
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor; got "
            f"{type(value).__name__}. Convert it with "
            f"torch.as_tensor({name}, dtype=torch.float64)")


def require_flat(name, value):
    """A 1-D float tensor, shape (n,): a flat parameter vector."""
    if not (isinstance(value, torch.Tensor) and value.ndim == 1
            and value.is_floating_point()):
        raise ValueError(
            f"{name} must be a 1-D float tensor of shape (n,); "
            f"got {describe(value)}")


def require_shape(name, value, expected_shape, expected_name=None):
    """``value`` (tensor, array or number) has ``expected_shape``."""
    shape = tuple(np.shape(value))
    if shape != tuple(expected_shape):
        what = (f"the shape of {expected_name}, " if expected_name
                else "shape ")
        raise ValueError(
            f"{name} must have {what}{tuple(expected_shape)}; "
            f"got {shape}")


def require_like(name, value, reference, reference_name):
    """A tensor of the same shape as ``reference``."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(
            f"{name} must be a tensor of the shape of {reference_name} "
            f"{tuple(reference.shape)}; got {describe(value)}")
    require_shape(name, value, reference.shape, reference_name)


def require_count(name, value, minimum=0):
    """An int (not a bool) at least ``minimum``."""
    if (not isinstance(value, (int, np.integer)) or isinstance(value, bool)
            or value < minimum):
        raise ValueError(
            f"{name} must be an int >= {minimum}; got {value!r}")


def require_positive(name, value):
    """A finite real number > 0."""
    if (isinstance(value, bool) or not np.isscalar(value)
            or not np.isreal(value) or not np.isfinite(value)
            or not value > 0):
        raise ValueError(f"{name} must be a number > 0; got {value!r}")


def require_finite_array(name, value):
    """``value`` as a float64 array, refusing inf and nan."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of numbers; got "
            f"{describe(value)}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return array


def require_scalar_tensor(name, value):
    """A tensor of shape (): what a loss returns."""
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        raise ValueError(
            f"{name} must return a scalar tensor of shape (); "
            f"got {describe(value)}")


def require_in(name, value, options):
    if value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}")
