"""Collectives on torch tensors over MPI -- the only module of the project that imports mpi4py.

Every function takes an explicit ``comm`` (``None`` means ``MPI.COMM_WORLD``; an mpi4py
communicator or any handle with a ``.comm`` attribute, such as ``compat.torchmpi``, is accepted)
and resolves it in one place, :func:`resolve`.

Buffers:
- contiguous CPU tensors of an MPI-native dtype are handed to MPI as they are (zero copy; the
  result lands in the caller's tensor);
- non-contiguous tensors and CUDA tensors are staged through a contiguous CPU copy and copied back;
- float16/bfloat16 have no reliable MPI datatype (Open MPI silently returns garbage for bfloat16),
  so reductions run in float32 and the result is cast back; broadcast and allgather move raw bytes,
  which is exact for every dtype.
"""
import logging
import math
import os
import sys
import threading
import time
import traceback
import zlib

import numpy as np
import torch
from mpi4py import MPI

logger = logging.getLogger(__name__)

OPS = ("sum", "mean", "max", "min", "prod")
_MPI_OPS = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}
_BOOL_OPS = {"sum": MPI.LOR, "max": MPI.LOR, "min": MPI.LAND, "prod": MPI.LAND}
_NATIVE = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float32,
           torch.float64, torch.complex64, torch.complex128, torch.bool}
_UPCAST = {torch.float16, torch.bfloat16}


_DTYPE_CODE = {d: i for i, d in enumerate(sorted(_NATIVE | _UPCAST, key=str))}


class _Settings:
    """Process-wide switches of the safety nets (see :func:`configure`)."""
    check = os.environ.get("TORCHAD_CHECK_COLLECTIVES", "0") not in ("", "0")
    stall_warning = float(os.environ.get("TORCHAD_STALL_WARNING", "60"))
    stall_abort = float(os.environ.get("TORCHAD_STALL_ABORT", "0"))
    shared_memory = os.environ.get("TORCHAD_SHARED_MEMORY", "1") not in ("", "0")


def configure(check=None, stall_warning=None, stall_abort=None, shared_memory=None):
    """Switch the safety nets of every collective of this process.

    check: before each allreduce/broadcast, compare operation, dtype and shape across the ranks (one
        tiny extra collective) and raise ValueError on every rank on a mismatch, instead of
        corrupting data or hanging. Also ``TORCHAD_CHECK_COLLECTIVES=1``.
    stall_warning: seconds a rank may wait inside one collective before a warning names it and the
        pending operation (default 60, as Horovod's stall inspector; 0 turns it off).
        Also ``TORCHAD_STALL_WARNING``.
    stall_abort: seconds after which a stalled collective aborts the whole job (default 0: never).
        Also ``TORCHAD_STALL_ABORT``.
    shared_memory: let :func:`shared_reducer` average gradients through a shared-memory window when
        all ranks run on one machine (default True). Also ``TORCHAD_SHARED_MEMORY=0``.
    """
    for name, value in (("stall_warning", stall_warning), ("stall_abort", stall_abort)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name}: expected a number of seconds >= 0, got {value!r}")
            setattr(_Settings, name, float(value))
    if check is not None:
        _Settings.check = bool(check)
    if shared_memory is not None:
        _Settings.shared_memory = bool(shared_memory)


class _Watchdog:
    """Watches the collective this process is inside; a daemon thread reports and ends stalls.

    The collective's own thread only records (description, start time): a few attribute writes.
    Each stalled rank names itself, so the ranks missing from the warnings are the ones that never
    joined the operation.
    """

    def __init__(self):
        self.pending = None          # (sequence number, description, start time)
        self.sequence = 0
        self.thread = None

    def begin(self, what, tensor, comm):
        self.sequence += 1
        self.pending = (self.sequence, what, tensor, comm, time.monotonic())
        if self.thread is None and (_Settings.stall_warning or _Settings.stall_abort):
            self.thread = threading.Thread(target=self._run, name="torchad-stall-watchdog", daemon=True)
            self.thread.start()

    def end(self):
        self.pending = None

    def _run(self):
        warned = None
        while True:
            limits = [x for x in (_Settings.stall_warning, _Settings.stall_abort) if x > 0]
            time.sleep(min([1.0] + [x / 4 for x in limits]))
            pending = self.pending
            if pending is None:
                continue
            seq, what, tensor, comm, started = pending
            waited = time.monotonic() - started
            where = (f"rank {comm.Get_rank()} of {comm.Get_size()} has waited {waited:.0f} s in {what} "
                     f"#{seq} ({tensor.dtype}, shape {tuple(tensor.shape)}); the ranks that report no "
                     f"such wait have not joined it (skipped or reordered collective, or uneven work)")
            if _Settings.stall_abort and waited >= _Settings.stall_abort:
                sys.stderr.write(f"torchad: stalled collective, aborting the job: {where}\n")
                _flush_then_abort()
            if _Settings.stall_warning and waited >= _Settings.stall_warning and warned != seq:
                warned = seq
                logger.warning("stalled collective: %s", where)


