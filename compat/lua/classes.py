"""Torch7's ``torch.class(name [, parent])``: a class defined method by method, as Lua scripts write
their own classes and custom ``nn`` modules (``function MyLayer:updateOutput(input) ... end``), and
Torch7's functions about classes: ``torch.type``, ``torch.typename``, ``torch.isTypeOf``,
``torch.getmetatable``.

``Foo, parent = torch_class('Foo', 'Base')`` gives a Python class and a handle on the parent whose
functions take ``self`` explicitly, as Lua's ``parent.__init(self)`` and ``parent.get(self)`` do. The
parent is a class made earlier by ``torch.class`` (by its Lua name), a class ``compat`` provides
(``'nn.Module'``), or a class object. Creating ``Foo(...)`` calls the Lua constructor ``Foo.__init``
(set afterwards, as a plain attribute named ``__init``). As in Torch7, the class is also a global:
``Foo`` in the globals of the code that called ``torch.class`` (the translated script), and a class
named ``nn.Foo`` becomes ``compat.nn.Foo``. The class is its objects' metatable: Lua metamethods
assigned to it (``Foo.__tostring``, ``Foo.__add``, ``Foo.__lt``, ...) apply to its objects, and
``Foo.__typename`` is the Lua name. An absent field of an object reads as nil.
"""
import importlib
import sys

import torch

from compat.lua.meta import get_metatable
from compat.lua.strings import match
from compat.lua.values import LuaOperators
from compat.lua.values import type as lua_type
from compat.t7.objects import tensor_class

__all__ = ["getmetatable", "isTypeOf", "torch_class", "torch_type", "typename"]

_LUA_INIT = "__init"
_CLASSES = {}                 # Lua class name -> class, for torch.class parents and torch.getmetatable


class LuaObject(LuaOperators):
    """The base of ``torch.class`` classes without a ``compat`` parent: Lua's operators go to the
    class's metamethods, and an absent field is nil."""

    lua_class = True

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return None


def _resolve(parent):
    if parent is None:
        return LuaObject
    if isinstance(parent, type):
        return parent
    if not isinstance(parent, str):
        raise TypeError(f"torch.class: parent must be a class name such as 'nn.Module', got {parent!r}")
    if parent in _CLASSES:
        return _CLASSES[parent]
    package, _, short = parent.rpartition(".")
    found = None
    if package:
        try:
            found = getattr(importlib.import_module("compat." + package), short, None)
        except ImportError:
            found = None
    if not isinstance(found, type):
        raise ValueError(f"torch.class: parent {parent!r} is neither a class made by torch.class nor a class "
                         f"compat provides (e.g. 'nn.Module'); define the parent first")
    return found


class _Parent:
    """Lua's parent handle: ``parent.f(self, ...)`` runs the parent class's ``f`` on ``self``."""

    def __init__(self, base):
        object.__setattr__(self, "_base", base)

    def __getattr__(self, name):
        base = object.__getattribute__(self, "_base")
        if name == _LUA_INIT:
            lua_init = getattr(base, _LUA_INIT, None)
            if lua_init is not None:
                return lua_init
            return lambda obj, *args: base.__init__(obj, *args) if base is not LuaObject else None
        return getattr(base, name, None)


def _caller_globals():
    # The globals of the code that called into compat.lua: Lua's global table for translated code.
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("compat.lua"):
        frame = frame.f_back
    return None if frame is None else frame.f_globals


def torch_class(name, parent=None, env=None):
    """Lua ``torch.class(name [, parent])``: ``(class, parent handle)``. ``env`` is the global table
    to define ``name`` in (default: the calling module's globals)."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"torch.class: name must be a non-empty string such as 'nn.MyLayer', got {name!r}")
    base = _resolve(parent)
    package, _, short = name.rpartition(".")

    def __init__(self, *args):
        lua_init = getattr(type(self), _LUA_INIT, None)
        if lua_init is None:
            if base is not LuaObject:
                base.__init__(self, *args)
        else:
            if issubclass(base, torch.nn.Module):
                torch.nn.Module.__init__(self)           # PyTorch's bookkeeping before Lua's fields
            lua_init(self, *args)

    bases = (base,) if issubclass(base, LuaObject) else (base, LuaObject)
    cls = type(short, bases, {"__init__": __init__, "__module__": "compat.lua.classes", "lua_class": True,
                              "torch_typename": name, "__typename": name})
    _CLASSES[name] = cls
    if package:
        try:
            setattr(importlib.import_module("compat." + package), short, cls)   # torch.class registers it
        except ImportError:
            pass
    else:
        target = _caller_globals() if env is None else env
        if target is not None:
            target[name] = cls
    return cls, _Parent(base)


def typename(obj):
    """Torch7 ``torch.typename(obj)``: the Torch7 class name (``'torch.FloatTensor'``, ``'nn.Linear'``,
    a ``torch.class`` name, a metatable's ``__typename``), or None."""
    if isinstance(obj, torch.Tensor):
        return tensor_class(torch.uint8 if obj.dtype == torch.bool else obj.dtype)
    if isinstance(obj, type) and getattr(obj, "lua_class", False):
        return None                                      # a class is not an object of a class
    name = getattr(type(obj), "torch_typename", None) if not isinstance(obj, dict) else None
    if isinstance(name, str):
        return name
    if isinstance(obj, torch.nn.Module) and type(obj).__module__.startswith("compat.nn"):
        return "nn." + type(obj).__name__
    name = getattr(obj, "torch_typename", None) if not isinstance(obj, dict) else None
    if isinstance(name, str):
        return name
    meta = get_metatable(obj)
    if isinstance(meta, dict):
        value = dict.get(meta, "__typename")
        return value if isinstance(value, str) else None
    return None


def torch_type(obj):
    """Torch7 ``torch.type(obj)``: :func:`typename` when there is one, else Lua's ``type(obj)``."""
    return typename(obj) or lua_type(obj)


def _names(obj):
    if isinstance(obj, type):
        classes = obj.__mro__
    else:
        classes = type(obj).__mro__
    names = [c.__dict__["torch_typename"] for c in classes if isinstance(c.__dict__.get("torch_typename"), str)]
    own = typename(obj) if not isinstance(obj, type) else None
    return ([own] if own and own not in names else []) + names


def isTypeOf(obj, spec):
    """Torch7 ``torch.isTypeOf(obj, spec)``: whether ``obj``'s class or one of its parents has a name
    that the Lua pattern ``spec`` matches (``spec`` may also be a class)."""
    if isinstance(spec, type):
        spec = spec.__dict__.get("torch_typename") or spec.__name__
    if not isinstance(spec, str):
        raise TypeError(f"torch.isTypeOf: spec must be a class name (a Lua pattern) or a class, got {spec!r}")
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return False
    return any(match(name, spec) is not None for name in _names(obj))


def getmetatable(name):
    """Torch7 ``torch.getmetatable(name)``: the class registered under the Lua name ``name``, or None."""
    if name in _CLASSES:
        return _CLASSES[name]
    package, _, short = name.rpartition(".") if isinstance(name, str) else ("", "", "")
    if package:
        try:
            found = getattr(importlib.import_module("compat." + package), short, None)
        except ImportError:
            found = None
        return found if isinstance(found, type) else None
    return None
