"""automatedparallelization.datamodule under a real mpiexec, on 1, 2 and 3 ranks."""
from pathlib import Path

import pytest

from tests.mpi_harness import case_runs, check

CASES = Path(__file__).parent / "mpi_cases" / "datamodule_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(CASES))
def test_datamodule(case, nprocs):
    check(CASES, nprocs, case)
