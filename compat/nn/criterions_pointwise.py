"""Criterions that compare input and target element by element (torch/nn ``AbsCriterion``,
``SmoothL1Criterion``, ``SoftMarginCriterion``, ``MarginCriterion``, ``DistKLDivCriterion``,
``BCECriterion``, ``MultiLabelSoftMarginCriterion``, ``HingeEmbeddingCriterion``,
``WeightedMSECriterion``; the maths of THNN's ``generic/*Criterion.c``).

loss = sum_i l(x_i, y_i) / (sizeAverage and n or 1); gradInput_i = dl/dx_i / (the same), with
Torch7's choice at the kinks (e.g. ``AbsCriterion``: +1 where x == y).
"""
import torch

from compat.nn.criterions import Criterion, MSECriterion
from compat.nn.module import check_tensor, grad_mode

EPS = 1e-12       # THNN's BCECriterion EPS


class _Pointwise(Criterion):
    """Base: ``_loss(x, y)`` (element-wise, differentiable) and ``_grad(x, y)`` (element-wise
    derivative) define the criterion; input and target hold the same number of elements."""

    def __init__(self, sizeAverage=True):
        super().__init__()
        self.sizeAverage = True if sizeAverage is None else bool(sizeAverage)

    def expected_input(self):
        return "any tensor, target of the same number of elements"

    def _pair(self, input, target):
        check_tensor(self, 'input', input)
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            target = torch.full_like(input, float(target))
        check_tensor(self, 'target', target)
        if input.numel() != target.numel():
            raise ValueError(f"{type(self).__name__}: expecting target with as many elements as input "
                             f"{tuple(input.shape)}, got size {tuple(target.shape)}")
        return input, target.to(dtype=input.dtype, device=input.device).view_as(input)

    def _norm(self, input):
        return 1.0 / input.numel() if self.sizeAverage else 1.0

    def updateOutput(self, input, target):
        x, y = self._pair(input, target)
        with grad_mode():
            return self._set_output(self._loss(x, y).sum() * self._norm(x))

    def updateGradInput(self, input, target):
        x, y = self._pair(input, target)
        with torch.no_grad():
            self.gradInput = self._grad(x, y).mul_(self._norm(x))
        return self.gradInput


class AbsCriterion(_Pointwise):
    """``nn.AbsCriterion(sizeAverage=True)``: l = |x - y|; dl/dx = 1 where x >= y, else -1."""

    _t7_fields = ('sizeAverage',)

    def _loss(self, x, y):
        return (x - y).abs()

    def _grad(self, x, y):
        return torch.where(x - y >= 0, 1.0, -1.0).to(x.dtype)


class SmoothL1Criterion(_Pointwise):
    """``nn.SmoothL1Criterion(sizeAverage=True)``: l = 0.5 z^2 if |z| < 1 else |z| - 0.5 (z = x - y);
    dl/dx = z clamped to [-1, 1]."""

    _t7_fields = ('sizeAverage',)

    def _loss(self, x, y):
        z = (x - y).abs()
        return torch.where(z < 1, 0.5 * z * z, z - 0.5)

    def _grad(self, x, y):
        return (x - y).clamp_(-1, 1)


class SoftMarginCriterion(_Pointwise):
    """``nn.SoftMarginCriterion()``: l = log(1 + exp(-y x)), y in {-1, 1}."""

    _t7_fields = ('sizeAverage',)

    def __init__(self):
        super().__init__()

    def _loss(self, x, y):
        return torch.log1p(torch.exp(-x * y))

    def _grad(self, x, y):
        z = torch.exp(-y * x)
        return -y * z / (1 + z)


class MarginCriterion(_Pointwise):
    """``nn.MarginCriterion(margin=1)``: l = max(0, margin - x y); dl/dx = -y where x y < margin."""

    _t7_fields = ('sizeAverage', 'margin')

    def __init__(self, margin=1):
        super().__init__()
        self.margin = margin

    def _loss(self, x, y):
        return (self.margin - x * y).clamp(min=0)

    def _grad(self, x, y):
        return torch.where(x * y < self.margin, -y, torch.zeros_like(y))


class DistKLDivCriterion(_Pointwise):
    """``nn.DistKLDivCriterion()``: KL divergence for log-probability input x and probability target
    y: l = y (log y - x) where y > 0, else 0; dl/dx = -y where y > 0."""

    _t7_fields = ('sizeAverage',)

    def __init__(self):
        super().__init__()

    def _pair(self, input, target):
        x, y = super()._pair(input, target)
        if input.dim() != target.dim():
            raise ValueError(f"DistKLDivCriterion: expecting input and target of the same number of dimensions, "
                             f"got sizes {tuple(input.shape)} and {tuple(target.shape)}")
        return x, y

    def _loss(self, x, y):
        return torch.where(y > 0, torch.xlogy(y, y) - y * x, torch.zeros_like(x))

    def _grad(self, x, y):
        return torch.where(y > 0, -y, torch.zeros_like(y))


