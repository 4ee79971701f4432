"""Torch7's TensorMath with its argument forms: arithmetic, comparisons, reductions, sorting,
linear algebra and the index functions, over PyTorch.

Each Torch7 name has two entries: ``METHODS[name](x, ...)`` is ``x:name(...)`` and
``FUNCTIONS[name](...)`` is ``torch.name(...)``. The argument forms follow torch7's TensorMath.lua:

- *in-place family* (``add``, ``cmul``, ``exp``, ``mm``, ...): the method writes into ``x``
  (``x:add(y)``: x = x + y; ``r:add(a, b)``: r = a + b); the function returns a new tensor, or
  writes into a leading result tensor (``torch.add(r, a, 5, b)``);
- *new-result family* (``sum``, ``sort``, ``cross``, ``max``, ...): method and function alike give a
  new tensor, unless a leading result tensor is passed (``torch.sort(v, i, x)``);
- *comparisons* give ByteTensors (0/1 in ``torch.uint8``), or fill a leading result tensor of any
  type (``d:gt(x, 0)``).

Dimensions and indices are 1-based (``# 1-based`` marks each shift). Scalars given to an integer
tensor are truncated to integers first, as Torch7's C code converts them; integer ``div``/``cdiv``
truncate toward zero; ``round`` rounds half away from zero; Float sums, means, variances and dot
products accumulate in double and full reductions return Lua numbers. ``sort``, ``topk``,
``kthvalue``, ``median`` and ``mode`` reproduce Torch7's own quicksort/quickselect where equal values
make the returned indices depend on the algorithm (:mod:`compat.lua.tensor_order`); the linear
algebra is :mod:`compat.lua.tensor_linalg`; the shared argument conventions :mod:`compat.lua.tensor_args`.
"""
import math

import torch

from compat.lua.tensor_args import _SCALAR, _bad, _dim, _into, _real, _split, _Tensor
from compat.lua.tensor_linalg import _eig, _gels, _gesv, _inverse, _potrf, _potri, _potrs, _qr, _svd, _symeig, _trtrs
from compat.lua.tensor_order import _kthvalue, _median, _mode, _sort, _topk

__all__ = ["FUNCTIONS", "METHODS", "tensor_div"]


# ------------------------------------------------------------------------------ element-wise binary
def _div_value(x, v):
    if x.is_floating_point():
        return x / v
    return torch.div(x, int(v), rounding_mode="trunc")


def _div_tensor(x, y):
    if x.is_floating_point():
        return x / y
    return torch.div(x, y, rounding_mode="trunc")


def _remainder(x, v):
    # Torch7: x - v * floor(x / v) for floats (nan when v is 0); the sign of the divisor for integers.
    if x.is_floating_point():
        out = x - v * torch.floor(x / v)
        if isinstance(v, _Tensor):
            return out.masked_fill_(v == 0, math.nan)
        return out.fill_(math.nan) if v == 0 else out
    return torch.remainder(x, v)


def _integer_only(name, op):
    def compute(x, v):
        if x.is_floating_point():
            raise TypeError(f"{name} is only supported for integer type tensors, got {x.dtype}")
        return op(x, v)
    return compute


def _shift(op, scale):
    def compute(x, v):
        if x.is_floating_point():
            return scale(x, 2.0 ** v)
        return op(x, v)
    return compute


def _div_in_place(x, v):
    return x.div_(v) if x.is_floating_point() else x.div_(v, rounding_mode="trunc")


# name -> (compute(src, operand) -> new tensor, in-place function or None): a number operand ...
_VALUE_OPS = {
    "mul": (torch.mul, _Tensor.mul_),
    "div": (_div_value, _div_in_place),
    "fmod": (torch.fmod, _Tensor.fmod_),
    "remainder": (_remainder, None),
    "bitand": (_integer_only("bitand", torch.bitwise_and), None),
    "bitor": (_integer_only("bitor", torch.bitwise_or), None),
    "bitxor": (_integer_only("bitxor", torch.bitwise_xor), None),
    "lshift": (_shift(torch.bitwise_left_shift, torch.mul), None),
    "rshift": (_shift(torch.bitwise_right_shift, torch.div), None),
}
_VALUE_OPS["mod"] = _VALUE_OPS["fmod"]                          # Torch7's alias
# ... and a tensor operand (``cfmod`` is ``fmod`` element by element, ...).
_TENSOR_OPS = {"c" + name: _VALUE_OPS[name] for name in (
    "fmod", "mod", "remainder", "bitand", "bitor", "bitxor", "lshift", "rshift")}
