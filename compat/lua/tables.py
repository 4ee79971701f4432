"""Lua tables in Python: :class:`Table`, and indexing that keeps Lua's meaning on any value.

A Lua sequence (``{a, b, c}``) is a Python ``list`` (element ``t[1]`` is ``lst[0]``); every other
table is a :class:`Table`, a ``dict`` keyed by the Lua keys (``t.x`` is ``t['x']``, ``t[1]`` is
``t[1]``). A table read from a ``.t7`` file (:class:`compat.t7.objects.T7Table`) is a Lua table too:
:func:`index` gives nil for its absent keys, and :func:`setmetatable` turns it into a :class:`Table`
in place. :func:`index`, :func:`setindex`, :func:`length` and the iterators dispatch on the value
(list, dict, tensor, string, object) so that translated code does what the Lua did whatever it holds.
"""
import torch

from compat.lua.meta import get_metatable, lookup, metamethod, set_metatable
from compat.lua.storages import LongStorage, storage_index, storage_setindex
from compat.lua.strings import string
from compat.lua.tensors import tensor_index, tensor_setindex
from compat.lua.values import LuaError, LuaOperators, LuaTypeError, coerce_number, first, lt, truth
from compat.lua.values import type as lua_type
from compat.t7.objects import T7Object, T7Storage, T7Table
from compat.torch_extras import lua_tostring

__all__ = ["Globals", "LuaDataset", "Table", "getmetatable", "index", "insert", "ipairs", "length", "next",
           "pairs", "rawequal", "rawget", "rawset", "remove", "setindex", "setmetatable", "table", "unpack"]


class Table(LuaOperators, T7Table):
    """A Lua table that is not a plain sequence: a ``dict`` with attribute access and Lua's ``nil``.

    ``t.x`` and ``t['x']`` are the same entry; a missing key reads as ``None`` (Lua's nil) unless the
    metatable's ``__index`` (set by :func:`setmetatable`) provides it; assigning ``None`` removes the
    key; assigning a new key goes to ``__newindex`` when the metatable has one. Python's operators
    apply the metamethods (``a + b`` is ``__add``, ``t(...)`` is ``__call``, ``a < b`` is ``__lt``).
    Integer keys are Lua's (1-based), unshifted.
    """

    __slots__ = ()

    def __missing__(self, key):
        handler = metamethod(self, "__index")
        if handler is None:
            return None
        if isinstance(handler, dict):
            return lookup(handler, key, index)
        if callable(handler) and not isinstance(handler, type):
            return first(handler(self, key))
        return index(handler, key)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self[name]

    def __setitem__(self, key, value):
        if not dict.__contains__(self, key):
            handler = metamethod(self, "__newindex")
            if handler is not None:
                if callable(handler) and not isinstance(handler, dict):
                    handler(self, key, value)
                else:
                    setindex(handler, key, value)
                return
        if value is None:
            self.pop(key, None)
        else:
            super().__setitem__(key, value)

    def __call__(self, *args):
        handler = metamethod(self, "__call")
        if handler is None:
            raise LuaTypeError("attempt to call a table value")
        return handler(self, *args)

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


class Globals:
    """Lua's ``_G`` over a module's globals (``lua.Globals(globals())``): ``_G.x``, ``_G['x']``,
    ``_G.x = v`` and ``pairs(_G)`` read and write the same variables as the translated code; an
    absent name is nil and assigning nil removes it."""

    __slots__ = ("_env",)

    def __init__(self, env):
        if not isinstance(env, dict):
            raise TypeError(f"Globals: env must be a module's globals() dict, got {type(env).__name__}")
        object.__setattr__(self, "_env", env)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return object.__getattribute__(self, "_env").get(name)

    def __setattr__(self, name, value):
        self[name] = value

    def __getitem__(self, key):
        return object.__getattribute__(self, "_env").get(key)

    def __setitem__(self, key, value):
        env = object.__getattribute__(self, "_env")
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value

    def items(self):
        env = object.__getattribute__(self, "_env")
        return [(k, v) for k, v in env.items() if not (isinstance(k, str) and k.startswith("__"))]


