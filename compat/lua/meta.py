"""Lua metatables: where a value's metatable is kept and how a metamethod is found.

A Lua table here is a :class:`compat.t7.objects.T7Table` (``compat.lua.Table`` is one); its metatable
lives in the table's ``_metatable`` slot. An object of a ``torch.class`` class has its class as
metatable (as in Torch7, where the class table is the instances' metatable). This module knows no
other part of ``compat.lua``, so every helper may ask it.
"""
from compat.t7.objects import T7Table

__all__ = ["get_metatable", "lookup", "metamethod", "set_metatable"]


def get_metatable(value):
    """The metatable of ``value`` (a dict, or a ``torch.class`` class), or None."""
    if isinstance(value, T7Table):
        try:
            return object.__getattribute__(value, "_metatable")
        except AttributeError:
            return None
    cls = type(value)
    return cls if getattr(cls, "lua_class", False) else None


def set_metatable(table, metatable):
    """Give the Lua table ``table`` the metatable ``metatable`` (None removes it)."""
    object.__setattr__(table, "_metatable", metatable)


def metamethod(value, event):
    """The metamethod ``event`` (``'__add'``, ``'__index'``, ...) of ``value``, raw (no ``__index`` of
    the metatable itself is consulted, as Lua's ``luaT_gettmbyobj``), or None."""
    meta = get_metatable(value)
    if meta is None:
        return None
    if isinstance(meta, dict):
        return dict.get(meta, event)
    return getattr(meta, event, None)         # a torch.class class: its own or a parent's


def lookup(table, key, fallback):
    """Lua ``table[key]`` for a dict: the raw entry, else what the ``__index`` chain gives: a function
    is called as ``f(table, key)``, a table is indexed in turn; ``fallback(handler, key)`` indexes a
    handler that is neither (a tensor, an object)."""
    for _ in range(100):                     # Lua's MAXTAGLOOP: an __index loop is an error
        value = dict.get(table, key)
        if value is not None:
            return value
        handler = metamethod(table, "__index")
        if handler is None:
            return None
        if isinstance(handler, dict):
            table = handler
            continue
        if callable(handler) and not isinstance(handler, type):
            return handler(table, key)
        return fallback(handler, key)
    raise RuntimeError(f"loop in gettable: the __index chain of key {key!r} has more than 100 tables")
