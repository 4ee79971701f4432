"""Lua-only helpers of the Torch7 ``torch`` namespace, re-exported by :mod:`compat.torch`.

Lua (torch7 ``init.lua``, ``random.lua``, ``Timer.c``, ``CmdLine.lua``)  ->  here:

- ``torch.manualSeed(s)``               -> :func:`manualSeed` (PyTorch's generators only)
- ``torch.setnumthreads(n)`` / ``getnumthreads()`` -> ``torch.set_num_threads`` / ``get_num_threads``
- ``torch.setdefaulttensortype(name)`` / ``getdefaulttensortype()`` -> ``torch.set_default_dtype``
- ``torch.Timer()``                     -> :class:`Timer` (``time()`` gives ``{real=, user=, sys=}``)
- ``torch.randperm(n [, type])``        -> :func:`randperm`, **1-based** like Lua (values 1..n)
- ``torch.CmdLine()``                   -> :class:`CmdLine` (Lua ``-option value`` parsing)

:func:`lua_tostring` formats a value the way Lua's ``tostring``/``..`` do (LuaJIT: ``%.14g`` for
numbers), which migrated code needs to build the same file names and printouts as in Lua.
"""
import builtins
import logging
import os
import sys
import time

import torch

from compat.numformat import format_g14
from compat.t7.objects import DTYPE_KIND, TORCH_CLASSES, tensor_class
from compat.t7.objects import T7Table as LuaTable  # a Lua table: a dict with attribute access

logger = logging.getLogger(__name__)

__all__ = [
    "CmdLine", "LuaTable", "Timer", "getdefaulttensortype", "getnumthreads", "lua_tostring",
    "manualSeed", "randperm", "setdefaulttensortype", "setnumthreads",
]


def lua_tostring(value):
    """Format ``value`` like Lua's ``tostring`` (and ``..``): the one formatter of Lua values here.

    Lua 5.1 / LuaJIT numbers are doubles printed as ``%.14g`` (``LUAI_NUMFFORMAT``) with LuaJIT's
    rounding of ties away from zero (:func:`compat.numformat.format_g14`): integral values have no
    ``.0`` (``1``), 15 or more significant digits switch to an exponent (``123456789012345`` ->
    ``1.2345678901235e+14``), ``-0.0`` is ``-0``, every NaN ``nan``. A Python
    int is first made the double Lua would hold. Booleans are ``true``/``false``, None is ``nil``;
    anything else is ``str(value)``.
    """
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_g14(value)
    return str(value)


