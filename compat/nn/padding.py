"""2-D padding of torch/nn: ``SpatialZeroPadding``, ``SpatialReflectionPadding`` and
``SpatialReplicationPadding``, each ``(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l)``.

Input ``C x H x W`` or a batch ``N x C x H x W``; output ``H + pad_t + pad_b`` by ``W + pad_l + pad_r``.
Zero padding takes negative pads too (they crop, as Lua's narrow calls do).
"""
import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int

_reflect_backward = torch.ops.aten.reflection_pad2d_backward.default
_replicate_backward = torch.ops.aten.replication_pad2d_backward.default


class _SpatialPadding(BatchedModule):
    _t7_fields = ('pad_l', 'pad_r', 'pad_t', 'pad_b')
    _low = 0            # smallest pad accepted

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        super().__init__()
        self.pad_l = lua_int(self, 'pad_l', pad_l, self._low)
        self.pad_r = self.pad_l if pad_r is None else lua_int(self, 'pad_r', pad_r, self._low)
        self.pad_t = self.pad_l if pad_t is None else lua_int(self, 'pad_t', pad_t, self._low)
        self.pad_b = self.pad_l if pad_b is None else lua_int(self, 'pad_b', pad_b, self._low)

    def _pad(self):
        return [self.pad_l, self.pad_r, self.pad_t, self.pad_b]

    def expected_input(self):
        return "C x H x W or a batch N x C x H x W"

    def __tostring__(self):
        return f"nn.{type(self).__name__}(l={self.pad_l}, r={self.pad_r}, t={self.pad_t}, b={self.pad_b})"


class SpatialZeroPadding(_SpatialPadding):
    """Pads with zeros; a negative pad removes that many rows/columns."""
    _t7_fields = _SpatialPadding._t7_fields     # declared per class: the .t7 registry reads the class body
    _low = -(1 << 62)

    def _check(self, input):
        super()._check(input)
        if input.shape[-2] + self.pad_t + self.pad_b < 1 or input.shape[-1] + self.pad_l + self.pad_r < 1:
            raise ValueError(f"SpatialZeroPadding: input of size {tuple(input.shape)} is too small for pads "
                             f"{self._pad()} (l, r, t, b): the output would be empty")

    def _forward(self, x):
        return F.pad(x, self._pad())

    def _grads(self, x, g, mask):
        return F.pad(g, [-p for p in self._pad()]), None, None


class _BorderPadding(_SpatialPadding):
    """Padding that copies input pixels, so each pad must be smaller than the input side."""
    _mode = ''
    _backward = None

    def _check(self, input):
        super()._check(input)
        h, w = input.shape[-2:]
        limit = 0 if self._mode == 'replicate' else 1     # reflection needs pad < size, replication size >= 1
        if max(self.pad_t, self.pad_b) > h - limit or max(self.pad_l, self.pad_r) > w - limit or h * w == 0:
            raise ValueError(f"{type(self).__name__}: pads {self._pad()} (l, r, t, b) too large for input of size "
                             f"{tuple(input.shape)}")

    def _forward(self, x):
        return F.pad(x, self._pad(), mode=self._mode)

    def _grads(self, x, g, mask):
        return type(self)._backward(g, x, self._pad()), None, None


class SpatialReflectionPadding(_BorderPadding):
    """Pads with the mirror image of the input (the border pixel itself is not repeated)."""
    _t7_fields = _SpatialPadding._t7_fields
    _mode = 'reflect'
    _backward = _reflect_backward


class SpatialReplicationPadding(_BorderPadding):
    """Pads by repeating the border pixels."""
    _t7_fields = _SpatialPadding._t7_fields
    _mode = 'replicate'
    _backward = _replicate_backward
