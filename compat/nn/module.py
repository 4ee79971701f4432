"""``nn.Module``: the Torch7 module contract (torch/nn ``Module.lua``) on top of ``torch.nn.Module``.

Every compat module is both:

* a Lua module: fields ``output`` and ``gradInput``; ``forward`` (= ``updateOutput``),
  ``backward(input, gradOutput, scale=1)`` (= ``updateGradInput`` + ``accGradParameters(scale)``),
  ``accUpdateGradParameters``, ``zeroGradParameters``, ``updateParameters``, ``parameters()``,
  ``getParameters()``, ``training()``, ``evaluate()``, ``clone()``, ``type()``; gradients accumulate
  until zeroed, as in Lua;
* a ``torch.nn.Module``: weights are ``torch.nn.Parameter`` s (``state_dict``, ``.to()``,
  ``named_parameters`` work) and ``model(x)`` runs under autograd.

Decisions where the two APIs clash (documented once, here):

``gradWeight`` is the parameter's ``.grad``
    ``gradWeight``/``gradBias`` are properties returning ``weight.grad``/``bias.grad`` (allocated as
    zeros at construction). Lua methods accumulate into it, autograd accumulates into it, torch
    optimizers read it. If something replaces ``.grad`` (``optimizer.zero_grad()`` sets it to
    ``None``; autograd then creates a fresh tensor), the next access copies the values back into the
    module's own gradient buffer and re-attaches it (a post-accumulate-grad hook does it as soon as
    autograd has written), so the flat tensor of ``getParameters()`` keeps aliasing the gradients.
``parameters()`` has Lua semantics
    It returns ``(weights, gradWeights)`` (two lists). For PyTorch optimizers pass
    ``model.named_parameters()`` or ``model.torch_parameters()`` (= ``torch.nn.Module.parameters``).
    ``zero_grad`` and ``requires_grad_`` are overridden to use the PyTorch iterator.
    Lua returns ``nil`` for a module without parameters; here it is ``([], [])`` so that
    ``w, g = m.parameters()`` unpacks, and ``if w:`` reads like Lua's ``if w then``.
``training``
    Lua's ``training()`` is a method, PyTorch's ``training`` a bool attribute. The class attribute is a
    data descriptor returning a callable flag: ``model.training()`` switches to training mode,
    ``bool(model.training)`` / ``if model.training:`` read the flag, and ``self.training = mode`` (as
    ``torch.nn.Module.train`` does) still sets it. Pass ``bool(self.training)`` to torch functions.
``modules``
    Lua's ``modules`` is a list field, PyTorch's ``modules()`` a method; ``model.modules`` is a list of
    the direct children that can also be called (``model.modules()``) for PyTorch's recursive iterator.
Two execution paths
    Called the Lua way (``m.forward(x)``, ``m.backward(...)``) the maths runs under ``torch.no_grad()``
    with explicit backward kernels, as Torch7 does. Called the PyTorch way (``m(x)``, i.e.
    ``torch.nn.Module.__call__``) with grad mode on, ``updateOutput`` uses differentiable functional
    ops, so ``loss.backward()`` fills ``.grad`` (== ``gradWeight``).
"""
import copy
import logging
import math
import threading
import weakref

import torch

from compat import cuda
from compat.nn.nodes import graph_node, is_graph_call
from compat.torch_extras import FLOAT_TYPES, type_name
from compat.torch_random import uniform_

logger = logging.getLogger(__name__)

_state = threading.local()



def autograd_active():
    """True while a compat module runs inside ``torch.nn.Module.__call__`` with grad mode on."""
    return torch.is_grad_enabled() and getattr(_state, 'depth', 0) > 0


_is_grad_enabled, _set_grad_enabled = torch.is_grad_enabled, torch._C._set_grad_enabled


