"""Averaging through shared memory, for ranks that all run on one machine: :func:`shared_reducer`
maps one slot per rank in a file of /dev/shm, and :meth:`SharedReducer.average_` leaves the mean
(or sum) of all slots in every slot, between two barriers (benchmarks/RESULTS.md compares it with MPI's
own shared-memory transport)."""
import contextlib
import logging
import mmap
import os
import uuid

import numpy as np
import torch
from mpi4py import MPI

from automatedparallelization.comm import collectives as _collectives
from automatedparallelization.comm import settings as _settings

logger = logging.getLogger(__name__)


class SharedReducer:
    """Mean (or sum) over the ranks of ``comm`` of one flat buffer per rank, through shared memory:
    for ranks that all run on one machine.

    Every rank owns a slot of ``numel`` elements in one shared mapping (``mine``, a tensor over
    that memory: use it as the buffer itself, e.g. the gradients' flat buffer). :meth:`average_`
    leaves the same result in every slot: rank r adds up, in rank order, region r of all the slots
    (a 1/P share of the buffer), divides it and writes it into every slot; a barrier before and
    after orders the processes' accesses. Each rank reads and writes about the buffer's size once,
    instead of MPI's copies through its own shared cells (benchmarks/RESULTS.md compares the two). Every
    slot ends bit-identical.

    The mapping is a file in /dev/shm that is unlinked as soon as every rank has mapped it, so
    nothing outlives the processes, whatever way they end. Its space is reserved up front
    (``posix_fallocate``): a full /dev/shm means no reducer, never a SIGBUS later.
    Collective over ``comm`` to create and in :meth:`average_`.
    """

    def __init__(self, numel, dtype, comm, mapping):
        self.comm, self.numel, self.dtype = comm, int(numel), dtype
        self.size, self.rank = comm.Get_size(), comm.Get_rank()
        self._mapping = mapping
        whole = torch.from_numpy(np.frombuffer(mapping, dtype=_NUMPY_DTYPES[dtype]))
        stride = whole.numel() // self.size
        self.slots = [whole[q * stride:q * stride + self.numel] for q in range(self.size)]
        self.mine = self.slots[self.rank]
        per, extra = divmod(self.numel, self.size)
        self.lo = self.rank * per + min(self.rank, extra)
        self.hi = self.lo + per + (1 if self.rank < extra else 0)

    def average_(self, divisor=None, private=()):
        """Every slot := (sum of all slots) / divisor (default: the number of ranks; 1: the sum).

        ``private``: ``(offset, tensor)`` pairs, disjoint ranges of this rank's contribution that
        are still in private memory (a gradient autograd has just allocated) instead of in ``mine``.
        Only the parts other ranks read are copied into ``mine``; the part in this rank's own region
        is read where it is. That saves a copy of half the buffer (at 2 ranks) over copying every
        contribution into the slot first.
        """
        divisor = self.size if divisor is None else divisor
        lo, hi = self.lo, self.hi
        own = []                                  # (start, stop, tensor) inside [lo, hi), ascending
        with torch.no_grad():
            for offset, tensor in private:
                stop = offset + tensor.numel()
                for a, b in ((offset, min(stop, lo)), (max(offset, hi), stop)):
                    if a < b:                     # read by the rank that owns that region
                        self.mine[a:b].copy_(tensor[a - offset:b - offset])
                a, b = max(offset, lo), min(stop, hi)
                if a < b:
                    own.append((a, b, tensor[a - offset:b - offset]))
        own.sort(key=lambda piece: piece[0])
        with _collectives.watched("shared-memory average", self.comm, self.mine):
            self.comm.Barrier()                    # every rank's contribution is readable
            with torch.no_grad():
                for a, b, source in self._chunks(lo, hi, own):
                    terms = [source if q == self.rank and source is not None else self.slots[q][a:b]
                             for q in range(self.size)]
                    out = self.slots[0][a:b]       # read first (as terms[0]) when it is written
                    torch.add(terms[0], terms[1], out=out)
                    for term in terms[2:]:
                        out.add_(term)
                    if divisor != 1:
                        _collectives.divide_(out, divisor)
                    for q in range(1, self.size):
                        self.slots[q][a:b].copy_(out)
            self.comm.Barrier()                    # every region is written into every slot

    def _chunks(self, lo, hi, own):
        """``[lo, hi)`` cut into ``(start, stop, source)`` pieces of at most :data:`CHUNK_BYTES`
        (one chunk's sum, division and copies then run in the core's cache, reading the slots from
        memory once); ``source`` is the private tensor of that range, or None where the
        contribution is in ``mine``."""
        per = max(1, CHUNK_BYTES // self.mine.element_size())
        spans, at = [], lo
        for a, b, tensor in own:
            if at < a:
                spans.append((at, a, None, 0))
            spans.append((a, b, tensor, a))
            at = b
        if at < hi:
            spans.append((at, hi, None, 0))
        for a, b, tensor, base in spans:
            for start in range(a, b, per):
                stop = min(b, start + per)
                yield start, stop, None if tensor is None else tensor[start - base:stop - base]


# A chunk of the shared-memory average: its three operands (two for the sum, one for the result)
# stay within a core's 2 MiB L2 cache on the 2-core machines this was measured on.
CHUNK_BYTES = 512 * 1024


_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}
_SHM_DIR = "/dev/shm"


