"""``DataParallel``: automatic synchronization attached to ONE model instance.

Built by :func:`automatedparallelization.datamodule.optimize_sync`; the schedule
(:class:`~automatedparallelization.datamodule.Schedule`, which step synchronizes) and what is
averaged are documented in :mod:`automatedparallelization.datamodule`. The gradients are reduced
by one object of :mod:`automatedparallelization.reduction`, chosen once by the path policy
(:meth:`DataParallel._choose_path`). Wiring, all removable (:meth:`remove`):

- compat.nn model: the instance's ``backward`` and ``accUpdateGradParameters`` are wrapped by
  instance attributes (the class, e.g. ``nn.Sequential``, is untouched); its parameters are used
  through the flat tensors of Lua ``getParameters()`` (called here unless the script already did);
- any model run through autograd (``loss.backward()``): the reduction object's gradient hooks; when
  a backward pass is complete the schedule advances (:meth:`DataParallel._end_backward`).

The model is held weakly: a model the user drops is freed with its buffers, hooks and shared-memory
mapping (nothing here, nor the registry in ``datamodule``, keeps it alive).
"""
import logging
import weakref

import torch

from automatedparallelization import comm as _comm
from automatedparallelization import guard as _guard
from automatedparallelization import reduction as _reduction
from automatedparallelization import sync as _sync

logger = logging.getLogger(__name__)


def _is_compat(model):
    return getattr(type(model), "getParameters", None) is not None


# How a synchronization averages the gradients of a model (DataParallel.path), one reduction object each:
#   "shared-memory": every rank on one machine, a torch.nn model's float32/64 CPU gradients
#       (reduction.SharedMemoryReduction);
#   "mpi-overlap": otherwise, with overlap=True (reduction.OverlapReduction);
#   "mpi": blocking allreduces after the backward call (compat.nn models, overlap=False, nonfinite
#       in model mode; reduction.BlockingReduction).
PATHS = ("shared-memory", "mpi-overlap", "mpi")


