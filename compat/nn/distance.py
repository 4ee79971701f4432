"""Distance layers with parameters (torch/nn "simple layers"): Euclidean, WeightedEuclidean and
Cosine compare the input with learnt templates, one per output.

The Lua path follows torch/nn's kernels: the Euclidean layers divide by ``y + 1e-7`` in backward,
Cosine's norms carry ``+ 1e-12``. Where torch/nn forgets ``scale`` in ``accGradParameters``
(Cosine, a 1-D WeightedEuclidean), it is applied here, so ``accUpdateGradParameters`` works.
"""
import math

import torch

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor
from compat.nn.simple import _uniform


def _rows(module, input, size):
    """A 1-D input as one row, a 2-D input as is; anything else a ValueError."""
    check_tensor(module, 'input', input, (1, 2), ((-1, size),))
    return input.reshape(1, -1) if input.dim() == 1 else input


class Euclidean(Module):
    """``nn.Euclidean(inputSize, outputSize)``: y_j = ||x - w_j||, the distances from x to the
    ``outputSize`` columns of the inputSize x outputSize weight; reset uniform in ±1/sqrt(inputSize).
    Backward divides by y + 1e-7, as torch/nn."""
    _t7_fields = ('fastBackward',)
    fastBackward = True

    def __init__(self, inputSize, outputSize):
        super().__init__()
        inputSize = integral('Euclidean', 'inputSize', inputSize)
        outputSize = integral('Euclidean', 'outputSize', outputSize)
        self._new_param('weight', torch.empty(inputSize, outputSize, dtype=torch.get_default_dtype()))
        self.reset()

    def reset(self, stdv=None):
        return _uniform(self, stdv, 1 / math.sqrt(self.weight.shape[0]), 'weight')

    def expected_input(self):
        return f"a vector of {self.weight.shape[0]} or a batch n x {self.weight.shape[0]}"

    def updateOutput(self, input):
        x = _rows(self, input, self.weight.shape[0])
        with torch.set_grad_enabled(autograd_active()):
            y = torch.cdist(x, self.weight.t(), compute_mode='donot_use_mm_for_euclid_dist')
            self.output = y.view(-1) if input.dim() == 1 else y
        return self.output

    def _div(self, input, gradOutput):
        return (gradOutput / (self.output + 1e-7)).reshape(-1, self.weight.shape[1])

    def updateGradInput(self, input, gradOutput):
        """dx = sum_j dy_j (x - w_j) / (y_j + 1e-7)."""
        x = _rows(self, input, self.weight.shape[0])
        with torch.no_grad():
            div = self._div(input, gradOutput)
            gi = x * div.sum(1, keepdim=True) - div @ self.weight.t()
            self.gradInput = gi.view(input.shape)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gw_j += scale * sum_n dy_nj (w_j - x_n) / (y_nj + 1e-7)."""
        x = _rows(self, input, self.weight.shape[0])
        div = self._div(input, gradOutput)
        gw.add_(self.weight * div.sum(0) - x.t() @ div, alpha=scale)


class WeightedEuclidean(Module):
    """``nn.WeightedEuclidean(inputSize, outputSize)``: y_j = ||c_j * (x - w_j)|| with a weight
    and a diagonal covariance ``diagCov`` (both inputSize x outputSize; parameters() gives
    {weight, diagCov}); reset: weight uniform in ±1/sqrt(inputSize), diagCov ones."""
    _t7_fields = ('fastBackward',)
    _param_names = ('weight', 'diagCov')
    fastBackward = True

    def __init__(self, inputSize, outputSize):
        super().__init__()
        inputSize = integral('WeightedEuclidean', 'inputSize', inputSize)
        outputSize = integral('WeightedEuclidean', 'outputSize', outputSize)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(inputSize, outputSize, dtype=dtype))
        self._new_param('diagCov', torch.empty(inputSize, outputSize, dtype=dtype))
        self.reset()

    @property
    def gradDiagCov(self):
        return self._grad('diagCov')

    @gradDiagCov.setter
    def gradDiagCov(self, value):
        self._set_grad('diagCov', value)

    def reset(self, stdv=None):
        _uniform(self, stdv, 1 / math.sqrt(self.weight.shape[0]), 'weight')
        with torch.no_grad():
            self.diagCov.fill_(1)
        return self

    def expected_input(self):
        return f"a vector of {self.weight.shape[0]} or a batch n x {self.weight.shape[0]}"

    def updateOutput(self, input):
        x = _rows(self, input, self.weight.shape[0])
        with torch.set_grad_enabled(autograd_active()):
            y = torch.linalg.vector_norm((x.unsqueeze(2) - self.weight) * self.diagCov, dim=1)
            self.output = y.view(-1) if input.dim() == 1 else y
        return self.output

    def _terms(self, input, gradOutput):
        """(x - w) and dy / (y + 1e-7), shaped n x in x out and n x 1 x out."""
        x = _rows(self, input, self.weight.shape[0])
        div = (gradOutput / (self.output + 1e-7)).reshape(x.shape[0], 1, -1)
        return x.unsqueeze(2) - self.weight, div

    def updateGradInput(self, input, gradOutput):
        """dx = sum_j dy_j c_j^2 (x - w_j) / (y_j + 1e-7)."""
        with torch.no_grad():
            d, div = self._terms(input, gradOutput)
            self.gradInput = (d * div * self.diagCov.square()).sum(2).view(input.shape)
        return self.gradInput

    def _acc(self, input, gradOutput, scale, gw, gc):
        d, div = self._terms(input, gradOutput)
        c = self.diagCov
        dw = -(d * div).sum(0) * c.square()          # dy/dw_j = -c_j^2 (x - w_j) / y_j
        dc = (d.square() * div).sum(0) * c           # dy/dc_j = c_j (x - w_j)^2 / y_j
        gw.add_(dw, alpha=scale)
        gc.add_(dc, alpha=scale)

    def accGradParameters(self, input, gradOutput, scale=1):
        with torch.no_grad():
            self._acc(input, gradOutput, scale, self._grad('weight'), self._grad('diagCov'))

    def accUpdateGradParameters(self, input, gradOutput, lr):
        with torch.no_grad():
            self._acc(input, gradOutput, -lr, self.weight, self.diagCov)


class Cosine(Module):
    """``nn.Cosine(inputSize, outputSize)``: y_j = w_j . x / ((||w_j|| + 1e-12) (||x|| + 1e-12)),
    the cosine similarity to each row of the outputSize x inputSize weight; reset uniform in
    ±1/sqrt(outputSize) (torch/nn's choice)."""
    _t7_fields = ()

    def __init__(self, inputSize, outputSize):
        super().__init__()
        inputSize = integral('Cosine', 'inputSize', inputSize)
        outputSize = integral('Cosine', 'outputSize', outputSize)
        self._new_param('weight', torch.empty(outputSize, inputSize, dtype=torch.get_default_dtype()))
        self.reset()

    def reset(self, stdv=None):
        return _uniform(self, stdv, 1 / math.sqrt(self.weight.shape[0]), 'weight')

    def expected_input(self):
        return f"a vector of {self.weight.shape[1]} or a batch n x {self.weight.shape[1]}"

    def _norms(self, x):
        return (torch.linalg.vector_norm(self.weight, dim=1) + 1e-12,
                torch.linalg.vector_norm(x, dim=1, keepdim=True) + 1e-12)

    def updateOutput(self, input):
        x = _rows(self, input, self.weight.shape[1])
        with torch.set_grad_enabled(autograd_active()):
            wn, xn = self._norms(x)
            y = (x @ self.weight.t()) / wn / xn
            self.output = y.view(-1) if input.dim() == 1 else y
        return self.output

    def updateGradInput(self, input, gradOutput):
        """dx = ((dy / |w|) W - x sum_j(dy_j y_j) / |x|) / |x|."""
        x = _rows(self, input, self.weight.shape[1])
        with torch.no_grad():
            wn, xn = self._norms(x)
            dy, y = gradOutput.reshape(x.shape[0], -1), self.output.reshape(x.shape[0], -1)
            gi = (dy / wn) @ self.weight - x * ((dy * y).sum(1, keepdim=True) / xn)
            self.gradInput = (gi / xn).view(input.shape)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gW_j += scale * (sum_n dy_nj x_n / |x_n| - W_j sum_n dy_nj y_nj / |w_j|) / |w_j|."""
        x = _rows(self, input, self.weight.shape[1])
        wn, xn = self._norms(x)
        dy, y = gradOutput.reshape(x.shape[0], -1), self.output.reshape(x.shape[0], -1)
        g = dy.t() @ (x / xn) - self.weight * ((dy * y).sum(0) / wn).unsqueeze(1)
        gw.add_(g / wn.unsqueeze(1), alpha=scale)
