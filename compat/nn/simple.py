"""Simple layers with parameters (torch/nn): Add, Mul, CMul, CAdd, Bilinear, PReLU, LookupTable,
Maxout (Linear is in ``linear.py``; the distance layers Euclidean, WeightedEuclidean and Cosine in
``distance.py``).

Each layer's Lua path follows torch/nn's kernels; the autograd path computes the same output with
differentiable ops. torch/nn's Bilinear forgets ``scale`` for its weight in ``accGradParameters``;
it is applied here, so ``accUpdateGradParameters`` works.
"""
import math

import torch
import torch.nn.functional as F

from compat.nn._args import integral
from compat.nn.arithmetic import Max
from compat.nn.containers import Sequential
from compat.nn.linear import Linear
from compat.nn.module import Module, autograd_active, check_tensor
from compat.nn.shape import View, parse_sizes
from compat.torch_random import normal_, uniform_

_aten = torch.ops.aten


def _uniform(module, stdv, default, *names):
    """Lua ``reset``: each named parameter uniform in [-s, s], s = ``stdv*sqrt(3)`` or ``default``."""
    s = stdv * math.sqrt(3) if stdv is not None else default
    with torch.no_grad():
        for n in names:
            p = module._parameters.get(n)
            if p is not None:
                uniform_(p, -s, s)
    return module


def _param_sizes(owner, args):
    """CMul/CAdd sizes: positive numbers, or one list / torch.Size / LongStorage."""
    if not args:
        raise ValueError(f"{owner}: expecting the parameter's sizes, got none")
    return parse_sizes(owner, args, minimum=1)