def setmetatable(t, metatable):
    """Lua ``setmetatable(t, mt)``: gives the table ``t`` the metatable ``mt`` (nil removes it) and
    returns ``t``. A table read from a ``.t7`` file becomes a :class:`Table` (same object)."""
    if not isinstance(t, T7Table):
        kind = f"a Python {type(t).__name__}; build the table as compat.lua.Table" \
            if isinstance(t, (list, dict)) else f"a {lua_type(t)} ({type(t).__name__})"
        raise TypeError(f"bad argument #1 to 'setmetatable' (table expected, got {kind})")
    if metatable is not None and not isinstance(metatable, dict):
        raise TypeError(f"bad argument #2 to 'setmetatable' (nil or table expected, got {lua_type(metatable)})")
    current = get_metatable(t)
    if current is not None and dict.get(current, "__metatable") is not None:
        raise LuaError("cannot change a protected metatable")
    if type(t) is T7Table:
        object.__setattr__(t, "__class__", Table)
    set_metatable(t, metatable)
    return t


def getmetatable(value):
    """Lua ``getmetatable(v)``: the metatable (its ``__metatable`` field when it has one), or None;
    the class of a ``torch.class`` object."""
    meta = get_metatable(value)
    if isinstance(meta, dict) and dict.get(meta, "__metatable") is not None:
        return dict.get(meta, "__metatable")
    return meta


_Tensor = torch.Tensor


def _position(key, what):
    # Lua numbers are doubles: 2.0 is the key 2.
    number = key if not isinstance(key, str) else None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number):
        raise TypeError(f"{what}: a sequence (Python list) is indexed by integers, got {key!r}")
    return int(number)


def _field(handler, key):
    return index(handler, key)


def index(obj, key):
    """Lua ``obj[key]`` on any value.

    - list/tuple/``torch.Size`` (a Lua sequence): ``obj[key - 1]``; nil (None) outside ``1..#obj``;
    - dict/:class:`Table`/``.t7`` table: ``obj[key]``, nil when missing, through ``__index``;
    - tensor: Torch7's ``t[i]`` (a **number** for a 1-D tensor, ``select`` otherwise), ``t[{...}]``
      (a list of per-dimension entries: ``i``, ``{}``, ``{i}``, ``{a, b}`` inclusive, negative from the
      end), a ByteTensor/bool mask or a LongTensor of 1-based indices;
    - string: the string library (``s:len()`` style, ``("x").len``);
    - a Torch7 storage: its ``key``-th element (1-based);
    - anything else (an ``nn`` module, a ``torch.class`` object): its attribute ``key``, nil when absent.
    """
    cls = type(obj)                 # the common cases first, decided on exact types
    kind = type(key)
    if kind is float and key.is_integer():
        key, kind = int(key), int   # Lua numbers are doubles: 2.0 is the key 2 (a tensor's element, say)
    if kind is int and key > 0 and cls is list:
        return obj[key - 1] if key <= len(obj) else None
    if cls is _Tensor:
        return tensor_index(obj, key)
    if cls is Table:
        return obj[key]
    if isinstance(obj, torch.Tensor):
        return tensor_index(obj, key)
    if isinstance(obj, T7Storage):
        return storage_index(obj, key)
    if isinstance(obj, (list, tuple)):
        if isinstance(key, str):
            return None
        i = _position(key, "index")
        return obj[i - 1] if 1 <= i <= len(obj) else None
    if isinstance(obj, Table):
        return obj[key]
    if isinstance(obj, dict):
        return lookup(obj, key, _field)
    if isinstance(obj, str):
        return getattr(string, key, None) if isinstance(key, str) else None
    if obj is None:
        raise LuaTypeError(f"attempt to index a nil value (key {key!r})")
    if isinstance(key, str):
        return getattr(obj, key, None)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError):
        return None


def setindex(obj, key, value):
    """Lua ``obj[key] = value`` on any value (see :func:`index`): a list grows by one at ``#t + 1``;
    a tensor entry is filled (a number, or a numeric string) or copied into (a tensor of the same
    number of elements)."""
    if type(key) is int and key > 0 and type(obj) is list and key <= len(obj) and value is not None:
        obj[key - 1] = value        # the common case first, decided on exact types
        return
    if key is None:
        raise LuaError("table index is nil")
    if isinstance(obj, torch.Tensor):
        if isinstance(value, str):
            number = coerce_number(value)
            if number is None:
                raise LuaError(f"bad argument #3 to '__newindex' (number expected, got string {value!r})")
            value = number
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
                             f"{len(obj)}: a Python list cannot hold a hole; use compat.lua.Table for a "
                             f"sparse table")
    elif isinstance(obj, Table):
        obj[key] = value
    elif isinstance(obj, dict):
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    elif obj is None:
        raise LuaTypeError(f"attempt to index a nil value (key {key!r})")
    elif isinstance(key, str):
        setattr(obj, key, value)
    else:
        obj[key] = value


