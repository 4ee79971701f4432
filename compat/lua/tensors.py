"""Torch7's tensor semantics where PyTorch's namesakes differ: 1-based dimensions and indices,
numbers from full reductions and 1-D element reads, in-place methods (``x:add(y)`` changes ``x``).

``method(x, 'name', *args)`` runs Torch7's ``x:name(...)``; ``TORCH[name]`` is the function form
``torch.name(x, ...)``. Names not listed here mean the same in both (``t``, ``double``, ``clone``,
``view``...) and go to PyTorch unchanged. Each 1-based -> 0-based shift is marked ``# 1-based``.
"""
import torch

import compat.lua.tensor_math as tensor_math
from compat import cuda
from compat.lua import tensor_shape as _shape
from compat.torch_random import TENSOR_METHODS as _RANDOM_METHODS

__all__ = ["LUA_TENSOR_METHODS", "T7", "TORCH", "mul", "tensor_index", "tensor_setindex"]


_NUMBERS = (int, float)


def _dim(x, d):
    return int(d) - 1 if d > 0 else x.dim() + int(d)  # 1-based


def _number(t):
    return t.item()


# ------------------------------------------------------------------------------ indexing
def _entry(x, key, where):
    """The view of ``x`` named by a Lua index, and whether every dimension was selected by a number."""
    if isinstance(key, bool):
        raise TypeError(f"{where}: a tensor is indexed by numbers, tables or tensors, got {key!r}")
    if isinstance(key, (int, float)):
        i = int(key)
        i = i - 1 if i > 0 else x.size(0) + i  # 1-based
        return x.select(0, i), x.dim() == 1
    if isinstance(key, torch.Tensor):
        if key.dtype in (torch.bool, torch.uint8):
            return x[key.bool()], False
        return x.index_select(0, key.long().view(-1) - 1), False  # 1-based
    if isinstance(key, (list, tuple)):
        view, d, numbers = x, 0, 0
        for entry in key:
            if isinstance(entry, (int, float)) and not isinstance(entry, bool):
                i = int(entry)
                view = view.select(d, i - 1 if i > 0 else view.size(d) + i)  # 1-based
                numbers += 1
                continue
            entry = list(entry.values()) if isinstance(entry, dict) else list(entry)
            n = view.size(d)
            if len(entry) == 0:
                d += 1
                continue
            a = int(entry[0])
            b = int(entry[1]) if len(entry) > 1 else a
            a, b = (a if a > 0 else n + a + 1), (b if b > 0 else n + b + 1)
            if not 1 <= a <= b + 1 or b > n:
                raise IndexError(f"{where}: range {{{entry[0]}, {entry[-1]}}} is outside 1..{n} of dimension {d + 1}")
            view = view.narrow(d, a - 1, b - a + 1)  # 1-based, inclusive
            d += 1
        return view, numbers == x.dim()
    raise TypeError(f"{where}: a tensor is indexed by numbers, tables or tensors, got {type(key).__name__}")


def mul(a, b):
    """Lua ``a * b``: for two tensors Torch7's product (vector . vector -> a number, matrix x vector,
    matrix x matrix); otherwise the ordinary product (a tensor times a number is elementwise)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() >= 1 and b.dim() >= 1:
        if a.dim() == 1 and b.dim() == 1:
            return _number(a.dot(b))
        return a @ b
    return a * b


def tensor_index(x, key):
    """Torch7 ``x[key]``: a number for a 1-D element (or a full ``{i, j, ...}``), else a view; a
    string key is a method or field (nil when there is none)."""
    kind = type(key)
    if kind is float and key.is_integer():
        key, kind = int(key), int       # Lua numbers are doubles: x[2.0] is x[2]
    if kind is int and key > 0:         # the common case first: Python's subscript is select(0, i - 1)
        dims = x.dim()
        try:
            if dims > 1:
                return x[key - 1]
            if dims == 1:
                return x[key - 1].item()
        except IndexError:              # past the end: the error of the general path below
            pass
    if isinstance(key, str):
        return getattr(x, key, None)
    view, scalar = _entry(x, key, "tensor index")
    return _number(view) if scalar else view


def tensor_setindex(x, key, value):
    """Torch7 ``x[key] = value``: fill with a number, or copy a tensor of the same number of elements."""
    if type(key) is float and key.is_integer():
        key = int(key)                  # Lua numbers are doubles: x[2.0] is x[2]
    if type(key) is int and key > 0 and type(value) in _NUMBERS and not x.requires_grad and x.dim() > 0:
        try:
            x[key - 1] = value          # the common case first: fills element or slice i, as fill_ does
            return
        except IndexError:              # past the end: the error of the general path below
            pass
    if x.requires_grad and x.is_leaf:               # a module's weight: Lua changes it as plain data
        with torch.no_grad():
            return tensor_setindex(x.detach(), key, value)
    view, _ = _entry(x, key, "tensor assignment")
    if isinstance(key, torch.Tensor) and key.dtype in (torch.bool, torch.uint8):
        x[key.bool()] = value if not isinstance(value, torch.Tensor) else value.reshape(-1).to(x.dtype)
        return
    if isinstance(value, torch.Tensor):
        _copy(view, value)
    else:
        view.fill_(value)


def _copy(dst, src):
    # Torch7 copy: any shapes with the same number of elements, any types.
    if dst.shape == src.shape:          # the common case first: element order is the same either way
        dst.copy_(src)
        return dst
    if dst.numel() != src.numel():
        raise ValueError(f"copy: the destination has {dst.numel()} elements {tuple(dst.shape)}, the source "
                         f"{src.numel()} {tuple(src.shape)}: Torch7 copies need equal counts")
    dst.copy_(src.reshape(dst.shape))
    return dst


# ------------------------------------------------------------------------------ everything else
def _size(x, d=None):
    return x.size() if d is None else x.size(_dim(x, d))


def _sub(x, *bounds):
    """Torch7 ``x:sub(a1, b1 [, a2, b2 ...])``: inclusive ranges per dimension, negative from the end."""
    view = x
    for d in range(0, len(bounds), 2):
        n = view.size(d // 2)
        a, b = int(bounds[d]), int(bounds[d + 1])
        a, b = (a if a > 0 else n + a + 1), (b if b > 0 else n + b + 1)
        view = view.narrow(d // 2, a - 1, b - a + 1)  # 1-based, inclusive
    return view


def _cat(*args):
    """Torch7 ``torch.cat(a, b [, dim])`` / ``torch.cat({a, b, ...} [, dim])``: dim 1-based, default last."""
    if isinstance(args[0], (list, tuple)):
        tensors, rest = list(args[0]), args[1:]
    else:
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        rest = [a for a in args if not isinstance(a, torch.Tensor)]
    d = rest[0] if rest else tensors[0].dim()
    return torch.cat(tensors, _dim(tensors[0], d))


def _range(start, stop, step=1):
    """Torch7 ``torch.range(a, b [, step])``: ``a .. b`` **inclusive**, in the default tensor type."""
    n = int((stop - start) // step) + 1
    return start + step * torch.arange(n, dtype=torch.get_default_dtype())


def _typename(x, name=None):
    from compat.t7.objects import tensor_class
    if name is None:
        return tensor_class(x.dtype)
    from compat.torch_extras import _TENSOR_TYPES
    return x.to(_TENSOR_TYPES[name])


def _squeeze(x, d=None):
    """Torch7 ``squeeze([dim])``: like PyTorch's, but a tensor of one element keeps one dimension."""
    out = x.squeeze() if d is None else x.squeeze(_dim(x, d))
    return out.reshape(1) if out.dim() == 0 else out


