"""torch/image's geometry (``init.lua`` and ``generic/image.c``): scale, crop, translate, rotate, flips.

Images are ``H x W`` or ``C x H x W`` tensors of any type. The arithmetic is generic/image.c's, done
on whole tensors: positions are single-precision floats as in the C code, bilinear and simple
modes pass each value through a C ``float`` (so a DoubleTensor result carries float precision, as
Torch7's does), and a ByteTensor result is rounded half up and clamped to [0, 255].

* ``scale``: rows first, then columns. Enlarging interpolates linearly between the two nearest
  samples at ``x * (n_src - 1) / (n_dst - 1)``; shrinking averages the source samples each output
  sample covers, partial samples weighted by their overlap; ``bicubic`` uses the Catmull-Rom
  polynomial ``p1 + x/2 (p2 - p0 + x (2 p0 - 5 p1 + 4 p2 - p3 + x (3 (p1 - p2) + p3 - p0)))`` with
  ``p0 = 2 p1 - p2`` and ``p3 = 2 p2 - p1`` past the edges; ``simple`` takes sample
  ``floor(i * n_src / n_dst)``. The last output sample of a bilinear/bicubic enlargement is the
  last source sample. Size forms: ``(w, h)``, ``'WxH'``, a number or ``'N'`` (longest side N),
  ``'^N'`` (shortest side N), ``'*S'`` and ``'*A/B'`` (factor); sizes truncate, at least 1.
* ``rotate`` (``theta`` radians, about the centre ``((W-1)/2, (H-1)/2)``): output pixel ``(i, j)``
  reads source ``(c (i-xc) - s (j-yc) + xc, c (j-yc) + s (i-xc) + yc)``, nearest (``round``) or
  bilinear; samples outside the source are 0.
"""
import functools
import math
import re

import torch

from compat.image._common import (
    as_chw,
    check_number,
    check_tensor,
    dst_src_value_mode,
    from_intermediate,
    into,
    work_dtype,
)
from compat.lua.values import tonumber

__all__ = ["crop", "flip", "hflip", "rotate", "scale", "translate", "vflip"]

_F32 = torch.float32


def _f32(value):
    return torch.tensor(value, dtype=_F32)


def _positions(index):
    """A plan's positions: a ``slice`` when they step evenly (the samples are then a view, no
    gather), else the index tensor."""
    count = index.shape[0]
    start = int(index[0])
    step = int(index[1] - index[0]) if count > 1 else 1
    if step >= 1 and torch.equal(index, start + step * torch.arange(count)):
        return slice(start, start + step * (count - 1) + 1, step)
    return index


def _take(src, index, dim):
    """``src`` at positions ``index`` (1-D tensor, or a slice: a view) along ``dim`` (-1 or -2)."""
    if isinstance(index, slice):
        # a strided last dimension is copied: PyTorch's mixed-type arithmetic on it is 10x slower
        return src[..., index].contiguous() if dim == -1 else src[..., index, :]
    if dim == -1:
        return torch.gather(src, -1, index.expand(*src.shape[:-1], index.shape[0]))
    # whole rows, plane by plane (index_select along dim 0 of a matrix copies rows; along a middle
    # dimension it goes element by element, several times slower)
    planes = src.reshape(-1, *src.shape[-2:])
    out = torch.empty(planes.shape[0], index.shape[0], planes.shape[-1], dtype=src.dtype)
    for k in range(planes.shape[0]):
        torch.index_select(planes[k], 0, index, out=out[k])
    return out.reshape(*src.shape[:-2], index.shape[0], src.shape[-1])


def _weights(values, dtype, dim):
    """Per-position weights shaped to broadcast along ``dim``."""
    values = values.to(dtype)
    return values.unsqueeze(1) if dim == -2 else values


def _last_copied(out, src, dim):
    """generic/image.c copies the last source sample to the last output sample unchanged."""
    out.narrow(dim, out.shape[dim] - 1, 1).copy_(src.narrow(dim, src.shape[dim] - 1, 1))
    return out


@functools.lru_cache(maxsize=128)
def _linear_plan(src_len, dst_len, work, dim):
    """The positions and weights of a linear resampling: they depend on the sizes only. The tensors
    are shared between calls and only read."""
    if dst_len > src_len:
        step = _f32(src_len - 1) / _f32(dst_len - 1)
        pos = torch.arange(dst_len, dtype=_F32) * step
        base = pos.to(torch.int64)
        frac = pos - base
        return (_positions(base.clamp(max=src_len - 1)), _positions((base + 1).clamp(max=src_len - 1)),
                _weights(1 - frac, work, dim), _weights(frac, work, dim))
    step = _f32(src_len) / _f32(dst_len)
    end = torch.arange(1, dst_len + 1, dtype=_F32) * step
    end_i = end.to(torch.int64)
    end_f = end - end_i
    start_i = torch.cat([torch.zeros(1, dtype=torch.int64), end_i[:-1]])
    start_f = torch.cat([torch.zeros(1, dtype=_F32), end_f[:-1]])
    last = src_len - 1
    count = 1 - start_f
    steps = []  # (positions, rows taking part or None for all)
    for t in range(max(int((end_i - start_i - 1).max()), 0)):
        index = start_i + 1 + t
        valid = index < end_i
        steps.append((_positions(index.clamp(max=last)),
                      None if bool(valid.all()) else _weights(valid, torch.bool, dim)))
        count = torch.where(valid, count + 1, count)
    # the partial last sample exists for the outputs whose end lies inside the source: a prefix
    covered = int((end_i < src_len).sum())
    tail_step = None
    if covered:
        tail_step = (covered, _positions(end_i[:covered]), _weights(end_f[:covered], work, dim))
        count = torch.cat([count[:covered] + end_f[:covered], count[covered:]])
    return (_positions(start_i.clamp(max=last)), _weights(1 - start_f, work, dim), steps, tail_step,
            _weights(count, _F32, dim))


def _linear_axis(src, dst_len, dim):
    """generic/image.c's linear resampling of the rows (dim -1) or columns (dim -2) of ``src``."""
    dtype, src_len = src.dtype, src.shape[dim]
    work = torch.float64 if dtype == torch.float64 else _F32
    if dst_len == src_len:
        return src.clone()
    if dst_len > src_len:
        if src_len == 1:
            return src.repeat_interleave(dst_len, dim)
        base, base1, w0, w1 = _linear_plan(src_len, dst_len, work, dim)
        value = torch.mul(_take(src, base, dim).to(work), w0)
        value += torch.mul(_take(src, base1, dim).to(work), w1)
        return _last_copied(from_intermediate(value, dtype), src, dim)
    # shrinking: the covered source samples summed into a C float accumulator in the C order (each
    # sum formed in the source's precision, then rounded to float), divided by the covered length
    start, w_start, steps, tail, count = _linear_plan(src_len, dst_len, work, dim)
    first = _take(src, start, dim).to(work)
    acc = torch.mul(first, w_start, out=torch.empty(first.shape, dtype=_F32))
    for index, valid in steps:
        summed = torch.add(acc, _take(src, index, dim).to(work), out=torch.empty_like(acc))
        acc = summed if valid is None else torch.where(valid, summed, acc)
    if tail is not None:
        covered, index, w_end = tail
        head = acc.narrow(dim, 0, covered)
        torch.add(head, torch.mul(_take(src, index, dim).to(work), w_end), out=head)
    return from_intermediate(acc.div_(count), dtype)


@functools.lru_cache(maxsize=128)
def _cubic_plan(src_len, dst_len, temp, dim):
    """The positions and weights of a cubic resampling (shared between calls, only read)."""
    step = _f32(src_len - 1) if dst_len == 1 else _f32(src_len - 1) / _f32(dst_len - 1)
    pos = torch.arange(dst_len, dtype=_F32) * step
    base = pos.to(torch.int64).clamp(max=src_len - 2)
    x = _weights(pos - pos.to(torch.int64), temp, dim)
    head = int((base == 0).sum())
    tail = int((base + 2 >= src_len).sum())
    return base, x, 0.5 * x.double(), head, tail


