"""The other 2-D convolutions of torch/nn: ``SpatialFullConvolution`` (transposed),
``SpatialConvolutionMap`` (sparse plane connections), ``SpatialConvolutionLocal`` (unshared weights)
and ``SpatialSubSampling`` (one weight per plane over a summed window).

All take ``C x H x W`` or a batch ``N x C x H x W`` (Lua: THNN's ``*_updateOutput`` kernels) and are
computed by whole-batch ATen kernels: the connection table of ``SpatialConvolutionMap`` is scattered
into a dense ``nOutputPlane x nInputPlane`` weight (zero where not connected), the locally connected
layer is one batched matrix product per output position over ``unfold``'s columns.
"""
import math

import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int
from compat.nn.conv import Conv2dShape, conv_tostring
from compat.torch_random import uniform, uniform_

_conv_backward = torch.ops.aten.convolution_backward.default



def _shape_or_type(value):
    return tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__

class SpatialFullConvolution(Conv2dShape):
    """``nn.SpatialFullConvolution(nIn, nOut, kW, kH, dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0)``:
    the transpose of a convolution ("deconvolution"); weight ``nIn x nOut x kH x kW``. Output
    ``(H - 1) dH - 2 padH + kH + adjH`` (likewise W). Input may also be ``{x, target}``: adj then
    comes from target's size and gradInput is ``{gradInput, zeros of target's size}``."""
    _t7_fields = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH', 'adjW', 'adjH')

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0):
        super().__init__()
        self.nInputPlane = lua_int(self, 'nInputPlane', nInputPlane, 1)
        self.nOutputPlane = lua_int(self, 'nOutputPlane', nOutputPlane, 1)
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        self.padW, self.padH = lua_int(self, 'padW', padW), lua_int(self, 'padH', padH)
        self.adjW, self.adjH = lua_int(self, 'adjW', adjW), lua_int(self, 'adjH', adjH)
        if self.adjW > self.dW - 1 or self.adjH > self.dH - 1:
            raise ValueError(f"SpatialFullConvolution: adjW and adjH must be smaller than dW and dH, got adj "
                             f"{self.adjW},{self.adjH} for stride {self.dW},{self.dH}")
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.nInputPlane, self.nOutputPlane, self.kH, self.kW, dtype=dtype))
        self._new_param('bias', torch.empty(self.nOutputPlane, dtype=dtype))
        self._adj = None
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.kH * self.nInputPlane)

    def noBias(self):
        return self._drop_bias()

    def _window(self):
        return 1, 1

    def _split(self, input):
        """(tensor input, (adjH, adjW)): Lua's ``calculateAdj`` for a ``{x, target}`` input."""
        if isinstance(input, (list, tuple)):
            if len(input) != 2:
                raise ValueError(f"SpatialFullConvolution: a table input must be {{input, target}}, got "
                                 f"{len(input)} entries")
            x, t = input
            return x, ((t.shape[-2] + 2 * self.padH - self.kH) % self.dH,
                       (t.shape[-1] + 2 * self.padW - self.kW) % self.dW)
        return input, (self.adjH, self.adjW)

    def updateOutput(self, input):
        x, self._adj = self._split(input)
        return super().updateOutput(x)

    def updateGradInput(self, input, gradOutput):
        x, self._adj = self._split(input)
        gi = super().updateGradInput(x, gradOutput)
        return self._table_grad(input, gi)

    def _accGrad(self, input, gradOutput, scale, gradWeight, gradBias):
        x, self._adj = self._split(input)
        super()._accGrad(x, gradOutput, scale, gradWeight, gradBias)

    def _table_grad(self, input, gi):
        if isinstance(input, (list, tuple)) and gi is not None:
            self.gradInput = [gi, input[1].new_zeros(()).expand_as(input[1])]
        return self.gradInput

    def _args(self):
        adj = self._adj if self._adj is not None else (self.adjH, self.adjW)
        return [self.dH, self.dW], [self.padH, self.padW], list(adj)

    def _forward(self, x):
        stride, pad, adj = self._args()
        return F.conv_transpose2d(x, self.weight, self.bias, stride, pad, adj)

    def _grads(self, x, g, mask):
        stride, pad, adj = self._args()
        return _conv_backward(g, x, self.weight, [self.nOutputPlane], stride, pad, [1, 1], True, adj, 1,
                              list(mask))

    def __tostring__(self):
        adj = f", {self.adjW},{self.adjH}" if self.adjW or self.adjH else ''
        return conv_tostring(self, f"{self.kW}x{self.kH}", adj)