def _weights(crit, input):
    """The per-class weights broadcast over the rows of a matrix input (Lua: viewed 1 x n and
    expanded), or None."""
    w = crit.weights
    if w is None:
        return None
    if w.numel() != input.shape[-1]:
        raise ValueError(f"{type(crit).__name__}: weights of size {w.numel()} do not match the input's last "
                         f"dimension, size {tuple(input.shape)}")
    return w.to(dtype=input.dtype, device=input.device)


class _Weighted(_Pointwise):
    """A pointwise criterion with optional ``weights``: a 1-D tensor, one weight per position of the
    input's last dimension."""

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__(sizeAverage)
        if weights is not None and (not isinstance(weights, torch.Tensor) or weights.dim() != 1):
            raise ValueError(f"{type(self).__name__}: weights input should be a 1-D tensor, got {weights!r}")
        self.weights = weights


class BCECriterion(_Weighted):
    """``nn.BCECriterion(weights=None, sizeAverage=True)``: binary cross entropy of probabilities x:
    l = -w (y log(x + eps) + (1 - y) log(1 - x + eps)), eps = 1e-12 as THNN;
    dl/dx = -w (y - x) / ((1 - x + eps)(x + eps))."""

    _t7_fields = ('sizeAverage', 'weights')

    def _pair(self, input, target):
        x, y = super()._pair(input, target)
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if x.numel() and (lo < 0 or hi > 1):
            raise ValueError(f"BCECriterion: input values should be between 0 and 1, got values in [{lo}, {hi}]")
        return x, y

    def _loss(self, x, y):
        l = -(torch.log(x + EPS) * y + torch.log(1 - x + EPS) * (1 - y))
        w = _weights(self, x)
        return l if w is None else l * w

    def _grad(self, x, y):
        g = -(y - x) / ((1 - x + EPS) * (x + EPS))
        w = _weights(self, x)
        return g if w is None else g.mul_(w)


class MultiLabelSoftMarginCriterion(_Weighted):
    """``nn.MultiLabelSoftMarginCriterion(weights=None, sizeAverage=True)``: binary cross entropy of
    sigmoid(x) against 0/1 targets, in the stable form log(1 + exp(-|x|)) + max(x, 0) - y x;
    dl/dx = sigmoid(x) - y (times the weights)."""

    _t7_fields = ('sizeAverage', 'weights')

    def _loss(self, x, y):
        l = torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0) - y * x
        w = _weights(self, x)
        return l if w is None else l * w

    def _grad(self, x, y):
        g = torch.sigmoid(x) - y
        w = _weights(self, x)
        return g if w is None else g.mul_(w)


class HingeEmbeddingCriterion(_Pointwise):
    """``nn.HingeEmbeddingCriterion(margin=1)``: for distances x and labels y in {-1, 1}:
    l = x where y = 1, max(0, margin - x) where y = -1; dl/dx = y, except 0 where y = -1 and
    x > margin. ``y`` may be a number for a single distance."""

    _t7_fields = ('sizeAverage', 'margin')

    def __init__(self, margin=1):
        super().__init__()
        self.margin = margin

    def _loss(self, x, y):
        pos = torch.where(y == -1, torch.zeros_like(x), x)
        neg = torch.where(y == 1, torch.zeros_like(x), (self.margin - x).clamp(min=0))
        return pos + neg

    def _grad(self, x, y):
        return torch.where((y == -1) & (x > self.margin), torch.zeros_like(y), y)


class WeightedMSECriterion(MSECriterion):
    """``nn.WeightedMSECriterion(w)``: MSE between x and the target times ``w`` (per sample when
    the input has one more dimension than ``w``)."""

    _t7_fields = ('sizeAverage', 'weight')

    def __init__(self, w):
        super().__init__()
        if not isinstance(w, torch.Tensor):
            raise TypeError(f"WeightedMSECriterion: expecting the weight to be a tensor, got {type(w).__name__}")
        self.weight = w.clone()

    def _weighted(self, input, target):
        check_tensor(self, 'target', target)
        w = self.weight.to(dtype=input.dtype, device=input.device)
        try:
            return target.reshape(input.shape) * w
        except RuntimeError as e:
            raise ValueError(f"WeightedMSECriterion: weight of size {tuple(w.shape)} does not fit the input "
                             f"{tuple(input.shape)}") from e

    def updateOutput(self, input, target):
        return super().updateOutput(input, self._weighted(input, target))

    def updateGradInput(self, input, target):
        return super().updateGradInput(input, self._weighted(input, target))
