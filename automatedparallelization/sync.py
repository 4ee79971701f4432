"""How ranks synchronize a model (mechanism): flat buffers, one collective per bucket.

Policy (which step synchronizes, what is averaged) lives in :mod:`automatedparallelization.datamodule`.

A :class:`Flat` is one contiguous 1-D CPU tensor that a model's tensors are views of, cut into
buckets of at most ``bucket_bytes`` (default 25 MiB, as PyTorch DDP). Synchronizing is one
in-place ``comm.allreduce_`` per bucket on that memory (zero copy: MPI reads and writes the model's
own storage), followed by one division of the whole buffer -- never one collective per parameter,
and no Python loop over parameters.

How the tensors come to be views of one buffer:

- :func:`flat_alias`: they already are (compat.nn ``getParameters()`` flattened them, as a Lua
  script does before ``parallelize``): the existing storage is used as it is;
- :meth:`Flat.adopt_data`: a new buffer receives the parameters' values and each ``param.data``
  becomes a view of it (the ``Parameter`` objects, and so optimizers holding them, are unchanged);
- :class:`GradFlat`: a buffer for the ``.grad`` of native parameters; ``p.grad`` is set to its view.
  When autograd replaces a gradient (after ``optimizer.zero_grad()`` set it to ``None`` it installs a
  fresh tensor), :meth:`GradFlat.claim` copies it into the view and re-attaches the view: one copy
  per step instead of the two (flatten, unflatten) of a copy-in/copy-out scheme.

The three ways of reducing a model's gradient buffers (shared memory, MPI with overlap, MPI
blocking) are the reduction objects of :mod:`automatedparallelization.reduction`; :meth:`Flat.start_bucket`
and :meth:`Flat.finish` are the non-blocking pair the overlap one uses.
"""
import logging

import torch

from automatedparallelization import comm as _comm

logger = logging.getLogger(__name__)

DEFAULT_BUCKET_BYTES = 25 * 2 ** 20
OVERLAP_BUCKET_BYTES = 2 ** 20


def unique(tensors):
    """``tensors`` without repeats (a parameter shared by two modules is synchronized once)."""
    seen, out = set(), []
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out


def flat_alias(tensors):
    """A 1-D tensor over the memory of ``tensors`` when they lie back to back, in order, in one
    storage (as after compat.nn ``getParameters()``); ``None`` otherwise."""
    if not tensors:
        return None
    first = tensors[0]
    storage, offset = first.untyped_storage(), first.storage_offset()
    end = offset
    for t in tensors:
        if (t.dtype != first.dtype or t.device != first.device or not t.is_contiguous()
                or t.untyped_storage().data_ptr() != storage.data_ptr() or t.storage_offset() != end):
            return None
        end += t.numel()
    flat = torch.empty(0, dtype=first.dtype, device=first.device)
    flat.set_(storage, offset, (end - offset,))
    return flat


