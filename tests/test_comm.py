"""automatedparallelization.comm and compat.torchmpi under a real mpiexec, on 1, 2 and 3 ranks."""
from pathlib import Path

import pytest

from tests.mpi_harness import case_names, check

HERE = Path(__file__).parent / "mpi_cases"


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [1, 2, 3])
@pytest.mark.parametrize("case", case_names(HERE / "comm_cases.py"))
def test_comm(case, nprocs):
    check(HERE / "comm_cases.py", nprocs, case)


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [1, 2, 3])
@pytest.mark.parametrize("case", case_names(HERE / "torchmpi_cases.py"))
def test_torchmpi(case, nprocs):
    check(HERE / "torchmpi_cases.py", nprocs, case)
