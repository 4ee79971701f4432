"""Torch7's ``torch.class(name [, parent])``: a class defined method by method, as Lua scripts write
custom ``nn`` modules (``function MyLayer:updateOutput(input) ... end``).

``Foo, parent = torch_class('nn.Foo', 'nn.Module')`` gives a Python class (a subclass of
``compat.nn.Module`` here) and a handle on the parent whose functions take ``self`` explicitly, as
Lua's ``parent.__init(self)`` and ``parent.updateOutput(self, input)`` do. Creating ``Foo(...)`` calls
the Lua constructor ``Foo.__init`` (set afterwards, as a plain attribute named ``__init``); a class
named ``nn.Foo`` becomes ``compat.nn.Foo``, as it became ``nn.Foo`` in Lua.
"""
import importlib

__all__ = ["torch_class"]

_LUA_INIT = "__init"


def _resolve(parent):
    if parent is None:
        return object
    if isinstance(parent, type):
        return parent
    package, _, short = parent.rpartition(".")
    module = importlib.import_module("compat." + package) if package else None
    found = getattr(module, short, None) if module is not None else None
    if not isinstance(found, type):
        raise ValueError(f"torch.class: parent {parent!r} is not a class compat provides (e.g. 'nn.Module')")
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
            return lambda obj, *args: base.__init__(obj, *args) if base is not object else None
        return getattr(base, name)


def torch_class(name, parent=None):
    """Lua ``torch.class(name [, parent])``: ``(class, parent handle)``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"torch.class: name must be a non-empty string such as 'nn.MyLayer', got {name!r}")
    base = _resolve(parent)
    package, _, short = name.rpartition(".")

    def __init__(self, *args):
        lua_init = getattr(type(self), _LUA_INIT, None)
        if lua_init is None:
            if base is not object:
                base.__init__(self, *args)
        else:
            lua_init(self, *args)

    cls = type(short, (base,), {"__init__": __init__, "__module__": "compat.lua.classes",
                                "torch_typename": lambda self: name})
    if package:
        try:
            setattr(importlib.import_module("compat." + package), short, cls)   # torch.class registers it
        except ImportError:
            pass
    return cls, _Parent(base)
