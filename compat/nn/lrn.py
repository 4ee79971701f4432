"""``nn.SpatialCrossMapLRN(size, alpha=1e-4, beta=0.75, k=1)``: local response normalization across
planes (torch/nn ``SpatialCrossMapLRN.lua``, its CPU path).

For input ``C x H x W`` or a batch ``N x C x H x W``, with ``S(t)_c`` the sum of ``t`` over the
``size`` planes centred on plane c (zeros beyond the edges; ``(size-1)//2`` planes before c):

    scale = k + alpha/size * S(x^2),    y = x * scale^-beta
    gradInput = scale^-beta * g - 2 alpha beta/size * x * S^T(g * y / scale)

``S^T`` sums over the mirrored window (the same one for odd ``size``, the sizes Torch7 supports).
"""
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int


def _window_sum(t, before, after):
    """Sum of ``t`` (``N x C x H x W``) over planes ``c - before .. c + after`` of each plane c."""
    padded = F.pad(t.unsqueeze(1), (0, 0, 0, 0, before, after))
    return F.avg_pool3d(padded, (before + after + 1, 1, 1), 1, divisor_override=1).squeeze(1)


class SpatialCrossMapLRN(BatchedModule):
    """Local response normalization over neighbouring planes (see the module docstring)."""
    _t7_fields = ('size', 'alpha', 'beta', 'k')

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size = lua_int(self, 'size', size, 1)
        self.alpha = 1e-4 if alpha is None else float(alpha)
        self.beta = 0.75 if beta is None else float(beta)
        self.k = 1.0 if k is None else float(k)

    def expected_input(self):
        return "C x H x W or a batch N x C x H x W"

    def _span(self):
        before = (self.size - 1) // 2
        return before, self.size - 1 - before

    def _scale(self, x):
        return _window_sum(x * x, *self._span()).mul(self.alpha / self.size).add(self.k)

    def _forward(self, x):
        return x * self._scale(x).pow(-self.beta)

    def _grads(self, x, g, mask):
        scale = self._scale(x)
        inv = scale.pow(-self.beta)
        ratio = g * x * inv / scale
        before, after = self._span()
        accum = _window_sum(ratio, after, before)
        return inv * g - (2 * self.alpha * self.beta / self.size) * x * accum, None, None
