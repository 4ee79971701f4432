"""Between a model-parallel network and its dense equivalent: :func:`gather_model`, :func:`shard_model`.

Both walk the model in ``torch.nn.Module.modules()`` order (the same on every rank, so every rank
makes the same collective calls) and return a deep copy in which each layer to convert is
replaced (any container, compat or PyTorch, keeps its structure; other modules are copied).
This module builds on :mod:`automatedparallelization.nodemodule`, which knows nothing of it.
"""
import copy

import torch

from automatedparallelization import comm as _comm
from automatedparallelization import nodemodule as _nm
from automatedparallelization.mappings import split_last_dim
from compat import nn
from compat import torch_random as torch7_random

__all__ = ["gather_model", "shard_model"]


def _dense_linear(weight, bias, grad_weight, grad_bias):
    """A compat ``nn.Linear`` holding these tensors (built without touching the random state)."""
    with torch.random.fork_rng(devices=[]), torch7_random.fork_rng():
        lin = nn.Linear(1, 1, bias=bias is not None)
    lin._new_param('weight', weight)
    lin.gradWeight = grad_weight
    if bias is not None:
        lin._new_param('bias', bias)
        lin.gradBias = grad_bias
    return lin


def _copy_state(src, dst):
    dst.train(bool(src.training))
    return dst


def _gather_linear(m):
    w = m.weight.detach()
    weight = _comm.allgather(w.contiguous(), m.comm, dim=1)
    grad = _comm.allgather(m.gradWeight.detach().contiguous(), m.comm, dim=1)
    bias = m.bias.detach().clone() if m.bias is not None else None
    grad_bias = m.gradBias.detach().clone() if m.bias is not None else None
    return _copy_state(m, _dense_linear(weight, bias, grad, grad_bias))


def _detached_memo(model):
    """A deepcopy memo mapping the autograd results a module keeps (``output``/``gradInput`` after
    ``model(x)``), which deepcopy refuses, to detached copies."""
    memo = {}
    for m in torch.nn.Module.modules(model):
        for v in vars(m).values():
            if isinstance(v, torch.Tensor) and v.grad_fn is not None:
                memo[id(v)] = v.detach().clone()
    return memo


def _retyped(m, cls, **fields):
    """A deep copy of module ``m`` as an instance of ``cls``, a class with the same fields (MPTanh and
    nn.Tanh, MP*Reshape and nn.Reshape differ only in communication): built as copy and pickle
    build objects, ``cls.__new__`` then ``__setstate__`` with the copied state (``comm`` left out)."""
    state = {k: v for k, v in vars(m).items() if k != "comm"}
    out = cls.__new__(cls)
    out.__setstate__(copy.deepcopy(state, _detached_memo(m)))
    out.__dict__.update(fields)
    return out


def gather_model(model, root=None):
    """The dense equivalent of a model built with MP* layers: each ``MPInitialLinear``/
    ``MPBaseLinear`` becomes an ``nn.Linear`` holding the shards gathered along the input features
    (weights and gradients), ``MPTanh`` an ``nn.Tanh``, ``MP*Reshape`` an ``nn.Reshape``.

    Collective: every rank of the layers' communicators must call it. ``root=None`` returns the dense
    model on every rank; ``root=k`` returns it on rank k (of the first MP layer's communicator) and
    ``None`` elsewhere. The result saves with ``compat.torch.save`` (.t7) and ``torch.save``."""
    memo, first_comm = _detached_memo(model), None
    for m in torch.nn.Module.modules(model):
        if isinstance(m, _nm._MPLinear):
            first_comm = m.comm if first_comm is None else first_comm
            memo[id(m)] = _gather_linear(m)
        elif type(m) in _nm._DENSE:
            memo[id(m)] = _retyped(m, _nm._DENSE[type(m)])
    if root is not None:
        n = _comm.size(first_comm)
        if isinstance(root, bool) or not isinstance(root, int) or not 0 <= root < n:
            raise ValueError(f"gather_model: expecting root to be None or an int in range({n}), got {root!r}")
        if _comm.rank(first_comm) != root:
            return None
    if id(model) in memo:
        return memo[id(model)]
    return copy.deepcopy(model, memo)


def shard_model(dense, comm=None):
    """The model-parallel equivalent of a dense model: every ``nn.Linear`` becomes an
    ``MPInitialLinear`` (the first one met) or ``MPBaseLinear`` holding this rank's slice of the input
    features (weights and gradients), ``nn.Tanh`` an ``MPTanh``, ``nn.Reshape`` an
    ``MPInitialReshape`` (before the first Linear) or ``MPBaseReshape``.

    ``dense`` must be identical on every rank (e.g. loaded from one file, or built with one seed);
    no communication. Raises ValueError (naming the layer) if an input size does not divide by P."""
    memo, seen_linear = _detached_memo(dense), False
    p = _comm.size(comm)
    for m in torch.nn.Module.modules(dense):
        t = type(m)
        if t is nn.Linear:
            cls = _nm.MPBaseLinear if seen_linear else _nm.MPInitialLinear
            seen_linear = True
            n_in = m.weight.shape[1]
            if n_in % p:
                raise ValueError(f"shard_model: {m!r} has inputSize={n_in}, not divisible by the number "
                                 f"of ranks P={p}; it cannot be split over P ranks")
            with torch.random.fork_rng(devices=[]), torch7_random.fork_rng():
                mp = cls(n_in, m.weight.shape[0], bias=m.bias is not None, comm=comm)
            mp = mp.to(dtype=m.weight.dtype, device=m.weight.device)
            with torch.no_grad():
                mp.weight.copy_(split_last_dim(m.weight.detach(), comm))
                mp.gradWeight.copy_(split_last_dim(m.gradWeight, comm))
                if m.bias is not None:
                    mp.bias.copy_(m.bias)
                    mp.gradBias.copy_(m.gradBias)
            memo[id(m)] = _copy_state(m, mp)
        elif t in (nn.Tanh, nn.Reshape):
            cls = _nm.MPTanh if t is nn.Tanh else _nm.MPBaseReshape if seen_linear else _nm.MPInitialReshape
            memo[id(m)] = _retyped(m, cls, comm=comm)
    if id(dense) in memo:
        return memo[id(dense)]
    return copy.deepcopy(dense, memo)
