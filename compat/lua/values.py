"""Lua values and operators: truthiness, ``and``/``or``, arithmetic with Lua's string coercion and
metamethods, ``..``, comparisons, ``tostring``/``tonumber``/``type``, ``print``, the numeric ``for``,
``select``, ``pcall``/``error``/``assert``.

Lua has one number type (a double): ``3`` and ``3.0`` print the same (``%.14g`` with LuaJIT's
rounding, :mod:`compat.numformat`); only ``nil`` and ``false`` are false (``0`` and ``""`` are true);
a string that reads as a number is a number in arithmetic (``'10' + 1`` is ``11``); a table with a
metatable answers the operators through its metamethods (``__add``, ``__concat``, ``__lt``, ...).
"""
import builtins
import linecache
import math
import os
import re
import sys

import torch

from compat.lua.meta import metamethod
from compat.lua.printing import size_tostring, tensor_tostring
from compat.lua.tensors import mul as _tensor_mul
from compat.t7.objects import T7Table, lua_number
from compat.torch_extras import lua_tostring

__all__ = [
    "LuaError",
    "LuaOperators",
    "LuaTypeError",
    "add",
    "and_",
    "assert_",
    "coerce_number",
    "concat",
    "div",
    "eq",
    "error",
    "expand",
    "first",
    "iterate",
    "le",
    "lt",
    "mod",
    "mul",
    "or_",
    "pcall",
    "pow",
    "print",
    "range",
    "select",
    "sub",
    "tonumber",
    "tostring",
    "truth",
    "type",
    "unm",
    "values",
]

_NAN = math.copysign(math.nan, -1.0)       # what x86 arithmetic gives for 0/0 (its sign bit is set)


class LuaError(RuntimeError):
    """An error raised by Lua's ``error(msg)`` (``msg`` may be any Lua value: ``.value``)."""

    def __init__(self, value):
        super().__init__(value if isinstance(value, str) else lua_tostring(value))
        self.value = value


class LuaTypeError(LuaError, TypeError):
    """A Lua runtime error about a value's type (arithmetic on nil, concatenating a table, calling
    nil, ...): a :class:`LuaError` for ``pcall`` and a ``TypeError`` for Python code."""


def truth(value):
    """Lua's truth: everything is true except ``nil`` (None) and ``false`` (0, "" and tensors are true)."""
    return value is not None and value is not False


def and_(a, b):
    """Lua ``a and b``: ``a`` when it is false/nil, else ``b()`` (``b`` is a thunk: short-circuit)."""
    return b() if truth(a) else a