class SpatialConvolutionMap(Conv2dShape):
    """``nn.SpatialConvolutionMap(connTable, kW, kH, dW=1, dH=1)``: a valid convolution in which
    output plane ``to`` sums only the input planes connected to it: ``connTable`` is ``K x 2``
    (from, to; 1-based, see :mod:`compat.nn.tables`), ``weight`` is ``K x kH x kW`` (one kernel
    per connection), ``bias`` is ``nOutputPlane``. Extra input planes beyond ``nInputPlane`` are
    ignored, as in THNN."""
    _t7_fields = ('connTable', 'nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH')

    def __init__(self, connTable, kW, kH, dW=1, dH=1):
        super().__init__()
        if not isinstance(connTable, torch.Tensor) or connTable.dim() != 2 or connTable.shape[1] != 2:
            raise ValueError(f"SpatialConvolutionMap: expecting connTable to be a K x 2 tensor (from, to), got "
                             f"{_shape_or_type(connTable)}")
        if connTable.numel() == 0 or float(connTable.min()) < 1:
            raise ValueError("SpatialConvolutionMap: connTable must hold 1-based plane numbers (>= 1)")
        self.connTable = connTable
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        self.nInputPlane = int(connTable[:, 0].max())
        self.nOutputPlane = int(connTable[:, 1].max())
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(connTable.shape[0], self.kH, self.kW, dtype=dtype))
        self._new_param('bias', torch.empty(self.nOutputPlane, dtype=dtype))
        self.reset()

    def _pairs(self):
        """0-based (from, to) of each connection (the one 1-based -> 0-based shift), kept until
        ``connTable`` is replaced or modified."""
        key = (id(self.connTable), self.connTable._version, self.weight.device)
        cached = self.__dict__.get('_pairs_cache')
        if cached is None or cached[0] != key:
            t = self.connTable.long().to(self.weight.device) - 1
            cached = self.__dict__['_pairs_cache'] = (key, t[:, 0].contiguous(), t[:, 1].contiguous())
        return cached[1], cached[2]

    def reset(self, stdv=None):
        """Lua: each connection's kernel uniform in [-s, s] with s = 1/sqrt(kW*kH*fan_in of its output
        plane), then each bias one ``torch.uniform(-s, s)``; ``stdv*sqrt(3)`` for everything when given."""
        if stdv is not None:
            s = stdv * math.sqrt(3)
            uniform_(self.weight, -s, s)
            uniform_(self.bias, -s, s)
            return self
        _, to = self._pairs()
        fan = torch.bincount(to, minlength=self.nOutputPlane).clamp_min(1).tolist()
        bounds = [1 / math.sqrt(self.kW * self.kH * f) for f in fan]
        with torch.no_grad():
            for k, plane in enumerate(to.tolist()):         # Lua: each element torch.uniform(-s, s), in double
                kernel = torch.empty(self.weight[k].shape, dtype=torch.float64)
                self.weight[k] = uniform_(kernel, -bounds[plane], bounds[plane])
            for k, s in enumerate(bounds):                  # Lua: bias[k] = torch.uniform(-s, s)
                self.bias[k] = uniform(-s, s)
        return self

    def _dense(self, weight):
        frm, to = self._pairs()
        dense = weight.new_zeros(self.nOutputPlane, self.nInputPlane, self.kH, self.kW)
        return dense.index_put((to, frm), weight, accumulate=True)

    def _check(self, input):
        BatchedModule._check(self, input)
        if input.shape[-3] < self.nInputPlane:
            raise ValueError(f"SpatialConvolutionMap: expecting at least {self.nInputPlane} input planes, got "
                             f"input of size {tuple(input.shape)}")
        if input.shape[-2] < self.kH or input.shape[-1] < self.kW:
            raise ValueError(f"SpatialConvolutionMap: input image of size {tuple(input.shape)} is smaller than the "
                             f"kernel {self.kH}x{self.kW}")

    def _forward(self, x):
        return F.conv2d(x[:, :self.nInputPlane], self._dense(self.weight), self.bias, (self.dH, self.dW))

    def _grads(self, x, g, mask):
        planes = x[:, :self.nInputPlane]
        gi, gd, gb = _conv_backward(g, planes, self._dense(self.weight), [self.nOutputPlane], [self.dH, self.dW],
                                    [0, 0], [1, 1], False, [0, 0], 1, list(mask))
        if gi is not None and x.shape[1] > self.nInputPlane:
            gi = torch.cat([gi, gi.new_zeros((x.shape[0], x.shape[1] - self.nInputPlane) + x.shape[2:])], 1)
        if gd is not None:
            frm, to = self._pairs()
            gd = gd[to, frm]
        return gi, gd, gb


