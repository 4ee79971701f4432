"""Data parallelism: the port of TorchAD-NN's ``datamodule.lua`` (policy: who gets which samples,
when to synchronize, what is averaged). The mechanism (flat buffers, one collective per bucket) is
:mod:`automatedparallelization.sync`; the per-model wiring is :class:`DataParallel`.

    from automatedparallelization import datamodule as automation
    data, labels, size = automation.parallelize(model, data, labels, backward_passes_per_step=1)
    data, labels, size = automation.parallelize(data, labels, model, size, None, None, batchSize)  # Lua's order
    ...train as on one process (model.backward / StochasticGradient.train / loss.backward())...
    automation.unparallelize(model)                    # back to single-process behaviour

Sharding rule (:func:`shard_range`): rank ``r`` of ``P`` gets the contiguous block of dim 0 starting
at ``r * (N // P) + min(r, N % P)``; the first ``N % P`` ranks get ``N // P + 1`` samples, the others
``N // P``. No sample is dropped (the Lua original dropped the remainder although its comment said
the last rank gets it).

Synchronization schedule (:class:`Schedule`): a rank counts its "backward calls" (``model.backward``,
``model.accUpdateGradParameters`` -- what ``StochasticGradient`` calls per sample -- or a
``loss.backward()`` reaching the model's parameters). An epoch is ``E_r = ceil(shard_r /
samples_per_backward)`` calls (Lua: one call per sample). Step ``c`` (1-based within the epoch)
synchronizes when ``c % batchSize == 0`` or ``c == E`` with ``E = max_r E_r``. A rank whose epoch is
shorter performs, at its last step, the synchronizations scheduled for the steps it does not have,
so every rank makes the same sequence of collective calls. In such a "pending" synchronization it
contributes zero gradients in ``'gradients'`` mode (the mean is taken over the ranks that had a
sample, and the result is added to its own, already averaged, gradient: with plain SGD its model
equals the others' after their last step), and its current model in ``'model'`` mode.

What a synchronization averages:

``sync='model'`` (the Lua prototype, periodic model averaging)
    parameters and gradients, mean over all ranks.
``sync='gradients'``
    gradients, mean over the ranks that contributed; with ``batchSize=1`` this is synchronous SGD,
    identical to one process training on the union of the ranks' mini-batches. With ``batchSize>1``
    it is meant for gradient accumulation (step the optimizer every ``batchSize`` calls).
the ``accUpdateGradParameters`` path (``StochasticGradient``), either mode
    the update is already applied to the weights and ``gradWeight`` is not used (Lua's
    ``defaultAccUpdateGradParameters``), so the parameters alone are averaged. From equal weights,
    with ``batchSize=1`` this is the average of the ranks' updates, i.e. synchronous SGD.
"""
import contextlib
import functools
import logging
import math
import time
import weakref
from collections.abc import Mapping, Sized

import torch

from automatedparallelization import comm as _comm
from automatedparallelization import guard as _guard
from automatedparallelization import sync as _sync
from automatedparallelization.parallel_model import DataParallel

logger = logging.getLogger(__name__)

SYNC_MODES = ("model", "gradients")
NONFINITE_POLICIES = (None, "raise", "skip")
_handles = weakref.WeakKeyDictionary()   # model -> DataParallel (which holds the model weakly)


# ---------------------------------------------------------------------------------------- sharding
def shard_range(n, parts, index):
    """``(start, stop)`` (0-based, stop exclusive) of block ``index`` of ``n`` items cut into ``parts``
    contiguous blocks; the first ``n % parts`` blocks hold one item more."""
    base, extra = divmod(n, parts)
    start = index * base + min(index, extra)
    return start, start + base + (1 if index < extra else 0)


def shard_sizes(n, parts):
    """The block sizes of :func:`shard_range`, in rank order."""
    base, extra = divmod(n, parts)
    return [base + (1 if r < extra else 0) for r in range(parts)]


