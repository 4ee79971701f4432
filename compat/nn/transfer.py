"""Transfer functions of torch/nn beyond ReLU/Tanh/Sigmoid/SoftMax (``activations.py``):
HardTanh, Clamp, ReLU6, HardShrink, SoftShrink, Threshold, LeakyReLU, ELU, RReLU, SoftPlus,
SoftSign, LogSigmoid, TanhShrink, SoftMin, CReLU, GatedLinearUnit, SpatialSoftMax,
SpatialLogSoftMax.

None has parameters. Each follows THNN's formula, including which side of a boundary a point
belongs to (HardTanh passes the gradient only strictly inside (min, max); Threshold only where
x > threshold; ELU and RReLU treat x = 0 as negative); the autograd path computes the same forward.
"""
import torch
import torch.nn.functional as F

from compat.nn._args import integral, number
from compat.nn.activations import (
    LogSoftMax,
    Pointwise,
    SoftMax,
    _feature_dim,
    check_same_size,
)
from compat.nn.module import Module, autograd_active, check_tensor
from compat.torch_random import uniform_

_aten = torch.ops.aten


def _flag(owner, name, value):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: in-place flag must be boolean, got {name}={value!r}")
    return value


class HardTanh(Pointwise):
    """``nn.HardTanh(min_value=-1, max_value=1, inplace=false)``: y = min(max(x, min_val), max_val);
    dx = dy strictly inside (min_val, max_val), else 0."""
    _t7_fields = ('min_val', 'max_val', 'inplace')
    min_val, max_val = -1.0, 1.0

    def __init__(self, min_value=-1, max_value=1, inplace=False):
        super().__init__()
        name = type(self).__name__
        self.min_val = number(name, 'min_value', min_value)
        self.max_val = number(name, 'max_value', max_value)
        self.inplace = _flag(name, 'inplace', inplace)
        if not self.max_val > self.min_val:
            raise ValueError(f"{name}: max_value must be larger than min_value, got "
                             f"min_value={min_value}, max_value={max_value}")

    def _f(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def _df(self, x, y, dy):
        return _aten.hardtanh_backward(dy, x, self.min_val, self.max_val)


class Clamp(HardTanh):
    """``nn.Clamp(min_value, max_value)``: HardTanh with the given bounds (as in torch/nn)."""
    _t7_fields = HardTanh._t7_fields

    def __init__(self, min_value, max_value):
        super().__init__(min_value, max_value)


class ReLU6(HardTanh):
    """``nn.ReLU6(inplace=false)``: y = min(max(x, 0), 6) (THNN's HardTanh with bounds 0 and 6)."""
    _t7_fields = ('inplace',)
    min_val, max_val = 0.0, 6.0

    def __init__(self, inplace=False):
        Module.__init__(self)
        self.inplace = _flag('ReLU6', 'inplace', inplace)


class Threshold(Pointwise):
    """``nn.Threshold(th=1e-6, v=0, ip=false)``: y = x if x > th else v; dx = dy where x > th."""
    _t7_fields = ('threshold', 'val', 'inplace')
    threshold, val = 1e-6, 0.0

    def __init__(self, th=1e-6, v=0, ip=False):
        super().__init__()
        self.threshold = number('Threshold', 'th', th)
        self.val = number('Threshold', 'v', v)
        self.inplace = _flag('Threshold', 'ip', ip)
        self._validate()

    def _validate(self):
        if self.inplace and self.val > self.threshold:
            raise ValueError(f"Threshold: in-place processing requires value ({self.val}) not exceed "
                             f"threshold ({self.threshold})")

    def _f(self, x):
        self._validate()
        return F.threshold(x, self.threshold, self.val)

    def _df(self, x, y, dy):
        return _aten.threshold_backward(dy, x, self.threshold)


class LeakyReLU(Pointwise):
    """``nn.LeakyReLU(negval=1/100, ip=false)``: y = x if x > 0 else negval * x."""
    _t7_fields = ('negval', 'inplace')
    negval = 1 / 100

    def __init__(self, negval=None, ip=False):
        super().__init__()
        if isinstance(negval, bool):        # Lua: LeakyReLU(true) means the default slope
            negval = None
        self.negval = 1 / 100 if negval is None else number('LeakyReLU', 'negval', negval)
        self.inplace = bool(ip) and self.negval >= 0

    def _f(self, x):
        return F.leaky_relu(x, self.negval)

    def _df(self, x, y, dy):
        return _aten.leaky_relu_backward(dy, x, self.negval, False)

    def __tostring__(self):
        return f"nn.LeakyReLU({self.negval:g})"


class ELU(Pointwise):
    """``nn.ELU(alpha=1, inplace=false)``: y = x if x > 0 else alpha * (exp(x) - 1);
    dx = dy if y > 0 else dy * (y + alpha)."""
    _t7_fields = ('alpha', 'inplace')
    alpha = 1.0

    def __init__(self, alpha=1, inplace=False):
        super().__init__()
        self.alpha = number('ELU', 'alpha', alpha)
        self.inplace = _flag('ELU', 'inplace', inplace)

    def _f(self, x):
        return F.elu(x, self.alpha)

    def _df(self, x, y, dy):
        return _aten.elu_backward(dy, self.alpha, 1, 1, True, y)

    def __tostring__(self):
        return f"nn.ELU (alpha:{self.alpha:f})"


class RReLU(Pointwise):
    """``nn.RReLU(l=1/8, u=1/3, ip=false)``: in training y = x * r for x <= 0 with r ~ U(l, u)
    drawn per element (kept in ``noise``), in evaluation r = (l + u) / 2; dx = dy * r."""
    _t7_fields = ('lower', 'upper', 'inplace', 'noise')
    lower, upper = 1 / 8, 1 / 3

    def __init__(self, l=1 / 8, u=1 / 3, ip=False):
        super().__init__()
        self.lower, self.upper = number('RReLU', 'l', l), number('RReLU', 'u', u)
        if not 0 <= self.lower <= self.upper:
            raise ValueError(f"RReLU: expecting 0 <= l <= u, got l={l}, u={u}")
        self.inplace = bool(ip)
        self.noise = torch.empty(0, dtype=torch.get_default_dtype())

    def _random(self):
        return bool(self.training) and self.upper - self.lower > 1e-6

    def _f(self, x):
        if not bool(self.training):
            return F.leaky_relu(x, (self.lower + self.upper) / 2)
        with torch.no_grad():            # one Torch7 uniform per element <= 0, in element order
            negative = x <= 0
            self.noise = torch.ones_like(x)
            draws = uniform_(torch.empty(int(negative.sum()), dtype=x.dtype), self.lower, self.upper)
            self.noise[negative] = draws.to(x.device)
        return x * self.noise

    def _df(self, x, y, dy):
        if self._random():
            return dy * self.noise
        return _aten.leaky_relu_backward(dy, x, (self.lower + self.upper) / 2, False)

    def __tostring__(self):
        return f"nn.RReLU (l:{self.lower:f}, u:{self.upper:f})"


class _Shrink(Pointwise):
    """HardShrink / SoftShrink: zero inside [-lambda, lambda]; dx = dy outside it."""
    _t7_fields = ('lambda',)

    def __init__(self, lam=0.5):
        super().__init__()
        setattr(self, 'lambda', number(type(self).__name__, 'lam', lam))

    @property
    def lam(self):
        """torch/nn's field ``lambda`` (a Python keyword)."""
        return getattr(self, 'lambda', 0.5)


class HardShrink(_Shrink):
    """``nn.HardShrink(lam=0.5)``: y = x if |x| > lam else 0."""
    _t7_fields = _Shrink._t7_fields

    def _f(self, x):
        return F.hardshrink(x, self.lam)

    def _df(self, x, y, dy):
        return _aten.hardshrink_backward(dy, x, self.lam)


class SoftShrink(_Shrink):
    """``nn.SoftShrink(lam=0.5)``: y = x - lam if x > lam, x + lam if x < -lam, else 0."""
    _t7_fields = _Shrink._t7_fields

    def _f(self, x):
        return F.softshrink(x, self.lam)

    def _df(self, x, y, dy):
        return _aten.softshrink_backward(dy, x, self.lam)


class SoftPlus(Pointwise):
    """``nn.SoftPlus(beta=1)``: y = log(1 + exp(beta x)) / beta, or x where beta x > 20 (the fixed
    ``threshold``). Further arguments are ignored, as Lua ignores them."""
    _t7_fields = ('beta', 'threshold')
    beta, threshold = 1.0, 20.0

    def __init__(self, beta=1, *ignored):
        super().__init__()
        self.beta = number('SoftPlus', 'beta', beta)
        self.threshold = 20.0

    def _f(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def _df(self, x, y, dy):
        return _aten.softplus_backward(dy, x, self.beta, self.threshold)


class SoftSign(Pointwise):
    """``nn.SoftSign()``: y = x / (1 + |x|); dx = dy / (1 + |x|)^2."""
    _t7_fields = ()

    def _f(self, x):
        return F.softsign(x)

    def _df(self, x, y, dy):
        return dy / (x.abs() + 1).square_()


class LogSigmoid(Pointwise):
    """``nn.LogSigmoid()``: y = -log(1 + exp(-x)); dx = dy * (1 - sigmoid(x))."""
    _t7_fields = ()

    def _f(self, x):
        if autograd_active():
            return F.logsigmoid(x)
        y, self.buffer = _aten.log_sigmoid_forward(x)
        return y

    def _df(self, x, y, dy):
        return _aten.log_sigmoid_backward(dy, x, self.buffer)


class TanhShrink(Pointwise):
    """``nn.TanhShrink()``: y = x - tanh(x); dx = dy * tanh(x)^2."""
    _t7_fields = ()

    def _f(self, x):
        return x - torch.tanh(x)

    def _df(self, x, y, dy):
        return dy * torch.tanh(x).square_()


class SoftMin(SoftMax):
    """``nn.SoftMin()``: the soft-max of -x over the feature dimension (as ``SoftMax``)."""
    _t7_fields = ()

    def updateOutput(self, input):
        dim = _feature_dim(self, input)
        if autograd_active():
            self.output = F.softmax(-input, dim)
            return self.output
        with torch.no_grad():
            self.output = torch.softmax(-input, dim)
        return self.output

    def updateGradInput(self, input, gradOutput):
        dim = _feature_dim(self, input)
        check_same_size(self, input, gradOutput)
        with torch.no_grad():
            self.gradInput = _aten._softmax_backward_data(gradOutput, self.output, dim, input.dtype).neg_()
        return self.gradInput


class SpatialSoftMax(SoftMax):
    """``nn.SpatialSoftMax()``: soft-max over the planes at each pixel (THNN's SoftMax rule)."""
    _t7_fields = ()


class SpatialLogSoftMax(LogSoftMax):
    """``nn.SpatialLogSoftMax()``: log-soft-max over the planes at each pixel."""
    _t7_fields = ()


class GatedLinearUnit(Module):
    """``nn.GatedLinearUnit(dim)``: split the input in halves a, b along ``dim`` (1-based, default
    the last) and return a * sigmoid(b)."""
    _t7_fields = ('dim',)
    dim = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = integral('GatedLinearUnit', 'dim', dim, optional=True)

    def _dim(self, input):
        check_tensor(self, 'input', input)
        d = (self.dim or input.dim()) - 1
        if not 0 <= d < input.dim() or input.shape[d] % 2:
            raise ValueError(f"GatedLinearUnit: expecting an even size in dimension {d + 1} of the "
                             f"input, got size {tuple(input.shape)}")
        return d

    def updateOutput(self, input):
        d = self._dim(input)
        if autograd_active():
            self.output = F.glu(input, d)
            return self.output
        with torch.no_grad():
            self.output = F.glu(input, d)
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._dim(input)
        with torch.no_grad():
            self.gradInput = _aten.glu_backward(gradOutput, input, d)
        return self.gradInput


class CReLU(Module):
    """``nn.CReLU(nInputDims, inplace=false)``: relu(x) and relu(-x) concatenated, doubling the
    first dimension of a sample. An input of ``nInputDims + 1`` dimensions is a batch: each sample
    is flattened and its two halves joined, so dimension 2 doubles. Any other input is one sample
    (flattened whole; dimension 1 doubles), as torch/nn.

    torch/nn builds it as a Sequential (ConcatTable(Identity, MulConstant(-1)), JoinTable(2),
    ReLU); here it is one module with the same output, gradient and printout ``CReLU()``."""
    _t7_fields = ('nInputDims', 'inplace')
    inplace = False

    def __init__(self, nInputDims, inplace=False):
        super().__init__()
        self.nInputDims = integral('CReLU', 'nInputDims', nInputDims)
        self.inplace = bool(inplace)

    def _flat(self, t, input):
        batched = input.dim() == self.nInputDims + 1
        return t.reshape(input.shape[0] if batched else 1, -1), batched

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        x, batched = self._flat(input, input)
        size = list(input.shape)
        size[1 if batched else 0] *= 2
        if autograd_active():
            self.output = torch.cat((F.relu(x), F.relu(-x)), 1).view(size)
            return self.output
        with torch.no_grad():
            self.output = torch.cat((torch.relu(x), torch.relu(-x)), 1).view(size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, _ = self._flat(input, input)
        with torch.no_grad():
            g = gradOutput.reshape(x.shape[0], 2, -1)
            pos = _aten.threshold_backward(g[:, 0], x, 0)           # dy where x > 0
            neg = _aten.threshold_backward(g[:, 1], -x, 0)          # dy where x < 0
            self.gradInput = pos.sub_(neg).view(input.shape)
        return self.gradInput

    def __tostring__(self):
        return "CReLU()"
