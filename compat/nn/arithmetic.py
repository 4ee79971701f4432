"""Arithmetic modules without parameters (torch/nn "simple layers"): AddConstant, MulConstant, Abs,
Exp, Log, Square, Sqrt, Power, Normalize, GradientReversal, L1Penalty, Sum, Mean, Max, Min, MM, MV.

Dimensions given to constructors are 1-based, as in Lua; they are shifted to 0-based in ``_dim``
helpers only.
"""
import math

import torch

from compat.nn._args import integral, number
from compat.nn.activations import Pointwise, check_same_size
from compat.nn.module import Module, autograd_active, check_tensor

_aten = torch.ops.aten


class _Constant(Module):
    """AddConstant / MulConstant: y = x (+ or *) constant_scalar, optionally in place (Lua: the
    input becomes the output, and backward restores the input)."""
    _t7_fields = ('constant_scalar', 'inplace')
    inplace = False

    def __init__(self, constant_scalar, ip=False):
        super().__init__()
        self.constant_scalar = constant_scalar
        if ip is not None and not isinstance(ip, bool):
            raise TypeError(f"{type(self).__name__}: in-place flag must be boolean, got {ip!r}")
        self.inplace = bool(ip)

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        c = self._constant(input)
        if autograd_active():
            self.output = self._apply_to(input, c)
            return self.output
        with torch.no_grad():
            self.output = self._apply_to(input, c, input if self.inplace else None)
        return self.output


class AddConstant(_Constant):
    """``nn.AddConstant(constant_scalar, ip=false)``: y = x + c; c a number, or a vector added to
    each row of a 1-D/2-D input."""
    _t7_fields = _Constant._t7_fields

    def _constant(self, input):
        c = self.constant_scalar
        if isinstance(c, torch.Tensor):
            if input.dim() > 2 or input.shape[-1] != c.numel():
                raise ValueError(f"AddConstant: input of size {tuple(input.shape)} does not match the "
                                 f"constant of size {tuple(c.shape)}")
            return c.reshape(-1).to(input.dtype)
        return number('AddConstant', 'constant_scalar', c)

    @staticmethod
    def _apply_to(x, c, out=None):
        return torch.add(x, c) if out is None else out.add_(c)

    def updateGradInput(self, input, gradOutput):
        check_same_size(self, input, gradOutput)
        if self.inplace:
            with torch.no_grad():
                input.sub_(self._constant(input))
            self.gradInput = gradOutput
        else:
            self.gradInput = gradOutput.clone()
        return self.gradInput


class MulConstant(_Constant):
    """``nn.MulConstant(constant_scalar, ip=false)``: y = c x; dx = c dy."""
    _t7_fields = _Constant._t7_fields

    def __init__(self, constant_scalar, ip=False):
        number('MulConstant', 'constant_scalar', constant_scalar)
        super().__init__(constant_scalar, ip)

    def _constant(self, input):
        return self.constant_scalar

    @staticmethod
    def _apply_to(x, c, out=None):
        return torch.mul(x, c) if out is None else out.mul_(c)

    def updateGradInput(self, input, gradOutput):
        check_same_size(self, input, gradOutput)
        c = self.constant_scalar
        with torch.no_grad():
            if self.inplace:
                self.gradInput = gradOutput.mul_(c)
                input.div_(c)
            else:
                self.gradInput = gradOutput * c
        return self.gradInput


class Abs(Pointwise):
    """``nn.Abs()``: y = |x|; dx = dy where x >= 0, -dy where x < 0 (THNN: +1 at zero)."""
    _t7_fields = ()

    def _f(self, x):
        return torch.abs(x)

    def _df(self, x, y, dy):
        # -dy where -x > 0, else dy: x = 0 (and -0.0) takes +1
        return _aten.leaky_relu_backward(-dy, -x, -1.0, False)


class Exp(Pointwise):
    """``nn.Exp()``: y = exp(x); dx = dy * y."""
    _t7_fields = ()

    def _f(self, x):
        return torch.exp(x)

    def _df(self, x, y, dy):
        return dy * y


class Log(Pointwise):
    """``nn.Log()``: y = log(x); dx = dy / x."""
    _t7_fields = ()

    def _f(self, x):
        return torch.log(x)

    def _df(self, x, y, dy):
        return dy / x


class Square(Pointwise):
    """``nn.Square()``: y = x^2; dx = 2 x dy."""
    _t7_fields = ()

    def _f(self, x):
        return torch.square(x)

    def _df(self, x, y, dy):
        return (2 * x).mul_(dy)


