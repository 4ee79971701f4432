"""Lua's ``os``, ``io`` and ``math`` libraries where they differ from Python's: ``os.time``/``clock``/
``date``, ``io.open`` files whose ``write`` takes numbers (``%.14g``), ``math.floor`` giving ints..."""
import builtins
import math as _math
import os as _os
import sys as _sys
import time as _time

from compat.lua.luajit_random import LuaJITRandom
from compat.lua.values import tostring

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
        from compat.lua.tables import Table
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
        import tempfile
        return tempfile.mktemp()


class File:
    """A Lua file handle (``io.open``): ``write(a, b, ...)`` takes strings and numbers, ``read(fmt)``
    ('*l', '*a', '*n' or a count), ``lines()``, ``close()``."""

    def __init__(self, handle):
        self.handle = handle

    @property
    def name(self):
        return self.handle.name

    def write(self, *values):
        for value in values:
            self.handle.write(value if isinstance(value, str) else tostring(value))
        return self

    def read(self, fmt="*l"):
        if isinstance(fmt, (int, float)):
            text = self.handle.read(int(fmt))
            return text or None
        fmt = fmt.lstrip("*")[:1]
        if fmt == "a":
            return self.handle.read()
        if fmt == "n":
            from compat.lua.values import tonumber
            words = self.handle.readline().split()
            return tonumber(words[0]) if words else None
        line = self.handle.readline()
        if not line:
            return None
        return line[:-1] if line.endswith("\n") and fmt == "l" else line

    def lines(self):
        for line in self.handle:
            yield line.removesuffix("\n")

    def close(self):
        self.handle.close()
        return True

    def flush(self):
        self.handle.flush()
        return self

    def seek(self, whence="cur", offset=0):
        return self.handle.seek(int(offset), {"set": 0, "cur": 1, "end": 2}[whence])


class _Io:
    """Lua's ``io`` library."""

    @staticmethod
    def open(name, mode="r"):
        try:
            return File(builtins.open(name, mode.replace("b", "")))
        except OSError as e:
            return None, f"{name}: {e.strerror}", e.errno

    @staticmethod
    def write(*values):
        File(_sys.stdout).write(*values)

    @staticmethod
    def read(fmt="*l"):
        return File(_sys.stdin).read(fmt)

    @staticmethod
    def flush():
        _sys.stdout.flush()

    @staticmethod
    def lines(name=None):
        return File(builtins.open(name)).lines() if name else File(_sys.stdin).lines()

    @property
    def stdout(self):
        return File(_sys.stdout)

    @property
    def stderr(self):
        return File(_sys.stderr)


class _Math:
    """Lua's ``math`` library (``math.random``/``math.randomseed`` are LuaJIT's generator)."""

    pi = _math.pi
    huge = _math.inf
    abs = staticmethod(builtins.abs)
    sqrt = staticmethod(_math.sqrt)
    exp = staticmethod(_math.exp)
    sin, cos, tan = staticmethod(_math.sin), staticmethod(_math.cos), staticmethod(_math.tan)
    asin, acos, atan = staticmethod(_math.asin), staticmethod(_math.acos), staticmethod(_math.atan)
    sinh, cosh, tanh = staticmethod(_math.sinh), staticmethod(_math.cosh), staticmethod(_math.tanh)
    fmod = staticmethod(_math.fmod)
    pow = staticmethod(_math.pow)
    deg, rad = staticmethod(_math.degrees), staticmethod(_math.radians)
    max = staticmethod(builtins.max)
    min = staticmethod(builtins.min)

    @staticmethod
    def floor(x):
        return _math.floor(x) if _math.isfinite(x) else x

    @staticmethod
    def ceil(x):
        return _math.ceil(x) if _math.isfinite(x) else x

    @staticmethod
    def log(x, base=None):
        return _math.log(x) if base is None else _math.log(x, base)

    @staticmethod
    def log10(x):
        return _math.log10(x)

    @staticmethod
    def modf(x):
        frac, whole = _math.modf(x)
        return float(whole), frac

    _generator = LuaJITRandom()                  # LuaJIT's own stream (compat.lua.luajit_random)
    random = staticmethod(_generator.random)
    randomseed = staticmethod(_generator.randomseed)


os = _Os()
io = _Io()
math = _Math()
