"""Lua tables in Python: :class:`Table`, and indexing that keeps Lua's meaning on any value.

A Lua sequence (``{a, b, c}``) is a Python ``list`` (element ``t[1]`` is ``lst[0]``); every other
table is a :class:`Table`, a ``dict`` keyed by the Lua keys (``t.x`` is ``t['x']``, ``t[1]`` is
``t[1]``). :func:`index`, :func:`setindex`, :func:`length` and the iterators dispatch on the value
(list, dict, tensor, string) so that translated code does what the Lua did whatever it holds.
"""
import functools

import torch

from compat.lua.storages import LongStorage, storage_index, storage_setindex
from compat.lua.values import truth
from compat.t7.objects import T7Storage, T7Table

__all__ = ["LuaDataset", "Table", "getmetatable", "index", "insert", "ipairs", "length", "pairs", "remove",
           "setindex", "setmetatable", "table"]


class Table(T7Table):
    """A Lua table that is not a plain sequence: a ``dict`` with attribute access and Lua's ``nil``.

    ``t.x`` and ``t['x']`` are the same entry; a missing key reads as ``None`` (Lua's nil) unless a
    metatable's ``__index`` (set by :func:`setmetatable`) provides it; assigning ``None`` removes the
    key. Integer keys are Lua's (1-based), unshifted.
    """

    __slots__ = ("_metatable",)

    def __missing__(self, key):
        meta = getmetatable(self)
        handler = None if meta is None else meta.get("__index")
        if handler is None:
            return None
        if callable(handler) and not isinstance(handler, dict):
            return handler(self, key)
        return index(handler, key)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __setitem__(self, key, value):
        if value is None:
            self.pop(key, None)
        else:
            super().__setitem__(key, value)

    def __repr__(self):
        return f"Table({dict.__repr__(self)})"


class LuaDataset(Table):
    """The Lua dataset idiom: a table ``{data=, labels=, size=}`` whose ``ds[i]`` (``i`` 1-based) is
    ``[data[i], labels[i]]``, what ``setmetatable(ds, {__index = function(t, i) return {t.data[i],
    t.labels[i]} end})`` gave in Lua. ``nn.StochasticGradient.train`` accepts it.
    """

    __slots__ = ()

    def __missing__(self, key):
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            return [index(self["data"], key), index(self["labels"], key)]
        return super().__missing__(key)


def setmetatable(t, metatable):
    """Lua ``setmetatable(t, mt)`` for a :class:`Table`: ``mt.__index`` (a function or a table)
    answers the keys ``t`` lacks. Other metamethods are kept in ``mt`` but not applied."""
    if not isinstance(t, Table):
        raise TypeError(f"setmetatable: t must be a compat.lua.Table (a translated Lua table), got "
                        f"{type(t).__name__}; wrap it first: Table(t)")
    object.__setattr__(t, "_metatable", metatable)
    return t


def getmetatable(t):
    """Lua ``getmetatable(t)``: the metatable given to :func:`setmetatable`, or None."""
    try:
        return object.__getattribute__(t, "_metatable")
    except AttributeError:
        return None


def _position(key, what):
    # Lua numbers are doubles: 2.0 is the key 2.
    if isinstance(key, bool) or not isinstance(key, (int, float)) or key != int(key):
        raise TypeError(f"{what}: a sequence (Python list) is indexed by integers, got {key!r}")
    return int(key)


def index(obj, key):
    """Lua ``obj[key]`` on any value.

    - list/tuple/``torch.Size`` (a Lua sequence): ``obj[key - 1]``; nil (None) outside ``1..#obj``;
    - dict/:class:`Table`: ``obj[key]`` (nil when missing);
    - tensor: Torch7's ``t[i]`` (a **number** for a 1-D tensor, ``select`` otherwise), ``t[{...}]``
      (a list of per-dimension entries: ``i``, ``{}``, ``{i}``, ``{a, b}`` inclusive, negative from the
      end), a ByteTensor/bool mask or a LongTensor of 1-based indices;
    - string: the string library (``s:len()`` style, ``("x").len``);
    - a Torch7 storage: its ``key``-th element (1-based);
    - anything else: its attribute ``key``.
    """
    if isinstance(obj, torch.Tensor):
        from compat.lua.tensors import tensor_index
        return tensor_index(obj, key)
    if isinstance(obj, T7Storage):
        return storage_index(obj, key)
    if isinstance(obj, (list, tuple)):
        i = _position(key, "index")
        return obj[i - 1] if 1 <= i <= len(obj) else None
    if isinstance(obj, dict):
        return obj.get(key) if not isinstance(obj, Table) else obj[key]
    if isinstance(obj, str):
        from compat.lua import strings
        return getattr(strings.string, key, None)
    if obj is None:
        raise TypeError(f"attempt to index a nil value (key {key!r})")
    if isinstance(key, str):
        return getattr(obj, key, None)
    return obj[key]