class Sqrt(Pointwise):
    """``nn.Sqrt(b=0)``: y = sqrt(x + eps) with eps = b; dx = dy / (2 y), 0 where y == 0."""
    _t7_fields = ('eps',)
    eps = 0.0

    def __init__(self, b=0):
        super().__init__()
        self.eps = number('Sqrt', 'b', b)

    def _f(self, x):
        return torch.sqrt(x + self.eps) if self.eps else torch.sqrt(x)

    def _df(self, x, y, dy):
        return _aten.threshold_backward(0.5 * (dy / y), y, 0)       # 0 where y == 0


class Power(Pointwise):
    """``nn.Power(p)``: y = x^p; dx = p x^(p-1) dy (field ``pow``)."""
    _t7_fields = ('pow',)

    def __init__(self, p):
        super().__init__()
        self.pow = number('Power', 'p', p)

    def _f(self, x):
        return torch.pow(x, self.pow)

    def _df(self, x, y, dy):
        return torch.pow(x, self.pow - 1).mul_(dy).mul_(self.pow)


class Normalize(Module):
    """``nn.Normalize(p, eps=1e-10)``: each row x (a 1-D input or the rows of a 2-D one) divided
    by its p-norm, ||x||_p = (sum |x_i|^p + eps)^(1/p), or max |x_i| + eps for p = inf."""
    _t7_fields = ('p', 'eps')
    eps = 1e-10

    def __init__(self, p, eps=1e-10):
        super().__init__()
        self.p = number('Normalize', 'p', p)
        if not self.p > 0:
            raise ValueError(f"Normalize: {p}-norm not supported, expecting p > 0")
        self.eps = number('Normalize', 'eps', eps)

    def expected_input(self):
        return "a vector or a batch of vectors (n x d)"

    def _norms(self, x):
        """(norm, normp) per row of the 2-D ``x``; normp is the p-th power (None for inf)."""
        if math.isinf(self.p):
            return x.abs().amax(1, keepdim=True) + self.eps, None
        a = x.abs() if self.p % 2 != 0 else x
        normp = a.pow(self.p).sum(1, keepdim=True) + self.eps
        return normp.pow(1 / self.p), normp

    def updateOutput(self, input):
        check_tensor(self, 'input', input, (1, 2))
        x = input.reshape(1, -1) if input.dim() == 1 else input
        if autograd_active():
            self.output = (x / self._norms(x)[0]).view(input.shape)
            return self.output
        with torch.no_grad():
            self.norm, self.normp = self._norms(x)
            self.output = (x / self.norm).view(input.shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        """dx = (normp * dy - b * sum(x * dy)) / (normp * norm), b = x |x|^(p-2); for p = inf
        (norm * dy - b * sum(x * dy)) / norm^2 with b = x_k / norm at the arg-max k only."""
        check_same_size(self, input, gradOutput)
        x = input.reshape(1, -1) if input.dim() == 1 else input
        dy = gradOutput.reshape(x.shape)
        p = self.p
        with torch.no_grad():
            if math.isinf(p):
                idx = x.abs().argmax(1, keepdim=True)
                b = torch.zeros_like(x).scatter_(1, idx, x.gather(1, idx) / self.norm)
                scale, denom = self.norm, self.norm * self.norm
            else:
                if p == 2:
                    b = x
                elif p % 2 != 0:
                    a = x.abs().add_(self.eps) if p < 2 else x.abs()
                    b = a.pow_(p - 2).mul_(x)
                else:
                    b = x.pow(p - 2).mul_(x)
                scale, denom = self.normp, self.normp * self.norm
            cross = (x * dy).sum(1, keepdim=True)
            self.gradInput = (scale * dy).sub_(b * cross).div_(denom).view(input.shape)
        return self.gradInput

    def __tostring__(self):
        p = self.p
        return f"nn.Normalize({int(p)})" if math.isfinite(p) and p % 1 == 0 else f"nn.Normalize({p:f})"


class _CustomGrad(torch.autograd.Function):
    """forward: identity (a view of the input); backward: the module's Lua ``updateGradInput``.
    For modules whose gradient is not the derivative of their output (GradientReversal,
    L1Penalty)."""

    @staticmethod
    def forward(ctx, module, input):
        ctx.module = module
        ctx.save_for_backward(input)
        return input.view_as(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return None, ctx.module._grad_rule(input, grad)


class _Identity(Module):
    """output = input (the same tensor, as Lua ``output:set(input)``); gradInput from ``_grad_rule``."""

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        self._forward_side_effect(input)
        self.output = _CustomGrad.apply(self, input) if autograd_active() else input
        return self.output

    def _forward_side_effect(self, input):
        pass

    def updateGradInput(self, input, gradOutput):
        check_same_size(self, input, gradOutput)
        with torch.no_grad():
            self.gradInput = self._grad_rule(input, gradOutput)
        return self.gradInput


class GradientReversal(_Identity):
    """``nn.GradientReversal(lambda=1)``: y = x; dx = -lambda dy."""
    _t7_fields = ('lambda',)

    def __init__(self, lambda_=1):
        super().__init__()
        self.setLambda(lambda_)

    def setLambda(self, lambda_):
        setattr(self, 'lambda', number('GradientReversal', 'lambda', lambda_))

    def _grad_rule(self, input, gradOutput):
        return gradOutput * -getattr(self, 'lambda', 1)     # files before version 2: lambda = 1


class L1Penalty(_Identity):
    """``nn.L1Penalty(l1weight, sizeAverage=false, provideOutput=true)``: y = x; records
    ``loss = m * ||x||_1`` (m = l1weight, divided by the number of elements when sizeAverage);
    dx = m sign(x) (+ dy when provideOutput)."""
    _t7_fields = ('l1weight', 'sizeAverage', 'provideOutput')
    sizeAverage, provideOutput = False, True

    def __init__(self, l1weight, sizeAverage=False, provideOutput=True):
        super().__init__()
        self.l1weight = number('L1Penalty', 'l1weight', l1weight)
        self.sizeAverage = bool(sizeAverage)
        self.provideOutput = True if provideOutput is None else bool(provideOutput)
        self.loss = 0.0

    def _m(self, input):
        return self.l1weight / input.numel() if self.sizeAverage else self.l1weight

    def _forward_side_effect(self, input):
        self.loss = self._m(input) * float(input.detach().abs().sum())

    def _grad_rule(self, input, gradOutput):
        g = torch.sign(input).mul_(self._m(input))
        return g.add_(gradOutput) if self.provideOutput else g


class _Reduce(Module):
    """Base of Sum/Mean/Max/Min: a 1-based ``dimension`` (negative counts from the end), shifted
    by one when the input has ``nInputDims + 1`` dimensions (a batch)."""
    _t7_fields = ('dimension', 'nInputDims')
    nInputDims = None

    def __init__(self, dimension=1, nInputDims=None):
        super().__init__()
        name = type(self).__name__
        self.dimension = integral(name, 'dimension', dimension, minimum=None)
        self.nInputDims = integral(name, 'nInputDims', nInputDims, optional=True)

    def _dim(self, input):
        check_tensor(self, 'input', input)
        d = self.dimension
        if d < 0:
            d = input.dim() + d + 1
        elif self.nInputDims and input.dim() == self.nInputDims + 1:
            d += 1
        if not 1 <= d <= input.dim():
            raise ValueError(f"{type(self).__name__}: dimension {self.dimension} exceeds the input "
                             f"dimensions, got a {input.dim()}-D input of size {tuple(input.shape)}")
        return d - 1        # the one 1-based -> 0-based shift

    def expected_input(self):
        return f"a tensor with dimension {self.dimension}"


class Sum(_Reduce):
    """``nn.Sum(dimension=1, nInputDims, sizeAverage=false, squeeze=true)``: the sum (mean when
    sizeAverage) over ``dimension``; the reduced dimension is dropped unless the input is 1-D
    (or ``squeeze`` is false)."""
    _t7_fields = _Reduce._t7_fields + ('sizeAverage', 'squeeze')
    sizeAverage, squeeze = False, True

    def __init__(self, dimension=1, nInputDims=None, sizeAverage=False, squeeze=None):
        super().__init__(dimension, nInputDims)
        self.sizeAverage = bool(sizeAverage)
        if squeeze is not None and not isinstance(squeeze, bool):
            raise TypeError(f"Sum: squeeze has to be true/false, got {squeeze!r}")
        self.squeeze = True if squeeze is None else squeeze

    def updateOutput(self, input):
        d = self._dim(input)
        keep = not (self.squeeze is not False and input.dim() > 1)
        with torch.set_grad_enabled(autograd_active()):
            y = torch.sum(input, d, keepdim=keep)
            self.output = y / input.shape[d] if self.sizeAverage else y
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._dim(input)
        with torch.no_grad():
            g = gradOutput.unsqueeze(d) if gradOutput.dim() < input.dim() else gradOutput
            g = g.expand(input.shape)
            self.gradInput = g / input.shape[d] if self.sizeAverage else g.clone()
        return self.gradInput


class Mean(Sum):
    """``nn.Mean(dimension=1, nInputDims)``: ``Sum`` with sizeAverage (kept by torch/nn for
    backward compatibility)."""
    _t7_fields = Sum._t7_fields

    def __init__(self, dimension=1, nInputDims=None):
        super().__init__(dimension, nInputDims, True)


class _Extremum(_Reduce):
    """Max / Min over ``dimension``: output the values (the dimension dropped unless the input is
    1-D), gradient routed to the position of each extremum."""
    _t7_fields = _Reduce._t7_fields
    _op = None

    def updateOutput(self, input):
        d = self._dim(input)
        keep = input.dim() == 1
        with torch.set_grad_enabled(autograd_active()):
            values, self._indices = self._op(input, d, keepdim=keep)
        self.output = values
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._dim(input)
        with torch.no_grad():
            g = gradOutput.reshape(self._indices.shape) if input.dim() == 1 else gradOutput.unsqueeze(d)
            idx = self._indices if input.dim() == 1 else self._indices.unsqueeze(d)
            self.gradInput = torch.zeros_like(input).scatter_(d, idx, g)
        return self.gradInput


class Max(_Extremum):
    """``nn.Max(dimension=1, nInputDims)``: the maximum over ``dimension``."""
    _t7_fields = _Extremum._t7_fields
    _op = staticmethod(torch.max)


class Min(_Extremum):
    """``nn.Min(dimension=1, nInputDims)``: the minimum over ``dimension``."""
    _t7_fields = _Extremum._t7_fields
    _op = staticmethod(torch.min)


def _pair(module, input):
    if not isinstance(input, (list, tuple)) or len(input) != 2:
        raise TypeError(f"{type(module).__name__}: expecting a list of two tensors, got "
                        f"{type(input).__name__}")
    return input


class MM(Module):
    """``nn.MM(transA=false, transB=false)``: input {A, B} (2-D, or 3-D batches), output A B with
    A or B transposed first as asked; gradInput {dA, dB}."""
    _t7_fields = ('transA', 'transB', 'gradInput')     # gradInput: a Lua table
    transA = transB = False

    def __init__(self, transA=False, transB=False):
        super().__init__()
        self.transA, self.transB = bool(transA), bool(transB)
        self.gradInput = [torch.empty(0), torch.empty(0)]

    def _operands(self, input):
        a, b = _pair(self, input)
        check_tensor(self, 'input[1]', a, (2, 3))
        check_tensor(self, 'input[2]', b, (a.dim(),))
        if self.transA:
            a = a.transpose(-1, -2)
        if self.transB:
            b = b.transpose(-1, -2)
        if a.shape[-1] != b.shape[-2] or (a.dim() == 3 and a.shape[0] != b.shape[0]):
            raise ValueError(f"MM: matrix sizes do not match, got {tuple(a.shape)} x {tuple(b.shape)} "
                             f"(after transA={self.transA}, transB={self.transB})")
        return a, b

    def expected_input(self):
        return "two matrices, or two batches of matrices"

    def updateOutput(self, input):
        a, b = self._operands(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = torch.matmul(a, b)
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b = self._operands(input)
        with torch.no_grad():
            da = torch.matmul(gradOutput, b.transpose(-1, -2))
            db = torch.matmul(a.transpose(-1, -2), gradOutput)
            self.gradInput = [da.transpose(-1, -2) if self.transA else da,
                              db.transpose(-1, -2) if self.transB else db]
        return self.gradInput


class MV(Module):
    """``nn.MV(trans=false)``: input {M, v} (M 2-D and v 1-D, or batches: M 3-D, v 2-D), output
    M v (M^T v when trans); gradInput {dM, dv}."""
    _t7_fields = ('trans', 'gradInput')
    trans = False

    def __init__(self, trans=False):
        super().__init__()
        if not isinstance(trans, bool):
            raise TypeError(f"MV: trans must be a boolean, got {trans!r}")
        self.trans = trans
        self.gradInput = [torch.empty(0), torch.empty(0)]

    def expected_input(self):
        return "a matrix and a vector, or a batch of each"

    def _operands(self, input):
        m, v = _pair(self, input)
        check_tensor(self, 'input[1]', m, (2, 3))
        check_tensor(self, 'input[2]', v, (m.dim() - 1,))
        mt = m.transpose(-1, -2) if self.trans else m
        if mt.shape[-1] != v.shape[-1] or (m.dim() == 3 and m.shape[0] != v.shape[0]):
            raise ValueError(f"MV: matrix of size {tuple(m.shape)} (trans={self.trans}) and vector of "
                             f"size {tuple(v.shape)} do not match")
        return m, mt, v

    def updateOutput(self, input):
        _, mt, v = self._operands(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = torch.matmul(mt, v.unsqueeze(-1)).squeeze(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _, mt, v = self._operands(input)
        with torch.no_grad():
            outer = gradOutput.unsqueeze(-1) * v.unsqueeze(-2)         # d(M^T or M) = dy v^T
            dm = outer.transpose(-1, -2) if self.trans else outer
            dv = torch.matmul(mt.transpose(-1, -2), gradOutput.unsqueeze(-1)).squeeze(-1)
            self.gradInput = [dm, dv]
        return self.gradInput
