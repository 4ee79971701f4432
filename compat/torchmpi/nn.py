"""TorchMPI's ``torchmpi.nn`` helpers (Lua: ``mpinn = require('torchmpi.nn')``), for any model.

A model is a compat.nn module (its Lua ``parameters()`` gives weights and gradients) or any
``torch.nn.Module`` (its parameters and their ``.grad``).
"""
import torch

from automatedparallelization import comm as _comm
from compat.torchmpi import _state


def _weights_and_grads(net):
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net: expected a torch.nn.Module or compat.nn module, got {type(net).__name__}")
    lua_parameters = getattr(type(net), "getParameters", None) is not None
    if lua_parameters:
        weights, grads = net.parameters()
        return list(weights or []), list(grads or [])
    params = list(torch.nn.Module.parameters(net))
    return params, [p.grad for p in params if p.grad is not None]


def _communicator(comm):
    """``comm``, else the one ``compat.torchmpi.start`` chose (None: the library's default)."""
    return comm if comm is not None else _state.comm


def synchronizeParameters(net, withAllreduce=False, comm=None):
    """Make every rank's weights equal: rank 0's (broadcast), or the mean over ranks (``withAllreduce``)."""
    comm = _communicator(comm)
    for w in _weights_and_grads(net)[0]:
        if withAllreduce:
            _comm.allreduce_(w.data, "mean", comm)
        else:
            _comm.broadcast_(w.data, 0, comm)


def synchronizeGradients(net, comm=None):
    """Sum every gradient over the ranks, in place (as TorchMPI: a sum, not a mean)."""
    comm = _communicator(comm)
    for g in _weights_and_grads(net)[1]:
        _comm.allreduce_(g, "sum", comm)
