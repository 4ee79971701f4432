"""Volumetric (3-D) modules of torch/nn: ``VolumetricConvolution``, ``VolumetricMaxPooling`` and
``VolumetricAveragePooling``.

Input ``C x T x H x W`` or a batch ``N x C x T x H x W``. Lua's argument order puts time first, then
width before height: ``(kT, kW, kH, dT, dW, dH, padT, padW, padH)``; ATen takes (T, H, W).
"""
import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int
from compat.nn.pooling import CeilMode

_conv_backward = torch.ops.aten.convolution_backward.default
_max_pool = torch.ops.aten.max_pool3d_with_indices.default
_max_pool_backward = torch.ops.aten.max_pool3d_with_indices_backward.default
_avg_pool_backward = torch.ops.aten.avg_pool3d_backward.default


class _Volumetric(BatchedModule):
    _batch_dim = 5

    def _kernel(self):
        return self.kT, self.kH, self.kW

    def _pads(self):
        return getattr(self, 'padT', 0), getattr(self, 'padH', 0), getattr(self, 'padW', 0)

    def expected_input(self):
        c = getattr(self, 'nInputPlane', 'C')
        return f"{c} x T x H x W or a batch N x {c} x T x H x W"

    def _check(self, input):
        super()._check(input)
        planes = getattr(self, 'nInputPlane', None)
        if planes is not None and input.shape[-4] != planes:
            raise ValueError(f"{type(self).__name__}: expecting input of size {planes} in the plane dimension "
                             f"({self.expected_input()}), got size {tuple(input.shape)}")
        if any(s + 2 * p < k for s, p, k in zip(input.shape[-3:], self._pads(), self._kernel())):
            raise ValueError(f"{type(self).__name__}: input of size {tuple(input.shape)} is smaller than the kernel "
                             f"{'x'.join(map(str, self._kernel()))} (TxHxW); expecting {self.expected_input()}")

    def _tostring(self):
        s = f"nn.{type(self).__name__}"
        s += f"({self.kT}x{self.kW}x{self.kH}, {self.dT},{self.dW},{self.dH}"
        if any(self._pads()):
            s += f", {self.padT},{self.padW},{self.padH}"
        return s + ')'


class VolumetricConvolution(_Volumetric):
    """``nn.VolumetricConvolution(nIn, nOut, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=padT,
    padH=padW)``: weight ``nOut x nIn x kT x kH x kW``; ``noBias()`` drops the bias."""
    _t7_fields = ('nInputPlane', 'nOutputPlane', 'kT', 'kW', 'kH', 'dT', 'dW', 'dH', 'padT', 'padW', 'padH')

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=None, padH=None):
        super().__init__()
        self.nInputPlane = lua_int(self, 'nInputPlane', nInputPlane, 1)
        self.nOutputPlane = lua_int(self, 'nOutputPlane', nOutputPlane, 1)
        self.kT, self.kW, self.kH = (lua_int(self, n, v, 1) for n, v in (('kT', kT), ('kW', kW), ('kH', kH)))
        self.dT, self.dW, self.dH = (lua_int(self, n, v, 1) for n, v in (('dT', dT), ('dW', dW), ('dH', dH)))
        self.padT = lua_int(self, 'padT', padT)
        self.padW = self.padT if padW is None else lua_int(self, 'padW', padW)
        self.padH = self.padW if padH is None else lua_int(self, 'padH', padH)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.nOutputPlane, self.nInputPlane, self.kT, self.kH, self.kW,
                                              dtype=dtype))
        self._new_param('bias', torch.empty(self.nOutputPlane, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kT * self.kW * self.kH * self.nInputPlane)

    def noBias(self):
        return self._drop_bias()

    def _forward(self, x):
        return F.conv3d(x, self.weight, self.bias, (self.dT, self.dH, self.dW), self._pads())

    def _grads(self, x, g, mask):
        return _conv_backward(g, x, self.weight, [self.nOutputPlane], [self.dT, self.dH, self.dW],
                              list(self._pads()), [1, 1, 1], False, [0, 0, 0], 1, list(mask))

    def __tostring__(self):
        s = f"nn.VolumetricConvolution({self.nInputPlane} -> {self.nOutputPlane}, {self.kT}x{self.kW}x{self.kH}"
        if (self.dT, self.dW, self.dH) != (1, 1, 1) or any(self._pads()):
            s += f", {self.dT},{self.dW},{self.dH}"
        if any(self._pads()):
            s += f", {self.padT},{self.padW},{self.padH}"
        return s + ')'


def _pool_sizes(m, kT, kW, kH, dT, dW, dH):
    m.kT, m.kW, m.kH = (lua_int(m, n, v, 1) for n, v in (('kT', kT), ('kW', kW), ('kH', kH)))
    m.dT = m.kT if dT is None else lua_int(m, 'dT', dT, 1)
    m.dW = m.kW if dW is None else lua_int(m, 'dW', dW, 1)
    m.dH = m.kH if dH is None else lua_int(m, 'dH', dH, 1)


class VolumetricMaxPooling(CeilMode, _Volumetric):
    """``nn.VolumetricMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0, padW=0, padH=0)``, with
    ``ceil()``/``floor()``: the maximum over each window; gradInput goes to the argmax."""
    _t7_fields = ('kT', 'kW', 'kH', 'dT', 'dW', 'dH', 'padT', 'padW', 'padH', 'ceil_mode')

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0):
        super().__init__()
        _pool_sizes(self, kT, kW, kH, dT, dW, dH)
        self.padT, self.padW, self.padH = (lua_int(self, n, v) for n, v in (('padT', padT), ('padW', padW),
                                                                           ('padH', padH)))
        self.ceil_mode = False
        self.indices = torch.empty(0, dtype=torch.long)

    def _t7_loaded(self, table):
        self.ceil_mode = bool(table.get('ceil_mode', False))     # Lua read(): version 1 had no ceil mode
        self.indices = torch.empty(0, dtype=torch.long)

    def _args(self):
        return list(self._kernel()), [self.dT, self.dH, self.dW], list(self._pads()), [1, 1, 1], bool(self.ceil_mode)

    def _forward(self, x):
        if x.requires_grad and torch.is_grad_enabled():
            return F.max_pool3d(x, *self._args())
        out, self.indices = _max_pool(x, *self._args())
        return out

    def _grads(self, x, g, mask):
        return _max_pool_backward(g, x, *self._args(), self.indices), None, None

    def clearState(self):
        self.indices = torch.empty(0, dtype=torch.long)
        return super().clearState()

    def __tostring__(self):
        return self._tostring()


class VolumetricAveragePooling(_Volumetric):
    """``nn.VolumetricAveragePooling(kT, kW, kH, dT=kT, dW=kW, dH=kH)``: the mean over each window
    (no padding, floor rounding)."""
    _t7_fields = ('kT', 'kW', 'kH', 'dT', 'dW', 'dH')

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None):
        super().__init__()
        _pool_sizes(self, kT, kW, kH, dT, dW, dH)

    def _args(self):
        return list(self._kernel()), [self.dT, self.dH, self.dW], [0, 0, 0], False, True, None

    def _forward(self, x):
        return F.avg_pool3d(x, *self._args())

    def _grads(self, x, g, mask):
        return _avg_pool_backward(g, x, *self._args()), None, None

    def __tostring__(self):
        return self._tostring()
