"""jacolib.timing against a fake clock whose readings we choose, and
against time.sleep for the real one."""

import subprocess
import sys
import time

import numpy as np
import pytest

from jacolib import timing


class FakeClock:
    """A clock that moves only when a timed function says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def tick(self, seconds):
        """Move on by ``seconds`` and read: a clock that runs by itself."""
        self.now += seconds
        return self.now

    def costing(self, seconds, log=None, name=None):
        """A function that 'takes' the given seconds (a list: in turn)."""
        durations = iter(seconds) if isinstance(seconds, list) else None

        def fn():
            self.now += next(durations) if durations else seconds
            if log is not None:
                log.append(name)
        return fn


def test_median_seconds_is_the_median_of_the_timed_calls():
    clock = FakeClock()
    # Two warm-up calls (10, 10) are not timed; then 3, 1, 2.
    fn = clock.costing([10.0, 10.0, 3.0, 1.0, 2.0])
    assert timing.median_seconds(fn, repeats=3, warmup=2,
                                 clock=clock) == 2.0


def test_median_seconds_with_the_real_clock():
    # Only a lower bound: a shared machine can make a call slower, never
    # faster, than the sleep it contains.
    seconds = timing.median_seconds(lambda: time.sleep(0.01), repeats=3,
                                    warmup=0)
    assert seconds >= 0.01


def test_interleaved_calls_rotate_and_return_per_function_medians():
    clock, log = FakeClock(), []
    fns = {name: clock.costing(cost, log, name)
           for name, cost in [("a", 1.0), ("b", 2.0), ("c", 5.0)]}
    medians = timing.interleaved_median_seconds(fns, repeats=3, warmup=1,
                                                clock=clock)
    assert medians == {"a": 1.0, "b": 2.0, "c": 5.0}
    warmups, rounds = log[:3], log[3:]
    assert warmups == ["a", "b", "c"]
    assert rounds == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_interleaved_accepts_a_list_and_returns_a_list():
    clock = FakeClock()
    fns = [clock.costing(4.0), clock.costing(0.5)]
    assert timing.interleaved_median_seconds(
        fns, repeats=2, warmup=0, clock=clock) == [4.0, 0.5]


def test_scaling_sweep_gives_one_array_per_method():
    clock = FakeClock()

    def make_fns(size):
        return {"linear": clock.costing(2.0 * size),
                "flat": clock.costing(3.0)}

    columns = timing.scaling_sweep(make_fns, [1, 10, 100], repeats=3,
                                   clock=clock)
    np.testing.assert_array_equal(columns["linear"], [2.0, 20.0, 200.0])
    np.testing.assert_array_equal(columns["flat"], [3.0, 3.0, 3.0])


def test_scaling_sweep_across_sizes_rotates_over_the_whole_grid():
    clock, log = FakeClock(), []

    def make_fns(size):
        return {"linear": clock.costing(2.0 * size, log, ("linear", size)),
                "flat": clock.costing(3.0, log, ("flat", size))}

    columns = timing.scaling_sweep(make_fns, [1, 10], repeats=3, warmup=0,
                                   clock=clock, across_sizes=True)
    np.testing.assert_array_equal(columns["linear"], [2.0, 20.0])
    np.testing.assert_array_equal(columns["flat"], [3.0, 3.0])
    grid = [("linear", 1), ("flat", 1), ("linear", 10), ("flat", 10)]
    # Each round visits every (method, size) once, starting one later.
    assert log == grid + grid[1:] + grid[:1] + grid[2:] + grid[:2]


def test_scaling_sweep_across_sizes_gives_what_one_size_at_a_time_gives():
    clock = FakeClock()

    def make_fns(size):
        return {"a": clock.costing([size, 3.0 * size, 2.0 * size] * 2),
                "b": clock.costing(7.0)}

    one_at_a_time = timing.scaling_sweep(make_fns, [1, 5], repeats=3,
                                         warmup=0, clock=clock)
    across = timing.scaling_sweep(make_fns, [1, 5], repeats=3, warmup=0,
                                  clock=clock, across_sizes=True)
    for name in ("a", "b"):
        np.testing.assert_array_equal(across[name], one_at_a_time[name])
    np.testing.assert_array_equal(across["a"], [2.0, 10.0])


@pytest.mark.parametrize("fixed, per_unit", [(2e-3, 1.5e-5), (0.0, 1.0),
                                             (4.0, 0.0)])
def test_affine_fit_recovers_a_line(fixed, per_unit):
    sizes = np.array([10, 170, 340, 505, 1000])
    fit = timing.affine_fit(sizes, fixed + per_unit * sizes)
    assert fit.fixed == pytest.approx(fixed, abs=1e-12)
    assert fit.per_unit == pytest.approx(per_unit, abs=1e-14)


def test_affine_fit_is_the_least_squares_line():
    # Points off a line: the fit solves the normal equations.
    sizes = np.array([1.0, 2.0, 4.0, 8.0])
    seconds = np.array([3.0, 2.0, 7.0, 9.0])
    design = np.stack([np.ones_like(sizes), sizes], axis=1)
    expected = np.linalg.solve(design.T @ design, design.T @ seconds)
    np.testing.assert_allclose(timing.affine_fit(sizes, seconds), expected,
                               rtol=1e-12)


def test_affine_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="of one length >= 2"):
        timing.affine_fit([1.0], [2.0])


def test_cpu_clock_is_the_process_time_where_it_ticks_finely():
    assert timing.cpu_clock() is time.process_time  # Linux: ns ticks
    fine = FakeClock()

    def fine_process_time():
        return fine.tick(1e-7)

    assert timing.cpu_clock(process_time=fine_process_time) \
        is fine_process_time


def test_cpu_clock_falls_back_to_the_wall_clock_where_it_is_coarse():
    coarse = FakeClock()

    def coarse_process_time():
        # Reads advance 0.001 s each, but the value moves in 16 ms steps.
        return 0.016 * int(coarse.tick(0.001) / 0.016)

    assert timing.cpu_clock(process_time=coarse_process_time) \
        is time.perf_counter


SLEEP_UNDER_THE_CPU_CLOCK = """
import time
from jacolib import timing
print(timing.median_seconds(lambda: time.sleep(0.02), repeats=3,
                            warmup=0, clock=timing.cpu_clock()))
