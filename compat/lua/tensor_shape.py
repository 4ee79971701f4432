"""Torch7's tensor construction, geometry, types and storages (torch7 ``generic/Tensor.c``, ``Tensor.lua``).

- :func:`new_tensor` is Torch7's ``torch.<Type>Tensor(...)``: sizes (numbers or a LongStorage), a
  Lua table of numbers, a tensor (shared), or a Storage with an offset and sizes/strides (shared);
  ``tensor_types()`` gives the ``torch.Tensor``/``torch.DoubleTensor``... constructors, which are
  also what ``isinstance`` tests against.
- ``METHODS`` are the tensor methods (``x:name(...)``) and ``TORCH`` the ``torch.name(...)``
  functions that differ from PyTorch's: sizes and strides as LongStorages, 1-based dims
  (``unfold``, ``view``...), ``storage``/``storageOffset``/``set``, ``totable``, ``type``/``typeAs``,
  Torch7's integer division, ``repeatTensor``, ``reshape`` (a copy), ``serialize``.

A tensor with no element has no dimension in Torch7 (``torch.Tensor():dim()`` is 0): the tensors
this module makes empty are :class:`EmptyTensor`, whose ``dim()`` says so, and ``dim``/``nDimension``
give 0 for any tensor without elements. ``view``/``expand`` with numbers or a LongStorage are
PyTorch's methods as they are (a LongStorage is a list); ``TORCH`` has their function and
result-first forms.
"""
import io

import torch

from compat.lua.storages import LongStorage, Storage, is_storage, storage_class, storage_typename
from compat.t7.objects import DTYPE_KIND, tensor_class
from compat.torch_extras import TENSOR_TYPES

__all__ = ["METHODS", "TORCH", "EmptyTensor", "deserialize", "integer_division", "is_storage", "linspace",
           "logspace", "new_tensor", "serialize", "storage_types", "tensor_types", "torch_type", "typename"]


class EmptyTensor(torch.Tensor):
    """A Torch7 tensor made without elements (``torch.Tensor()``): ``dim()`` is 0 while it has no
    element, PyTorch's dim once it is resized. Its copies and type conversions are empty tensors too;
    every other operation gives plain tensors."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    def dim(self):
        return 0 if self.numel() == 0 else super().dim()

    ndimension = dim


def _keeps_no_dimension(name):
    method = getattr(torch.Tensor, name)

    def keep(self, *args, **kwargs):
        return method(self, *args, **kwargs).as_subclass(EmptyTensor)
    keep.__name__ = name
    return keep


# a copy or a conversion of an empty tensor has no dimension either
for _name in ("clone", "double", "float", "half", "long", "int", "short", "char", "byte"):
    setattr(EmptyTensor, _name, _keeps_no_dimension(_name))


def _empty(dtype):
    return torch.empty(0, dtype=dtype).as_subclass(EmptyTensor)


def _axis(x, d, what="dimension"):
    """The 0-based dimension of ``x`` that Torch7's 1-based ``d`` names."""
    if isinstance(d, bool) or not isinstance(d, (int, float)) or d != int(d):
        raise TypeError(f"{what} must be an integer (1-based), got {d!r}")
    n = x.dim()
    if not 1 <= d <= n:
        raise IndexError(f"{what} {int(d)} is out of range 1..{n} of a {n}-D tensor")
    return int(d) - 1  # 1-based


def _dims(x):
    return 0 if x.numel() == 0 else x.dim()


# ------------------------------------------------------------------------------ sizes
def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sizes(args, what):
    """Sizes given as numbers or as one LongStorage/list/torch.Size."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    for i, v in enumerate(args, 1):
        if not _is_number(v) or v != int(v):
            raise TypeError(f"{what}: size {i} must be an integer, got {v!r}")
    return [int(v) for v in args]


def _contiguous_strides(sizes, strides=None):
    # THTensor_(resizeNd): a missing or negative stride is that of a contiguous tensor
    out = [0] * len(sizes)
    for d in range(len(sizes) - 1, -1, -1):
        if strides is not None and d < len(strides) and strides[d] >= 0:
            out[d] = strides[d]
        else:
            out[d] = 1 if d == len(sizes) - 1 else sizes[d + 1] * out[d + 1]
    return out


def _kept(sizes):
    """THTensor_(resizeNd): the dimensions before the first size that is not positive."""
    for i, s in enumerate(sizes):
        if s <= 0:
            return sizes[:i]
    return sizes


def _over(dtype, data, offset, sizes, strides):
    """A tensor of ``dtype`` over the memory of the 1-D tensor ``data``, from its ``offset``-th element."""
    sizes = _kept(sizes)
    if not sizes:
        out = _empty(dtype)
        out.set_(data.untyped_storage(), data.storage_offset() + offset, (0,), (1,))
        return out
    out = torch.empty(0, dtype=dtype)
    out.set_(data.untyped_storage(), data.storage_offset() + offset, sizes, _contiguous_strides(sizes, strides))
    return out


def _from_storage(dtype, storage, rest):
    """``torch.Tensor(storage [, offset [, sizes... | LongStorage sizes [, LongStorage strides]]])``."""
    data = storage.tensor
    if not rest:
        return _over(dtype, data, 0, [data.numel()], None)
    offset = rest[0]
    if not _is_number(offset) or offset != int(offset) or offset < 1:
        raise ValueError(f"storage offset must be an integer >= 1 (1-based), got {offset!r}")
    rest = rest[1:]
    if rest and isinstance(rest[0], (list, tuple)):
        sizes = [int(v) for v in rest[0]]
        strides = [int(v) for v in rest[1]] if len(rest) > 1 and rest[1] is not None else None
        if strides is not None and len(strides) != len(sizes):
            raise ValueError(f"provided stride and size are inconsistent: {len(sizes)} sizes, {len(strides)} strides")
    else:
        pairs = _sizes(rest, "torch.Tensor(storage, offset, size, stride, ...)")
        sizes, strides = pairs[0::2], pairs[1::2]
    return _over(dtype, data, int(offset) - 1, sizes, strides)  # 1-based


def _from_table(dtype, table):
    shape, level = [], table
    while isinstance(level, (list, tuple)) and len(level) > 0:
        shape.append(len(level))
        level = level[0]
    if not shape:
        return _empty(dtype)
    try:
        values = torch.tensor(table, dtype=torch.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"invalid tensor definition: a table of numbers with equal sizes per level "
                         f"(here {shape}) is expected ({e})") from None
    if list(values.shape) != shape:
        raise ValueError(f"invalid tensor sizes: expected {shape}, got {list(values.shape)}")
    return _converted(values, dtype)


def _converted(values, dtype):
    """Doubles to ``dtype`` as Torch7's C casts do (integers truncated toward zero, then wrapped)."""
    if dtype.is_floating_point or dtype == torch.float64:
        return values.to(dtype)
    return values.to(torch.int64).to(dtype)


def new_tensor(dtype, *args):
    """Torch7's ``torch.<Type>Tensor(...)`` for ``dtype`` (generic/Tensor.c ``new``)."""
    if not args:
        return _empty(dtype)
    if all(type(a) is int and a > 0 for a in args):     # positive sizes: the common case first
        return torch.zeros(args, dtype=dtype)
    first = args[0]
    if isinstance(first, (list, tuple)) and not isinstance(first, (LongStorage, torch.Size)):
        if len(args) > 1:
            raise TypeError(f"torch.{DTYPE_KIND[dtype]}Tensor: a table of numbers comes alone, "
                            f"got {len(args)} arguments")
        return _from_table(dtype, first)
    if isinstance(first, torch.Tensor):
        if first.dtype != dtype or len(args) > 1:
            raise TypeError(f"torch.{DTYPE_KIND[dtype]}Tensor(t) shares the memory of a tensor of the same type, "
                            f"got a {typename(first)}{' and more arguments' if len(args) > 1 else ''}; "
                            f"convert with t:type(...) instead")
        if first.numel() == 0:
            return _empty(dtype).set_(first)
        return first.as_strided(first.size(), first.stride(), first.storage_offset())
    if isinstance(first, Storage):
        if first.dtype != dtype:
            raise TypeError(f"torch.{DTYPE_KIND[dtype]}Tensor(storage) needs a torch.{DTYPE_KIND[dtype]}Storage, "
                            f"got a {first.torch_typename}")
        return _from_storage(dtype, first, args[1:])
    if isinstance(first, LongStorage) and dtype == torch.int64:
        # a LongTensor reads a LongStorage as its storage (a copy here: the list holds no tensor memory)
        return _from_storage(dtype, Storage(torch.int64, list(first)), args[1:])
    if isinstance(first, (LongStorage, torch.Size)):
        sizes = [int(v) for v in first]
        strides = [int(v) for v in args[1]] if len(args) > 1 and args[1] is not None else None
        return _fresh(dtype, sizes, strides)
    return _fresh(dtype, _sizes(args, f"torch.{DTYPE_KIND[dtype]}Tensor"), None)