class Schedule:
    """Which backward call of an epoch synchronizes (pure: no communication, no model).

    ``every``: the interval (``batchSize``); ``lengths``: every rank's backward calls per epoch, in
    rank order; ``rank``: this rank. Step ``c`` (1-based within the epoch) is due when
    ``c % every == 0`` or ``c == max(lengths)``; :meth:`step` advances this rank by one call and
    returns the synchronizations it performs then, including, at its last call, the *pending* ones
    of the steps its shorter shard lacks. ``position`` (calls done in the current epoch) is the
    whole mutable state: :meth:`state_dict` / :meth:`load_state_dict` carry it in a checkpoint.
    """

    def __init__(self, every, lengths, rank):
        lengths = list(lengths)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every: expected an int >= 1, got {every!r}")
        if not lengths or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in lengths):
            raise ValueError(f"lengths: expected one int >= 1 per rank, got {lengths!r}")
        if not 0 <= rank < len(lengths):
            raise ValueError(f"rank: expected an int in range({len(lengths)}), got {rank!r}")
        self.every, self.lengths, self.rank = every, lengths, rank
        self.own, self.longest = lengths[rank], max(lengths)
        self._contributors = [sum(1 for n in lengths if n >= c) for c in range(self.longest + 1)]
        self.position = 0

    def due(self, c):
        """Whether step ``c`` of the epoch synchronizes."""
        return c % self.every == 0 or c == self.longest

    def due_next(self):
        """Whether this rank's next backward call synchronizes (as a step of its own, not pending)."""
        return self.due(self.position + 1)

    def contributors(self, c):
        """How many ranks have a step ``c`` in their epoch (the divisor of a gradient mean)."""
        return self._contributors[c]

    def step(self):
        """One backward call done: the synchronizations to perform now, in order, as ``(c, pending)``
        pairs (``pending``: step ``c`` belongs to the longer shards, this rank has no sample for it)."""
        self.position += 1
        c = self.position
        out = [(c, False)] if self.due(c) else []
        if c >= self.own:
            out += [(extra, True) for extra in range(self.own + 1, self.longest + 1) if self.due(extra)]
            self.position = 0
        return out

    def state_dict(self):
        return {"every": self.every, "lengths": list(self.lengths), "rank": self.rank,
                "position": self.position}

    def load_state_dict(self, state):
        """Continue from a saved position; the interval and the shards must be the same."""
        mine = {k: v for k, v in self.state_dict().items() if k != "position"}
        theirs = {k: state.get(k) for k in mine}
        if theirs != mine:
            raise ValueError(f"schedule: the saved schedule {theirs} does not match this one {mine} "
                             f"(resume with the same data size, batchSize and number of ranks)")
        position = state.get("position")
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < self.own:
            raise ValueError(f"schedule: saved position {position!r} is outside this rank's epoch "
                             f"of {self.own} backward calls")
        self.position = position


def default_batch_size(shard_size):
    """The Lua heuristic (``optimize_sync``): synchronize every 1, 10, 50 or 100 backward calls."""
    if shard_size < 1000:
        return 1
    if shard_size < 2500:
        return 10
    if shard_size < 5000:
        return 50
    return 100


def _communicator(mpi, comm):
    """The communicator: ``comm`` if given, else the ``mpi`` handle's (compat.torchmpi), else WORLD."""
    if comm is not None:
        return _comm.resolve(comm)
    if mpi is None:
        return _comm.resolve(None)
    inner = getattr(mpi, "comm", None)
    if inner is None and hasattr(mpi, "rank") and hasattr(mpi, "size"):
        return _comm.resolve(None)          # a TorchMPI handle not started yet: the default one
    if inner is None:
        raise TypeError(f"mpi: expected None or a compat.torchmpi handle (with .comm), got "
                        f"{type(mpi).__name__}")
    return _comm.resolve(inner)


def _check_size(size, length, name):
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size: expected an int >= 0 (number of samples), got {size!r}")
    if length is not None and size > length:
        raise ValueError(f"size: {size} is larger than {name}, which holds {length} samples along dim 0")


def _length(data):
    if isinstance(data, torch.Tensor):
        return data.shape[0] if data.dim() > 0 else None
    try:
        return len(data)
    except TypeError:
        return None


def _check_samples(data, name):
    """``data`` must hold samples along dim 0: a tensor of at least one dimension, or a sequence
    (list, tuple, Lua-style dataset) that can be sliced; not a dict, a string or a scalar."""
    if isinstance(data, torch.Tensor):
        if data.dim() == 0:
            raise ValueError(f"{name}: expected a tensor with samples along dim 0, got a 0-d tensor "
                             f"(a single value {data.item()!r})")
        return
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Sized) or not hasattr(data, "__getitem__"):
        raise TypeError(f"{name}: expected a tensor or a sequence of samples (indexable along dim 0), got "
                        f"{type(data).__name__}")


