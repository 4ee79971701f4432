"""Lua's meaning in Python, for code translated from Lua Torch7 (by ``torchad-migrate`` or by hand).

    from compat import lua
    lua.index(t, 1)          # Lua t[1]: list -> t[0]; Table -> t[1]; 1-D tensor -> a number
    lua.concat('n=', 3.0)    # Lua 'n=' .. 3.0 -> 'n=3'
    lua.truth(0)             # True: only nil and false are false in Lua
    lua.invoke(x, 'max', 1)  # Lua x:max(1): values and 1-based indices for a tensor

Every helper dispatches on the value it receives (a string, a Lua table, a tensor, any object), so
it keeps Lua's meaning where the type cannot be known before running. ``Table`` and ``LuaDataset``
stand for Lua tables; ``string``, ``table``, ``math``, ``os``, ``io`` are Lua's libraries;
``torch.<name>`` are Torch7's functions whose PyTorch namesakes differ (``torch.max(x, 2)`` gives
1-based indices, ``torch.range`` is inclusive). Importing this module changes nothing global.
"""
import gc as _gc
import sys as _sys
import types as _types
from builtins import type as _builtins_type

import torch as _torch

from compat.lua.classes import getmetatable as _class_metatable
from compat.lua.classes import isTypeOf as _is_type_of
from compat.lua.classes import torch_class  # noqa: F401
from compat.lua.classes import torch_type as _torch_type
from compat.lua.classes import typename as _typename
from compat.lua.stdlib import File, io, math, os  # noqa: F401
from compat.lua.storages import Storage as _Storage
from compat.lua.strings import string
from compat.lua.tables import (  # noqa: F401
    Globals,
    LuaDataset,
    Table,
    getmetatable,
    index,
    insert,
    ipairs,
    length,
    next,
    pairs,
    rawequal,
    rawget,
    rawset,
    remove,
    setindex,
    setmetatable,
    table,
    unpack,
)
from compat.lua.tensors import LUA_TENSOR_METHODS  # noqa: F401
from compat.lua.tensors import TORCH as _TORCH
from compat.lua.values import (  # noqa: F401
    LuaError,
    LuaTypeError,
    add,
    and_,
    assert_,
    coerce_number,
    concat,
    div,
    eq,
    error,
    expand,
    first,
    iterate,
    le,
    lt,
    mod,
    mul,
    or_,
    pcall,
    pow,
    print,
    range,
    select,
    sub,
    tonumber,
    tostring,
    truth,
    type,
    unm,
    values,
)
from compat.t7.objects import T7Storage as _T7Storage


def _torch_type_of(x, *args):
    # torch.type(x) names any value (a bool tensor is a ByteTensor, a number 'number');
    # torch.type(x, 'torch.FloatTensor') converts a tensor, as x:type(name)
    return _TORCH["type"](x, *args) if args and isinstance(x, _torch.Tensor) else _torch_type(x)


_Tensor = _torch.Tensor
_TENSOR_METHOD = LUA_TENSOR_METHODS.get

torch = _types.SimpleNamespace(**_TORCH)
torch.type = _torch_type_of
torch.typename = _typename
torch.isTypeOf = _is_type_of
torch.getmetatable = _class_metatable
torch.__doc__ = ("Torch7 functions whose PyTorch namesakes differ (1-based dims and indices, numbers), and "
                 "Torch7's class functions (type, typename, isTypeOf, getmetatable).")

#: Lua's global ``arg``: the command-line words after the script (``arg[0]`` was the script).
arg = _sys.argv[1:]


def invoke(obj, name, *args):
    """Lua's method call ``obj:name(...)`` on any value.

    - a tensor: Torch7's method where it differs from PyTorch's (see ``compat.lua.tensors``),
      else PyTorch's method of that name;
    - a string: the ``string`` library (``s:format(...)``, ``s:sub(2, 4)``);
    - a Lua table (dict): the function stored at ``obj[name]`` called with ``obj`` first, as Lua does;
    - any other object: its Python method ``obj.name(...)``.
    """
    if isinstance(obj, _Tensor):
        method = _TENSOR_METHOD(name)
        if obj.requires_grad and obj.is_leaf:       # a module's weight: Lua changes it as plain data
            with _torch.no_grad():
                return method(obj, *args) if method is not None else getattr(obj, name)(*args)
        if method is not None:
            return method(obj, *args)
        return getattr(obj, name)(*args)
    if isinstance(obj, str):
        return getattr(string, name)(obj, *args)
    if isinstance(obj, _T7Storage) and not isinstance(obj, _Storage):   # a storage read from a .t7 file
        obj = _Storage(obj.dtype, obj.tensor)
    if isinstance(obj, dict):
        function = index(obj, name)
        if function is None:
            raise LuaTypeError(f"attempt to call method '{name}' (a nil value)")
        return function(obj, *args)
    if obj is None:
        raise LuaTypeError(f"attempt to index a nil value (calling method '{name}')")
    if getattr(_builtins_type(obj), "lua_class", False):
        function = vars(obj).get(name) or getattr(_builtins_type(obj), name, None)
        if function is None:
            raise LuaTypeError(f"attempt to call method '{name}' (a nil value)")
        return function(obj, *args)
    return getattr(obj, name)(*args)


def call(function, *args):
    """Lua's call ``f(...)``, with Lua's error when ``f`` is nil."""
    if function is None:
        raise LuaTypeError("attempt to call a nil value")
    return function(*args)


def collectgarbage(option="collect", *args):
    """Lua ``collectgarbage()``: a collection (``'count'`` gives 0: Python does not expose it)."""
    if option == "count":
        return 0
    _gc.collect()
    return 0


