"""Gradient reduction: one object per path, each owning a model's gradient buffers, the gradient
hooks on its parameters and :meth:`reduce`, which leaves the sum over the ranks divided by
``divisor`` in every buffer. Which path a model gets is the policy of
:class:`~automatedparallelization.parallel_model.DataParallel` (its ``path``); when to reduce is
the schedule's (:mod:`automatedparallelization.datamodule`).

- :class:`SharedMemoryReduction` (``"shared-memory"``: every rank on one machine, a torch.nn
  model's float32/64 CPU gradients): each buffer is this rank's slot of a shared mapping
  (``comm.shared_reducer``), averaged in place between two barriers. A fresh gradient of
  :data:`DEFER_MIN_NUMEL` elements or more is not claimed when it arrives: it stays ``p.grad``
  (autograd accumulates into it over the backward calls of one interval) and :meth:`reduce` copies
  into the slot only the part the other ranks read, reading the rest where it is; a smaller one is
  claimed as it arrives, so the average sums long runs of the slot, not one piece per parameter.
- :class:`OverlapReduction` (``"mpi-overlap"``): on a backward pass that the schedule will
  synchronize, each bucket's non-blocking allreduce starts as soon as autograd has filled it, the
  rest when the pass ends; :meth:`reduce` waits for them. MPI never matches a non-blocking
  collective with a blocking one, so every gradient reduction on this path is non-blocking.
- :class:`BlockingReduction` (``"mpi"``): one blocking allreduce per bucket after the backward
  call (a compat.nn model's flat Lua buffer, ``overlap=False``, ``nonfinite`` in model mode).

The hooks (post-accumulate-grad, one per parameter) hold their reduction weakly: a cycle through a
tensor's hooks is one that Python's gc cannot collect. The first hook of a backward pass tells
:class:`Passes`, which has the autograd engine call back when the pass is complete.
"""
import contextlib
import weakref

import torch

from automatedparallelization import sync as _sync

# Shared-memory path: a gradient of at least this many elements is averaged where autograd put it
DEFER_MIN_NUMEL = 2 ** 16

_task_id = getattr(torch._C, "_current_graph_task_id", None)


def _graph_task():
    """Id of the running autograd pass (a backward that raised is not counted as a step)."""
    return _task_id() if _task_id is not None else -1


class Passes:
    """The autograd backward pass that the gradient hooks see now, and whether backward calls count
    (not inside :meth:`no_sync`). The first hook of a pass has the autograd engine run ``on_end``
    when the pass is complete."""

    __slots__ = ("on_end", "paused", "_task")

    def __init__(self, on_end):
        self.on_end, self.paused, self._task = on_end, 0, None

    def enter(self):
        """Called by every gradient hook: True for the first one of a backward pass."""
        task = _graph_task()
        if task == self._task:
            return False
        self._task = task
        torch.autograd.Variable._execution_engine.queue_callback(self._end)
        return True

    def _end(self):
        self._task = None
        self.on_end()

    @contextlib.contextmanager
    def no_sync(self):
        """Backward calls inside neither count as steps of the schedule nor touch the buffers."""
        self.paused += 1
        try:
            yield
        finally:
            self.paused -= 1


def gradient_buffers(groups, bucket_bytes, reducers=None):
    """One :class:`~automatedparallelization.sync.GradFlat` per group of parameters (one dtype and
    device each), on the slot of its shared-memory reducer where ``reducers`` has one. Gradients
    arrive roughly in reverse order, so the parameters are laid out reversed: bucket 0 holds the
    last layers."""
    reducers = reducers or [None] * len(groups)
    return [_sync.GradFlat(g[::-1], bucket_bytes, flat=None if r is None else r.mine)
            for g, r in zip(groups, reducers)]


def _hook(owner, gi, i):
    def hook(param):
        me = owner()
        if me is not None:
            me.on_grad(gi, i, param)
    return hook