def _check_int(name, value, minimum):
    # Lua numbers are doubles: accept an integral float (e.g. 4.0) as well as an int; never a bool.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def manualSeed(seed):
    """Lua ``torch.manualSeed(seed)``: seed PyTorch's generators (``torch.manual_seed``, CPU and CUDA).

    As in Lua, only the torch generator is seeded: Python's ``random`` and NumPy are left alone
    (Lua's ``math.random`` was not touched by ``torch.manualSeed`` either). The random stream is
    PyTorch's, so the numbers drawn differ from Torch7's for the same seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, float)) or seed != int(seed):
        raise TypeError(f"seed must be an integer, got {seed!r} ({type(seed).__name__})")
    torch.manual_seed(int(seed))


def setnumthreads(n):
    """Lua ``torch.setnumthreads(n)``: number of threads for intra-op parallelism (``torch.set_num_threads``)."""
    torch.set_num_threads(_check_int("n (number of threads)", n, 1))


def getnumthreads():
    """Lua ``torch.getnumthreads()`` (``torch.get_num_threads``)."""
    return torch.get_num_threads()


# Torch7 tensor type names, all read from the one table of Torch7 class names
# (compat.t7.objects.TORCH_CLASSES, torch7 Tensor.lua / Storage.c).
TENSOR_TYPES = {name: dtype for name, (dtype, what) in TORCH_CLASSES.items() if what == "tensor"}
FLOAT_TYPES = {name: dtype for name, dtype in TENSOR_TYPES.items() if dtype.is_floating_point}
_CPU_TYPES = {name: dtype for name, dtype in TENSOR_TYPES.items() if not name.startswith("torch.Cuda")}
# the floating ones PyTorch can use as its default dtype
_DEFAULT_TYPES = {name: dtype for name, dtype in _CPU_TYPES.items() if dtype.is_floating_point}


def type_name(dtype, default=None):
    """Torch7 class name of a tensor of ``dtype`` (``torch.float32`` -> ``'torch.FloatTensor'``);
    ``default`` (or ``str(dtype)`` when None) for a dtype Torch7 has no tensor type for."""
    return tensor_class(dtype) if dtype in DTYPE_KIND else (str(dtype) if default is None else default)


def setdefaulttensortype(typename):
    """Lua ``torch.setdefaulttensortype(name)`` -> ``torch.set_default_dtype``.

    Accepts ``'torch.FloatTensor'``, ``'torch.DoubleTensor'`` and ``'torch.HalfTensor'``. Torch7 also
    accepted integer types, but PyTorch's default dtype must be floating point, so those are refused
    with a ValueError; ``'torch.CudaTensor'`` is refused too (use ``.cuda()``/``.to(device)``).
    Unlike Lua (whose default is Double), the default until this is called is PyTorch's (float32).
    """
    if not isinstance(typename, str):
        raise TypeError(f"typename must be a string such as 'torch.DoubleTensor', got {typename!r}")
    dtype = _DEFAULT_TYPES.get(typename)
    if dtype is None:
        if typename in TENSOR_TYPES:
            raise ValueError(
                f"typename must be one of {sorted(_DEFAULT_TYPES)}: PyTorch's default dtype is floating "
                f"point on the CPU, so {typename!r} cannot be the default tensor type")
        raise ValueError(f"typename must be one of {sorted(_DEFAULT_TYPES)}, got {typename!r}")
    torch.set_default_dtype(dtype)


def getdefaulttensortype():
    """Lua ``torch.getdefaulttensortype()``: the Torch7 name of ``torch.get_default_dtype()``."""
    return type_name(torch.get_default_dtype())


def randperm(n, typename=None):
    """Lua ``torch.randperm(n [, typename])``: a random permutation of **1..n** (1-based, as in Lua).

    Migrated code indexes Lua-style (1-based) datasets with it, e.g. ``dataset[shuffle[i]]``, so the
    values stay 1-based; subtract 1 to index a PyTorch tensor. ``typename`` is a Torch7 tensor type
    name (``'torch.LongTensor'``, ``'torch.DoubleTensor'``, ...). Without it the result is int64
    (Lua gave the default tensor type, Double, whose values Lua could use as indices; Python cannot
    index with floats, so Long is the default here). The stream is PyTorch's ``torch.randperm``.
    """
    n = _check_int("n", n, 1)
    if typename is None:
        dtype = torch.int64
    elif typename in _CPU_TYPES:
        dtype = _CPU_TYPES[typename]
    else:
        raise ValueError(f"typename must be one of {sorted(_CPU_TYPES)} or None, got {typename!r}")
    return (torch.randperm(n) + 1).to(dtype)  # the one 0-based -> 1-based shift


class Timer:
    """Lua ``torch.Timer()`` (torch7 ``Timer.c``): starts running on construction.

    ``time()`` returns a :class:`LuaTable` ``{real=, user=, sys=}`` in seconds accumulated while
    running; ``stop()`` pauses, ``resume()`` restarts accumulating, ``reset()`` zeroes the totals
    and restarts the clock (keeping the running/stopped state, as Torch7 does). ``real`` is a
    monotonic wall clock; ``user``/``sys`` are the process CPU times (``os.times()``).
    """

    def __init__(self):
        self._running = True
        self._total = (0.0, 0.0, 0.0)
        self._start = self._now()

    @staticmethod
    def _now():
        t = os.times()
        return (time.perf_counter(), t.user, t.system)

    def reset(self):
        self._total = (0.0, 0.0, 0.0)
        self._start = self._now()
        return self

    def stop(self):
        if self._running:
            now = self._now()
            self._total = tuple(tot + n - s for tot, n, s in zip(self._total, now, self._start))
            self._running = False
        return self

    def resume(self):
        if not self._running:
            self._running = True
            self._start = self._now()
        return self

    def time(self):
        if self._running:
            now = self._now()
            real, user, system = (tot + n - s for tot, n, s in zip(self._total, now, self._start))
        else:
            real, user, system = self._total
        return LuaTable(real=real, user=user, sys=system)



def _strip(key):
    # CmdLine.lua strip(): drop the leading dashes of an option/argument name.
    return key.lstrip("-")


def _tonumber(text):
    """Lua ``tonumber`` on a command-line string: an int for an integer literal (also ``0x..``),
    a float for any other number, None when the text is not a number."""
    s = text.strip()
    if not s or "_" in s:
        return None
    try:
        return int(s, 10)
    except ValueError:
        pass
    try:
        return int(s, 16) if s.lower().lstrip("+-").startswith("0x") else float(s)
    except ValueError:
        return None


_LUA_TYPES = {bool: "boolean", int: "number", float: "number", str: "string"}


class CmdLine:
    """Lua ``torch.CmdLine`` (torch7 ``CmdLine.lua``): ``-option value`` parsing with defaults and help.

    ``option('-name', default, 'help' [, type])`` declares an option whose type ('number', 'string'
    or 'boolean') is that of its default; a boolean option is a flag that takes no value and sets
    ``not default``. ``argument('name', 'help' [, type])`` declares a positional argument and
    ``text('...')`` a help line. ``parse(arg)`` returns a :class:`LuaTable` (``opt.seed``) holding
    every option (its default unless given) and argument, keyed without the dashes; numbers come
    back as int for integer literals, float otherwise (Lua has one number type).

    ``arg`` is the list of command-line words *after* the program name (``sys.argv[1:]``, the
    default); ``sys.argv`` itself is also accepted, as Lua's ``arg`` table kept the script name at
    index 0. As in Lua, ``-h``/``-help``/``--help`` prints the help and exits (SystemExit(0)), and a
    bad command line prints the error and the help and exits with status 1 (SystemExit(1)).
    """

    def __init__(self, argseparator=",", keyseparator="="):
        self.argseparator = argseparator
        self.keyseparator = keyseparator
        self.options = {}
        self.arguments = []
        self.helplines = []

    def error(self, msg):
        # Printing then exiting IS the Lua behaviour (CmdLine:error -> print, help, os.exit(1)).
        print("", file=sys.stderr)
        print(msg, file=sys.stderr)
        self.help(file=sys.stderr)
        raise SystemExit(1)

    def text(self, txt=""):
        """A free help line (``cmd:text('Options:')``); ``text()`` gives an empty line."""
        if not isinstance(txt, str):
            raise TypeError(f"txt must be a string, got {txt!r}")
        self.helplines.append(txt)

    def option(self, key, default, help=None, type=None):  # noqa: A002 (Lua's parameter names)
        """Declare ``-key`` with a default value (required, as in Lua) that fixes its type."""
        if not isinstance(key, str):
            raise TypeError(f"option key must be a string such as '-seed', got {key!r}")
        if default is None:
            raise ValueError(f"option {key} has no default value")
        actual = _LUA_TYPES.get(builtins.type(default))
        if type is None:
            type = actual
        if actual is None or type != actual:
            expected = type or 'number, string or boolean'
            raise ValueError(f"option {key} has wrong default type value: expected a {expected}"
                             f" default, got {default!r}")
        self.options[key] = LuaTable(key=key, default=default, help=help, type=type)
        self.helplines.append(self.options[key])

    def argument(self, key, help=None, type=None):  # noqa: A002
        """Declare a positional argument (type 'string', the default, or 'number')."""
        if not isinstance(key, str):
            raise TypeError(f"argument key must be a string, got {key!r}")
        if type not in (None, "string", "number"):
            raise ValueError(f"argument {key}: type must be 'string' or 'number', got {type!r}")
        entry = LuaTable(key=key, help=help, type=type)
        self.arguments.append(entry)
        self.helplines.append(entry)

    def default(self):
        """The table of every option at its default value."""
        return LuaTable((_strip(k), opt.default) for k, opt in self.options.items())

    def parse(self, arg=None):
        if arg is None or arg is sys.argv:
            arg = sys.argv[1:]
        if isinstance(arg, str) or not all(isinstance(a, str) for a in arg):
            raise TypeError(f"arg must be a list of strings (the command line), got {arg!r}")
        params = self.default()
        n_argument = 0
        i = 0
        while i < len(arg):
            word = arg[i]
            if word in ("-help", "-h", "--help"):
                self.help()  # printing the help IS the Lua behaviour
                raise SystemExit(0)
            if word in self.options:
                i += self._read_option(params, arg, i)
            else:
                n_argument += 1
                i += self._read_argument(params, word, n_argument)
        if n_argument != len(self.arguments):
            self.error("not enough arguments")
        return params

    def _read_option(self, params, arg, i):
        key = arg[i]
        option = self.options[key]
        if option.type == "boolean":
            params[_strip(key)] = not option.default
            return 1
        if i + 1 >= len(arg):
            self.error(f"missing argument for option {key}")
        value = arg[i + 1]
        if option.type == "number":
            value = _tonumber(value)
            if value is None:
                self.error(f"invalid type for option {key} (should be number), got {arg[i + 1]!r}")
        params[_strip(key)] = value
        return 2

    def _read_argument(self, params, value, n_argument):
        if n_argument > len(self.arguments):
            if value.startswith("-") and len(value) > 1:
                self.error(f"unknown option {value}")
            self.error(f"invalid argument: {value}")
        argument = self.arguments[n_argument - 1]
        if argument.type == "number":
            number = _tonumber(value)
            if number is None:
                self.error(f"invalid argument type for argument {argument.key} (should be number), got {value!r}")
            value = number
        params[_strip(argument.key)] = value
        return 1

    def string(self, prefix, params, ignore=None):
        """Lua ``cmd:string(prefix, params, ignore)``: a name such as ``prefix,lr=0.1,seed=3`` made of
        the positional arguments (in order) then the options that differ from their defaults
        (sorted; booleans as t/f). ``ignore[k]`` true drops k; ``ignore[k]`` False keeps it even at
        its default. The lines Lua printed while doing so are printed too (Lua behaviour)."""
        ignore = {} if ignore is None else ignore
        prefix = prefix or ""
        arguments = {}
        options = []
        for k, v in params.items():
            if ignore.get(k):
                print("-- ignore option " + k)
            elif "-" + k in self.options:
                default = self.options["-" + k].default
                if v != default or ignore.get(k, None) is False:
                    text = ("t" if v else "f") if isinstance(v, bool) else lua_tostring(v)
                    options.append(k + self.keyseparator + text)
                    print(k, lua_tostring(v), lua_tostring(default), sep="\t")
            else:
                positions = [n for n, a in enumerate(self.arguments) if _strip(a.key) == k]
                if positions:
                    arguments[positions[-1]] = k + self.keyseparator + lua_tostring(v)
                else:
                    print("WARNING: unknown option/argument: " + k + " IGNORING for DIRECTORY NAME")
        options.sort()
        parts = [arguments[n] for n in sorted(arguments)] + options
        text = self.argseparator.join(parts)
        return prefix + self.argseparator + text if text else prefix

    def help(self, file=None):
        """Print the usage line and the help lines (what Lua's ``cmd:help()`` writes)."""
        out = sys.stdout if file is None else file
        lines = ["Usage: " + (sys.argv[0] + " " if sys.argv and sys.argv[0] else "") + "[options]"
                 + "".join(" <" + _strip(a.key) + ">" for a in self.arguments)]
        width = 0
        for entry in self.helplines:
            if isinstance(entry, LuaTable):
                is_option = "default" in entry
                width = max(width, len(entry.key) if is_option else len(_strip(entry.key)) + 2)
        for entry in self.helplines:
            if not isinstance(entry, LuaTable):
                lines.append(entry)
                continue
            if "default" in entry:
                line = "  " + entry.key.ljust(width)
                line += (" " + entry.help if entry.help else "") + " [" + lua_tostring(entry.default) + "]"
            else:
                line = "  " + ("<" + _strip(entry.key) + ">").ljust(width) + (" " + entry.help if entry.help else "")
            lines.append(line)
        out.write("\n".join(lines) + "\n")  # printing IS the Lua behaviour (io.write)

