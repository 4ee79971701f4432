"""Criterions (torch/nn ``Criterion.lua``, ``ClassNLLCriterion``, ``CrossEntropyCriterion``,
``MSECriterion``).

Lua contract: ``forward(input, target)`` = ``updateOutput`` returns the loss as a number (also kept
in ``output``); ``backward(input, target)`` = ``updateGradInput`` returns ``gradInput``. Class targets
are 1-based, as in Lua: a number, or a 1-D tensor (any dtype holding integers) of one target per frame.
PyTorch contract: ``criterion(input, target)`` (``__call__``) with grad mode on returns a
differentiable 0-dim loss tensor, so ``loss.backward()`` works (Lua's ``__call__`` shorthand, which
returned ``(output, gradInput)``, is not provided: call ``forward`` then ``backward``).
"""
import copy
import functools

import torch
import torch.nn.functional as F

from compat import cuda
from compat.nn.activations import LogSoftMax
from compat.nn.module import (
    autograd_active,
    call_tracked,
    check_tensor,
    lua_setattr,
    no_grad,
    state_without,
    without_grad,
)
from compat.t7 import T7Storage
from compat.torch_extras import FLOAT_TYPES

_Tensor = torch.Tensor
_is_grad_enabled = torch.is_grad_enabled
_nll = torch.ops.aten.nll_loss_forward.default
_nll_backward = torch.ops.aten.nll_loss_backward.default
_MEAN, _SUM = 1, 2


class Criterion(torch.nn.Module):
    """Base class (Lua ``nn.Criterion``): ``output`` (a number) and ``gradInput``."""

    __setattr__ = lua_setattr

    def __init__(self):
        super().__init__()
        self.output = 0.0
        self.gradInput = torch.empty(0, dtype=torch.get_default_dtype())

    def __call__(self, *args, **kwargs):
        return call_tracked(self, *args, **kwargs)

    def forward(self, input, target):
        return self.updateOutput(input, target)

    def backward(self, input, target):
        return self.updateGradInput(input, target)

    def updateOutput(self, input, target):
        return self.output

    def updateGradInput(self, input, target):
        return self.gradInput

    def clone(self):
        return copy.deepcopy(self)

    def __getstate__(self):
        """Copies and saved criterions leave out the class targets kept between forward and backward."""
        return state_without(super().__getstate__(), '_kept_targets')

    def _set_output(self, loss):
        """Keep ``loss`` (a 0-dim tensor) as ``output``: the tensor itself under autograd, else a
        Python number as Lua's criterions return."""
        self.output = loss if autograd_active() else loss.item()
        return self.output

    def type(self, dst_type=None):
        if dst_type is None:
            raise ValueError("Criterion.type: must provide a type to convert to (Lua semantics)")
        dtype = FLOAT_TYPES.get(dst_type, dst_type)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"Criterion.type: expecting a Lua type name {sorted(FLOAT_TYPES)} or a torch.dtype, "
                             f"got {dst_type!r}")
        if isinstance(dst_type, str) and dst_type.startswith("torch.Cuda"):
            return self.to(device=cuda.device(f"{type(self).__name__}:type('{dst_type}')"), dtype=dtype)
        return self.to(dtype=dtype)

    def cuda(self, device=None):
        """Lua ``criterion:cuda()``: float32 on the CUDA device (see :mod:`compat.cuda`)."""
        return self.to(device=cuda.device(f"{type(self).__name__}:cuda()") if device is None else device,
                       dtype=torch.float32)

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        for k, v in list(self.__dict__.items()):
            if isinstance(v, torch.Tensor) and v.is_floating_point():
                self.__dict__[k] = fn(v.detach())
        return self

    #: Fields that ``.t7`` files carry for this class besides ``output``/``gradInput`` (torch/nn names);
    #: see :func:`compat.nn.t7_support.register`.
    _t7_fields = ()
    #: Lua ``__version`` of the class, written in the ``.t7`` class header (torch/nn sets it on a few
    #: classes, e.g. ``nn.LookupTable`` 4, ``nn.BatchNormalization`` 2).
    _t7_version = 1

    def _t7_loaded(self, table):
        """Called after a ``.t7`` loader copied ``_t7_fields``: rebuild derived state (a hook)."""

    def __tostring__(self):
        """Lua ``tostring(criterion)``: the class name, as torch/nn prints it."""
        return 'nn.' + type(self).__name__

    def __repr__(self):
        return self.__tostring__()


