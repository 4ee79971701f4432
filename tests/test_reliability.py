"""Reliability under a real mpiexec: check mode, stall warnings and aborts, failing ranks at each phase,
harmless imports, bad input to parallelize."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.mpi_harness import REPO, case_names, check
from tests.test_launcher import _torchad_run, job_env

CASES = Path(__file__).parent / "mpi_cases" / "check_mode_cases.py"
INPUT_CASES = Path(__file__).parent / "mpi_cases" / "reliability_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [1, 2, 3])
@pytest.mark.parametrize("case", case_names(CASES))
def test_check_mode(case, nprocs):
    check(CASES, nprocs, case)


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("case", case_names(INPUT_CASES))
def test_parallelize_input_and_architecture(case, nprocs):
    check(INPUT_CASES, nprocs, case)


def _job(tmp_path, nprocs, body, timeout=120, env=None):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(body))
    return _torchad_run("-np", str(nprocs), "python", str(script), timeout=timeout, env=env)


def _python(code, **env):
    """Run ``code`` in a fresh single-process interpreter; returns (exit code, output)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=job_env(**env),
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_import_rebinds_nothing_but_the_excepthook():
    code, out = _python("""
        import builtins, sys
        exit_before, hook_before = sys.exit, sys.excepthook
        import automatedparallelization
        from automatedparallelization import comm
        assert sys.exit is exit_before and builtins.exit is not None
        assert sys.excepthook is comm.lifecycle.abort_on_unhandled and hook_before is sys.__excepthook__
        print("ok")
    """)
    assert code == 0 and "ok" in out, out


def test_settings_are_read_when_first_used():
    code, out = _python("""
        import automatedparallelization
        from automatedparallelization import comm
        try:
            comm.configure()
        except ValueError as exc:
            print("error:", exc)
    """, TORCHAD_STALL_ABORT="soon")
    assert code == 0 and "error: TORCHAD_STALL_ABORT" in out and "'soon'" in out, out
    code, out = _python("""
        import os
        from automatedparallelization import comm
        os.environ["TORCHAD_STALL_WARNING"] = "7"          # set after the import: still honoured
        s = comm.settings.current()
        print("settings", s.stall_warning, s.stall_abort)
    """)
    assert code == 0 and f"settings 7.0 {600.0}" in out, out


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

NONBLOCKING_STALL = """
    import time, torch
    from automatedparallelization import comm
    comm.configure(stall_warning=0, stall_abort=2)
    if comm.rank() == 1:
        time.sleep(60)
    comm.iallreduce_(torch.ones(5), "mean").wait()
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
    code, out, _ = _job(tmp_path, nprocs, STALL.format(warn=0, abort=2, late=60))
    assert code != 0, (code, out)
    assert "stalled collective, aborting the job" in out and "allreduce_(sum)" in out


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_stall_limit_covers_the_nonblocking_mpi_path(tmp_path, nprocs):
    code, out, _ = _job(tmp_path, nprocs, NONBLOCKING_STALL, env={"TORCHAD_SHARED_MEMORY": "0"})
    assert code != 0, (code, out)
    assert "stalled collective, aborting the job" in out and "iallreduce_(mean)" in out, out


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
    code, out, _ = _job(tmp_path, nprocs, PHASES[phase])
    assert code != 0, out
    assert "deliberate failure" in out or "TypeError" in out, out
    if phase != "import":            # before MPI starts, the rank is named by the MPI launcher only
        assert "rank 1 of" in out, out
