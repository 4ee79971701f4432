"""2-D convolutions: ``nn.SpatialConvolutionMM`` and ``nn.SpatialConvolution`` (torch/nn).

Lua argument order is ``(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW)``:
width before height. Input ``nInputPlane x H x W`` or a batch ``N x nInputPlane x H x W``;
output plane size ``floor((H + 2 padH - kH)/dH) + 1`` by ``floor((W + 2 padW - kW)/dW) + 1``.
``SpatialConvolutionMM`` stores its weight as ``nOutputPlane x (nInputPlane*kH*kW)`` (the unfolded
"MM" layout of Torch7), ``SpatialConvolution`` as ``nOutputPlane x nInputPlane x kH x kW``; the
maths is the same. ``reset``: weight and bias uniform in [-s, s], s = 1/sqrt(kW*kH*nInputPlane).
"""

import torch
import torch.nn.functional as F

from compat.nn.module import Module, autograd_active, check_tensor, no_grad

_conv_backward = torch.ops.aten.convolution_backward.default
# One sample (3-D input): ATen's port of THNN's SpatialConvolutionMM (unfold, then one matrix product),
# the algorithm of Torch7 itself; at batch 1 it is faster than oneDNN for each of output, gradInput and
# the parameter gradients (measured on the CIFAR net's layers). Batches keep oneDNN.
_slow_conv = torch.ops.aten._slow_conv2d_forward.default
_slow_conv_backward = torch.ops.aten._slow_conv2d_backward.output_mask
_FOLD_MAX_PLANES = 8  # below this many input planes gradInput goes through col2im (see _grad_input_by_fold)
_FOLD_CHUNK_BYTES = 4 << 20  # col2im works on chunks of the batch whose columns take about this much