_watchdog = _Watchdog()


def _checked(what, tensor, comm, root=-1):
    """Check mode: raise ValueError on every rank unless all ranks call the same collective alike."""
    head = np.full(20, -2, dtype=np.int64)
    head[:4] = (zlib.crc32(what.encode()), _DTYPE_CODE[tensor.dtype], root, tensor.dim())
    head[4:4 + min(tensor.dim(), 16)] = tensor.shape[:16]
    heads = np.empty((comm.Get_size(), 20), dtype=np.int64)
    comm.Allgather(head, heads)
    if (heads != heads[0]).any():
        seen = [f"rank {r}: {what if h[0] == heads[comm.Get_rank()][0] else 'another collective'}, "
                f"dtype #{h[1]}, shape {tuple(int(x) for x in h[4:4 + h[3]])}"
                + (f", root {h[2]}" if h[2] >= 0 else "") for r, h in enumerate(heads)]
        raise ValueError(f"mismatched collective {what}: every rank must pass the same operation, dtype "
                         f"and shape; got " + "; ".join(seen))


def resolve(comm=None):
    """The mpi4py communicator behind ``comm`` (None -> COMM_WORLD)."""
    if comm is None:
        return MPI.COMM_WORLD
    if isinstance(comm, MPI.Comm):
        return comm
    inner = getattr(comm, "comm", None)
    if isinstance(inner, MPI.Comm):
        return inner
    raise TypeError(f"comm: expected None, an mpi4py communicator or a handle with a .comm "
                    f"communicator, got {type(comm).__name__}")


def rank(comm=None):
    return resolve(comm).Get_rank()


def size(comm=None):
    return resolve(comm).Get_size()


def barrier(comm=None):
    comm = resolve(comm)
    _watchdog.begin("barrier", torch.empty(0), comm)
    try:
        comm.Barrier()
    finally:
        _watchdog.end()


def _check_tensor(tensor, name="tensor"):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dtype not in _NATIVE and tensor.dtype not in _UPCAST:
        raise TypeError(f"{name}: dtype {tensor.dtype} cannot be communicated over MPI "
                        f"(supported: {sorted(str(d) for d in _NATIVE | _UPCAST)})")


def _check_root(root, comm):
    n = comm.Get_size()
    if isinstance(root, bool) or not isinstance(root, int) or not 0 <= root < n:
        raise ValueError(f"root: expected an int in range({n}) (the communicator's size), got {root!r}")


def _direct(tensor):
    """True when MPI can work on the tensor's own memory."""
    return tensor.device.type == "cpu" and tensor.is_contiguous() and tensor.dtype in _NATIVE


def _buffer(tensor):
    """A numpy array sharing memory with a contiguous CPU tensor of a native dtype."""
    return tensor.detach().numpy()


def _bytes(tensor):
    """A uint8 numpy view of a contiguous CPU tensor's bytes (any dtype)."""
    t = tensor.detach()
    if t.numel() == 0:
        return np.empty(0, dtype=np.uint8)
    return t.reshape(-1).view(torch.uint8).numpy()


def allreduce_(tensor, op="sum", comm=None):
    """Reduce ``tensor`` over all ranks in place (``op`` in sum, mean, max, min, prod); returns it."""
    _check_tensor(tensor)
    if op not in _MPI_OPS:
        raise ValueError(f"op: expected one of {OPS}, got {op!r}")
    if op == "mean" and not (tensor.is_floating_point() or tensor.is_complex()):
        raise TypeError(f"op='mean' needs a floating-point tensor, got dtype {tensor.dtype}; "
                        f"use op='sum' and divide as you see fit")
    comm = resolve(comm)
    if tensor.dtype == torch.bool:
        if op == "mean":
            raise TypeError("op='mean' is undefined for a bool tensor")
        mpi_op = _BOOL_OPS[op]
    else:
        mpi_op = _MPI_OPS[op]
    with torch.no_grad():
        if _direct(tensor):
            work = tensor
        else:
            dtype = torch.float32 if tensor.dtype in _UPCAST else tensor.dtype
            work = tensor.detach().to(device="cpu", dtype=dtype, memory_format=torch.contiguous_format,
                                      copy=True)
        if _Settings.check:
            _checked(f"allreduce_({op})", tensor, comm)
        _watchdog.begin(f"allreduce_({op})", tensor, comm)
        try:
            comm.Allreduce(MPI.IN_PLACE, _buffer(work), op=mpi_op)  # every rank takes part, even at size 0
        finally:
            _watchdog.end()
        if op == "mean":
            work.div_(comm.Get_size())
        if work is not tensor:
            tensor.copy_(work)
    return tensor


