"""torch/image's geometry (``init.lua`` and ``generic/image.c``): scale, crop, translate, rotate, flips.

Images are ``H x W`` or ``C x H x W`` tensors of any type. The arithmetic is generic/image.c's, done
on tensors, one PyTorch operation per C operation: positions are single-precision floats as in the
C code, bilinear and simple modes pass each value through a C ``float`` (so a DoubleTensor result
carries float precision, as Torch7's does), and a ByteTensor result is rounded half up and clamped
to [0, 255].

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
import threading

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
    if count == 0:
        return slice(0, 0, 1)
    start = int(index[0])
    step = int(index[1] - index[0]) if count > 1 else 1
    if step >= 1 and torch.equal(index, start + step * torch.arange(count)):
        return slice(start, start + step * (count - 1) + 1, step)
    return index


# Each pass of a separable mode resamples one axis. Along the rows (the last dimension of a C x R x L
# tensor) the samples are gathered with ``torch.gather``; along the columns the image is held as
# L x C x M (whole rows outermost, the layout the rows pass writes) and the samples are whole rows
# copied by ``index_select``. Samples at evenly stepping positions are views (no copy); the others
# an output reads are gathered by one call. The work goes in blocks of rows whose buffers take
# about _BLOCK_BYTES (smaller blocks save cache misses but cost more Python calls than they save).
_BLOCK_BYTES = 1 << 23


# Scratch buffers stay with their thread between calls, _KEEP_BYTES in all: a fresh large tensor costs
# a page fault per page on first touch, as much as several elementwise passes over it.
_KEEP_BYTES = 1 << 26
_kept = threading.local()


def _scratch(name, shape, dtype):
    """This thread's buffer ``name`` of ``shape`` (contents undefined; never part of a result)."""
    buffers = getattr(_kept, "buffers", None)
    if buffers is None:
        buffers = _kept.buffers = {}
    key = (name, dtype)
    buffer = buffers.get(key)
    if buffer is not None:
        if buffer.shape == shape:
            return buffer
        numel = math.prod(shape)
        if numel <= buffer.numel():
            return buffer.view(-1)[:numel].view(shape)
    fresh = torch.empty(shape, dtype=dtype)
    others = sum(b.numel() * b.element_size() for k, b in buffers.items() if k != key)
    if others + fresh.numel() * fresh.element_size() <= _KEEP_BYTES:
        buffers[key] = fresh
    return fresh


class _Samples:
    """The source positions of K samples per output: a ``slice`` where they step evenly (a view),
    else a row of ``index`` (the K' gathered ones, stacked: one gather reads them all)."""

    def __init__(self, rows, index):
        self.rows, self.index = rows, index

    @classmethod
    def at(cls, indices):
        """The samples at positions ``indices`` (K tensors of n positions)."""
        rows = [_positions(index) for index in indices]
        gathered = [row for row in rows if not isinstance(row, slice)]
        return cls([row if isinstance(row, slice) else None for row in rows],
                   torch.stack(gathered) if gathered else None)

    def part(self, start, length):
        """The samples of outputs ``start .. start + length - 1``."""
        rows = [None if row is None else
                slice(row.start + start * row.step, row.start + (start + length - 1) * row.step + 1, row.step)
                for row in self.rows]
        return _Samples(rows, None if self.index is None else self.index[:, start:start + length])

    def take(self, along, src, ws, phases=None, name="samples"):
        """The samples of ``src`` (gathered into buffer ``name``); ``phases`` keeps the strided copies
        for the next sample set."""
        gathered = iter(along.gather(src, self.index, ws, name) if self.index is not None else ())
        phases = {} if phases is None else phases
        samples = []
        for row in self.rows:
            if row is None:
                samples.append(next(gathered))
            elif along is _Rows and row.step > 1:
                # every step-th element of each row, copied once per phase (elementwise operations on a
                # strided last dimension are several times slower), then contiguous windows of it
                key = (row.start % row.step, row.step)
                if key not in phases:
                    strided = src[..., key[0]::row.step]
                    phases[key] = ws(f"phase{key}", strided.shape, src.dtype).copy_(strided)
                length = len(range(row.start, row.stop, row.step))
                samples.append(phases[key].narrow(-1, row.start // row.step, length))
            else:
                samples.append(along.view(src, row))
        return samples


class _Rows:
    """Resampling along the last dimension of a ``C x R x L`` tensor."""

    @staticmethod
    def weights(values):
        return values

    @staticmethod
    def window(t, start, length):
        return t.narrow(-1, start, length)

    @staticmethod
    def view(t, positions):
        return t[..., positions]

    @staticmethod
    def padded(src, before, after, dtype):
        """``src`` in ``dtype`` with room for ``before``/``after`` samples at each end of the axis."""
        out = _scratch("rows source", (*src.shape[:-1], before + src.shape[-1] + after), dtype)
        out.narrow(-1, before, src.shape[-1]).copy_(src)
        return out

    @staticmethod
    def gather(src, index, ws, name):
        """``src`` at the ``K x n`` positions ``index``: K tensors ``C x R x n``."""
        k, n = index.shape
        lead = src.shape[:-1]
        out = ws(name, (k, *lead, n), src.dtype)
        return torch.gather(src.unsqueeze(0).expand(k, *src.shape), -1, index.view(k, 1, 1, n).expand(k, *lead, n),
                            out=out).unbind(0)

    @staticmethod
    def stack(parts, intervals, like, ws):
        """A ``parts x C x R x intervals`` buffer and its parts."""
        out = ws("stack", (parts, *like.shape[:-1], intervals), like.dtype)
        return out, out.unbind(0)

    @staticmethod
    def gather_stack(stack, index, ws):
        n = index.shape[0]
        out = ws("samples", (*stack.shape[:-1], n), stack.dtype)
        return torch.gather(stack, -1, index.view(1, 1, 1, n).expand(*stack.shape[:-1], n), out=out).unbind(0)


class _Columns:
    """Resampling along the first dimension of an ``L x C x M`` tensor (whole rows)."""

    @staticmethod
    def weights(values):
        return values.view(-1, 1, 1)

    @staticmethod
    def window(t, start, length):
        return t.narrow(0, start, length)

    @staticmethod
    def view(t, positions):
        return t[positions]

    @staticmethod
    def padded(src, before, after, dtype):
        out = _scratch("columns source", (before + src.shape[0] + after, *src.shape[1:]), dtype)
        out.narrow(0, before, src.shape[0]).copy_(src)
        return out

    @staticmethod
    def gather(src, index, ws, name):
        k, n = index.shape
        out = ws(name, (k * n, *src.shape[1:]), src.dtype)
        torch.index_select(src.view(src.shape[0], -1), 0, index.reshape(-1), out=out.view(k * n, -1))
        return out.view(k, n, *src.shape[1:]).unbind(0)

    @staticmethod
    def stack(parts, intervals, like, ws):
        out = ws("stack", (intervals, parts, *like.shape[1:]), like.dtype)
        return out, out.unbind(1)

    @staticmethod
    def gather_stack(stack, index, ws):
        out = ws("samples", (index.shape[0], *stack.shape[1:]), stack.dtype)
        torch.index_select(stack.view(stack.shape[0], -1), 0, index, out=out.view(index.shape[0], -1))
        return out.unbind(1)


def _emit(op, a, b, out, value_dtype, ws):
    """``out = FromIntermediate(op(a, b))`` for a C value of type ``value_dtype``. No operation is given
    an ``out`` of another type than it computes in (PyTorch would add a temporary and a copy)."""
    compute = torch.result_type(a, b)
    if compute == value_dtype == out.dtype:
        op(a, b, out=out)
        return
    value = op(a, b, out=ws("value", out.shape, compute))
    if compute != value_dtype and out.dtype != value_dtype:
        value = value.to(value_dtype)
    out.copy_(value if out.dtype.is_floating_point else from_intermediate(value, out.dtype))


@functools.lru_cache(maxsize=128)
def _linear_plan(src_len, dst_len, work):
    """The samples and weights of a linear resampling (they depend on the sizes only; shared between
    calls and only read). Enlarging: ``(samples base and base + 1, w0, w1)`` for the first
    ``dst_len - 1`` outputs. Shrinking: ``(samples, partial last samples, w_start, w_end, count,
    padded)``; with ``padded``, the samples past an output's end read position ``src_len``, a
    padding sample that leaves the float accumulator as it is."""
    if dst_len > src_len:
        step = _f32(src_len - 1) / _f32(dst_len - 1)
        pos = torch.arange(dst_len - 1, dtype=_F32) * step
        base = pos.to(torch.int64)
        frac = pos - base
        samples = _Samples.at([base.clamp(max=src_len - 1), (base + 1).clamp(max=src_len - 1)])
        return samples, (1 - frac).to(work), frac.to(work)
    step = _f32(src_len) / _f32(dst_len)
    end = torch.arange(1, dst_len + 1, dtype=_F32) * step
    end_i = end.to(torch.int64)
    end_f = end - end_i
    start_i = torch.cat([torch.zeros(1, dtype=torch.int64), end_i[:-1]])
    start_f = torch.cat([torch.zeros(1, dtype=_F32), end_f[:-1]])
    rows = [start_i.clamp(max=src_len - 1)]
    count = 1 - start_f
    for t in range(max(int((end_i - start_i - 1).max()), 0)):
        index = start_i + 1 + t
        valid = index < end_i
        rows.append(torch.where(valid, index, src_len))
        count = torch.where(valid, count + 1, count)
    # the partial last sample, for the outputs whose end lies inside the source (a prefix): read on
    # that prefix, or everywhere (the others reading the padding) when the padding is there anyway
    covered = int((end_i < src_len).sum())
    padded = any(bool((row == src_len).any()) for row in rows[1:])
    tail = end_i.clamp(max=src_len) if padded else end_i[:covered]
    count = torch.cat([count[:covered] + end_f[:covered], count[covered:]])
    w_start = None if bool((start_f == 0).all()) else (1 - start_f).to(work)  # None: all 1
    return (_Samples.at(rows), _Samples.at([tail]), w_start, end_f[:tail.shape[0]].to(work), count,
            padded)


def _linear_block(along, src, plan, out, work, ws):
    """generic/image.c's linear resampling of one block: ``src`` holds the samples (padded when
    shrinking), ``plan`` the block's part of the plan, ``out`` receives the values."""
    if len(plan) == 3:  # enlarging: (1 - frac) s[base] + frac s[base + 1]
        samples, w0, w1 = plan
        s0, s1 = samples.take(along, src, ws)
        if s0.dtype == work and not any(samples.rows):  # both gathered: scratch buffers
            v0, v1 = s0.mul_(along.weights(w0)), s1.mul_(along.weights(w1))
        else:
            v0 = torch.mul(s0, along.weights(w0), out=ws("v0", out.shape, work))
            v1 = torch.mul(s1, along.weights(w1), out=ws("v1", out.shape, work))
        _emit(torch.add, v0, v1, out, work, ws)
        return
    # shrinking: the covered source samples summed into a C float accumulator in the C order (each
    # sum formed in the source's precision, then rounded to float), divided by the covered length
    samples, tail, w_start, w_end, count, _ = plan
    phases = {}
    samples = samples.take(along, src, ws, phases)
    acc = ws("acc", out.shape, _F32)
    covered = w_end.shape[0]
    if covered:
        tail = tail.take(along, src, ws, phases, "tail samples")[0]
        tail = torch.mul(tail, along.weights(w_end), out=ws("tail", tail.shape, work))
    first = samples[0] if w_start is None else \
        torch.mul(samples[0], along.weights(w_start), out=ws("wide", out.shape, work))
    if work == _F32:
        acc.copy_(first)
        for sample in samples[1:]:
            acc.add_(sample)
        if covered:
            along.window(acc, 0, covered).add_(tail)
    else:  # a double source: each sum in double, rounded to float (through acc: no mixed-type operation)
        acc.copy_(first)
        wide = ws("wide", out.shape, work)
        for sample in samples[1:]:
            wide.copy_(acc).add_(sample)
            acc.copy_(wide)
        if covered:
            head, wide = along.window(acc, 0, covered), along.window(wide, 0, covered)
            wide.copy_(head).add_(tail)
            head.copy_(wide)
    _emit(torch.div, acc, along.weights(count), out, _F32, ws)


@functools.lru_cache(maxsize=128)
def _cubic_plan(src_len, dst_len, temp):
    """Per computed output (all but the last): the interval ``base``, its samples ``p0..p3`` (at
    ``base + 0..3`` in the source padded by one sample at each end), ``x`` and ``0.5 x`` (double)."""
    step = _f32(src_len - 1) if dst_len == 1 else _f32(src_len - 1) / _f32(dst_len - 1)
    pos = torch.arange(dst_len - 1, dtype=_F32) * step
    base = pos.to(torch.int64).clamp(max=src_len - 2)
    x = pos - pos.to(torch.int64)
    return base, _Samples.at([base + k for k in range(4)]), x.to(temp), 0.5 * x.double()


def _cubic_coefficients(p0, p1, p2, p3, a3, a2, a1, scratch):
    """a3 = 3 (p1 - p2) + p3 - p0, a2 = 2 p0 - 5 p1 + 4 p2 - p3, a1 = p2 - p0, in the C order."""
    torch.mul(p0, 2.0, out=a2).sub_(torch.mul(p1, 5.0, out=scratch)).add_(torch.mul(p2, 4.0, out=scratch)).sub_(p3)
    torch.sub(p1, p2, out=a3).mul_(3.0).add_(p3).sub_(p0)
    torch.sub(p2, p0, out=a1)


def _cubic_block(along, src, plan, out, temp, ws, lo=0):
    """generic/image.c's cubic resampling of one block: ``src`` is padded by one sample at each end (in
    ``temp``), ``plan`` the block's part of the plan, ``out`` receives the values. When the outputs
    outnumber the source intervals they use (``lo`` is the first), the coefficients are worked out
    per interval and gathered, else per output from the samples."""
    base, samples, x, half_x = plan
    intervals = int(base[-1]) - lo + 1
    if intervals < base.shape[0]:
        stack, (a3, a2, a1, p1) = along.stack(4, intervals, src, ws)
        p = [along.window(src, lo + k, intervals) for k in range(4)]
        _cubic_coefficients(*p, a3, a2, a1, ws("scratch", p[0].shape, temp))
        p1.copy_(p[1])
        a3, a2, a1, p1 = along.gather_stack(stack, base - lo if lo else base, ws)
    else:
        p0, p1, p2, p3 = samples.take(along, src, ws)
        a3, a2, a1 = (ws(name, out.shape, temp) for name in ("a3", "a2", "a1"))
        _cubic_coefficients(p0, p1, p2, p3, a3, a2, a1, ws("scratch", out.shape, temp))
    x = along.weights(x)
    inner = a3.mul_(x).add_(a2).mul_(x).add_(a1)  # a1 + x * (a2 + x * a3)
    half_x = along.weights(half_x)
    if temp == torch.float64:
        _emit(torch.add, p1, inner.mul_(half_x), out, temp, ws)
    else:  # 0.5 is a C double: the last product and sum are double, stored back as float
        wide = ws("wide", out.shape, torch.float64).copy_(inner).mul_(half_x)
        _emit(torch.add, ws("p1", out.shape, torch.float64).copy_(p1), wide, out, temp, ws)


def _extrapolate(along, padded, length):
    """The samples past each end of a cubic's source: ``2 p1 - p2`` (padding already in place)."""
    if length >= 4:  # both ends at once: positions (0, L+1) from (1, L) and (2, L-1)
        ends = along.view(padded, slice(0, length + 2, length + 1))
        torch.mul(along.view(padded, slice(1, length + 1, length - 1)), 2.0, out=ends)
        ends.sub_(along.view(padded, slice(2, length, length - 3)))
        return
    for edge, first, second in ((0, 1, 2), (length + 1, length, length - 1)):
        torch.mul(along.window(padded, first, 1), 2.0, out=along.window(padded, edge, 1))
        along.window(padded, edge, 1).sub_(along.window(padded, second, 1))


def _prepared(along, src, dst_len, cubic, padded=None):
    """The padded source and the plan of one pass (``padded``: a cubic's source already in place)."""
    dtype, src_len = src.dtype, (src.shape[-1] if along is _Rows else src.shape[0])
    if cubic:
        temp = work_dtype(dtype)
        if padded is None:
            padded = along.padded(src, 1, 1, temp)
        _extrapolate(along, padded, src_len)
        return padded, _cubic_plan(src_len, dst_len, temp), temp
    work = torch.float64 if dtype == torch.float64 else _F32
    plan = _linear_plan(src_len, dst_len, work)
    if len(plan) == 3 or not plan[-1]:
        return (src if along is _Rows else src.contiguous()), plan, work
    padded = along.padded(src, 0, 1, dtype)
    # x + (-0.0) is x for every float x; an integer source's float accumulator is never -0
    along.window(padded, src_len, 1).fill_(-0.0 if dtype.is_floating_point else 0)
    return padded, plan, work


def _outputs_computed(plan, dst_len, cubic):
    """The outputs worked out: all but the last of a cubic resampling or a linear enlargement
    (generic/image.c copies the last source sample there)."""
    if cubic:
        return plan[0].shape[0]
    return plan[1].shape[0] if len(plan) == 3 else dst_len


def _block_len(total, row_elements):
    """Rows per block: about eight double buffers of ``row_elements`` values a row in _BLOCK_BYTES."""
    return max(1, min(total, _BLOCK_BYTES // (row_elements * 64)))


def _pass_rows(src, dst_len, out, cubic):
    """Resample the rows of ``src`` (C x R x L) into ``out`` (C x R x dst_len, any strides)."""
    padded, plan, kind = _prepared(_Rows, src, dst_len, cubic)
    block = _cubic_block if cubic else _linear_block
    computed = _outputs_computed(plan, dst_len, cubic)
    if computed:
        rows = src.shape[1]
        step = _block_len(rows, src.shape[0] * dst_len)
        target = out.narrow(-1, 0, computed)
        ws = _scratch
        for r0 in range(0, rows, step):
            r = min(step, rows - r0)
            block(_Rows, padded.narrow(1, r0, r), plan, target.narrow(1, r0, r), kind, ws)
    if computed < dst_len:
        out.narrow(-1, dst_len - 1, 1).copy_(src.narrow(-1, src.shape[-1] - 1, 1))


def _plan_part(plan, start, length):
    """The plan of outputs ``start .. start + length - 1``."""
    if len(plan) == 6:  # linear shrinking: the partial last samples cover a prefix
        samples, tail, w_start, w_end, count, padded = plan
        covered = min(max(w_end.shape[0] - start, 0), length)
        return (samples.part(start, length), tail.part(start, covered),
                None if w_start is None else w_start[start:start + length], w_end[start:start + covered],
                count[start:start + length], padded)
    return tuple(p.part(start, length) if isinstance(p, _Samples) else p[start:start + length] for p in plan)


def _pass_columns(src, dst_len, out, cubic, padded=None):
    """Resample ``src`` (L x C x M) along its first dimension into ``out`` (dst_len x C x M)."""
    padded, plan, kind = _prepared(_Columns, src, dst_len, cubic, padded)
    computed = _outputs_computed(plan, dst_len, cubic)
    step = _block_len(computed, src.shape[1] * src.shape[2])
    ws = _scratch
    for j0 in range(0, computed, step):
        n = min(step, computed - j0)
        part = plan if n == computed else _plan_part(plan, j0, n)
        if cubic:
            _cubic_block(_Columns, padded, part, out.narrow(0, j0, n), kind, ws, int(part[0][0]))
        else:
            _linear_block(_Columns, padded, part, out.narrow(0, j0, n), kind, ws)
    if computed < dst_len:
        out.narrow(0, dst_len - 1, 1).copy_(src.narrow(0, src.shape[0] - 1, 1))


def _separable(src, height, width, cubic):
    """Rows first (along the width), then columns, as generic/image.c. The rows pass writes its result
    with whole rows outermost (H x C x W), the layout the columns pass gathers from."""
    channels, src_h, src_w = src.shape
    dtype = src.dtype
    pad = False
    out = torch.empty(channels, height, width, dtype=dtype)
    columns = out.permute(1, 0, 2)
    if width == src_w:
        middle = src.permute(1, 0, 2)
        if height == src_h:
            return out.copy_(src)
    else:
        if src_w == 1:  # Torch7 leaves the last sample unwritten here; it gets the source value
            middle = src.permute(1, 0, 2).expand(src_h, channels, width)
        elif height == src_h:
            middle = columns
            _pass_rows(src, width, middle.permute(1, 0, 2), cubic)
        else:
            # a cubic columns pass reads the rows with one more at each end: in place when the types agree
            pad = cubic and src_h > 1 and work_dtype(dtype) == dtype
            padded = _scratch("middle", (src_h + 2 * pad, channels, width), dtype)
            middle = padded.narrow(0, int(pad), src_h)
            _pass_rows(src, width, middle.permute(1, 0, 2), cubic)
        if height == src_h:
            return out.copy_(middle.permute(1, 0, 2)) if middle is not columns else out
    if src_h == 1:
        columns.copy_(middle.expand(height, channels, width))
        return out
    _pass_columns(middle, height, columns, cubic, padded if pad else None)
    return out


@functools.lru_cache(maxsize=128)
def _nearest_plan(src_len, dst_len):
    """``(index, regular)``: the source sample of each output, and ``k`` when each sample is repeated
    ``k`` times in order, a ``slice`` when they step evenly, else None."""
    index = (torch.arange(dst_len, dtype=_F32) * (_f32(src_len) / _f32(dst_len))).to(torch.int64)
    index = index.clamp(max=src_len - 1)
    repeat = dst_len // src_len
    if repeat > 1 and dst_len == repeat * src_len and torch.equal(index, torch.arange(dst_len) // repeat):
        return index, repeat
    regular = _positions(index)
    return index, (regular if isinstance(regular, slice) else None)


# the types whose values a C float holds exactly: passing them through one changes nothing
_FLOAT_EXACT = (_F32, torch.float16, torch.bfloat16, torch.uint8, torch.int8, torch.int16, torch.bool)


def _simple(src, height, width):
    channels, src_h, src_w = src.shape
    (cols, col_step), (rows, row_step) = _nearest_plan(src_w, width), _nearest_plan(src_h, height)
    dtype = src.dtype
    # values pass through a C float: round the smaller of the source and the result (selection
    # commutes with it), the result by selecting into a float tensor
    late = dtype not in _FLOAT_EXACT
    if late and height * width >= src_h * src_w:
        src, late = src.to(_F32), False
    if isinstance(col_step, slice):
        picked = src[..., col_step]
    elif src.dtype == _F32 and src.is_contiguous():  # index_select has a fast path for float rows
        picked = torch.index_select(src.view(-1, src_w), 1, cols).view(channels, src_h, width)
    else:
        picked = torch.gather(src, -1, cols.expand(channels, src_h, width))
    # late: selected into this thread's float buffer, converted into the result
    out = _scratch("nearest", (channels, height, width), _F32) if late else \
        torch.empty(channels, height, width, dtype=dtype)
    if isinstance(row_step, int):
        out.view(channels, src_h, row_step, width).copy_(picked.unsqueeze(2).expand(channels, src_h, row_step, width))
    elif isinstance(row_step, slice):
        out.copy_(picked[:, row_step])
    else:
        for k in range(channels):
            if picked.dtype == out.dtype:
                torch.index_select(picked[k], 0, rows, out=out[k])
            else:
                out[k].copy_(picked[k].index_select(0, rows))
    return out.to(dtype) if late else out


_MODES = {"bilinear": lambda s, h, w: _separable(s, h, w, False),
          "bicubic": lambda s, h, w: _separable(s, h, w, True),
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
    with torch.no_grad():  # Torch7's resampling has no gradient; its out= operations refuse autograd
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
