"""Torch7's order statistics (``sort``, ``topk``, ``kthvalue``, ``median``, ``mode``) with the indices
Torch7 returns: PyTorch's kernels where a slice has no equal values, else Torch7's own quicksort and
quickselect, run on that slice (``topk`` and ``mode`` always), so that ties come out where Torch7
put them. Dimensions and indices are 1-based (see :mod:`compat.lua.tensor_math`)."""
import torch

from compat.lua.tensor_args import _dim, _give, _results

# Torch7 sorts with its own quicksort/quickselect (lib/TH/generic/THTensorMath.c), not stable: among
# equal values the indices come out in that algorithm's order. The ports below work on Python lists
# of one slice; the callers use PyTorch alone when no slice holds equal values.
_SMALL = 10


def _quicksort(arr, idx, descending):
    def before(a, b):
        return a > b if descending else a < b

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    n = len(arr)
    stack = []
    lo, hi = 0, n - 1
    done = n - 1 <= _SMALL
    while not done:
        p = (lo + hi) >> 1
        swap(p, lo + 1)
        if before(arr[hi], arr[lo + 1]):
            swap(lo + 1, hi)
        if before(arr[hi], arr[lo]):
            swap(lo, hi)
        if before(arr[lo], arr[lo + 1]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while before(arr[i], piv):
                i += 1
            j -= 1
            while before(piv, arr[j]):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        left, right = j - lo, hi - i + 1
        if left <= _SMALL and right <= _SMALL:
            if not stack:
                done = True
            else:
                lo, hi = stack.pop()
        elif left <= _SMALL or right <= _SMALL:
            if left > right:
                hi = j - 1
            else:
                lo = i
        elif left > right:
            stack.append((lo, j - 1))
            lo = i
        else:
            stack.append((i, hi))
            hi = j - 1
    for i in range(n - 2, -1, -1):                 # insertion sort over the small subfiles
        if before(arr[i + 1], arr[i]):
            piv, pid = arr[i], idx[i]
            j = i + 1
            while True:
                arr[j - 1], idx[j - 1] = arr[j], idx[j]
                j += 1
                if not (j < n and before(arr[j], piv)):
                    break
            arr[j - 1], idx[j - 1] = piv, pid


def _quickselect(arr, idx, k):
    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    lo, hi = 0, len(arr) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if arr[lo] > arr[hi]:
                swap(lo, hi)
            return
        p = (lo + hi) >> 1
        swap(p, lo + 1)
        if arr[lo + 1] > arr[hi]:
            swap(lo + 1, hi)
        if arr[lo] > arr[hi]:
            swap(lo, hi)
        if arr[lo + 1] > arr[lo]:
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while arr[i] < piv:
                i += 1
            j -= 1
            while arr[j] > piv:
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


def _slices(x, d):
    """The slices of x along dimension d (0-based) as Python lists, and a function that puts lists
    of per-slice results back as a tensor of dimension d of length m."""
    moved = x.movedim(d, -1)
    rows = moved.reshape(-1, x.size(d)).tolist()

    def back(lists, dtype, m):
        flat = torch.tensor(lists, dtype=dtype).reshape(*moved.shape[:-1], m)
        return flat.movedim(-1, d).contiguous()
    return rows, back


def _has_ties(sorted_values, d):
    if sorted_values.size(d) < 2:
        return False
    return bool((sorted_values.narrow(d, 1, sorted_values.size(d) - 1)
                 == sorted_values.narrow(d, 0, sorted_values.size(d) - 1)).any())


def _sort_compute(x, d, descending):
    values, indices = torch.sort(x, dim=d, descending=descending, stable=True)
    if not _has_ties(values, d):
        return values, indices + 1  # 1-based
    rows, back = _slices(x, d)
    out_v, out_i = [], []
    for row in rows:
        idx = list(range(len(row)))
        _quicksort(row, idx, descending)
        out_v.append(row)
        out_i.append(idx)
    n = x.size(d)
    return back(out_v, x.dtype, n), back(out_i, torch.int64, n) + 1  # 1-based


def _sort(*args):
    """``torch.sort([v, i,] x [, dim] [, descending])``: dim defaults to the last; ``x:sort(true)``
    sorts the last dimension in descending order."""
    rv, ri, args = _results(args, "sort")
    x, rest = args[0], list(args[1:])
    descending = False
    if rest and isinstance(rest[-1], bool):
        descending = rest.pop()
    d = _dim(x, rest[0]) if rest else x.dim() - 1
    return _give(rv, ri, *_sort_compute(x, d, descending))


def _select_k(x, k, d):
    """Per slice along d: the value and 0-based index Torch7's quickselect leaves at position k-1."""
    values, indices = torch.kthvalue(x, k, d, keepdim=True)
    if not bool((x == values).sum(d).gt(1).any()):
        return values, indices
    rows, back = _slices(x, d)
    out_v, out_i = [], []
    for row in rows:
        idx = list(range(len(row)))
        _quickselect(row, idx, k - 1)
        out_v.append([row[k - 1]])
        out_i.append([idx[k - 1]])
    return back(out_v, x.dtype, 1), back(out_i, torch.int64, 1)


def _kthvalue(*args):
    """``torch.kthvalue([v, i,] x, k [, dim])``: keeps dimension dim (a 1-D x gives size 1)."""
    rv, ri, args = _results(args, "kthvalue")
    x, k = args[0], int(args[1])
    d = _dim(x, args[2]) if len(args) > 2 else x.dim() - 1
    if not 1 <= k <= x.size(d):
        raise IndexError(f"kthvalue: k={k} is outside 1..{x.size(d)} of dimension {d + 1}")
    values, indices = _select_k(x, k, d)
    return _give(rv, ri, values, indices + 1)  # 1-based


def _median(*args):
    """``torch.median([v, i,] x [, dim])``: the lower median (kthvalue at (n-1)//2 + 1)."""
    rv, ri, args = _results(args, "median")
    x = args[0]
    d = _dim(x, args[1]) if len(args) > 1 else x.dim() - 1
    values, indices = _select_k(x, (x.size(d) - 1) // 2 + 1, d)
    return _give(rv, ri, values, indices + 1)  # 1-based


def _mode(*args):
    """``torch.mode([v, i,] x [, dim])``: the most frequent value (the smallest among equally frequent
    ones) and the index Torch7's quicksort leaves last for it."""
    rv, ri, args = _results(args, "mode")
    x = args[0]
    d = _dim(x, args[1]) if len(args) > 1 else x.dim() - 1
    rows, back = _slices(x, d)
    out_v, out_i = [], []
    for row in rows:
        idx = list(range(len(row)))
        _quicksort(row, idx, False)
        best, best_i, best_n, run = 0, 0, 0, 0
        for i, v in enumerate(row):
            run += 1
            if i == len(row) - 1 or v != row[i + 1]:
                if run > best_n:
                    best, best_i, best_n = v, idx[i], run
                run = 0
        out_v.append([best])
        out_i.append([best_i])
    return _give(rv, ri, back(out_v, x.dtype, 1), back(out_i, torch.int64, 1) + 1)  # 1-based


def _topk(*args):
    """``torch.topk([v, i,] x, k [, dim] [, largest] [, sorted])``: the k smallest by default, in the
    order Torch7's quickselect leaves them unless sorted is true."""
    rv, ri, args = _results(args, "topk")
    x, rest = args[0], list(args[1:])
    k = int(rest.pop(0)) if rest and not isinstance(rest[0], bool) else 1
    d = x.dim() - 1
    if rest and not isinstance(rest[0], bool):
        d = _dim(x, rest.pop(0))
    largest = bool(rest.pop(0)) if rest else False
    ordered = bool(rest.pop(0)) if rest else False
    n = x.size(d)
    if not 1 <= k <= n:
        raise IndexError(f"topk: k={k} is outside 1..{n} of dimension {d + 1}")
    rows, back = _slices(x, d)
    out_v, out_i = [], []
    for row in rows:
        idx = list(range(n))
        if largest:
            first = n - k
            if first > 0:
                _quickselect(row, idx, first - 1)
            part, pidx = row[first:], idx[first:]
            if ordered:
                _quicksort(part, pidx, True)
        else:
            _quickselect(row, idx, k - 1)
            part, pidx = row[:k], idx[:k]
            if ordered:
                # Torch7 passes k - 1 elements here, so the k-th stays where quickselect put it.
                head, hidx = part[:k - 1], pidx[:k - 1]
                _quicksort(head, hidx, False)
                part, pidx = head + part[k - 1:], hidx + pidx[k - 1:]
        out_v.append(part)
        out_i.append(pidx)
    return _give(rv, ri, back(out_v, x.dtype, k), back(out_i, torch.int64, k) + 1)  # 1-based