def _border(t):
    n = 0
    while dict.get(t, n + 1) is not None:
        n += 1
    return n


def length(obj):
    """Lua ``#obj``: string/list length, the border of a table (``t[1] .. t[n]`` non-nil; as in
    LuaJIT, a table's ``__len`` is not consulted), and for a tensor its sizes (a LongStorage:
    ``(#x)[1]`` is ``x:size(1)``)."""
    if isinstance(obj, torch.Tensor):
        return LongStorage(obj.shape) if obj.numel() else LongStorage()
    if isinstance(obj, (str, list, tuple)):
        return len(obj)
    if isinstance(obj, dict):
        return _border(obj)
    if obj is None:
        raise LuaTypeError("attempt to get length of a nil value")
    if getattr(type(obj), "lua_class", False):
        return _border(vars(obj))
    if isinstance(obj, T7Object):
        return _border(obj.table)
    return len(obj)


def ipairs(t):
    """Lua ``ipairs(t)``: ``(1, t[1]), (2, t[2]), ...`` up to the first nil."""
    if isinstance(t, (list, tuple)):
        for i, v in enumerate(t, 1):
            if v is None:
                return
            yield i, v
        return
    if t is None:
        raise LuaError("bad argument #1 to 'ipairs' (table expected, got nil)")
    i = 1
    while True:
        v = index(t, i)
        if v is None:
            return
        yield i, v
        i += 1


def _entries(t):
    if isinstance(t, (list, tuple)):
        return [(i, v) for i, v in enumerate(t, 1) if v is not None]
    if isinstance(t, dict):
        n = _border(t)
        entries = [(i, dict.__getitem__(t, i)) for i in range(1, n + 1)]   # Lua's array part first
        entries += [(k, v) for k, v in list(t.items())
                    if v is not None and not (isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= n)]
        return entries
    if isinstance(t, Globals):
        return t.items()
    if isinstance(t, T7Object):
        return _entries(t.table)
    if getattr(type(t), "lua_class", False):
        return [(k, v) for k, v in vars(t).items() if v is not None]
    raise LuaError(f"bad argument #1 to 'pairs' (table expected, got {lua_type(t)})")


def pairs(t):
    """Lua ``pairs(t)``: ``(key, value)`` of every non-nil entry: the sequence part ``1..#t`` in
    order, then the other keys in the order they were first set (Lua's own order of those is its
    hash order, which no program can rely on)."""
    return _entries(t)


def next(t, key=None):
    """Lua ``next(t [, key])``: the entry after ``key`` (the first when nil), or None."""
    entries = _entries(t)
    if key is None:
        return entries[0] if entries else None
    for position, (k, _) in enumerate(entries):
        if k == key and type(k) is not bool:
            return entries[position + 1] if position + 1 < len(entries) else None
    raise LuaError("invalid key to 'next'")


_APPEND = object()


def insert(t, pos, value=_APPEND):
    """Lua ``table.insert(t, v)`` (append ``v``) or ``table.insert(t, pos, v)`` (shift up from pos)."""
    if value is _APPEND:
        pos, value = length(t) + 1, pos
    pos = _position(pos, "table.insert")
    if isinstance(t, list):
        if not 1 <= pos <= len(t) + 1:
            raise IndexError(f"table.insert: position {pos} is outside 1..{len(t) + 1} of a sequence "
                             f"(Python list); use compat.lua.Table for a sparse table")
        t.insert(pos - 1, value)
        return
    for k in range(length(t), pos - 1, -1):
        t[k + 1] = dict.get(t, k)
    t[pos] = value


def remove(t, pos=None):
    """Lua ``table.remove(t [, pos])``: removes and returns ``t[pos]`` (default the last); nothing
    (nil) when ``pos`` is outside ``1..#t``."""
    n = length(t)
    if n == 0:
        return None
    pos = n if pos is None else _position(pos, "table.remove")
    if not 1 <= pos <= n:
        return None
    if isinstance(t, list):
        return t.pop(pos - 1)
    value = dict.get(t, pos)
    for k in range(pos, n):
        t[k] = dict.get(t, k + 1)
    t[n] = None
    return value


def _concat(t, sep="", i=1, j=None):
    j = length(t) if j is None else int(j)
    out = []
    for k in range(int(i), j + 1):
        v = index(t, k)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(lua_tostring(v))
        else:
            raise LuaError(f"invalid value (at index {k}) in table for 'concat'")
    return (sep if isinstance(sep, str) else lua_tostring(sep)).join(out)