class BlockingReduction:
    """``"mpi"``: one blocking allreduce per bucket of every buffer, then one division.

    ``grads``: the gradient buffers (:class:`~automatedparallelization.sync.GradFlat`, or a plain
    :class:`~automatedparallelization.sync.Flat` over a compat.nn model's Lua buffer); ``passes``:
    the model's :class:`Passes` (None: no hooks); ``hooked``: further parameters whose gradients
    only mark a backward pass (a compat.nn model's, used through autograd)."""

    __slots__ = ("comm", "grads", "passes", "hooks", "__weakref__")

    def __init__(self, comm, grads, passes, hooked=()):
        self.comm, self.grads, self.passes, self.hooks = comm, grads, passes, []
        if passes is None:
            return
        owner = weakref.ref(self)
        for gi, f in enumerate(grads):
            for i, p in enumerate(getattr(f, "params", ())):
                self.hooks.append(p.register_post_accumulate_grad_hook(_hook(owner, gi, i)))
        for p in hooked:
            self.hooks.append(p.register_post_accumulate_grad_hook(_hook(owner, None, None)))

    def on_grad(self, gi, i, param):
        """The gradient hook: ``param`` (``params[i]`` of buffer ``gi``; None: a marker only) has
        its gradient for this backward pass."""
        if self.passes.paused:
            return
        if self.passes.enter():
            self.begin_pass()
        if gi is not None:
            self.arrived(gi, i, param)

    def begin_pass(self):
        """The first gradient of a backward pass has arrived."""

    def arrived(self, gi, i, param):
        f = self.grads[gi]
        if param.grad is not f.views[i] and not f.deferred[i]:
            f.claim(i)

    def end_pass(self):
        """The backward pass is complete (run by the autograd engine, before the schedule steps)."""

    def claim(self, include_deferred=True):
        """Make every ``p.grad`` its buffer's view (``include_deferred=False``: all but those that
        :meth:`reduce` takes where they are)."""
        for f in self.grads:
            if isinstance(f, _sync.GradFlat):
                f.claim_all(include_deferred)

    def reduce(self, divisor):
        """Every buffer := its sum over the ranks / ``divisor``, on every rank. Collective."""
        self.average(divisor)

    def average(self, divisor):
        """:meth:`reduce` with blocking collectives only (``synchronizeModel``). Collective."""
        for f in self.grads:
            f.average(self.comm, divisor)

    def remove(self):
        """Take the hooks off the parameters."""
        for h in self.hooks:
            h.remove()
        self.hooks.clear()


class OverlapReduction(BlockingReduction):
    """``"mpi-overlap"``: buckets started as autograd fills them on a backward pass that
    ``schedule`` synchronizes (see the module docstring)."""

    __slots__ = ("schedule", "started", "_left", "_next", "_order")

    def __init__(self, comm, grads, passes, schedule):
        self.schedule, self.started, self._left, self._next = schedule, False, [], 0
        self._order = [(g, b) for g, f in enumerate(grads) for b in range(len(f.buckets))]
        super().__init__(comm, grads, passes)

    def begin_pass(self):
        self.started = self.schedule is not None and self.schedule.due_next()
        if self.started:
            self._left = [list(f.bucket_sizes) for f in self.grads]
            self._next = 0

    def arrived(self, gi, i, param):
        super().arrived(gi, i, param)
        if self.started:
            for b in self.grads[gi].buckets_of[i]:
                self._left[gi][b] -= 1
            self._launch(everything=False)

    def end_pass(self):
        if self.started:
            self.claim()
            self._launch(everything=True)

    def _launch(self, everything):
        """Start the buckets in order, as long as they are full (``everything``: all the rest)."""
        while self._next < len(self._order):
            g, b = self._order[self._next]
            if not everything and self._left[g][b] > 0:
                return
            self.grads[g].start_bucket(b, self.comm)
            self._next += 1

    def reduce(self, divisor):
        """Wait for the buckets this backward pass started, or start and wait for every bucket."""
        if self.started:
            self.started = False
            for f in self.grads:
                f.finish(divisor)
            return
        for f in self.grads:
            for b in range(len(f.buckets)):
                f.start_bucket(b, self.comm)
            f.finish(divisor)


class SharedMemoryReduction(BlockingReduction):
    """``"shared-memory"``: every buffer whose entry of ``reducers`` is a
    :class:`~automatedparallelization.comm.SharedReducer` lies on that reducer's slot and is
    averaged through it; a buffer without one (a dtype it does not take) through MPI."""

    __slots__ = ("reducers",)

    def __init__(self, comm, grads, passes, reducers):
        self.reducers = reducers
        for f, r in zip(grads, reducers):
            if r is not None:
                f.deferred[:] = [p.numel() >= DEFER_MIN_NUMEL for p in f.params]
        super().__init__(comm, grads, passes)

    def average(self, divisor):
        for f, reducer in zip(self.grads, self.reducers):
            if reducer is None:
                f.average(self.comm, divisor)
            else:
                _average_in_slot(f, reducer, divisor)


def _average_in_slot(f, reducer, divisor):
    """Average GradFlat ``f`` through ``reducer``: a deferred gradient still private is handed to
    the reducer where it is, any other one is claimed first. Every ``p.grad`` is its view afterwards."""
    private, left, offset = [], [], 0             # left: the parameters whose .grad is still private
    for i, p in enumerate(f.params):
        g, view = p.grad, f.views[i]
        if g is not view:
            if (not f.deferred[i] or g is None or g.layout != torch.strided or not g.is_contiguous()
                    or g.dtype != view.dtype or g.shape != view.shape or g.data_ptr() == view.data_ptr()):
                f.claim(i)
            else:
                private.append((offset, g.detach().view(-1)))
                left.append(i)
        offset += view.numel()
    reducer.average_(divisor, private)
    for i in left:
        f.params[i].grad = f.views[i]
