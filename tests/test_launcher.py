"""torchad-run and abort-on-failure: real jobs under the installed MPI."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from automatedparallelization import launcher
from tests.mpi_harness import REPO

FAILING = textwrap.dedent("""
    import time, torch
    from automatedparallelization import comm
    if comm.rank() == 1:
        time.sleep(0.5)
        raise RuntimeError("deliberate failure on this rank")
    comm.allreduce_(torch.ones(3))          # rank 0 waits here for a partner that never comes
    time.sleep(60)
""")


def _run(cmd, timeout=60):
    """Run ``cmd`` in its own process group; on timeout the whole group (mpiexec and ranks) is killed."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{cmd} still running after {timeout} s (process group killed):\n{out}")
    return proc.returncode, out, time.monotonic() - started


def _torchad_run(*args, timeout=60):
    """The launcher with its own --timeout inside ours, so a hung job's whole process group is
    ended (a killed launcher alone would leave mpiexec and the ranks running)."""
    if args[0] == "-np" and "--timeout" not in args:
        args = ("--timeout", str(max(1, timeout - 10)), *args)
    return _run([sys.executable, "-m", "automatedparallelization.launcher", *args], timeout=timeout)


def test_help_explains_itself():
    code, out, _ = _torchad_run("--help")
    assert code == 0
    for word in ("-np", "--hostfile", "mpiexec", "exit"):
        assert word in out


def test_bad_arguments_are_named():
    code, out, _ = _torchad_run("-np", "0", "python", "-c", "pass")
    assert code == 2 and "-np" in out and "0" in out
    code, out, _ = _torchad_run("-np", "2", "--hostfile", "/nonexistent/hosts", "python", "-c", "pass")
    assert code == 2 and "/nonexistent/hosts" in out
    code, out, _ = _torchad_run("-np", "2")
    assert code == 2 and "program" in out


def test_command_per_flavour(tmp_path):
    hosts = tmp_path / "hosts"
    cmd, env = launcher.build_command(3, ["python", "x.py", "-a"], "/m/mpiexec", "openmpi", str(hosts),
                                      malloc_tuning=False)
    assert cmd[:4] == ["/m/mpiexec", "--oversubscribe", "--bind-to", "none"]
    assert cmd[cmd.index("--hostfile") + 1] == str(hosts)
    assert cmd[-5:] == [sys.executable, "-m", "automatedparallelization.run", "x.py", "-a"]
    assert ("OMPI_ALLOW_RUN_AS_ROOT" in env) == (os.geteuid() == 0)
    cmd, env = launcher.build_command(2, ["./prog"], "/m/mpiexec", "mpich", str(hosts), malloc_tuning=False)
    assert cmd == ["/m/mpiexec", "-f", str(hosts), "-n", "2", "./prog"] and env == {}