_TENSOR_OPS.update(
    cmul=(torch.mul, _Tensor.mul_), cdiv=(_div_tensor, None), cpow=(torch.pow, _Tensor.pow_),
    atan2=(torch.atan2, _Tensor.atan2_),
)


def _binary(name, compute, in_place, tensor_operand):
    """``x:f(v)`` / ``r:f(a, v)`` and ``torch.f([r,] a, v)`` for an operation of one operand."""
    n = 1 if tensor_operand else 0

    def method(x, *args):
        if len(args) == 1:
            v = args[0]
            if not tensor_operand:
                v = _real(x, v)
            if in_place is not None:
                return in_place(x, v)
            return _into(x, compute(x, v))
        if len(args) == 2:
            src, v = args
            return _into(x, compute(src, v if tensor_operand else _real(src, v)))
        raise _bad(name, (x,) + args)

    def function(*args):
        if len(args) == 2:
            src, v = args
            return compute(src, v if tensor_operand else _real(src, v))
        res, args = _split(args, n + 1)
        if res is None or len(args) != 2:
            raise _bad("torch." + name, args)
        src, v = args
        return _into(res, compute(src, v if tensor_operand else _real(src, v)))

    return method, function


def _cmax(name, op):
    """``cmax``/``cmin``: with a tensor or a number, method in place, function new or result-first."""
    def compute(x, v):
        if isinstance(v, _Tensor):
            return op(x, v)
        return x.clamp(min=_real(x, v)) if name == "cmax" else x.clamp(max=_real(x, v))

    def method(x, *args):
        if len(args) == 1:
            return _into(x, compute(x, args[0]))
        if len(args) == 2:
            return _into(x, compute(*args))
        raise _bad(name, (x,) + args)

    def function(*args):
        if len(args) == 3:
            return _into(args[0], compute(args[1], args[2]))
        if len(args) == 2:
            return compute(*args)
        raise _bad("torch." + name, args)
    return method, function


def _additive(name, sign):
    """``add``/``csub``: ``x:add(v)``, ``x:add([v,] y)``, ``r:add(a, [v,] b)``, ``r:add(a, v)``;
    ``torch.add([r,] a, v)``, ``torch.add([r,] a, [v,] b)``."""
    in_place = _Tensor.add_ if sign > 0 else _Tensor.sub_
    op = torch.add if sign > 0 else torch.sub

    def one(src, v):                                  # src + v (a tensor or a number)
        if isinstance(v, _Tensor):
            return op(src, v)
        return op(src, _real(src, v))

    def scaled(src, v, t):                            # src + v * t
        return op(src, t, alpha=_real(src, v))

    def method(x, *args):
        n = len(args)
        if n == 1:
            v = args[0]
            return in_place(x, v if isinstance(v, _Tensor) else _real(x, v))
        if n == 2:
            a, b = args
            if not isinstance(a, _Tensor):            # x:add(v, y)
                return in_place(x, b, alpha=_real(x, a))
            if x.shape == a.shape and x.dtype == a.dtype and x is not b:
                return op(a, b if isinstance(b, _Tensor) else _real(a, b), out=x)   # r:add(a, b)
            return _into(x, one(a, b))                # r:add(a, v), resizing r
        if n == 3 and isinstance(args[0], _Tensor):   # r:add(a, v, b)
            return _into(x, scaled(*args))
        raise _bad(name, (x,) + args)

    def function(*args):
        n = len(args)
        if n == 2:
            return one(*args)
        if n == 3:
            a, b, c = args
            if isinstance(b, _Tensor):                # torch.add(r, a, b) / torch.add(r, a, v)
                return _into(a, one(b, c))
            return scaled(a, b, c)                    # torch.add(a, v, b)
        if n == 4:                                    # torch.add(r, a, v, b)
            return _into(args[0], scaled(*args[1:]))
        raise _bad("torch." + name, args)
    return method, function


