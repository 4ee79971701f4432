"""``nn.tables``: connection tables for ``nn.SpatialConvolutionMap`` (torch/nn ``SpatialConvolutionMap.lua``).

A connection table is a ``K x 2`` tensor of the default type: row k connects input plane
``table[k][0]`` to output plane ``table[k][1]``, both **1-based** as in Lua (the module converts).
"""
import torch

from compat.torch_random import randperm

__all__ = ['full', 'oneToOne', 'random']


def _count(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ValueError(f"nn.tables.{fn}: expecting {name} to be a positive integer, got {value!r}")
    return int(value)


def full(nin, nout):
    """Every input plane to every output plane: rows ``(i, j)`` for j = 1..nout, i = 1..nin."""
    nin, nout = _count('full', 'nin', nin), _count('full', 'nout', nout)
    i = torch.arange(1, nin + 1).repeat(nout)
    j = torch.arange(1, nout + 1).repeat_interleave(nin)
    return torch.stack([i, j], 1).to(torch.get_default_dtype())


def oneToOne(nfeat):
    """Plane i to plane i, for i = 1..nfeat."""
    nfeat = _count('oneToOne', 'nfeat', nfeat)
    i = torch.arange(1, nfeat + 1)
    return torch.stack([i, i], 1).to(torch.get_default_dtype())


def random(nin, nout, nto):
    """Each output plane j = 1..nout gets ``nto`` distinct input planes: consecutive chunks of
    ``torch.randperm(nin)`` (a fresh permutation once the ``nin // nto`` chunks are used up), drawn
    from Torch7's random generator as Lua does."""
    nin, nout, nto = _count('random', 'nin', nin), _count('random', 'nout', nout), _count('random', 'nto', nto)
    if nto > nin:
        raise ValueError(f"nn.tables.random: expecting nto <= nin (each output takes nto distinct inputs), "
                         f"got nto={nto}, nin={nin}")
    chunks = nin // nto
    fi = randperm(nin, 'torch.LongTensor')            # Torch7's stream, values 1..nin
    rows, used = [], 0
    for _ in range(nout):
        rows.append(fi[used * nto:(used + 1) * nto])
        used += 1
        if used == chunks:
            fi, used = randperm(nin, 'torch.LongTensor'), 0
    frm = torch.cat(rows)
    to = torch.arange(1, nout + 1).repeat_interleave(nto)
    return torch.stack([frm, to], 1).to(torch.get_default_dtype())
