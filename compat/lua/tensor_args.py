"""The argument conventions that Torch7's TensorMath functions share (used by
:mod:`compat.lua.tensor_math`, :mod:`compat.lua.tensor_order` and :mod:`compat.lua.tensor_linalg`):
1-based dimensions, numbers as Torch7's C code reads them, a leading result tensor, and the error of
a form Torch7 does not have."""
import torch

_Tensor = torch.Tensor
_SCALAR = (int, float)


def _dim(x, d):
    return int(d) - 1 if d > 0 else x.dim() + int(d)  # 1-based


def _real(x, v):
    """A Lua number as Torch7's C code reads it for tensor ``x``: truncated for integer types."""
    if x.is_floating_point() or isinstance(v, _Tensor):
        return v
    return int(v)


def _into(res, result):
    """Torch7's result argument: ``res`` resized to ``result`` and filled with it."""
    if res is result:
        return res
    if res.shape != result.shape:
        res.resize_(result.shape)
    res.copy_(result)
    return res


def _split(args, n):
    """Torch form ``torch.f([res,] src, ...)`` taking ``n`` tensors besides a result: the result
    tensor (or None) and the remaining arguments."""
    count = 0
    for a in args:
        if isinstance(a, _Tensor):
            count += 1
    if count > n:
        return args[0], args[1:]
    return None, args


def _bad(name, args):
    kinds = ", ".join(type(a).__name__ if not isinstance(a, _Tensor) else "tensor" for a in args)
    return TypeError(f"{name}: Torch7 has no form taking ({kinds})")


def _results(args, name):
    """``torch.f([values, indices,] x, ...)``: the two result tensors or (None, None), and the rest."""
    if len(args) >= 3 and isinstance(args[0], _Tensor) and isinstance(args[1], _Tensor) \
            and isinstance(args[2], _Tensor):
        return args[0], args[1], args[2:]
    return None, None, args


def _give(rv, ri, values, indices):
    if rv is None:
        return values, indices
    return _into(rv, values), _into(ri, indices)
