"""Lua's ``os``, ``io`` and ``math`` libraries where they differ from Python's: ``os.time``/``clock``/
``date``, ``io.open`` files whose ``write`` takes numbers (``%.14g``), ``math.floor`` giving ints..."""
import builtins
import math as _math
import os as _os
import random as _random
import sys as _sys
import tempfile as _tempfile
import time as _time

from compat.lua.tables import Table
from compat.lua.values import LuaError, coerce_number, lt, tonumber, tostring
from compat.lua.values import pow as _pow
from compat.lua.values import type as lua_type

__all__ = ["File", "io", "math", "os"]

_DATE = {"*t": None}


class _Os:
    """Lua's ``os`` library."""

    @staticmethod
    def time(t=None):
        if t is None:
            return int(_time.time())
        fields = (t["year"], t["month"], t["day"], t.get("hour", 12) if hasattr(t, "get") else 12,
                  t.get("min", 0), t.get("sec", 0), 0, 0, -1)
        return int(_time.mktime(fields))

    @staticmethod
    def clock():
        return _time.process_time()

    @staticmethod
    def date(fmt="%c", t=None):
        utc = fmt.startswith("!")
        fmt = fmt[1:] if utc else fmt
        when = (_time.gmtime if utc else _time.localtime)(t)
        if fmt == "*t":
            return Table(year=when.tm_year, month=when.tm_mon, day=when.tm_mday, hour=when.tm_hour,
                         min=when.tm_min, sec=when.tm_sec, wday=(when.tm_wday + 1) % 7 + 1,
                         yday=when.tm_yday, isdst=bool(when.tm_isdst))
        return _time.strftime(fmt, when)

    @staticmethod
    def getenv(name):
        return _os.environ.get(name)

    @staticmethod
    def exit(code=0):
        raise SystemExit(0 if code is True else 1 if code is False else int(code))

    @staticmethod
    def execute(command=None):
        if command is None:
            return True
        return _os.system(command)

    @staticmethod
    def remove(name):
        try:
            _os.remove(name)
            return True
        except OSError as e:
            return None, f"{name}: {e.strerror}"

    @staticmethod
    def rename(old, new):
        try:
            _os.rename(old, new)
            return True
        except OSError as e:
            return None, f"{old}: {e.strerror}"

    @staticmethod
    def tmpname():
        handle, name = _tempfile.mkstemp(prefix="lua_")
        _os.close(handle)                       # Lua's tmpname creates the file too (mkstemp)
        return name

    @staticmethod
    def difftime(t2, t1=0):
        return t2 - t1


class File:
    """A Lua file handle (``io.open``): ``write(a, b, ...)`` takes strings and numbers (``%.14g``),
    ``read(fmt, ...)`` ('*l' a line without its newline, '*L' with it, '*n' a number, '*a' the rest,
    or a count of characters; several formats give several values), ``lines(fmt)``, ``seek``,
    ``flush``, ``close``."""

    def __init__(self, handle):
        self.handle = handle

    @property
    def name(self):
        return self.handle.name

    def write(self, *values):
        for value in values:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise LuaError(f"bad argument #1 to 'write' (string expected, got {type(value).__name__})")
            self.handle.write(value if isinstance(value, str) else tostring(value))
        return self

    def _peek(self):
        position = self.handle.tell()
        c = self.handle.read(1)
        self.handle.seek(position)
        return c

    def _read_number(self):
        # Lua's fscanf("%lf"): skip white space, then the longest prefix that reads as a number
        c = self.handle.read(1)
        while c and c.isspace():
            c = self.handle.read(1)
        text = ""
        while c and (c.isalnum() or c in "+-."):
            text += c
            position = self.handle.tell()
            c = self.handle.read(1)
        if c:
            self.handle.seek(position)
        while text and tonumber(text) is None:
            text = text[:-1]
        return tonumber(text) if text else None

    def _read_one(self, fmt):
        if isinstance(fmt, (int, float)) and not isinstance(fmt, bool):
            count = int(fmt)
            if count == 0:
                return "" if self._peek() else None
            text = self.handle.read(count)
            return text or None
        if not isinstance(fmt, str):
            raise LuaError(f"bad argument #1 to 'read' (invalid format {fmt!r})")
        kind = fmt.lstrip("*")[:1]
        if kind == "a":
            return self.handle.read()
        if kind == "n":
            return self._read_number()
        if kind not in ("l", "L"):
            raise LuaError(f"bad argument #1 to 'read' (invalid format {fmt!r})")
        line = self.handle.readline()
        if not line:
            return None
        return line[:-1] if kind == "l" and line.endswith("\n") else line

    def read(self, *formats):
        results = []
        for fmt in formats or ("*l",):
            value = self._read_one(fmt)
            results.append(value)
            if value is None:
                break
        return results[0] if len(results) == 1 else tuple(results)

    def lines(self, *formats):
        while True:
            value = self.read(*formats)
            if value is None or (isinstance(value, tuple) and value[0] is None):
                return
            yield value

    def close(self):
        self.handle.close()
        return True

    def flush(self):
        self.handle.flush()
        return self

    def seek(self, whence="cur", offset=0):
        return self.handle.seek(int(offset), {"set": 0, "cur": 1, "end": 2}[whence]) if whence != "cur" \
            else self.handle.seek(self.handle.tell() + int(offset), 0)

    def setvbuf(self, mode, size=None):
        return True


