"""automatedparallelization.mappings and parallel_linear under a real mpiexec, on 1, 2 and 3 ranks."""
from pathlib import Path

import pytest

from tests.mpi_harness import case_runs, check

CASES = Path(__file__).parent / "mpi_cases" / "mappings_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(CASES))
def test_mappings(case, nprocs):
    check(CASES, nprocs, case)