def _cubic_axis(src, dst_len, dim):
    """generic/image.c's cubic resampling of the rows (dim -1) or columns (dim -2) of ``src``."""
    dtype, src_len = src.dtype, src.shape[dim]
    temp = work_dtype(dtype)
    if dst_len == src_len:
        return src.clone()
    if src_len == 1:  # Torch7 leaves the last sample unwritten here; it gets the source value
        return src.repeat_interleave(dst_len, dim)
    base, x, half_x, head, tail = _cubic_plan(src_len, dst_len, temp, dim)
    # the polynomial's coefficients belong to the source interval [base, base + 1]: work them out per
    # interval (slices of the source) when there are fewer intervals than outputs, else per output
    if dst_len > src_len:
        whole = src.to(temp)
        p1 = whole.narrow(dim, 0, src_len - 1)
        p2 = whole.narrow(dim, 1, src_len - 1)
        first = 2 * whole.narrow(dim, 0, 1) - whole.narrow(dim, 1, 1)
        p0 = torch.cat([first, whole.narrow(dim, 0, src_len - 2)], dim)
        end = 2 * whole.narrow(dim, src_len - 1, 1) - whole.narrow(dim, src_len - 2, 1)
        p3 = torch.cat([whole.narrow(dim, 2, src_len - 2), end], dim)
        pick = base
    else:
        pick = None
        p1 = _take(src, base, dim).to(temp)
        p2 = _take(src, base + 1, dim).to(temp)
        p0 = _take(src, (base - 1).clamp(min=0), dim).to(temp)
        p3 = _take(src, (base + 2).clamp(max=src_len - 1), dim).to(temp)
        # past the edges (a prefix and a suffix, base being sorted) the samples are extrapolated
        if head:
            p0.narrow(dim, 0, head).copy_(2 * p1.narrow(dim, 0, head) - p2.narrow(dim, 0, head))
        if tail:
            n = p3.shape[dim]
            p3.narrow(dim, n - tail, tail).copy_(2 * p2.narrow(dim, n - tail, tail)
                                                 - p1.narrow(dim, n - tail, tail))
    # a2 = 2 p0 - 5 p1 + 4 p2 - p3, a3 = 3 (p1 - p2) + p3 - p0, a1 = p2 - p0, in the C order; in place
    # on few buffers (each new large tensor costs its page faults)
    scratch = torch.mul(p1, 5)
    a2 = torch.mul(p0, 2).sub_(scratch).add_(torch.mul(p2, 4, out=scratch)).sub_(p3)
    a3 = torch.sub(p1, p2, out=scratch).mul_(3).add_(p3).sub_(p0)
    a1 = torch.sub(p2, p0, out=p0)
    if pick is not None:
        a1, a2, a3, p1 = (_take(t, pick, dim) for t in (a1, a2, a3, p1))
    inner = a3.mul_(x).add_(a2).mul_(x).add_(a1)  # a1 + x * (a2 + x * a3)
    if temp == torch.float64:
        value = inner.mul_(half_x).add_(p1)
    else:  # 0.5 is a C double: the last product and sum are double, stored back as float
        value = torch.add(p1, inner.double().mul_(half_x), out=torch.empty_like(p1))
    return _last_copied(from_intermediate(value, dtype), src, dim)


def _separable(src, height, width, axis):
    """Rows first (along the width), then columns, as generic/image.c."""
    return axis(axis(src, width, -1), height, -2)


@functools.lru_cache(maxsize=128)
def _nearest_plan(src_len, dst_len):
    index = (torch.arange(dst_len, dtype=_F32) * (_f32(src_len) / _f32(dst_len))).to(torch.int64)
    return _positions(index.clamp(max=src_len - 1))


def _simple(src, height, width):
    src_h, src_w = src.shape[-2:]
    cols, rows = _nearest_plan(src_w, width), _nearest_plan(src_h, height)
    # values pass through a C float: round the smaller of the two tensors (selection commutes with it)
    rounded = height * width >= src_h * src_w
    source_storage = src.untyped_storage().data_ptr()
    if rounded:
        src = from_intermediate(src.to(_F32), src.dtype)
    picked = _take(_take(src, cols, -1), rows, -2)
    if not rounded:
        picked = from_intermediate(picked.to(_F32), src.dtype)
    return picked.clone() if picked.untyped_storage().data_ptr() == source_storage else picked


_MODES = {"bilinear": lambda s, h, w: _separable(s, h, w, _linear_axis),
          "bicubic": lambda s, h, w: _separable(s, h, w, _cubic_axis),
          "simple": _simple}


def _size_from_spec(size, iwidth, iheight):
    """image.scale's size argument -> (width, height) as Lua numbers, or (None, None)."""
    width = height = None
    omax = tonumber(size)
    if omax is not None:
        imax = max(iwidth, iheight)
        return iwidth * omax / imax, iheight * omax / imax
    match = re.search(r"(\d+)x(\d+)", size)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = re.search(r"\^(\d+)", size)
    if match:
        imin = min(iwidth, iheight)
        omin = int(match.group(1))
        return iwidth * omin / imin, iheight * omin / imin
    match = re.search(r"\*(\d+)/(\d+)", size)
    if match:
        num, den = int(match.group(1)), int(match.group(2))
        return iwidth * num / den, iheight * num / den
    match = re.search(r"\*(.+)", size)
    factor = tonumber(match.group(1)) if match else None
    if factor is not None:
        return iwidth * factor, iheight * factor
    return width, height


def scale(*args):
    """Lua ``image.scale(src, width, height [, mode])``, ``image.scale(src, size [, mode])`` or
    ``image.scale(dst, src [, mode])``; ``mode``: 'bilinear' (default), 'bicubic' or 'simple'."""
    dst = width = height = size = mode = None
    n = len(args)
    if n == 4:
        src, width, height, mode = args
    elif n == 3 and isinstance(args[2], str):
        if isinstance(args[1], (str, int, float)):
            src, size, mode = args
        else:
            dst, src, mode = args
    elif n == 3:
        src, width, height = args
    elif n == 2 and isinstance(args[1], (str, int, float)):
        src, size = args
    elif n == 2:
        dst, src = args
    else:
        raise TypeError("image.scale expects (src, width, height [, mode]), (src, size [, mode]) or "
                        f"(dst, src [, mode]); got {n} arguments")
    check_tensor("scale", "source", src)
    mode = "bilinear" if mode is None else mode
    if mode not in _MODES:
        raise ValueError(f"image.scale: mode must be one of: simple | bicubic | bilinear, got {mode!r}")
    iheight, iwidth = src.shape[-2:]
    if size is not None:
        width, height = _size_from_spec(size, iwidth, iheight)
    if dst is None:
        if width is None or height is None:
            raise ValueError(f"image.scale: could not find a valid destination size in {size!r} (expected "
                             "'WxH', 'MAX', '^MIN', '*SC' or '*SCn/SCd')")
        width = int(max(check_number("scale", "width", tonumber(width)), 1))
        height = int(max(check_number("scale", "height", tonumber(height)), 1))
    else:
        check_tensor("scale", "destination", dst)
        if dst.dim() != src.dim() or (dst.dim() == 3 and dst.shape[0] != src.shape[0]):
            raise ValueError(f"image.scale: src and dst depths do not match (source {tuple(src.shape)}, "
                             f"destination {tuple(dst.shape)})")
        height, width = dst.shape[-2:]
    result = _MODES[mode](as_chw(src), height, width)
    return into("scale", dst, result.reshape(src.shape[:-2] + result.shape[-2:]))


def _crop_no_scale(src, dst_h, dst_w, startx, starty):
    startx, starty = int(startx), int(starty)
    src_h, src_w = src.shape[-2:]
    if startx < 0 or starty < 0 or startx + dst_w > src_w or starty + dst_h > src_h:
        raise ValueError(f"image.crop: crop goes outside bounds of src (size {tuple(src.shape)}, "
                         f"x {startx}..{startx + dst_w}, y {starty}..{starty + dst_h})")
    window = src[..., starty:starty + dst_h, startx:startx + dst_w]
    return from_intermediate(window.to(_F32), src.dtype)  # through a C float


def crop(*args):
    """Lua ``image.crop([dst,] src, x1, y1 [, x2, y2])`` (0-based, end exclusive) or
    ``image.crop([dst,] src, format, width, height)`` with format 'c', 'tl', 'tr', 'bl' or 'br'."""
    n = len(args)
    dst = endx = endy = fmt = None
    if n == 6:
        dst, src, startx, starty, endx, endy = args
    elif n == 5 and isinstance(args[2], str):
        dst, src, fmt, width, height = args
    elif n == 5:
        src, startx, starty, endx, endy = args
    elif n == 4 and isinstance(args[1], str):
        src, fmt, width, height = args
    elif n == 4:
        dst, src, startx, starty = args
    elif n == 3:
        src, startx, starty = args
    else:
        raise TypeError(f"image.crop expects ([dst,] src, x1, y1 [, x2, y2]) or ([dst,] src, format, width, "
                        f"height); got {n} arguments")
    check_tensor("crop", "source", src)
    if fmt is not None:
        iheight, iwidth = src.shape[-2:]
        corners = {"c": (math.floor((iwidth - width) / 2), math.floor((iheight - height) / 2)),
                   "tl": (0, 0), "tr": (iwidth - width, 0), "bl": (0, iheight - height),
                   "br": (iwidth - width, iheight - height)}
        if fmt not in corners:
            raise ValueError(f'image.crop: crop format must be "c"|"tl"|"tr"|"bl"|"br", got {fmt!r}')
        x1, y1 = corners[fmt]
        return crop(dst, src, x1, y1, x1 + width, y1 + height)
    for what, value in (("x1", startx), ("y1", starty)):
        check_number("crop", what, value)
    if endx is None:
        if dst is None:
            raise TypeError("image.crop(src, x1, y1) needs the end corner (x2, y2) or a destination tensor "
                            "(image.crop(dst, src, x1, y1)) that gives the size")
        check_tensor("crop", "destination", dst)
        return into("crop", dst, _crop_no_scale(src, *dst.shape[-2:], startx, starty).reshape(dst.shape))
    height, width = int(endy - starty), int(endx - startx)
    if height < 1 or width < 1:
        raise ValueError(f"image.crop: the end corner ({endx}, {endy}) must lie right of and below the start "
                         f"corner ({startx}, {starty})")
    window = _crop_no_scale(src, height, width, startx, starty)
    return window if dst is None else scale(dst, window)


def translate(*args):
    """Lua ``image.translate([dst,] src, x, y)``: shift by (x, y) pixels, 0 where nothing lands."""
    if len(args) == 4:
        dst, src, x, y = args
    elif len(args) == 3:
        dst, (src, x, y) = None, args
    else:
        raise TypeError(f"image.translate expects ([dst,] src, x, y); got {len(args)} arguments")
    check_tensor("translate", "source", src)
    x, y = int(check_number("translate", "x", x)), int(check_number("translate", "y", y))
    height, width = src.shape[-2:]
    out = torch.zeros_like(src, memory_format=torch.contiguous_format)
    if abs(x) < width and abs(y) < height:
        out[..., max(y, 0):height + min(y, 0), max(x, 0):width + min(x, 0)] = \
            src[..., max(-y, 0):height - max(y, 0), max(-x, 0):width - max(x, 0)]
    return into("translate", dst, out)


def _rotation(width, height, theta):
    """Per output pixel, the source position before interpolation, as generic/image.c computes it."""
    theta = _f32(theta)
    xc, yc = _f32((width - 1) / 2.0), _f32((height - 1) / 2.0)
    dx = (torch.arange(width, dtype=_F32) - xc).unsqueeze(0)
    dy = (torch.arange(height, dtype=_F32) - yc).unsqueeze(1)
    return theta, xc, yc, dx, dy


def _round_half_away(x):
    x = x.double()
    return (torch.sign(x) * torch.floor(x.abs() + 0.5)).to(torch.int64)


def _rotate_simple(src, theta):
    height, width = src.shape[-2:]
    theta, xc, yc, dx, dy = _rotation(width, height, theta)
    cos_t = _f32(math.cos(float(theta)))
    sin_t = _f32(math.sin(float(theta)))
    ii = _round_half_away(cos_t * dx - sin_t * dy + xc)
    jj = _round_half_away(cos_t * dy + sin_t * dx + yc)
    inside = (ii >= 0) & (ii < width) & (jj >= 0) & (jj < height)
    flat = (jj.clamp(0, height - 1) * width + ii.clamp(0, width - 1)).reshape(-1)
    picked = src.reshape(src.shape[0], -1).index_select(1, flat).reshape(src.shape).to(_F32)
    return from_intermediate(torch.where(inside, picked, 0.0), src.dtype)


