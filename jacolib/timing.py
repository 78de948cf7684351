"""Wall-clock cost measurements that the book's pages can trust.

A page that says "reverse mode is cheaper here" backs it with a
measurement, and a measurement on a shared machine is noisy: another
process slows whichever call runs at that moment. So:

- every time is a median over repeats, never a single call;
- calls that are compared are timed in turns (a b c a b c ...), with
  the first of each round rotating, so that a slow spell of the machine
  hits them all alike, and the *ratio* of two times stays stable even
  when the times themselves drift;
- a sweep over problem sizes returns one array of medians per method,
  ready for a log-log plot, and ``loglog_slope`` reads the scaling
  exponent off it (1 for linear growth, 0 for flat); with
  ``across_sizes=True`` each round visits the whole (size, method)
  grid, so that sizes, too, are compared at the same moments;
- ``affine_fit`` splits a time into a fixed cost per call and a cost
  per unit of work (per pass, per parameter), the model
  seconds ~ fixed + per_unit * size.

The timing functions take a ``clock``: the wall clock by default, or
``cpu_clock()``, the processor time of this process, which the other
programs of a shared machine do not add to (the wall clock counts the
moments they take the processor from us too).

Times vary between machines and runs: a page prints them only in cells
whose output is not compared (tagged ``nbval-ignore-output``).
"""

import statistics
import time
from collections import namedtuple

import numpy as np

from jacolib.validate import require_count

__all__ = ["median_seconds", "interleaved_median_seconds",
           "scaling_sweep", "loglog_slope", "AffineFit", "affine_fit",
           "cpu_clock"]

AffineFit = namedtuple("AffineFit", "fixed per_unit")


def cpu_clock(finest=1e-5, process_time=time.process_time):
    """``time.process_time`` where it ticks finely, else the wall clock.

    The processor time of this process (all its threads) leaves out
    the time other programs hold the processor, so it is steadier than
    the wall clock on a shared machine. Some systems update it only
    every few milliseconds (Windows: ~16 ms), too coarse for calls of
    a millisecond; there ``time.perf_counter`` is returned instead.
    """
    steps = []
    for _ in range(5):  # the smallest of a few steps: another thread of
        start = process_time()  # this process may run during one
        now = start
        while now == start:  # spin: our own work moves the clock on
            now = process_time()
        steps.append(now - start)
    return process_time if min(steps) <= finest else time.perf_counter


def median_seconds(fn, repeats=20, warmup=2, clock=time.perf_counter):
    """Median wall-clock seconds of one call of ``fn()``.

    ``warmup`` calls first, untimed: the first calls of a torch.func
    transform pay one-off costs (allocations, dispatch caches).
    """
    require_count("repeats", repeats, minimum=1)
    require_count("warmup", warmup, minimum=0)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def interleaved_median_seconds(fns, repeats=20, warmup=2,
                               clock=time.perf_counter):
    """Median seconds of each of ``fns``, timed in rotating turns.

    ``fns`` is a dict {name: fn} (returns {name: seconds}) or a list
    (returns a list). Round r calls the functions in order starting at
    the (r mod k)-th, so none is always first: on this machine the
    first call of a round ran a few percent faster.
    """
    names = list(fns) if isinstance(fns, dict) else None
    calls = list(fns.values()) if names is not None else list(fns)
    if not calls:
        raise ValueError("fns must hold at least one function; got none")
    require_count("repeats", repeats, minimum=1)
    require_count("warmup", warmup, minimum=0)
    for fn in calls:
        for _ in range(warmup):
            fn()
    samples = [[] for _ in calls]
    for round_number in range(repeats):
        first = round_number % len(calls)
        for index in list(range(first, len(calls))) + list(range(first)):
            start = clock()
            calls[index]()
            samples[index].append(clock() - start)
    medians = [statistics.median(times) for times in samples]
    return dict(zip(names, medians)) if names is not None else medians


def scaling_sweep(make_fns, sizes, repeats=7, warmup=1,
                  clock=time.perf_counter, across_sizes=False):
    """Median seconds of several methods at each problem size.

    ``make_fns(size)`` returns {method name: fn} for that size (it builds
    the problem; only the calls are timed). Returns {method name: array
    of seconds, one per size}. By default the methods of one size are
    timed in turns, one size after the other; with ``across_sizes=True``
    every problem is built first and each round calls every (size,
    method) pair in turn, so that a slow spell of the machine hits all
    sizes alike (the problems of all sizes are held in memory at once).
    """
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes must hold at least one size; got none")
    if across_sizes:
        grid = {(index, name): fn
                for index, size in enumerate(sizes)
                for name, fn in make_fns(size).items()}
        seconds = interleaved_median_seconds(grid, repeats, warmup, clock)
        per_size = [{name: value for (index, name), value in seconds.items()
                     if index == wanted} for wanted in range(len(sizes))]
    else:
        per_size = [interleaved_median_seconds(make_fns(size), repeats,
                                               warmup, clock)
                    for size in sizes]
    columns = {}
    for seconds in per_size:
        for name, value in seconds.items():
            columns.setdefault(name, []).append(value)
    return {name: np.array(values) for name, values in columns.items()}


def loglog_slope(sizes, seconds):
    """The exponent p of a least-squares fit seconds ~ c * size**p.

    1 means the cost grows linearly with the size, 0 that it is flat.
    """
    sizes, seconds = _one_dimensional_pair(sizes, seconds)
    if np.any(sizes <= 0) or np.any(seconds <= 0):
        raise ValueError("sizes and seconds must be positive for a log-log"
                         " fit; got a value <= 0")
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def affine_fit(sizes, seconds):
    """The least-squares line seconds ~ fixed + per_unit * size.

    Returns AffineFit(fixed, per_unit): ``fixed`` is the time the line
    gives at size 0, a call's fixed cost; ``per_unit`` the time each
    further unit of work (a pass, a parameter) adds.
    """
    sizes, seconds = _one_dimensional_pair(sizes, seconds)
    per_unit, fixed = np.polyfit(sizes, seconds, 1)
    return AffineFit(float(fixed), float(per_unit))


def _one_dimensional_pair(sizes, seconds):
    sizes = np.asarray(sizes, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    if sizes.shape != seconds.shape or sizes.ndim != 1 or sizes.size < 2:
        raise ValueError(
            "sizes and seconds must be 1-D of one length >= 2; got shapes "
            f"{sizes.shape} and {seconds.shape}")
    return sizes, seconds
