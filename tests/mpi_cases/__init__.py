"""Multi-rank test cases, run by tests.mpi_harness under a real mpiexec (see tests/mpi_worker.py)."""


class SkipCase(Exception):
    """Raise inside a case to skip it on this launch."""


def needs_ranks(*counts):
    """Run the decorated case only when the launch has one of these rank counts."""
    def mark(fn):
        fn.needs_ranks = set(counts)
        return fn
    return mark
