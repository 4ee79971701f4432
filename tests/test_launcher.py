"""torchad-run (``torchad_run``) and abort-on-failure: real jobs under the installed MPI."""
import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import torchad_run as launcher
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


def job_env(**extra):
    """The environment of a test job: this checkout first on PYTHONPATH, one thread per rank."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1", **extra)


def _run(cmd, timeout=60, env=None, cwd=REPO):
    """Run ``cmd`` in its own process group; on timeout the whole group (mpiexec and ranks) is killed."""
    env = job_env(**(env or {}))
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{cmd} still running after {timeout} s (process group killed):\n{out}")
    return proc.returncode, out, time.monotonic() - started


def _torchad_run(*args, timeout=60, env=None):
    """The launcher with its own --timeout inside ours, so a hung job's whole process group is
    ended even where the kernel would not end it with the launcher."""
    if args[0] == "-np" and "--timeout" not in args:
        args = ("--timeout", str(max(1, timeout - 10)), *args)
    return _run([sys.executable, "-m", "torchad_run", *args], timeout=timeout, env=env)


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
    code, out, _ = _torchad_run("-np", "2", "--mpiexec", "/nonexistent/mpiexec", "python", "-c", "pass")
    assert code == 2 and "--mpiexec" in out and "/nonexistent/mpiexec" in out, out
    for bad in ("-5", "0"):
        code, out, _ = _torchad_run("-np", "2", "--timeout", bad, "python", "-c", "pass")
        assert code == 2 and "--timeout" in out and bad in out, out


def test_help_states_no_measured_timings():
    code, out, _ = _torchad_run("--help")
    assert code == 0 and " ms " not in out and "went from" not in out, out


def test_launcher_imports_neither_torch_nor_mpi():
    probe = ("import sys, torchad_run; torchad_run.main(['-np', '2', '--dry-run', 'python', 'x.py']); "
             "heavy = sorted(m for m in ('torch', 'mpi4py', 'mpi4py.MPI', 'automatedparallelization') "
             "if m in sys.modules); print('heavy:', heavy)")
    code, out, _ = _run([sys.executable, "-c", probe])
    assert code == 0 and "heavy: []" in out, out


def test_command_per_flavour(tmp_path):
    hosts = tmp_path / "hosts"
    cmd, env = launcher.build_command(3, ["python", "x.py", "-a"], "/m/mpiexec", "openmpi", str(hosts),
                                      malloc_tuning=False)
    assert cmd[:4] == ["/m/mpiexec", "--oversubscribe", "--bind-to", "none"]
    assert cmd[cmd.index("--hostfile") + 1] == str(hosts)
    assert cmd[-5:] == [sys.executable, "-m", "automatedparallelization.run", "x.py", "-a"]
    cmd, env = launcher.build_command(3, ["python", "x.py"], "/m/mpiexec", "openmpi", malloc_tuning=False,
                                      job_dir="/j")
    assert env[launcher.JOB_DIR_ENV] == "/j" and cmd[cmd.index(launcher.JOB_DIR_ENV) - 1] == "-x"
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
        return [sys.executable, "-m", "torchad_run", "-np", str(nprocs), "python", str(script)]
    mpiexec = launcher.find_mpiexec()
    prefix, env = launcher.build_command(nprocs, [], mpiexec, launcher.mpi_flavour(mpiexec), malloc_tuning=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    runner = ["-m", "automatedparallelization.run"] if via.endswith("automatedparallelization.run") else []
    return prefix + [sys.executable, *runner, str(script)]


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("via", ["torchad-run", "mpiexec"])
def test_failing_rank_ends_the_job(tmp_path, monkeypatch, nprocs, via):
    script = tmp_path / "fail.py"
    script.write_text(FAILING)
    code, out, _ = _run(_job_command(via, nprocs, script, monkeypatch), timeout=120)
    assert code != 0, out
    assert "rank 1 of" in out and "deliberate failure on this rank" in out and "Traceback" in out, out


def test_timeout_ends_a_hung_job():
    code, out, _ = _torchad_run("-np", "1", "--timeout", "3", "python", "-c", "import time; time.sleep(300)",
                                timeout=120)
    assert code == 124 and "ending it" in out


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
    ("mpiexec -m automatedparallelization.run", "sys.exit(4)", 4),
])
def test_sys_exit_on_one_rank_ends_the_job(tmp_path, monkeypatch, nprocs, via, how, status):
    script = tmp_path / "exiting.py"
    script.write_text(EXITING.format(how=how))
    code, out, _ = _run(_job_command(via, nprocs, script, monkeypatch), timeout=120)
    assert code == status, out
    assert f"[rank 1 of {nprocs}] exiting with status {status}" in out, out
    if "no such data file" in how:
        assert "rank 1: no such data file" in out, out


RETURNING = textwrap.dedent("""
    import torch
    from automatedparallelization import comm
    if comm.rank() != 1:
        comm.allreduce_(torch.ones(3))      # rank 1 reaches the end of the script without joining