def _pow():
    def compute(a, b):
        if isinstance(a, _Tensor):
            return torch.pow(a, _real(a, b))
        return torch.pow(a, b)                                   # torch.pow(v, x): v ^ x

    def method(x, *args):
        if len(args) == 1:
            return x.pow_(_real(x, args[0]))
        if len(args) == 2:
            return _into(x, compute(*args))
        raise _bad("pow", (x,) + args)

    def function(*args):
        if len(args) == 2 and not any(isinstance(a, _Tensor) for a in args):
            return math.pow(*args)
        if len(args) == 3:
            return _into(args[0], compute(args[1], args[2]))
        return compute(*args)
    return method, function


def _clamp():
    def method(x, *args):
        if len(args) == 2:
            return x.clamp_(_real(x, args[0]), _real(x, args[1]))
        if len(args) == 3:
            return _into(x, args[0].clamp(_real(x, args[1]), _real(x, args[2])))
        raise _bad("clamp", (x,) + args)

    def function(*args):
        res, args = _split(args, 1)
        src, lo, hi = args
        out = src.clamp(_real(src, lo), _real(src, hi))
        return out if res is None else _into(res, out)
    return method, function


def _addc(name):
    """``addcmul``/``addcdiv``: x + v * t1 op t2."""
    op = getattr(torch, name)

    def compute(base, rest):
        if len(rest) == 2:
            return op(base, rest[0], rest[1])
        if len(rest) == 3:
            return op(base, rest[1], rest[2], value=rest[0])
        raise _bad(name, (base,) + tuple(rest))

    def method(x, *args):
        if sum(1 for a in args if isinstance(a, _Tensor)) == 3:   # r:addcmul(a, [v,] t1, t2)
            return _into(x, compute(args[0], args[1:]))
        if len(args) == 2:
            return getattr(x, name + "_")(args[0], args[1])
        return getattr(x, name + "_")(args[1], args[2], value=args[0])

    def function(*args):
        res, args = _split(args, 3)
        out = compute(args[0], args[1:])
        return out if res is None else _into(res, out)
    return method, function


def _lerp():
    def method(x, *args):
        if len(args) == 2:
            return x.lerp_(args[0], args[1])
        return _into(x, torch.lerp(*args))

    def function(*args):
        if len(args) == 3 and not isinstance(args[0], _Tensor):
            a, b, w = args
            return a + w * (b - a)
        res, args = _split(args, 2)
        out = torch.lerp(*args)
        return out if res is None else _into(res, out)
    return method, function


# ------------------------------------------------------------------------------ element-wise unary
def _round(x):
    # C's round(): halves away from zero (PyTorch rounds them to even).
    t = torch.trunc(x)
    return t + torch.where((x - t).abs() >= 0.5, torch.sign(x), torch.zeros((), dtype=x.dtype))


def _number_round(v):
    t = math.trunc(v)
    return float(t + (math.copysign(1, v) if abs(v - t) >= 0.5 else 0))


def _sigmoid_number(v):
    return 1.0 / (1.0 + math.exp(-v))


# name -> (tensor function, in-place method name or None, function of a Lua number or None)
_UNARY = {
    "log": (torch.log, "log_", math.log), "log1p": (torch.log1p, "log1p_", math.log1p),
    "exp": (torch.exp, "exp_", math.exp), "cos": (torch.cos, "cos_", math.cos),
    "acos": (torch.acos, "acos_", math.acos), "cosh": (torch.cosh, "cosh_", math.cosh),
    "sin": (torch.sin, "sin_", math.sin), "asin": (torch.asin, "asin_", math.asin),
    "sinh": (torch.sinh, "sinh_", math.sinh), "tan": (torch.tan, "tan_", math.tan),
    "atan": (torch.atan, "atan_", math.atan), "tanh": (torch.tanh, "tanh_", math.tanh),
    "sqrt": (torch.sqrt, "sqrt_", math.sqrt), "round": (_round, None, _number_round),
    "ceil": (torch.ceil, "ceil_", lambda v: float(math.ceil(v))),
    "floor": (torch.floor, "floor_", lambda v: float(math.floor(v))),
    "trunc": (torch.trunc, "trunc_", lambda v: float(math.trunc(v))),
    "abs": (torch.abs, "abs_", abs), "frac": (torch.frac, "frac_", lambda v: v - math.trunc(v)),
    "rsqrt": (torch.rsqrt, "rsqrt_", lambda v: 1.0 / math.sqrt(v)),
    "sigmoid": (torch.sigmoid, "sigmoid_", _sigmoid_number),
    "neg": (torch.neg, "neg_", None), "cinv": (torch.reciprocal, "reciprocal_", None),
    "sign": (torch.sign, "sign_", None),
}


