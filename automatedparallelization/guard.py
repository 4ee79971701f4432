"""Decisions taken identically on every rank: the opt-in guard against non-finite (NaN/Inf)
values, and :func:`raise_on_every_rank` (one rank's failure becomes every rank's error).

A NaN on one rank must not make that rank alone skip an optimizer step (its parameters would
drift from the others') nor raise alone (the others would wait forever in the next collective).
So the decision is collective: each rank checks its own tensors and one tiny allreduce of a
P-element int32 vector (entry r = 1 when rank r saw a non-finite value) gives every rank the same
list of offending ranks. After a gradient allreduce the reduced buffers are already identical on
every rank (NaN and Inf propagate through sums), so ``all_finite(..., synchronized=True)`` skips the
communication altogether.

Typical use, before (or instead of) ``optimizer.step()``::

    loss.backward()
    for p in model.parameters():
        comm.allreduce_(p.grad, "mean")
    guard.skip_nonfinite_step(optimizer, model)        # steps, or zeroes the grads on every rank
"""
import importlib
import logging

import torch

from automatedparallelization import comm as _comm

logger = logging.getLogger(__name__)

POLICIES = ("skip", "raise")


def _tensor_list(tensors, name="tensors"):
    if isinstance(tensors, torch.Tensor):
        return [tensors]
    try:
        items = list(tensors)
    except TypeError:
        raise TypeError(f"{name}: expected a tensor or an iterable of tensors, got "
                        f"{type(tensors).__name__}") from None
    for i, t in enumerate(items):
        if t is not None and not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}[{i}]: expected a torch.Tensor or None, got {type(t).__name__}")
    return [t for t in items if t is not None]


def _error_class(module, qualname, family):
    """The class ``module.qualname`` if it imports here and belongs to ``family``, else ``family``."""
    try:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        return family
    return cls if isinstance(cls, type) and issubclass(cls, family) else family


def raise_on_every_rank(error, comm, what):
    """Collective "agree or raise": ``error`` is this rank's exception or None. When any rank has
    one, every rank raises: a failing rank its own exception, the others one naming the failing
    ranks and their messages, of the same class when it is a TypeError or ValueError (e.g.
    ``CheckpointError``), else RuntimeError. So no rank goes on into a collective alone."""
    report = None
    if error is not None:
        family = next((f for f in (TypeError, ValueError) if isinstance(error, f)), RuntimeError)
        report = (type(error).__module__, type(error).__qualname__, family.__name__, f"{error}")
    reports = _comm.allgather_object(report, comm)
    failed = [(r, rep) for r, rep in enumerate(reports) if rep is not None]
    if not failed:
        return
    if error is not None:
        raise error
    module, qualname, family, _ = failed[0][1]
    family = {"TypeError": TypeError, "ValueError": ValueError}.get(family, RuntimeError)
    detail = "; ".join(f"rank {r}: {rep[1]}: {rep[3]}" for r, rep in failed)
    message = f"{what} failed on rank(s) {[r for r, _ in failed]} of {len(reports)}: {detail}"
    try:
        exc = _error_class(module, qualname, family)(message)
    except Exception:                            # a constructor taking other arguments (UnicodeError...)
        exc = family(message)
    raise exc


def _locally_finite(tensors):
    """True when every float/complex tensor holds only finite values (integers always do)."""
    with torch.no_grad():
        for t in tensors:
            if (t.is_floating_point() or t.is_complex()) and t.numel() and not bool(torch.isfinite(t).all()):
                return False
    return True


def nonfinite_ranks(tensors, comm=None):
    """Collective: the ranks (sorted list, the same on every rank) whose ``tensors`` hold NaN or Inf.

    ``tensors``: a tensor or an iterable of tensors (None entries, e.g. absent grads, are ignored)."""
    tensors = _tensor_list(tensors)
    comm = _comm.resolve(comm)
    flags = torch.zeros(_comm.size(comm), dtype=torch.int32)
    flags[_comm.rank(comm)] = 0 if _locally_finite(tensors) else 1
    _comm.allreduce_(flags, "sum", comm)
    return flags.nonzero().flatten().tolist()


def all_finite(tensors, comm=None, synchronized=False):
    """True on every rank iff no rank's ``tensors`` hold NaN or Inf (one tiny allreduce).

    synchronized: the tensors are known to be identical on every rank (e.g. gradients right after
    an allreduce), so the local answer is everyone's answer and nothing is communicated."""
    if synchronized:
        return _locally_finite(_tensor_list(tensors))
    return not nonfinite_ranks(tensors, comm)


def _params(optimizer, model):
    if model is not None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module (compat.nn modules are) or None, got "
                            f"{type(model).__name__}")
        # torch.nn.Module's own iterator: compat.nn overrides parameters() with Lua's (weights, grads)
        return list(torch.nn.Module.parameters(model))
    return [p for group in optimizer.param_groups for p in group["params"]]


def skip_nonfinite_step(optimizer, model=None, comm=None, policy="skip"):
    """Collective: ``optimizer.step()`` when no rank's gradients hold NaN/Inf; returns True.

    Otherwise, on every rank alike: with ``policy='skip'`` the gradients are zeroed in place (so
    Lua-style flat gradient views stay valid), the step is skipped and False is returned; with
    ``policy='raise'`` a FloatingPointError naming the offending ranks is raised.
    The gradients checked are those of ``model``'s parameters, or of the optimizer's parameter
    groups when ``model`` is None. Call it after the gradient allreduce (then every rank sees the
    NaN) or before it (then only this guard's tiny allreduce tells the others)."""
    if policy not in POLICIES:
        raise ValueError(f"policy: expected one of {POLICIES}, got {policy!r}")
    if not callable(getattr(optimizer, "step", None)) or not hasattr(optimizer, "param_groups"):
        raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
    params = _params(optimizer, model)
    grads = [p.grad for p in params]
    bad = nonfinite_ranks(grads, comm)
    if not bad:
        optimizer.step()
        return True
    comm = _comm.resolve(comm)
    where = f"non-finite gradients (NaN/Inf) on rank(s) {bad} of {_comm.size(comm)}"
    if policy == "raise":
        mine = ""
        if _comm.rank(comm) in bad and model is not None:
            names = [n for n, p in model.named_parameters() if p.grad is not None
                     and not _locally_finite([p.grad])]
            mine = f"; on this rank in {names}"
        raise FloatingPointError(where + mine)
    logger.warning("%s: skipping this optimizer step on every rank", where)
    with torch.no_grad():
        for g in grads:
            if g is not None:
                g.zero_()
    return False
