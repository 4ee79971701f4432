"""Local (spatial) normalizations of torch/nn: Subtractive, Divisive and Contrastive.

Lua sources: ``SpatialSubtractiveNormalization.lua``, ``SpatialDivisiveNormalization.lua`` and
``SpatialContrastiveNormalization.lua`` (torch/nn). Input: ``P x H x W`` or a batch ``B x P x H x W``
(P = nInputPlane); output of the same size. No parameters.

Maths, per sample (``k`` the module's kernel, odd sizes, zero padding of ``size // 2``):

* ``C(x)`` = sum over the P planes of the 2-D cross-correlation of each plane with ``k`` (a 1-D
  kernel ``k`` is applied horizontally, then vertically: the separable kernel ``k k^T``); the one
  resulting plane is replicated to P planes (Lua: ZeroPadding, SpatialConvolution(Map), Replicate).
* ``C(1)`` (``coef``) is the same for an input of ones: it corrects the borders, where the window
  covers zeros.
* Subtractive: ``y = x - C(x) / C(1)``.
* Divisive: ``s = sqrt(C(x^2)) / C(1)`` (``C(1)`` is *not* square-rooted, as in Torch7);
  ``s = s`` where ``s > threshold`` else ``thresval``; ``y = x / s``.
* Contrastive: Divisive(Subtractive(x)).

The kernel is normalised **in place** in the tensor passed to the constructor, like Torch7
(``self.kernel`` is that tensor): Subtractive divides it by ``sum(k) * P``; Divisive by
``sum(k) * P`` (2-D kernel) or ``sum(k) * sqrt(P)`` (1-D kernel). Contrastive hands the same tensor
to both, so it is normalised twice (a no-op for P = 1). Each module computes with a copy of the
kernel taken right after its own normalisation (Lua copies it into its convolution weights).

``updateGradInput`` mirrors Lua's chain of module backwards (CSubTable, CDivTable, Threshold,
Sqrt with ``0`` gradient where ``sqrt`` is ``0``, Square); the same kernels serve autograd when the
module is called the PyTorch way.
"""
import math

import torch
import torch.nn.functional as F

from compat.nn.module import Module, autograd_active, check_tensor

__all__ = ["SpatialContrastiveNormalization", "SpatialDivisiveNormalization",
           "SpatialSubtractiveNormalization"]