def _fresh(dtype, sizes, strides):
    sizes = _kept(sizes)
    if not sizes:
        return _empty(dtype)
    strides = strides[:len(sizes)] if strides is not None else None
    if strides is None:
        return torch.zeros(sizes, dtype=dtype)
    strides = _contiguous_strides(sizes, strides)
    needed = 1 + sum((n - 1) * s for n, s in zip(sizes, strides))
    return _over(dtype, torch.zeros(needed, dtype=dtype), 0, sizes, strides)


class _TensorType(type):
    """The class of ``torch.Tensor``, ``torch.DoubleTensor``, ...: calling one is Torch7's constructor,
    ``isinstance(x, torch.FloatTensor)`` tests the element type (``torch.Tensor``: any tensor), and
    other attributes are PyTorch's ``torch.Tensor``'s (``torch.Tensor.add``)."""

    def __call__(cls, *args):
        return new_tensor(cls.dtype or torch.get_default_dtype(), *args)

    def __instancecheck__(cls, obj):
        return isinstance(obj, torch.Tensor) and (cls.dtype is None or obj.dtype == cls.dtype)

    def __subclasscheck__(cls, sub):
        return cls.dtype is None and issubclass(sub, torch.Tensor)

    def __getattr__(cls, name):
        return getattr(torch.Tensor, name)


def tensor_types():
    """``{'Tensor': ..., 'DoubleTensor': ..., ...}``: the Torch7 tensor constructors."""
    out = {"Tensor": _TensorType("Tensor", (), {"dtype": None, "__doc__": "Torch7 torch.Tensor (default type)"})}
    for dtype, kind in DTYPE_KIND.items():
        name = f"{kind}Tensor"
        out[name] = _TensorType(name, (), {"dtype": dtype, "__doc__": f"Torch7 torch.{name}"})
    return out


def storage_types():
    """``{'Storage': ..., 'DoubleStorage': ..., 'LongStorage': ...}``: the Torch7 storage constructors."""
    out = {f"{kind}Storage": storage_class(dtype) for dtype, kind in DTYPE_KIND.items()}

    def default_storage(*args):
        return storage_class(torch.get_default_dtype())(*args)
    default_storage.__doc__ = "Lua ``torch.Storage(...)``: a storage of the default tensor type."
    out["Storage"] = default_storage
    return out


# ------------------------------------------------------------------------------ types
def typename(value):
    """Lua ``torch.typename(v)``: the Torch7 class of a tensor or storage, else None."""
    if isinstance(value, torch.Tensor):
        return tensor_class(torch.uint8 if value.dtype == torch.bool else value.dtype)
    if isinstance(value, torch.Size):
        return "torch.LongStorage"
    name = storage_typename(value)
    if name is not None:
        return name
    return getattr(value, "torch_typename", None) if not isinstance(value, dict) else None


# Lua's type() of the values that have no Torch7 class, checked in this order
_LUA_TYPES = ((type(None), "nil"), (bool, "boolean"), ((int, float), "number"), (str, "string"),
              ((dict, list, tuple), "table"))


def torch_type(value):
    """Lua ``torch.type(v)``: the Torch7 class name, else Lua's ``type(v)``."""
    name = typename(value)
    if name is not None:
        return name
    for kinds, lua_name in _LUA_TYPES:
        if isinstance(value, kinds):
            return lua_name
    return "function" if callable(value) and not isinstance(value, torch.nn.Module) else "userdata"


def _type(x, name=None):
    """Lua ``x:type()`` (its class name) and ``x:type(name)`` (itself when already of that type, else
    a converted copy)."""
    if name is None:
        return typename(x)
    dtype = TENSOR_TYPES.get(name)
    if dtype is None:
        raise ValueError(f"type: expected a Torch7 tensor type name such as 'torch.FloatTensor', got {name!r}")
    if dtype == x.dtype:
        return x
    if x.numel() == 0:
        return _empty(dtype)
    return _converted(x, dtype) if x.is_floating_point() and not dtype.is_floating_point else x.to(dtype)


def integer_division(float_division):
    """Torch7's ``x:div(...)``: on Byte/Char/Short/Int/Long tensors the quotient is C's integer
    division (truncated toward zero, the divisor first truncated to the tensor's type); floating
    tensors use ``float_division``."""
    def div(x, *args):
        if x.is_floating_point() or x.is_complex():
            return float_division(x, *args)
        operands = [a if isinstance(a, torch.Tensor) else int(a) for a in args]
        if len(operands) == 1:
            return x.copy_(torch.div(x, operands[0], rounding_mode="trunc"))
        if len(operands) == 2:
            result = torch.div(operands[0], operands[1], rounding_mode="trunc").to(x.dtype)
            return x.resize_(result.shape).copy_(result)
        raise TypeError(f"div: expected (value), (tensor) or (tensor, value), got {len(args)} arguments")
    return div


# ------------------------------------------------------------------------------ geometry
def _size(x, d=None):
    if d is None:
        return LongStorage(x.shape) if x.numel() else LongStorage()
    return x.size(_axis(x, d))


def _stride(x, d=None):
    if d is None:
        return LongStorage(x.stride()) if x.numel() else LongStorage()
    return x.stride(_axis(x, d))


def _storage(x):
    """Lua ``x:storage()``: the whole storage under ``x``, sharing its memory (nil for ``torch.Tensor()``)."""
    memory = x.untyped_storage()
    n = memory.nbytes() // x.element_size()
    if n == 0 and x.numel() == 0:
        return None
    data = torch.empty(0, dtype=x.dtype)
    data.set_(memory, 0, (n,), (1,))
    return Storage(x.dtype, data)


def _set(x, source=None, *rest):
    """Lua ``x:set(tensor)`` / ``x:set(storage [, offset, sizes [, strides]])`` / ``x:set()``: ``x``
    becomes a view of that memory."""
    if source is None:
        return x.set_()
    if isinstance(source, torch.Tensor):
        return x.set_(source)
    if not isinstance(source, Storage):
        raise TypeError(f"set: expected a tensor or a storage, got {type(source).__name__}")
    view = _from_storage(x.dtype, source, rest)
    return x.set_(view.untyped_storage(), view.storage_offset(), view.size(), view.stride())


def _is_set_to(x, y):
    """Lua ``x:isSetTo(y)``: the same memory, offset, sizes and strides (and not empty)."""
    return (x.numel() > 0 and x.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()
            and x.storage_offset() == y.storage_offset() and x.shape == y.shape and x.stride() == y.stride())


def _view_sizes(x, args, what):
    sizes = _sizes(args, what)
    if sizes.count(-1) > 1:
        raise ValueError(f"{what}: only one of the sizes can be -1, got {sizes}")
    return sizes


def _view(x, *args):
    """Torch7 ``x:view(sizes...)``, ``x:view(LongStorage)``, result-first ``torch.view(res, x, sizes...)``."""
    if args and isinstance(args[0], torch.Tensor):
        result, source, args = x, args[0], args[1:]
        view = source.view(_view_sizes(source, args, "view"))
        return result.set_(view.untyped_storage(), view.storage_offset(), view.size(), view.stride())
    return x.view(_view_sizes(x, args, "view"))


def _view_as(x, y, template=None):
    if template is not None:
        return _view(x, y, template.size())
    return x.view(y.size())


def _expand(x, *args):
    """Torch7 ``x:expand(sizes...)`` (also a LongStorage) and result-first ``torch.expand(res, x, ...)``."""
    if args and isinstance(args[0], torch.Tensor):
        result, source = x, args[0]
        view = source.expand(_sizes(args[1:], "expand"))
        return result.set_(view.untyped_storage(), view.storage_offset(), view.size(), view.stride())
    return x.expand(_sizes(args, "expand"))


def _expand_as(x, y, template=None):
    if template is not None:
        return _expand(x, y, template.size())
    return x.expand(y.size())