def _unary(name, compute, inplace, number):
    in_place = getattr(_Tensor, inplace) if inplace is not None else None

    def method(x, src=None):
        if src is None:
            return in_place(x) if in_place is not None else _into(x, compute(x))
        if in_place is not None and src.dtype == x.dtype and src.shape == x.shape:
            return compute(src, out=x)
        return _into(x, compute(src))

    def function(*args):
        if len(args) == 1:
            x = args[0]
            if isinstance(x, _Tensor):
                return compute(x)
            if number is not None and isinstance(x, _SCALAR):
                return number(x)
        if len(args) == 2:
            return _into(args[0], compute(args[1]))
        raise _bad("torch." + name, args)
    return method, function


# ------------------------------------------------------------------------------ products
def _product(name, compute, need):
    """``mv``/``mm``/``bmm``/``ger``: ``r:mm(a, b)`` writes into r; ``torch.mm([r,] a, b)``."""
    def method(x, *args):
        if len(args) == need:
            return _into(x, compute(*args))
        if len(args) == need - 1:                # x:mm(b): PyTorch's reading, a new product
            return compute(x, *args)
        raise _bad(name, (x,) + args)

    def function(*args):
        if len(args) == need + 1:
            return _into(args[0], compute(*args[1:]))
        return compute(*args)
    return method, function


def _accumulate(name):
    """``addmv``/``addmm``/``addr``/``addbmm``/``baddbmm``: beta * M + alpha * (A op B).

    Function: ``torch.addmm([res,] [beta,] M, [alpha,] A, B)``; method: ``x:addmm([beta,] [M,]
    [alpha,] A, B)`` with M defaulting to x and a single number read as alpha."""
    op = getattr(torch, "outer" if name == "addr" else name)

    def compute(beta, m, alpha, a, b):
        if name == "addr":
            return torch.addr(m, a, b, beta=beta, alpha=alpha)
        return op(m, a, b, beta=beta, alpha=alpha)

    def method(x, *args):
        tensors = [a for a in args if isinstance(a, _Tensor)]
        numbers = [a for a in args if not isinstance(a, _Tensor)]
        m = tensors[0] if len(tensors) == 3 else x
        beta, alpha = (numbers[0], numbers[1]) if len(numbers) == 2 else (1, numbers[0] if numbers else 1)
        return _into(x, compute(beta, m, alpha, tensors[-2], tensors[-1]))

    def function(*args):
        res, args = _split(args, 3)
        beta = alpha = 1
        rest = list(args)
        if not isinstance(rest[0], _Tensor):
            beta = rest.pop(0)
        m = rest.pop(0)
        if not isinstance(rest[0], _Tensor):
            alpha = rest.pop(0)
        out = compute(beta, m, alpha, rest[0], rest[1])
        return out if res is None else _into(res, out)
    return method, function


def _dot(x, y):
    # Torch7 calls BLAS dot: a Float dot product accumulates in float.
    return x.reshape(-1).dot(y.reshape(-1)).item()


def _cross_compute(a, b, d=None):
    if d is None:
        sizes = [i for i, s in enumerate(a.shape) if s == 3]
        if not sizes:
            raise ValueError(f"cross: no dimension of size 3 in a tensor of size {tuple(a.shape)}")
        return torch.linalg.cross(a, b, dim=sizes[0])
    return torch.linalg.cross(a, b, dim=_dim(a, d))


def _cross(*args):
    res, args = _split(args, 2)
    out = _cross_compute(*args)
    return out if res is None else _into(res, out)


# ------------------------------------------------------------------------------ reductions
def _as(out, dtype):
    # Tensor.to costs about a microsecond even when the type is already right.
    return out if out.dtype == dtype else out.to(dtype)


def _accumulator(x):
    # Torch7 accumulates Float in double (its accreal).
    return x.double() if x.dtype == torch.float32 else x


