"""Lua's variables in translated code: the loop variables of a generic ``for`` and the table of
globals ``_G``.

    for k in pairs(t)          ->  for k, _ in lua.pairs(t)
    for a, b in f, s, c        ->  for a, b in lua_scope.each(lua.iterate(f, s, c), 2)
    _G.x = 1; _G['y']          ->  G = lua_scope.Globals(globals()); G.x = 1; lua.index(G, 'y')
"""
import torch

__all__ = ["Globals", "each"]


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


class Globals:
    """Lua's ``_G`` over a module's globals: ``G.x`` and ``G['x']`` read the global ``x`` (nil when it
    does not exist) and assigning them sets it (nil removes it)."""

    __slots__ = ("_names",)

    def __init__(self, names):
        if not isinstance(names, dict):
            raise TypeError(f"Globals(names): expected the dict of a module's globals, got {type(names).__name__}")
        object.__setattr__(self, "_names", names)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._names.get(name)

    def __setattr__(self, name, value):
        self[name] = value

    def __getitem__(self, name):
        return self._names.get(name)

    def __setitem__(self, name, value):
        if value is None:
            self._names.pop(name, None)
        else:
            self._names[name] = value

    def __iter__(self):
        return iter([name for name in self._names if not name.startswith("__")])

    def __len__(self):
        return 0        # Lua's # of _G: the globals have no sequence part

    def items(self):
        return [(k, v) for k, v in self._names.items() if not k.startswith("__") and v is not None]