def _targets(crit, input, target, n_classes):
    """1-based class targets -> 0-based LongTensor (the one place of this conversion)."""
    if type(target) is int and 1 <= target <= n_classes and input.dim() == 1:
        return _constant(target - 1, torch.long, input.device)      # one sample's class, checked
    if isinstance(target, bool) or not isinstance(target, (int, float, torch.Tensor)):
        raise TypeError(f"{crit.__class__.__name__}: expecting target to be a number or a 1-D tensor of "
                        f"1-based class indices, got {type(target).__name__}")
    if isinstance(target, torch.Tensor):
        if target.dim() <= 1 and target.numel() == 1:   # one target (a Lua dataset's labels[i])
            return _one_target(crit, input, int(target.item()), n_classes)   # int() truncates as .to(long)
        kept = crit.__dict__.get('_kept_targets')
        if (kept is not None and kept[0] is target and kept[1] == target._version and kept[2] == n_classes
                and kept[3] == input.device and kept[5] == crit.ignoreIndex):   # forward then backward: once
            _check_count(crit, input, kept[4].numel())
            return kept[4]
        t = target.reshape(-1) if target.dim() == 0 else target
        if t.dim() != 1:
            raise ValueError(f"{crit.__class__.__name__}: expecting target to be a 1-D tensor, got size "
                             f"{tuple(target.shape)}")
        t = t.to(device=input.device, dtype=torch.long) - 1
    else:
        if target != int(target):
            raise ValueError(f"{crit.__class__.__name__}: expecting an integer class target, got {target!r}")
        return _one_target(crit, input, int(target), n_classes)
    _check_count(crit, input, t.numel())
    if t.numel():
        low, high = torch.aminmax(t)            # one kernel decides the common case: all in range
        if not (0 <= low.item() and high.item() < n_classes):
            ignore = crit.ignoreIndex - 1
            bad = ((t < 0) | (t >= n_classes)) & (t != ignore)
            if bool(bad.any()):
                _out_of_range(crit, int(t[bad][0]) + 1, n_classes)
    crit.__dict__['_kept_targets'] = (target, target._version, n_classes, input.device, t, crit.ignoreIndex)
    return t


def _check_count(crit, input, n):
    nframe = 1 if input.dim() == 1 else input.shape[0]
    if n != nframe:
        raise ValueError(f"{crit.__class__.__name__}: expecting {nframe} target(s) for input of size "
                         f"{tuple(input.shape)}, got {n}")


def _out_of_range(crit, v, n_classes):
    raise ValueError(f"{crit.__class__.__name__}: target {v} out of range; expecting 1-based class "
                     f"indices in [1, {n_classes}]")


def _one_target(crit, input, v, n_classes):
    """A single 1-based target ``v``, checked in Python (no kernel) -> its 0-based LongTensor."""
    _check_count(crit, input, 1)
    if not 1 <= v <= n_classes and v != crit.ignoreIndex:
        _out_of_range(crit, v, n_classes)
    return _constant(v - 1, torch.long, input.device)


@functools.lru_cache(maxsize=1024)
def _constant(value, dtype, device):
    """A 1-element tensor (a long target, 0-D otherwise) kept between calls: per-sample training
    reuses the same few, and the nll kernels only read them."""
    return torch.tensor([value] if dtype == torch.long else value, dtype=dtype, device=device)


