"""One call at the top of every notebook: seeds, dtype, threads, style."""

import random

import numpy as np
import torch

DEFAULT_SEED = 0


def setup(seed=DEFAULT_SEED):
    """Make a notebook reproducible and give its figures the book's style.

    Seeds Python, numpy and torch; makes float64 torch's default dtype
    (the book checks results to 1e-10, beyond float32); uses one torch
    thread so that reductions add in the same order on every machine;
    applies the shared matplotlib style and, inside IPython, the inline
    backend. Returns None, so the call prints nothing.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(
            f"seed must be an int, got {type(seed).__name__} {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    # Short, stable prints: nbval compares them on any x86-64 CPU.
    np.set_printoptions(precision=6, suppress=True)
    torch.set_printoptions(precision=6, sci_mode=False)
    _use_inline_backend()
    from jacolib import plotting
    plotting.use_style()


def _use_inline_backend():
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: keep the current backend
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        shell.run_line_magic("matplotlib", "inline")
