"""Lua values and operators: truthiness, ``and``/``or``, ``..``, ``tostring``/``tonumber``/``type``,
``print``, the numeric ``for``, ``select``/``unpack``, ``pcall``/``error``/``assert``.

Lua has one number type (a double): ``3`` and ``3.0`` print the same (``%.14g``); only ``nil`` and
``false`` are false (``0`` and ``""`` are true).
"""
import builtins
import math

import torch

from compat.lua.storages import LongStorage
from compat.t7.objects import T7Storage
from compat.torch_extras import lua_tostring

__all__ = [
    "LuaError",
    "and_",
    "assert_",
    "concat",
    "div",
    "eq",
    "error",
    "expand",
    "first",
    "iterate",
    "or_",
    "pcall",
    "print",
    "range",
    "select",
    "tonumber",
    "tostring",
    "truth",
    "type",
    "unpack",
    "values",
]


class LuaError(RuntimeError):
    """An error raised by Lua's ``error(msg)`` (``msg`` may be any Lua value: ``.value``)."""

    def __init__(self, value):
        super().__init__(value if isinstance(value, str) else lua_tostring(value))
        self.value = value


def truth(value):
    """Lua's truth: everything is true except ``nil`` (None) and ``false`` (0, "" and tensors are true)."""
    return value is not None and value is not False


def and_(a, b):
    """Lua ``a and b``: ``a`` when it is false/nil, else ``b()`` (``b`` is a thunk: short-circuit)."""
    return b() if truth(a) else a


def or_(a, b):
    """Lua ``a or b``: ``a`` when it is true in Lua's sense, else ``b()`` (``b`` is a thunk)."""
    return a if truth(a) else b()


def div(a, b):
    """Lua ``a / b``: float division, but an exact quotient of two integers stays an int (Lua has one
    number type, and Python APIs such as tensor sizes want ints); division by zero gives inf or nan
    as in Lua; an integer tensor divided by a number truncates as Torch7 does (``IntTensor{7}/2`` is
    3); other tensors divide as PyTorch does."""
    if isinstance(a, torch.Tensor) and not a.is_floating_point() and isinstance(b, (int, float)):
        return torch.div(a, int(b), rounding_mode="trunc")  # Torch7: C division on integer tensors
    both_ints = isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool)
    if both_ints and b != 0 and a % b == 0:
        return a // b
    if isinstance(b, (int, float)) and not isinstance(b, bool) and b == 0 and isinstance(a, (int, float)):
        if a == 0 or math.isnan(a):
            return float("nan")
        return math.copysign(float("inf"), a) * math.copysign(1.0, b)
    return a / b


def eq(a, b):
    """Lua ``a == b``: tables, tensors and objects are equal only to themselves; numbers and strings
    by value."""
    if isinstance(a, (int, float, str, bool)) or a is None:
        return type(a) == type(b) and a == b if isinstance(a, str) or isinstance(b, str) else a == b \
            if isinstance(b, (int, float, bool)) or b is None else False
    return a is b


def tostring(value):
    """Lua ``tostring``: numbers as ``%.14g`` (``3.0`` -> ``'3'``), ``true``/``false``/``nil``, tensors
    as Torch7 prints them."""
    if isinstance(value, (torch.Size, LongStorage)):
        from compat.lua.printing import size_tostring
        return size_tostring(value)
    if isinstance(value, T7Storage):                # also a storage read from a .t7 file
        from compat.lua.printing import storage_tostring
        return storage_tostring(value.tensor.tolist(), value.torch_typename)
    if isinstance(value, torch.Tensor):
        if value.ndim == 0:
            return lua_tostring(value.item())
        from compat.lua.printing import tensor_tostring
        return tensor_tostring(value)
    return lua_tostring(value)


