"""The shared piece of `make bench`: a budget row (timers: jacolib.timing)."""

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

