"""Helpers of the data-parallel cases, whose reference is one process training a copy of the model
on the union of the ranks' mini-batches."""
import torch

from automatedparallelization import comm


def flat(model):
    """All parameters of a compat.nn or torch.nn model in one detached vector."""
    return torch.cat([p.detach().reshape(-1) for p in torch.nn.Module.parameters(model)])


def union(n, s, B):
    """The rows of the whole data set held by the ranks' step-``s`` mini-batches of ``B`` rows, rank
    r having rows ``r*n`` to ``r*n + n - 1``."""
    return torch.cat([torch.arange(r * n + s * B, r * n + (s + 1) * B) for r in range(comm.size())])


def lua_sgd_step(model, crit, x, y, lr):
    """One step on the Lua path: forward, criterion, zeroGradParameters, backward, updateParameters(lr)."""
    out = model.forward(x)
    crit.forward(out, y)
    model.zeroGradParameters()
    model.backward(x, crit.backward(out, y))
    model.updateParameters(lr)
