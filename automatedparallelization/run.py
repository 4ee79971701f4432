"""``python -m automatedparallelization.run SCRIPT [ARGS]`` (also ``-m MODULE``, ``-c CODE``).

Runs a program on this rank with MPI started and the abort-on-failure hook installed *before* any of
the program's own code, so that a failure anywhere -- even while the script imports its modules --
ends the whole job with this rank's traceback instead of leaving the other ranks waiting (as
``python -m mpi4py`` does), and so does a non-zero ``sys.exit``/``SystemExit``. When the program
ends, by its last line or a ``SystemExit``, the rank writes its exit record (see
:mod:`automatedparallelization.watchdog`): the launcher checks that every rank finished, and the
other ranks' watchdogs end the job at once if they wait for this one in a collective.
``torchad-run`` starts every Python rank through it.

A rank started by an MPI process manager (``mpiexec``'s local daemon is its parent) also ends
itself, with status 1 and a line on stderr, within a second of that parent going away: killed
with ``SIGKILL`` (as when ``torchad-run`` itself is killed and takes ``mpiexec`` with it), the
daemon cannot end its ranks, and a rank that is not inside an MPI call would never notice.
"""
import atexit
import io
import os
import re
import runpy
import sys
import threading
import time

import torchad_job
from automatedparallelization import comm  # (MPI_Init and the abort hook, before the program)

# set by the MPI process managers (MPICH's hydra, Open MPI's PRRTE) in the ranks they start
_MANAGED = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
PARENT_POLL = 1.0

USAGE = "usage: python -m automatedparallelization.run (SCRIPT | -m MODULE | -c CODE) [ARGS...]"


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stderr.write(USAGE + "\n")
        return 0 if argv else 2
    if argv[0] in ("-m", "-c"):
        if len(argv) < 2:
            sys.stderr.write(f"{argv[0]}: expected an argument\n{USAGE}\n")
            return 2
        kind, target, rest = argv[0], argv[1], argv[2:]
        if kind == "-m":
            sys.argv = [target, *rest]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *rest]
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
        return 0
    sys.argv = list(argv)
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(argv[0])))
    runpy.run_path(argv[0], run_name="__main__")
    return 0


class LineWriter(io.RawIOBase):
    """A rank's stdout or stderr that hands the file descriptor whole lines only, each in one
    ``write`` and after ``prefix``: the lines of several ranks, merged by the MPI process manager,
    never interleave inside a line. A line ends at ``\\n`` or ``\\r`` (progress bars); a part line waits
    for its end, up to :data:`MAX_PENDING` bytes, or for :meth:`close` (the program's end)."""

    MAX_PENDING = 1 << 16

    def __init__(self, fd, prefix=b""):
        super().__init__()
        self.fd, self.prefix, self.pending = fd, prefix, bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.pending += data
        end = max(self.pending.rfind(b"\n"), self.pending.rfind(b"\r")) + 1
        if end == 0 and len(self.pending) >= self.MAX_PENDING:
            end = len(self.pending)
        if end:
            lines, self.pending = bytes(self.pending[:end]), self.pending[end:]
            self._emit(lines)
        return len(data)

    def _emit(self, lines):
        if self.prefix:
            parts = re.split(rb"(?<=[\r\n])", lines)
            lines = b"".join(self.prefix + part for part in parts if part)
        view = memoryview(lines)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self):
        if not self.closed and self.pending:
            lines, self.pending = bytes(self.pending), bytearray()
            self._emit(lines)
        super().close()


def line_output(rank, tag=None):
    """Make ``sys.stdout`` and ``sys.stderr`` :class:`LineWriter`\\ s (prefixed with ``[rank] `` when
    ``tag``, default: ``$TORCHAD_TAG_OUTPUT`` set by ``torchad-run --tag-output``); the part line a
    stream holds is written when the program ends."""
    tag = os.environ.get(torchad_job.TAG_OUTPUT_ENV, "") not in ("", "0") if tag is None else tag
    prefix = f"[{rank}] ".encode() if tag else b""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        if old is None or isinstance(getattr(old, "buffer", None), LineWriter):
            continue
        old.flush()
        raw = LineWriter(fd, prefix)
        stream = io.TextIOWrapper(raw, encoding=old.encoding, errors=old.errors, write_through=True)
        setattr(sys, name, stream)
        atexit.register(stream.close)


def watch_parent(poll=PARENT_POLL):
    """Under an MPI process manager: a daemon thread that ends this process (status 1) once its
    parent, the manager's daemon, is gone. Returns the thread, or None outside a manager (a
    program started from a shell keeps running when the shell goes, as with ``nohup``)."""
    if not any(name in os.environ for name in _MANAGED):
        return None
    parent, rank = os.getppid(), comm.rank()     # (no MPI call from the thread)

    def watch():
        while os.getppid() == parent:
            time.sleep(poll)
        try:                                      # stderr may have been a pipe to the manager
            sys.stderr.write(f"rank {rank}: the MPI process manager that started it (pid {parent}) "
                             f"is gone, so the job is over; ending this rank\n")
            sys.stderr.flush()
        finally:
            os._exit(1)
    thread = threading.Thread(target=watch, name="torchad-parent-watch", daemon=True)
    thread.start()
    return thread


def _main_guarded(argv):
    """main(), then exit; a non-zero status (``sys.exit(2)``, ``raise SystemExit("bad input")``,
    argparse errors) on one rank ends the whole job with that status instead of leaving the other
    ranks waiting; any status is recorded (:func:`comm.note_exit`)."""
    watch_parent()
    line_output(comm.rank())
    try:
        raise SystemExit(main(argv))
    except SystemExit as exc:
        comm.note_exit(exc)
        raise


if __name__ == "__main__":
    _main_guarded(sys.argv[1:])
