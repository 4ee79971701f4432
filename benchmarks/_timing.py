"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``, so this folder
is on the import path)."""
import statistics
import time


def median_seconds(fn, rounds):
    """The median wall time of ``rounds`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call_seconds(fn, calls):
    """The wall time of one call of ``fn()``, averaged over ``calls`` calls in a row, in seconds."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls
