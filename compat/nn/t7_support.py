"""``.t7`` support: how compat.nn classes load from and save to Torch7 files.

Loaders receive the Lua object's field table (``weight``, ``gradWeight``, ``kW``, ``modules``...)
and build a working module without running ``__init__`` (so no RNG draw); savers return the Lua
class name and the field set that torch/nn's Lua code reads, so Lua Torch7 can load and run the
module. Field names follow torch/nn (``Module.lua``, ``Linear.lua``, ``SpatialConvolutionMM.lua``,
``SpatialMaxPooling.lua``, ``View.lua``, ``Reshape.lua``, ``Dropout.lua``, the criterions).
"""
import logging

import torch

from compat import t7
from compat.nn import (
    activations,
    containers,
    conv,
    criterions,
    graph,
    graph_t7,
    linear,
    pooling,
    shape,
    t7_checks,
)
from compat.nn.module import Module
from compat.t7.reader import reserve
from compat.torch_extras import type_name

logger = logging.getLogger(__name__)


def _tensor(v, dtype=None):
    if isinstance(v, t7.T7Storage):
        v = v.tensor
    if not isinstance(v, torch.Tensor):
        return None
    return v if dtype is None else v.to(dtype)


def _storage(sizes):
    return t7.T7Storage(torch.tensor(list(sizes), dtype=torch.long))


# ---------------------------------------------------------------------------------- loading
def _new(cls, table):
    """An instance of ``cls`` with the file's ``output``/``gradInput``, training flag, parameters and
    gradients; every field is checked first (:mod:`compat.nn.t7_checks`)."""
    t7_checks.check_fields(cls, table)
    m = cls.__new__(cls)
    Module.__init__(m)
    for f in ('output', 'gradInput'):
        v = table.get(f)
        if isinstance(v, torch.Tensor):
            setattr(m, f, v)
    if 'train' in table:          # this module only (Lua stores the flag per module)
        m.training = table['train']
    for name in m._param_names:
        w = t7_checks.parameter(cls, table, name)
        if w is not None:
            g = t7_checks.gradient(cls, table, name, w)
            if g is None:         # a zero gradient the file does not hold
                reserve(w.numel() * w.element_size(), f"the zero {t7_checks.grad_name(name)} of a {cls.__name__}")
            m._new_param(name, w, grad=g)
        elif name not in m._parameters:
            setattr(m, name, None)
    return m


def _copy(m, table, *fields, **defaults):
    for f in fields:
        setattr(m, f, table[f])
    for f, d in defaults.items():
        setattr(m, f, table.get(f, d))
    return m


def _load_conv(cls):
    def load(table):
        m = _new(cls, table)
        if 'padding' in table and 'padW' not in table:     # old files: one 'padding' field
            table['padW'] = table['padH'] = table['padding']
        _copy(m, table, 'nInputPlane', 'nOutputPlane', 'kW', 'kH', dW=1, dH=1, padW=0)
        m.padH = table.get('padH', m.padW)
        return m
    return load


def _load_pool(table):
    m = _new(pooling.SpatialMaxPooling, table)
    _copy(m, table, 'kW', 'kH', dW=table['kW'], dH=table['kH'], padW=0, padH=0, ceil_mode=False)
    m.ceil_mode = bool(m.ceil_mode)
    m.indices = torch.empty(0, dtype=torch.long)
    return m


def _load_relu(table):
    return _copy(_new(activations.ReLU, table), table, inplace=False, threshold=0.0, val=0.0)


def _load_view(table):
    m = _new(shape.View, table)
    m.resetSize(*t7_checks.sizes(shape.View, table, 'size'))
    m.numInputDims = table.get('numInputDims')
    return m


def _load_reshape(table):
    m = _new(shape.Reshape, table)
    m.size = t7_checks.sizes(shape.Reshape, table, 'size')
    m.nelement = int(table.get('nelement', 0)) or int(torch.tensor(m.size).prod())
    m.batchMode = table.get('batchMode')
    return m


def _load_dropout(table):
    m = _new(shape.Dropout, table)
    m.p = float(table.get('p', 0.5))
    m.v2 = bool(table.get('v2', True))
    m.inplace = bool(table.get('inplace', False))
    m.stochastic_inference = bool(table.get('stochastic_inference', False))
    m.training = bool(table.get('train', True))
    noise = table.get('noise')
    m.noise = noise if isinstance(noise, torch.Tensor) else torch.empty(0, dtype=torch.get_default_dtype())
    return m


