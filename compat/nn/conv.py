"""2-D convolutions: ``nn.SpatialConvolutionMM``, ``nn.SpatialConvolution`` and
``nn.SpatialDilatedConvolution`` (torch/nn).

Lua argument order is ``(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW)``:
width before height (the dilated one adds ``dilationW=1, dilationH=1``). Input
``nInputPlane x H x W`` or a batch ``N x nInputPlane x H x W``; output plane size
``floor((H + 2 padH - dilationH (kH - 1) - 1)/dH) + 1`` (likewise for W).
``SpatialConvolutionMM`` stores its weight as ``nOutputPlane x (nInputPlane*kH*kW)`` (the unfolded
"MM" layout of Torch7), the others as ``nOutputPlane x nInputPlane x kH x kW``; the maths is the
same. ``reset``: weight and bias uniform in [-s, s], s = 1/sqrt(kW*kH*nInputPlane); ``noBias()``
drops the bias (printed ``... without bias``).
"""

import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, fuses_backward, lua_int
from compat.nn.module import autograd_active, without_grad

_conv_backward = torch.ops.aten.convolution_backward.default
# One sample (3-D input): ATen's port of THNN's SpatialConvolutionMM (unfold, then one matrix product),
# the algorithm of Torch7 itself; at batch 1 it is faster than oneDNN for each of output, gradInput and
# the parameter gradients (measured on the CIFAR net's layers). Batches keep oneDNN. The forward is
# called through its direct Python binding (``thnn_conv2d`` is ``_slow_conv2d_forward``), which
# costs less than a ``torch.ops.aten`` call, the generic operator call.
_slow_conv = torch._C._nn.thnn_conv2d
_slow_conv_backward = torch.ops.aten._slow_conv2d_backward.output_mask
_Tensor = torch.Tensor
_is_grad_enabled = torch.is_grad_enabled
_NOTHING = {}
_FOLD_MAX_PLANES = 8  # below this many input planes gradInput goes through col2im (see _grad_input_by_fold)
_FOLD_CHUNK_BYTES = 4 << 20  # col2im works on chunks of the batch whose columns take about this much


class Conv2dShape(BatchedModule):
    """Input checks of the 2-D convolutions: ``nInputPlane`` planes and an image the kernel fits in."""

    def expected_input(self):
        h, w = self._window()
        return (f"{self.nInputPlane} x H x W or a batch N x {self.nInputPlane} x H x W"
                + (f", H >= {h}, W >= {w}" if h > 1 or w > 1 else ''))

    def _window(self):
        """(height, width) of the smallest input the module accepts."""
        return self.kH - 2 * getattr(self, 'padH', 0), self.kW - 2 * getattr(self, 'padW', 0)

    def _check(self, input):
        super()._check(input)
        if input.shape[-3] != self.nInputPlane:
            raise ValueError(f"{type(self).__name__}: expecting input of size {self.nInputPlane} in the plane "
                             f"dimension ({self.expected_input()}), got size {tuple(input.shape)}")
        h, w = self._window()
        if input.shape[-2] < h or input.shape[-1] < w:
            raise ValueError(f"{type(self).__name__}: input image of size {tuple(input.shape)} is smaller than "
                             f"the kernel; expecting {self.expected_input()}")