""")


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("how", ["sys.exit(0)", "sys.exit()", "return", "os._exit(0)"])
def test_rank_leaving_early_ends_the_job_naming_it(tmp_path, monkeypatch, nprocs, how):
    """Status 0 on one rank while the others wait for it in a collective: the job fails, naming it."""
    script = tmp_path / "leaving.py"
    script.write_text(RETURNING if how == "return" else EXITING.format(how=f"import os; {how}"))
    code, out, _ = _run(_job_command("torchad-run", nprocs, script, monkeypatch), timeout=120)
    assert code != 0, out
    if how == "os._exit(0)":     # no exit record: MPICH may end the job with 0, then the launcher fails it
        assert _reports_os_exit(out), out
    else:
        # every waiting rank that has marked its wait is named (rank 1 never is)
        pattern = rf"rank 1 exited with status 0 while ranks? (0|2|0, 2) of {nprocs} waits? in allreduce_\(sum\)"
        assert re.search(pattern, out), out


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_bare_mpiexec_with_a_job_dir_detects_a_rank_that_left(tmp_path, monkeypatch, nprocs):
    """Without the runner the status is unknown, but the rank that left is still named."""
    script = tmp_path / "leaving.py"
    script.write_text(EXITING.format(how="sys.exit(4)"))
    monkeypatch.setenv(launcher.JOB_DIR_ENV, str(tmp_path))
    code, out, _ = _run(_job_command("mpiexec", nprocs, script, monkeypatch), timeout=120)
    assert code != 0, out
    assert "rank 1 exited with status unknown while rank" in out and "allreduce_(sum)" in out, out


WAITING = textwrap.dedent("""
    import sys, time, torch
    from automatedparallelization import comm
    comm.barrier()
    if comm.rank() == 0:
        sys.stdout.write("ready\\n")
        sys.stdout.flush()
    if comm.rank() == 1:
        time.sleep(600)
    comm.allreduce_(torch.ones(3))          # the other ranks wait here for rank 1