def _load_sequential(table):
    """A working Sequential; one holding a class compat.nn cannot run stays a generic T7Object.

    (Such containers occur inside modules whose loader rebuilds them from their settings, e.g. the
    padding/convolution helpers of nn.SpatialContrastiveNormalization; it never runs them.)"""
    t7_checks.check_fields(containers.Sequential, table)
    mods = table.get('modules') or []
    if isinstance(mods, dict):
        mods = [mods[k] for k in sorted(mods)]
    unknown = [(i, c) for i, c in enumerate(mods) if not isinstance(c, torch.nn.Module)]
    if unknown:
        i, child = unknown[0]
        logger.debug("nn.Sequential in .t7 file kept as a generic object: module %d is %s", i + 1,
                     getattr(child, 'torch_typename', type(child).__name__))
        return t7.T7Object('nn.Sequential', table)
    m = _new(containers.Sequential, table)
    for i, child in enumerate(mods):
        m._modules[str(i)] = child
    return m


def _new_criterion(cls, table):
    t7_checks.check_fields(cls, table)
    c = cls.__new__(cls)
    criterions.Criterion.__init__(c)
    gi = table.get('gradInput')
    if isinstance(gi, torch.Tensor):
        c.gradInput = gi
    out = table.get('output')
    c.output = float(out) if isinstance(out, (int, float)) else 0.0
    return c


def _load_nll(table):
    c = _new_criterion(criterions.ClassNLLCriterion, table)
    c.weights = _tensor(table.get('weights'))
    c.sizeAverage = bool(table.get('sizeAverage', True))
    c.ignoreIndex = int(table.get('ignoreIndex', -100))
    c.total_weight = 0.0
    return c


def _load_cross_entropy(table):
    c = _new_criterion(criterions.CrossEntropyCriterion, table)
    cls = criterions.CrossEntropyCriterion
    c.lsm = t7_checks.child(cls, table, 'lsm', activations.LogSoftMax) or activations.LogSoftMax()
    c.nll = t7_checks.child(cls, table, 'nll', criterions.ClassNLLCriterion) or criterions.ClassNLLCriterion()
    c.sizeAverage = bool(table.get('sizeAverage', c.nll.sizeAverage))
    c.oldSizeAverage = bool(table.get('oldSizeAverage', c.sizeAverage))
    return c


def _load_mse(table):
    c = _new_criterion(criterions.MSECriterion, table)
    c.sizeAverage = bool(table.get('sizeAverage', True))
    return c


# ---------------------------------------------------------------------------------- saving
def _type_name(m):
    ps = list(torch.nn.Module.parameters(m))
    t = ps[0] if ps else m.output if isinstance(m.output, torch.Tensor) else torch.empty(0)
    return type_name(t.dtype, 'torch.DoubleTensor') if t.is_floating_point() else 'torch.DoubleTensor'


def _empty_like_type(m):
    return torch.empty(0, dtype=torch.float32 if _type_name(m) == 'torch.FloatTensor' else torch.float64)


def _lua_state_value(v, m):
    """``output``/``gradInput`` as Torch7 keeps them: a tensor, or a table (list) of them for the
    table modules, whose Lua code indexes it; anything else (None, a number) an empty tensor."""
    if isinstance(v, torch.Tensor):
        return v.detach()
    if isinstance(v, (list, tuple)):
        return [_lua_state_value(x, m) for x in v]
    return _empty_like_type(m)


def _state(m):
    d = {}
    for f in ('output', 'gradInput'):
        v = getattr(m, f, None)
        d[f] = _lua_state_value(v, m)
    d['_type'] = _type_name(m)
    d['train'] = bool(m.training)
    for name in m._param_names:
        if m._parameters.get(name) is None:
            continue
        d[name] = m._parameters[name].detach()
        d['grad' + name[0].upper() + name[1:]] = m._grad(name).detach()
    return d


def _saver(lua_name, *fields, extra=None):
    def save(m):
        d = _state(m)
        for f in fields:
            d[f] = getattr(m, f)
        if extra is not None:
            d.update(extra(m))
        return lua_name, d
    return save


def _save_sequential(m):
    d = _state(m)
    d['modules'] = list(m._modules.values())
    return 'nn.Sequential', d


def _save_criterion(lua_name, extra):
    def save(c):
        gi = c.gradInput.detach() if isinstance(c.gradInput, torch.Tensor) else torch.empty(0, dtype=torch.float64)
        out = c.output.item() if isinstance(c.output, torch.Tensor) else float(c.output)
        d = {'output': out, 'gradInput': gi}
        d.update(extra(c))
        return lua_name, d
    return save