def _full_or_dim(name, full, along):
    """``x:sum()`` -> a number; ``x:sum(d)`` -> a tensor keeping dimension d; ``torch.sum(r, x, d)``."""
    def function(*args):
        if len(args) == 1:
            return full(args[0])
        if len(args) == 2 and not isinstance(args[1], _Tensor):
            x = args[0]
            return along(x, _dim(x, args[1]))
        res, args = _split(args, 1)
        x = args[0]
        if len(args) == 1:
            raise _bad("torch." + name, (res,) + args)
        out = along(x, _dim(x, args[1]))
        return out if res is None else _into(res, out)
    return function


def _sum_full(x):
    if x.dtype == torch.float32:
        return x.sum(dtype=torch.float64).item()
    return x.sum().item()


def _sum_dim(x, d):
    if x.dtype == torch.float32:
        return x.sum(d, keepdim=True, dtype=torch.float64).float()
    return _as(x.sum(d, keepdim=True), x.dtype)


def _prod_dim(x, d):
    if x.dtype == torch.float32:
        return x.prod(d, keepdim=True, dtype=torch.float64).float()
    return _as(x.prod(d, keepdim=True), x.dtype)


def _mean_dim(x, d):
    return _as(_accumulator(x).mean(d, keepdim=True), x.dtype)


def _spread(name):
    """``std``/``var``: ``x:std([biased])`` a number, ``x:std(d [, biased])`` a tensor."""
    def function(*args):
        res, args = _split(args, 1)
        x = args[0]
        rest = args[1:]
        if not rest or isinstance(rest[0], bool):
            biased = bool(rest[0]) if rest else False
            return getattr(_accumulator(x), name)(unbiased=not biased).item()
        biased = bool(rest[1]) if len(rest) > 1 else False
        out = _as(getattr(_accumulator(x), name)(_dim(x, rest[0]), unbiased=not biased, keepdim=True), x.dtype)
        return out if res is None else _into(res, out)
    return function


def _norm(*args):
    """``x:norm([p])`` a number, ``x:norm(p, d)`` a tensor keeping d."""
    res, args = _split(args, 1)
    x = args[0]
    p = args[1] if len(args) > 1 else 2
    if len(args) <= 2:
        return _accumulator(x).norm(p).item()
    out = _as(_accumulator(x).norm(p, _dim(x, args[2]), keepdim=True), x.dtype)
    return out if res is None else _into(res, out)


def _dist(x, y, p=2):
    return _accumulator(x - y).norm(p).item()


def _renorm_compute(x, p, d, maxnorm):
    return torch.renorm(x, p, _dim(x, d), maxnorm)


def _renorm():
    def method(x, *args):
        if isinstance(args[0], _Tensor):
            return _into(x, _renorm_compute(*args))
        return _into(x, _renorm_compute(x, *args))

    def function(*args):
        res, args = _split(args, 1)
        out = _renorm_compute(*args)
        return out if res is None else _into(res, out)
    return method, function


def _cumulative(name):
    def function(*args):
        res, args = _split(args, 1)
        x = args[0]
        d = args[1] if len(args) > 1 else 1
        if x.dtype == torch.float32:                  # accumulated in double, stored as float
            out = getattr(x, name)(_dim(x, d), dtype=torch.float64).float()
        else:
            out = getattr(x, name)(_dim(x, d))
        return out if res is None else _into(res, out)
    return function


def _extreme(name):
    """``max``/``min``: a number; ``(values, 1-based indices)`` along d; elementwise with a tensor."""
    elementwise = torch.maximum if name == "max" else torch.minimum

    def function(*args):
        if len(args) == 4:                                       # torch.max(values, indices, x, d)
            values, indices, x, d = args
            v, i = getattr(x, name)(_dim(x, d), keepdim=True)
            return _into(values, v), _into(indices, i + 1)  # 1-based
        x = args[0]
        if len(args) == 1:
            return getattr(x, name)().item()
        d = args[1]
        if isinstance(d, _Tensor):
            return elementwise(x, d)
        v, i = getattr(x, name)(_dim(x, d), keepdim=True)
        return v, i + 1  # 1-based
    return function


def _all(x):
    return bool(x.all())


def _any(x):
    return bool(x.any())


def _trace(x):
    return _accumulator(x).trace().item()


def _equal(x, y):
    return x.shape == y.shape and bool(torch.equal(x, y.to(x.dtype)))


def _histogram_range(x, lo, hi):
    # Torch7's bounds: the arguments as the tensor's type, else the data's range, else +-1 around it.
    lo, hi = torch.tensor([lo, hi], dtype=x.dtype).tolist()
    if lo == hi:
        lo, hi = x.min().item(), x.max().item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return lo, hi


