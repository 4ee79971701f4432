"""The stall watchdog: no collective of this library waits forever.

:mod:`automatedparallelization.comm` brackets every collective it issues -- blocking ones around
the call, non-blocking ones around their ``wait()``, shared-memory ones around both barriers -- with
:meth:`Watchdog.begin` / :meth:`Watchdog.end`, which only record what is pending (a few attribute
writes). A daemon thread, started by the first collective, looks at the pending operation once a
second (more often for limits under 4 s) and

- warns once per operation after ``stall_warning`` seconds (default 60, Horovod's stall
  inspector), naming this rank and the operation; the ranks that report no such wait are the ones
  that never joined it;
- ends the whole job with status 1 after ``stall_abort`` seconds (default 600, the timeout of
  PyTorch's NCCL process groups; 0 means never);
- ends the whole job with status 1 when a rank of the pending operation's communicator has already
  left its program: it wrote its exit record (see below) and will never join. The operation must
  have been pending for :data:`GRACE` seconds and the record seen :data:`GRACE` seconds before, so
  that a rank finishing the last collective a moment after its partner left is not mistaken for
  a stalled one.

Exit records are files in the job directory ``$TORCHAD_JOB_DIR`` (format: :mod:`torchad_job`).
``torchad-run`` creates that directory and every rank it starts writes its record when its program
ends; under a bare ``mpiexec``, point ``TORCHAD_JOB_DIR`` at a directory every rank sees to get the
same (each rank then writes its record at exit, with the status unknown); it must be a fresh,
empty directory for every job, as the launcher's is. While a rank has waited a second or more in
one collective it also keeps a ``rank<R>.wait`` file there, so that the message ending the job names
every waiting rank.

The watchdog is given the world communicator and the function that ends the job; it never
imports mpi4py itself.
"""
import logging
import os
import sys
import threading
import time

import torchad_job

logger = logging.getLogger(__name__)

GRACE = 2.0


def job_dir():
    """The job directory of exit records, or None (read when used: the launcher sets it per job)."""
    return os.environ.get(torchad_job.JOB_DIR_ENV) or None


class Watchdog:
    """Watches the collective this process is inside (see the module docstring)."""

    def __init__(self, settings, world, abort):
        self.settings, self.world, self.abort = settings, world, abort
        self.pending = None          # (sequence number, description, tensor or None, comm, start time)
        self.sequence = 0
        self.thread = None
        self._seen = {}              # world rank -> monotonic time its exit record was first seen
        self._marked = None          # the sequence number this rank's wait mark names

    def begin(self, what, comm, tensor=None):
        self.sequence += 1
        self.pending = (self.sequence, what, tensor, comm, time.monotonic())
        if self.thread is None:
            s = self.settings()
            if s.stall_warning or s.stall_abort or job_dir():
                self.thread = threading.Thread(target=self._run, name="torchad-stall-watchdog", daemon=True)
                self.thread.start()

    def end(self):
        self.pending = None

    def _run(self):
        warned = None
        while True:
            s = self.settings()
            limits = [x for x in (s.stall_warning, s.stall_abort) if x > 0]
            time.sleep(min([1.0] + [x / 4 for x in limits]))
            pending = self.pending
            self._mark_waiting(pending)
            if pending is None:
                continue
            seq, what, tensor, comm, started = pending
            waited = time.monotonic() - started
            self._check_exits(seq, what, comm, waited)
            shape = "" if tensor is None else f" ({tensor.dtype}, shape {tuple(tensor.shape)})"
            where = (f"rank {comm.Get_rank()} of {comm.Get_size()} has waited {waited:.0f} s in {what} "
                     f"#{seq}{shape}; the ranks that report no such wait have not joined it (skipped or "
                     f"reordered collective, or uneven work)")
            if s.stall_abort and waited >= s.stall_abort:
                self._end_job(f"torchad: stalled collective, aborting the job after {s.stall_abort:g} s "
                              f"(TORCHAD_STALL_ABORT): {where}")
            if s.stall_warning and waited >= s.stall_warning and warned != seq:
                warned = seq
                logger.warning("stalled collective: %s", where)

    def _check_exits(self, seq, what, comm, waited):
        folder = job_dir()
        if folder is None:
            return
        now, me = time.monotonic(), self.world.Get_rank()
        gone = []
        for r, status in sorted(torchad_job.read_records(folder).items()):
            if r == me:
                continue
            first = self._seen.setdefault(r, now)
            if waited >= GRACE and now - first >= GRACE and self._member(r, comm):
                gone.append(f"rank {r} exited with status {'unknown' if status is None else status}")
        if gone:
            waiting = sorted({me} | self._waiting_ranks(folder))
            who = (f"rank {me} of {self.world.Get_size()} waits" if len(waiting) == 1 else
                   f"ranks {', '.join(map(str, waiting))} of {self.world.Get_size()} wait")
            self._end_job(f"torchad: {', '.join(gone)} while {who} in "
                          f"{what} #{seq}; it will never join: aborting the job (on rank {me})")

    def _mark_waiting(self, pending):
        """Keep ``rank<R>.wait`` in the job directory while this rank has waited :data:`GRACE` / 2
        seconds or more in one collective, so that the message ending the job names every waiting rank."""
        folder = job_dir()
        if folder is None:
            return
        seq = pending[0] if pending is not None and time.monotonic() - pending[4] >= GRACE / 2 else None
        if seq == self._marked:
            return
        path = os.path.join(folder, f"rank{self.world.Get_rank()}.wait")
        try:
            if seq is None:
                os.unlink(path)
            else:
                with open(path, "w") as f:
                    f.write(f"{pending[1]} #{seq}")
            self._marked = seq
        except OSError:
            pass

    @staticmethod
    def _waiting_ranks(folder):
        try:
            names = os.listdir(folder)
        except OSError:
            return set()
        return {int(n[4:-5]) for n in names if n.startswith("rank") and n.endswith(".wait") and n[4:-5].isdigit()}

    def _member(self, world_rank, comm):
        """Whether ``world_rank`` takes part in collectives on ``comm``."""
        if comm.Get_size() == self.world.Get_size():
            return True
        world_group, group = self.world.Get_group(), comm.Get_group()
        try:
            return world_group.Translate_ranks([world_rank], group)[0] >= 0
        finally:
            world_group.Free()
            group.Free()

    def _end_job(self, message):
        sys.stderr.write(message + "\n")
        self.abort()
