"""Temporal (1-D) modules of torch/nn: ``TemporalConvolution``, ``TemporalMaxPooling`` and
``TemporalSubSampling``.

Input is a sequence ``nInputFrame x inputFrameSize`` or a batch ``N x nInputFrame x inputFrameSize``
(time first, features last, as in Lua); the output keeps that layout. The maths runs as a 1-D
convolution / pooling over time on the ``N x inputFrameSize x nInputFrame`` view.
"""
import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int

_conv_backward = torch.ops.aten.convolution_backward.default
_pool = torch.ops.aten.max_pool2d_with_indices.default
_pool_backward = torch.ops.aten.max_pool2d_with_indices_backward.default


class _Temporal(BatchedModule):
    _batch_dim = 3

    def expected_input(self):
        size = getattr(self, 'inputFrameSize', 'F')
        return f"nInputFrame x {size} or a batch N x nInputFrame x {size}, nInputFrame >= {self.kW}"

    def _check(self, input):
        super()._check(input)
        size = getattr(self, 'inputFrameSize', None)
        if size is not None and input.shape[-1] != size:
            raise ValueError(f"{type(self).__name__}: expecting input frames of size {size} (last dimension; "
                             f"{self.expected_input()}), got input of size {tuple(input.shape)}")
        if input.shape[-2] < self.kW:
            raise ValueError(f"{type(self).__name__}: input sequence of size {tuple(input.shape)} is shorter than "
                             f"the kernel ({self.kW} frames); expecting {self.expected_input()}")


class TemporalConvolution(_Temporal):
    """``nn.TemporalConvolution(inputFrameSize, outputFrameSize, kW, dW=1)``: output frame t is
    ``bias + weight * (input frames t*dW .. t*dW+kW-1, concatenated)``; weight
    ``outputFrameSize x (kW*inputFrameSize)`` (frame-major, Torch7's layout)."""
    _t7_fields = ('inputFrameSize', 'outputFrameSize', 'kW', 'dW')

    def __init__(self, inputFrameSize, outputFrameSize, kW, dW=1):
        super().__init__()
        self.inputFrameSize = lua_int(self, 'inputFrameSize', inputFrameSize, 1)
        self.outputFrameSize = lua_int(self, 'outputFrameSize', outputFrameSize, 1)
        self.kW, self.dW = lua_int(self, 'kW', kW, 1), lua_int(self, 'dW', dW, 1)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.outputFrameSize, self.kW * self.inputFrameSize, dtype=dtype))
        self._new_param('bias', torch.empty(self.outputFrameSize, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW * self.inputFrameSize)

    def _kernel(self, weight):
        """The weight as a conv1d kernel ``out x in x kW``."""
        return weight.view(self.outputFrameSize, self.kW, self.inputFrameSize).transpose(1, 2)

    def _forward(self, x):
        return F.conv1d(x.transpose(1, 2), self._kernel(self.weight), self.bias, self.dW).transpose(1, 2).contiguous()

    def _grads(self, x, g, mask):
        gi, gk, gb = _conv_backward(g.transpose(1, 2), x.transpose(1, 2), self._kernel(self.weight).contiguous(),
                                    [self.outputFrameSize], [self.dW], [0], [1], False, [0], 1, list(mask))
        gi = gi.transpose(1, 2).contiguous() if gi is not None else None
        gw = gk.transpose(1, 2).reshape(self.weight.shape) if gk is not None else None
        return gi, gw, gb


class TemporalSubSampling(_Temporal):
    """``nn.TemporalSubSampling(inputFrameSize, kW, dW=1)``: per feature f,
    ``y[t, f] = weight[f] * sum(x[t*dW .. t*dW+kW-1, f]) + bias[f]``. Torch7 takes a 2-D sequence
    only; a 3-D batch is accepted here too."""
    _t7_fields = ('inputFrameSize', 'kW', 'dW')

    def __init__(self, inputFrameSize, kW, dW=1):
        super().__init__()
        self.inputFrameSize = lua_int(self, 'inputFrameSize', inputFrameSize, 1)
        self.kW, self.dW = lua_int(self, 'kW', kW, 1), lua_int(self, 'dW', dW, 1)
        dtype = torch.get_default_dtype()
        self._new_param('weight', torch.empty(self.inputFrameSize, dtype=dtype))
        self._new_param('bias', torch.empty(self.inputFrameSize, dtype=dtype))
        self.reset()

    def reset(self, stdv=None):
        return self._reset_uniform(stdv, self.kW)

    def _kernel(self, weight):
        return weight.view(-1, 1, 1).expand(self.inputFrameSize, 1, self.kW)

    def _forward(self, x):
        y = F.conv1d(x.transpose(1, 2), self._kernel(self.weight), self.bias, self.dW, groups=self.inputFrameSize)
        return y.transpose(1, 2).contiguous()

    def _grads(self, x, g, mask):
        gi, gk, gb = _conv_backward(g.transpose(1, 2), x.transpose(1, 2), self._kernel(self.weight).contiguous(),
                                    [self.inputFrameSize], [self.dW], [0], [1], False, [0], self.inputFrameSize,
                                    list(mask))
        gi = gi.transpose(1, 2).contiguous() if gi is not None else None
        return gi, (gk.sum((1, 2)) if gk is not None else None), gb


class TemporalMaxPooling(_Temporal):
    """``nn.TemporalMaxPooling(kW, dW=kW)``: per feature, the maximum over windows of kW frames
    (stride dW). gradInput routes each gradOutput to its window's argmax."""
    _t7_fields = ('kW', 'dW')

    def __init__(self, kW, dW=None):
        super().__init__()
        self.kW = lua_int(self, 'kW', kW, 1)
        self.dW = self.kW if dW is None else lua_int(self, 'dW', dW, 1)
        self.indices = torch.empty(0, dtype=torch.long)

    def _planes(self, x):
        """``N x T x F`` -> ``N x F x 1 x T`` for the 2-D pooling kernels."""
        return x.transpose(1, 2).unsqueeze(2)

    def _args(self):
        return [1, self.kW], [1, self.dW], [0, 0], [1, 1], False

    def _forward(self, x):
        if x.requires_grad and torch.is_grad_enabled():
            out = F.max_pool2d(self._planes(x), *self._args()[:4])
        else:
            out, self.indices = _pool(self._planes(x), *self._args())
        return out.squeeze(2).transpose(1, 2).contiguous()

    def _grads(self, x, g, mask):
        gi = _pool_backward(self._planes(g), self._planes(x), *self._args(), self.indices)
        return gi.squeeze(2).transpose(1, 2).contiguous(), None, None

    def clearState(self):
        self.indices = torch.empty(0, dtype=torch.long)
        return super().clearState()