def _bucket_slices(flat, bucket_bytes):
    per = max(1, bucket_bytes // max(1, flat.element_size()))
    n = flat.numel()
    return [flat[i:i + per] for i in range(0, n, per)] or [flat]


class Flat:
    """One flat buffer (1-D, contiguous) with its bucket slices."""

    def __init__(self, flat, bucket_bytes=DEFAULT_BUCKET_BYTES):
        if not isinstance(flat, torch.Tensor) or flat.dim() != 1 or not flat.is_contiguous():
            raise ValueError(f"flat: expected a contiguous 1-D tensor, got {type(flat).__name__} "
                             f"{tuple(getattr(flat, 'shape', ()))}")
        self.flat = flat
        self.buckets = _bucket_slices(flat, bucket_bytes)
        self._pending = []

    @classmethod
    def adopt_data(cls, tensors, bucket_bytes=DEFAULT_BUCKET_BYTES):
        """Copy ``tensors`` (same dtype and device) into a new flat buffer and make each
        ``t.data`` a view of it; returns the Flat (``None`` for no tensors)."""
        if not tensors:
            return None
        first = tensors[0]
        flat = torch.empty(sum(t.numel() for t in tensors), dtype=first.dtype, device=first.device)
        offset = 0
        with torch.no_grad():
            for t in tensors:
                view = flat[offset:offset + t.numel()].view(t.shape)
                view.copy_(t)
                t.data = view
                offset += t.numel()
        return cls(flat, bucket_bytes)

    def allreduce_sum(self, comm):
        """Sum over ranks, in place, one collective per bucket."""
        for bucket in self.buckets:
            _comm.allreduce_(bucket, "sum", comm)

    def average(self, comm, divisor):
        """Sum over ranks in place, then divide the whole buffer once by ``divisor``."""
        self.allreduce_sum(comm)
        if divisor != 1:
            with torch.no_grad():
                _comm.divide_(self.flat, divisor)

    def broadcast(self, root, comm):
        for bucket in self.buckets:
            _comm.broadcast_(bucket, root, comm)

    def start_bucket(self, index, comm):
        """Start the non-blocking sum of bucket ``index`` (buckets must be started in the same
        order on every rank)."""
        self._pending.append(_comm.iallreduce_(self.buckets[index], "sum", comm))

    def finish(self, divisor):
        """Wait for every started bucket, then divide the buffer by ``divisor``."""
        for handle in self._pending:
            handle.wait()
        self._pending = []
        if divisor != 1:
            with torch.no_grad():
                _comm.divide_(self.flat, divisor)


class GradFlat(Flat):
    """A flat buffer for the gradients of native parameters (``params`` share one dtype/device).

    ``views[i]`` is the slot of ``params[i].grad``; :meth:`claim` (called by a post-accumulate-grad
    hook, or before a synchronization) makes sure ``p.grad`` is that view. ``flat``: the memory to
    use (zeroed here; e.g. a shared-memory slot), else a new buffer. ``deferred[i]``: whether a
    fresh gradient of ``params[i]`` is left where autograd put it until the reduction takes it
    (set by the shared-memory reduction; never here).
    """

    def __init__(self, params, bucket_bytes=DEFAULT_BUCKET_BYTES, flat=None):
        first = params[0]
        numel = sum(p.numel() for p in params)
        if flat is None:
            flat = torch.zeros(numel, dtype=first.dtype, device=first.device)
        elif flat.numel() != numel or flat.dtype != first.dtype:
            raise ValueError(f"flat: expected a buffer of {numel} {first.dtype} elements, got {flat.numel()} "
                             f"{flat.dtype}")
        else:
            flat.zero_()
        super().__init__(flat, bucket_bytes)
        self.params = params
        self.deferred = [False] * len(params)
        self.views, self.buckets_of, offset = [], [], 0
        per = self.buckets[0].numel()
        for p in params:
            self.views.append(flat[offset:offset + p.numel()].view(p.shape))
            last = max(offset, offset + p.numel() - 1)
            self.buckets_of.append(tuple(range(offset // per, last // per + 1)))
            offset += p.numel()
        for i in range(len(params)):
            self.claim(i)
        # how many parameters touch each bucket (the overlap path counts them down)
        self.bucket_sizes = [sum(b in bs for bs in self.buckets_of) for b in range(len(self.buckets))]

    def claim(self, i):
        """Make ``params[i].grad`` the buffer's view (copying a replaced gradient into it, zeroing
        it when the gradient is ``None``)."""
        p, view = self.params[i], self.views[i]
        g = p.grad
        if g is view:
            return
        with torch.no_grad():
            if g is None:
                view.zero_()
            else:
                view.copy_(g)
        p.grad = view

    def claim_all(self, include_deferred=True):
        """Claim every gradient (``include_deferred=False``: all but the deferred ones)."""
        for i, p in enumerate(self.params):
            if p.grad is not self.views[i] and (include_deferred or not self.deferred[i]):
                self.claim(i)


def group_by_dtype(tensors):
    """``tensors`` split into lists of one (dtype, device) each, in first-seen order."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t)
    return list(groups.values())


def average_copy(tensors, comm, divisor):
    """Average ``tensors`` over ranks through a temporary flat copy per dtype (for a model that was
    never parallelized): flatten, one allreduce per bucket, copy back."""
    for group in group_by_dtype([t for t in tensors if t is not None]):
        flat = Flat(torch.cat([t.detach().reshape(-1) for t in group]))
        flat.average(comm, divisor)
        offset = 0
        with torch.no_grad():
            for t in group:
                t.copy_(flat.flat[offset:offset + t.numel()].view(t.shape))
                offset += t.numel()