class ClassNLLCriterion(Criterion):
    """``nn.ClassNLLCriterion(weights=None, sizeAverage=True, ignoreIndex=-100)``.

    loss = -sum_i w[t_i] x[i, t_i] / (sizeAverage and sum_i w[t_i] or 1), for input x of
    ``nClasses`` log-probabilities (1-D) or ``nframe x nClasses`` (2-D) and 1-based targets t.
    gradInput[i, t_i] = -w[t_i] / (the same normaliser), zero elsewhere.
    """

    def __init__(self, weights=None, sizeAverage=True, ignoreIndex=-100):
        super().__init__()
        if weights is not None and (not isinstance(weights, torch.Tensor) or weights.dim() != 1):
            raise ValueError(f"ClassNLLCriterion: weights input should be a 1-D tensor, got {weights!r}")
        self.weights = weights
        self.sizeAverage = True if sizeAverage is None else bool(sizeAverage)
        self.ignoreIndex = ignoreIndex
        self.total_weight = 0.0

    def _prepare(self, input, target):
        if type(input) is not _Tensor or not 1 <= input.dim() <= 2:
            check_tensor(self, 'input', input, (1, 2))
        t = _targets(self, input, target, input.shape[-1])
        w = self.weights
        if w is not None:
            if w.numel() != input.shape[-1]:
                raise ValueError(f"ClassNLLCriterion: weights of size {w.numel()} do not match the "
                                 f"{input.shape[-1]} classes of the input")
            w = w.to(dtype=input.dtype, device=input.device)
        x = input.unsqueeze(0) if input.dim() == 1 else input
        return x, t, w, (_MEAN if self.sizeAverage else _SUM)

    def expected_input(self):
        return "nClasses log-probabilities (1-D) or nframe x nClasses (2-D)"

    def updateOutput(self, input, target):
        x, t, w, red = self._prepare(input, target)
        if _is_grad_enabled():
            if autograd_active():
                self.output = F.nll_loss(x, t, w, ignore_index=self.ignoreIndex - 1,
                                         reduction='mean' if red == _MEAN else 'sum')
                return self.output
            with no_grad():
                out, tw = _nll(x, t, w, red, self.ignoreIndex - 1)
        else:
            out, tw = _nll(x, t, w, red, self.ignoreIndex - 1)
        state = self.__dict__
        state['output'], state['total_weight'] = out.item(), tw.item()
        return state['output']

    def updateGradInput(self, input, target):
        if _is_grad_enabled():
            return without_grad(ClassNLLCriterion.updateGradInput, self, input, target)
        x, t, w, red = self._prepare(input, target)
        if w is None and not 1 <= self.ignoreIndex <= x.shape[-1]:
            tw = _constant(float(t.numel()), x.dtype, x.device)  # no weights, no target ignored
        else:
            tw = _nll(x, t, w, red, self.ignoreIndex - 1)[1]   # the normaliser sum_i w[t_i]
        g = _nll_backward(_constant(1.0, x.dtype, x.device), x, t, w, red, self.ignoreIndex - 1, tw)
        g = g.view(*input.shape)
        self.__dict__['gradInput'] = g
        return g