class _Io:
    """Lua's ``io`` library."""

    @staticmethod
    def open(name, mode="r"):
        if not isinstance(mode, str) or mode.rstrip("b").rstrip("+") not in ("r", "w", "a"):
            raise LuaError(f"bad argument #2 to 'open' (invalid mode {mode!r})")
        try:
            return File(builtins.open(name, mode.replace("b", ""), newline=""))
        except OSError as e:
            return None, f"{name}: {e.strerror}", e.errno

    @staticmethod
    def write(*values):
        return File(_sys.stdout).write(*values)

    @staticmethod
    def read(*formats):
        return File(_sys.stdin).read(*formats)

    @staticmethod
    def flush():
        _sys.stdout.flush()

    @staticmethod
    def lines(name=None, *formats):
        if name is None:
            return File(_sys.stdin).lines(*formats)
        try:
            handle = builtins.open(name, newline="")
        except OSError as e:
            raise LuaError(f"{name}: {e.strerror}") from None

        def generate():
            with handle:
                yield from File(handle).lines(*formats)
        return generate()

    @staticmethod
    def close(file=None):
        return True if file is None else file.close()

    @property
    def stdout(self):
        return File(_sys.stdout)

    @property
    def stderr(self):
        return File(_sys.stderr)

    @property
    def stdin(self):
        return File(_sys.stdin)


def _number(value, name, position=1):
    number = coerce_number(value)
    if number is None:
        raise LuaError(f"bad argument #{position} to '{name}' (number expected, got {lua_type(value)})")
    return number


def _log(x):
    # C's log: log(0) is -inf, a negative number gives a NaN
    if x == 0:
        return -_math.inf
    if x < 0 or _math.isnan(x):
        return -_math.nan if not _math.isnan(x) else x
    return _math.inf if _math.isinf(x) else _math.log(x)


def _extreme(name, better, x, rest):
    # math.max / math.min: the first argument that no later one beats, every argument a number
    best = _number(x, name)
    for position, y in enumerate(rest, 2):
        y = _number(y, name, position)
        if better(best, y):
            best = y
    return best


def _integral(x):
    # Lua's floor/ceil give a number; an integral one is kept as an int for Python's sizes and indices
    return int(x) if _math.isfinite(x) else x


class _Math:
    """Lua's ``math`` library (Lua 5.1 with LuaJIT's ``log(x [, base])``)."""

    pi = _math.pi
    huge = _math.inf
    sin, cos, tan = staticmethod(_math.sin), staticmethod(_math.cos), staticmethod(_math.tan)
    asin, acos, atan = staticmethod(_math.asin), staticmethod(_math.acos), staticmethod(_math.atan)
    atan2 = staticmethod(_math.atan2)
    sinh, cosh, tanh = staticmethod(_math.sinh), staticmethod(_math.cosh), staticmethod(_math.tanh)
    deg, rad = staticmethod(_math.degrees), staticmethod(_math.radians)

    @staticmethod
    def sqrt(x):
        x = _number(x, "sqrt")
        return _math.sqrt(x) if x >= 0 or _math.isnan(x) else -_math.nan

    @staticmethod
    def abs(x):
        return builtins.abs(_number(x, "abs"))

    @staticmethod
    def exp(x):
        try:
            return _math.exp(_number(x, "exp"))
        except OverflowError:
            return _math.inf

    @staticmethod
    def floor(x):
        x = _number(x, "floor")
        if not _math.isfinite(x) or x == 0:
            return x                            # floor(-0) is -0, as C's
        return _integral(_math.floor(x))

    @staticmethod
    def ceil(x):
        x = _number(x, "ceil")
        if not _math.isfinite(x):
            return x
        if -1 < x <= 0 and _math.copysign(1.0, x) < 0:
            return -0.0                         # C's ceil(-0.5) is -0, which Lua prints "-0"
        return _integral(_math.ceil(x))

    @staticmethod
    def fmod(x, y):
        x, y = _number(x, "fmod"), _number(y, "fmod", 2)
        if y == 0 or _math.isinf(x) or _math.isnan(x) or _math.isnan(y):
            return -_math.nan if not _math.isnan(x) and not _math.isnan(y) else _math.nan
        result = _math.fmod(x, y)                # the sign of x, also for a zero result (-6 % 3 is -0)
        if isinstance(x, int) and isinstance(y, int) and result != 0:
            return int(result)
        return result

    @staticmethod
    def modf(x):
        x = _number(x, "modf")
        if _math.isinf(x):
            return x, 0.0
        frac, whole = _math.modf(x)
        return _integral(whole) if whole != 0 or _math.copysign(1, whole) > 0 else whole, frac

    @staticmethod
    def frexp(x):
        mantissa, exponent = _math.frexp(_number(x, "frexp"))
        return mantissa, exponent

    @staticmethod
    def ldexp(m, e):
        try:
            return _math.ldexp(_number(m, "ldexp"), int(_number(e, "ldexp", 2)))
        except OverflowError:
            return _math.copysign(_math.inf, m)

    @staticmethod
    def pow(x, y):
        return _pow(_number(x, "pow"), _number(y, "pow", 2))

    @staticmethod
    def log(x, base=None):
        x = _number(x, "log")
        result = _log(x)
        return result if base is None else result / _log(_number(base, "log", 2))

    @staticmethod
    def log10(x):
        x = _number(x, "log10")
        return _log(x) / _math.log(10) if x <= 0 else _math.log10(x)

    max = staticmethod(lambda x, *rest: _extreme("max", lambda best, y: lt(best, y), x, rest))
    min = staticmethod(lambda x, *rest: _extreme("min", lambda best, y: lt(y, best), x, rest))

    @staticmethod
    def random(m=None, n=None):
        if m is None:
            return _random.random()
        if n is None:
            return _random.randint(1, int(m))
        return _random.randint(int(m), int(n))

    @staticmethod
    def randomseed(seed):
        _random.seed(seed)


os = _Os()
io = _Io()
math = _Math()
