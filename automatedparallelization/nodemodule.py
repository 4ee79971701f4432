"""Model parallelism by renaming layers: the ``nn.MP*`` modules (port of TorchAD-NN's nodemodule.lua).

After ``import automatedparallelization`` a Lua-style script builds a model-parallel network by
writing ``nn.MPInitialLinear`` where it wrote ``nn.Linear`` (and so on); every rank of the
communicator runs the same script on the same (replicated) data.

Layout (as in nodemodule.lua): every fully-connected layer is split along its *input* features.
Activations between layers are replicated on every rank; a layer keeps this rank's slice of its
input (``narrowInput`` in Lua: the last dimension, P equal parts), multiplies it by its weight
shard, and the partial products are summed over the ranks (Lua: ``allreduceTensor``). Rank r's
weight is columns ``[r*in/P, (r+1)*in/P)`` of the dense weight (out x in).

Bugs of the Lua original fixed here (each layer is exactly its dense counterpart):

* the bias is added once, after the reduction (Lua added it on every rank before the allreduce,
  so the effective bias was P times the stored one);
* the gradient with respect to the sharded input is gathered over the ranks (allgather of the P
  slices along the last dimension), not summed (Lua summed P different slices with an allreduce,
  then ``MPTanh``/``MPBaseReshape`` pasted P copies of this rank's slice side by side);
* ``MPBaseLinear`` accumulates its weight gradient from its own slice of the input (Lua passed the
  whole input to ``nn.Linear.accGradParameters``, which fails for P > 1).

Because the linear layers now return full gradients, ``MPTanh``, ``MPInitialReshape`` and
``MPBaseReshape`` communicate nothing: they are ``nn.Tanh`` / ``nn.Reshape`` under the names Lua
scripts use. ``MPInitialLinear`` and ``MPBaseLinear`` compute the same maths (Lua distinguished
them only by the bug above); both names are kept so that ported scripts run unchanged.

Conversions: :func:`gather_model` (sharded -> dense ``nn.Linear``/``nn.Tanh``/``nn.Reshape``, to
save as .t7 or PyTorch, or to evaluate on one rank) and :func:`shard_model` (the reverse).
"""
import logging
import math

import torch
import torch.nn.functional as F

from automatedparallelization import comm as _comm
from automatedparallelization.mappings import gather_from_region, reduce_from_region, scatter_to_region, split_last_dim
from automatedparallelization.parallel_linear import uniform_shard
from compat import nn, t7
from compat import torch_random as torch7_random
from compat.nn.module import autograd_active, check_tensor

logger = logging.getLogger(__name__)

__all__ = ["MPInitialReshape", "MPInitialLinear", "MPTanh", "MPBaseLinear", "MPBaseReshape"]


class _CommMixin:
    """``comm`` handling shared by the MP* modules (shared, never copied, by ``clone()``)."""

    def _set_comm(self, comm):
        _comm.resolve(comm)                 # TypeError now rather than at the first forward
        self.comm = comm

    @property
    def nRanks(self):
        return _comm.size(self.comm)

    def __deepcopy__(self, memo):
        memo[id(self.comm)] = self.comm
        return super().__deepcopy__(memo)