def setindex(obj, key, value):
    """Lua ``obj[key] = value`` on any value (see :func:`index`): a list grows by one at ``#t + 1``;
    a tensor entry is filled (number) or copied into (tensor of the same number of elements)."""
    if isinstance(obj, torch.Tensor):
        from compat.lua.tensors import tensor_setindex
        tensor_setindex(obj, key, value)
    elif isinstance(obj, T7Storage):
        storage_setindex(obj, key, value)
    elif isinstance(obj, list):
        i = _position(key, "setindex")
        if 1 <= i <= len(obj):
            if value is None and i == len(obj):
                obj.pop()
            else:
                obj[i - 1] = value
        elif i == len(obj) + 1:
            if value is not None:
                obj.append(value)
        else:
            raise IndexError(f"setindex: position {i} is outside 1..{len(obj) + 1} of a sequence of "
                             f"{len(obj)}: a Python list cannot hold a hole")
    elif isinstance(obj, dict):
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    elif obj is None:
        raise TypeError(f"attempt to index a nil value (key {key!r})")
    elif isinstance(key, str):
        setattr(obj, key, value)
    else:
        obj[key] = value


def length(obj):
    """Lua ``#obj``: string/list length, the border of a table (``t[1] .. t[n]`` non-nil), and for a
    tensor its sizes (a LongStorage: ``(#x)[1]`` is ``x:size(1)``)."""
    if isinstance(obj, torch.Tensor):
        return LongStorage(obj.shape) if obj.numel() else LongStorage()
    if isinstance(obj, (str, list, tuple)):
        return len(obj)
    if isinstance(obj, dict):
        n = 0
        while dict.get(obj, n + 1) is not None:
            n += 1
        return n
    if obj is None:
        raise TypeError("attempt to get length of a nil value")
    return len(obj)


def ipairs(t):
    """Lua ``ipairs(t)``: ``(1, t[1]), (2, t[2]), ...`` up to the first nil."""
    if isinstance(t, (list, tuple)):
        for i, v in enumerate(t, 1):
            if v is None:
                return
            yield i, v
        return
    i = 1
    while True:
        v = index(t, i)
        if v is None:
            return
        yield i, v
        i += 1


def pairs(t):
    """Lua ``pairs(t)``: ``(key, value)`` of every non-nil entry (a list's keys are 1..n)."""
    if isinstance(t, (list, tuple)):
        return [(i, v) for i, v in enumerate(t, 1) if v is not None]
    if isinstance(t, dict):
        return [(k, v) for k, v in list(t.items()) if v is not None]
    raise TypeError(f"bad argument #1 to 'pairs' (table expected, got {type(t).__name__})")


_APPEND = object()


def insert(t, pos, value=_APPEND):
    """Lua ``table.insert(t, v)`` (append ``v``) or ``table.insert(t, pos, v)`` (shift up from pos)."""
    if value is _APPEND:
        pos, value = length(t) + 1, pos
    pos = _position(pos, "table.insert")
    if isinstance(t, list):
        t.insert(pos - 1, value)
        return
    for k in range(length(t), pos - 1, -1):
        t[k + 1] = t[k]
    t[pos] = value


def remove(t, pos=None):
    """Lua ``table.remove(t [, pos])``: removes and returns ``t[pos]`` (default the last)."""
    n = length(t)
    if n == 0:
        return None
    pos = n if pos is None else int(pos)
    if isinstance(t, list):
        return t.pop(pos - 1)
    value = t[pos]
    for k in range(pos, n):
        t[k] = t[k + 1]
    t.pop(n, None)
    return value


def _concat(t, sep="", i=1, j=None):
    from compat.lua.values import concat
    j = length(t) if j is None else j
    return sep.join(concat(index(t, k)) for k in range(int(i), int(j) + 1))


def _sort(t, comp=None):
    if not isinstance(t, list):
        raise TypeError(f"table.sort: expecting a sequence (Python list), got {type(t).__name__}")
    if comp is None:
        t.sort()
    else:
        t.sort(key=functools.cmp_to_key(lambda a, b: -1 if truth(comp(a, b)) else (1 if truth(comp(b, a)) else 0)))


class _TableLibrary:
    """Lua's ``table`` library: ``insert``, ``remove``, ``concat``, ``sort``, ``unpack``."""

    insert = staticmethod(insert)
    remove = staticmethod(remove)
    concat = staticmethod(_concat)
    sort = staticmethod(_sort)

    @staticmethod
    def unpack(t, i=1, j=None):
        from compat.lua.values import unpack
        return unpack(t, i, j)


table = _TableLibrary()


def next(t, key=None):
    """Lua ``next(t [, key])``: the entry after ``key`` (the first when nil), or None."""
    entries = pairs(t)
    keys = [k for k, _ in entries]
    position = 0 if key is None else keys.index(key) + 1
    return entries[position] if position < len(entries) else None


def rawget(t, key):
    """Lua ``rawget``: ``t[key]`` without the metatable."""
    return dict.get(t, key) if isinstance(t, dict) else index(t, key)


def rawset(t, key, value):
    """Lua ``rawset``: ``t[key] = value`` without the metatable."""
    setindex(t, key, value)
    return t


def rawequal(a, b):
    """Lua ``rawequal``: identity for tables, equality for other values."""
    return a is b if isinstance(a, (dict, list)) else a == b