def _bins(x, nbins, lo, hi):
    """Each element's bin as Torch7 computes it, (int)((v - lo) / (hi - lo) * nbins) in the tensor's
    type, with -1 for elements outside [lo, hi]."""
    inside = (x >= lo) & (x <= hi)
    bins = ((x - lo) / (hi - lo) * nbins).long().clamp_(0, nbins - 1)
    return bins.masked_fill_(~inside, -1)


def _histc(*args):
    """``torch.histc([r,] x [, nbins=100] [, min=0] [, max=0])``: counts in nbins equal bins."""
    res, args = _split(args, 1)
    x = args[0]
    nbins = int(args[1]) if len(args) > 1 else 100
    lo, hi = _histogram_range(x, args[2] if len(args) > 2 else 0, args[3] if len(args) > 3 else 0)
    bins = _bins(x.reshape(-1), nbins, lo, hi)
    out = torch.bincount(bins[bins >= 0], minlength=nbins).to(x.dtype)
    return out if res is None else _into(res, out)


def _bhistc(*args):
    """``torch.bhistc([r,] x [, nbins=100] [, min=0] [, max=0])``: one histogram per row of a 2-D x."""
    res, args = _split(args, 1)
    x = args[0]
    rows = x if x.dim() == 2 else x.reshape(1, -1)
    nbins = int(args[1]) if len(args) > 1 else 100
    lo, hi = _histogram_range(x, args[2] if len(args) > 2 else 0, args[3] if len(args) > 3 else 0)
    bins = _bins(rows, nbins, lo, hi)
    offsets = torch.arange(rows.size(0)).unsqueeze(1) * nbins
    flat = (bins + offsets)[bins >= 0]
    out = torch.bincount(flat, minlength=rows.size(0) * nbins).view(rows.size(0), nbins).to(x.dtype)
    return out if res is None else _into(res, out)


def _match_compute(m1, m2, gain=1):
    a = m1.reshape(m1.size(0), -1)
    b = m2.reshape(m2.size(0), -1)
    return ((a.unsqueeze(1) - b.unsqueeze(0)) ** 2).sum(2) * gain


def _match():
    """``r:match(m1, m2 [, gain])``: r[i][j] = gain * squared distance of rows m1[i] and m2[j]."""
    def method(x, *args):
        return _into(x, _match_compute(*args))

    def function(*args):
        res, args = _split(args, 2)
        out = _match_compute(*args)
        return out if res is None else _into(res, out)
    return method, function


# ------------------------------------------------------------------------------ comparisons
def _comparison(name):
    """``x:gt(v)``/``torch.gt(x, v)``: a new ByteTensor; ``r:gt(x, v)``/``torch.gt(r, x, v)``: r
    (of any type) holds 1 where true, else 0."""
    op = getattr(torch, name)
    byte = torch.uint8
    empty = torch.empty

    def _filled(res, a, b):
        b = _real(a, b)
        if res.shape == a.shape and res is not a and res is not b:
            return op(a, b, out=res)                  # 0/1 in res's own type
        return _into(res, op(a, b).to(res.dtype))

    def method(x, *args):
        if len(args) == 1:
            return op(x, _real(x, args[0]), out=empty(0, dtype=byte))
        if len(args) == 2:
            return _filled(x, *args)
        raise _bad(name, (x,) + args)

    def function(*args):
        if len(args) == 2:
            a, b = args
            return op(a, _real(a, b), out=empty(0, dtype=byte))
        if len(args) == 3:
            return _filled(*args)
        raise _bad("torch." + name, args)
    return method, function


# ------------------------------------------------------------------------------ indexing
def _index_long(idx):
    return idx.reshape(-1).long() - 1  # 1-based


# Torch7's C methods index (result-first), indexFill/indexCopy/indexAdd, maskedFill and maskedSelect
# (result-first) return their last argument, not the tensor they change (generic/Tensor.c).
def _index(*args):
    """``x:index(d, idx)``: a new tensor; ``r:index(x, d, idx)``: fills r and returns idx."""
    if isinstance(args[1], _Tensor):
        res, x, d, idx = args
        _into(res, x.index_select(_dim(x, d), _index_long(idx)))
        return idx
    x, d, idx = args
    return x.index_select(_dim(x, d), _index_long(idx))