class _SpatialConv(Module):
    _weight_4d = True

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        padH = padW if padH is None else padH
        for name, v, lo in (('nInputPlane', nInputPlane, 1), ('nOutputPlane', nOutputPlane, 1),
                            ('kW', kW, 1), ('kH', kH, 1), ('dW', dW, 1), ('dH', dH, 1),
                            ('padW', padW, 0), ('padH', padH, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{self.__class__.__name__}: expecting {name} to be an int >= {lo}, got {v!r}")
        self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        shape = ((nOutputPlane, nInputPlane, kH, kW) if self._weight_4d
                 else (nOutputPlane, nInputPlane * kH * kW))
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(shape, dtype=dtype))
        self._new_param('bias', torch.empty(nOutputPlane, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.kH * self.nInputPlane)

    def noBias(self):
        """Drop the bias (Lua ``noBias``); returns self."""
        return self._drop_bias()

    def expected_input(self):
        return (f"{self.nInputPlane} x H x W or a batch N x {self.nInputPlane} x H x W, "
                f"H >= {self.kH - 2 * self.padH}, W >= {self.kW - 2 * self.padW}")

    def _check(self, input):
        check_tensor(self, 'input', input, (3, 4), ((-3, self.nInputPlane),))
        h, w = input.shape[-2] + 2 * self.padH, input.shape[-1] + 2 * self.padW
        if h < self.kH or w < self.kW:
            raise ValueError(f"{self.__class__.__name__}: input image of size {tuple(input.shape)} (padded "
                             f"{h}x{w}) is smaller than the kernel {self.kH}x{self.kW}; expecting "
                             f"{self.expected_input()}")

    def _w4(self, w):
        return w if self._weight_4d else w.view(self.nOutputPlane, self.nInputPlane, self.kH, self.kW)

    def _args(self):
        return (self.dH, self.dW), (self.padH, self.padW)

    def updateOutput(self, input):
        self._check(input)
        stride, pad = self._args()
        if autograd_active():
            self.output = F.conv2d(input, self._w4(self.weight), self.bias, stride, pad)
            return self.output
        with no_grad():
            if input.dim() == 3:
                self.output = _slow_conv(input.unsqueeze(0), self.weight, (self.kH, self.kW), self.bias,
                                         stride, pad).squeeze(0)
            else:
                self.output = F.conv2d(input, self._w4(self.weight), self.bias, stride, pad)
        return self.output

    def _backward(self, input, gradOutput, mask):
        stride, pad = self._args()
        batched = input.dim() == 4
        x = input if batched else input.unsqueeze(0)
        g = gradOutput if batched else gradOutput.unsqueeze(0)
        gi = None
        if not batched:
            gi, gw, gb = _slow_conv_backward(g, x, self.weight, (self.kH, self.kW), stride, pad, mask)
            return (gi.squeeze(0) if gi is not None else None), gw, gb
        if mask[0] and self.nInputPlane < _FOLD_MAX_PLANES:
            gi, mask = self._grad_input_by_fold(x, g), [False, mask[1], mask[2]]
        if any(mask):
            gi2, gw, gb = _conv_backward(g, x, self._w4(self.weight), [self.nOutputPlane], list(stride),
                                         list(pad), [1, 1], False, [0, 0], 1, mask)
            gi = gi2 if gi is None else gi
        else:
            gw = gb = None
        if gi is not None and not batched:
            gi = gi.squeeze(0)
        return gi, gw, gb

    def _grad_input_by_fold(self, x, g):
        """gradInput = col2im(W^T gradOutput_cols), as Torch7's THNN does: for few input planes this is
        2-3x faster than oneDNN's backward-data kernel (measured for the CIFAR net's first layer).

        col2im is done as kH*kW strided adds: first the kW column shifts of each kernel row into a
        row buffer, then the kH row shifts into the (padded) gradInput; 1.6x faster than F.fold here.
        The batch goes through in chunks whose columns fit in about 4 MiB, so that the adds read
        what the matmul has just written from cache (CIFAR conv1: 4.5 -> 4.0 ms)."""
        n, (h, w) = g.shape[0], g.shape[-2:]
        cin, kh, kw, dh, dw = self.nInputPlane, self.kH, self.kW, self.dH, self.dW
        hp, wp = x.shape[-2] + 2 * self.padH, x.shape[-1] + 2 * self.padW
        # a contiguous W^T (19 KB for the CIFAR net): matmul on the transposed view ran 4x slower
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

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            return None
        self._check(input)
        with no_grad():
            self.gradInput = self._backward(input, gradOutput, [True, False, False])[0]
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gw, gb):
        """gw += scale * dL/dW (correlation of input and gradOutput); gb += scale * sum of gradOutput
        over frames and positions."""
        _, dw, db = self._backward(input, gradOutput, [False, True, gb is not None])
        gw.add_(dw.view(gw.shape), alpha=scale)
        if gb is not None:
            gb.add_(db, alpha=scale)

    def backward(self, input, gradOutput, scale=1):
        """One ``convolution_backward`` call for gradInput and the parameter gradients (same result
        as ``updateGradInput`` + ``accGradParameters``, only faster)."""
        wrapped = ('updateGradInput' in self.__dict__ or 'accGradParameters' in self.__dict__
                   or type(self).updateGradInput is not _SpatialConv.updateGradInput
                   or type(self).accGradParameters is not Module.accGradParameters)
        if wrapped or self.gradInput is None:   # honour per-instance wrappers and Lua's nil gradInput
            return super().backward(input, gradOutput, scale)
        self._check(input)
        with no_grad():
            gw, gb = self._grad('weight'), self._grad('bias')
            gi, dw, db = self._backward(input, gradOutput, [True, True, gb is not None])
            gw.add_(dw.view(gw.shape), alpha=scale)
            if gb is not None:
                gb.add_(db, alpha=scale)
        self.gradInput = gi
        return gi

    def __tostring__(self):
        s = f"nn.{self.__class__.__name__}({self.nInputPlane} -> {self.nOutputPlane}, {self.kW}x{self.kH}"
        if self.dW != 1 or self.dH != 1 or self.padW or self.padH:
            s += f", {self.dW},{self.dH}"
        if self.padW or self.padH:
            s += f", {self.padW},{self.padH}"
        return s + ')'


class SpatialConvolutionMM(_SpatialConv):
    """``nn.SpatialConvolutionMM``: weight ``nOutputPlane x (nInputPlane*kH*kW)`` (Torch7 layout)."""
    _weight_4d = False


class SpatialConvolution(_SpatialConv):
    """``nn.SpatialConvolution``: weight ``nOutputPlane x nInputPlane x kH x kW``."""
    _weight_4d = True
