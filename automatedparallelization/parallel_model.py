"""``DataParallel``: automatic synchronization attached to ONE model instance (hooks and buffers).

Built by :func:`automatedparallelization.datamodule.optimize_sync`; the schedule
(:class:`~automatedparallelization.datamodule.Schedule`, which step synchronizes) and what is
averaged are documented in :mod:`automatedparallelization.datamodule`. Wiring, all removable
(:meth:`remove`):

- compat.nn model: the instance's ``backward`` and ``accUpdateGradParameters`` are wrapped by
  instance attributes (the class, e.g. ``nn.Sequential``, is untouched); its parameters are used
  through the flat tensors of Lua ``getParameters()`` (called here unless the script already did);
- any model run through autograd (``loss.backward()``): a post-accumulate-grad hook per parameter
  claims the gradient into the flat buffer (on the shared-memory path a large one is left for the
  average: ``sync.GradFlat.deferred``) and, on the first one of a backward pass, queues a
  callback that the autograd engine runs when the pass is complete; the callback advances the
  schedule (and, with ``overlap``, buckets were already started as they filled up).

The model is held weakly: a model the user drops is freed with its buffers, hooks and shared-memory
mapping (nothing here, nor the registry in ``datamodule``, keeps it alive).
"""
import logging
import weakref

import torch

from automatedparallelization import comm as _comm
from automatedparallelization import guard as _guard
from automatedparallelization import sync as _sync

logger = logging.getLogger(__name__)


_task_id = getattr(torch._C, "_current_graph_task_id", None)


def _graph_task():
    """Id of the running autograd pass (a backward that raised is not counted as a step)."""
    return _task_id() if _task_id is not None else -1


def _is_compat(model):
    return getattr(type(model), "getParameters", None) is not None


# How a synchronization averages the gradients of a model (DataParallel.path):
#   "shared-memory": every rank on one machine, a torch.nn model's float32/64 CPU gradients: each
#       rank's gradient buffer is its slot of a shared mapping, averaged in place between two barriers;
#   "mpi-overlap": otherwise, with overlap=True: each bucket's non-blocking allreduce starts as soon
#       as autograd has filled it, and the last ones are completed at the end of the backward pass;
#   "mpi": blocking allreduces after the backward call (compat.nn models, overlap=False, nonfinite
#       in model mode).
PATHS = ("shared-memory", "mpi-overlap", "mpi")


