"""Torch7's printout of a tensor (torch7 ``Tensor.lua``: ``Storage__printformat``, ``printMatrix``,
``printTensor``, ``Tensor.__tostring__``): what ``print(t)`` shows in Lua.

One number format for the whole tensor, chosen from its largest and smallest magnitudes: integers as
``%Nd``, else ``%N.4f`` (with a common ``1e+0k *`` scale when the magnitudes are large or small) or
``%N.4e`` when they span more than 4 decades; matrices wrap at 80 columns ("Columns a to b"); higher
dimensions print one ``(i,j,.,.)`` matrix at a time; a ``[torch.DoubleTensor of size 2x3]`` line ends.
"""
import functools
import math
from decimal import ROUND_HALF_UP, Decimal

import torch

__all__ = ["size_tostring", "storage_tostring", "tensor_tostring"]


def _typename(t):
    from compat.t7.objects import tensor_class
    return tensor_class(torch.uint8 if t.dtype == torch.bool else t.dtype)


def _exponent(magnitude):
    # floor(log10(m)) + 1, with Lua's arithmetic on 0 (-> 1), inf and nan (which stay inf and nan)
    if magnitude == 0:
        return 1
    if not math.isfinite(magnitude):
        return magnitude
    return math.floor(math.log10(magnitude)) + 1


def _print_format(values):
    """(format, scale or None, width) as Storage__printformat, for a list of numbers.

    A NaN anywhere makes TH's min and max NaN, so the width is NaN and Torch7 falls back to ``%f``
    (width None here: no column wrapping). An infinity counts as an integer (``inf == ceil(inf)``).
    """
    if not values:
        return "", None, 0
    int_mode = all(v == v and (math.isinf(v) or float(v).is_integer()) for v in values)
    magnitudes = [abs(float(v)) for v in values]
    if any(m != m for m in magnitudes):
        return "%f", None, None
    exp_min, exp_max = _exponent(min(magnitudes)), _exponent(max(magnitudes))
    if int_mode:
        if exp_max > 9:
            return "%11.4e", None, 11
        return f"%{exp_max + 1}d", None, exp_max + 1
    if exp_max - exp_min > 4:
        size = 12 if abs(exp_max) > 99 or abs(exp_min) > 99 else 11
        return f"%{size}.4e", None, size
    if exp_max > 5 or exp_max < 0:
        scale = 10.0 ** (exp_max - 1)
        return "%7.4f", (None if scale == 1 else scale), 7
    size = 7 if exp_max == 0 else exp_max + 6
    return f"%{size}.4f", None, size


@functools.lru_cache(maxsize=64)
def _formatter(fmt):
    """``string.format(fmt, v)`` as LuaJIT 2.1.0-beta3 writes it, for ``%Nd``, ``%N.Pf``, ``%N.Pe``, ``%f``.

    LuaJIT rounds the exact binary value half away from zero (``%.4e`` of 10000.5 is ``1.0001e+04``),
    where C and Python round half to even; NaN prints as ``nan`` whatever its sign.
    """
    kind = fmt[-1]
    width, _, precision = fmt[1:-1].partition(".")
    width = int(width) if width else 0
    if kind == "d":
        return lambda v: "%*d" % (width, int(v))
    precision = int(precision) if precision else 6
    plain, longer = f"%{width}.{precision}{kind}", f"%.{precision + 3}{kind}"

    def write(v):
        v = float(v)
        if v != v:
            return "nan".rjust(width)
        if math.isinf(v) or (longer % v).partition("e")[0][-3:] not in ("499", "500", "501"):
            return plain % v                     # off a tie, C rounds as LuaJIT does
        if kind == "f":
            d = Decimal(v).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
            return format(d, f".{precision}f").rjust(width)
        return _exp_text(Decimal(v), precision).rjust(width)
    return write


def _exp_text(d, precision):
    if d == 0:
        return ("-" if d.is_signed() else "") + "0." + "0" * precision + "e+00" if precision else "0e+00"
    e = d.adjusted()
    mantissa = d.scaleb(-e).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    if abs(mantissa) >= 10:
        e += 1
        mantissa = d.scaleb(-e).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    return f"{mantissa:.{precision}f}e{'-' if e < 0 else '+'}{abs(e):02d}"


def _matrix(m, fmt, scale, size, indent=""):
    scale = scale or 1
    write = _formatter(fmt)
    rows = m.tolist()
    ncols = len(rows[0])
    per_line = ncols if size is None else (80 - len(indent)) // (size + 1)
    out = [indent]
    first = 1
    while first <= ncols:
        last = min(first + per_line - 1, ncols)
        if per_line < ncols:
            if first != 1:
                out.append("\n")
            out.append(f"Columns {first} to {last}\n{indent}")
        if scale != 1:
            out.append(f"{scale:g} *\n {indent}")
        for r, row in enumerate(rows, 1):
            for c in range(first, last + 1):
                out.append(write(row[c - 1] / scale))
                if c == last:
                    out.append("\n")
                    if r != len(rows):
                        out.append(indent + " " if scale != 1 else indent)
                else:
                    out.append(" ")
        first = last + 1
    return "".join(out)


def tensor_tostring(t):
    """Lua's ``tostring(t)`` of a tensor, as Torch7 prints it."""
    name = _typename(t)
    if t.dim() == 0 or t.numel() == 0:
        return f"[{name} with no dimension]\n"
    x = t.detach().to("cpu", torch.float64)
    fmt, scale, size = _print_format(x.reshape(-1).tolist())
    sizes = "x".join(str(s) for s in x.shape)
    if x.dim() == 1:
        lines = [f"{scale:g} *\n"] if scale else []
        write = _formatter(fmt)
        lines += [write(v / (scale or 1)) + "\n" for v in x.tolist()]
        return "".join(lines) + f"[{name} of size {sizes}]\n"
    if x.dim() == 2:
        return _matrix(x, fmt, scale, size) + f"[{name} of size {sizes}]\n"
    parts = []
    for position in _slices(x.shape[:-2]):
        m = x[tuple(p - 1 for p in position)]  # 1-based
        parts.append("(" + "".join(f"{p}," for p in position) + ".,.) = \n" + _matrix(m, fmt, scale, size, " "))
    return "\n".join(parts) + f"[{name} of size {sizes}]\n"


def _slices(leading):
    """The 1-based positions of the matrices of a tensor, in Torch7's printing order: the FIRST
    index runs fastest ((1,1), (2,1), (1,2), (2,2) for 2x2xMxN), as printTensor's counter does."""
    position = [1] * len(leading)
    while True:
        yield tuple(position)
        for d, n in enumerate(leading):
            if position[d] < n:
                position[d] += 1
                break
            position[d] = 1
        else:
            return


def storage_tostring(values, typename):
    """Lua's ``tostring(s)`` of a storage (Storage.__tostring__): one element per line, then
    ``[torch.DoubleStorage of size n]``."""
    values = list(values)
    fmt, scale, _ = _print_format([float(v) for v in values])
    lines = [f"{scale:g} *\n"] if scale else []
    write = _formatter(fmt) if values else None
    lines += [write(v / (scale or 1)) + "\n" for v in values]
    return "".join(lines) + f"[{typename} of size {len(values)}]\n"


def size_tostring(size):
    """Lua's ``tostring(x:size())``: a ``torch.LongStorage`` printed as Torch7 prints a storage."""
    return storage_tostring(size, "torch.LongStorage")