def concat(*parts):
    """Lua ``a .. b .. c``: strings and numbers only (numbers formatted as ``%.14g``)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, (int, float)) and not isinstance(part, bool):
            out.append(lua_tostring(part))
        else:
            raise TypeError(f"attempt to concatenate a {type(part)} value ({part!r}): '..' takes strings "
                            "and numbers only")
    return "".join(out)


def print(*values):
    """Lua ``print(a, b, ...)``: each value through ``tostring``, separated by tabs."""
    builtins.print("\t".join(tostring(v) for v in values))


def tonumber(value, base=None):
    """Lua ``tonumber(v [, base])``: a number, or None (nil) when ``v`` is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if base is not None:
            return int(text, int(base))
        if text.lower().lstrip("+-").startswith("0x"):
            return int(text, 16)
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def type(value):
    """Lua ``type(v)``: 'nil', 'boolean', 'number', 'string', 'table', 'function' or 'userdata'."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (dict, list, tuple)) and not isinstance(value, (LongStorage, torch.Size)):
        return "table"
    if callable(value) and not isinstance(value, torch.nn.Module):
        return "function"
    return "userdata"


def range(start, stop, step=1):
    """Lua ``for i = start, stop, step``: ``stop`` is inclusive; steps may be negative or fractional."""
    if step == 0:
        raise ValueError("'for' step is zero")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return builtins.range(start, stop + (1 if step > 0 else -1), step)
    return _float_range(start, stop, step)


def _float_range(start, stop, step):
    # Lua 5.1 / LuaJIT: the loop variable is start + k*step accumulated, while it stays within stop.
    i = start
    while (i <= stop) if step > 0 else (i >= stop):
        yield i
        i = i + step


def first(values):
    """The first of several returned values (a tuple), as Lua keeps in a single-value context."""
    if isinstance(values, tuple) and not isinstance(values, torch.Size):
        return values[0] if values else None
    return values


def select(n, *args):
    """Lua ``select('#', ...)`` (the count) or ``select(n, ...)`` (the values from the n-th on)."""
    if n == "#":
        return len(args)
    n = int(n)
    return args[n - 1:] if n > 0 else args[n:]


def unpack(t, i=1, j=None):
    """Lua ``unpack(t [, i [, j]])``: the values ``t[i] .. t[j]`` as a tuple."""
    from compat.lua.tables import index, length
    j = length(t) if j is None else j
    return tuple(index(t, k) for k in builtins.range(int(i), int(j) + 1))


def pcall(f, *args):
    """Lua ``pcall(f, ...)``: ``(True, results...)`` or ``(False, message)``."""
    try:
        result = f(*args)
    except LuaError as e:
        return False, e.value
    except Exception as e:  # noqa: BLE001 (pcall catches every error, as in Lua)
        return False, str(e)
    return (True, *result) if isinstance(result, tuple) else (True, result)


def error(message=None, level=None):
    """Lua ``error(msg)``: raises :class:`LuaError`."""
    raise LuaError(message)


def assert_(value, message=None, *rest):
    """Lua ``assert(v [, msg])``: ``v`` when true, else an error with ``msg`` ("assertion failed!")."""
    if not truth(value):
        raise LuaError(message if message is not None else "assertion failed!")
    return value



def values(result, count):
    """``count`` values of a call, as Lua adjusts them (missing ones nil, extra ones dropped)."""
    if isinstance(result, tuple) and not isinstance(result, torch.Size):
        items = list(result)
    else:
        items = [result]
    return tuple(items[:count] + [None] * (count - len(items)))


def expand(result):
    """Every value of a call as a tuple (a function of several results gives a tuple, others one)."""
    return tuple(result) if isinstance(result, tuple) and not isinstance(result, torch.Size) else (result,)


def iterate(function, state=None, control=None):
    """Lua's generic ``for`` over ``f, s, c`` (call ``f(s, c)`` until nil), or over a Python iterable."""
    if not callable(function):
        yield from function
        return
    while True:
        result = function(state, control)
        first_value = result[0] if isinstance(result, tuple) else result
        if first_value is None:
            return
        control = first_value
        yield result