def test_malloc_thresholds_for_the_ranks():
    cmd, env = launcher.build_command(2, ["./prog"], "/m/mpiexec", "mpich", environ={})
    assert env == {"MALLOC_MMAP_THRESHOLD_": str(16 << 20), "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}
    assert cmd == ["/m/mpiexec", "-n", "2", "./prog"]       # Hydra passes the whole environment
    cmd, env = launcher.build_command(2, ["./prog"], "/m/mpiexec", "openmpi", environ={})
    assert "MALLOC_TRIM_THRESHOLD_" in env
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        assert cmd[cmd.index(name) - 1] == "-x"                # Open MPI: named, for remote hosts too
    _, env = launcher.build_command(2, ["./prog"], "/m/mpiexec", "mpich", environ={"MALLOC_TRIM_THRESHOLD_": "5"})
    assert env == {"MALLOC_MMAP_THRESHOLD_": str(16 << 20)}  # the user's own setting wins


RANK_ENV = ("import os; g = os.environ.get; "             # one write per rank: MPICH mixes pieces
            "os.write(1, f\"rank env {g('MALLOC_MMAP_THRESHOLD_')} {g('MALLOC_TRIM_THRESHOLD_')}\\n\".encode())")


@pytest.mark.mpi
def test_ranks_get_the_malloc_thresholds(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    code, out, _ = _torchad_run("-np", "2", "python", "-c", RANK_ENV)
    assert code == 0 and out.count(f"rank env {16 << 20} {64 << 20}") == 2, out
    code, out, _ = _torchad_run("-np", "2", "--no-malloc-tuning", "python", "-c", RANK_ENV)
    assert code == 0 and out.count("rank env None None") == 2, out


def test_dry_run_uses_the_installed_mpiexec():
    code, out, _ = _torchad_run("-np", "2", "--dry-run", "python", "script.py")
    assert code == 0 and "mpiexec" in out and "-n 2" in out and out.strip().endswith("script.py")
    assert "MALLOC_TRIM_THRESHOLD_=" in out or "MALLOC_TRIM_THRESHOLD_" in os.environ


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [1, 2, 3])
def test_exit_code_is_passed_through(nprocs):
    code, out, _ = _torchad_run("-np", str(nprocs), "python", "-c", "import sys; sys.exit(3)")
    assert code == 3, out
    code, out, _ = _torchad_run("-np", str(nprocs), "python", "-c", "print('hello')")
    assert code == 0 and out.count("hello") == nprocs, out


def _job_command(via, nprocs, script, monkeypatch):
    """The command starting ``script`` on ``nprocs`` ranks through torchad-run or a bare mpiexec
    (the environment the latter needs goes through ``monkeypatch``, undone after the test)."""
    if via == "torchad-run":
        return [sys.executable, "-m", "automatedparallelization.launcher", "-np", str(nprocs), "python", str(script)]
    mpiexec = launcher.find_mpiexec()
    prefix, env = launcher.build_command(nprocs, [], mpiexec, launcher.mpi_flavour(mpiexec), malloc_tuning=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return prefix + [sys.executable, str(script)]


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("via", ["torchad-run", "mpiexec"])
def test_failing_rank_ends_the_job(tmp_path, monkeypatch, nprocs, via):
    script = tmp_path / "fail.py"
    script.write_text(FAILING)
    code, out, elapsed = _run(_job_command(via, nprocs, script, monkeypatch), timeout=45)
    assert code != 0, out
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert "rank 1 of" in out and "deliberate failure on this rank" in out and "Traceback" in out, out


def test_timeout_ends_a_hung_job():
    code, out, elapsed = _torchad_run("-np", "1", "--timeout", "3", "python", "-c", "import time; time.sleep(30)")
    assert code == 124 and elapsed < 15 and "ending it" in out


def test_malloc_tune_in_process():
    from automatedparallelization import malloc
    with pytest.raises(ValueError, match="mmap_threshold"):
        malloc.tune(mmap_threshold=-1)
    with pytest.raises(ValueError, match="32 MiB"):
        malloc.tune(mmap_threshold=1 << 30)
    with pytest.raises(ValueError, match="trim_threshold"):
        malloc.tune(trim_threshold="64M")
    is_glibc = malloc._glibc() is not None
    assert malloc.tune() is is_glibc


EXITING = textwrap.dedent("""
    import sys, time, torch
    from automatedparallelization import comm
    if comm.rank() == 1:
        time.sleep(0.5)
        {how}
    comm.allreduce_(torch.ones(3))          # the other ranks wait here for rank 1
    time.sleep(60)
""")


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("via,how,status", [
    ("torchad-run", "sys.exit('rank 1: no such data file')", 1),
    ("torchad-run", "raise SystemExit(5)", 5),
    ("mpiexec", "sys.exit(4)", 4),
    ("mpiexec", "sys.exit('rank 1: no such data file')", 1),
])
def test_sys_exit_on_one_rank_ends_the_job(tmp_path, monkeypatch, nprocs, via, how, status):
    script = tmp_path / "exiting.py"
    script.write_text(EXITING.format(how=how))
    code, out, elapsed = _run(_job_command(via, nprocs, script, monkeypatch), timeout=45)
    assert code == status, out
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert f"[rank 1 of {nprocs}] exiting with status {status}" in out, out
    if "no such data file" in how:
        assert "rank 1: no such data file" in out, out
