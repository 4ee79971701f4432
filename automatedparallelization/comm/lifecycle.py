"""How a rank ends: the abort-on-failure ``sys.excepthook``, aborting the job after flushing this
rank's last words, and the exit record that tells the launcher and the other ranks' watches that
this rank has left its program (see :mod:`automatedparallelization.watchdog`)."""
import atexit
import logging
import os
import sys
import time
import traceback

import numpy as np
import torch
from mpi4py import MPI

import torchad_job
from automatedparallelization import watchdog as _watchdog

logger = logging.getLogger(__name__)


def flush_then_abort(quiet=False):
    """Abort the job, after giving mpiexec's output forwarding a moment to pass our last words on.
    ``quiet``: the launcher reports the failure, so the MPI library's own abort line is dropped."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.5)
    if quiet:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    MPI.COMM_WORLD.Abort(1)


_PACKAGES = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: where a failing rank's short traceback leaves out frames (the program's own frames stay)
LIBRARY_DIRS = tuple(os.path.dirname(os.path.dirname(m.__file__)) + os.sep for m in (torch, np)) + (
    os.path.join(_PACKAGES, "automatedparallelization") + os.sep,
    os.path.join(_PACKAGES, "compat") + os.sep,
    os.path.dirname(traceback.__file__) + os.sep,
)


def report_to_launcher(exc_type, exc, tb, world):
    """Under ``torchad-run``: record this rank's failure in the job directory, for the launcher's
    one report of the job. False (nothing written) without a job directory or when writing fails."""
    folder = torchad_job.job_dir()
    if folder is None:
        return False
    try:
        torchad_job.write_failure(folder, torchad_job.describe_failure(
            exc_type, exc, tb, world.Get_rank(), world.Get_size(), LIBRARY_DIRS))
    except Exception as err:                    # the plain traceback on stderr then
        logger.warning("could not record this rank's failure in %s: %s", folder, err)
        return False
    return True


def abort_on_unhandled(exc_type, exc, tb):
    """sys.excepthook: record (under ``torchad-run``) or print this rank's traceback, then end every
    rank instead of leaving them waiting."""
    if not MPI.Is_initialized() or MPI.Is_finalized() or MPI.COMM_WORLD.Get_size() == 1:
        return _previous_hook(exc_type, exc, tb)
    world = MPI.COMM_WORLD
    if report_to_launcher(exc_type, exc, tb, world):
        return flush_then_abort(quiet=True)
    header = f"[rank {world.Get_rank()} of {world.Get_size()}] unhandled {exc_type.__name__}; aborting the job\n"
    sys.stderr.write(header + "".join(traceback.format_exception(exc_type, exc, tb)))
    flush_then_abort()


_previous_hook = sys.__excepthook__


def install_abort_hook():
    """Make an unhandled exception (Ctrl-C included) on any rank end the whole job, with that rank's
    traceback, instead of leaving the other ranks waiting in their next collective: sets
    ``sys.excepthook`` (the one it replaces still handles single-process runs). Also registers an
    ``atexit`` function that, when the program runs with a job directory (``$TORCHAD_JOB_DIR``, set
    by ``torchad-run``), writes this rank's exit record, status unknown, unless :func:`note_exit`
    wrote it already (see :mod:`automatedparallelization.watchdog`).
    ``import automatedparallelization`` calls it; idempotent."""
    global _previous_hook
    if sys.excepthook is not abort_on_unhandled:
        _previous_hook = sys.excepthook
        sys.excepthook = abort_on_unhandled
        atexit.register(_record_exit, None)


def exit_status(code):
    """The process exit status Python gives ``SystemExit(code)``: 0 for None, the int itself, 1 for
    anything else (a message)."""
    if code is None:
        return 0
    return int(code) if isinstance(code, int) else 1


def note_exit(exc):
    """For a ``SystemExit`` leaving this rank's program (``automatedparallelization.run`` calls it):
    record the exit for the launcher and the other ranks' watchdogs (see
    :mod:`automatedparallelization.watchdog`) and, with a non-zero status and more than one rank,
    make Python's exit end the whole job with that status (mpi4py's ``MPI_Abort`` at exit, after
    every ``finally`` block has run) instead of ``MPI_Finalize``, which would leave the other ranks
    waiting in their next collective. Returns the status."""
    status = exit_status(exc.code)
    if not MPI.Is_initialized() or MPI.Is_finalized():
        return status
    world = MPI.COMM_WORLD
    # a non-zero status ends the job with that status by itself: no record, which the other
    # ranks' watchdogs would race to turn into an abort with status 1
    _record_exit(status, write=not status)
    if status and world.Get_size() > 1 and not getattr(exc, "_torchad_noted", False):
        exc._torchad_noted = True
        sys.stderr.write(f"[rank {world.Get_rank()} of {world.Get_size()}] exiting with status {status}; "
                         f"this ends the whole job\n")
        sys.stderr.flush()
        from mpi4py.run import set_abort_status
        set_abort_status(status)
    return status


_recorded = False


def _record_exit(status, write=True):
    """Write this rank's exit record into the job directory, once (nothing without one);
    ``write=False`` only marks it as done."""
    global _recorded
    folder = _watchdog.job_dir()
    if folder is None or _recorded or MPI.Is_finalized():
        return
    _recorded = True
    if not write:
        return
    try:
        torchad_job.write_record(folder, MPI.COMM_WORLD.Get_rank(), status)
    except OSError as exc:
        logger.warning("could not write this rank's exit record in %s: %s", folder, exc)