# ---------------------------------------------------------------- the local sum C and its adjoint
def _local_sum(x, k):
    """``C(x)``: ``B x P x H x W`` -> ``B x 1 x H x W`` (sum over planes of each plane * k)."""
    P = x.shape[1]
    k = k.to(dtype=x.dtype, device=x.device)
    if k.dim() == 2:
        kh, kw = k.shape
        return F.conv2d(x, k.expand(1, P, kh, kw).contiguous(), padding=(kh // 2, kw // 2))
    n = k.shape[0]
    rows = F.conv2d(x, k.expand(P, 1, 1, n).contiguous(), padding=(0, n // 2), groups=P)
    return F.conv2d(rows, k.reshape(n, 1).expand(1, P, n, 1).contiguous(), padding=(n // 2, 0))


def _local_sum_adjoint(g, k, P):
    """Transpose of :func:`_local_sum`: ``B x 1 x H x W`` -> ``B x P x H x W``."""
    k = k.to(dtype=g.dtype, device=g.device)
    if k.dim() == 2:
        kh, kw = k.shape
        return F.conv_transpose2d(g, k.expand(1, P, kh, kw).contiguous(), padding=(kh // 2, kw // 2))
    n = k.shape[0]
    cols = F.conv_transpose2d(g, k.reshape(n, 1).expand(1, P, n, 1).contiguous(), padding=(n // 2, 0))
    return F.conv_transpose2d(cols, k.expand(P, 1, 1, n).contiguous(), padding=(0, n // 2), groups=P)


def _coef(x, k):
    """``C(1)`` for one sample of ``x`` (``1 x P x H x W``), replicated to P planes."""
    ones = torch.ones((1,) + tuple(x.shape[1:]), dtype=x.dtype, device=x.device)
    return _local_sum(ones, k).expand(1, x.shape[1], x.shape[2], x.shape[3])


def subtractive_forward(x, k):
    """``x - C(x) / C(1)`` for a ``B x P x H x W`` tensor."""
    return x - _local_sum(x, k).expand_as(x) / _coef(x, k)


def subtractive_backward(x, k, gradOutput):
    """Lua chain: CSubTable (g, -g), CDivTable (-g / coef), Replicate (sum over planes), C^T."""
    graddiv = -gradOutput / _coef(x, k)
    return gradOutput + _local_sum_adjoint(graddiv.sum(1, keepdim=True), k, x.shape[1])


def _divisive_parts(x, k, threshold, thresval):
    std = _local_sum(x * x, k).sqrt().expand_as(x)
    coef = _coef(x, k)
    adjusted = std / coef
    keep = adjusted > threshold
    return std, coef, adjusted, keep, torch.where(keep, adjusted, torch.full_like(adjusted, thresval))


def divisive_forward(x, k, threshold, thresval):
    """``x / thresholded(sqrt(C(x^2)) / C(1))`` for a ``B x P x H x W`` tensor."""
    return x / _divisive_parts(x, k, threshold, thresval)[4]


def divisive_backward(x, k, threshold, thresval, gradOutput):
    """Lua chain: CDivTable, Threshold, CDivTable, Sqrt (0 where sqrt is 0), Replicate, C^T, Square."""
    std, coef, _, keep, s = _divisive_parts(x, k, threshold, thresval)
    gradnorm1 = gradOutput / s
    gradnorm2 = -(gradnorm1 / s) * x
    graddiv = torch.where(keep, gradnorm2, torch.zeros_like(gradnorm2)) / coef
    gradsqrt = torch.where(std == 0, torch.zeros_like(std), 0.5 * (graddiv / std))
    gradsum = _local_sum_adjoint(gradsqrt.sum(1, keepdim=True), k, x.shape[1])
    return gradnorm1 + 2 * gradsum * x


def _thresholds(name, threshold, thresval):
    """Lua: ``threshold or 1e-4`` and ``thresval or threshold``; both must be numbers."""
    threshold = 1e-4 if threshold is None else threshold
    thresval = threshold if thresval is None else thresval
    for field, value in (("threshold", threshold), ("thresval", thresval)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name}: {field} must be a number, got {value!r}")
    return threshold, thresval


class _Normalize(torch.autograd.Function):
    """Autograd wrapper (module called the PyTorch way) around a module's explicit kernels."""

    @staticmethod
    def forward(ctx, x, module):
        ctx.module = module
        ctx.save_for_backward(x)
        return module._forward4(x)

    @staticmethod
    def backward(ctx, gradOutput):
        (x,) = ctx.saved_tensors
        return ctx.module._backward4(x, gradOutput.contiguous()), None


# ---------------------------------------------------------------- modules
def _check_args(name, nInputPlane, kernel):
    if isinstance(nInputPlane, bool) or not isinstance(nInputPlane, (int, float)) \
            or nInputPlane != int(nInputPlane) or nInputPlane < 1:
        raise ValueError(f"{name}: nInputPlane must be a positive integer, got {nInputPlane!r}")
    if kernel is None:
        kernel = torch.ones(9, 9, dtype=torch.get_default_dtype())  # Lua: torch.Tensor(9,9):fill(1)
    if not isinstance(kernel, torch.Tensor):
        raise TypeError(f"{name}: kernel must be a torch.Tensor, got {type(kernel).__name__}")
    if kernel.dim() not in (1, 2):
        raise ValueError(f"{name}: averaging kernel must be 2D or 1D, got a {kernel.dim()}-D tensor "
                         f"of size {tuple(kernel.shape)}")
    if any(s % 2 == 0 for s in kernel.shape):
        raise ValueError(f"{name}: averaging kernel must have ODD dimensions, got size {tuple(kernel.shape)}")
    if not kernel.is_floating_point():
        raise TypeError(f"{name}: kernel must be floating point (it is normalised in place), got {kernel.dtype}")
    return int(nInputPlane), kernel


class _SpatialNormalization(Module):
    """Shared input handling: 3-D (non-batch) or 4-D (batch) input with nInputPlane planes."""

    def expected_input(self):
        return f"nInputPlane x H x W or B x nInputPlane x H x W with nInputPlane = {self.nInputPlane}"

    def _as_batch(self, name, value):
        check_tensor(self, name, value, dims=(3, 4))
        check_tensor(self, name, value, size=[(-3, self.nInputPlane)])
        if not value.is_floating_point():
            raise TypeError(f"{self.__class__.__name__}: expecting a floating point {name}, got {value.dtype}")
        return value if value.dim() == 4 else value.unsqueeze(0)

    def updateOutput(self, input):
        x = self._as_batch("input", input)
        if autograd_active() and x.requires_grad:
            out = _Normalize.apply(x, self)
        else:
            with torch.no_grad():
                out = self._forward4(x)
        self.output = out if input.dim() == 4 else out.squeeze(0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._as_batch("input", input)
        check_tensor(self, "gradOutput", gradOutput)
        if gradOutput.shape != input.shape:
            raise ValueError(f"{self.__class__.__name__}: gradOutput must have the size of input "
                             f"{tuple(input.shape)}, got {tuple(gradOutput.shape)}")
        with torch.no_grad():
            grad = self._backward4(x.detach(), gradOutput.reshape(x.shape))
        self.gradInput = grad if input.dim() == 4 else grad.squeeze(0)
        return self.gradInput

    def extra_repr(self):
        return f"nInputPlane={self.nInputPlane}, kernel={tuple(self.kernel.shape)}"


class SpatialSubtractiveNormalization(_SpatialNormalization):
    """``nn.SpatialSubtractiveNormalization(nInputPlane=1, kernel=ones(9,9))``: ``y = x - C(x)/C(1)``.

    ``kernel`` (1-D or 2-D, odd sizes) is divided in place by ``sum(kernel) * nInputPlane``.
    """

    def __init__(self, nInputPlane=1, kernel=None):
        super().__init__()
        self.nInputPlane, self.kernel = _check_args(type(self).__name__, nInputPlane, kernel)
        with torch.no_grad():
            self.kernel.div_(float(self.kernel.sum()) * self.nInputPlane)
        self._weight = self.kernel.detach().clone()  # Lua copies the kernel into its conv weights

    def _forward4(self, x):
        return subtractive_forward(x, self._weight)

    def _backward4(self, x, gradOutput):
        return subtractive_backward(x, self._weight, gradOutput)


class SpatialDivisiveNormalization(_SpatialNormalization):
    """``nn.SpatialDivisiveNormalization(nInputPlane=1, kernel=ones(9,9), threshold=1e-4, thresval)``:
    ``y = x / s`` with ``s = sqrt(C(x^2))/C(1)`` replaced by ``thresval`` where ``s <= threshold``.

    ``thresval`` defaults to ``threshold`` (Lua: ``thresval or threshold or 1e-4``). ``kernel`` is
    divided in place by ``sum * nInputPlane`` (2-D) or ``sum * sqrt(nInputPlane)`` (1-D).
    """

    def __init__(self, nInputPlane=1, kernel=None, threshold=None, thresval=None):
        super().__init__()
        name = type(self).__name__
        self.nInputPlane, self.kernel = _check_args(name, nInputPlane, kernel)
        self.threshold, self.thresval = _thresholds(name, threshold, thresval)
        planes = self.nInputPlane if self.kernel.dim() == 2 else math.sqrt(self.nInputPlane)
        with torch.no_grad():
            self.kernel.div_(float(self.kernel.sum()) * planes)
        self._weight = self.kernel.detach().clone()

    def _forward4(self, x):
        return divisive_forward(x, self._weight, self.threshold, self.thresval)

    def _backward4(self, x, gradOutput):
        return divisive_backward(x, self._weight, self.threshold, self.thresval, gradOutput)

    def extra_repr(self):
        return super().extra_repr() + f", threshold={self.threshold}, thresval={self.thresval}"


class SpatialContrastiveNormalization(_SpatialNormalization):
    """``nn.SpatialContrastiveNormalization(nInputPlane=1, kernel=ones(9,9), threshold=1e-4, thresval)``:
    Divisive(Subtractive(x)), both built on the same kernel tensor (normalised in place by each)."""

    def __init__(self, nInputPlane=1, kernel=None, threshold=None, thresval=None):
        super().__init__()
        name = type(self).__name__
        self.nInputPlane, self.kernel = _check_args(name, nInputPlane, kernel)
        self.threshold, self.thresval = _thresholds(name, threshold, thresval)
        self.subtractive = SpatialSubtractiveNormalization(self.nInputPlane, self.kernel)
        self.divisive = SpatialDivisiveNormalization(self.nInputPlane, self.kernel, self.threshold, self.thresval)

    def _forward4(self, x):
        return self.divisive._forward4(self.subtractive._forward4(x))

    def _backward4(self, x, gradOutput):
        centred = self.subtractive._forward4(x)
        return self.subtractive._backward4(x, self.divisive._backward4(centred, gradOutput))

    def extra_repr(self):
        return super().extra_repr() + f", threshold={self.threshold}, thresval={self.thresval}"


# ---------------------------------------------------------------- .t7 loading
def _load_t7(cls):
    """Loader for ``compat.t7``: rebuild the module from the Lua fields ``nInputPlane``, ``kernel``
    (already normalised: it is used as the module's weights without normalising it again),
    ``threshold`` and ``thresval``. For a Subtractive module nested in a Contrastive one with
    several planes, the stored kernel has been normalised once more by the Divisive constructor;
    the Subtractive output is invariant to the kernel's scale, so this changes nothing."""
    def load(table):
        kernel = table.get("kernel")
        if not isinstance(kernel, torch.Tensor):
            raise TypeError(f"nn.{cls.__name__} in .t7 file: expecting a tensor field 'kernel', got "
                            f"{type(kernel).__name__}")
        m = cls.__new__(cls)
        _SpatialNormalization.__init__(m)
        m.nInputPlane, m.kernel = _check_args(cls.__name__, table.get("nInputPlane", 1), kernel)
        if cls is not SpatialSubtractiveNormalization:
            m.threshold = float(table.get("threshold", 1e-4))
            m.thresval = float(table.get("thresval", m.threshold))
        if cls is SpatialContrastiveNormalization:
            parts = [(SpatialSubtractiveNormalization, ()), (SpatialDivisiveNormalization, ("threshold", "thresval"))]
            for attr, (sub, fields) in zip(("subtractive", "divisive"), parts):
                child = load_sub(sub, m, fields)
                setattr(m, attr, child)
        else:
            m._weight = m.kernel.detach().clone()
        return m

    def load_sub(sub, parent, fields):
        child = sub.__new__(sub)
        _SpatialNormalization.__init__(child)
        child.nInputPlane, child.kernel = parent.nInputPlane, parent.kernel
        for f in fields:
            setattr(child, f, getattr(parent, f))
        child._weight = parent.kernel.detach().clone()
        return child

    return load


def _register_t7():
    try:
        from compat import t7
    except ImportError:  # pragma: no cover - compat.t7 is part of the package
        return
    for cls in (SpatialSubtractiveNormalization, SpatialDivisiveNormalization, SpatialContrastiveNormalization):
        t7.register_loader("nn." + cls.__name__, _load_t7(cls))


_register_t7()