class _SpatialConv(Conv2dShape):
    _weight_4d = True
    dilationW = dilationH = 1

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        padH = padW if padH is None else padH
        self.nInputPlane, self.nOutputPlane = lua_int(self, 'nInputPlane', nInputPlane, 1), \
            lua_int(self, 'nOutputPlane', nOutputPlane, 1)
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW, self.dH = lua_int(self, 'dW', dW, 1), lua_int(self, 'dH', dH, 1)
        self.padW, self.padH = lua_int(self, 'padW', padW), lua_int(self, 'padH', padH)
        shape = ((self.nOutputPlane, self.nInputPlane, self.kH, self.kW) if self._weight_4d
                 else (self.nOutputPlane, self.nInputPlane * self.kH * self.kW))
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(shape, dtype=dtype))
        self._new_param('bias', torch.empty(self.nOutputPlane, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.kH * self.nInputPlane)

    def noBias(self):
        """Drop the bias (Lua ``noBias``); returns self."""
        return self._drop_bias()

    def _span(self):
        """Extent of the (dilated) kernel: (height, width)."""
        return self.dilationH * (self.kH - 1) + 1, self.dilationW * (self.kW - 1) + 1

    def _window(self):
        kh, kw = self._span()
        return kh - 2 * self.padH, kw - 2 * self.padW

    def _w4(self, w):
        return w if self._weight_4d else w.view(self.nOutputPlane, self.nInputPlane, self.kH, self.kW)

    def _args(self):
        return (self.dH, self.dW), (self.padH, self.padW), (self.dilationH, self.dilationW)

    def _forward(self, x):
        stride, pad, dil = self._args()
        if x.shape[0] == 1 and dil == (1, 1) and not torch.is_grad_enabled():   # one sample, Lua path
            return _slow_conv(x, self.weight, (self.kH, self.kW), self.bias, stride, pad)
        return F.conv2d(x, self._w4(self.weight), self.bias, stride, pad, dil)

    # One sample on the Lua path: the same kernels as the batched methods of BatchedModule (a batch of
    # one through THNN's algorithm), without their generic layers, which cost more than the kernels.
    def _one_sample(self, input):
        """True for a 3-D input this module accepts, without dilation: see the three methods below;
        anything else goes the batched way, which also raises the errors."""
        if type(input) is not _Tensor or input.dim() != 3 or self.dilationW != 1 or self.dilationH != 1:
            return False
        planes, height, width = input.shape
        return (planes == self.nInputPlane and height + 2 * self.padH >= self.kH
                and width + 2 * self.padW >= self.kW)

    def updateOutput(self, input):
        if not self._one_sample(input):
            return super().updateOutput(input)
        if _is_grad_enabled():
            if autograd_active():
                return super().updateOutput(input)
            return without_grad(_SpatialConv.updateOutput, self, input)
        params = self._parameters
        out = _slow_conv(input.unsqueeze(0), params['weight'], (self.kH, self.kW), params.get('bias'),
                         (self.dH, self.dW), (self.padH, self.padW)).squeeze(0)
        self.__dict__['output'] = out
        return out

    def _sample_gradient(self, input, gradOutput):
        """Whether (input, gradOutput) is one sample with gradOutput of the last output's size."""
        return (type(gradOutput) is _Tensor and self._one_sample(input)
                and gradOutput.shape == self.output.shape)

    @fuses_backward
    def updateGradInput(self, input, gradOutput):
        """One sample: THNN's backward kernel gives the parameter gradients with gradInput for little
        more than gradInput alone (the unfolded input it needs is the same); they are kept, with the
        identity and version of ``input`` and ``gradOutput``, for an ``accGradParameters`` or
        ``accUpdateGradParameters`` of the same pair, which Torch7's steps call next (Torch7 keeps
        the unfolded input of the forward for it)."""
        if self.gradInput is None or not self._sample_gradient(input, gradOutput):
            return super().updateGradInput(input, gradOutput)
        if _is_grad_enabled():
            return without_grad(_SpatialConv.updateGradInput, self, input, gradOutput)
        params = self._parameters
        gi, dw, db = _slow_conv_backward(gradOutput.unsqueeze(0), input.unsqueeze(0), params['weight'],
                                         (self.kH, self.kW), (self.dH, self.dW), (self.padH, self.padW),
                                         [True, True, params.get('bias') is not None])
        self.__dict__.setdefault('_scratch_bufs', {})['param_grads'] = (
            input, input._version, gradOutput, gradOutput._version, dw, db)
        gi = gi.squeeze(0)
        self.__dict__['gradInput'] = gi
        return gi

    def _accGrad(self, input, gradOutput, scale, gradWeight, gradBias):
        kept = self.__dict__.get('_scratch_bufs', _NOTHING).pop('param_grads', None)
        if (kept is not None and kept[0] is input and kept[2] is gradOutput and kept[1] == input._version
                and kept[3] == gradOutput._version and (gradBias is None or kept[5] is not None)):
            dw, db = kept[4], kept[5]       # the pair updateGradInput checked; shaped as below
        elif not self._sample_gradient(input, gradOutput):
            return super()._accGrad(input, gradOutput, scale, gradWeight, gradBias)
        else:
            _, dw, db = _slow_conv_backward(gradOutput.unsqueeze(0), input.unsqueeze(0), self._parameters['weight'],
                                            (self.kH, self.kW), (self.dH, self.dW), (self.padH, self.padW),
                                            [False, gradWeight is not None, gradBias is not None])
        if gradWeight is not None:          # THNN's kernel gives the weight's own shape (MM or 4-D)
            gradWeight.add_(dw, alpha=scale)
        if gradBias is not None:
            gradBias.add_(db, alpha=scale)

    def _grads(self, x, g, mask):
        stride, pad, dil = self._args()
        gi = None
        if x.shape[0] == 1 and dil == (1, 1):     # one sample: THNN's algorithm (see _slow_conv)
            return _slow_conv_backward(g, x, self.weight, (self.kH, self.kW), stride, pad, list(mask))
        mask = list(mask)
        if mask[0] and self.nInputPlane < _FOLD_MAX_PLANES and dil == (1, 1):
            gi, mask[0] = self._grad_input_by_fold(x, g), False
        if any(mask):
            gi2, gw, gb = _conv_backward(g, x, self._w4(self.weight), [self.nOutputPlane], list(stride),
                                         list(pad), list(dil), False, [0, 0], 1, mask)
            gi = gi2 if gi is None else gi
        else:
            gw = gb = None
        return gi, gw, gb

    def _grad_input_by_fold(self, x, g):
        """gradInput = col2im(W^T gradOutput_cols), as Torch7's THNN does: for few input planes this
        beats oneDNN's backward-data kernel (benchmarks/RESULTS.md, "Timings behind choices in the code").

        col2im is done as kH*kW strided adds: first the kW column shifts of each kernel row into a
        row buffer, then the kH row shifts into the (padded) gradInput (cheaper than F.fold).
        The batch goes through in chunks whose columns fit in about 4 MiB, so that the adds read
        what the matmul has just written from cache."""
        n, (h, w) = g.shape[0], g.shape[-2:]
        cin, kh, kw, dh, dw = self.nInputPlane, self.kH, self.kW, self.dH, self.dW
        hp, wp = x.shape[-2] + 2 * self.padH, x.shape[-1] + 2 * self.padW
        # a contiguous W^T (small): the matmul on a transposed view is much slower
        wt = self.weight.view(self.nOutputPlane, -1).t().contiguous()
        gcols = g.reshape(n, self.nOutputPlane, h * w)
        chunk = max(1, min(n, _FOLD_CHUNK_BYTES // (cin * kh * kw * h * w * g.element_size())))
        cols_buf = self._scratch('cols', (chunk, cin * kh * kw, h * w), g)
        rows_buf = self._scratch('rows', (chunk, cin, kh, h, wp), g)
        padded = self.padH or self.padW
        gi = self._scratch('padded', (n, cin, hp, wp), g) if padded else self._reusable('gradInput', x.shape, g, x, g)
        gi = g.new_zeros(n, cin, hp, wp) if gi is None else gi.zero_()
        for s in range(0, n, chunk):
            c = min(chunk, n - s)
            cols = torch.matmul(wt, gcols[s:s + c], out=cols_buf[:c]).view(c, cin, kh, kw, h, w)
            rows = rows_buf[:c].zero_()
            for b in range(kw):
                rows[..., b:b + dw * (w - 1) + 1:dw] += cols[:, :, :, b]
            out = gi[s:s + c]
            for a in range(kh):
                out[:, :, a:a + dh * (h - 1) + 1:dh] += rows[:, :, a]
        if padded:
            gi = gi[:, :, self.padH:hp - self.padH, self.padW:wp - self.padW].clone()
        return gi

    def __tostring__(self):
        return conv_tostring(self, f"{self.kW}x{self.kH}")


def conv_tostring(m, kernel, tail=''):
    """torch/nn's printout of a 2-D convolution: ``nn.X(nIn -> nOut, <kernel>[, dW,dH][, padW,padH]
    <tail>)`` and ``without bias`` after a ``noBias()``."""
    pad = getattr(m, 'padW', 0) or getattr(m, 'padH', 0)
    s = f"nn.{type(m).__name__}({m.nInputPlane} -> {m.nOutputPlane}, {kernel}"
    if m.dW != 1 or m.dH != 1 or pad:
        s += f", {m.dW},{m.dH}"
    if pad:
        s += f", {m.padW},{m.padH}"
    s += tail + ')'
    return s if m._parameters.get('bias') is not None else s + ' without bias'


class SpatialConvolutionMM(_SpatialConv):
    """``nn.SpatialConvolutionMM``: weight ``nOutputPlane x (nInputPlane*kH*kW)`` (Torch7 layout)."""
    _weight_4d = False


class SpatialConvolution(_SpatialConv):
    """``nn.SpatialConvolution``: weight ``nOutputPlane x nInputPlane x kH x kW``."""
    _weight_4d = True


class SpatialDilatedConvolution(_SpatialConv):
    """``nn.SpatialDilatedConvolution(nIn, nOut, kW, kH, dW=1, dH=1, padW=0, padH=0, dilationW=1,
    dilationH=1)``: kernel taps ``dilation`` pixels apart (THNN's SpatialDilatedConvolution)."""
    _t7_fields = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH',
                  'dilationW', 'dilationH')

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 dilationW=1, dilationH=1):
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.dilationW = lua_int(self, 'dilationW', dilationW, 1)
        self.dilationH = lua_int(self, 'dilationH', dilationH, 1)

    def __tostring__(self):
        return conv_tostring(self, f"{self.kW}x{self.kH}", f", {self.dilationW},{self.dilationH}")
