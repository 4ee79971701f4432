"""Data parallelism over compat.nn containers, table modules and criterions under a real mpiexec,
on 2 and 3 ranks (tests/mpi_cases/nn_tables_cases.py)."""
from pathlib import Path

import pytest

from tests.mpi_harness import case_names, check

CASES = Path(__file__).parent / "mpi_cases" / "nn_tables_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("case", case_names(CASES))
def test_nn_tables_data_parallel(case, nprocs):
    check(CASES, nprocs, case)
