"""``nn.Linear`` (torch/nn ``Linear.lua``): y = W x + b, W of size outputSize x inputSize."""

import torch
import torch.nn.functional as F

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor, without_grad

_Tensor = torch.Tensor
_is_grad_enabled = torch.is_grad_enabled


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

    def _checked(self, input):
        """The weight, after checking ``input`` (the test of ``_check`` inlined: it runs every step)."""
        w = self._parameters['weight']
        if type(input) is not _Tensor or not 1 <= input.dim() <= 2 or input.shape[-1] != w.shape[1]:
            self._check(input)
        return w

    def updateOutput(self, input):
        w = self._checked(input)
        b = self._parameters.get('bias')
        if _is_grad_enabled():
            if autograd_active():
                self.output = F.linear(input, w, b)
                return self.output
            return without_grad(Linear.updateOutput, self, input)
        if input.dim() == 1:
            out = torch.addmv(b, w, input) if b is not None else torch.mv(w, input)
        else:
            out = torch.addmm(b, input, w.t()) if b is not None else torch.mm(input, w.t())
        self.__dict__['output'] = out
        return out

    def updateGradInput(self, input, gradOutput):
        """gradInput = W^T gradOutput (vector) or gradOutput W (batch)."""
        if self.gradInput is None:      # Lua: a nil gradInput skips the computation
            return None
        if _is_grad_enabled():
            return without_grad(Linear.updateGradInput, self, input, gradOutput)
        w = self._checked(input)
        gi = torch.mv(w.t(), gradOutput) if input.dim() == 1 else torch.mm(gradOutput, w)
        self.__dict__['gradInput'] = gi
        return gi

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
