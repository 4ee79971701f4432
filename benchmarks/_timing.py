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
