"""Shape modules: ``nn.Identity``, ``nn.View``, ``nn.Reshape`` and ``nn.Dropout`` (torch/nn).

View/Reshape return views of their input (as Lua); a gradInput is gradOutput viewed as the input.
"""
import torch

from compat.nn.module import Module, autograd_active, check_tensor, no_grad


class Identity(Module):
    """output = input; gradInput = gradOutput (the same tensors)."""

    def updateOutput(self, input):
        self.output = input
        return input

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        return gradOutput


def _sizes(module, args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        args = tuple(args[0])
    for s in args:
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError(f"{module.__class__.__name__}: expecting integer sizes, got {args!r}")
    return tuple(args)


def _view(t, shape):
    try:
        return t.view(shape)
    except RuntimeError:       # non-contiguous input: Lua would copy (Reshape) or fail (View)
        return t.reshape(shape)


class View(Module):
    """``nn.View(sizes...)``: view the input as ``sizes`` (one may be -1), with a leading batch
    dimension when the input holds a multiple of ``numElements`` (Lua ``batchsize`` rule: the extra
    elements, and every dimension beyond ``numInputDims`` if set, form the batch)."""

    def __init__(self, *sizes):
        super().__init__()
        self.resetSize(*sizes)
        self.numInputDims = None

    def resetSize(self, *sizes):
        self.size = _sizes(self, sizes)
        n, infer = 1, False
        for s in self.size:
            if s >= 0:
                n *= s
            elif s != -1 or infer:
                raise ValueError(f"View: sizes should be positive, with at most one -1, got {self.size}")
            else:
                infer = True
        self.numElements = n
        return self

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def expected_input(self):
        return f"a tensor of {self.numElements} elements per sample (view {self.size})"

    def _batchsize(self, input):
        isz = input.shape
        ind = input.dim()
        maxdim = self.numInputDims if self.numInputDims else ind
        ine = 1
        for i in range(ind - 1, ind - maxdim - 1, -1):
            ine *= isz[i]
        if self.numElements == 0 or ine % self.numElements != 0:
            raise ValueError(f"View: input view ({'x'.join(map(str, isz))}) and desired view "
                             f"({'x'.join(map(str, self.size))}) do not match")
        bsz = ine // self.numElements
        if -1 in self.size:
            bsz = 1
        for i in range(ind - maxdim - 1, -1, -1):
            bsz *= isz[i]
        if bsz == 1 and (not self.numInputDims or ind <= self.numInputDims):
            return None
        return bsz

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        bsz = self._batchsize(input)
        shape = self.size if bsz is None else (bsz,) + self.size
        self.output = _view(input, shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = _view(gradOutput, input.shape)
        return self.gradInput

    def __tostring__(self):
        return f"nn.View({', '.join(map(str, self.size))})"


class Reshape(Module):
    """``nn.Reshape(sizes..., [batchMode])``: view as ``sizes``, or ``N x sizes`` when the input is a
    batch (Lua: batch unless ``batchMode == False`` or, with batchMode unset, the input has exactly
    ``nelement`` elements and its first dimension is not 1)."""

    def __init__(self, *args):
        super().__init__()
        self.batchMode = None
        if args and isinstance(args[-1], bool):
            self.batchMode = args[-1]
            args = args[:-1]
        self.size = _sizes(self, args)
        n = 1
        for s in self.size:
            n *= s
        self.nelement = n

    def expected_input(self):
        return f"{self.nelement} elements, or a batch N x ... of N*{self.nelement}"

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        if self.batchMode is False or (self.batchMode is None and input.numel() == self.nelement
                                       and input.shape[0] != 1):
            shape = self.size
        else:
            shape = (input.shape[0],) + self.size
        if input.numel() != _numel(shape):
            raise ValueError(f"Reshape: cannot view input of size {tuple(input.shape)} as {shape}; expecting "
                             f"{self.expected_input()}")
        self.output = _view(input, shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = _view(gradOutput, input.shape)
        return self.gradInput

    def __tostring__(self):
        return f"nn.Reshape({'x'.join(map(str, self.size))})"


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Dropout(Module):
    """``nn.Dropout(p=0.5, v1=False, inplace=False, stochasticInference=False)``.

    Training (``train``, Lua v2): output = input * noise, noise_i ~ Bernoulli(1-p) / (1-p);
    gradInput = gradOutput * noise. Evaluation: identity (v1: output = input * (1-p)).
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: illegal percentage, expecting 0 <= p < 1, got {p!r}")
        self.p = float(p)
        self.v2 = not v1
        self.inplace = bool(inplace)
        self.stochastic_inference = bool(stochasticInference)
        self.noise = torch.empty(0, dtype=torch.get_default_dtype())

    def setp(self, p):
        self.p = p

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        train = bool(self.training)
        if self.p > 0 and (train or self.stochastic_inference):
            with no_grad():
                self.noise = torch.empty_like(input).bernoulli_(1 - self.p)
                if self.v2:
                    self.noise.div_(1 - self.p)
            if autograd_active():
                self.output = input * self.noise
            else:
                with no_grad():
                    self.output = input * self.noise
        elif self.p > 0 and not self.v2:
            self.output = input * (1 - self.p)
        else:
            self.output = input if autograd_active() else input.clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        with no_grad():
            if bool(self.training):
                self.gradInput = gradOutput * self.noise if self.p > 0 else gradOutput.clone()
            elif self.p > 0 and not self.v2:
                self.gradInput = gradOutput * (1 - self.p)
            else:
                self.gradInput = gradOutput.clone()
        return self.gradInput

    def __tostring__(self):
        return f"nn.Dropout({self.p:f})"
