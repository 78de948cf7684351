"""The shared pieces of `make bench`: a budget row and a median timer."""

import statistics
import time
from dataclasses import dataclass


@dataclass
class Budget:
    """One measured quantity against its limit.

    ``at_most=True``: the measurement passes when it is <= limit (a time);
    ``at_most=False``: when it is >= limit (a speed-up ratio).
    """

    what: str
    measured: float
    limit: float
    unit: str
    at_most: bool = True

    @property
    def ok(self):
        if self.at_most:
            return self.measured <= self.limit
        return self.measured >= self.limit


def median_seconds(fn, repeats=20, warmup=2):
    """Median wall-clock time of ``fn()`` over ``repeats`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