def _nll_fields(c):
    dt = c.gradInput.dtype if isinstance(c.gradInput, torch.Tensor) and c.gradInput.is_floating_point() \
        else torch.float64
    return {'sizeAverage': bool(c.sizeAverage), 'ignoreIndex': c.ignoreIndex,
            'weights': c.weights.detach() if c.weights is not None else None,
            'output_tensor': torch.zeros(1, dtype=dt), 'total_weight_tensor': torch.ones(1, dtype=dt),
            'target': torch.zeros(1, dtype=torch.long)}


_CONV_FIELDS = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH')


def _load_generic(cls):
    """Loader for a class that declares its Lua fields in ``_t7_fields``: parameters and gradients
    as for every module, each listed field copied when the file has it, children of a container
    added in order, then the class's ``_t7_loaded(table)`` hook."""
    def load(table):
        if issubclass(cls, criterions.Criterion):
            m = _new_criterion(cls, table)
        else:
            m = _new(cls, table)
        for f in cls._t7_fields:
            if f in table:
                v = table[f]
                if isinstance(v, t7.T7Storage):
                    v = v.tensor
                setattr(m, f, v)
            elif not hasattr(m, f):           # a nil field is not written: Lua's nil is None
                setattr(m, f, None)
        if isinstance(m, containers.Container):
            mods = table.get('modules') or []
            if isinstance(mods, dict):
                mods = [mods[k] for k in sorted(mods)]
            unknown = [(i, c) for i, c in enumerate(mods) if not isinstance(c, torch.nn.Module)]
            if unknown:          # as nn.Sequential: a container of a class we cannot run stays generic
                i, child = unknown[0]
                logger.debug("nn.%s in .t7 file kept as a generic object: module %d is %s", cls.__name__, i + 1,
                             getattr(child, 'torch_typename', type(child).__name__))
                return t7.T7Object('nn.' + cls.__name__, table)
            for i, child in enumerate(mods):
                m._modules[str(i)] = child
        m._t7_loaded(table)
        # Lua fields this class does not use (buffers, cached sizes...) are kept and written back
        handled = set(cls._t7_fields) | {'output', 'gradInput', 'train', '_type', 'modules'} | {
            n for p in getattr(cls, '_param_names', ()) for n in (p, 'grad' + p[0].upper() + p[1:])}
        m.__dict__['_t7_extra'] = {k: v for k, v in table.items()
                                   if isinstance(k, str) and k not in handled and not _module_valued(v)}
        return m
    return load


def _module_valued(v):
    return isinstance(v, (torch.nn.Module, t7.T7Object)) or (
        isinstance(v, (list, dict)) and any(isinstance(x, (torch.nn.Module, t7.T7Object))
                                           for x in (v.values() if isinstance(v, dict) else v)))