def iallreduce_(tensor, op="sum", comm=None):
    """Start a non-blocking in-place sum/mean of a contiguous CPU tensor; returns a handle with ``wait()``.

    Only the zero-copy case is offered (the buffer must stay put while MPI works on it).
    """
    _check_tensor(tensor)
    if op not in ("sum", "mean"):
        raise ValueError(f"op: expected 'sum' or 'mean' for a non-blocking allreduce, got {op!r}")
    if not _direct(tensor) or tensor.dtype == torch.bool:
        raise TypeError("iallreduce_ needs a contiguous CPU tensor of an MPI-native numeric dtype, got "
                        f"{tensor.dtype} on {tensor.device} (contiguous={tensor.is_contiguous()})")
    comm = resolve(comm)
    if _Settings.check:
        _checked(f"iallreduce_({op})", tensor, comm)
    request = comm.Iallreduce(MPI.IN_PLACE, _buffer(tensor), op=MPI.SUM)
    return _Pending(request, tensor, comm.Get_size() if op == "mean" else 1)


class _Pending:
    """A started non-blocking collective; ``wait()`` finishes it and returns the tensor."""

    def __init__(self, request, tensor, divisor):
        self.request, self.tensor, self.divisor = request, tensor, divisor

    def wait(self):
        if self.request is not None:
            self.request.Wait()
            self.request = None
            if self.divisor != 1:
                with torch.no_grad():
                    self.tensor.div_(self.divisor)
        return self.tensor


def broadcast_(tensor, root=0, comm=None):
    """Overwrite ``tensor`` on every rank with root's values, in place; returns it."""
    _check_tensor(tensor)
    comm = resolve(comm)
    _check_root(root, comm)
    with torch.no_grad():
        direct = tensor.device.type == "cpu" and tensor.is_contiguous()
        work = tensor if direct else tensor.detach().to("cpu", memory_format=torch.contiguous_format,
                                                        copy=True)
        if _Settings.check:
            _checked("broadcast_", tensor, comm, root)
        _watchdog.begin(f"broadcast_(root={root})", tensor, comm)
        try:
            comm.Bcast(_bytes(work), root=root)
        finally:
            _watchdog.end()
        if work is not tensor:
            tensor.copy_(work)
    return tensor


def _header(tensor):
    if tensor.dim() > 16:
        raise ValueError(f"tensor: at most 16 dimensions can be gathered, got {tensor.dim()}")
    head = np.full(18, -1, dtype=np.int64)
    head[0] = tensor.dim()
    head[1] = tensor.element_size()
    head[2:2 + tensor.dim()] = tensor.shape
    return head


def allgather(tensor, comm=None, dim=0):
    """Concatenate every rank's ``tensor`` along ``dim`` (in rank order) into a new tensor.

    Sizes along ``dim`` may differ between ranks; every other dimension and the dtype must agree
    (checked, so a mismatch raises ValueError on every rank instead of corrupting memory).
    """
    _check_tensor(tensor)
    comm = resolve(comm)
    if tensor.dim() == 0:
        tensor = tensor.reshape(1)
    if not -tensor.dim() <= dim < tensor.dim():
        raise ValueError(f"dim: expected a dimension of a {tensor.dim()}-d tensor, got {dim}")
    dim %= tensor.dim()
    heads = np.empty((comm.Get_size(), 18), dtype=np.int64)
    _watchdog.begin("allgather", tensor, comm)
    try:
        comm.Allgather(_header(tensor), heads)
    finally:
        _watchdog.end()
    mine = np.delete(heads[:, 2:2 + tensor.dim()], dim, axis=1)
    if (heads[:, :2] != heads[0, :2]).any() or (mine != mine[0]).any():
        shapes = [tuple(int(x) for x in h[2:2 + h[0]]) for h in heads]
        raise ValueError(f"allgather: every rank must pass tensors of the same ndim, element size and "
                         f"shape except along dim {dim}; got shapes {shapes} and element sizes "
                         f"{[int(h[1]) for h in heads]} (rank order)")
    moved = tensor.detach().movedim(dim, 0).to("cpu", memory_format=torch.contiguous_format)
    counts = heads[:, 2 + dim] * math.prod(moved.shape[1:])
    out = torch.empty((int(heads[:, 2 + dim].sum()),) + tuple(moved.shape[1:]), dtype=tensor.dtype)
    nbytes = counts * tensor.element_size()
    displs = np.concatenate([[0], np.cumsum(nbytes)[:-1]])
    comm.Allgatherv(_bytes(moved), [_bytes(out), nbytes.tolist(), displs.tolist(), MPI.BYTE])
    return out.movedim(0, dim).to(tensor.device)


