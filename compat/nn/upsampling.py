"""2-D up-sampling of torch/nn: ``SpatialUpSamplingNearest(scale)`` and
``SpatialUpSamplingBilinear(scale)`` / ``SpatialUpSamplingBilinear({oheight=, owidth=})``.

Input ``C x H x W`` or a batch ``N x C x H x W``; output ``H*scale x W*scale`` (or the given size).
Nearest copies each pixel into a ``scale x scale`` block (a broadcast and a reshape, cheaper than
``upsample_nearest2d``'s forward here; the backward sums the blocks with ATen's kernel). Bilinear
interpolation maps the corner pixels onto each other (PyTorch's ``align_corners=True``), with THNN's
arithmetic: the source position ``(in - 1)/(out - 1) * i`` and its fraction are single-precision
floats even for double tensors, so the weights are those of Torch7 (``upsample_bilinear2d`` computes
them in double and differs by about 1e-7).
"""
import torch

from compat.nn.batched import BatchedModule, lua_int


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
    _t7_storages = ('inputSize', 'outputSize')      # LongStorages in Lua

    def __init__(self, scale):
        super().__init__()
        self.scale_factor = _scale('SpatialUpSamplingNearest', scale)

    def _up(self, x, size):
        n, c, h, w = x.shape
        s = self.scale_factor
        return x.view(n, c, h, 1, w, 1).expand(n, c, h, s, w, s).reshape(n, c, h * s, w * s)

    def _grads(self, x, g, mask):
        return torch.ops.aten.upsample_nearest2d_backward(g, list(g.shape[2:]), list(x.shape)), None, None


class SpatialUpSamplingBilinear(_UpSampling):
    """Bilinear interpolation by an integer ``scale`` or to ``{oheight=, owidth=}`` (a dict here)."""
    _t7_fields = ('scale_factor', 'oheight', 'owidth', 'inputSize', 'outputSize')
    _t7_storages = ('inputSize', 'outputSize')

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
        return _matrix(x.shape[2], size[0], x) @ (x @ _matrix(x.shape[3], size[1], x).t())

    def _grads(self, x, g, mask):
        return (_matrix(x.shape[2], g.shape[2], g).t() @ g) @ _matrix(x.shape[3], g.shape[3], g), None, None

    def __tostring__(self):
        if self.scale_factor is not None:
            return f"nn.SpatialUpSamplingBilinear({self.scale_factor})"
        return f"nn.SpatialUpSamplingBilinear({self.oheight}, {self.owidth})"


def _matrix(n_in, n_out, like):
    """The ``n_out x n_in`` interpolation matrix of one axis (two weights per row, see :func:`_axis`):
    up-sampling is ``A_h @ x @ A_w^T``, its adjoint ``A_h^T @ g @ A_w``: whole-batch matrix
    products, which beat gathering the two neighbours at the image sizes up-sampling layers see
    (benchmarks/RESULTS.md, "More figures behind the code", has the measurements)."""
    first, second, w_first, w_second = _axis(n_in, n_out, like)
    rows = torch.arange(n_out, device=like.device)
    a = like.new_zeros(n_out, n_in)
    return a.index_put_((rows, first), w_first, accumulate=True).index_put_((rows, second), w_second,
                                                                             accumulate=True)


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