def _rotate_bilinear(src, theta):
    height, width = src.shape[-2:]
    temp = work_dtype(src.dtype)
    theta, xc, yc, dx, dy = _rotation(width, height, theta)
    cos_t, sin_t = math.cos(float(theta)), math.sin(float(theta))
    ri = (cos_t * dx.double() - sin_t * dy.double()).to(temp)
    rj = (cos_t * dy.double() + sin_t * dx.double()).to(temp)
    ri, rj = torch.broadcast_tensors(ri, rj)
    ii0 = torch.floor(ri + xc.to(temp)).to(torch.int64)
    jj0 = torch.floor(rj + yc.to(temp)).to(torch.int64)
    wi = ri + xc.to(temp) - ii0.to(temp)
    wj = rj + yc.to(temp) - jj0.to(temp)
    ii1, jj1 = ii0 + 1, jj0 + 1
    blank = torch.zeros_like(ii0, dtype=torch.bool)
    # the closest value on the border (a pixel or nothing), in generic/image.c's order
    keep = (ii1 == width) & (wi < 0.5)
    blank |= ~keep & (ii1 >= width)
    ii1 = torch.where(keep, ii0, ii1)
    keep = (jj1 == height) & (wj < 0.5)
    blank |= ~keep & (jj1 >= height)
    jj1 = torch.where(keep, jj0, jj1)
    keep = (ii0 == -1) & (wi > 0.5)
    blank |= ~keep & (ii0 < 0)
    ii0 = torch.where(keep, ii1, ii0)
    keep = (jj0 == -1) & (wj > 0.5)
    blank |= ~keep & (jj0 < 0)
    jj0 = torch.where(keep, jj1, jj0)
    flat_src = src.reshape(src.shape[0], -1)

    def sample(jj, ii):
        index = (jj.clamp(0, height - 1) * width + ii.clamp(0, width - 1)).reshape(-1)
        return flat_src.index_select(1, index).reshape(src.shape).double()

    wi, wj = wi.double(), wj.double()
    value = ((1.0 - wi) * (1.0 - wj) * sample(jj0, ii0) + wi * (1.0 - wj) * sample(jj0, ii1)
             + (1.0 - wi) * wj * sample(jj1, ii0) + wi * wj * sample(jj1, ii1))
    return from_intermediate(torch.where(blank, 0.0, value).to(_F32), src.dtype)  # through a C float


def rotate(*args):
    """Lua ``image.rotate([dst,] src, theta [, mode])``: rotate by ``theta`` radians about the centre;
    ``mode`` 'simple' (nearest, default) or 'bilinear'."""
    dst, src, theta, mode = dst_src_value_mode(
        "rotate", args, "([dst,] src, theta [, mode])",
        lambda a: isinstance(a[1], (int, float)) and not isinstance(a[1], bool))
    check_tensor("rotate", "source", src)
    check_number("rotate", "theta", theta)
    mode = "simple" if mode is None else mode
    if mode not in ("simple", "bilinear"):
        raise ValueError(f"image.rotate: mode must be one of: simple | bilinear, got {mode!r}")
    if dst is src:
        raise ValueError("image.rotate: in-place rotate not supported (dst is src)")
    rotated = (_rotate_simple if mode == "simple" else _rotate_bilinear)(as_chw(src), theta)
    return into("rotate", dst, rotated.reshape(src.shape))


def _flip_args(name, args):
    if len(args) == 2:
        return args
    if len(args) == 1:
        return None, args[0]
    raise TypeError(f"image.{name} expects ([dst,] src); got {len(args)} arguments")


def hflip(*args):
    """Lua ``image.hflip([dst,] src)``: mirror left/right (in place when dst is src)."""
    dst, src = _flip_args("hflip", args)
    check_tensor("hflip", "source", src)
    return into("hflip", dst, src.flip(-1))


def vflip(*args):
    """Lua ``image.vflip([dst,] src)``: mirror upside down (in place when dst is src)."""
    dst, src = _flip_args("vflip", args)
    check_tensor("vflip", "source", src)
    return into("vflip", dst, src.flip(-2))


def flip(*args):
    """Lua ``image.flip([dst,] src, dim)``: reverse dimension ``dim`` (1-based) of a tensor of up to 5-D."""
    if len(args) == 3:
        dst, src, dim = args
    elif len(args) == 2:
        dst, (src, dim) = None, args
    else:
        raise TypeError(f"image.flip expects ([dst,] src, dim); got {len(args)} arguments")
    check_tensor("flip", "source", src, (1, 2, 3, 4, 5))
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= src.dim():
        raise ValueError(f"image.flip: dim must be a dimension of the source (1..{src.dim()}), got {dim!r}")
    if dst is src:
        raise ValueError("image.flip: in-place flip not supported (dst is src)")
    return into("flip", dst, src.flip(dim - 1))
