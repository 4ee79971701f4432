"""2-D pooling of torch/nn (THNN): ``SpatialMaxPooling``, ``SpatialDilatedMaxPooling``,
``SpatialAveragePooling``, ``SpatialAdaptiveMaxPooling`` and ``SpatialAdaptiveAveragePooling``.

``nn.SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``: each output is the maximum over a kH
x kW window (stride dH, dW; implicit -inf padding). Output size ``floor((H + 2 padH - kH)/dH) + 1``
(``ceil`` in ceil mode, where a last window that would start in the padding is dropped, as THNN
does). gradInput routes each gradOutput to the argmax of its window; overlapping windows accumulate.
``ceil()`` / ``floor()`` switch the mode.
"""
import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int
from compat.nn.module import Module, autograd_active, check_tensor, without_grad

_pool = torch._C._nn.max_pool2d_with_indices     # the direct binding of aten's max_pool2d_with_indices
_pool_backward = torch.ops.aten.max_pool2d_with_indices_backward.default
_pool_backward_out = torch.ops.aten.max_pool2d_with_indices_backward.grad_input
# PyTorch's NCHW max-pooling kernel is scalar; its channels-last kernel is vectorised over the planes.
# From this many planes on, copying a batch to channels-last and pooling there is faster, copy
# included (benchmarks/RESULTS.md, "Timings behind choices in the code"). Same values, same indices.
# A small sample (3-D input of fewer elements than the second bound) stays NCHW: there the two
# copies cost more than the vectorised kernel saves.
_CHANNELS_LAST_MIN_PLANES = 8
_CHANNELS_LAST_MIN_SAMPLE = 8192
_Tensor = torch.Tensor
_is_grad_enabled = torch.is_grad_enabled


class CeilMode:
    """``ceil()`` / ``floor()`` of the Torch7 pooling modules: the rounding of the output size."""

    def ceil(self):
        self.ceil_mode = True
        return self

    def floor(self):
        self.ceil_mode = False
        return self


class SpatialMaxPooling(CeilMode, Module):
    """Max pooling over 3-D (C x H x W) or 4-D (N x C x H x W) input."""

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0):
        super().__init__()
        kW, kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        dW = kW if dW is None else lua_int(self, 'dW', dW, 1)
        dH = kH if dH is None else lua_int(self, 'dH', dH, 1)
        padW, padH = lua_int(self, 'padW', padW), lua_int(self, 'padH', padH)
        if padW > kW // 2 or padH > kH // 2:
            raise ValueError(f"{type(self).__name__}: pad should be smaller than half of the kernel size, got "
                             f"pad {padW}x{padH} for kernel {kW}x{kH}")
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.ceil_mode = False
        self.indices = torch.empty(0, dtype=torch.long)

    def expected_input(self):
        return f"C x H x W or a batch N x C x H x W with H + 2*{self.padH} >= {self.kH}, W + 2*{self.padW} >= {self.kW}"

    dilationW = dilationH = 1

    def _args(self):
        return ([self.kH, self.kW], [self.dH, self.dW], [self.padH, self.padW], [self.dilationH, self.dilationW],
                bool(self.ceil_mode))

    def updateOutput(self, input):
        if type(input) is not _Tensor or not 3 <= input.dim() <= 4:
            check_tensor(self, 'input', input, (3, 4))
        kh, kw = self.dilationH * (self.kH - 1) + 1, self.dilationW * (self.kW - 1) + 1
        shape = input.shape
        if shape[-2] + 2 * self.padH < kh or shape[-1] + 2 * self.padW < kw:
            raise ValueError(f"{type(self).__name__}: input of size {tuple(shape)} is smaller than the "
                             f"kernel {kh}x{kw}; expecting {self.expected_input()}")
        if _is_grad_enabled():
            if autograd_active():
                self.output, self.indices = F.max_pool2d_with_indices(input, *self._args(), True)
                return self.output
            return without_grad(SpatialMaxPooling.updateOutput, self, input)
        k, d, p, dil, ceil = self._args()
        if shape[-3] >= _CHANNELS_LAST_MIN_PLANES and (len(shape) == 4 or input.numel() >= _CHANNELS_LAST_MIN_SAMPLE):
            x4 = input if len(shape) == 4 else input.unsqueeze(0)
            x = self._scratch('channels_last', x4.shape, input, torch.channels_last).copy_(x4)
            out, idx = _pool(x, k, d, p, dil, ceil)
            if len(shape) == 3:
                out, idx = out.squeeze(0), idx.squeeze(0)
            out, idx = out.contiguous(), idx.contiguous()
        else:
            out, idx = _pool(input, k, d, p, dil, ceil)
        state = self.__dict__
        state['output'], state['indices'] = out, idx
        return out

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            return None
        if type(gradOutput) is not _Tensor or gradOutput.dim() != input.dim():
            check_tensor(self, 'gradOutput', gradOutput, input.dim())
        if _is_grad_enabled():
            return without_grad(SpatialMaxPooling.updateGradInput, self, input, gradOutput)
        k, d, p, dil, ceil = self._args()
        buf = self._reusable('gradInput', input.shape, gradOutput, input, gradOutput)
        gi = (_pool_backward(gradOutput, input, k, d, p, dil, ceil, self.indices) if buf is None
              else _pool_backward_out(gradOutput, input, k, d, p, dil, ceil, self.indices, grad_input=buf))
        self.__dict__['gradInput'] = gi
        return gi

    def __tostring__(self):
        return pool_tostring(self)