class SpatialConvolutionLocal(Conv2dShape):
    """``nn.SpatialConvolutionLocal(nIn, nOut, iW, iH, kW, kH, dW=1, dH=1, padW=0, padH=padW)``: a
    convolution whose kernel differs at each output position; the input must be ``nIn x iH x iW``.
    weight ``oH x oW x nOut x nIn x kH x kW``, bias ``nOut x oH x oW``."""
    _t7_fields = ('nInputPlane', 'nOutputPlane', 'iW', 'iH', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH', 'oW', 'oH')

    def __init__(self, nInputPlane, nOutputPlane, iW, iH, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        self.nInputPlane = lua_int(self, 'nInputPlane', nInputPlane, 1)
        self.nOutputPlane = lua_int(self, 'nOutputPlane', nOutputPlane, 1)
        self.iW, self.iH = lua_int(self, 'iW', iW, 1), lua_int(self, 'iH', iH, 1)
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        self.padW = lua_int(self, 'padW', padW)
        self.padH = self.padW if padH is None else lua_int(self, 'padH', padH)
        self.oW = (2 * self.padW + self.iW - self.kW) // self.dW + 1
        self.oH = (2 * self.padH + self.iH - self.kH) // self.dH + 1
        if self.oW < 1 or self.oH < 1:
            raise ValueError(f"SpatialConvolutionLocal: illegal configuration: output {self.oH}x{self.oW} for "
                             f"input {self.iH}x{self.iW}, kernel {self.kH}x{self.kW}")
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.oH, self.oW, self.nOutputPlane, self.nInputPlane, self.kH,
                                              self.kW, dtype=dtype))
        self._new_param('bias', torch.empty(self.nOutputPlane, self.oH, self.oW, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.kH * self.nInputPlane)

    def expected_input(self):
        return f"{self.nInputPlane} x {self.iH} x {self.iW} or a batch N x {self.nInputPlane} x {self.iH} x {self.iW}"

    def _check(self, input):
        BatchedModule._check(self, input)
        if tuple(input.shape[-3:]) != (self.nInputPlane, self.iH, self.iW):
            raise ValueError(f"SpatialConvolutionLocal: given input size {tuple(input.shape)} inconsistent with the "
                             f"expected input size ({self.expected_input()})")

    def _unfold_args(self):
        return {'kernel_size': (self.kH, self.kW), 'padding': (self.padH, self.padW), 'stride': (self.dH, self.dW)}

    def _w(self, weight):
        """weight as ``L x nOut x K`` (L = oH*oW positions, K = nIn*kH*kW, unfold's column order)."""
        return weight.reshape(self.oH * self.oW, self.nOutputPlane, -1)

    def _forward(self, x):
        cols = F.unfold(x, **self._unfold_args()).permute(2, 1, 0)             # L x K x N
        out = torch.bmm(self._w(self.weight), cols).permute(2, 1, 0)           # N x nOut x L
        return out.reshape(x.shape[0], self.nOutputPlane, self.oH, self.oW) + self.bias

    def _grads(self, x, g, mask):
        gl = g.reshape(x.shape[0], self.nOutputPlane, -1).permute(2, 1, 0)     # L x nOut x N
        gi = gw = gb = None
        if mask[0]:
            gcols = torch.bmm(self._w(self.weight).transpose(1, 2), gl).permute(2, 1, 0)
            gi = F.fold(gcols, (self.iH, self.iW), **self._unfold_args())
        if mask[1]:
            cols = F.unfold(x, **self._unfold_args()).permute(2, 0, 1)        # L x N x K
            gw = torch.bmm(gl, cols)
        if mask[2]:
            gb = g.sum(0)
        return gi, gw, gb

    def __tostring__(self):
        return conv_tostring(self, f"{self.iW}x{self.iH}, {self.kW}x{self.kH}")


class SpatialSubSampling(Conv2dShape):
    """``nn.SpatialSubSampling(nInputPlane, kW, kH, dW=1, dH=1)``: per plane c,
    ``y = weight[c] * (sum of the kH x kW window) + bias[c]``; weight and bias ``nInputPlane``."""
    _t7_fields = ('nInputPlane', 'kW', 'kH', 'dW', 'dH')

    def __init__(self, nInputPlane, kW, kH, dW=1, dH=1):
        super().__init__()
        self.nInputPlane = lua_int(self, 'nInputPlane', nInputPlane, 1)
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.nInputPlane, dtype=dtype))
        self._new_param('bias', torch.empty(self.nInputPlane, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.kH)

    def _kernel(self, weight):
        """A depthwise kernel: plane c's window all weight[c]."""
        return weight.view(-1, 1, 1, 1).expand(self.nInputPlane, 1, self.kH, self.kW)

    def _forward(self, x):
        return F.conv2d(x, self._kernel(self.weight), self.bias, (self.dH, self.dW), groups=self.nInputPlane)

    def _grads(self, x, g, mask):
        gi, gk, gb = _conv_backward(g, x, self._kernel(self.weight).contiguous(), [self.nInputPlane],
                                    [self.dH, self.dW], [0, 0], [1, 1], False, [0, 0], self.nInputPlane,
                                    list(mask))
        return gi, (gk.sum((1, 2, 3)) if gk is not None else None), gb
