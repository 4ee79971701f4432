"""Element-wise and soft-max transfer functions (torch/nn ``ReLU``, ``Tanh``, ``Sigmoid``,
``SoftMax``, ``LogSoftMax``), and ``Pointwise``, the base of the other element-wise modules
(``transfer.py``, ``arithmetic.py``). None has parameters; each works on any input shape (the soft-maxes:
1-D to 4-D, normalising over the feature dimension as THNN: dim 1 of a 1-D or 3-D input, dim 2 of a
2-D or 4-D input, 1-based)."""
import torch
import torch.nn.functional as F

from compat.nn.module import Module, autograd_active, check_tensor, no_grad, without_grad

_aten = torch.ops.aten
_Tensor = torch.Tensor
_is_grad_enabled = torch.is_grad_enabled
_threshold_backward = _aten.threshold_backward.default
_threshold_backward_out = _aten.threshold_backward.grad_input


def check_same_size(module, input, gradOutput):
    """gradOutput must be a tensor of the input's size (every element-wise module's backward)."""
    check_tensor(module, 'gradOutput', gradOutput)
    if gradOutput.shape != input.shape:
        raise ValueError(f"{module.__class__.__name__}: expecting gradOutput of the input's size "
                         f"{tuple(input.shape)}, got {tuple(gradOutput.shape)}")


class Pointwise(Module):
    """Base of the element-wise modules without parameters (Abs, HardTanh, ELU, ...).

    A subclass defines ``_f(input)``, the forward in torch ops (differentiable, so the same code
    serves the autograd path), and ``_df(input, output, gradOutput)``, Torch7's explicit gradient
    (THNN's formula, boundaries included). With ``inplace`` true, the Lua path writes the output
    into the input and the gradient into gradOutput, as THNN's in-place kernels do (the autograd
    path never works in place)."""
    inplace = False

    def _f(self, input):
        raise NotImplementedError

    def _df(self, input, output, gradOutput):
        raise NotImplementedError

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        if autograd_active():
            self.output = self._f(input)
            return self.output
        with torch.no_grad():
            y = self._f(input)
            self.output = input.copy_(y) if self.inplace else y
        return self.output

    def updateGradInput(self, input, gradOutput):
        check_same_size(self, input, gradOutput)
        with torch.no_grad():
            g = self._df(input, self.output, gradOutput)
            self.gradInput = gradOutput.copy_(g) if self.inplace else g
        return self.gradInput


def _relu(input, out=None):
    """max(0, x): ``torch.relu``, or the same values written into ``out`` (``clamp_min``)."""
    return torch.relu(input) if out is None else torch.clamp_min(input, 0, out=out)


class _Elementwise(Module):
    """An element-wise function ``_fn(input, out=None)`` whose Lua-path output refills the module's
    last one (Torch7's modules resize and refill ``self.output``)."""
    _fn = None

    def updateOutput(self, input):
        if type(input) is not _Tensor:
            check_tensor(self, 'input', input)
        if _is_grad_enabled():
            if autograd_active():
                self.output = self._fn(input)
                return self.output
            return without_grad(_Elementwise.updateOutput, self, input)
        buf = self._reusable('output', input.shape, input, input)
        out = self._fn(input) if buf is None else self._fn(input, out=buf)
        self.__dict__['output'] = out
        return out


class ReLU(_Elementwise):
    """y = max(0, x) (Lua: ``Threshold(0, 0)``); dx = dy where x > 0, else 0."""
    _fn = staticmethod(_relu)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)
        self.threshold, self.val = 0.0, 0.0

    def updateGradInput(self, input, gradOutput):
        if _is_grad_enabled():
            return without_grad(ReLU.updateGradInput, self, input, gradOutput)
        buf = self._reusable('gradInput', input.shape, gradOutput, input, gradOutput)
        gi = (_threshold_backward(gradOutput, input, 0) if buf is None else
              _threshold_backward_out(gradOutput, input, 0, grad_input=buf))
        self.__dict__['gradInput'] = gi
        return gi


class _FromOutput(_Elementwise):
    """An element-wise function whose derivative is computed from its output (Tanh, Sigmoid)."""
    _derivative = None  # the aten *_backward op packet

    def updateGradInput(self, input, gradOutput):
        if _is_grad_enabled():
            return without_grad(_FromOutput.updateGradInput, self, input, gradOutput)
        output = self.output
        buf = self._reusable('gradInput', output.shape, gradOutput, output, gradOutput)
        gi = (self._derivative(gradOutput, output) if buf is None else
              self._derivative.grad_input(gradOutput, output, grad_input=buf))
        self.__dict__['gradInput'] = gi
        return gi


class Tanh(_FromOutput):
    """y = tanh(x); dx = dy * (1 - y^2)."""
    _fn, _derivative = torch.tanh, _aten.tanh_backward


class Sigmoid(_FromOutput):
    """y = 1/(1 + exp(-x)); dx = dy * (1 - y) * y."""
    _fn, _derivative = torch.sigmoid, _aten.sigmoid_backward


def _feature_dim(module, input):
    dims = input.dim() if type(input) is _Tensor else 0
    if not 1 <= dims <= 4:
        check_tensor(module, 'input', input, (1, 2, 3, 4))
    return 0 if dims in (1, 3) else 1


class SoftMax(Module):
    """y_i = exp(x_i) / sum_j exp(x_j) over the feature dimension; dx = y * (dy - sum(dy * y))."""

    def expected_input(self):
        return "1-D (features), 2-D (batch x features), 3-D (features x H x W) or 4-D"

    def updateOutput(self, input):
        dim = _feature_dim(self, input)
        if autograd_active():
            self.output = F.softmax(input, dim)
            return self.output
        with no_grad():
            self.output = torch.softmax(input, dim)
        return self.output

    def updateGradInput(self, input, gradOutput):
        dim = _feature_dim(self, input)
        with no_grad():
            self.gradInput = _aten._softmax_backward_data(gradOutput, self.output, dim, input.dtype)
        return self.gradInput


class LogSoftMax(Module):
    """y_i = x_i - log sum_j exp(x_j) over the feature dimension; dx = dy - exp(y) * sum(dy)."""

    def expected_input(self):
        return "1-D (features), 2-D (batch x features), 3-D (features x H x W) or 4-D"

    def updateOutput(self, input):
        dim = _feature_dim(self, input)
        if _is_grad_enabled():
            if autograd_active():
                self.output = F.log_softmax(input, dim)
                return self.output
            return without_grad(LogSoftMax.updateOutput, self, input)
        out = torch.log_softmax(input, dim)
        self.__dict__['output'] = out
        return out

    def updateGradInput(self, input, gradOutput):
        if _is_grad_enabled():
            return without_grad(LogSoftMax.updateGradInput, self, input, gradOutput)
        gi = torch._log_softmax_backward_data(gradOutput, self.output, _feature_dim(self, input), input.dtype)
        self.__dict__['gradInput'] = gi
        return gi