def _create_file(nbytes):
    """Rank 0: a fresh file of ``nbytes`` reserved bytes in /dev/shm; its path, or None."""
    candidate = os.path.join(_SHM_DIR, f"torchad-{os.getpid()}-{uuid.uuid4().hex}")
    try:
        fd = os.open(candidate, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, nbytes)
        finally:
            os.close(fd)
        return candidate
    except OSError as exc:
        logger.info("no shared-memory buffer (%s: %s); averaging through MPI collectives", candidate, exc)
        with contextlib.suppress(OSError):
            os.unlink(candidate)
        return None


def _map_file(path, nbytes, root_bytes, comm):
    """This rank's mapping of ``path`` and "" , or None and what went wrong."""
    try:
        if root_bytes != nbytes:
            raise ValueError(f"rank 0 maps {root_bytes} bytes, this rank {nbytes}")
        fd = os.open(path, os.O_RDWR)
        try:
            return mmap.mmap(fd, nbytes), ""
        finally:
            os.close(fd)
    except Exception as exc:  # noqa: BLE001  (any failure is reported to every rank by the caller)
        return None, f"rank {comm.Get_rank()}: {type(exc).__name__}: {exc}"


def _shared_mapping(nbytes, comm):
    """A read-write mapping of ``nbytes`` shared by all ranks of ``comm``, or None on every rank.
    Whatever fails on whichever rank (no space, a different size, any exception), every rank
    learns it, releases what it mapped, and the file is removed."""
    path = _create_file(nbytes) if comm.Get_rank() == 0 else None
    path, root_bytes = _collectives.bcast_object((path, nbytes), 0, comm)
    if path is None:
        return None
    mapping, errors = None, ["not reached"]
    try:
        mapping, error = _map_file(path, nbytes, root_bytes, comm)
        errors = [e for e in _collectives.allgather_object(error, comm) if e]
    finally:
        if comm.Get_rank() == 0:                   # every rank has it mapped (or gave up): no leftovers
            with contextlib.suppress(OSError):
                os.unlink(path)
        if errors and mapping is not None:
            mapping.close()
    if errors:
        logger.info("no shared-memory buffer (%s); averaging through MPI collectives", "; ".join(errors))
        return None
    return mapping


def shared_reducer(numel, dtype, device, comm=None):
    """A :class:`SharedReducer` when every rank of ``comm`` runs on this machine, there are at least
    two, the buffer is a float32/float64 CPU one and ``configure(shared_memory=)`` allows it; else
    None (then use ``comm.allreduce_``). Collective over ``comm``: all ranks get the same answer, and
    ranks asking for buffers of different sizes or dtypes get the same ValueError."""
    comm = _collectives.resolve(comm)
    if comm.Get_size() < 2:
        return None
    with _collectives.watched("shared-memory set-up", comm):
        node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    local = node.Get_size() == comm.Get_size()
    node.Free()
    ok = (_settings.current().shared_memory and local and dtype in _NUMPY_DTYPES
          and torch.device(device).type == "cpu" and numel > 0 and os.path.isdir(_SHM_DIR))
    asked = _collectives.allgather_object((int(numel), str(dtype), bool(ok)), comm)
    if any(a[:2] != asked[0][:2] for a in asked):
        raise ValueError("shared_reducer: every rank must ask for a buffer of the same size and dtype; got "
                         + ", ".join(f"{n} x {d} on rank {r}" for r, (n, d, _) in enumerate(asked)))
    if not all(a[2] for a in asked):                      # one setting for all ranks, or none uses it
        return None
    itemsize = torch.empty(0, dtype=dtype).element_size()
    per_slot = -(-numel * itemsize // 64) * 64           # slots start on 64-byte boundaries
    mapping = _shared_mapping(per_slot * comm.Get_size(), comm)
    return None if mapping is None else SharedReducer(numel, dtype, comm, mapping)