class _Broadcast(Module):
    """CMul / CAdd: a parameter ``p`` of any size combined element-wise with the input, as
    torch/nn matches them: equal element counts (p viewed as the input), equal ranks (p's size-1
    dimensions broadcast), or p holding one sample of a batch (p viewed as 1 x N)."""
    _param = 'weight'

    def __init__(self, *size):
        super().__init__()
        self.size = _param_sizes(type(self).__name__, size)
        self._new_param(self._param, torch.empty(self.size, dtype=torch.get_default_dtype()))
        self.reset()

    def reset(self, stdv=None):
        return _uniform(self, stdv, 1 / math.sqrt(self._p().numel()), self._param)

    def _t7_loaded(self, table):
        self.size = tuple(self._p().shape)

    def expected_input(self):
        return f"{self._p().numel()} elements, a broadcastable tensor or a batch of them"

    def _p(self):
        return self._parameters[self._param]

    def _layout(self, input):
        """'same', 'broadcast' or 'batch' (see the class docstring)."""
        check_tensor(self, 'input', input)
        p = self._p()
        if input.numel() == p.numel():
            return 'same'
        if p.dim() == input.dim():
            if all(a in (1, b) for a, b in zip(p.shape, input.shape)):
                return 'broadcast'
        elif input.dim() > 0 and input.numel() == input.shape[0] * p.numel():
            return 'batch'
        raise ValueError(f"{type(self).__name__}: input of size {tuple(input.shape)} does not match the "
                         f"parameter of size {tuple(p.shape)} (expecting {self.expected_input()})")

    def _expanded(self, p, input, layout):
        """``p`` shaped to combine with ``input``."""
        if layout == 'same':
            return p.reshape(input.shape)
        if layout == 'broadcast':
            return p
        return p.reshape((1,) + tuple(input.shape[1:])) if input.dim() > 1 else p.reshape(1)

    def _reduced(self, t, input, layout):
        """``t`` (input-shaped) summed to the parameter's shape."""
        p = self._p()
        if layout == 'same':
            return t.reshape(p.shape)
        if layout == 'broadcast':
            dims = [i for i, (a, b) in enumerate(zip(p.shape, input.shape)) if a == 1 and b != 1]
            return t.sum(dims, keepdim=True) if dims else t
        return t.reshape(input.shape[0], -1).sum(0).reshape(p.shape)

    def updateOutput(self, input):
        layout = self._layout(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = self._combine(input, self._expanded(self._p(), input, layout))
        return self.output


class CMul(_Broadcast):
    """``nn.CMul(size...)``: y = x * w element-wise, w of the given size; reset uniform in
    ±1/sqrt(#w)."""
    _t7_fields = ('size',)

    @staticmethod
    def _combine(x, w):
        return x * w

    def updateGradInput(self, input, gradOutput):
        layout = self._layout(input)
        with torch.no_grad():
            self.gradInput = gradOutput.reshape(input.shape) * self._expanded(self.weight, input, layout)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        layout = self._layout(input)
        gw.add_(self._reduced(input * gradOutput.reshape(input.shape), input, layout), alpha=scale)


class CAdd(_Broadcast):
    """``nn.CAdd(size...)``: y = x + b element-wise, b of the given size; reset uniform in
    ±1/sqrt(#b)."""
    _t7_fields = ('size',)
    _param_names = ('bias',)
    _param = 'bias'

    @staticmethod
    def _combine(x, b):
        return x + b

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.clone()
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        layout = self._layout(input)
        gb.add_(self._reduced(gradOutput.reshape(input.shape), input, layout), alpha=scale)


class Add(Module):
    """``nn.Add(inputSize, scalar=false)``: y = x + b, b a vector of ``inputSize`` (added to each
    sample of a batch), or one number when ``scalar``; reset uniform in ±1/sqrt(#b)."""
    _t7_fields = ('scalar',)
    _param_names = ('bias',)
    scalar = False

    def __init__(self, inputSize, scalar=False):
        super().__init__()
        self.scalar = bool(scalar)
        size = 1 if scalar else integral('Add', 'inputSize', inputSize)
        self._new_param('bias', torch.empty(size, dtype=torch.get_default_dtype()))
        self.reset()

    def reset(self, stdv=None):
        return _uniform(self, stdv, 1 / math.sqrt(self.bias.shape[0]), 'bias')

    def expected_input(self):
        return f"{self.bias.numel()} elements per sample"

    def _layout(self, input):
        check_tensor(self, 'input', input)
        if self.scalar:
            return 'scalar'
        if input.shape == self.bias.shape:
            return 'same'
        if input.dim() > 1 and input[0].numel() == self.bias.numel():
            return 'batch'
        raise ValueError(f"Add: expecting an input of size {tuple(self.bias.shape)} or a batch of them, "
                         f"got size {tuple(input.shape)}")

    def updateOutput(self, input):
        layout = self._layout(input)
        b = self.bias
        with torch.set_grad_enabled(autograd_active()):
            if layout == 'scalar':
                self.output = input + b[0]
            elif layout == 'same':
                self.output = input + b
            else:
                self.output = (input.reshape(input.shape[0], -1) + b).view(input.shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.clone()
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        if gb.numel() == 1:
            gb.add_(gradOutput.sum(), alpha=scale)
        elif input.shape == gb.shape:
            gb.add_(gradOutput, alpha=scale)
        else:
            gb.add_(gradOutput.reshape(input.shape[0], -1).sum(0), alpha=scale)


class Mul(Module):
    """``nn.Mul()``: y = w x with one learnt number w; reset uniform in ±1."""
    _t7_fields = ()

    def __init__(self):
        super().__init__()
        self._new_param('weight', torch.empty(1, dtype=torch.get_default_dtype()))
        self.reset()

    def reset(self, stdv=None):
        return _uniform(self, stdv, 1.0, 'weight')

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = input * self.weight[0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        with torch.no_grad():
            self.gradInput = gradOutput * self.weight[0]
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        gw.add_(torch.dot(input.reshape(-1), gradOutput.reshape(-1)), alpha=scale)


class Bilinear(Module):
    """``nn.Bilinear(inputSize1, inputSize2, outputSize, bias=true)``: input {x1 (n x in1),
    x2 (n x in2)}, y_k = x1^T W_k x2 + b_k with W of size outputSize x in1 x in2; gradInput is a
    list {dx1, dx2}; reset uniform in ±1/sqrt(in1)."""
    _t7_fields = ('gradInput',)         # a Lua table: saved as one, so Torch7's backward runs

    def __init__(self, inputSize1, inputSize2, outputSize, bias=True):
        super().__init__()
        sizes = [integral('Bilinear', n, v) for n, v in
                 (('inputSize1', inputSize1), ('inputSize2', inputSize2), ('outputSize', outputSize))]
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(sizes[2], sizes[0], sizes[1], dtype=dtype))
        if bias is None or bias:
            self._new_param('bias', torch.empty(sizes[2], dtype=dtype))
        else:
            self.bias = None
        self.gradInput = [torch.empty(0, dtype=dtype), torch.empty(0, dtype=dtype)]
        self.reset()

    def reset(self, stdv=None):
        if stdv is not None and not stdv > 0:
            raise ValueError(f"Bilinear: standard deviation should be a positive number, got {stdv!r}")
        return _uniform(self, stdv, 1 / math.sqrt(self.weight.shape[1]), 'weight', 'bias')

    def expected_input(self):
        _, i, j = self.weight.shape
        return f"a list of two matrices n x {i} and n x {j}"

    def _check(self, input, gradOutput=None):
        if not isinstance(input, (list, tuple)) or len(input) != 2:
            raise TypeError(f"Bilinear: input should be a list containing two tensors, got "
                            f"{type(input).__name__}")
        k, i, j = self.weight.shape
        x1, x2 = input
        check_tensor(self, 'input[1]', x1, 2, ((1, i),))
        check_tensor(self, 'input[2]', x2, 2, ((0, x1.shape[0]), (1, j)))
        if gradOutput is not None:
            check_tensor(self, 'gradOutput', gradOutput, 2, ((0, x1.shape[0]), (1, k)))
        return x1, x2

    def updateOutput(self, input):
        x1, x2 = self._check(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = F.bilinear(x1, x2, self.weight, self.bias)
        return self.output

    def updateGradInput(self, input, gradOutput):
        """dx1 = sum_k dy_k W_k x2, dx2 = sum_k dy_k W_k^T x1, as two matrix products."""
        x1, x2 = self._check(input, gradOutput)
        k, i, j = self.weight.shape
        n = x1.shape[0]
        with torch.no_grad():
            w = self.weight
            g_x2 = (gradOutput.unsqueeze(2) * x2.unsqueeze(1)).reshape(n, k * j)
            g_x1 = (gradOutput.unsqueeze(2) * x1.unsqueeze(1)).reshape(n, k * i)
            self.gradInput = [g_x2 @ w.transpose(1, 2).reshape(k * j, i), g_x1 @ w.reshape(k * i, j)]
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gW_k += scale * sum_n dy_nk x1_n x2_n^T; gb += scale * sum_n dy_n."""
        x1, x2 = self._check(input, gradOutput)
        k, i, j = gw.shape
        g_x1 = (gradOutput.unsqueeze(2) * x1.unsqueeze(1)).reshape(-1, k * i)
        gw.view(k * i, j).addmm_(g_x1.t(), x2, alpha=scale)
        if gb is not None:
            gb.add_(gradOutput.sum(0), alpha=scale)

    def __tostring__(self):
        k, i, j = self.weight.shape
        return f"nn.Bilinear({i}x{j} -> {k}) " + (' without bias' if self.bias is None else '')


class PReLU(Module):
    """``nn.PReLU(nOutputPlane=0)``: y = x if x > 0 else a x, with one learnt slope (0) or one per
    plane (the planes are dimension 1 of a 1-D input, dimension 2 otherwise); slopes start at
    0.25."""
    _t7_fields = ('nOutputPlane',)
    nOutputPlane = 0

    def __init__(self, nOutputPlane=0):
        super().__init__()
        self.nOutputPlane = integral('PReLU', 'nOutputPlane', nOutputPlane or 0, minimum=0)
        self._new_param('weight', torch.full((self.nOutputPlane or 1,), 0.25,
                                             dtype=torch.get_default_dtype()))

    def expected_input(self):
        return f"{self.nOutputPlane} planes in dimension 1 (1-D input) or 2 (batch)"

    def _slope(self, input):
        """The weight shaped to broadcast over ``input``."""
        check_tensor(self, 'input', input)
        if not self.nOutputPlane:
            return self.weight[0]
        cdim = 1 if input.dim() > 1 else 0
        if input.shape[cdim] != self.nOutputPlane:
            raise ValueError(f"PReLU: wrong number of input planes, expecting {self.nOutputPlane} in "
                             f"dimension {cdim + 1}, got input of size {tuple(input.shape)}")
        return self.weight.view((-1,) + (1,) * (input.dim() - cdim - 1))

    def updateOutput(self, input):
        a = self._slope(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = torch._prelu_kernel(input, a.reshape(1) if a.dim() == 0 else a)
        return self.output

    @staticmethod
    def _split(input, gradOutput):
        """gradOutput where x > 0, and where x <= 0."""
        pos = _aten.threshold_backward(gradOutput, input, 0)
        return pos, gradOutput - pos

    def updateGradInput(self, input, gradOutput):
        a = self._slope(input)
        with torch.no_grad():
            pos, neg = self._split(input, gradOutput)
            self.gradInput = pos.add_(neg * a)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """ga += scale * sum of x * dy over the points where x <= 0 (per plane)."""
        self._slope(input)
        t = input * self._split(input, gradOutput)[1]
        if not self.nOutputPlane:
            gw.add_(t.sum(), alpha=scale)
        else:
            cdim = 1 if input.dim() > 1 else 0
            dims = [d for d in range(input.dim()) if d != cdim]
            gw.add_(t.sum(dims) if dims else t, alpha=scale)


class LookupTable(Module):
    """``nn.LookupTable(nIndex, nOutput, paddingValue=0, maxNorm, normType=2)``: rows of the
    nIndex x nOutput weight picked by 1-based indices (a vector, or a batch matrix: output
    n x nOutput or b x n x nOutput). Rows whose index equals ``paddingValue`` get no gradient;
    with ``maxNorm`` the rows used are first rescaled in place to at most that ``normType``-norm;
    ``scaleGradByFreq()`` divides each row's gradient by its count in the input. reset: N(0, stdv=1)."""
    _t7_fields = ('paddingValue', 'maxNorm', 'normType', 'shouldScaleGradByFreq')
    paddingValue, maxNorm, normType, shouldScaleGradByFreq = 0, None, None, False

    def __init__(self, nIndex, nOutput, paddingValue=0, maxNorm=None, normType=None):
        super().__init__()
        nIndex = integral('LookupTable', 'nIndex', nIndex)
        nOutput = integral('LookupTable', 'nOutput', nOutput)
        self._new_param('weight', torch.empty(nIndex, nOutput, dtype=torch.get_default_dtype()))
        self.paddingValue = paddingValue or 0
        self.maxNorm, self.normType = maxNorm, normType
        self.shouldScaleGradByFreq = False
        self.reset()

    def reset(self, stdv=None):
        with torch.no_grad():
            normal_(self.weight, 0, 1 if stdv is None else stdv)
        return self

    def setPadding(self, paddingValue):
        self.paddingValue = paddingValue
        return self

    def setMaxNorm(self, maxNorm):
        self.maxNorm = maxNorm
        return self

    def setNormType(self, normType):
        self.normType = normType
        return self

    def scaleGradByFreq(self):
        self.shouldScaleGradByFreq = True
        return self

    def expected_input(self):
        return f"a vector or matrix of indices in [1, {self.weight.shape[0]}]"

    def _indices(self, input):
        """The input's 1-based indices as a flat int64 tensor, checked against the table."""
        check_tensor(self, 'input', input, (1, 2))
        if input.is_floating_point() and not bool((input == input.floor()).all()):
            raise ValueError(f"LookupTable: expecting integer indices, got {input.dtype} values")
        idx = input.reshape(-1).long()
        n = self.weight.shape[0]
        if idx.numel() and (int(idx.min()) < 1 or int(idx.max()) > n):
            raise ValueError(f"LookupTable: inputs need to be in the range 1 <= input <= {n}, got "
                             f"[{int(idx.min())}, {int(idx.max())}]")
        return idx

    def _renorm(self, idx):
        """Lua ``renorm``: rescale each used row whose norm exceeds maxNorm to maxNorm/(norm+1e-7)."""
        rows = torch.unique(idx) - 1
        with torch.no_grad():
            w = self.weight.index_select(0, rows)
            norm = torch.linalg.vector_norm(w, ord=self.normType or 2, dim=1, keepdim=True)
            factor = torch.where(norm > self.maxNorm, self.maxNorm / (norm + 1e-7), 1.0)
            self.weight.index_copy_(0, rows, w * factor)

    def updateOutput(self, input):
        idx = self._indices(input)
        if self.maxNorm:
            self._renorm(idx)
        shape = tuple(input.shape) + (self.weight.shape[1],)
        if autograd_active():
            pad = self.paddingValue - 1 if 1 <= self.paddingValue <= self.weight.shape[0] else None
            out = F.embedding(idx - 1, self.weight, pad, scale_grad_by_freq=self.shouldScaleGradByFreq)
        else:
            with torch.no_grad():
                out = self.weight.index_select(0, idx - 1)
        self.output = out.view(shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        """No gradient for indices: zeros of the input's size and type."""
        if not isinstance(self.gradInput, torch.Tensor) or self.gradInput.shape != input.shape \
                or self.gradInput.dtype != input.dtype:
            self.gradInput = torch.zeros_like(input)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gw[i] += scale * dy of each position holding index i (except paddingValue), divided by
        the count of i in the input with scaleGradByFreq: one index_add_."""
        idx = self._indices(input)
        go = gradOutput.reshape(idx.numel(), -1)
        keep = idx != self.paddingValue
        if not bool(keep.all()):
            idx, go = idx[keep], go[keep]
        if self.shouldScaleGradByFreq:
            counts = torch.bincount(idx, minlength=gw.shape[0] + 1)
            go = go / counts[idx].unsqueeze(1).to(go.dtype)
        gw.index_add_(0, idx - 1, go, alpha=scale)


class Maxout(Sequential):
    """``nn.Maxout(inputSize, outputSize, maxoutNumber, preprocess)``: a Sequential of
    Linear(inputSize, outputSize * maxoutNumber), View(maxoutNumber, outputSize) (one input dim),
    the optional ``preprocess`` module, and Max(1, 2): the maximum of each group of maxoutNumber
    linear units. Prints as the Sequential it is, as Torch7 does."""
    _t7_fields = ()

    def __init__(self, inputSize, outputSize, maxoutNumber, preprocess=None):
        super().__init__()
        outputSize = integral('Maxout', 'outputSize', outputSize)
        maxoutNumber = integral('Maxout', 'maxoutNumber', maxoutNumber)
        self.add(Linear(inputSize, outputSize * maxoutNumber))
        self.add(View(maxoutNumber, outputSize).setNumInputDims(1))
        if preprocess is not None:
            self.add(preprocess)
        self.add(Max(1, 2))