""")


def _live_members(sid):
    """Pids of the processes (zombies excluded) of session ``sid``: the launcher started with
    ``start_new_session`` and everything it started, even ranks that Open MPI puts in process
    groups of their own."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(entry))
    return pids


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_one_signal_to_the_launcher_ends_the_whole_job(tmp_path, nprocs, signame):
    script = tmp_path / "waiting.py"
    script.write_text(WAITING)
    env = job_env()
    proc = subprocess.Popen([sys.executable, "-m", "torchad_run", "-np", str(nprocs), "python", str(script)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        for line in proc.stdout:
            if "ready" in line:
                break
        os.kill(proc.pid, getattr(signal, signame))
        code = proc.wait(timeout=60)
        deadline = time.monotonic() + 60      # a generous bound: the job must end, not hang
        while _live_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _live_members(proc.pid)
    finally:
        for pid in [proc.pid, *_live_members(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
    assert code != 0
    assert not left, f"still running after {signame} to the launcher: {left}"


OS_EXIT = ("import os, time\nif int(os.environ.get('PMI_RANK', os.environ.get('OMPI_COMM_WORLD_RANK', 0))) == 1: "
           "os._exit(0)\ntime.sleep(1)")


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_a_rank_that_did_not_finish_fails_the_job(nprocs):
    """MPICH ends a job whose rank called os._exit(0) with status 0; the missing record fails it."""
    code, out, _ = _torchad_run("-np", str(nprocs), "python", "-c", OS_EXIT)
    assert code != 0, out
    assert _reports_os_exit(out), out


@pytest.mark.mpi
def test_no_finish_check_passes_the_exit_code_through():
    """MPICH at 2 ranks ends a job whose rank called os._exit(0) with status 0: so does the
    launcher without its check; Open MPI reports the rank itself."""
    code, out, _ = _torchad_run("-np", "2", "--no-finish-check", "python", "-c", OS_EXIT)
    assert "did not finish" not in out, out
    if launcher.mpi_flavour(launcher.find_mpiexec()) == "mpich":
        assert code == 0, out


def _reports_os_exit(out):
    """The launcher's report of a rank without an exit record (MPICH at 2 ranks returns 0), or the
    MPI's own report of a rank that ended without MPI_Finalize (MPICH at 3 ranks, Open MPI)."""
    return ("rank 1 did not finish" in out or "BAD TERMINATION" in out
            or "without calling" in out.replace("\n", " "))


SUBGROUP = textwrap.dedent("""
    import sys, time, torch
    from automatedparallelization import comm
    sub = comm.split(0 if comm.rank() < 2 else 1)
    if comm.rank() == 2:
        sys.exit(0)                         # leaves early, but nobody waits for it
    time.sleep(0.2 if comm.rank() == 0 else 6)
    comm.allreduce_(torch.ones(3), comm=sub)   # rank 0 waits ~6 s for rank 1, not for rank 2
    sys.stdout.write(f"[done on rank {comm.rank()}]\\n")
""")


@pytest.mark.mpi
def test_a_rank_leaving_is_no_failure_for_collectives_without_it(tmp_path):
    script = tmp_path / "subgroup.py"
    script.write_text(SUBGROUP)
    code, out, _ = _torchad_run("-np", "3", "python", str(script), timeout=120)
    assert code == 0, out
    assert "[done on rank 0]" in out and "[done on rank 1]" in out and "exited with status" not in out, out


def test_finish_records(tmp_path):
    assert launcher.read_records(tmp_path) == {} and launcher.read_records(tmp_path / "absent") == {}
    launcher.write_record(tmp_path, 0, 0)
    launcher.write_record(tmp_path, 2, None)
    launcher.write_record(tmp_path, 3, 7)
    assert launcher.read_records(tmp_path) == {0: 0, 2: None, 3: 7}
    assert launcher.unfinished(tmp_path, 4) == [(1, "none"), (2, None), (3, 7)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank0.exit", "rank2.exit", "rank3.exit"]


# A middle process starts a rank-like child (PMI_RANK set, as a process manager does), prints the
# child's pid, and waits; the test kills the middle one as SIGKILL kills an MPI daemon.
MIDDLE = textwrap.dedent("""
    import os, subprocess, sys, time
    log = open(sys.argv[2], "w")
    # "pipe": the rank's stderr is a pipe only this process reads (as under mpiexec), broken by its death
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env=dict(os.environ, PMI_RANK="0"),
                             stderr=subprocess.PIPE if sys.argv[3] == "pipe" else log)
    if sys.argv[3] == "pipe":
        child.stderr.readline()
        log.write("watching\\n")
        log.flush()
    print(child.pid, flush=True)
    time.sleep(120)
""")
RANK = ("import sys, time\nfrom automatedparallelization import run\nassert run.watch_parent(poll=0.05) is not None\n"
        "sys.stderr.write('watching\\n')\nsys.stderr.flush()\ntime.sleep(120)")


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("stderr", ["file", "pipe"])
def test_a_rank_ends_itself_when_its_process_manager_is_killed(tmp_path, stderr):
    """SIGKILL to the daemon that started a rank (so that it cannot end its ranks): the rank ends
    itself, and says why on stderr (a file here; a pipe to the dead daemon loses the line, and the
    rank must end all the same)."""
    log = tmp_path / "rank.err"
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, RANK, str(log), stderr], cwd=REPO, env=job_env(),
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(middle.stdout.readline())
    try:
        deadline = time.monotonic() + 60
        while "watching" not in log.read_text() and time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert _alive(child), log.read_text()            # the watch alone does not end a rank
        middle.kill()
        middle.wait()
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the rank outlived its process manager"
        assert stderr == "pipe" or "MPI process manager that started it" in log.read_text()
    finally:
        middle.stdout.close()
        for pid in (middle.pid, child):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_no_parent_watch_outside_a_process_manager(monkeypatch):
    """A program started from a shell (no PMI_RANK, OMPI_COMM_WORLD_RANK or PMIX_RANK) keeps running
    when that shell goes, as under nohup: no watch is started."""
    from automatedparallelization import run
    for name in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert run.watch_parent() is None
