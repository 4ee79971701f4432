"""Constructor-argument checks shared by the compat.nn layers: Lua numbers are doubles, so a
constructor takes ``3`` or ``3.0`` where torch/nn expects an integer, and refuses ``3.5``."""
import math


def integral(owner, name, value, minimum=1, optional=False):
    """``value`` as an int if it is an integral number >= ``minimum`` (no bound when None;
    ``None`` passes when ``optional``); otherwise a ValueError naming the class, the argument and
    the value."""
    if value is None and optional:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or value != int(value) or (minimum is not None and value < minimum)):
        bound = '' if minimum is None else f' >= {minimum}'
        raise ValueError(f"{owner}: expecting {name} to be an integer{bound}, got {value!r}")
    return int(value)


def number(owner, name, value):
    """``value`` as a float if it is a (non-boolean) real number, else a TypeError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: expecting {name} to be a number, got {value!r}")
    return float(value)
