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

Every collective issued here runs under the stall watchdog (:mod:`automatedparallelization.watchdog`):
a stall warns and, by default after 600 s, ends the job; so does a rank that left its program while
this one waits for it.
"""
import atexit
import contextlib
import logging
import math
import os
import sys
import time
import traceback
import zlib

import numpy as np
import torch
from mpi4py import MPI

import torchad_job
import torchad_run
from automatedparallelization import watchdog as _watchdog_module

logger = logging.getLogger(__name__)

OPS = ("sum", "mean", "max", "min", "prod")
_MPI_OPS = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}
_BOOL_OPS = {"sum": MPI.LOR, "max": MPI.LOR, "min": MPI.LAND, "prod": MPI.LAND}
_NATIVE = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float32,
           torch.float64, torch.complex64, torch.complex128, torch.bool}
_UPCAST = {torch.float16, torch.bfloat16}


_DTYPE_CODE = {d: i for i, d in enumerate(sorted(_NATIVE | _UPCAST, key=str))}


STALL_WARNING = 60.0
STALL_ABORT = 600.0


class _Settings:
    """Process-wide switches of the safety nets (see :func:`configure`), read from the environment
    when first needed."""

    def __init__(self, environ):
        self.check = environ.get("TORCHAD_CHECK_COLLECTIVES", "0") not in ("", "0")
        self.shared_memory = environ.get("TORCHAD_SHARED_MEMORY", "1") not in ("", "0")
        for name, default in (("stall_warning", STALL_WARNING), ("stall_abort", STALL_ABORT)):
            variable = f"TORCHAD_{name.upper()}"
            try:
                value = float(environ.get(variable, default))
            except ValueError:
                value = -1.0
            if not value >= 0:
                raise ValueError(f"{variable}: expected a number of seconds >= 0, got {environ[variable]!r}")
            setattr(self, name, value)


_current = None


def _settings():
    global _current
    if _current is None:
        _current = _Settings(os.environ)
    return _current


def configure(check=None, stall_warning=None, stall_abort=None, shared_memory=None):
    """Switch the safety nets of every collective of this process.

    check: before each allreduce/broadcast, compare operation, dtype and shape across the ranks (one
        tiny extra collective) and raise ValueError on every rank on a mismatch, instead of
        corrupting data or hanging. Also ``TORCHAD_CHECK_COLLECTIVES=1``.
    stall_warning: seconds a rank may wait inside one collective before a warning names it and the
        pending operation (default 60, as Horovod's stall inspector; 0 turns it off).
        Also ``TORCHAD_STALL_WARNING``.
    stall_abort: seconds after which a stalled collective ends the whole job with status 1 (default
        600, as PyTorch's NCCL process groups; 0: never). Also ``TORCHAD_STALL_ABORT``.
    shared_memory: let :func:`shared_reducer` average gradients through a shared-memory window when
        all ranks run on one machine (default True). Also ``TORCHAD_SHARED_MEMORY=0``.
    """
    settings = _settings()
    for name, value in (("stall_warning", stall_warning), ("stall_abort", stall_abort)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name}: expected a number of seconds >= 0, got {value!r}")
            setattr(settings, name, float(value))
    if check is not None:
        settings.check = bool(check)
    if shared_memory is not None:
        settings.shared_memory = bool(shared_memory)


def _flush_then_abort(quiet=False):
    """Abort the job, after giving mpiexec's output forwarding a moment to pass our last words on.
    ``quiet``: the launcher reports the failure, so the MPI library's own abort line is dropped."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.5)
    if quiet:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    MPI.COMM_WORLD.Abort(1)


#: where a failing rank's short traceback leaves out frames (the program's own frames stay)
_LIBRARY_DIRS = tuple(os.path.dirname(os.path.dirname(m.__file__)) + os.sep for m in (torch, np)) + (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + "automatedparallelization" + os.sep,
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + "compat" + os.sep,
    os.path.dirname(traceback.__file__) + os.sep,
)


def _report_to_launcher(exc_type, exc, tb, world):
    """Under ``torchad-run``: record this rank's failure in the job directory, for the launcher's
    one report of the job. False (nothing written) without a job directory or when writing fails."""
    folder = torchad_job.job_dir()
    if folder is None:
        return False
    try:
        torchad_job.write_failure(folder, torchad_job.describe_failure(
            exc_type, exc, tb, world.Get_rank(), world.Get_size(), _LIBRARY_DIRS))
    except Exception as err:                    # the plain traceback on stderr then
        logger.warning("could not record this rank's failure in %s: %s", folder, err)
        return False
    return True


_watchdog = _watchdog_module.Watchdog(_settings, MPI.COMM_WORLD, _flush_then_abort)


@contextlib.contextmanager
def _watched(what, comm, tensor=None):
    """Run a collective under the stall watchdog."""
    _watchdog.begin(what, comm, tensor)
    try:
        yield
    finally:
        _watchdog.end()


def divide_(tensor, divisor):
    """``tensor /= divisor`` in place, with ``div_``'s exact result. A floating tensor and a power
    of two multiply by the reciprocal instead: ``x * 2**-k`` is the same correctly rounded number
    as ``x / 2**k``, and a CPU multiplication streams several times faster than a division."""
    if (tensor.is_floating_point() and isinstance(divisor, int) and divisor > 0
            and divisor & (divisor - 1) == 0):
        return tensor.mul_(1.0 / divisor)
    return tensor.div_(divisor)


def _checked(what, tensor, comm, root=-1):
    """Check mode: raise ValueError on every rank unless all ranks call the same collective alike."""
    head = np.full(20, -2, dtype=np.int64)
    head[:4] = (zlib.crc32(what.encode()), _DTYPE_CODE[tensor.dtype], root, tensor.dim())
    head[4:4 + min(tensor.dim(), 16)] = tensor.shape[:16]
    heads = np.empty((comm.Get_size(), 20), dtype=np.int64)
    with _watched(f"check of {what}", comm, tensor):
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
    with _watched("barrier", comm):
        comm.Barrier()


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
        if _settings().check:
            _checked(f"allreduce_({op})", tensor, comm)
        with _watched(f"allreduce_({op})", comm, tensor):
            comm.Allreduce(MPI.IN_PLACE, _buffer(work), op=mpi_op)  # every rank takes part, even at size 0
        if op == "mean":
            divide_(work, comm.Get_size())
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
    if _settings().check:
        _checked(f"iallreduce_({op})", tensor, comm)
    request = comm.Iallreduce(MPI.IN_PLACE, _buffer(tensor), op=MPI.SUM)
    return _Pending(request, tensor, comm, op)


class _Pending:
    """A started non-blocking collective; ``wait()`` finishes it (under the stall watchdog) and
    returns the tensor."""

    def __init__(self, request, tensor, comm, op):
        self.request, self.tensor, self.comm, self.op = request, tensor, comm, op
        self.divisor = comm.Get_size() if op == "mean" else 1

    def wait(self):
        if self.request is not None:
            with _watched(f"iallreduce_({self.op})", self.comm, self.tensor):
                self.request.Wait()
            self.request = None
            if self.divisor != 1:
                with torch.no_grad():
                    divide_(self.tensor, self.divisor)
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
        if _settings().check:
            _checked("broadcast_", tensor, comm, root)
        with _watched(f"broadcast_(root={root})", comm, tensor):
            comm.Bcast(_bytes(work), root=root)
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
    with _watched("allgather", comm, tensor):
        comm.Allgather(_header(tensor), heads)
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
    with _watched("allgather", comm, tensor):
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
        with _watched("shared-memory average", self.comm, self.mine):
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
                        divide_(out, divisor)
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


def _shared_mapping(nbytes, comm):
    """A read-write mapping of ``nbytes`` shared by all ranks of ``comm``, or None on every rank.
    Whatever fails on whichever rank (no space, a different size, any exception), every rank
    learns it, releases what it mapped, and the file is removed."""
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
            with contextlib.suppress(OSError):
                os.unlink(candidate)
    with _watched("shared-memory set-up", comm):
        path, root_bytes = comm.bcast((path, nbytes), root=0)
    if path is None:
        return None
    mapping, error, errors = None, "", ["not reached"]
    try:
        try:
            if root_bytes != nbytes:
                raise ValueError(f"rank 0 maps {root_bytes} bytes, this rank {nbytes}")
            fd = os.open(path, os.O_RDWR)
            try:
                mapping = mmap.mmap(fd, nbytes)
            finally:
                os.close(fd)
        except Exception as exc:  # noqa: BLE001  (any failure is reported to every rank just below)
            error = f"rank {comm.Get_rank()}: {type(exc).__name__}: {exc}"
        with _watched("shared-memory set-up", comm):
            errors = [e for e in comm.allgather(error) if e]
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
    None (then use :func:`allreduce_`). Collective over ``comm``: all ranks get the same answer, and
    ranks asking for buffers of different sizes or dtypes get the same ValueError."""
    comm = resolve(comm)
    if comm.Get_size() < 2:
        return None
    with _watched("shared-memory set-up", comm):
        node = comm.Split_type(MPI.COMM_TYPE_SHARED)
        local = node.Get_size() == comm.Get_size()
        node.Free()
        ok = (_settings().shared_memory and local and dtype in _NUMPY_DTYPES and torch.device(device).type == "cpu"
              and numel > 0 and os.path.isdir(_SHM_DIR))
        asked = comm.allgather((int(numel), str(dtype), bool(ok)))
    if any(a[:2] != asked[0][:2] for a in asked):
        raise ValueError("shared_reducer: every rank must ask for a buffer of the same size and dtype; got "
                         + ", ".join(f"{n} x {d} on rank {r}" for r, (n, d, _) in enumerate(asked)))
    if not all(a[2] for a in asked):                      # one setting for all ranks, or none uses it
        return None
    itemsize = torch.empty(0, dtype=dtype).element_size()
    per_slot = -(-numel * itemsize // 64) * 64           # slots start on 64-byte boundaries
    mapping = _shared_mapping(per_slot * comm.Get_size(), comm)
    return None if mapping is None else SharedReducer(numel, dtype, comm, mapping)


def bcast_object(obj, root=0, comm=None):
    """Broadcast a picklable Python object from ``root``; returns it on every rank."""
    comm = resolve(comm)
    _check_root(root, comm)
    with _watched(f"bcast_object(root={root})", comm):
        return comm.bcast(obj, root=root)


def gather_object(obj, root=0, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order on ``root``; None on the others."""
    comm = resolve(comm)
    _check_root(root, comm)
    return comm.gather(obj, root=root)


def allgather_object(obj, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order."""
    comm = resolve(comm)
    with _watched("allgather_object", comm):
        return comm.allgather(obj)


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
    comm = resolve(comm)
    with _watched("split", comm):
        return comm.Split(color, key)


def _abort_on_unhandled(exc_type, exc, tb):
    """sys.excepthook: print this rank's traceback, then end every rank instead of leaving them waiting."""
    if not MPI.Is_initialized() or MPI.Is_finalized() or MPI.COMM_WORLD.Get_size() == 1:
        return _previous_hook(exc_type, exc, tb)
    world = MPI.COMM_WORLD
    if _report_to_launcher(exc_type, exc, tb, world):
        return _flush_then_abort(quiet=True)
    header = f"[rank {world.Get_rank()} of {world.Get_size()}] unhandled {exc_type.__name__}; aborting the job\n"
    sys.stderr.write(header + "".join(traceback.format_exception(exc_type, exc, tb)))
    _flush_then_abort()


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
    if sys.excepthook is not _abort_on_unhandled:
        _previous_hook = sys.excepthook
        sys.excepthook = _abort_on_unhandled
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
    folder = _watchdog_module.job_dir()
    if folder is None or _recorded or MPI.Is_finalized():
        return
    _recorded = True
    if not write:
        return
    try:
        torchad_run.write_record(folder, MPI.COMM_WORLD.Get_rank(), status)
    except OSError as exc:
        logger.warning("could not write this rank's exit record in %s: %s", folder, exc)