def _index_fill(x, d, idx, v):
    x.index_fill_(_dim(x, d), _index_long(idx), _real(x, v))
    return v


def _index_copy(x, d, idx, src):
    x.index_copy_(_dim(x, d), _index_long(idx), _as(src, x.dtype))
    return src


def _index_add(x, d, idx, src):
    x.index_add_(_dim(x, d), _index_long(idx), _as(src, x.dtype))
    return src


def _gather(*args):
    """``x:gather(d, idx)`` / ``torch.gather([r,] x, d, idx)``: idx holds 1-based indices."""
    res, args = _split(args, 2)
    x, d, idx = args
    out = x.gather(_dim(x, d), idx.long() - 1)  # 1-based
    return out if res is None else _into(res, out)


def _scatter(x, d, idx, src):
    """``x:scatter(d, idx, src)`` with src a tensor or a number."""
    if isinstance(src, _Tensor):
        return x.scatter_(_dim(x, d), idx.long() - 1, _as(src, x.dtype))  # 1-based
    return x.scatter_(_dim(x, d), idx.long() - 1, _real(x, src))  # 1-based


def _mask(mask):
    return mask if mask.dtype == torch.bool else mask.bool()


def _masked_fill(x, mask, v):
    x.masked_fill_(_mask(mask).reshape(x.shape), _real(x, v))
    return v


def _masked_copy(x, mask, src):
    return x.masked_scatter_(_mask(mask).reshape(x.shape), _as(src.reshape(-1), x.dtype))


def _masked_select(*args):
    """``x:maskedSelect(mask)``: a new 1-D tensor; ``r:maskedSelect(x, mask)``: fills r, returns mask."""
    res, args = _split(args, 2)
    x, mask = args
    out = x.masked_select(_mask(mask).reshape(x.shape))
    if res is None:
        return out
    _into(res, out)
    return mask


def _nonzero(*args):
    """``torch.nonzero([r,] x)``: a LongTensor of 1-based subscripts, one row per non-zero element."""
    res, args = _split(args, 1)
    out = args[0].nonzero() + 1  # 1-based
    return out if res is None else _into(res, out)


# ------------------------------------------------------------------------------ Lua callbacks
def _apply(x, f):
    """``x:apply(f)``: f(value) for each element in order; a number returned replaces it."""
    target = x.reshape(-1) if x.is_contiguous() else x.contiguous().view(-1)
    values = target.tolist()
    changed = False
    for i, v in enumerate(values):
        out = f(v)
        if out is not None:
            values[i] = out
            changed = True
    if changed:
        x.copy_(torch.tensor(values, dtype=x.dtype).view(x.shape))
    return x


def _map(x, y, f):
    """``x:map(y, f)``: x[i] = f(x[i], y[i]) where f returns a number."""
    values = x.reshape(-1).tolist()
    for i, (a, b) in enumerate(zip(values, y.reshape(-1).tolist())):
        out = f(a, b)
        if out is not None:
            values[i] = out
    x.copy_(torch.tensor(values, dtype=x.dtype).view(x.shape))
    return x


def _map2(x, y, z, f):
    """``x:map2(y, z, f)``: x[i] = f(x[i], y[i], z[i]) where f returns a number."""
    values = x.reshape(-1).tolist()
    for i, (a, b, c) in enumerate(zip(values, y.reshape(-1).tolist(), z.reshape(-1).tolist())):
        out = f(a, b, c)
        if out is not None:
            values[i] = out
    x.copy_(torch.tensor(values, dtype=x.dtype).view(x.shape))
    return x