"""


def test_cpu_clock_measures_work_not_sleep():
    # In a process of its own: the clock counts every thread of the
    # process, and the test process has others (the background builds).
    seconds = float(subprocess.run(
        [sys.executable, "-c", SLEEP_UNDER_THE_CPU_CLOCK],
        capture_output=True, text=True, check=True).stdout)
    assert seconds < 0.01  # asleep, the process uses no processor time


@pytest.mark.parametrize("exponent", [0.0, 1.0, 1.5, 2.0])
def test_loglog_slope_recovers_a_power_law(exponent):
    sizes = np.array([10.0, 30.0, 100.0, 1000.0])
    assert timing.loglog_slope(sizes, 3e-4 * sizes ** exponent) == \
        pytest.approx(exponent, abs=1e-12)


@pytest.mark.parametrize("sizes, seconds, message", [
    ([1.0], [1.0], "of one length >= 2"),
    ([1.0, 2.0], [1.0], "of one length >= 2"),
    ([1.0, 0.0], [1.0, 1.0], "must be positive"),
    ([1.0, 2.0], [1.0, -1.0], "must be positive"),
])
def test_loglog_slope_refuses_bad_input(sizes, seconds, message):
    with pytest.raises(ValueError, match=message):
        timing.loglog_slope(sizes, seconds)


@pytest.mark.parametrize("call, message", [
    (lambda: timing.median_seconds(lambda: None, repeats=0),
     "repeats must be an int >= 1; got 0"),
    (lambda: timing.median_seconds(lambda: None, warmup=-1),
     "warmup must be an int >= 0; got -1"),
    (lambda: timing.interleaved_median_seconds([]),
     "at least one function"),
    (lambda: timing.interleaved_median_seconds([print], repeats=2.5),
     "repeats must be an int >= 1; got 2.5"),
    (lambda: timing.scaling_sweep(lambda size: {}, []),
     "at least one size"),
])
def test_bad_counts_and_empty_inputs_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
