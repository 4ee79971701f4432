"""2-D up-sampling of torch/nn: ``SpatialUpSamplingNearest(scale)`` and
``SpatialUpSamplingBilinear(scale)`` / ``SpatialUpSamplingBilinear({oheight=, owidth=})``.

Input ``C x H x W`` or a batch ``N x C x H x W``; output ``H*scale x W*scale`` (or the given size).
Bilinear interpolation maps the corner pixels onto each other (PyTorch's ``align_corners=True``), with
THNN's arithmetic: the source position ``(in - 1)/(out - 1) * i`` and its fraction are single-precision
floats even for double tensors, so the weights are those of Torch7 (``upsample_bilinear2d`` computes
them in double and differs by about 1e-7).
"""
import torch

from compat.nn.batched import BatchedModule, lua_int

_aten = torch.ops.aten


def _scale(module, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1:
        raise ValueError(f"{module}: scale_factor must be greater than 1, got {value!r}")
    if value != int(value):
        raise ValueError(f"{module}: scale_factor must be integer, got {value!r}")
    return int(value)


class _UpSampling(BatchedModule):
    def __init__(self):
        super().__init__()
        self.inputSize = torch.zeros(4, dtype=torch.long)     # Lua: LongStorage(4), filled by forward
        self.outputSize = torch.zeros(4, dtype=torch.long)

    def expected_input(self):
        return "C x H x W or a batch N x C x H x W"

    def _size(self, x):
        """Output (height, width) for batched input ``x``."""
        return [x.shape[2] * self.scale_factor, x.shape[3] * self.scale_factor]

    def _forward(self, x):
        out = self._size(x)
        self.inputSize = torch.tensor(x.shape, dtype=torch.long)
        self.outputSize = torch.tensor(list(x.shape[:2]) + out, dtype=torch.long)
        return self._up(x, out)


class SpatialUpSamplingNearest(_UpSampling):
    """Each pixel becomes a ``scale x scale`` block; gradInput sums each block."""
    _t7_fields = ('scale_factor', 'inputSize', 'outputSize')

    def __init__(self, scale):
        super().__init__()
        self.scale_factor = _scale('SpatialUpSamplingNearest', scale)

    def _up(self, x, size):
        return _aten.upsample_nearest2d(x, size)

    def _grads(self, x, g, mask):
        return _aten.upsample_nearest2d_backward(g, self._size(x), list(x.shape)), None, None


class SpatialUpSamplingBilinear(_UpSampling):
    """Bilinear interpolation by an integer ``scale`` or to ``{oheight=, owidth=}`` (a dict here)."""
    _t7_fields = ('scale_factor', 'oheight', 'owidth', 'inputSize', 'outputSize')

    def __init__(self, params):
        super().__init__()
        self.scale_factor = self.oheight = self.owidth = None
        if isinstance(params, dict):
            self.oheight = lua_int(self, 'oheight', params.get('oheight'), 1)
            self.owidth = lua_int(self, 'owidth', params.get('owidth'), 1)
        else:
            self.scale_factor = _scale('SpatialUpSamplingBilinear', params)

    def _t7_loaded(self, table):
        for name in ('scale_factor', 'oheight', 'owidth'):      # nil fields are absent from the file
            if name not in table:
                setattr(self, name, None)

    def _size(self, x):
        return super()._size(x) if self.scale_factor is not None else [self.oheight, self.owidth]

    def _up(self, x, size):
        (h0, h1, hw0, hw1), (w0, w1, ww0, ww1) = (_axis(n, m, x) for n, m in zip(x.shape[2:], size))
        rows = x.index_select(3, w0) * ww0 + x.index_select(3, w1) * ww1          # THNN's order of sums
        return rows.index_select(2, h0) * hw0.view(-1, 1) + rows.index_select(2, h1) * hw1.view(-1, 1)

    def _grads(self, x, g, mask):
        (h0, h1, hw0, hw1), (w0, w1, ww0, ww1) = (_axis(n, m, x) for n, m in zip(x.shape[2:], g.shape[2:]))
        rows = g.new_zeros(g.shape[:2] + (x.shape[2], g.shape[3]))
        rows.index_add_(2, h0, g * hw0.view(-1, 1)).index_add_(2, h1, g * hw1.view(-1, 1))
        gi = x.new_zeros(x.shape)
        return gi.index_add_(3, w0, rows * ww0).index_add_(3, w1, rows * ww1), None, None

    def __tostring__(self):
        if self.scale_factor is not None:
            return f"nn.SpatialUpSamplingBilinear({self.scale_factor})"
        return f"nn.SpatialUpSamplingBilinear({self.oheight}, {self.owidth})"


def _axis(n_in, n_out, like):
    """Source indices and weights along one axis, as THNN computes them: position
    ``p = float(n_in - 1)/(n_out - 1) * i`` in float32, index ``floor(p)`` and the next one (the
    same at the last pixel), weights ``1 - frac`` and ``frac`` with ``frac = float(p - floor(p))``."""
    i = torch.arange(n_out, dtype=torch.float32, device=like.device)
    ratio = (torch.tensor(n_in - 1, dtype=torch.float32) / (n_out - 1)) if n_out > 1 else torch.tensor(0.0)
    pos = i * ratio.to(like.device)
    first = pos.long()
    frac = (pos - first.to(torch.float32)).to(like.dtype)
    second = first + (first < n_in - 1).long()
    return first, second, 1 - frac, frac