class CrossEntropyCriterion(Criterion):
    """``nn.CrossEntropyCriterion(weights=None, sizeAverage=True)`` = ``LogSoftMax`` then
    ``ClassNLLCriterion`` (input squeezed first, gradInput shaped as the input), as Lua."""

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__()
        self.lsm = LogSoftMax()
        self.nll = ClassNLLCriterion(weights, sizeAverage)
        self.sizeAverage = self.nll.sizeAverage
        self.oldSizeAverage = self.sizeAverage

    def _sync(self):
        if self.sizeAverage != self.oldSizeAverage:
            self.nll.sizeAverage = self.sizeAverage
        self.oldSizeAverage = self.sizeAverage

    def updateOutput(self, input, target):
        check_tensor(self, 'input', input)
        x = input.squeeze()
        t = target.squeeze() if isinstance(target, torch.Tensor) and target.dim() > 1 else target
        self._sync()
        self.lsm.updateOutput(x)
        self.output = self.nll.updateOutput(self.lsm.output, t)
        return self.output

    def updateGradInput(self, input, target):
        check_tensor(self, 'input', input)
        x = input.squeeze()
        t = target.squeeze() if isinstance(target, torch.Tensor) and target.dim() > 1 else target
        self._sync()
        self.nll.updateGradInput(self.lsm.output, t)
        self.lsm.updateGradInput(x, self.nll.gradInput)
        self.gradInput = self.lsm.gradInput.view(input.shape)
        return self.gradInput


class MSECriterion(Criterion):
    """``nn.MSECriterion(sizeAverage=True)``: loss = sum((x - y)^2) / (sizeAverage and n or 1);
    gradInput = 2 (x - y) / (sizeAverage and n or 1)."""

    def __init__(self, sizeAverage=True):
        super().__init__()
        self.sizeAverage = True if sizeAverage is None else bool(sizeAverage)

    def _check(self, input, target):
        check_tensor(self, 'input', input)
        check_tensor(self, 'target', target)
        if input.numel() != target.numel():
            raise ValueError(f"MSECriterion: expecting target with as many elements as input "
                             f"({tuple(input.shape)}), got {tuple(target.shape)}")

    def expected_input(self):
        return "any tensor, target of the same number of elements"

    def updateOutput(self, input, target):
        self._check(input, target)
        red = 'mean' if self.sizeAverage else 'sum'
        if autograd_active():
            self.output = F.mse_loss(input, target.view_as(input), reduction=red)
            return self.output
        with no_grad():
            self.output = F.mse_loss(input, target.view_as(input), reduction=red).item()
        return self.output

    def updateGradInput(self, input, target):
        self._check(input, target)
        norm = 2.0 / input.numel() if self.sizeAverage else 2.0
        with no_grad():
            self.gradInput = (input - target.view_as(input)) * norm
        return self.gradInput




class SpatialClassNLLCriterion(ClassNLLCriterion):
    """``nn.SpatialClassNLLCriterion(weights=None, sizeAverage=True)``: ClassNLLCriterion at every
    pixel: input ``N x C x H x W`` log-probabilities (or ``C x H x W``), target ``N x H x W`` of 1-based
    classes; the average is over the total weight of the pixels' targets."""

    _t7_fields = ('sizeAverage', 'weights')

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__(weights, sizeAverage)

    def expected_input(self):
        return "N x C x H x W log-probabilities (or C x H x W), target N x H x W"

    def _flat(self, input, target):
        check_tensor(self, 'input', input, (3, 4))
        x = input.unsqueeze(0) if input.dim() == 3 else input
        t = torch.as_tensor(target, device=input.device)
        t = t.reshape(x.shape[0], *x.shape[2:]) if t.numel() == x.shape[0] * x[0, 0].numel() else t
        if tuple(t.shape) != (x.shape[0],) + tuple(x.shape[2:]):
            raise ValueError(f"SpatialClassNLLCriterion: expecting a target of size "
                             f"{(x.shape[0],) + tuple(x.shape[2:])} for input of size {tuple(input.shape)}, "
                             f"got size {tuple(t.shape)}")
        return x.movedim(1, -1).reshape(-1, x.shape[1]), t.reshape(-1)

    def updateOutput(self, input, target):
        return super().updateOutput(*self._flat(input, target))

    def _t7_loaded(self, table):
        self.ignoreIndex = int(table.get('ignoreIndex', -100))    # Lua's SpatialClassNLL has none
        self.total_weight = 0.0

    def updateGradInput(self, input, target):
        x, t = self._flat(input, target)
        g = super().updateGradInput(x, t)
        shape = input.unsqueeze(0).shape if input.dim() == 3 else input.shape
        self.gradInput = g.view(shape[0], *shape[2:], shape[1]).movedim(-1, 1).reshape(input.shape)
        return self.gradInput