def or_(a, b):
    """Lua ``a or b``: ``a`` when it is true in Lua's sense, else ``b()`` (``b`` is a thunk)."""
    return a if truth(a) else b()


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type(value):
    """Lua ``type(v)``: 'nil', 'boolean', 'number', 'string', 'table', 'function' or 'userdata'
    (a tensor is userdata; an ``nn`` module or a ``torch.class`` object is a table, as in Torch7)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (dict, list, tuple, torch.nn.Module)) or getattr(builtins.type(value), "lua_class", False):
        return "table"
    if isinstance(value, torch.Tensor):
        return "userdata"
    if callable(value) and not isinstance(value, builtins.type):
        return "function"
    return "userdata"


# ------------------------------------------------------------------------------ numbers from strings
_SPACE = " \t\n\v\f\r"
_HEX = "0123456789abcdefABCDEF"


def _scan_decimal(text):
    # digits [. digits] [e [+-] digits], at least one mantissa digit (LuaJIT's lj_strscan)
    i, n, digits = 0, len(text), 0
    while i < n and text[i].isdigit() and text[i].isascii():
        i, digits = i + 1, digits + 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isdigit() and text[i].isascii():
            i, digits = i + 1, digits + 1
    if digits == 0:
        return None
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if not (j < n and text[j].isdigit()):
            return None
        while j < n and text[j].isdigit() and text[j].isascii():
            j += 1
        i = j
    return float(text) if i == n else None


def _scan_hex(text):
    # hex digits [. hex digits] [p [+-] decimal digits]: LuaJIT reads hexadecimal fractions too
    mantissa, has_exponent, exponent = text.lower().partition("p")
    whole, _, fraction = mantissa.partition(".")
    if not (whole or fraction) or any(c not in _HEX for c in whole + fraction):
        return None
    value = float(int(whole or "0", 16))
    if fraction:
        value += int(fraction, 16) / 16 ** len(fraction)
    if has_exponent:
        magnitude = exponent[1:] if exponent[:1] in "+-" else exponent
        if not (magnitude.isascii() and magnitude.isdigit()):
            return None
        value = math.ldexp(value, -int(magnitude) if exponent.startswith("-") else int(magnitude))
    return value


def _scan_binary(text):
    # LuaJIT reads 0b101 as 5: binary digits only, no fraction or exponent
    if not text or any(c not in "01" for c in text):
        return None
    return float(int(text, 2))


def str_to_number(text):
    """The number a Lua string stands for, or None: LuaJIT's rule (``lj_strscan``) for ``tonumber``
    and for arithmetic on strings. Spaces around and a sign are allowed; then decimal digits with an
    optional point and exponent (``'1e2'``, ``'.5'``), hexadecimal after ``0x`` (with a fraction and a
    ``p`` exponent), binary after ``0b``, or ``inf``/``infinity``/``nan`` in any case."""
    body = text.strip(_SPACE)
    negative = body.startswith("-")
    if body[:1] in "+-" and body:
        body = body[1:]
    if body[:1] >= "A":                          # not a digit, point or sign: a named value or nothing
        name = body.lower()
        if name in ("inf", "infinity"):
            return -math.inf if negative else math.inf
        return math.nan if name == "nan" else None
    prefix = body[:2].lower()
    if prefix == "0x":
        value = _scan_hex(body[2:])
    elif prefix == "0b":
        value = _scan_binary(body[2:])
    else:
        value = _scan_decimal(body)
    if value is None:
        return None
    return lua_number(-value if negative else value)


def tonumber(value, base=None):
    """Lua ``tonumber(v [, base])``: a number, or None (nil) when ``v`` is not one.

    Without a base or with base 10: a number is itself, a string is read as LuaJIT reads numerals
    (:func:`str_to_number`). With another base 2..36: an unsigned integer in that base (letters for digits
    above 9, either case), surrounded by spaces, after an optional sign (``tonumber('ff', 16)`` is
    255, ``tonumber('0x10', 16)`` is 16 as C's ``strtoul`` reads it)."""
    if base is None or (_is_number(base) and base == 10):
        if _is_number(value):
            return value
        return str_to_number(value) if isinstance(value, str) else None
    if not _is_number(base) or not 2 <= base <= 36:
        raise ValueError(f"bad argument #2 to 'tonumber' (base out of range: {base!r}, expected 2..36)")
    base = int(base)
    text = tostring(value) if _is_number(value) else value
    if not isinstance(text, str):
        raise TypeError(f"bad argument #1 to 'tonumber' (string expected, got {type(value)})")
    body = text.strip(_SPACE)
    negative = body.startswith("-")
    if body[:1] in "+-" and body:
        body = body[1:]
    if base == 16 and body[:2] in ("0x", "0X"):
        body = body[2:]
    if not body:
        return None
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    if any(c not in digits for c in body.lower()):
        return None
    number = min(int(body, base), 2 ** 64 - 1)          # strtoul saturates at ULONG_MAX
    return lua_number(-float(number) if negative else float(number))


# ------------------------------------------------------------------------------ arithmetic
def coerce_number(value):
    """A number for Lua's arithmetic (a numeric string converted), or None."""
    if _is_number(value):
        return value
    if isinstance(value, str):
        return str_to_number(value)
    return None


def _kind(value):
    return "string" if isinstance(value, str) else type(value)


_PLAIN = (int, float)


def _arith(event, a, b, numeric, python_op):
    ta, tb = builtins.type(a), builtins.type(b)
    if ta in _PLAIN and tb in _PLAIN:            # the common case first: two numbers (bool excluded)
        return numeric(a, b)
    if (isinstance(a, torch.Tensor) and (tb in _PLAIN or isinstance(b, torch.Tensor))) \
            or (isinstance(b, torch.Tensor) and ta in _PLAIN):
        return python_op(a, b)
    x, y = coerce_number(a), coerce_number(b)
    if x is not None and y is not None:
        return numeric(x, y)
    handler = metamethod(a, event) or metamethod(b, event)
    if handler is not None:
        return first(handler(a, b))
    for value, number in ((a, x), (b, y)):
        if number is None and (value is None or isinstance(value, (str, bool, T7Table, list, tuple))):
            raise LuaTypeError(f"attempt to perform arithmetic on a {_kind(value)} value")
    return python_op(a if x is None else x, b if y is None else y)


def _float(value):
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _double(result):
    # an int result beyond 2^53 becomes the double Lua computes (IEEE rounds the exact result once)
    return _float(result) if isinstance(result, int) and abs(result) > 2 ** 53 else result


def _add(x, y):
    return _double(x + y)


def _sub(x, y):
    return _double(x - y)


def _mul(x, y):
    result = x * y
    if result == 0 and isinstance(result, int) and (x < 0) != (y < 0):
        return -0.0                              # Lua's doubles: 0 * -3 is -0
    return _double(result)


def _div(x, y):
    if isinstance(x, int) and isinstance(y, int) and y != 0 and x % y == 0:
        return -0.0 if x == 0 and y < 0 else x // y
    if y == 0:
        if x == 0 or math.isnan(x):
            return _NAN                          # x86's 0/0 is the negative default NaN
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return _float(x) / _float(y)


def _floor(x):
    return float(math.floor(x)) if math.isfinite(x) else x


def _mod(x, y):
    if isinstance(x, int) and isinstance(y, int) and y != 0:
        return x % y                             # exact, and Lua's sign rule (the divisor's)
    q = _div(x, y)
    if math.isnan(q) or math.isinf(q):
        return _NAN
    return lua_number(_float(x) - _floor(q) * _float(y))


def _pow(x, y):
    if isinstance(x, int) and isinstance(y, int) and 0 <= y <= 1100:
        return _double(x ** y)
    try:
        return lua_number(math.pow(x, y))
    except OverflowError:
        odd = _is_number(y) and float(y).is_integer() and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:                           # 0 ^ negative, or a negative base ^ a fraction
        if x == 0:
            odd = float(y).is_integer() and int(y) % 2 == 1
            return math.copysign(math.inf, x) if odd else math.inf
        return _NAN


def add(a, b):
    """Lua ``a + b``: numbers (numeric strings converted), else ``__add``; tensors as PyTorch adds."""
    return _arith("__add", a, b, _add, lambda p, q: p + q)


def sub(a, b):
    """Lua ``a - b`` (see :func:`add`)."""
    return _arith("__sub", a, b, _sub, lambda p, q: p - q)


def mul(a, b):
    """Lua ``a * b``: numbers (numeric strings converted; ``0 * -3`` is ``-0``), ``__mul``, and for
    two tensors Torch7's product (vector . vector -> a number, matrix x vector, matrix x matrix)."""
    return _arith("__mul", a, b, _mul, _tensor_mul)


def div(a, b):
    """Lua ``a / b``: float division, but an exact quotient of two integers stays an int (Lua has one
    number type, and Python APIs such as tensor sizes want ints); ``x / 0`` is ``inf``/``-inf`` and
    ``0 / 0`` is a NaN (with the sign bit set, as x86 makes it); numeric strings convert; ``__div``;
    tensors divide as PyTorch does."""
    return _arith("__div", a, b, _div, lambda p, q: p / q)


def mod(a, b):
    """Lua ``a % b``: ``a - floor(a / b) * b`` (the sign of ``b``; ``x % 0`` is nan), ``__mod``."""
    return _arith("__mod", a, b, _mod, lambda p, q: p % q)


def pow(a, b):
    """Lua ``a ^ b``: C's ``pow`` (``(-8) ^ 0.5`` is nan, ``0 ^ -1`` is inf), ``__pow``."""
    return _arith("__pow", a, b, _pow, lambda p, q: p ** q)


def unm(a):
    """Lua ``-a``: a number (``-0`` is ``-0``), a numeric string, ``__unm``, or a tensor's negation."""
    x = coerce_number(a)
    if x is not None:
        return -0.0 if x == 0 and isinstance(x, int) else -x
    handler = metamethod(a, "__unm")
    if handler is not None:
        return first(handler(a, a))
    if a is None or isinstance(a, (str, bool, T7Table, list, tuple)):
        raise LuaTypeError(f"attempt to perform arithmetic on a {_kind(a)} value")
    return -a


# ------------------------------------------------------------------------------ comparison
def eq(a, b):
    """Lua ``a == b``: numbers and strings by value (``10 == '10'`` is false); tables, tensors and
    objects by identity, unless both share an ``__eq`` metamethod."""
    if a is b:
        return True
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, (str, bool)) or isinstance(b, (str, bool)) or a is None or b is None:
        return builtins.type(a) is builtins.type(b) and a == b
    if builtins.type(a) is not builtins.type(b) and not (isinstance(a, T7Table) and isinstance(b, T7Table)):
        return False
    handler = metamethod(a, "__eq")
    if handler is not None and handler is metamethod(b, "__eq"):
        return truth(first(handler(a, b)))
    return False


