"""Collectives as autograd Functions: the four region mappings of tensor (model) parallelism.

A layer split over the P ranks of a communicator moves activations between a *replicated* region
(every rank holds the same tensor) and a *sharded* region (rank r holds the r-th of P equal slices of
the last dimension). Each move is a pair of collectives, one forward and its adjoint backward:

=====================  ===============================  ====================================
mapping                forward                          backward
=====================  ===============================  ====================================
copy_to_region         identity                         allreduce (sum) of the gradient
reduce_from_region     allreduce (sum)                  identity
scatter_to_region      keep this rank's slice (last)    allgather the gradient (last dim)
gather_from_region     allgather along the last dim     keep this rank's slice
=====================  ===============================  ====================================

Every wrapper takes an explicit ``comm`` (None -> COMM_WORLD, resolved by :mod:`comm`) and is the
identity on a communicator of size 1 (no collective, no copy). The functions also work under
``torch.no_grad()``, where only the forward half runs (the Lua path of :mod:`nodemodule` uses that).
"""
import torch

from automatedparallelization import comm as _comm

__all__ = ["copy_to_region", "reduce_from_region", "scatter_to_region", "gather_from_region",
           "split_last_dim"]


# ---------------------------------------------------------------------------------- helpers
def _reduce(t, comm):
    """Sum of ``t`` over the ranks, as a new contiguous tensor (the input is left untouched)."""
    if _comm.size(comm) == 1:
        return t
    out = t.detach().clone(memory_format=torch.contiguous_format)
    return _comm.allreduce_(out, "sum", comm)


def split_last_dim(t, comm=None):
    """This rank's slice of the last dimension of ``t`` (a view; no communication).

    Raises ValueError unless the last dimension divides by the communicator's size."""
    p, r = _comm.size(comm), _comm.rank(comm)
    if t.dim() == 0 or t.shape[-1] % p:
        raise ValueError(f"split_last_dim: the last dimension of a tensor of size {tuple(t.shape)} "
                         f"must be divisible by the number of ranks P={p}")
    n = t.shape[-1] // p
    return t.narrow(-1, r * n, n)


def _split(t, comm):
    return t if _comm.size(comm) == 1 else split_last_dim(t, comm)


def _gather(t, comm):
    """Concatenation of every rank's ``t`` along the last dimension, in rank order."""
    if _comm.size(comm) == 1:
        return t
    return _comm.allgather(t.contiguous(), comm, dim=-1)


# ---------------------------------------------------------------------------------- Functions
class _CopyToRegion(torch.autograd.Function):
    """forward: identity (the input is already replicated); backward: allreduce the gradient."""

    @staticmethod
    def forward(ctx, input, comm):
        ctx.comm = comm
        return input.view_as(input)

    @staticmethod
    def backward(ctx, grad):
        return _reduce(grad, ctx.comm), None


class _ReduceFromRegion(torch.autograd.Function):
    """forward: allreduce the partial results; backward: identity (the gradient is replicated)."""

    @staticmethod
    def forward(ctx, input, comm):
        out = _reduce(input, comm)
        return out.view_as(out) if out is input else out

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class _ScatterToRegion(torch.autograd.Function):
    """forward: keep this rank's slice of the last dim; backward: allgather the gradient."""

    @staticmethod
    def forward(ctx, input, comm):
        ctx.comm = comm
        out = _split(input, comm)
        return out.view_as(out) if out is input else out

    @staticmethod
    def backward(ctx, grad):
        return _gather(grad, ctx.comm), None


class _GatherFromRegion(torch.autograd.Function):
    """forward: allgather along the last dim; backward: keep this rank's slice of the gradient."""

    @staticmethod
    def forward(ctx, input, comm):
        ctx.comm = comm
        out = _gather(input, comm)
        return out.view_as(out) if out is input else out

    @staticmethod
    def backward(ctx, grad):
        return _split(grad, ctx.comm), None


# ---------------------------------------------------------------------------------- wrappers
def _check(name, t):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}: expected input to be a torch.Tensor, got {type(t).__name__}")


def copy_to_region(input, comm=None):
    """Enter a model-parallel region: identity forward, gradient summed over ranks backward."""
    _check("copy_to_region", input)
    return input if _comm.size(comm) == 1 else _CopyToRegion.apply(input, _comm.resolve(comm))


def reduce_from_region(input, comm=None):
    """Leave a model-parallel region by summing partial results: allreduce forward, identity backward."""
    _check("reduce_from_region", input)
    return input if _comm.size(comm) == 1 else _ReduceFromRegion.apply(input, _comm.resolve(comm))


def scatter_to_region(input, comm=None):
    """Keep this rank's slice of the last dimension forward; allgather the gradient backward."""
    _check("scatter_to_region", input)
    if _comm.size(comm) == 1:
        return input
    split_last_dim(input, comm)          # validates divisibility before entering autograd
    return _ScatterToRegion.apply(input, _comm.resolve(comm))


def gather_from_region(input, comm=None):
    """Concatenate the ranks' slices along the last dimension forward; keep this rank's slice backward."""
    _check("gather_from_region", input)
    return input if _comm.size(comm) == 1 else _GatherFromRegion.apply(input, _comm.resolve(comm))
