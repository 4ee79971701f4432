"""C's ``printf`` number conversions as LuaJIT performs them (``%d %i %u %o %x %X %c %e %E %f %F %g %G``
with the flags ``- + space # 0``, a width and a precision).

LuaJIT formats numbers itself instead of calling the C library, and rounds the exact binary value of a
double to the requested digits with ties going away from zero: ``%.0f`` of ``0.5`` is ``1``, of ``2.5``
is ``3``; ``%.14g`` of ``123456789012345`` is ``1.2345678901235e+14``. Python's ``%`` rounds ties to
even, so the digits here come from :class:`decimal.Decimal`, which holds a double exactly. Infinities
are ``inf``/``-inf``; a NaN is ``nan`` whatever its sign bit (LuaJIT does not show it: Torch7 printed
``0/0``, which x86 makes a NaN with the sign bit set, as ``nan``, where glibc's printf shows ``-nan``).
Integer conversions truncate a fractional number toward zero (``%d`` of ``-3.7`` is ``-3``);
``%x``/``%o``/``%u`` of a negative number show its 64-bit two's complement.
"""
import decimal
import math

__all__ = ["format_g14", "format_number"]

# Enough digits for any double in %f (the largest has 309 integer digits, the smallest 1074 fraction
# digits); ROUND_HALF_UP is Decimal's "ties away from zero".
_CONTEXT = decimal.Context(prec=1200, rounding=decimal.ROUND_HALF_UP, Emax=decimal.MAX_EMAX,
                           Emin=decimal.MIN_EMIN)
_INT64_MIN = -(2 ** 63)


def _as_float(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"number expected, got {type(value).__name__} ({value!r})")
    try:
        return float(value)
    except OverflowError:                   # a Python int beyond any double: Lua would hold +-inf
        return math.inf if value > 0 else -math.inf


def _rounded(x, digits):
    """``x >= 0`` rounded to ``digits`` significant digits: (digit string of that length, exponent of
    the first digit)."""
    if x == 0:
        return "0" * digits, 0
    context = decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_UP, Emax=decimal.MAX_EMAX,
                              Emin=decimal.MIN_EMIN)
    r = context.plus(decimal.Decimal(x))
    text = "".join(str(d) for d in r.as_tuple().digits)
    return text.ljust(digits, "0")[:digits], r.adjusted()


def _fixed(x, precision, alt):
    q = decimal.Decimal(x).quantize(decimal.Decimal(1).scaleb(-precision), context=_CONTEXT)
    text = format(q, "f")
    return text + "." if alt and precision == 0 else text


def _exponent(x, precision, alt, letter):
    digits, exp = _rounded(x, precision + 1)
    mantissa = digits[0] + ("." + digits[1:] if precision > 0 or alt else "")
    return f"{mantissa}{letter}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _general(x, precision, alt, letter):
    p = 6 if precision is None else max(precision, 1)
    _, exp = _rounded(x, p)
    if -4 <= exp < p:
        text = _fixed(x, p - 1 - exp, alt)
    else:
        text = _exponent(x, p - 1, alt, letter)
    if not alt:
        mantissa, e, tail = text.partition(letter)
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = mantissa + e + tail
    return text


def _pad(sign, body, flags, width, zero_ok):
    width = width or 0
    if "-" in flags:
        return (sign + body).ljust(width)
    if "0" in flags and zero_ok:
        return sign + body.rjust(width - len(sign), "0")
    return (sign + body).rjust(width)


def _float_text(value, conv, flags, width, precision):
    x = _as_float(value)
    negative = math.copysign(1.0, x) < 0 and not math.isnan(x)
    sign = "-" if negative else "+" if "+" in flags else " " if " " in flags else ""
    ax = abs(x)
    alt = "#" in flags
    if math.isnan(x) or math.isinf(x):
        body = "nan" if math.isnan(x) else "inf"
        return _pad(sign, body.upper() if conv.isupper() else body, flags, width, False)
    if conv in "fF":
        body = _fixed(ax, 6 if precision is None else precision, alt)
    elif conv in "eE":
        body = _exponent(ax, 6 if precision is None else precision, alt, conv)
    elif conv in "gG":
        body = _general(ax, precision, alt, "e" if conv == "g" else "E")
    else:                                   # 'a'/'A': C's hexadecimal float
        mantissa, _, exp = ax.hex().partition("p")
        body = mantissa.rstrip("0").rstrip(".") + "p" + exp
        body = body.upper() if conv == "A" else body
    return _pad(sign, body, flags, width, True)


def _to_int64(value):
    x = _as_float(value) if not isinstance(value, int) or isinstance(value, bool) else value
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x) or not -2.0 ** 63 <= x < 2.0 ** 63:
            return _INT64_MIN                   # what x86's conversion gives for out-of-range values
        return int(x)                           # truncation toward zero, as C's cast
    return x


def _int_text(value, conv, flags, width, precision):
    if conv not in "di" and isinstance(value, float) and 2.0 ** 63 <= value < 2.0 ** 64:
        k = int(value)                          # LuaJIT's unsigned conversions reach 2^64 - 1
    else:
        k = _to_int64(value)
    if conv in "di":
        sign = "-" if k < 0 else "+" if "+" in flags else " " if " " in flags else ""
        digits = str(abs(k))
    else:
        sign = ""
        if k < 0:
            k += 1 << 64                        # the 64-bit two's complement of a negative number
        digits = {"u": str, "o": lambda n: format(n, "o"), "x": lambda n: format(n, "x"),
                  "X": lambda n: format(n, "X")}[conv](k)
    if precision is not None:
        digits = "" if precision == 0 and k == 0 else digits.rjust(precision, "0")
    if "#" in flags:
        if conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif conv in "xX" and k != 0:
            sign = "0" + conv
    return _pad(sign, digits, flags, width, precision is None)


def format_number(value, conv, flags="", width=None, precision=None):
    """One C conversion of a number: ``format_number(3.14159, 'f', width=5, precision=2)`` is ``' 3.14'``.

    ``conv`` is one of ``d i u o x X c e E f F g G a A``; ``flags`` a string of ``- + space # 0``.
    """
    if conv in "diuoxX":
        return _int_text(value, conv, flags, width, precision)
    if conv == "c":
        return _pad("", chr(_to_int64(value) & 0xFF), flags, width, False)
    if conv in "eEfFgGaA":
        return _float_text(value, conv, flags, width, precision)
    raise ValueError(f"format_number: conversion must be one of 'diuoxXceEfFgGaA', got {conv!r}")


def format_g14(value):
    """Lua's ``tostring`` of a number: ``%.14g`` with LuaJIT's rounding (``-0``, ``inf``, ``nan``)."""
    return _float_text(value, "g", "", None, 14)