def _save_generic(lua_name):
    """Saver for a class that declares its Lua fields in ``_t7_fields`` (the counterpart of
    :func:`_load_generic`); the class header carries the class's ``_t7_version`` (Lua ``__version``)."""
    def save(m):
        if isinstance(m, criterions.Criterion):
            gi = _lua_state_value(m.gradInput, m) if m.gradInput is not None else torch.empty(0, dtype=torch.float64)
            out = m.output.item() if isinstance(m.output, torch.Tensor) else m.output
            d = {'output': out if isinstance(out, (int, float)) else 0.0, 'gradInput': gi}
        else:
            d = _state(m)
        for f in type(m)._t7_fields:
            v = getattr(m, f, None)
            d[f] = v.detach() if isinstance(v, torch.Tensor) else list(v) if isinstance(v, torch.nn.ModuleList) else v
            if f in getattr(type(m), '_t7_storages', ()) and isinstance(v, torch.Tensor):
                d[f] = t7.T7Storage(v.detach().reshape(-1).long())     # a LongStorage in Lua
        if isinstance(m, containers.Container):
            d['modules'] = list(m._modules.values())
        extra = m.__dict__.get('_t7_extra', {})
        if extra:         # kept Lua buffers follow the module's type (THNN wants one tensor type)
            dtype = _empty_like_type(m).dtype
            for k, v in extra.items():
                d.setdefault(k, v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
        hook = getattr(m, '_t7_saving', None)     # a class whose Lua field types differ from ours
        if hook is not None:
            hook(d)
        return lua_name, d, type(m)._t7_version
    return save


def register(namespace):
    """Register every loader and saver of :mod:`compat.nn` with :mod:`compat.t7`.

    ``namespace`` is the package's namespace (``compat.nn`` passes its ``globals()``, so that this
    module never imports the package that imports it). A class with no hand-written loader below
    gets the generic pair (:func:`_load_generic`, :func:`_save_generic`) if it is public there: its
    Lua name is ``nn.<class name>`` and its fields are its ``_t7_fields``."""
    explicit = {linear.Linear, conv.SpatialConvolutionMM, conv.SpatialConvolution, pooling.SpatialMaxPooling,
                activations.ReLU, shape.View, shape.Reshape, shape.Dropout, containers.Sequential,
                criterions.ClassNLLCriterion, criterions.CrossEntropyCriterion, criterions.MSECriterion,
                activations.Tanh, activations.Sigmoid, activations.SoftMax, activations.LogSoftMax,
                shape.Identity}
    for name, cls in dict(namespace).items():
        if (isinstance(cls, type) and issubclass(cls, (Module, criterions.Criterion)) and cls not in explicit
                and cls.__name__ == name and '_t7_fields' in vars(cls)):
            t7.register_loader('nn.' + name, _load_generic(cls))
            t7.register_saver(cls, _save_generic('nn.' + name))
    simple = {'nn.Tanh': activations.Tanh, 'nn.Sigmoid': activations.Sigmoid,
              'nn.SoftMax': activations.SoftMax, 'nn.LogSoftMax': activations.LogSoftMax,
              'nn.Identity': shape.Identity}
    for name, cls in simple.items():
        t7.register_loader(name, lambda table, cls=cls: _new(cls, table))
        t7.register_saver(cls, _saver(name))
    t7.register_loader('nn.Linear', lambda table: _new(linear.Linear, table))
    t7.register_saver(linear.Linear, _saver('nn.Linear'))
    for name, cls in (('nn.SpatialConvolutionMM', conv.SpatialConvolutionMM),
                      ('nn.SpatialConvolution', conv.SpatialConvolution)):
        t7.register_loader(name, _load_conv(cls))
        t7.register_saver(cls, _saver(name, *_CONV_FIELDS))
    t7.register_loader('nn.SpatialMaxPooling', _load_pool)
    t7.register_saver(pooling.SpatialMaxPooling, _saver(
        'nn.SpatialMaxPooling', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH',
        extra=lambda m: {'ceil_mode': bool(m.ceil_mode), 'indices': torch.empty(0, dtype=torch.long)}))
    t7.register_loader('nn.ReLU', _load_relu)
    t7.register_saver(activations.ReLU, _saver('nn.ReLU', 'inplace', 'threshold', 'val'))
    t7.register_loader('nn.View', _load_view)
    t7.register_saver(shape.View, _saver('nn.View', 'numElements', 'numInputDims',
                                         extra=lambda m: {'size': _storage(m.size)}))
    t7.register_loader('nn.Reshape', _load_reshape)
    t7.register_saver(shape.Reshape, _saver('nn.Reshape', 'nelement', 'batchMode', extra=lambda m: {
        'size': _storage(m.size), 'batchsize': _storage((1,) + tuple(m.size))}))
    t7.register_loader('nn.Dropout', _load_dropout)
    t7.register_saver(shape.Dropout, _saver('nn.Dropout', 'p', 'v2', 'inplace', 'stochastic_inference',
                                            extra=lambda m: {'noise': m.noise.detach()}))
    t7.register_loader('nn.gModule', graph_t7.load_gmodule)
    t7.register_saver(graph.gModule, graph_t7.save_gmodule)
    t7.register_loader('nn.Sequential', _load_sequential)
    t7.register_saver(containers.Sequential, _save_sequential)
    t7.register_loader('nn.ClassNLLCriterion', _load_nll)
    t7.register_saver(criterions.ClassNLLCriterion, _save_criterion('nn.ClassNLLCriterion', _nll_fields))
    t7.register_loader('nn.CrossEntropyCriterion', _load_cross_entropy)
    t7.register_saver(criterions.CrossEntropyCriterion, _save_criterion('nn.CrossEntropyCriterion', lambda c: {
        'lsm': c.lsm, 'nll': c.nll, 'sizeAverage': bool(c.sizeAverage), 'oldSizeAverage': bool(c.oldSizeAverage)}))
    t7.register_loader('nn.MSECriterion', _load_mse)
    t7.register_saver(criterions.MSECriterion, _save_criterion(
        'nn.MSECriterion', lambda c: {'sizeAverage': bool(c.sizeAverage)}))