class SharedReducer:
    """Mean (or sum) over the ranks of ``comm`` of one flat buffer per rank, through shared memory:
    for ranks that all run on one machine.

    Every rank owns a slot of ``numel`` elements in one shared mapping (``mine``, a tensor over
    that memory: use it as the buffer itself, e.g. the gradients' flat buffer). :meth:`average_`
    leaves the same result in every slot: rank r adds up, in rank order, region r of all the slots
    (a 1/P share of the buffer), divides it and writes it into every slot; a barrier before and
    after orders the processes' accesses. Each rank reads and writes about the buffer's size once,
    instead of MPI's copies through its own shared cells (docs/design.md compares the two). Every
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

    def average_(self, divisor=None):
        """Every slot := (sum of all slots) / divisor (default: the number of ranks; 1: the sum)."""
        divisor = self.size if divisor is None else divisor
        _watchdog.begin("shared-memory average", self.mine, self.comm)
        try:
            self.comm.Barrier()                    # every rank's slot is written
            lo, hi = self.lo, self.hi
            if hi > lo:
                with torch.no_grad():
                    acc = self.slots[0][lo:hi]
                    torch.add(acc, self.slots[1][lo:hi], out=acc)
                    for q in range(2, self.size):
                        acc.add_(self.slots[q][lo:hi])
                    for q in range(1, self.size):
                        if divisor == 1:
                            self.slots[q][lo:hi].copy_(acc)
                        else:
                            torch.div(acc, divisor, out=self.slots[q][lo:hi])
                    if divisor != 1:
                        acc.div_(divisor)
            self.comm.Barrier()                    # every region is written into every slot
        finally:
            _watchdog.end()


_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}
_SHM_DIR = "/dev/shm"


def _shared_mapping(nbytes, comm):
    """A read-write mapping of ``nbytes`` shared by all ranks of ``comm``, or None on every rank."""
    import mmap
    import uuid
    path = None
    if comm.Get_rank() == 0:
        candidate = os.path.join(_SHM_DIR, f"torchad-{os.getpid()}-{uuid.uuid4().hex}")
        try:
            fd = os.open(candidate, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.posix_fallocate(fd, 0, nbytes)
            finally:
                os.close(fd)
            path = candidate
        except OSError as exc:
            logger.info("no shared-memory buffer (%s: %s); averaging through MPI collectives", candidate, exc)
            if os.path.exists(candidate):
                os.unlink(candidate)
    path = comm.bcast(path, root=0)
    if path is None:
        return None
    mapping, error = None, ""
    try:
        fd = os.open(path, os.O_RDWR)
        try:
            mapping = mmap.mmap(fd, nbytes)
        finally:
            os.close(fd)
    except OSError as exc:
        error = f"rank {comm.Get_rank()}: {exc}"
    errors = [e for e in comm.allgather(error) if e]
    if comm.Get_rank() == 0:
        os.unlink(path)                            # every rank has it mapped (or gave up): no leftovers
    if errors:
        logger.info("no shared-memory buffer (%s); averaging through MPI collectives", "; ".join(errors))
        return None
    return mapping


def shared_reducer(numel, dtype, device, comm=None):
    """A :class:`SharedReducer` when every rank of ``comm`` runs on this machine, there are at least
    two, the buffer is a float32/float64 CPU one and ``configure(shared_memory=)`` allows it; else
    None (then use :func:`allreduce_`). Collective over ``comm``: all ranks get the same answer."""
    comm = resolve(comm)
    if comm.Get_size() < 2:
        return None
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    local = node.Get_size() == comm.Get_size()
    node.Free()
    ok = (_Settings.shared_memory and local and dtype in _NUMPY_DTYPES and torch.device(device).type == "cpu"
          and numel > 0 and os.path.isdir(_SHM_DIR))
    if not comm.allreduce(bool(ok), op=MPI.LAND):       # one setting for all ranks, or none uses it
        return None
    itemsize = torch.empty(0, dtype=dtype).element_size()
    per_slot = -(-numel * itemsize // 64) * 64           # slots start on 64-byte boundaries
    mapping = _shared_mapping(per_slot * comm.Get_size(), comm)
    return None if mapping is None else SharedReducer(numel, dtype, comm, mapping)


def bcast_object(obj, root=0, comm=None):
    """Broadcast a picklable Python object from ``root``; returns it on every rank."""
    comm = resolve(comm)
    _check_root(root, comm)
    return comm.bcast(obj, root=root)


def gather_object(obj, root=0, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order on ``root``; None on the others."""
    comm = resolve(comm)
    _check_root(root, comm)
    return comm.gather(obj, root=root)