class no_grad:
    """``torch.no_grad()`` for the Lua call path, without its Python layers (the per-call cost of
    ``torch.no_grad`` is several times that of the small kernels of a per-sample step). Used as
    ``with no_grad():``; not a decorator."""

    __slots__ = ('prev',)

    def __enter__(self):
        self.prev = _is_grad_enabled()
        if self.prev:
            _set_grad_enabled(False)

    def __exit__(self, *exc):
        _set_grad_enabled(self.prev)


def without_grad(method, *args):
    """``method(*args)`` with grad mode off. The Lua-path methods of the modules a per-sample step
    runs most (``if is_grad_enabled(): return without_grad(Class.method, self, ...)`` first) then
    compute with grad mode off and neither ask :func:`autograd_active` nor enter :class:`no_grad`
    themselves, which costs as much as their small kernels when the caller already turned grad mode
    off (``StochasticGradient.train``, the ``optim`` functions)."""
    with no_grad():
        return method(*args)


# Fields a Lua step reassigns on every call (``self.output = ...``, pooling's indices, ...): stored straight into the
# instance dict for these value types instead of through ``torch.nn.Module.__setattr__``, whose
# parameter/buffer/submodule checks cost more than a per-sample kernel. A compat module never
# registers a parameter, buffer or submodule under these names.
_LUA_STATE = frozenset(('output', 'gradInput', 'indices', 'noise', 'total_weight'))
_PLAIN_TYPES = (torch.Tensor, float, int, type(None))
_Tensor = torch.Tensor


def lua_setattr(self, name, value):
    """``__setattr__`` of compat modules and criterions (see ``_LUA_STATE``)."""
    if name in _LUA_STATE and type(value) in _PLAIN_TYPES:
        self.__dict__[name] = value
    else:
        torch.nn.Module.__setattr__(self, name, value)


def state_without(state, key):
    """``state`` (a ``__getstate__`` dict) without ``key``, a work buffer that copies and saved
    modules leave out; the instance's own dict is not changed."""
    if key not in state:
        return state
    state = dict(state)
    del state[key]
    return state


def grad_mode():
    """Grad mode for a module's own tensor maths in ``updateOutput``: on under autograd (the PyTorch
    path), off on the Lua path (its backward is explicit)."""
    return torch.set_grad_enabled(autograd_active())


def call_tracked(module, *args, **kwargs):
    """``torch.nn.Module.__call__``, counted so that :func:`autograd_active` knows the PyTorch path."""
    depth = getattr(_state, 'depth', 0)
    _state.depth = depth + 1
    try:
        return torch.nn.Module.__call__(module, *args, **kwargs)
    finally:
        _state.depth = depth


class _TrainFlag:
    """What ``module.training`` returns: callable (Lua ``training()``) and bool-like (PyTorch)."""

    __slots__ = ('_module', '_value')

    def __init__(self, module, value):
        self._module = module
        self._value = value

    def __call__(self):
        """Lua ``Module:training()``: switch this module and its children to training mode."""
        self._module.train(True)
        return self._module

    def __bool__(self):
        return self._value

    def __eq__(self, other):
        return self._value == bool(other)

    def __hash__(self):
        return hash(self._value)

    def __repr__(self):
        return repr(self._value)


class _TrainingDescriptor:
    """Data descriptor behind ``Module.training`` (see the module docstring)."""

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return _TrainFlag(obj, obj.__dict__.get('_lua_train', True))

    def __set__(self, obj, value):
        obj.__dict__['_lua_train'] = bool(value)


class _ModuleList(list):
    """Lua's ``self.modules`` (a list of the direct children) that can also be called as PyTorch's
    recursive ``modules()`` iterator. Item assignment writes through to the owner."""

    def __init__(self, owner, items):
        super().__init__(items)
        self._owner = owner

    def __call__(self):
        return torch.nn.Module.modules(self._owner)

    def __setitem__(self, index, module):
        if not isinstance(index, int):
            raise TypeError(f"modules[...] = m: expecting an integer index, got {type(index).__name__}")
        super().__setitem__(index, module)
        self._owner._set_child(index % len(self), module)

    def _readonly(self, *args, **kwargs):
        raise TypeError("the 'modules' list is a view of the container; use add(), insert() or remove()")

    append = extend = insert = pop = remove = clear = __delitem__ = __iadd__ = _readonly