class DataParallel:
    """Synchronization state of one model. ``schedule``: when to synchronize (None: only by
    :meth:`synchronize_model`); ``syncs`` counts the synchronizations performed; ``path`` is how the
    gradients are averaged, one of :data:`PATHS`."""

    def __init__(self, model, comm, *, schedule, sync, overlap=False,
                 bucket_bytes=_sync.DEFAULT_BUCKET_BYTES, nonfinite=None):
        self._model, self.comm, self.mode = weakref.ref(model), comm, sync
        self.nonfinite, self.skipped = nonfinite, 0
        self.size = comm.Get_size()
        self.schedule, self.syncs, self._started = schedule, 0, False
        self.overlap, self.bucket_bytes = bool(overlap), bucket_bytes
        self.suspended = False
        self.compat = _is_compat(model)
        self._hooks, self._wrapped = [], []
        self._task = None                         # autograd graph task being counted
        self._reducers = {}
        self._build()
        if schedule is not None:
            self._install()

    @property
    def model(self):
        model = self._model()
        if model is None:
            raise RuntimeError("the model of this DataParallel has been freed")
        return model

    # ------------------------------------------------------------------ flat buffers
    def _build(self):
        if self.compat:
            weights, grads = (_sync.unique(t) for t in self.model.parameters())
            wf, gf = _sync.flat_alias(weights), _sync.flat_alias(grads)
            if (wf is None or gf is None) and weights:
                self.model.getParameters()          # Lua: flatten into one storage
                weights, grads = (_sync.unique(t) for t in self.model.parameters())
                wf, gf = _sync.flat_alias(weights), _sync.flat_alias(grads)
            self.params = weights
            self.weights = [_sync.Flat(wf, self.bucket_bytes)] if wf is not None else []
            self.grads = [_sync.Flat(gf, self.bucket_bytes)] if gf is not None else []
            self.gradflats = []
        else:
            self.params = _sync.unique(p for p in torch.nn.Module.parameters(self.model) if p.requires_grad)
            groups = _sync.group_by_dtype(self.params)
            self.weights = [_sync.Flat.adopt_data(g, self.bucket_bytes) for g in groups]
            # gradients arrive roughly in reverse order: bucket 0 holds the last layers
            self.gradflats = [_sync.GradFlat(g[::-1], self.bucket_bytes, self._reducer(g)) for g in groups]
            self.grads = self.gradflats
        self._anchor = (self.params[0], self.params[0].data_ptr()) if self.params else None
        self._order = [(g, b) for g, f in enumerate(self.gradflats) for b in range(len(f.buckets))]
        self.path, why = self._choose_path()
        if self.overlap and self.path != "mpi-overlap":
            logger.info("overlap=True does not apply to this model: %s", why)
        # MPI never matches a non-blocking collective with a blocking one: on the overlap path EVERY
        # gradient reduction of this model is non-blocking (also the pending ones of a short shard)
        self._nonblocking = self.path == "mpi-overlap"

    def _choose_path(self):
        """The one policy for how gradients are averaged (docs/design.md, "Which path runs"):
        ``(path, reason)`` with ``path`` one of :data:`PATHS`."""
        if any(f.reducer is not None for f in self.gradflats):
            return "shared-memory", ("every rank runs on this machine, so the gradients are averaged in "
                                     "shared memory, in place between two barriers (no non-blocking form)")
        if not self.gradflats:
            return "mpi", "a compat.nn model's flat Lua buffers are averaged after each backward call"
        if self.nonfinite and self.mode == "model":
            return "mpi", "nonfinite in model mode checks each rank's own gradients before averaging"
        if self.overlap:
            return "mpi-overlap", ""
        return "mpi", "overlap=False"

    def _reducer(self, params):
        """The shared-memory reducer for a gradient buffer of ``params`` (None: MPI collectives).
        Created once per (size, dtype, device), collectively; a rebuild after the parameters moved
        reuses it, so a rebuild never needs the other ranks."""
        numel, first = sum(p.numel() for p in params), params[0]
        key = (numel, first.dtype, first.device)
        if key not in self._reducers:
            self._reducers[key] = _comm.shared_reducer(numel, first.dtype, first.device, self.comm)
        return self._reducers[key]

    def _refresh(self, claim_deferred=True):
        """Rebuild the buffers if the parameters moved (e.g. a later getParameters() or .to()), and
        make every ``p.grad`` its view (``claim_deferred=False``: except those :meth:`GradFlat.average`
        takes itself on the shared-memory path, copying less of a fresh gradient)."""
        if self._anchor is not None and self._anchor[0].data_ptr() != self._anchor[1]:
            logger.debug("parameters moved; rebuilding the flat buffers")
            self._build()
        for f in self.gradflats:
            f.claim_all(include_deferred=claim_deferred)

    def broadcast_parameters(self, root=0):
        for f in self.weights:
            f.broadcast(root, self.comm)

    # ------------------------------------------------------------------ wiring
    def _install(self):
        if self.compat:
            for name in ("backward", "accUpdateGradParameters"):
                self._wrap(name, "update" if name == "accUpdateGradParameters" else "grad")
        for gi, f in enumerate(self.gradflats):
            for i, p in enumerate(f.params):
                self._hooks.append(p.register_post_accumulate_grad_hook(self._make_hook(gi, i)))
        if self.compat:
            for p in self.params:
                self._hooks.append(p.register_post_accumulate_grad_hook(self._make_hook(None, None)))

    def _wrap(self, name, kind):
        original = getattr(self.model, name)    # model -> wrapper -> model: a cycle gc collects

        def wrapper(*args, **kwargs):
            out = original(*args, **kwargs)
            if not self.suspended:
                self.tick(kind)
            return out
        wrapper.__name__ = name
        wrapper.__doc__ = f"{original.__doc__ or ''}\n(then advance the data-parallel schedule)"
        self.model.__dict__[name] = wrapper
        self._wrapped.append(name)

    def _make_hook(self, gi, i):
        # The hook lives on the parameter, which this object holds: it refers back weakly, since
        # a cycle through a tensor's hooks is one that Python's gc cannot collect.
        owner = weakref.ref(self)

        def hook(param):
            me = owner()
            if me is not None:
                me._on_grad(gi, i, param)
        return hook

    def _on_grad(self, gi, i, param):
        if self.suspended:
            return
        task = _graph_task()
        if task != self._task:                   # first hook of this backward pass
            self._task = task
            self._started = self._nonblocking and self.schedule.due_next()
            if self._started:
                self._left = [list(f.bucket_sizes) for f in self.gradflats]
                self._next = 0
            torch.autograd.Variable._execution_engine.queue_callback(self._end_backward)
        if gi is None:
            return
        f = self.gradflats[gi]
        if param.grad is not f.views[i] and not f.deferred[i]:
            f.claim(i)
        if self._started:
            for b in f.buckets_of[i]:
                self._left[gi][b] -= 1
            self._launch_ready()

    def _launch_ready(self, everything=False):
        while self._next < len(self._order):
            g, b = self._order[self._next]
            if not everything and self._left[g][b] > 0:
                return
            self.gradflats[g].start_bucket(b, self.comm)
            self._next += 1

    def _end_backward(self):
        self._task = None
        if self._started:
            for f in self.gradflats:
                f.claim_all()
            self._launch_ready(everything=True)
        self.tick("grad")

    def remove(self):
        """Take the hooks and wrappers off the model (its flat buffers stay, harmlessly)."""
        for h in self._hooks:
            h.remove()
        model = self._model()
        for name in self._wrapped if model is not None else ():
            model.__dict__.pop(name, None)
        self._hooks, self._wrapped = [], []

    # ------------------------------------------------------------------ schedule
    def tick(self, kind):
        """One backward call done: perform the synchronizations the schedule says are due now."""
        due = self.schedule.step()
        if self._started and not (due and not due[0][1]):
            raise RuntimeError("internal error: buckets started on a step that is not due")
        for c, pending in due:
            self._synchronize(kind, c, pending)

    def _synchronize(self, kind, c, pending):
        self.syncs += 1
        started, self._started = self._started, False
        if not started:                             # (the plain average claims fresh gradients itself)
            self._refresh(claim_deferred=pending or self.mode == "model")
        if kind == "update":                        # accUpdateGradParameters: weights hold the update
            for f in self.weights:
                f.average(self.comm, self.size)
            return
        if self.mode == "model":
            if self.nonfinite:
                self._refuse_nonfinite()
            for f in self.weights:
                f.average(self.comm, self.size)
            self._reduce_grads(started, self.size)
            return
        n = self.schedule.contributors(c)
        if not pending:
            self._reduce_grads(started, n)
            if self.nonfinite and not _guard.all_finite([f.flat for f in self.grads], synchronized=True):
                self._on_nonfinite("the averaged gradients hold NaN or Inf (some rank's did)")
            return
        saved = [f.flat.clone() for f in self.grads]  # this rank has no step c: contribute zeros
        for f, s in zip(self.grads, saved):
            f.flat.zero_()
            self._average_grads(f, n)
            f.flat.add_(s)

    def _refuse_nonfinite(self):
        """Model mode: one tiny collective check before averaging (a NaN would spread to every rank)."""
        bad = _guard.nonfinite_ranks([f.flat for f in self.weights + self.grads], self.comm)
        if bad:
            self._on_nonfinite(f"rank(s) {bad} hold NaN or Inf parameters or gradients")

    def _on_nonfinite(self, what):
        """The same decision on every rank: raise, or zero the averaged gradients (step skipped)."""
        if self.nonfinite == "raise":
            raise FloatingPointError(f"data-parallel synchronization #{self.syncs}: {what}; every rank "
                                     f"stops here (parallelize(..., nonfinite='raise'))")
        self.skipped += 1
        logger.warning("synchronization #%d: %s; gradients zeroed on every rank, so this step applies "
                       "no gradient (nonfinite='skip')", self.syncs, what)
        with torch.no_grad():
            for f in self.grads:
                f.flat.zero_()

    def _reduce_grads(self, started, divisor):
        for f in self.grads:
            if started:
                f.finish(divisor)
            else:
                self._average_grads(f, divisor)

    def _average_grads(self, f, divisor):
        if self._nonblocking:
            for b in range(len(f.buckets)):
                f.start_bucket(b, self.comm)
            f.finish(divisor)
        else:
            f.average(self.comm, divisor)

    def synchronize_model(self):
        """Lua ``synchronizeModel``: mean of parameters and gradients over all ranks."""
        self._refresh(claim_deferred=False)
        for f in self.weights + self.grads:
            f.average(self.comm, self.size)