def _compare(event, a, b, python_op):
    if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
        return python_op(a, b)
    handler = metamethod(a, event) or metamethod(b, event)
    if handler is not None:
        return truth(first(handler(a, b)))
    if event == "__le":                          # Lua 5.1: a <= b is not (b < a) when only __lt exists
        handler = metamethod(b, "__lt") or metamethod(a, "__lt")
        if handler is not None:
            return not truth(first(handler(b, a)))
    if _kind(a) == _kind(b) and not isinstance(a, (T7Table, list, tuple, bool)) and a is not None:
        return python_op(a, b)
    raise LuaTypeError(f"attempt to compare {_kind(a)} with {_kind(b)}" if _kind(a) != _kind(b)
                   else f"attempt to compare two {_kind(a)} values")


def lt(a, b):
    """Lua ``a < b``: numbers, strings (byte order), else ``__lt``."""
    return _compare("__lt", a, b, lambda p, q: p < q)


def le(a, b):
    """Lua ``a <= b``: numbers, strings, else ``__le`` (or ``not (b < a)`` through ``__lt``)."""
    return _compare("__le", a, b, lambda p, q: p <= q)


class LuaOperators:
    """Python's operators with Lua's meaning for a value that may have metamethods (a :class:`Table`, a
    ``torch.class`` object): ``a + b`` is :func:`add` (``__add``), ``a < b`` is :func:`lt` (``__lt``),
    ``-a`` is :func:`unm`, ... Equality stays Python's: Lua's ``==`` is :func:`eq`."""

    __slots__ = ()

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __mod__(self, other):
        return mod(self, other)

    def __rmod__(self, other):
        return mod(other, self)

    def __pow__(self, other):
        return pow(self, other)

    def __rpow__(self, other):
        return pow(other, self)

    def __neg__(self):
        return unm(self)

    def __lt__(self, other):
        return lt(self, other)

    def __le__(self, other):
        return le(self, other)

    def __gt__(self, other):
        return lt(other, self)

    def __ge__(self, other):
        return le(other, self)


