"""``nn.Linear`` (torch/nn ``Linear.lua``): y = W x + b, W of size outputSize x inputSize."""

import torch
import torch.nn.functional as F

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor, no_grad


class Linear(Module):
    """``nn.Linear(inputSize, outputSize, bias=True)``.

    Input: a vector of ``inputSize`` or a batch ``nframe x inputSize``. Output ``W x + b``
    (``outputSize``) or ``x W^T + b`` (``nframe x outputSize``). ``reset(stdv)``: W and b uniform in
    [-s, s], s = 1/sqrt(inputSize) (or ``stdv*sqrt(3)`` when given), as Lua's ``reset``.
    """

    def __init__(self, inputSize, outputSize, bias=True):
        super().__init__()
        inputSize = integral('Linear', 'inputSize', inputSize)
        outputSize = integral('Linear', 'outputSize', outputSize)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(outputSize, inputSize, dtype=dtype))
        if bias:
            self._new_param('bias', torch.empty(outputSize, dtype=dtype))
        else:
            self.bias = None
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.weight.shape[1])

    def noBias(self):
        """Drop the bias (Lua ``noBias``); returns self."""
        return self._drop_bias()

    def expected_input(self):
        return f"a vector of {self.weight.shape[1]} or a batch nframe x {self.weight.shape[1]}"

    def _check(self, input):
        check_tensor(self, 'input', input, (1, 2), ((-1, self.weight.shape[1]),))

    def updateOutput(self, input):
        self._check(input)
        w, b = self.weight, self.bias
        if autograd_active():
            self.output = F.linear(input, w, b)
            return self.output
        with no_grad():
            if input.dim() == 1:
                self.output = torch.addmv(b, w, input) if b is not None else torch.mv(w, input)
            else:
                self.output = torch.addmm(b, input, w.t()) if b is not None else torch.mm(input, w.t())
        return self.output

    def updateGradInput(self, input, gradOutput):
        """gradInput = W^T gradOutput (vector) or gradOutput W (batch)."""
        if self.gradInput is None:      # Lua: a nil gradInput skips the computation
            return None
        self._check(input)
        with no_grad():
            w = self.weight
            self.gradInput = torch.mv(w.t(), gradOutput) if input.dim() == 1 else torch.mm(gradOutput, w)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gw += scale * gradOutput^T input; gb += scale * sum over frames of gradOutput."""
        if input.dim() == 1:
            gw.addr_(gradOutput, input, alpha=scale)
            if gb is not None:
                gb.add_(gradOutput, alpha=scale)
        else:
            gw.addmm_(gradOutput.t(), input, alpha=scale)
            if gb is not None:
                gb.add_(gradOutput.sum(0), alpha=scale)

    def extra_repr(self):
        return f"{self.weight.shape[1]} -> {self.weight.shape[0]}"

    def __tostring__(self):
        return f"nn.Linear({self.extra_repr()})" + ('' if self.bias is not None else ' without bias')
