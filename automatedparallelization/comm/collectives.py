"""The collectives on torch tensors (and picklable objects) over MPI, each run under the stall watch.

Every function takes an explicit ``comm`` (see :func:`resolve`).

Buffers:
- contiguous CPU tensors of an MPI-native dtype are handed to MPI as they are (zero copy; the
  result lands in the caller's tensor);
- non-contiguous tensors and CUDA tensors are staged through a contiguous CPU copy and copied back;
- float16/bfloat16 have no reliable MPI datatype (Open MPI silently returns garbage for bfloat16),
  so reductions run in float32 and the result is cast back; broadcast and allgather move raw bytes,
  which is exact for every dtype.

The watch (:mod:`automatedparallelization.watchdog`): every call here that waits for other ranks
runs inside :func:`watched` (blocking ones around the call, non-blocking ones around their
``wait()``): a stall warns and, by default after 600 s, ends the job; so does a rank that left its
program while this one waits for it. tests/mpi_cases/comm_cases.py checks every public function
of this module for it.
"""
import contextlib
import logging
import math
import zlib

import numpy as np
import torch
from mpi4py import MPI

from automatedparallelization import watchdog as _watchdog_module
from automatedparallelization.comm import lifecycle as _lifecycle
from automatedparallelization.comm import settings as _settings

logger = logging.getLogger(__name__)

OPS = ("sum", "mean", "max", "min", "prod")
_MPI_OPS = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}
_BOOL_OPS = {"sum": MPI.LOR, "max": MPI.LOR, "min": MPI.LAND, "prod": MPI.LAND}
_NATIVE = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float32,
           torch.float64, torch.complex64, torch.complex128, torch.bool}
_UPCAST = {torch.float16, torch.bfloat16}


_DTYPE_CODE = {d: i for i, d in enumerate(sorted(_NATIVE | _UPCAST, key=str))}



_watchdog = _watchdog_module.Watchdog(_settings.current, MPI.COMM_WORLD, _lifecycle.flush_then_abort)


@contextlib.contextmanager
def watched(what, comm, tensor=None):
    """Run a collective (``what``, on ``comm``, moving ``tensor`` if any) under the stall watch."""
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
    with watched(f"check of {what}", comm, tensor):
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
    with watched("barrier", comm):
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
        if _settings.current().check:
            _checked(f"allreduce_({op})", tensor, comm)
        with watched(f"allreduce_({op})", comm, tensor):
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
    if _settings.current().check:
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
            with watched(f"iallreduce_({self.op})", self.comm, self.tensor):
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
        if _settings.current().check:
            _checked("broadcast_", tensor, comm, root)
        with watched(f"broadcast_(root={root})", comm, tensor):
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
    with watched("allgather", comm, tensor):
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
    with watched("allgather", comm, tensor):
        comm.Allgatherv(_bytes(moved), [_bytes(out), nbytes.tolist(), displs.tolist(), MPI.BYTE])
    return out.movedim(0, dim).to(tensor.device)


def bcast_object(obj, root=0, comm=None):
    """Broadcast a picklable Python object from ``root``; returns it on every rank."""
    comm = resolve(comm)
    _check_root(root, comm)
    with watched(f"bcast_object(root={root})", comm):
        return comm.bcast(obj, root=root)


def gather_object(obj, root=0, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order on ``root``; None on the others."""
    comm = resolve(comm)
    _check_root(root, comm)
    with watched(f"gather_object(root={root})", comm):
        return comm.gather(obj, root=root)


def allgather_object(obj, comm=None):
    """Every rank's picklable ``obj``, as a list in rank order."""
    comm = resolve(comm)
    with watched("allgather_object", comm):
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
    with watched("split", comm):
        return comm.Split(color, key)
