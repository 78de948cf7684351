"""jacolib: the helper package of the book on Jacobians and autodiff.

Every chapter starts with ``jacolib.setup()``; the chapter's own module
(``jacolib.linreg`` for chapter 1, ...) holds its plumbing.
"""

from jacolib._setup import DEFAULT_SEED, setup

__version__ = "0.1.0"
__all__ = ["DEFAULT_SEED", "setup", "__version__"]