def _scaled(grad, w):
    """w * grad for a tensor or a (nested) list of tensors."""
    if isinstance(grad, (list, tuple)):
        return [_scaled(g, w) for g in grad]
    return grad * w


def _added(acc, grad):
    if acc is None:
        return grad
    if isinstance(grad, (list, tuple)):
        return [_added(a, g) for a, g in zip(acc, grad)]
    return acc + grad


class ParallelCriterion(Criterion):
    """``nn.ParallelCriterion(repeatTarget=False)``: criterion i (added with a weight,
    ``add(criterion, weight=1)``) compares input[i] with target[i] (or the whole target with
    ``repeatTarget``); loss = the weighted sum; gradInput[i] = weight_i * its gradInput."""

    _t7_fields = ('criterions', 'weights', 'repeatTarget')
    _t7_storages = ('weights',)       # a Lua list of numbers here, a DoubleStorage in MultiCriterion

    def __init__(self, repeatTarget=False):
        super().__init__()
        self.criterions, self.weights = torch.nn.ModuleList(), []
        self.repeatTarget = bool(repeatTarget)
        self.gradInput = []

    def add(self, criterion, weight=1):
        if not isinstance(criterion, Criterion):
            raise TypeError(f"{type(self).__name__}.add: expecting a criterion, got {type(criterion).__name__}")
        self.criterions.append(criterion)
        self.weights.append(weight)
        return self

    def _pieces(self, input, target):
        if not isinstance(input, (list, tuple)) or len(input) < len(self.criterions):
            raise ValueError(f"ParallelCriterion: expecting input to be a table of {len(self.criterions)} entries "
                             f"(one per criterion), got {type(input).__name__}")
        return [(c, w, input[i], target if self.repeatTarget else target[i])
                for i, (c, w) in enumerate(zip(self.criterions, self.weights))]

    def updateOutput(self, input, target):
        total = 0
        for c, w, x, t in self._pieces(input, target):
            total = total + w * c.updateOutput(x, t)
        self.output = total
        return total

    def updateGradInput(self, input, target):
        with torch.no_grad():
            self.gradInput = [_scaled(c.updateGradInput(x, t), w) for c, w, x, t in self._pieces(input, target)]
        return self.gradInput

    def _t7_loaded(self, table):
        self.criterions = torch.nn.ModuleList(self.criterions)
        w = self.weights
        self.weights = w.tolist() if isinstance(w, torch.Tensor) else list(w)


class MultiCriterion(ParallelCriterion):
    """``nn.MultiCriterion()``: every criterion (``add(criterion, weight=1)``) compares the whole
    input with the whole target; loss = the weighted sum; gradInput = the weighted sum of theirs."""

    _t7_fields = ('criterions', 'weights')

    def __init__(self):
        super().__init__(repeatTarget=True)
        self.gradInput = torch.empty(0, dtype=torch.get_default_dtype())

    def _pieces(self, input, target):
        return [(c, w, input, target) for c, w in zip(self.criterions, self.weights)]

    def _t7_saving(self, table):
        """Lua keeps the weights in a DoubleStorage (``add`` resizes it)."""
        table['weights'] = T7Storage(torch.tensor(self.weights, dtype=torch.float64))

    def updateGradInput(self, input, target):
        acc = None
        with torch.no_grad():
            for c, w, x, t in self._pieces(input, target):
                acc = _added(acc, _scaled(c.updateGradInput(x, t), w))
        self.gradInput = acc
        return acc


__all__ = ['ClassNLLCriterion', 'Criterion', 'CrossEntropyCriterion', 'MSECriterion', 'MultiCriterion',
           'ParallelCriterion', 'SpatialClassNLLCriterion']