LUA_TENSOR_METHODS = {
    "size": _size,
    "nElement": lambda x: x.numel(),
    "nDimension": lambda x: x.dim(),
    "stride": lambda x, d=None: x.stride() if d is None else x.stride(_dim(x, d)),
    "narrow": lambda x, d, i, n: x.narrow(_dim(x, d), int(i) - 1, int(n)),  # 1-based
    "select": lambda x, d, i: x.select(_dim(x, d), int(i) - 1),  # 1-based
    "sub": _sub,
    "resize": lambda x, *sizes: x.resize_(*sizes),
    "resizeAs": lambda x, y: x.resize_as_(y),
    "fill": lambda x, v: x.fill_(v), "zero": lambda x: x.zero_(), "copy": _copy,
    "transpose": lambda x, a, b: x.transpose(_dim(x, a), _dim(x, b)),
    "permute": lambda x, *dims: x.permute(*[_dim(x, d) for d in dims]),
    "squeeze": _squeeze,
    "unsqueeze": lambda x, d: x.unsqueeze(int(d) - 1),
    "split": lambda x, n, d=1: list(x.split(int(n), _dim(x, d))),
    "chunk": lambda x, n, d=1: list(x.chunk(int(n), _dim(x, d))),
    "cat": lambda x, y, d=None: _cat(x, y, *(() if d is None else (d,))),
    "repeatTensor": lambda x, *sizes: x.repeat(*sizes),
    "expandAs": lambda x, y: x.expand_as(y),
    "viewAs": lambda x, y: x.view_as(y),
    "type": _typename,
    "isContiguous": lambda x: x.is_contiguous(),
    "isSameSizeAs": lambda x, y: x.shape == y.shape,
}
LUA_TENSOR_METHODS.update(tensor_math.METHODS)
LUA_TENSOR_METHODS.update(_RANDOM_METHODS)         # x:uniform(), x:normal(), ...: Torch7's stream
LUA_TENSOR_METHODS["cuda"] = cuda.tensor          # float32 on the CUDA device (or TORCHAD_CUDA=cpu)

# torch.<name>(...) with Torch7's meaning, where it differs from PyTorch's.
TORCH = {name: LUA_TENSOR_METHODS[name] for name in (
    "narrow", "select", "sub", "transpose", "permute", "squeeze", "split", "chunk", "type")}
TORCH.update(tensor_math.FUNCTIONS)
TORCH.update(cat=_cat, range=_range, typename=lambda x: _typename(x) if isinstance(x, torch.Tensor) else None,
             isTensor=lambda x: isinstance(x, torch.Tensor), numel=lambda x: x.numel(),
             LongStorage=lambda *s: torch.Size(int(v) for v in (s[0] if s and isinstance(s[0], (list, tuple)) else s)))

# Torch7's construction, geometry, types and storages (compat.lua.tensor_shape); they replace the
# simpler entries above of the same names (size, stride, nDimension, resize, type, LongStorage...).
LUA_TENSOR_METHODS.update(_shape.METHODS)
TORCH.update(_shape.TORCH)


# ------------------------------------------------------------------------------ direct calls
def _as_lua_data(method):
    """``method`` run as Lua runs it on a module's weight (a leaf that requires grad): as plain data."""
    def call(x, *args):
        if x.requires_grad and x.is_leaf:
            with torch.no_grad():
                return method(x, *args)
        return method(x, *args)
    call.__name__ = call.__qualname__ = getattr(method, "__name__", "method")
    call.__doc__ = method.__doc__
    return call


class _Torch7Tensor:
    """Torch7's tensor methods as plain functions, for code that knows its value is a tensor:
    ``T7.sum(x)`` is Lua's ``x:sum()``, ``T7.mul(x, 3)`` is ``x:mul(3)`` (in place, as Torch7),
    ``T7.at(x, i)`` is ``x[i]`` (a number for a 1-D tensor) and ``T7.put(x, i, v)`` is ``x[i] = v``.
    torchad-migrate emits these where it has proven the receiver a tensor, in place of ``lua.invoke``
    and ``lua.index``, which first find out what the value is."""
    __slots__ = ()


T7 = _Torch7Tensor()
for _name, _method in LUA_TENSOR_METHODS.items():
    setattr(_Torch7Tensor, _name, staticmethod(_as_lua_data(_method)))
_Torch7Tensor.at = staticmethod(tensor_index)
_Torch7Tensor.put = staticmethod(tensor_setindex)