def check_tensor(module, name, value, dims=None, size=None):
    """Raise a clear error unless ``value`` is a tensor with ``dims`` (an int or a tuple of
    accepted ranks). ``size``: (dim, expected) pairs, dims may be negative."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{module.__class__.__name__}: expecting {name} to be a torch.Tensor, "
                        f"got {type(value).__name__}")
    if dims is not None:
        ok = dims if isinstance(dims, tuple) else (dims,)
        if value.dim() not in ok:
            want = ' or '.join(f"{d}-D" for d in ok)
            raise ValueError(f"{module.__class__.__name__}: expecting {name} to be {want} "
                             f"({module.expected_input()}), got a {value.dim()}-D tensor of size "
                             f"{tuple(value.shape)}")
    if size:
        for dim, want in size:
            if value.shape[dim] != want:
                raise ValueError(f"{module.__class__.__name__}: expecting {name} of size {want} in "
                                 f"dimension {dim % value.dim() + 1} (1-based, "
                                 f"{module.expected_input()}), got size {tuple(value.shape)}")


class Module(torch.nn.Module):
    """Base class of every compat ``nn`` module (Lua ``nn.Module``).

    Subclasses implement ``updateOutput``, ``updateGradInput`` and (with parameters)
    ``_accGrad(input, gradOutput, scale, gradWeight, gradBias)``, which adds
    ``scale * dLoss/dParam`` into the two given tensors. ``accGradParameters`` calls it with the
    module's gradients; ``accUpdateGradParameters`` with the weights and ``-lr``, which is exactly
    Lua's ``defaultAccUpdateGradParameters`` (it swaps ``gradWeight`` for ``weight``).
    ``_param_names`` lists the parameters in Lua's ``parameters()`` order.
    """

    training = _TrainingDescriptor()
    _param_names = ('weight', 'bias')
    __setattr__ = lua_setattr

    def __init__(self):
        super().__init__()
        self._grad_bufs = {}
        self.output = torch.empty(0, dtype=torch.get_default_dtype())
        self.gradInput = torch.empty(0, dtype=torch.get_default_dtype())

    # ------------------------------------------------------------------ torch entry point
    def __call__(self, *args, **kwargs):
        if not kwargs and is_graph_call(args):        # nngraph's node syntax: module(node), module()
            return graph_node(self, args)
        return call_tracked(self, *args, **kwargs)

    def __neg__(self):                                # nngraph: -module is module()
        return graph_node(self, ())

    def forward(self, input):
        """Lua ``forward(input)`` = ``updateOutput(input)``; also PyTorch's ``forward``."""
        return self.updateOutput(input)

    def expected_input(self):
        """Text naming the accepted input shape, used in error messages."""
        return 'see the module documentation'

    # ------------------------------------------------------------------ Lua contract
    def updateOutput(self, input):
        return self.output

    def updateGradInput(self, input, gradOutput):
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """gradParams += scale * dLoss/dParams for this (input, gradOutput)."""
        if self._parameters:
            if _is_grad_enabled():
                return without_grad(Module.accGradParameters, self, input, gradOutput, scale)
            self._accGrad(input, gradOutput, scale, self._grad('weight'), self._grad('bias'))

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """params -= lr * dLoss/dParams for this sample; gradWeight/gradBias are left as they are
        (Lua ``defaultAccUpdateGradParameters``)."""
        params = self._parameters
        if params:
            if _is_grad_enabled():
                return without_grad(Module.accUpdateGradParameters, self, input, gradOutput, lr)
            self._accGrad(input, gradOutput, -lr, params.get('weight'), params.get('bias'))

    def _accGrad(self, input, gradOutput, scale, gradWeight, gradBias):
        raise NotImplementedError(f"{self.__class__.__name__} has parameters but no _accGrad")

    def backward(self, input, gradOutput, scale=1):
        """``updateGradInput`` then ``accGradParameters(scale)``; returns ``gradInput``."""
        self.updateGradInput(input, gradOutput)
        self.accGradParameters(input, gradOutput, scale)
        return self.gradInput

    def backwardUpdate(self, input, gradOutput, lr):
        self.updateGradInput(input, gradOutput)
        self.accUpdateGradParameters(input, gradOutput, lr)
        return self.gradInput

    def _lua_slots(self):
        """(module, name) of each parameter in Lua ``parameters()`` order."""
        return [(self, n) for n in self._param_names if self._parameters.get(n) is not None]

    def parameters(self, *args, **kwargs):
        """Lua ``parameters()``: ``(list of weights, list of gradWeights)``; ``([], [])`` if none.

        For PyTorch optimizers use ``named_parameters()`` or ``torch_parameters()``."""
        if args or kwargs:
            raise TypeError("compat.nn parameters() takes no arguments (Lua semantics: it returns "
                            "(weights, gradWeights)); use torch_parameters(recurse) for PyTorch's iterator")
        slots = self._lua_slots()
        return ([m._parameters[n] for m, n in slots], [m._grad(n) for m, n in slots])

    def torch_parameters(self, recurse=True):
        """PyTorch's ``torch.nn.Module.parameters`` iterator."""
        return torch.nn.Module.parameters(self, recurse)

    def zeroGradParameters(self):
        for g in self.parameters()[1]:
            g.zero_()

    def updateParameters(self, learningRate):
        """params -= learningRate * gradParams."""
        with no_grad():
            for p, g in zip(*self.parameters()):
                p.add_(g, alpha=-learningRate)

    def getParameters(self):
        """Lua ``getParameters()``: copy every weight (and gradient) into one flat tensor and make
        the module's tensors views of it, so updating the flat tensors updates the module.
        Each call builds new flat tensors (the previous ones stop aliasing, as in Lua)."""
        slots, seen = [], set()
        for m, n in self._lua_slots():
            p = m._parameters[n]
            if id(p) not in seen:      # a parameter shared by several modules is stored once
                seen.add(id(p))
                slots.append((m, n, p))
        if not slots:
            out = self.output
            floating = isinstance(out, torch.Tensor) and out.is_floating_point()
            dtype = out.dtype if floating else torch.get_default_dtype()
            return torch.empty(0, dtype=dtype), torch.empty(0, dtype=dtype)
        first = slots[0][2]
        for m, n, p in slots:
            if p.dtype != first.dtype or p.device != first.device:
                raise TypeError(f"getParameters: all parameters must share one dtype and device, got "
                                f"{first.dtype}/{first.device} and {p.dtype}/{p.device} "
                                f"({m.__class__.__name__}.{n})")
        total = sum(p.numel() for _, _, p in slots)
        flat = torch.empty(total, dtype=first.dtype, device=first.device)
        flat_grad = torch.empty(total, dtype=first.dtype, device=first.device)
        offset = 0
        with torch.no_grad():
            for m, n, p in slots:
                k = p.numel()
                view, gview = flat[offset:offset + k].view(p.shape), flat_grad[offset:offset + k].view(p.shape)
                view.copy_(p)
                gview.copy_(m._grad(n))
                p.data = view
                m._set_grad(n, gview)
                offset += k
        return flat, flat_grad

    def _scratch(self, key, shape, like, memory_format=torch.contiguous_format):
        """A work tensor of ``shape`` (dtype and device of ``like``) kept between calls, as Torch7
        modules keep ``finput``/``fgradInput``: reusing it saves the allocation and the page faults
        of touching fresh memory every step. Contents are undefined; never returned to the caller;
        not copied by ``clone()`` and dropped by ``clearState()``."""
        bufs = self.__dict__.setdefault('_scratch_bufs', {})
        buf = bufs.get(key)
        if (buf is None or buf.shape != shape or buf.dtype != like.dtype or buf.device != like.device
                or not buf.is_contiguous(memory_format=memory_format)):
            buf = torch.empty(shape, dtype=like.dtype, device=like.device, memory_format=memory_format)
            bufs[key] = buf
        return buf

    def _reusable(self, name, shape, like, *inputs):
        """``self.<name>`` if the next result (``shape``, dtype and device of ``like``) can be written
        into it, else None. Lua modules resize and refill their ``output``/``gradInput`` in place
        instead of allocating; on the Lua call path (never under autograd) we do the same, which
        saves an allocation and the page faults of fresh memory for every large activation. Only a
        plain contiguous tensor this module owns qualifies: not a view, not sharing storage with any
        of ``inputs``."""
        buf = self.__dict__.get(name)
        if (type(buf) is not _Tensor or buf.shape != shape or buf.dtype != like.dtype
                or buf.device != like.device or buf.requires_grad or buf._base is not None
                or not buf.is_contiguous() or buf.numel() == 0):
            return None
        ptr = buf.untyped_storage().data_ptr()
        for t in inputs:
            if isinstance(t, _Tensor) and t.untyped_storage().data_ptr() == ptr:
                return None
        return buf

    def reset(self, stdv=None):
        """Lua ``Module:reset()``: re-draw the parameters (nothing for a module without any);
        returns self. Classes with parameters override it."""
        return self

    def clearState(self):
        """Lua ``clearState()``: empty ``output``, ``gradInput`` and the work buffers (before saving
        a trained model); returns self."""
        for m in torch.nn.Module.modules(self):
            if isinstance(m, Module):
                m.__dict__.pop('_scratch_bufs', None)
                m.__dict__.pop('_t7_extra', None)    # Lua buffers kept from a .t7 file (Lua clears them too)
                for k in ('output', 'gradInput'):
                    v = m.__dict__.get(k)
                    if isinstance(v, torch.Tensor):
                        m.__dict__[k] = v.new_empty(0)
                    elif isinstance(v, list):       # a table module's Lua table
                        m.__dict__[k] = []
        return self

    def evaluate(self):
        """Lua ``evaluate()``: evaluation mode (``train = false``) for this module and children."""
        self.train(False)
        return self

    def clone(self, *names):
        """Lua ``clone(...)``: a deep copy, gradients included; with field names (``'weight', 'bias',
        'gradWeight', 'gradBias'``) the copy then shares those tensors with this module (:meth:`share`)."""
        twin = copy.deepcopy(self)
        return twin.share(self, *names) if names else twin

    def share(self, other, *names):
        """Lua ``share(mlp, ...)``: make the named tensors of this module the storage of ``other``'s
        (a parameter name shares the values, a ``grad*`` name the gradient); returns self. Sharing a
        weight keeps its own gradient unless the gradient is shared too, as in Lua."""
        for name in names:
            param = name[4].lower() + name[5:] if name.startswith("grad") and len(name) > 4 else None
            if name in self._parameters and other._parameters.get(name) is not None:
                self._new_param(name, other._parameters[name].data, self._grad(name))
            elif param is not None and param in self._parameters and other._parameters.get(param) is not None:
                self._set_grad(param, other._grad(param))
            elif isinstance(getattr(other, name, None), torch.Tensor) and hasattr(self, name):
                setattr(self, name, getattr(other, name))
        for mine, theirs in zip(self._shared_children(), other._shared_children()):
            mine.share(theirs, *names)
        return self

    def _shared_children(self):
        """The children that :meth:`share` pairs with another module's (a container's children)."""
        return []

    def cuda(self, device=None):
        """Lua ``module:cuda()``: float32 on the CUDA device (see :mod:`compat.cuda` where there is none)."""
        return self.to(device=cuda.device(f"{type(self).__name__}:cuda()") if device is None else device,
                       dtype=torch.float32)

    def type(self, dst_type=None, tensorCache=None):
        """Lua ``type()``: without argument the type name ('torch.DoubleTensor', ...); with a Lua
        type name or a torch dtype, convert every tensor of the module and return it."""
        if dst_type is None:
            ps = list(torch.nn.Module.parameters(self))
            t = ps[0] if ps else self.output
            if not isinstance(t, torch.Tensor):        # a table output: the default type
                t = torch.empty(0)
            name = type_name(t.dtype)
            if t.is_cuda:   # Lua: CudaTensor is float32, CudaDoubleTensor float64, ...
                name = 'torch.CudaTensor' if t.dtype == torch.float32 else name.replace('torch.', 'torch.Cuda')
            return name
        if isinstance(dst_type, str):
            if dst_type not in FLOAT_TYPES:
                raise ValueError(f"type(): expecting one of {sorted(FLOAT_TYPES)} or a torch.dtype, "
                                 f"got {dst_type!r}")
            dtype = FLOAT_TYPES[dst_type]
            if dst_type.startswith('torch.Cuda'):
                return self.to(device=cuda.device(f"{type(self).__name__}:type('{dst_type}')"), dtype=dtype)
            return self.to(dtype=dtype)
        if isinstance(dst_type, torch.dtype):
            return self.to(dtype=dst_type)
        raise TypeError(f"type(): expecting a Lua type name or a torch.dtype, got {dst_type!r}")

    # ------------------------------------------------------------------ gradient buffers
    @property
    def gradWeight(self):
        return self._grad('weight')

    @gradWeight.setter
    def gradWeight(self, value):
        self._set_grad('weight', value)

    @property
    def gradBias(self):
        return self._grad('bias')

    @gradBias.setter
    def gradBias(self, value):
        self._set_grad('bias', value)

    def _grad(self, name):
        """The gradient buffer of parameter ``name`` (== ``param.grad``), re-attached if replaced."""
        p = self._parameters.get(name)
        if p is None:
            return None
        buf = self._grad_bufs.get(name)
        g = p.grad
        if g is buf and buf is not None:
            return buf
        compatible = (buf is not None and buf.shape == p.shape and buf.dtype == p.dtype
                      and buf.device == p.device)
        if g is None:                         # set to None (= zero) by an optimizer's zero_grad
            if compatible:
                buf.zero_()
            else:
                buf = torch.zeros_like(p, memory_format=torch.contiguous_format)
        elif compatible:                      # autograd or user code put a new tensor there
            buf.copy_(g.detach())
        else:
            buf = g
        p.grad = buf
        self._grad_bufs[name] = buf
        return buf

    def _set_grad(self, name, value):
        p = self._parameters.get(name)
        if p is None:
            raise AttributeError(f"{self.__class__.__name__} has no parameter {name!r} to set the gradient of")
        if not isinstance(value, torch.Tensor) or value.shape != p.shape:
            raise ValueError(f"{self.__class__.__name__}: gradient of {name!r} must be a tensor of size "
                             f"{tuple(p.shape)}, got {getattr(value, 'shape', type(value).__name__)}")
        value = value.detach()
        if value.dtype != p.dtype or value.device != p.device:
            value = value.to(dtype=p.dtype, device=p.device)
        p.grad = value
        self._grad_bufs[name] = value

    def _reset_uniform(self, stdv, fan_in):
        """Lua ``reset`` of Linear/convolutions: weight and bias uniform in [-s, s], s = 1/sqrt(fan_in),
        or ``stdv*sqrt(3)`` when given; returns self."""
        s = stdv * math.sqrt(3) if stdv is not None else 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            uniform_(self.weight, -s, s)
            if self.bias is not None:
                uniform_(self.bias, -s, s)
        return self

    def _drop_bias(self):
        """Lua ``noBias`` of Linear/convolutions; returns self."""
        self._parameters.pop('bias', None)
        self._grad_bufs.pop('bias', None)
        self.bias = None
        return self

    def _new_param(self, name, tensor, grad=None):
        """Register ``tensor`` as parameter ``name`` with gradient ``grad`` (a tensor of its size and
        dtype), or a zero one when None (Lua: weight, gradWeight)."""
        p = torch.nn.Parameter(tensor)
        self.register_parameter(name, p)
        self._grad_bufs[name] = torch.zeros_like(tensor) if grad is None else grad.detach()
        p.grad = self._grad_bufs[name]
        self._hook(name)
        return p

    def _hook(self, name):
        """After autograd accumulated into ``param.grad``, bring the value back into the module's
        gradient buffer at once (it may have replaced a ``None`` grad by a fresh tensor), so the
        flat gradient of ``getParameters()`` is current without touching ``gradWeight`` first."""
        ref = weakref.ref(self)

        def sync(param):
            m = ref()
            if m is not None and m._parameters.get(name) is param:
                m._grad(name)
        self._parameters[name].register_post_accumulate_grad_hook(sync)

    # ------------------------------------------------------------------ torch.nn.Module overrides
    @property
    def modules(self):
        return _ModuleList(self, self._modules.values())

    def _set_child(self, index, module):
        key = list(self._modules.keys())[index]
        self._modules[key] = module

    def zero_grad(self, set_to_none=True):
        for p in torch.nn.Module.parameters(self):
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    def requires_grad_(self, requires_grad=True):
        for p in torch.nn.Module.parameters(self):
            p.requires_grad_(requires_grad)
        return self

    def _apply(self, fn, recurse=True):
        """Also convert the Lua state tensors (``output``, ``gradInput``, ...) like Lua ``type()``."""
        super()._apply(fn, recurse)
        with torch.no_grad():
            for k, v in list(self.__dict__.items()):
                if isinstance(v, torch.Tensor) and not isinstance(v, torch.nn.Parameter):
                    self.__dict__[k] = fn(v.detach())
        return self

    def __deepcopy__(self, memo):
        cls = self.__class__
        new = cls.__new__(cls)
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            if k != '_scratch_bufs':
                new.__dict__[k] = copy.deepcopy(v, memo)
        for name, buf in new.__dict__.get('_grad_bufs', {}).items():
            p = new._parameters.get(name)
            if p is not None and buf.shape == p.shape:
                p.grad = buf
                new._hook(name)
        return new

    def __getstate__(self):
        return state_without(super().__getstate__(), '_scratch_bufs')

    def __setstate__(self, state):
        super().__setstate__(state)
        for name, buf in self.__dict__.get('_grad_bufs', {}).items():
            p = self._parameters.get(name)
            if p is not None and buf.shape == p.shape and p.grad is None:
                p.grad = buf
                self._hook(name)

    # ------------------------------------------------------------------ printing and .t7 fields
    #: Non-parameter fields that ``.t7`` files carry for this class, in torch/nn's names (see
    #: :func:`compat.nn.t7_support.register`): numbers, booleans, strings, tensors, modules or lists.
    _t7_fields = ()
    #: Lua ``__version`` of the class, written in the ``.t7`` class header (torch/nn sets it on a few
    #: classes, e.g. ``nn.LookupTable`` 4, ``nn.BatchNormalization`` 2).
    _t7_version = 1

    def _t7_loaded(self, table):
        """Called after a ``.t7`` loader copied ``_t7_fields``: rebuild derived state (a hook)."""

    def __tostring__(self):
        """Lua ``tostring(module)``; torch/nn's default is the class name (``nn.Sigmoid``).
        Subclasses override this, never ``__repr__``."""
        return 'nn.' + type(self).__name__

    def extra_repr(self):
        return ''

    def __repr__(self):
        return self.__tostring__()
