"""``nn.SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)`` (torch/nn, THNN).

Each output is the maximum over a kH x kW window (stride dH, dW; implicit -inf padding).
Output size ``floor((H + 2 padH - kH)/dH) + 1`` (``ceil`` in ceil mode, where a last window that
would start in the padding is dropped, as THNN does). gradInput routes each gradOutput to the argmax
of its window; overlapping windows accumulate. ``ceil()`` / ``floor()`` switch the mode.
"""
import torch
import torch.nn.functional as F

from compat.nn.module import Module, autograd_active, check_tensor, no_grad

_pool = torch.ops.aten.max_pool2d_with_indices.default
_pool_backward = torch.ops.aten.max_pool2d_with_indices_backward.default
_pool_backward_out = torch.ops.aten.max_pool2d_with_indices_backward.grad_input
# PyTorch's NCHW max-pooling kernel is scalar; its channels-last kernel is vectorised over the planes.
# From this many planes on, copying a batch to channels-last and pooling there is faster, copy
# included (CIFAR net, 32x64x28x28, 3x3/3: 5.9 ms -> 2.0 ms on one core). Same values, same indices.
_CHANNELS_LAST_MIN_PLANES = 8


class SpatialMaxPooling(Module):
    """Max pooling over 3-D (C x H x W) or 4-D (N x C x H x W) input."""

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0):
        super().__init__()
        dW = kW if dW is None else dW
        dH = kH if dH is None else dH
        for name, v, lo in (('kW', kW, 1), ('kH', kH, 1), ('dW', dW, 1), ('dH', dH, 1),
                            ('padW', padW, 0), ('padH', padH, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ValueError(f"SpatialMaxPooling: expecting {name} to be an int >= {lo}, got {v!r}")
        if padW > kW // 2 or padH > kH // 2:
            raise ValueError(f"SpatialMaxPooling: pad should be smaller than half of the kernel size, got "
                             f"pad {padW}x{padH} for kernel {kW}x{kH}")
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.ceil_mode = False
        self.indices = torch.empty(0, dtype=torch.long)

    def ceil(self):
        self.ceil_mode = True
        return self

    def floor(self):
        self.ceil_mode = False
        return self

    def expected_input(self):
        return f"C x H x W or a batch N x C x H x W with H + 2*{self.padH} >= {self.kH}, W + 2*{self.padW} >= {self.kW}"

    def _args(self):
        return [self.kH, self.kW], [self.dH, self.dW], [self.padH, self.padW], [1, 1], bool(self.ceil_mode)

    def updateOutput(self, input):
        check_tensor(self, 'input', input, (3, 4))
        if input.shape[-2] + 2 * self.padH < self.kH or input.shape[-1] + 2 * self.padW < self.kW:
            raise ValueError(f"SpatialMaxPooling: input of size {tuple(input.shape)} is smaller than the "
                             f"kernel {self.kH}x{self.kW}; expecting {self.expected_input()}")
        k, d, p, dil, ceil = self._args()
        if autograd_active():
            self.output, self.indices = F.max_pool2d_with_indices(input, k, d, p, dil, ceil, True)
            return self.output
        with no_grad():
            if input.shape[-3] >= _CHANNELS_LAST_MIN_PLANES:    # one sample too: as a batch of 1
                x4 = input if input.dim() == 4 else input.unsqueeze(0)
                x = self._scratch('channels_last', x4.shape, input, torch.channels_last).copy_(x4)
                out, idx = _pool(x, k, d, p, dil, ceil)
                if input.dim() == 3:
                    out, idx = out.squeeze(0), idx.squeeze(0)
                self.output, self.indices = out.contiguous(), idx.contiguous()
            else:
                self.output, self.indices = _pool(input, k, d, p, dil, ceil)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            return None
        check_tensor(self, 'gradOutput', gradOutput, input.dim())
        k, d, p, dil, ceil = self._args()
        with no_grad():
            buf = self._reusable('gradInput', input.shape, gradOutput, input, gradOutput)
            self.gradInput = (_pool_backward(gradOutput, input, k, d, p, dil, ceil, self.indices) if buf is None
                              else _pool_backward_out(gradOutput, input, k, d, p, dil, ceil, self.indices,
                                                      grad_input=buf))
        return self.gradInput

    def __tostring__(self):
        s = f"nn.SpatialMaxPooling({self.kW}x{self.kH}, {self.dW},{self.dH}"
        if self.padW or self.padH:
            s += f", {self.padW},{self.padH}"
        return s + ')'