# ------------------------------------------------------------------------------ convolutions
def _conv(name):
    """``torch.conv2([r,] x, k [, 'V'|'F'])`` (a true convolution) and ``xcorr2`` (a correlation):
    2-D x 2-D; 3-D x 3-D plane by plane; 3-D x 4-D summed over input planes (k[o][i])."""
    flip = name == "conv2"

    def function(*args):
        res, args = _split(args, 2)
        x, k = args[0], args[1]
        mode = args[2] if len(args) > 2 else "V"
        if mode not in ("V", "F"):
            raise ValueError(f"torch.{name}: mode must be 'V' (valid) or 'F' (full), got {mode!r}")
        kernel = k.flip(-1, -2) if flip else k
        pad = (k.size(-2) - 1, k.size(-1) - 1) if mode == "F" else 0
        if x.dim() == 2 and k.dim() == 2:
            out = torch.nn.functional.conv2d(x[None, None], kernel[None, None], padding=pad)[0, 0]
        elif x.dim() == 3 and k.dim() == 3:
            out = torch.nn.functional.conv2d(x[None], kernel[:, None], padding=pad, groups=x.size(0))[0]
        elif x.dim() == 3 and k.dim() == 4:
            out = torch.nn.functional.conv2d(x[None], kernel, padding=pad)[0]
        else:
            raise ValueError(f"torch.{name}: expects 2-D x 2-D, 3-D x 3-D or 3-D x 4-D tensors, got "
                             f"{x.dim()}-D x {k.dim()}-D")
        return out if res is None else _into(res, out)
    return function


# ------------------------------------------------------------------------------ the operators
def tensor_div(a, b):
    """Lua ``a / b`` with a tensor ``a`` and a number: Torch7's ``div`` (integer types truncate the
    number and the quotient, ``IntTensor{7} / 2`` is 3)."""
    return _div_value(a, b)


METHODS = {}
FUNCTIONS = {}


def _register(name, pair):
    METHODS[name], FUNCTIONS[name] = pair


for _name, (_compute, _in_place) in _VALUE_OPS.items():
    _register(_name, _binary(_name, _compute, _in_place, False))
for _name, (_compute, _in_place) in _TENSOR_OPS.items():
    _register(_name, _binary(_name, _compute, _in_place, True))
for _name, (_compute, _inplace, _number) in _UNARY.items():
    _register(_name, _unary(_name, _compute, _inplace, _number))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    _register(_name, _comparison(_name))
for _name in ("addmv", "addmm", "addr", "addbmm", "baddbmm"):
    _register(_name, _accumulate(_name))
for _name in ("addcmul", "addcdiv"):
    _register(_name, _addc(_name))
_register("add", _additive("add", 1))
_register("csub", _additive("csub", -1))
_register("pow", _pow())
_register("clamp", _clamp())
_register("lerp", _lerp())
_register("match", _match())
_register("renorm", _renorm())
_register("cmax", _cmax("cmax", torch.maximum))
_register("cmin", _cmax("cmin", torch.minimum))
_register("mv", _product("mv", torch.mv, 2))
_register("mm", _product("mm", torch.mm, 2))
_register("bmm", _product("bmm", torch.bmm, 2))
_register("ger", _product("ger", torch.outer, 2))

# The new-result family: the method is the function with x first.
_NEW_RESULT = {
    "sum": _full_or_dim("sum", _sum_full, _sum_dim),
    "prod": _full_or_dim("prod", lambda x: _accumulator(x).prod().item(), _prod_dim),
    "mean": _full_or_dim("mean", lambda x: _accumulator(x).mean().item(), _mean_dim),
    "std": _spread("std"), "var": _spread("var"), "norm": _norm, "dist": _dist,
    "cumsum": _cumulative("cumsum"), "cumprod": _cumulative("cumprod"),
    "max": _extreme("max"), "min": _extreme("min"),
    "sort": _sort, "topk": _topk, "kthvalue": _kthvalue, "median": _median, "mode": _mode,
    "cross": _cross, "dot": _dot, "trace": _trace, "equal": _equal, "histc": _histc, "bhistc": _bhistc,
    "all": _all, "any": _any, "index": _index, "gather": _gather, "maskedSelect": _masked_select,
    "nonzero": _nonzero, "conv2": _conv("conv2"), "xcorr2": _conv("xcorr2"),
    "inverse": _inverse, "gesv": _gesv, "gels": _gels, "symeig": _symeig, "eig": _eig, "svd": _svd,
    "potrf": _potrf, "potrs": _potrs, "potri": _potri, "trtrs": _trtrs, "qr": _qr,
}
for _name, _function in _NEW_RESULT.items():
    _register(_name, (_function, _function))

# Methods that change x in place and have no torch.* form.
METHODS.update(
    indexFill=_index_fill, indexCopy=_index_copy, indexAdd=_index_add, scatter=_scatter,
    maskedFill=_masked_fill, maskedCopy=_masked_copy, apply=_apply, map=_map, map2=_map2,
)