def data_parallel(data, size, mpi=None, *, comm=None):
    """This rank's contiguous block of the first ``size`` samples of ``data`` (dim 0); returns
    ``(block, block_size)``. The block is a view for a tensor (Lua ``data[{ {start,finish} }]``)."""
    c = _communicator(mpi, comm)
    _check_samples(data, "data")
    _check_size(size, _length(data), "data")
    start, stop = shard_range(size, c.Get_size(), c.Get_rank())
    logger.info("rank %d: samples %d..%d of %d (%d)", c.Get_rank(), start + 1, stop, size, stop - start)
    return data[start:stop], stop - start


# ---------------------------------------------------------------------------------------- the API
def _bucket_bytes(bucket_bytes, overlap):
    """None -> 1 MiB buckets when they are started as they fill (overlap), else 25 MiB (as DDP)."""
    if bucket_bytes is None:
        return _sync.OVERLAP_BUCKET_BYTES if overlap else _sync.DEFAULT_BUCKET_BYTES
    return bucket_bytes


EVERY = "backward_passes_per_step (Lua: batchSize)"    # how errors name the interval, in both forms


def _validate(model, size, every, sync, samples_per_backward, bucket_bytes, nonfinite=None):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a compat.nn module or a torch.nn.Module, got {type(model).__name__}")
    if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                              or not (every >= 1 or every == -1)):
        raise ValueError(f"{EVERY}: expected None (heuristic), -1 (manual synchronizeModel) or an "
                         f"int >= 1, got {every!r}")
    if sync not in SYNC_MODES:
        raise ValueError(f"sync: expected one of {SYNC_MODES}, got {sync!r}")
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f"nonfinite: expected one of {NONFINITE_POLICIES}, got {nonfinite!r}")
    if nonfinite == "skip" and sync == "model":
        raise ValueError("nonfinite='skip' needs sync='gradients' (in model mode a NaN reaches the "
                         "averaged parameters themselves); use nonfinite='raise'")
    for name, value in (("samples_per_backward", samples_per_backward), ("bucket_bytes", bucket_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected an int >= 1, got {value!r}")


def _architecture(model):
    return [(name, tuple(p.shape), str(p.dtype), p.requires_grad)
            for name, p in torch.nn.Module.named_parameters(model)]


def _agree(c, what, local_error):
    """Raise on every rank when one rank's arguments failed (``local_error``) or the ranks' ``what``
    (a dict) differ."""
    _guard.raise_on_every_rank(local_error, c, "parallelize")
    infos = _comm.allgather_object(what, c)
    for key in what:
        values = [info[key] for info in infos]
        if key == "architecture":
            _compare_architectures(values)
        elif any(v != values[0] for v in values):
            raise ValueError(f"parallelize: every rank must pass the same {key}; got "
                             + ", ".join(f"{v!r} on rank {r}" for r, v in enumerate(values)))


def _compare_architectures(archs):
    ref = archs[0]
    for r, arch in enumerate(archs[1:], 1):
        for i in range(max(len(ref), len(arch))):
            a = ref[i] if i < len(ref) else None
            b = arch[i] if i < len(arch) else None
            if a != b:
                def show(x):
                    return ("no parameter" if x is None else
                            f"{x[0]!r} of shape {x[1]}, dtype {x[2]} and requires_grad={x[3]}")
                raise ValueError(f"parallelize: the model differs between ranks: parameter #{i} is "
                                 f"{show(a)} on rank 0 but {show(b)} on rank {r}; every rank must build "
                                 f"the same architecture")


def _lua_order(lua_form, positional):
    """Let the decorated Python form also take Lua's positional order: a call with more than
    ``positional`` positional arguments is a Lua one and goes to ``lua_form``."""
    def decorate(python_form):
        @functools.wraps(python_form)
        def either(*args, **kwargs):
            return (lua_form if len(args) > positional else python_form)(*args, **kwargs)
        either.lua_form = lua_form
        return either
    return decorate


def lua_parallelize(data, targets, model, size, mpi=None, mpinn=None, batchSize=None, **options):
    """Lua's ``parallelize(data, targets, model, size, mpi, mpinn, batchSize)``, also reached by
    calling :func:`parallelize` in that order; ``mpi``: a compat.torchmpi handle or None (its
    communicator, unless ``comm=`` is given); ``mpinn`` is accepted and unused (parameters are
    always synchronized; the Lua code skipped that when it was given). ``options``: the keywords of
    :func:`parallelize`."""
    comm = _communicator(mpi, options.pop("comm", None))
    return parallelize(model, data, targets, size=size, backward_passes_per_step=batchSize, comm=comm, **options)


@_lua_order(lua_parallelize, 3)
def parallelize(model, data, targets, *, size=None, backward_passes_per_step=None, comm=None, sync="model",
                samples_per_backward=1, overlap=True, bucket_bytes=None, nonfinite=None):
    """Shard the first ``size`` samples (default: all) of ``data``/``targets`` over the ranks of
    ``comm``, give every rank rank 0's parameters and attach automatic synchronization to
    ``model``; returns ``(data_shard, targets_shard, shard_size)``. Collective: every rank passes the
    same arguments and architecture (checked; a difference raises ValueError on every rank).
    ``backward_passes_per_step``: synchronize every that many backward calls and at the end of the
    shard (None: the Lua heuristic; -1: only by :func:`synchronizeModel`). The other keywords:
    :func:`optimize_sync` and docs/api.md. Lua's positional order is :func:`lua_parallelize`."""
    c = _comm.resolve(comm)
    bucket_bytes = _bucket_bytes(bucket_bytes, overlap)
    error = None
    try:
        size = _length(data) if size is None else size
        _validate(model, size, backward_passes_per_step, sync, samples_per_backward, bucket_bytes, nonfinite)
        for value, name in ((data, "data"), (targets, "targets")):
            _check_samples(value, name)
            _check_size(size, _length(value), name)
    except (TypeError, ValueError) as exc:
        error = exc
    what = {"size": size, EVERY: backward_passes_per_step, "sync": sync, "samples_per_backward": samples_per_backward,
            "overlap": overlap, "nonfinite": nonfinite, "architecture": _architecture(model) if error is None else None}
    _agree(c, what, error)
    newdata, data_size = data_parallel(data, size, comm=c)
    newtargets, _ = data_parallel(targets, size, comm=c)
    _attach(model, c, data_size, backward_passes_per_step, dict(
        sync=sync, overlap=overlap, bucket_bytes=bucket_bytes, nonfinite=nonfinite), samples_per_backward)
    _comm.barrier(c)
    return newdata, newtargets, data_size


def lua_optimize_sync(speed, size, model, mpinn=None, mpi=None, batchSize=None, **options):
    """Lua's ``optimize_sync(speed, size, model, mpinn, mpi, batchSize)`` (its order: ``mpinn``
    before ``mpi``), also reached by calling :func:`optimize_sync` in that order; ``speed`` and
    ``mpinn`` are accepted and unused, as in the Lua code."""
    comm = _communicator(mpi, options.pop("comm", None))
    return optimize_sync(model, shard_size=size, backward_passes_per_step=batchSize, comm=comm, **options)


@_lua_order(lua_optimize_sync, 1)
def optimize_sync(model, *, shard_size, backward_passes_per_step=None, comm=None, sync="model",
                  samples_per_backward=1, overlap=True, bucket_bytes=None, nonfinite=None):
    """Choose the synchronization interval and attach automatic synchronization to ``model``
    (Lua: redefined ``nn.Sequential:backward`` and ``nn.StochasticGradient:train`` for the whole
    process; here only this instance is wired). Returns the interval.

    ``shard_size``: this rank's number of samples. ``backward_passes_per_step``: synchronize every
    that many backward calls and at the end of the shard; ``None`` picks the Lua heuristic on the
    largest shard (so all ranks agree); ``-1`` attaches the flat buffers only (call
    :func:`synchronizeModel` yourself). ``sync``, ``samples_per_backward``, ``overlap``,
    ``bucket_bytes``, ``nonfinite``: docs/api.md. Collective; broadcasts rank 0's parameters."""
    c = _comm.resolve(comm)
    bucket_bytes = _bucket_bytes(bucket_bytes, overlap)
    _validate(model, shard_size, backward_passes_per_step, sync, samples_per_backward, bucket_bytes, nonfinite)
    return _attach(model, c, shard_size, backward_passes_per_step, dict(
        sync=sync, overlap=overlap, bucket_bytes=bucket_bytes, nonfinite=nonfinite), samples_per_backward)


def _attach(model, c, shard_size, every, options, samples_per_backward):
    """:func:`optimize_sync` on validated arguments: the schedule from every rank's shard size, a
    :class:`DataParallel` (``options``: its keywords), rank 0's parameters. Returns the interval."""
    sizes = _comm.allgather_object(shard_size, c)
    if every is None:
        every = default_batch_size(max(sizes))
    lengths = [math.ceil(s / samples_per_backward) for s in sizes]
    if every != -1 and min(lengths) == 0:
        raise ValueError(f"parallelize: every rank needs at least one sample for automatic "
                         f"synchronization; shard sizes are {sizes} (size {sum(sizes)} < {len(sizes)} "
                         f"ranks); use fewer ranks, or {EVERY} -1 and synchronizeModel")
    unparallelize(model)
    schedule = None if every == -1 else Schedule(every, lengths, c.Get_rank())
    handle = DataParallel(model, c, schedule=schedule, **options)
    handle.broadcast_parameters(0)
    _handles[model] = handle
    return every


def handle(model):
    """The :class:`DataParallel` attached to ``model`` by :func:`parallelize`, or None."""
    return _handles.get(model)


def unparallelize(model):
    """Detach automatic synchronization from ``model`` (hooks and wrappers removed); the model
    trains as on one process again. Returns True if something was attached."""
    h = _handles.pop(model, None)
    if h is None:
        return False
    h.remove()
    return True


def synchronizeModel(model, mpi=None, *, comm=None):
    """Average the parameters and gradients of ``model`` over the ranks (Lua ``synchronizeModel``,
    used with ``batchSize == -1``); flat buffers, one allreduce per bucket. Collective."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a compat.nn module or a torch.nn.Module, got {type(model).__name__}")
    h = _handles.get(model)
    c = _communicator(mpi, comm) if (mpi is not None or comm is not None or h is None) else h.comm
    if h is not None and c is h.comm:
        h.synchronize_model()
        return
    weights, grads = _weights_and_grads(model)
    _sync.average_copy(weights + grads, c, c.Get_size())


def _weights_and_grads(model):
    if getattr(type(model), "getParameters", None) is not None:       # compat.nn: Lua parameters()
        weights, grads = model.parameters()
        return _sync.unique(weights), _sync.unique(grads)
    params = _sync.unique(p for p in torch.nn.Module.parameters(model))
    return [p.data for p in params], [p.grad for p in params if p.grad is not None]


def _save_grads(model):
    if getattr(type(model), "getParameters", None) is not None:
        return [(g, g.detach().clone()) for g in _weights_and_grads(model)[1]]
    return [(p, None if p.grad is None else p.grad.detach().clone())
            for p in _sync.unique(torch.nn.Module.parameters(model))]


def restore_gradients(saved):
    """Put back gradients as ``(owner, value)`` pairs: a compat gradient buffer or a parameter's
    existing ``.grad`` is overwritten in place (flat buffers and views stay valid), a missing one
    is set (``value`` None: the parameter has no gradient)."""
    with torch.no_grad():
        for owner, value in saved:
            if not isinstance(owner, torch.nn.Parameter):
                owner.copy_(value)                 # a compat gradient buffer
            elif value is None or owner.grad is None:
                owner.grad = value
            else:
                owner.grad.copy_(value)


def comm_speed(data, targets, model, mpi=None, mpinn=None, *, criterion=None, steps=10, comm=None):
    """Seconds per step of forward + backward + gradient synchronization, averaged over ``steps``
    samples ``data[i]`` (Lua ``comm_speed``, which ran 10; its ``criterion`` was an undefined global:
    here it is an argument, and without one the gradient of ``output.sum()`` is used). Collective.
    Gradients are restored afterwards and the schedule of a parallelized model is not advanced
    (the steps run inside its ``no_sync()``)."""
    c = _communicator(mpi, comm)
    n = _length(data)
    if not n:
        raise ValueError(f"data: expected at least one sample, got {type(data).__name__} of length {n}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected an int >= 1, got {steps!r}")
    saved = _save_grads(model)
    h = _handles.get(model)
    try:
        with h.no_sync() if h is not None else contextlib.nullcontext():
            _comm.barrier(c)
            start = time.perf_counter()
            for i in range(steps):
                _forward_backward(model, data[i % n], targets[i % n], criterion)
                _sync.average_copy(_weights_and_grads(model)[1], c, 1)   # TorchMPI synchronizeGradients: a sum
            speed = (time.perf_counter() - start) / steps
    finally:
        restore_gradients(saved)
    logger.info("rank %d: comm speed %.6f s per step", c.Get_rank(), speed)
    return speed


def _forward_backward(model, x, t, criterion):
    """One sample through ``model`` and back (Lua's ``forward``/``backward`` for a compat.nn model)."""
    if getattr(type(model), "getParameters", None) is None:
        out = model(x)
        (criterion(out, t) if criterion is not None else out.sum()).backward()
        return
    out = model.forward(x)
    if criterion is not None:
        criterion.forward(out, t)
        df = criterion.backward(out, t)
    else:
        df = torch.ones_like(out)
    model.backward(x, df)
