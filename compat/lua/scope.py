"""Lua's loop variables in translated code: a generic ``for`` gives each of its names a value.

    for k in pairs(t)          ->  for k, _ in lua.pairs(t)
    for a, b in f, s, c        ->  for a, b in lua_scope.each(lua.iterate(f, s, c), 2)
    for w in s:gmatch('%a+')   ->  for w in lua_scope.each(lua.string.gmatch(s, '%a+'), 1)
"""
import torch

__all__ = ["each"]


def _several(item):
    return isinstance(item, tuple) and not isinstance(item, torch.Size)


def each(iterable, count):
    """The loop variables of Lua's generic ``for`` with ``count`` names: each value the iterator gives
    (one value or a tuple of several) adjusted to ``count`` (extra values dropped, missing ones nil);
    one variable gets the first value itself."""
    for item in iterable:
        items = item if _several(item) else (item,)
        if count == 1:
            yield items[0] if items else None
        else:
            yield tuple(items[:count]) + (None,) * (count - len(items))
