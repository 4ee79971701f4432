"""automatedparallelization.comm and compat.torchmpi under a real mpiexec, on 1, 2 and 3 ranks."""
from pathlib import Path

import pytest

from tests.mpi_harness import case_names, case_runs, check

HERE = Path(__file__).parent / "mpi_cases"


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(HERE / "comm_cases.py"))
def test_comm(case, nprocs):
    check(HERE / "comm_cases.py", nprocs, case)


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(HERE / "torchmpi_cases.py"))
def test_torchmpi(case, nprocs):
    check(HERE / "torchmpi_cases.py", nprocs, case)


def _flavour():
    from automatedparallelization import launcher
    return launcher.mpi_flavour(launcher.find_mpiexec())


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_comm_over_tcp_between_hosts_path(nprocs):
    """Open MPI forced onto its TCP transport (--mca btl tcp,self), the path used between machines."""
    if _flavour() != "openmpi":
        pytest.skip("Open MPI only (run the suite with Open MPI: make test-openmpi)")
    from tests.mpi_harness import launch
    path = HERE / "comm_cases.py"
    results, output = launch(path, nprocs, extra_env={"OMPI_MCA_btl": "tcp,self"})
    for case in case_names(path):
        per_rank = results.get(case, {})
        assert sorted(per_rank) == list(range(nprocs)), f"{case} did not finish on every rank\n{output}"
        failed = {r: e["message"] for r, e in per_rank.items() if e["status"] == "fail"}
        assert not failed, f"{case} over TCP failed: {failed}\n{output}"
