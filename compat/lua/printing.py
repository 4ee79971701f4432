"""Torch7's printout of a tensor (torch7 ``Tensor.lua``: ``Storage__printformat``, ``printMatrix``,
``printTensor``, ``Tensor.__tostring__``): what ``print(t)`` shows in Lua.

One number format for the whole tensor, chosen from its largest and smallest magnitudes: integers as
``%Nd``, else ``%N.4f`` (with a common ``1e+0k *`` scale when the magnitudes are large or small) or
``%N.4e`` when they span more than 4 decades; matrices wrap at 80 columns ("Columns a to b"); higher
dimensions print one ``(i,j,.,.)`` matrix at a time; a ``[torch.DoubleTensor of size 2x3]`` line ends.
"""
import itertools
import math

import torch

__all__ = ["size_tostring", "tensor_tostring"]


def _typename(t):
    from compat.t7.objects import tensor_class
    return tensor_class(torch.uint8 if t.dtype == torch.bool else t.dtype)


def _print_format(values):
    """(format, scale or None, width) as Storage__printformat."""
    if not values:
        return "", None, 0
    int_mode = all(v == math.ceil(v) for v in values if not math.isnan(v))
    magnitudes = [abs(v) for v in values]
    low, high = min(magnitudes), max(magnitudes)
    exp_min = math.floor(math.log10(low)) + 1 if low != 0 and math.isfinite(low) else (1 if low == 0 else low)
    exp_max = math.floor(math.log10(high)) + 1 if high != 0 and math.isfinite(high) else (1 if high == 0 else high)
    scale = None
    if int_mode:
        if exp_max > 9:
            return "%11.4e", None, 11
        return f"%{exp_max + 1}d", None, exp_max + 1
    if exp_max - exp_min > 4:
        size = 12 if abs(exp_max) > 99 or abs(exp_min) > 99 else 11
        return f"%{size}.4e", None, size
    if exp_max > 5 or exp_max < 0:
        size, scale = 7, 10.0 ** (exp_max - 1)
    else:
        size = 7 if exp_max == 0 else exp_max + 6
    return f"%{size}.4f", (None if scale == 1 else scale), size


def _fmt(fmt, v):
    return fmt % (int(v) if fmt.endswith("d") else v)


def _matrix(m, fmt, scale, size, indent=""):
    scale = scale or 1
    rows = m.tolist()
    ncols = len(rows[0])
    per_line = (80 - len(indent)) // (size + 1)
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
                out.append(_fmt(fmt, row[c - 1] / scale))
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
        lines += [_fmt(fmt, v / (scale or 1)) + "\n" for v in x.tolist()]
        return "".join(lines) + f"[{name} of size {sizes}]\n"
    if x.dim() == 2:
        return _matrix(x, fmt, scale, size) + f"[{name} of size {sizes}]\n"
    parts = []

    for position in itertools.product(*[range(1, n + 1) for n in x.shape[:-2]]):
        m = x[tuple(p - 1 for p in position)]
        parts.append("(" + "".join(f"{p}," for p in position) + ".,.) = \n" + _matrix(m, fmt, scale, size, " "))
    return "\n".join(parts) + f"[{name} of size {sizes}]\n"


def size_tostring(size):
    """Lua's ``tostring(x:size())``: a ``torch.LongStorage`` printed as Torch7 prints a storage."""
    values = [float(v) for v in size]
    fmt, _, _ = _print_format(values)
    return "".join(_fmt(fmt, v) + "\n" for v in values) + f"[torch.LongStorage of size {len(values)}]\n"
