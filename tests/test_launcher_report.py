"""What a user of torchad-run sees: one report per failed job, a program checked before MPI starts,
whole lines from every rank (optionally tagged with the rank), and files several ranks write under
one name (optim.Logger) that stay well formed. Real jobs under the installed MPI."""
import io
import os
import stat
import sys
import textwrap

import pytest

import torchad_job
import torchad_run as launcher
from automatedparallelization.run import LineWriter
from tests.test_launcher import _run, _torchad_run


def test_a_missing_program_is_one_line_and_starts_no_mpi(tmp_path):
    marker = tmp_path / "mpiexec-ran"
    fake = tmp_path / "mpiexec"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    for program in (["python", str(tmp_path / "missing.py")], ["python", "-m", "no_such_module_here"],
                    ["no-such-command-here"]):
        code, out, _ = _run([sys.executable, "-m", "torchad_run", "--mpiexec", str(fake), "-np", "2", *program])
        assert code == 2, out
        assert out.count("\n") == 1 and out.startswith("torchad-run: "), out
        assert not marker.exists(), f"mpiexec was started for {program}"
    assert "missing.py" in out or "no-such-command-here" in out


RAISES = textwrap.dedent("""
    import time
    from automatedparallelization import comm
    import helper_module
    if comm.rank() == {failing}:
        helper_module.check(4)
    time.sleep(30)
""")
HELPER = "def check(n):\n    if n != 3:\n        raise ValueError(f'size mismatch: expected 3, got {n}')\n"


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_a_failing_rank_is_reported_once_with_the_others_status(tmp_path, nprocs):
    failing = nprocs - 1
    (tmp_path / "helper_module.py").write_text(HELPER)
    script = tmp_path / "train.py"
    script.write_text(RAISES.format(failing=failing))
    code, out, _ = _torchad_run("-np", str(nprocs), "python", str(script), timeout=120)
    assert code != 0, out
    assert out.count("size mismatch: expected 3, got 4") == 1, out
    assert out.count("Traceback") == 1, out
    assert f"rank {failing} of {nprocs} raised ValueError first" in out, out
    assert "helper_module.py" in out and "train.py" in out, out
    assert "runpy" not in out and "automatedparallelization" not in out, out
    others = [line.strip() for line in out.splitlines() if line.strip().startswith("rank ")]
    assert sorted(others) == [f"rank {r}: stopped when the job ended (still running)" for r in range(nprocs)
                              if r != failing], out
    log = out.split("full tracebacks of every failed rank in ")[1].split()[0]
    try:
        text = open(log, encoding="utf-8").read()
        assert "runpy" in text and "size mismatch" in text and f"==== rank {failing} of {nprocs}" in text
    finally:
        os.unlink(log)


@pytest.mark.mpi
def test_verbose_reports_the_full_traceback(tmp_path):
    (tmp_path / "helper_module.py").write_text(HELPER)
    script = tmp_path / "train.py"
    script.write_text(RAISES.format(failing=1))
    code, out, _ = _torchad_run("--verbose", "-np", "2", "python", str(script), timeout=120)
    assert code != 0 and "runpy" in out and out.count("size mismatch: expected 3, got 4") == 1, out
    os.unlink(out.split("full tracebacks of every failed rank in ")[1].split()[0])


PROGRESS = textwrap.dedent("""
    import sys
    from automatedparallelization import comm
    for i in range(300):
        sys.stdout.write(f"rank {comm.rank()}: {i}/300 ...")
        sys.stdout.flush()
        sys.stdout.write(" ok\\n")
    print("warning line", file=sys.stderr)
""")


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("tag", [False, True])
def test_lines_of_several_ranks_never_interleave(tmp_path, nprocs, tag):
    script = tmp_path / "progress.py"
    script.write_text(PROGRESS)
    args = ["--tag-output"] if tag else []
    code, out, _ = _torchad_run(*args, "-np", str(nprocs), "python", str(script), timeout=120)
    assert code == 0, out
    lines = out.splitlines()
    assert len(lines) == nprocs * 301, out[-2000:]
    for line in lines:
        rank = line.split(": ")[0].split()[-1] if "rank" in line else None
        if tag:
            assert line.startswith("["), line
            tagged, _, line = line.partition("] ")
            assert rank is None or tagged == f"[{rank}", line
        assert line == "warning line" or (line.startswith("rank ") and line.endswith("/300 ... ok")), line


def test_line_writer_holds_part_lines_and_prefixes_each_line():
    r, w = os.pipe()
    try:
        raw = LineWriter(w, b"[3] ")
        stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
        stream.write("epoch 1 ...")
        stream.flush()
        os.set_blocking(r, False)
        with pytest.raises(BlockingIOError):
            os.read(r, 100)                     # a part line waits for its end
        stream.write(" done\nstep 1\rstep 2\rtail")
        assert os.read(r, 100) == b"[3] epoch 1 ... done\n[3] step 1\r[3] step 2\r"
        stream.close()                          # the program's end writes the part line
        assert os.read(r, 100) == b"[3] tail"
    finally:
        os.close(r)
        os.close(w)


LOGGING = textwrap.dedent("""
    from compat import optim
    from automatedparallelization import comm
    logger = optim.Logger('train.log')
    logger.setNames(['loss', 'rank'])
    for i in range(200):
        logger.add([1.0 / (i + 1), comm.rank()])
    comm.barrier()
""")


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
def test_ranks_logging_to_one_name_leave_well_formed_files(tmp_path, nprocs):
    script = tmp_path / "log.py"
    script.write_text(LOGGING)
    cmd = [sys.executable, "-m", "torchad_run", "--timeout", "100", "-np", str(nprocs), "python", str(script)]
    code, out, _ = _run(cmd, timeout=120, cwd=tmp_path)
    assert code == 0, out
    for rank in range(nprocs):
        path = tmp_path / ("train.log" if rank == 0 else f"train.log.rank{rank}")
        lines = path.read_text().splitlines()
        assert lines[0] == "loss\trank\t" and len(lines) == 201, (path, lines[:3])
        assert all(line.split("\t")[1] == format(rank, "11.4e") for line in lines[1:]), path


@pytest.mark.parametrize("flavour, line, fix", [
    ("mpich", "node1 slots=4", "node1:4"),
    ("openmpi", "node1:4", "node1 slots=4"),
])
def test_a_hostfile_in_the_other_mpis_syntax_names_the_fix(tmp_path, flavour, line, fix):
    hostfile = tmp_path / "hosts"
    hostfile.write_text(f"# cluster\n{line}\n")
    problem = launcher.hostfile_problem(str(hostfile), flavour)
    assert problem and "line 2" in problem and fix in problem, problem
    hostfile.write_text(f"{fix}\n")
    assert launcher.hostfile_problem(str(hostfile), flavour) is None


def test_failure_records_order_by_time(tmp_path):
    for rank, when in ((2, 5.0), (0, 7.0), (1, 3.0)):
        torchad_job.write_failure(tmp_path, {"rank": rank, "time": when, "type": "E", "message": "m",
                                             "short": "s", "full": "f"})
    assert [f["rank"] for f in torchad_job.read_failures(tmp_path)] == [1, 2, 0]
    block, full = launcher.failure_report(tmp_path, 4)
    assert block.startswith("torchad-run: the job failed: rank 1 of 4 raised E first")
    assert "rank 3: stopped when the job ended" in block and "rank 2: also raised E: m" in block