def _quicksort(a, less):
    """Lua 5.1's table sort (``auxsort`` of ``ltablib.c``, also LuaJIT's): a quicksort with the median
    of three as pivot, on the 0-based list ``a``. Not stable: elements the comparator calls equal end
    where this algorithm puts them, as they did in Lua."""
    def swap(x, y):
        a[x], a[y] = a[y], a[x]

    stack = [(0, len(a) - 1)]
    while stack:
        lo, hi = stack.pop()
        while lo < hi:
            if less(a[hi], a[lo]):
                swap(lo, hi)
            if hi - lo == 1:
                break
            mid = (lo + hi) // 2
            if less(a[mid], a[lo]):
                swap(mid, lo)
            elif less(a[hi], a[mid]):
                swap(mid, hi)
            if hi - lo == 2:
                break
            pivot = a[mid]
            swap(mid, hi - 1)
            i, j = lo, hi - 1
            while True:
                i += 1
                while less(a[i], pivot):
                    if i >= hi:
                        raise LuaError("invalid order function for sorting")
                    i += 1
                j -= 1
                while less(pivot, a[j]):
                    if j <= lo:
                        raise LuaError("invalid order function for sorting")
                    j -= 1
                if j < i:
                    break
                swap(i, j)
            swap(hi - 1, i)
            if i - lo < hi - i:                  # sort the smaller part first, loop on the larger
                stack.append((lo, i - 1))
                lo = i + 1
            else:
                stack.append((i + 1, hi))
                hi = i - 1
    return a


def _sort(t, comp=None):
    less = lt if comp is None else (lambda x, y: truth(first(comp(x, y))))
    if isinstance(t, list):
        t[:] = _quicksort(list(t), less)
        return
    if not isinstance(t, dict):
        raise LuaError(f"bad argument #1 to 'sort' (table expected, got {lua_type(t)})")
    n = _border(t)
    ordered = _quicksort([dict.__getitem__(t, k) for k in range(1, n + 1)], less)
    for k, v in enumerate(ordered, 1):
        dict.__setitem__(t, k, v)


def unpack(t, i=1, j=None):
    """Lua ``unpack(t [, i [, j]])``: the values ``t[i] .. t[j]`` as a tuple."""
    j = length(t) if j is None else int(j)
    return tuple(index(t, k) for k in range(int(i), j + 1))


def _maxn(t):
    if isinstance(t, (list, tuple)):
        return len(t)
    keys = [k for k, _ in _entries(t) if isinstance(k, (int, float)) and not isinstance(k, bool) and k > 0]
    return max(keys, default=0)


def _splice(t, start=1, count=1):
    # xlua's table.splice: (the elements outside start..start+count-1, those inside)
    kept, removed = [], []
    for i, v in ipairs(t):
        (kept if i < start or i >= start + count else removed).append(v)
    return kept, removed


def _prune(t):
    # xlua's table.prune: the distinct values of the sequence (Lua's order is its hash order; here
    # the order of first appearance)
    seen = {}
    for _, v in ipairs(t):
        seen.setdefault(v, True)
    return list(seen)


class _TableLibrary:
    """Lua's ``table`` library: ``insert``, ``remove``, ``concat``, ``sort``, ``unpack``, ``getn``,
    ``maxn``, and xlua's ``splice``/``prune``."""

    insert = staticmethod(insert)
    remove = staticmethod(remove)
    concat = staticmethod(_concat)
    sort = staticmethod(_sort)
    unpack = staticmethod(unpack)
    getn = staticmethod(length)
    maxn = staticmethod(_maxn)
    splice = staticmethod(_splice)
    prune = staticmethod(_prune)


table = _TableLibrary()


def rawget(t, key):
    """Lua ``rawget``: ``t[key]`` without the metatable."""
    return dict.get(t, key) if isinstance(t, dict) else index(t, key)


def rawset(t, key, value):
    """Lua ``rawset``: ``t[key] = value`` without the metatable."""
    if isinstance(t, dict):
        if value is None:
            dict.pop(t, key, None)
        else:
            dict.__setitem__(t, key, value)
    else:
        setindex(t, key, value)
    return t


def rawequal(a, b):
    """Lua ``rawequal``: identity for tables, equality for other values."""
    return a is b if isinstance(a, (dict, list)) else a == b
