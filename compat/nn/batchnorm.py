"""Batch normalization of torch/nn: ``BatchNormalization`` (``N x C``), ``SpatialBatchNormalization``
(``N x C x H x W``) and ``VolumetricBatchNormalization`` (``N x C x T x H x W``).

``nn.BatchNormalization(nOutput, eps=1e-5, momentum=0.1, affine=true)``, THNN's maths:

* training (and a batch of more than one sample): ``y = (x - mean) / sqrt(var + eps) * weight + bias``
  with the batch's mean and biased variance per feature C; then
  ``running_mean = (1 - momentum) running_mean + momentum mean`` and
  ``running_var = (1 - momentum) running_var + momentum var_unbiased``;
* evaluation, or a training batch of one sample (Lua passes ``train and N > 1``): the same with
  ``running_mean``/``running_var``, which are left as they are. Only evaluation accepts a single
  sample without the batch dimension.

``weight``/``bias`` (``affine``) start uniform in [0, 1) and 0; ``save_mean``/``save_std`` hold the
last training forward's mean and 1/std (Lua's fields) for the backward.
"""
import torch
import torch.nn.functional as F

from compat.nn.batched import BatchedModule, lua_int
from compat.torch_random import uniform_

_bn_backward = torch.ops.aten.native_batch_norm_backward.default


class BatchNormalization(BatchedModule):
    """``nn.BatchNormalization(nOutput, eps=1e-5, momentum=0.1, affine=True)`` over ``N x nOutput``."""
    nDim = 2
    _t7_fields = ('eps', 'momentum', 'affine', 'running_mean', 'running_var', 'save_mean', 'save_std')

    def __init__(self, nOutput, eps=1e-5, momentum=0.1, affine=None):
        super().__init__()
        nOutput = lua_int(self, 'nOutput', nOutput, 1)
        if affine is not None and not isinstance(affine, bool):
            raise TypeError(f"{type(self).__name__}: affine has to be true/false, got {affine!r}")
        self.affine = True if affine is None else affine
        self.eps = 1e-5 if eps is None else float(eps)
        self.momentum = 0.1 if momentum is None else float(momentum)
        dtype = torch.get_default_dtype()
        self.register_buffer('running_mean', torch.zeros(nOutput, dtype=dtype))
        self.register_buffer('running_var', torch.ones(nOutput, dtype=dtype))
        self.save_mean = torch.empty(0, dtype=dtype)
        self.save_std = torch.empty(0, dtype=dtype)
        if self.affine:
            self._new_param('weight', torch.empty(nOutput, dtype=dtype))
            self._new_param('bias', torch.empty(nOutput, dtype=dtype))
        else:
            self.weight = self.bias = None
        self.reset()

    @property
    def _batch_dim(self):
        return self.nDim

    def reset(self, stdv=None):
        """Lua ``reset()``: weight uniform in [0, 1), bias 0, running statistics 0 and 1 (``stdv``
        is ignored, as in Lua)."""
        with torch.no_grad():
            if self.weight is not None:
                uniform_(self.weight)
            if self.bias is not None:
                self.bias.zero_()
            self.running_mean.zero_()
            self.running_var.fill_(1)
        return self

    def _t7_loaded(self, table):
        if 'running_std' in table and 'running_var' not in table:     # Lua read(): files before version 2
            self.running_var = table['running_std'].pow(-2).add(-self.eps)
        for name in ('running_mean', 'running_var'):
            value = self.__dict__.pop(name, None)
            self.register_buffer(name, value)
        self.affine = self.weight is not None if getattr(self, 'affine', None) is None else bool(self.affine)
        for name, default in (('eps', 1e-5), ('momentum', 0.1)):
            value = getattr(self, name, None)
            setattr(self, name, default if value is None else float(value))
        for name in ('save_mean', 'save_std'):
            if not isinstance(getattr(self, name, None), torch.Tensor):
                setattr(self, name, self.running_mean.new_empty(0))

    def clearState(self):
        """Lua ``clearState()``: also empties ``save_mean``/``save_std``."""
        self.save_mean, self.save_std = self.save_mean.new_empty(0), self.save_std.new_empty(0)
        return super().clearState()

    def expected_input(self):
        n = self.running_mean.numel()
        return (f"a {self.nDim}-D batch with {n} features in dimension 2 (or, in evaluate mode, one "
                f"{self.nDim - 1}-D sample with {n} features in dimension 1)")

    def _check(self, input):
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"{type(self).__name__}: expecting input to be a torch.Tensor, got {type(input).__name__}")
        sample = input.dim() == self.nDim - 1 and not self.training
        if input.dim() != self.nDim and not sample:
            raise ValueError(f"{type(self).__name__}: only mini-batch supported ({self.nDim}D tensor), got "
                             f"{input.dim()}D tensor of size {tuple(input.shape)} instead ({self.expected_input()})")
        feat = 0 if sample else 1
        if input.shape[feat] != self.running_mean.numel():
            raise ValueError(f"{type(self).__name__}: got {input.shape[feat]}-feature tensor of size "
                             f"{tuple(input.shape)}, expected {self.running_mean.numel()}")

    def _batch_stats(self, x):
        """Lua: the batch's statistics only in training with more than one sample."""
        return bool(self.training) and x.shape[0] > 1

    def _forward(self, x):
        train = self._batch_stats(x)
        if torch.is_grad_enabled():
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, train,
                                self.momentum, self.eps)
        out, self.save_mean, self.save_std = torch.native_batch_norm(
            x, self.weight, self.bias, self.running_mean, self.running_var, train, self.momentum, self.eps)
        return out

    def _grads(self, x, g, mask):
        train = self._batch_stats(x)
        if train and self.save_mean.numel() != x.shape[1]:
            raise RuntimeError(f"{type(self).__name__}: backward needs the statistics of a forward in training "
                               f"mode on the Lua path first (call forward)")
        mask = [mask[0], mask[1] and self.weight is not None, mask[2] and self.bias is not None]
        return _bn_backward(g.contiguous(), x.contiguous(), self.weight, self.running_mean, self.running_var,
                            self.save_mean, self.save_std, train, self.eps, mask)

    def __tostring__(self):
        return f"nn.{type(self).__name__} ({self.nDim}D) ({self.running_mean.numel()})"


class SpatialBatchNormalization(BatchNormalization):
    """``nn.SpatialBatchNormalization(nOutput, eps, momentum, affine)``: statistics per plane of
    ``N x nOutput x H x W``."""
    nDim = 4
    _t7_fields = BatchNormalization._t7_fields


class VolumetricBatchNormalization(BatchNormalization):
    """``nn.VolumetricBatchNormalization(nOutput, eps, momentum, affine)``: statistics per plane of
    ``N x nOutput x T x H x W``."""
    nDim = 5
    _t7_fields = BatchNormalization._t7_fields