class DataParallel:
    """Synchronization state of one model. ``schedule``: when to synchronize (None: only by
    :meth:`synchronize_model`); ``syncs`` counts the synchronizations performed; ``path`` is how the
    gradients are averaged, one of :data:`PATHS`, by ``reduction``."""

    def __init__(self, model, comm, *, schedule, sync, overlap=False,
                 bucket_bytes=_sync.DEFAULT_BUCKET_BYTES, nonfinite=None):
        self._model, self.comm, self.mode = weakref.ref(model), comm, sync
        self.nonfinite, self.skipped, self.syncs = nonfinite, 0, 0
        self.size = comm.Get_size()
        self.schedule, self.overlap, self.bucket_bytes = schedule, bool(overlap), bucket_bytes
        self.compat = _is_compat(model)
        self._wrapped = []
        self._reducers = {}                       # (numel, dtype, device) -> shared-memory reducer or None
        self._passes = _reduction.Passes(self._end_backward)
        self.params, self.weights, self._lua_grads = self._weight_buffers()
        self._anchor = (self.params[0], self.params[0].data_ptr()) if self.params else None
        self.path, why = self._choose_path()
        if self.overlap and self.path != "mpi-overlap":
            logger.info("overlap=True does not apply to this model: %s", why)
        self.reduction = self._new_reduction()
        if schedule is not None and self.compat:
            for name in ("backward", "accUpdateGradParameters"):
                self._wrap(name, "update" if name == "accUpdateGradParameters" else "grad")

    @property
    def model(self):
        model = self._model()
        if model is None:
            raise RuntimeError("the model of this DataParallel has been freed")
        return model

    # ------------------------------------------------------------------ buffers and the path
    def _weight_buffers(self):
        """``(params, weight buffers, Lua gradient buffer)``: a compat.nn model's flat Lua tensors
        (``getParameters()``), or a torch.nn model's trainable parameters adopted into one buffer
        per dtype (their gradient buffers belong to the reduction object)."""
        if not self.compat:
            params = _sync.unique(p for p in torch.nn.Module.parameters(self.model) if p.requires_grad)
            return params, [_sync.Flat.adopt_data(g, self.bucket_bytes) for g in _sync.group_by_dtype(params)], None
        weights, grads = (_sync.unique(t) for t in self.model.parameters())
        wf, gf = _sync.flat_alias(weights), _sync.flat_alias(grads)
        if (wf is None or gf is None) and weights:
            self.model.getParameters()          # Lua: flatten into one storage
            weights, grads = (_sync.unique(t) for t in self.model.parameters())
            wf, gf = _sync.flat_alias(weights), _sync.flat_alias(grads)
        return (weights, [_sync.Flat(wf, self.bucket_bytes)] if wf is not None else [],
                [_sync.Flat(gf, self.bucket_bytes)] if gf is not None else [])

    def _choose_path(self):
        """The one policy for how gradients are averaged (docs/design.md, "Which path runs"):
        ``(path, reason)`` with ``path`` one of :data:`PATHS`. Collective (it asks for the
        shared-memory reducers)."""
        groups = [] if self.compat else _sync.group_by_dtype(self.params)
        if any([self._reducer(g) is not None for g in groups]):     # (a list: every group asks, in order)
            return "shared-memory", ("every rank runs on this machine, so the gradients are averaged in "
                                     "shared memory, in place between two barriers (no non-blocking form)")
        if self.compat:
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

    def _new_reduction(self):
        """The reduction object of :attr:`path`, with fresh gradient buffers (hooks: when a
        schedule synchronizes automatically)."""
        passes = self._passes if self.schedule is not None else None
        if self.compat:
            return _reduction.BlockingReduction(self.comm, self._lua_grads, passes, hooked=self.params)
        groups = _sync.group_by_dtype(self.params)
        if self.path == "shared-memory":
            reducers = [self._reducer(g) for g in groups]
            grads = _reduction.gradient_buffers(groups, self.bucket_bytes, reducers)
            return _reduction.SharedMemoryReduction(self.comm, grads, passes, reducers)
        grads = _reduction.gradient_buffers(groups, self.bucket_bytes)
        if self.path == "mpi-overlap":
            return _reduction.OverlapReduction(self.comm, grads, passes, self.schedule)
        return _reduction.BlockingReduction(self.comm, grads, passes)

    def _refresh(self, claim_deferred=True):
        """Rebuild the buffers if the parameters moved (e.g. a later getParameters() or .to()), and
        make every ``p.grad`` its view (``claim_deferred=False``: except those the shared-memory
        reduction takes where they are, copying less of a fresh gradient)."""
        if self._anchor is not None and self._anchor[0].data_ptr() != self._anchor[1]:
            logger.debug("parameters moved; rebuilding the flat buffers")
            self.params, self.weights, self._lua_grads = self._weight_buffers()
            self._anchor = (self.params[0], self.params[0].data_ptr()) if self.params else None
            self.reduction.remove()
            self.reduction = self._new_reduction()
        self.reduction.claim(claim_deferred)

    @property
    def grads(self):
        """The gradient buffers (flat, one per dtype), held by :attr:`reduction`."""
        return self.reduction.grads

    def broadcast_parameters(self, root=0):
        for f in self.weights:
            f.broadcast(root, self.comm)

    # ------------------------------------------------------------------ wiring
    def _wrap(self, name, kind):
        original = getattr(self.model, name)    # model -> wrapper -> model: a cycle gc collects

        def wrapper(*args, **kwargs):
            out = original(*args, **kwargs)
            if not self._passes.paused:
                self.tick(kind)
            return out
        wrapper.__name__ = name
        wrapper.__doc__ = f"{original.__doc__ or ''}\n(then advance the data-parallel schedule)"
        self.model.__dict__[name] = wrapper
        self._wrapped.append(name)

    def _end_backward(self):
        self.reduction.end_pass()
        self.tick("grad")

    def no_sync(self):
        """Context manager: the backward calls inside are not steps of the schedule and touch no
        buffer (gradients accumulate on this rank alone), as DDP's ``no_sync``::

            with automation.handle(model).no_sync():
                loss.backward()
        """
        return self._passes.no_sync()

    def remove(self):
        """Take the hooks and wrappers off the model (its flat buffers stay, harmlessly)."""
        self.reduction.remove()
        model = self._model()
        for name in self._wrapped if model is not None else ():
            model.__dict__.pop(name, None)
        self._wrapped.clear()

    # ------------------------------------------------------------------ schedule
    def tick(self, kind):
        """One backward call done: perform the synchronizations the schedule says are due now."""
        for c, pending in self.schedule.step():
            self._synchronize(kind, c, pending)

    def _synchronize(self, kind, c, pending):
        self.syncs += 1
        self._refresh(claim_deferred=pending or self.mode == "model")
        if kind == "update":                        # accUpdateGradParameters: weights hold the update
            self._average_weights()
        elif self.mode == "model":
            if self.nonfinite:
                self._refuse_nonfinite()
            self._average_weights()
            self.reduction.reduce(self.size)
        elif pending:
            self._contribute_zeros(self.schedule.contributors(c))
        else:
            self.reduction.reduce(self.schedule.contributors(c))
            if self.nonfinite and not _guard.all_finite([f.flat for f in self.grads], synchronized=True):
                self._on_nonfinite("the averaged gradients hold NaN or Inf (some rank's did)")

    def _average_weights(self):
        for f in self.weights:
            f.average(self.comm, self.size)

    def _contribute_zeros(self, n):
        """A pending synchronization: this rank has no step of its own, so it contributes zeros to
        the mean of the ``n`` ranks that have, and adds the result to its own gradients."""
        saved = [f.flat.clone() for f in self.grads]
        for f in self.grads:
            f.flat.zero_()
        self.reduction.reduce(n)
        for f, s in zip(self.grads, saved):
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

    def synchronize_model(self):
        """Lua ``synchronizeModel``: mean of parameters and gradients over all ranks."""
        self._refresh(claim_deferred=False)
        self._average_weights()
        self.reduction.average(self.size)
