"""Reliability under a real mpiexec: check mode, stall warnings and aborts, failing ranks at each phase."""
import textwrap
from pathlib import Path

import pytest

from tests.mpi_harness import case_names, check
from tests.test_launcher import _torchad_run

CASES = Path(__file__).parent / "mpi_cases" / "check_mode_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [1, 2, 3])
@pytest.mark.parametrize("case", case_names(CASES))
def test_check_mode(case, nprocs):
    check(CASES, nprocs, case)


def _job(tmp_path, nprocs, body, timeout=60):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(body))
    return _torchad_run("-np", str(nprocs), "python", str(script), timeout=timeout)


STALL = """
    import logging, sys, time, torch
    from automatedparallelization import comm
    logging.basicConfig(level=logging.WARNING)
    comm.configure(stall_warning={warn}, stall_abort={abort})
    if comm.rank() == 1:
        time.sleep({late})
    comm.allreduce_(torch.ones(5))
    sys.stdout.write(f"[done on rank {{comm.rank()}}]\\n")   # one write: ranks' outputs may interleave
"""


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_stall_warning_names_waiting_ranks_and_operation(tmp_path, nprocs):
    code, out, _ = _job(tmp_path, nprocs, STALL.format(warn=1, abort=0, late=4))
    assert code == 0, out
    assert all(f"[done on rank {r}]" in out for r in range(nprocs)), out
    for r in range(nprocs):
        named = f"rank {r} of {nprocs} has waited"
        assert (named in out) == (r != 1), out       # every waiting rank names itself; rank 1 never waited
    assert "allreduce_(sum)" in out and "torch.float32" in out


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_stall_limit_aborts_the_job(tmp_path, nprocs):
    code, out, elapsed = _job(tmp_path, nprocs, STALL.format(warn=0, abort=2, late=60))
    assert code != 0 and elapsed < 15, (code, elapsed, out)
    assert "stalled collective, aborting the job" in out and "allreduce_(sum)" in out


PHASES = {
    "import": """
        import sys
        if int(__import__('os').environ.get('PMI_RANK', __import__('os').environ.get('OMPI_COMM_WORLD_RANK', 0))) == 1:
            raise ImportError("deliberate failure while importing, on this rank")
        import torch
        from automatedparallelization import comm
        comm.allreduce_(torch.ones(2))
    """,
    "mid-training": """
        import torch
        from automatedparallelization import comm
        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(1000):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad(); loss.backward()
            if comm.rank() == 1 and step == 5:
                raise FloatingPointError("deliberate failure mid-training, on this rank")
            for p in model.parameters():
                comm.allreduce_(p.grad, "mean")
            opt.step()
    """,
    "inside a collective": """
        import torch
        from automatedparallelization import comm
        t = torch.ones(3) if comm.rank() != 1 else [1.0, 2.0, 3.0]   # rank 1 passes a list: TypeError
        comm.allreduce_(t)
    """,
}


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("phase", sorted(PHASES))
def test_failing_rank_at_each_phase_ends_the_job(tmp_path, nprocs, phase):
    code, out, elapsed = _job(tmp_path, nprocs, PHASES[phase], timeout=60)
    assert code != 0, out
    assert elapsed < 10, f"{phase}: took {elapsed:.1f} s\n{out}"
    assert "deliberate failure" in out or "TypeError" in out, out
    if phase != "import":            # before MPI starts, the rank is named by the MPI launcher only
        assert "rank 1 of" in out, out