def pool_tostring(m, tail=''):
    """torch/nn's printout of a 2-D pooling: ``nn.X(kWxkH, dW,dH[, padW,padH]<tail>)``."""
    s = f"nn.{type(m).__name__}({m.kW}x{m.kH}, {m.dW},{m.dH}"
    if m.padW or m.padH:
        s += f", {m.padW},{m.padH}"
    return s + tail + ')'


class SpatialDilatedMaxPooling(SpatialMaxPooling):
    """``nn.SpatialDilatedMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0, dilationW=1, dilationH=1)``:
    max pooling over windows whose taps are ``dilation`` pixels apart."""
    _t7_fields = ('kW', 'kH', 'dW', 'dH', 'padW', 'padH', 'dilationW', 'dilationH', 'ceil_mode')

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, dilationW=1, dilationH=1):
        super().__init__(kW, kH, dW, dH, padW, padH)
        self.dilationW = lua_int(self, 'dilationW', dilationW, 1)
        self.dilationH = lua_int(self, 'dilationH', dilationH, 1)

    def _t7_loaded(self, table):
        self.ceil_mode = bool(self.ceil_mode)
        self.indices = torch.empty(0, dtype=torch.long)

    def __tostring__(self):
        return pool_tostring(self, f", {self.dilationW},{self.dilationH}")


class SpatialAveragePooling(CeilMode, BatchedModule):
    """``nn.SpatialAveragePooling(kW, kH, dW=1, dH=1, padW=0, padH=0)``: the mean over each window
    (zero padding). ``ceil()``/``floor()`` choose the output size rounding, ``setCountExcludePad()``
    divides by the number of non-padding pixels instead of kW*kH; ``divide = False`` gives the sum."""
    _t7_fields = ('kW', 'kH', 'dW', 'dH', 'padW', 'padH', 'ceil_mode', 'count_include_pad', 'divide')

    def __init__(self, kW, kH, dW=1, dH=1, padW=0, padH=0):
        super().__init__()
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        self.padW, self.padH = lua_int(self, 'padW', padW), lua_int(self, 'padH', padH)
        if self.padW > self.kW // 2 or self.padH > self.kH // 2:
            raise ValueError(f"SpatialAveragePooling: pad should be at most half of the kernel size, got pad "
                             f"{self.padW}x{self.padH} for kernel {self.kW}x{self.kH}")
        self.ceil_mode = False
        self.count_include_pad = True
        self.divide = True

    def setCountIncludePad(self):
        self.count_include_pad = True
        return self

    def setCountExcludePad(self):
        self.count_include_pad = False
        return self

    def _t7_loaded(self, table):
        if 'ceil_mode' not in table:     # Lua backwardCompatible(): files older than padding support
            self.ceil_mode, self.count_include_pad, self.padW, self.padH = False, True, 0, 0
        self.divide = bool(table.get('divide', True))

    def expected_input(self):
        return f"C x H x W or a batch N x C x H x W with H + 2*{self.padH} >= {self.kH}, W + 2*{self.padW} >= {self.kW}"

    def _check(self, input):
        super()._check(input)
        if input.shape[-2] + 2 * self.padH < self.kH or input.shape[-1] + 2 * self.padW < self.kW:
            raise ValueError(f"SpatialAveragePooling: input of size {tuple(input.shape)} is smaller than the "
                             f"kernel {self.kH}x{self.kW}; expecting {self.expected_input()}")

    def _args(self):
        return ([self.kH, self.kW], [self.dH, self.dW], [self.padH, self.padW], bool(self.ceil_mode),
                bool(self.count_include_pad), None if self.divide else 1)

    def _forward(self, x):
        return F.avg_pool2d(x, *self._args())

    def _grads(self, x, g, mask):
        return _avg_backward(g, x, *self._args()), None, None

    def __tostring__(self):
        return pool_tostring(self)


_avg_backward = torch.ops.aten.avg_pool2d_backward.default


class SpatialAdaptiveMaxPooling(BatchedModule):
    """``nn.SpatialAdaptiveMaxPooling(W, H)``: max pooling to a fixed ``H x W`` output; window i
    spans ``floor(i*in/out) .. ceil((i+1)*in/out)`` (THNN)."""
    _t7_fields = ('W', 'H')

    def __init__(self, W, H):
        super().__init__()
        self.W, self.H = lua_int(self, 'W', W, 1), lua_int(self, 'H', H, 1)
        self.indices = torch.empty(0, dtype=torch.long)

    def _forward(self, x):
        out, indices = F.adaptive_max_pool2d(x, (self.H, self.W), True)
        self.indices = indices
        return out

    def _grads(self, x, g, mask):
        return torch.ops.aten.adaptive_max_pool2d_backward(g, x, self.indices), None, None

    def clearState(self):
        self.indices = torch.empty(0, dtype=torch.long)
        return super().clearState()


class SpatialAdaptiveAveragePooling(BatchedModule):
    """``nn.SpatialAdaptiveAveragePooling(W, H)``: average pooling to a fixed ``H x W`` output
    (windows as for :class:`SpatialAdaptiveMaxPooling`)."""
    _t7_fields = ('W', 'H')

    def __init__(self, W, H):
        super().__init__()
        self.W, self.H = lua_int(self, 'W', W, 1), lua_int(self, 'H', H, 1)

    def _forward(self, x):
        return F.adaptive_avg_pool2d(x, (self.H, self.W))

    def _grads(self, x, g, mask):
        return torch.ops.aten._adaptive_avg_pool2d_backward(g, x), None, None