class _MPLinear(_CommMixin, nn.Linear):
    """Shared implementation of MPInitialLinear and MPBaseLinear (see their docstrings)."""

    def __init__(self, inputSize, outputSize, bias=True, comm=None):
        name = self.__class__.__name__
        for arg, v in (('inputSize', inputSize), ('outputSize', outputSize)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name}: expecting {arg} to be a positive int, got {v!r}")
        p = _comm.size(comm)
        if inputSize % p:
            raise ValueError(f"{name}: inputSize={inputSize} is not divisible by the number of ranks "
                             f"P={p}; the input features are split into P equal slices, choose a "
                             f"multiple of {p}")
        super().__init__(inputSize // p, outputSize, bias)   # reset() below, once the layout is known
        self._set_comm(comm)
        self.fullInputSize = inputSize
        self.inputOffset = _comm.rank(comm) * (inputSize // p)
        self.reset()

    def reset(self, stdv=None):
        """W and b uniform in [-s, s], s = 1/sqrt(inputSize) (the *full* input size), or
        ``stdv*sqrt(3)``: this rank's W is the slice of the dense ``nn.Linear(inputSize, outputSize)``
        weight drawn from the same state of Torch7's stream (Lua drew an independent (in/P)-wide matrix with
        s = 1/sqrt(in/P) on each rank). b is drawn whole, identical on every rank seeded alike."""
        if 'fullInputSize' not in self.__dict__:      # called by nn.Linear.__init__: not yet
            return self
        s = stdv * math.sqrt(3) if stdv is not None else 1.0 / math.sqrt(self.fullInputSize)
        n = self.weight.shape[1]
        with torch.no_grad():
            self.weight.copy_(uniform_shard((self.weight.shape[0], self.fullInputSize), s, slice(None),
                                            slice(self.inputOffset, self.inputOffset + n),
                                            self.weight.dtype, self.weight.device, fill=torch7_random.uniform_))
            if self.bias is not None:
                torch7_random.uniform_(self.bias, -s, s)
        return self

    def expected_input(self):
        return f"a vector of {self.fullInputSize} or a batch nframe x {self.fullInputSize}"

    def _check(self, input):
        check_tensor(self, 'input', input, (1, 2), ((-1, self.fullInputSize),))

    def updateOutput(self, input):
        """output = allreduce(X_r W_r^T) + b, X_r this rank's slice of the input's last dim."""
        self._check(input)
        w, b = self.weight, self.bias
        if autograd_active():
            y = reduce_from_region(F.linear(scatter_to_region(input, self.comm), w), self.comm)
            self.output = y + b if b is not None else y
            return self.output
        with torch.no_grad():
            x = split_last_dim(input, self.comm)
            y = torch.mv(w, x) if x.dim() == 1 else torch.mm(x, w.t())
            if self.nRanks > 1:
                _comm.allreduce_(y, 'sum', self.comm)
            if b is not None:
                y.add_(b)
        self.output = y
        return self.output

    def updateGradInput(self, input, gradOutput):
        """gradInput = allgather over ranks of gradOutput W_r (the slices of the full gradient)."""
        if self.gradInput is None:
            return None
        self._check(input)
        with torch.no_grad():
            w = self.weight
            g = torch.mv(w.t(), gradOutput) if input.dim() == 1 else torch.mm(gradOutput, w)
            self.gradInput = gather_from_region(g, self.comm)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gW_r += scale * gradOutput^T X_r; gb += scale * sum of gradOutput (same on every rank)."""
        super()._accGrad(split_last_dim(input, self.comm), gradOutput, scale, gw, gb)

    def extra_repr(self):
        return (f"{self.fullInputSize} -> {self.weight.shape[0]}, inputs "
                f"[{self.inputOffset}, {self.inputOffset + self.weight.shape[1]}) of P={self.nRanks}"
                + ('' if self.bias is not None else ', without bias'))

    def __repr__(self):
        return f"nn.{self.__class__.__name__}({self.extra_repr()})"


class MPInitialLinear(_MPLinear):
    """``nn.MPInitialLinear(inputSize, outputSize, bias=True, comm=None)``: the first Linear of a
    model-parallel network, ``Y = X A + b`` (A = W^T, in x out) with A split along its rows.

    Rank r holds ``weight`` = W[:, r*in/P:(r+1)*in/P] (out x in/P) and the whole bias (replicated).
    Forward: X replicated -> X_r (last dim sliced) -> ``Y = allreduce_r(X_r A_r) + b``.
    Backward: ``gradInput = allgather_r(dY A_r^T)`` along the last dim (= dY A^T, full size);
    ``gradWeight`` (this rank's shard) = dY^T X_r; ``gradBias`` = sum of dY, identical on every rank.
    Communication per call: one allreduce of the output (nframe x out) forward, one allgather of
    the input gradient (nframe x in) backward. inputSize must divide by P (ValueError otherwise).
    """


class MPBaseLinear(_MPLinear):
    """``nn.MPBaseLinear(inputSize, outputSize, bias=True, comm=None)``: a later Linear of a
    model-parallel network; the same maths and communication as :class:`MPInitialLinear`
    (``Y = allreduce_r(X_r A_r) + b``, ``gradInput = allgather_r(dY A_r^T)``, A split by rows)."""


class MPTanh(_CommMixin, nn.Tanh):
    """``nn.MPTanh(comm=None)``: y = tanh(x), dx = dy (1 - y^2), on replicated activations.

    No communication: the neighbouring MP linear layers deliver a replicated input and take a full
    gradient. (Lua narrowed the output and concatenated P copies of its local gradient slice.)"""

    def __init__(self, comm=None):
        super().__init__()
        self._set_comm(comm)

    def __repr__(self):
        return "nn.MPTanh"


class _MPReshape(_CommMixin, nn.Reshape):
    def __init__(self, *sizes, comm=None):
        super().__init__(*sizes)
        self._set_comm(comm)

    def __repr__(self):
        return f"nn.{self.__class__.__name__}({'x'.join(map(str, self.size))})"


class MPInitialReshape(_MPReshape):
    """``nn.MPInitialReshape(sizes..., [batchMode], comm=None)``: ``nn.Reshape`` at the top of a
    model-parallel network. Forward views the replicated input as ``sizes``; backward views the full
    gradient as the input (Lua returned only this rank's slice). No communication."""


class MPBaseReshape(_MPReshape):
    """``nn.MPBaseReshape(sizes..., [batchMode], comm=None)``: ``nn.Reshape`` inside a
    model-parallel network. Backward views the full gradient as the input (Lua concatenated P copies
    of this rank's slice). No communication."""


_DENSE = {MPTanh: nn.Tanh, MPInitialReshape: nn.Reshape, MPBaseReshape: nn.Reshape}


def _refuse_t7(m):
    raise TypeError(f"{m.__class__.__name__} holds one shard of a model-parallel layer and cannot be "
                    f"written to a .t7 file; save automatedparallelization.mp_convert.gather_model(model)")


def _register():
    """Lua's ``require 'automatedparallelization'`` defined these classes in the ``nn`` table."""
    for cls in (MPInitialReshape, MPInitialLinear, MPTanh, MPBaseLinear, MPBaseReshape):
        setattr(nn, cls.__name__, cls)
    t7.register_saver(_MPLinear, _refuse_t7)


_register()