# ------------------------------------------------------------------------------ strings
def tostring(value):
    """Lua ``tostring``: numbers as ``%.14g`` (``3.0`` -> ``'3'``, ``-0.0`` -> ``'-0'``),
    ``true``/``false``/``nil``, a table's ``__tostring``, tensors as Torch7 prints them."""
    if isinstance(value, (str, int, float)) or value is None:
        return lua_tostring(value)
    handler = metamethod(value, "__tostring")
    if handler is None and getattr(builtins.type(value), "lua_class", False):
        handler = getattr(builtins.type(value), "__tostring__", None)    # Torch7's class convention
    if handler is not None:
        return first(handler(value))
    if isinstance(value, torch.Size):
        return size_tostring(value)
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return lua_tostring(value.item())
        return tensor_tostring(value)
    if isinstance(value, (dict, list, tuple)):
        return f"table: 0x{id(value):08x}"
    if callable(value) and not isinstance(value, (builtins.type, torch.nn.Module)):
        return f"function: 0x{id(value):08x}"
    return lua_tostring(value)


def _concat2(a, b):
    if isinstance(a, (str, int, float)) and not isinstance(a, bool) \
            and isinstance(b, (str, int, float)) and not isinstance(b, bool):
        return (a if isinstance(a, str) else lua_tostring(a)) + (b if isinstance(b, str) else lua_tostring(b))
    handler = metamethod(a, "__concat") or metamethod(b, "__concat")
    if handler is not None:
        return first(handler(a, b))
    bad = b if isinstance(a, (str, int, float)) and not isinstance(a, bool) else a
    raise LuaTypeError(f"attempt to concatenate a {_kind(bad)} value")