def _repeat_tensor(x, *args):
    """Torch7 ``x:repeatTensor(sizes...)`` (the sizes may have more dimensions than ``x``) and the
    result-first ``torch.repeatTensor(res, x, sizes...)``."""
    if args and isinstance(args[0], torch.Tensor):
        result, source = x, args[0]
        out = _repeat_tensor(source, *args[1:])
        return result.resize_(out.shape).copy_(out)
    sizes = _sizes(args, "repeatTensor")
    if len(sizes) < x.dim():
        raise ValueError(f"repeatTensor: {len(sizes)} repeat counts for a {x.dim()}-D tensor; give at least {x.dim()}")
    return x.repeat(*sizes)


def _reshape(x, *args):
    """Torch7 ``torch.reshape(x, sizes...)`` / ``x:reshape(sizes...)``: a NEW tensor (a copy) of those
    sizes; result-first ``torch.reshape(res, x, sizes...)`` writes it into ``res``."""
    if args and isinstance(args[0], torch.Tensor):
        result, source = x, args[0]
        out = source.reshape(_sizes(args[1:], "reshape"))
        return result.resize_(out.shape).copy_(out)
    sizes = _sizes(args, "reshape")
    if x.numel() != torch.Size(sizes).numel():
        raise ValueError(f"reshape: {x.numel()} elements cannot have the sizes {sizes}")
    return x.contiguous().view(sizes).clone()


def _unfold(x, d, size, step):
    """Torch7 ``x:unfold(dim, size, step)``: slices of ``size`` every ``step`` along 1-based ``dim``,
    as a new last dimension."""
    return x.unfold(_axis(x, d), int(size), int(step))


def _resize(x, *args):
    sizes = _kept(_sizes(args, "resize"))
    return x.resize_(sizes or [0])


def _is_size(x, sizes):
    return _dims(x) == len(sizes) and all(int(a) == int(b) for a, b in zip(x.shape, sizes))


def _totable(x):
    """Lua ``x:totable()``: nested Lua sequences of numbers (``{}`` for an empty tensor)."""
    if x.numel() == 0:
        return []
    return (x.to(torch.uint8) if x.dtype == torch.bool else x).tolist()


def linspace(a, b, n=100):
    """Lua ``torch.linspace(a, b [, n])``: ``n`` (default 100) points from ``a`` to ``b``."""
    return torch.linspace(a, b, int(n))


def logspace(a, b, n=100):
    """Lua ``torch.logspace(a, b [, n])``: ``n`` (default 100) points from ``10^a`` to ``10^b``."""
    return torch.logspace(a, b, int(n))


# ------------------------------------------------------------------------------ serialization
def serialize(obj, format="binary"):  # noqa: A002 (Lua's parameter name)
    """Lua ``torch.serialize(obj [, format])``: the ``.t7`` bytes of ``obj`` as a (latin-1) string."""
    from compat.t7 import save
    buffer = io.BytesIO()
    save(buffer, obj, format)
    return buffer.getvalue().decode("latin-1")


def deserialize(text, format="binary"):  # noqa: A002
    """Lua ``torch.deserialize(str [, format])``: the object :func:`serialize` wrote."""
    from compat.t7 import load
    raw = text.encode("latin-1") if isinstance(text, str) else bytes(text)
    return load(io.BytesIO(raw), format)


METHODS = {
    "size": _size,
    "stride": _stride,
    "nDimension": _dims,
    "storage": _storage,
    "storageOffset": lambda x: x.storage_offset() + 1,  # 1-based
    "set": _set,
    "isSetTo": _is_set_to,
    "isSize": _is_size,
    "viewAs": _view_as,
    "expandAs": _expand_as,
    "repeatTensor": _repeat_tensor,
    "reshape": _reshape,
    "unfold": _unfold,
    "resize": _resize,
    "resizeAs": lambda x, y: x.resize_(0) if y.numel() == 0 else x.resize_as_(y),
    "totable": _totable,
    "elementSize": lambda x: x.element_size(),
    "type": _type,
    "typeAs": lambda x, y: _type(x, typename(y)),
}

TORCH = {
    "view": _view, "viewAs": _view_as, "expand": _expand, "expandAs": _expand_as,
    "repeatTensor": _repeat_tensor, "reshape": _reshape, "unfold": _unfold, "totable": _totable,
    "type": torch_type, "typename": typename, "isTensor": lambda v: isinstance(v, torch.Tensor),
    "LongStorage": LongStorage,
}