def allgather_object(obj, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order."""
    return resolve(comm).allgather(obj)


def abort(code=1, comm=None):
    """End the whole job now (every rank of ``comm``) with exit status ``code``."""
    resolve(comm).Abort(code)


def split(color, key=0, comm=None):
    """A sub-communicator (MPI ``Comm_split``): the ranks of ``comm`` passing the same ``color`` form
    one group, ordered by ``key`` then by rank in ``comm``. Collective over ``comm``.
    E.g. a data x model grid: ``split(rank // m)`` groups model-parallel ranks, ``split(rank % m)``
    the data-parallel ones."""
    for name, v in (("color", color), ("key", key)):
        if isinstance(v, bool) or not isinstance(v, int) or (name == "color" and v < 0):
            raise ValueError(f"{name}: expected {'a non-negative' if name == 'color' else 'an'} int, got {v!r}")
    return resolve(comm).Split(color, key)


def _abort_on_unhandled(exc_type, exc, tb):
    """sys.excepthook: print this rank's traceback, then end every rank instead of leaving them waiting."""
    world = MPI.COMM_WORLD
    if world.Get_size() == 1 or issubclass(exc_type, KeyboardInterrupt):
        return _previous_hook(exc_type, exc, tb)
    header = f"[rank {world.Get_rank()} of {world.Get_size()}] unhandled {exc_type.__name__}; aborting the job\n"
    sys.stderr.write(header + "".join(traceback.format_exception(exc_type, exc, tb)))
    _flush_then_abort()


def _flush_then_abort():
    """Abort the job, after giving mpiexec's output forwarding a moment to pass our last words on."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.5)
    MPI.COMM_WORLD.Abort(1)


def exit_status(code):
    """The process exit status Python gives ``SystemExit(code)``: 0 for None, the int itself, 1 for
    anything else (a message)."""
    if code is None:
        return 0
    return int(code) if isinstance(code, int) else 1


def note_exit(exc):
    """For a ``SystemExit`` leaving this rank: with a non-zero status and more than one rank, make
    Python's exit end the whole job with that status (mpi4py's ``MPI_Abort`` at exit, after every
    ``finally`` block has run) instead of ``MPI_Finalize``, which would leave the other ranks
    waiting in their next collective forever. Status 0 is a normal exit. Returns the status."""
    status = exit_status(exc.code)
    if status and not getattr(exc, "_torchad_noted", False) and MPI.Is_initialized() and not MPI.Is_finalized():
        world = MPI.COMM_WORLD
        if world.Get_size() > 1:
            exc._torchad_noted = True
            sys.stderr.write(f"[rank {world.Get_rank()} of {world.Get_size()}] exiting with status {status}; "
                             f"this ends the whole job\n")
            sys.stderr.flush()
            from mpi4py.run import set_abort_status
            set_abort_status(status)
    return status


_builtin_exit = sys.exit


def _exit_ending_the_job(status=None):
    """``sys.exit`` under MPI: as Python's, and a non-zero status ends every rank (see note_exit)."""
    exc = SystemExit(status)
    note_exit(exc)
    raise exc


_previous_hook = sys.excepthook
if sys.excepthook is sys.__excepthook__:
    # Installed once, at the first import of the library: a Python exception on one rank would
    # otherwise run MPI_Finalize at exit while the other ranks wait in a collective forever.
    sys.excepthook = _abort_on_unhandled
if sys.exit is _builtin_exit and MPI.COMM_WORLD.Get_size() > 1:
    # The same for sys.exit(non-zero) on one rank (SystemExit never reaches sys.excepthook).
    # `raise SystemExit(...)` is caught by automatedparallelization.run (torchad-run) only.
    sys.exit = _exit_ending_the_job