def concat(*parts):
    """Lua ``a .. b .. c``: strings and numbers (numbers as ``%.14g``), else ``__concat``; right to
    left, as Lua's ``..`` associates."""
    if not parts:
        return ""
    result = parts[-1]
    if len(parts) == 1:
        return _concat2(result, "")
    for part in reversed(parts[:-1]):
        result = _concat2(part, result)
    return result


def print(*values):
    """Lua ``print(a, b, ...)``: each value through ``tostring``, separated by tabs."""
    builtins.print("\t".join(tostring(v) for v in values))


# ------------------------------------------------------------------------------ control
def range(start, stop, step=1):
    """Lua ``for i = start, stop, step``: ``stop`` is inclusive; steps may be negative or fractional;
    numeric strings are numbers."""
    start, stop, step = (_for_number(v, what) for v, what in ((start, "initial"), (stop, "limit"), (step, "step")))
    if step == 0:
        raise ValueError("'for' step is zero")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return builtins.range(start, stop + (1 if step > 0 else -1), step)
    return _float_range(start, stop, step)


def _for_number(value, what):
    number = coerce_number(value)
    if number is None:
        raise LuaError(f"'for' {what} value must be a number, got {_kind(value)}")
    return number


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
    """Lua ``select('#', ...)`` (the count) or ``select(n, ...)`` (the values from the n-th on;
    a negative ``n`` counts from the end)."""
    if n == "#":
        return len(args)
    number = coerce_number(n)
    if number is None or number == 0 or -number > len(args):
        raise ValueError(f"bad argument #1 to 'select' (index out of range: {n!r})")
    n = int(number)
    return args[n - 1:] if n > 0 else args[n:]


def pcall(f, *args):
    """Lua ``pcall(f, ...)``: ``(True, results...)`` or ``(False, message)``."""
    try:
        result = f(*args)
    except LuaError as e:
        return False, e.value
    except Exception as e:  # noqa: BLE001 (pcall catches every error, as in Lua)
        return False, str(e)
    return (True, *result) if isinstance(result, tuple) and not isinstance(result, torch.Size) else (True, result)


_LUA_LINE = re.compile(r"#\s*lua (\d+)\b")


def _lua_position(level):
    """``'name.lua:N:'`` of the Lua line that the translated code ``level`` calls up runs, read from
    its ``# lua N`` comment (``torchad-migrate`` writes one on every line), or None."""
    frame = sys._getframe(2)                    # the code that called error()
    for _ in builtins.range(level - 1):
        frame = frame.f_back if frame is not None else None
    if frame is None or frame.f_globals.get("__name__", "").startswith("compat."):
        return None                              # called by a library function (Lua: a C function)
    found = _LUA_LINE.search(linecache.getline(frame.f_code.co_filename, frame.f_lineno))
    if found is None:
        return None
    name = os.path.splitext(os.path.basename(frame.f_code.co_filename))[0] + ".lua"
    return f"{name}:{found.group(1)}:"


def error(message=None, level=1):
    """Lua ``error(msg [, level])``: raises :class:`LuaError` carrying ``msg``. A string message gets
    Lua's position prefix ``'script.lua:N: '`` for level 1 (where ``error`` was called) or 2 (the
    caller of that function), found from the translated line's ``# lua N`` comment; level 0, a
    non-string message or code without such comments keep the message as it is."""
    if isinstance(message, str) and level is not None and coerce_number(level):
        position = _lua_position(int(coerce_number(level)))
        if position is not None:
            message = f"{position} {message}"
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
