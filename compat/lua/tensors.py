"""Torch7's tensor semantics where PyTorch's namesakes differ: 1-based dimensions and indices,
numbers from full reductions and 1-D element reads, in-place methods (``x:add(y)`` changes ``x``).

``method(x, 'name', *args)`` runs Torch7's ``x:name(...)``; ``TORCH[name]`` is the function form
``torch.name(x, ...)``. Names not listed here mean the same in both (``t``, ``double``, ``clone``,
``view``...) and go to PyTorch unchanged. Each 1-based -> 0-based shift is marked ``# 1-based``.
"""
import torch

from compat import cuda

__all__ = ["LUA_TENSOR_METHODS", "TORCH", "mul", "tensor_index", "tensor_setindex"]


def _dim(x, d):
    return int(d) - 1 if d > 0 else x.dim() + int(d)  # 1-based


def _number(t):
    return t.item()


# ------------------------------------------------------------------------------ indexing
def _entry(x, key, where):
    """The view of ``x`` named by a Lua index, and whether every dimension was selected by a number."""
    if isinstance(key, bool):
        raise TypeError(f"{where}: a tensor is indexed by numbers, tables or tensors, got {key!r}")
    if isinstance(key, (int, float)):
        i = int(key)
        i = i - 1 if i > 0 else x.size(0) + i  # 1-based
        return x.select(0, i), x.dim() == 1
    if isinstance(key, torch.Tensor):
        if key.dtype in (torch.bool, torch.uint8):
            return x[key.bool()], False
        return x.index_select(0, key.long().view(-1) - 1), False  # 1-based
    if isinstance(key, (list, tuple)):
        view, d, numbers = x, 0, 0
        for entry in key:
            if isinstance(entry, (int, float)) and not isinstance(entry, bool):
                i = int(entry)
                view = view.select(d, i - 1 if i > 0 else view.size(d) + i)  # 1-based
                numbers += 1
                continue
            entry = list(entry.values()) if isinstance(entry, dict) else list(entry)
            n = view.size(d)
            if len(entry) == 0:
                d += 1
                continue
            a = int(entry[0])
            b = int(entry[1]) if len(entry) > 1 else a
            a, b = (a if a > 0 else n + a + 1), (b if b > 0 else n + b + 1)
            if not 1 <= a <= b + 1 or b > n:
                raise IndexError(f"{where}: range {{{entry[0]}, {entry[-1]}}} is outside 1..{n} of dimension {d + 1}")
            view = view.narrow(d, a - 1, b - a + 1)  # 1-based, inclusive
            d += 1
        return view, numbers == x.dim()
    raise TypeError(f"{where}: a tensor is indexed by numbers, tables or tensors, got {type(key).__name__}")


def mul(a, b):
    """Lua ``a * b``: for two tensors Torch7's product (vector . vector -> a number, matrix x vector,
    matrix x matrix); otherwise the ordinary product (a tensor times a number is elementwise)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() >= 1 and b.dim() >= 1:
        if a.dim() == 1 and b.dim() == 1:
            return _number(a.dot(b))
        return a @ b
    return a * b


def tensor_index(x, key):
    """Torch7 ``x[key]``: a number for a 1-D element (or a full ``{i, j, ...}``), else a view; a
    string key is a method or field (nil when there is none)."""
    if isinstance(key, str):
        return getattr(x, key, None)
    view, scalar = _entry(x, key, "tensor index")
    return _number(view) if scalar else view


def tensor_setindex(x, key, value):
    """Torch7 ``x[key] = value``: fill with a number, or copy a tensor of the same number of elements."""
    if x.requires_grad and x.is_leaf:               # a module's weight: Lua changes it as plain data
        with torch.no_grad():
            return tensor_setindex(x.detach(), key, value)
    view, _ = _entry(x, key, "tensor assignment")
    if isinstance(key, torch.Tensor) and key.dtype in (torch.bool, torch.uint8):
        x[key.bool()] = value if not isinstance(value, torch.Tensor) else value.reshape(-1).to(x.dtype)
        return
    if isinstance(value, torch.Tensor):
        _copy(view, value)
    else:
        view.fill_(value)


def _copy(dst, src):
    # Torch7 copy: any shapes with the same number of elements, any types.
    if dst.numel() != src.numel():
        raise ValueError(f"copy: the destination has {dst.numel()} elements {tuple(dst.shape)}, the source "
                         f"{src.numel()} {tuple(src.shape)}: Torch7 copies need equal counts")
    dst.copy_(src.reshape(dst.shape))
    return dst


# ------------------------------------------------------------------------------ reductions
def _reduction(name):
    def reduce(x, d=None, *rest):
        if d is None:
            return _number(getattr(x, name)())
        return getattr(x, name)(_dim(x, d), keepdim=True)  # Torch7 keeps the reduced dimension
    reduce.__name__ = name
    return reduce


def _spread(name):
    def spread(x, d=None, biased=False):
        if d is None:
            return _number(getattr(x, name)(unbiased=not biased))
        return getattr(x, name)(_dim(x, d), unbiased=not biased, keepdim=True)
    return spread


def _extreme(name):
    def extreme(x, d=None):
        if isinstance(d, torch.Tensor):              # torch.max(a, b): elementwise
            return getattr(torch, name + "imum")(x, d)
        if d is None:
            return _number(getattr(x, name)())
        values, indices = getattr(x, name)(_dim(x, d), keepdim=True)
        return values, indices + 1  # 1-based
    return extreme


def _norm(x, p=2, d=None):
    if d is None:
        return _number(x.norm(p))
    return x.norm(p, _dim(x, d), keepdim=True)


def sort(x, d=None, descending=False):
    """Torch7 ``sort([dim [, descending]])``: values and 1-based indices (default: the last dimension)."""
    values, indices = x.sort(x.dim() - 1 if d is None else _dim(x, d), descending=bool(descending))
    return values, indices + 1  # 1-based


def topk(x, k, d=None, largest=False, sorted=True):
    """Torch7 ``topk(k [, dim [, dir [, sort]]])``: the k **smallest** by default (dir=true: largest)."""
    values, indices = x.topk(int(k), x.dim() - 1 if d is None else _dim(x, d), largest=bool(largest), sorted=True)
    return values, indices + 1  # 1-based


# ------------------------------------------------------------------------------ in-place arithmetic
def _inplace_binary(name):
    """``x:add(v)``, ``x:add(y)``, ``x:add(v, y)`` (x += v*y), ``x:add(a, b)`` (x = a + b),
    ``x:add(a, v, b)`` (x = a + v*b): Torch7 writes the result into ``x``."""
    op = getattr(torch, name)

    def apply(x, *args):
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if len(args) == 1:
            return getattr(x, name + "_")(args[0])
        if len(args) == 2 and len(tensors) == 1 and name in ("add", "sub"):
            return getattr(x, name + "_")(args[1], alpha=args[0])
        if len(args) == 2:
            return _assign(x, op(args[0], args[1]))
        if len(args) == 3 and name in ("add", "sub"):
            return _assign(x, op(args[0], args[2], alpha=args[1]))
        raise TypeError(f"{name}: unexpected arguments {args!r}")
    return apply


def _assign(x, result):
    x.resize_(result.shape).copy_(result)
    return x


def _inplace_unary(name):
    """``x:exp()`` changes ``x``; ``x:exp(y)`` puts exp(y) into ``x``."""
    def apply(x, src=None, *rest):
        if isinstance(src, torch.Tensor):
            return _assign(x, getattr(torch, name)(src, *rest))
        if src is None:
            return getattr(x, name + "_")()
        return getattr(x, name + "_")(src, *rest)
    return apply


def _accumulate(name):
    """``x:addmm(M1, M2)``, ``x:addmm(beta, M1, M2)`` (x = beta*x + M1 M2), ``x:addmm(beta, alpha, M1,
    M2)`` ... : Torch7's in-place ``add*`` products."""
    def apply(x, *args):
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        numbers = [a for a in args if not isinstance(a, torch.Tensor)]
        base = x
        if len(tensors) == 3:
            base = tensors.pop(0)
        beta, alpha = (1, 1) if not numbers else ((1, numbers[0]) if len(numbers) == 1 else numbers[:2])
        if name in ("addcmul", "addcdiv"):
            result = getattr(torch, name)(base, *tensors, value=alpha)
        else:
            result = getattr(torch, name)(base, *tensors, beta=beta, alpha=alpha)
        return _assign(x, result)
    return apply


# ------------------------------------------------------------------------------ everything else
def _size(x, d=None):
    return x.size() if d is None else x.size(_dim(x, d))


def _sub(x, *bounds):
    """Torch7 ``x:sub(a1, b1 [, a2, b2 ...])``: inclusive ranges per dimension, negative from the end."""
    view = x
    for d in range(0, len(bounds), 2):
        n = view.size(d // 2)
        a, b = int(bounds[d]), int(bounds[d + 1])
        a, b = (a if a > 0 else n + a + 1), (b if b > 0 else n + b + 1)
        view = view.narrow(d // 2, a - 1, b - a + 1)  # 1-based, inclusive
    return view


def _apply(x, f):
    flat = x.view(-1) if x.is_contiguous() else None
    target = flat if flat is not None else x.reshape(-1)
    for i, v in enumerate(target.tolist()):
        out = f(v)
        if out is not None:
            target[i] = out
    if flat is None:
        x.copy_(target.view(x.shape))
    return x


def _map(x, y, f):
    target = x.view(-1)
    for i, (a, b) in enumerate(zip(target.tolist(), y.reshape(-1).tolist())):
        out = f(a, b)
        if out is not None:
            target[i] = out
    return x


def _cat(*args):
    """Torch7 ``torch.cat(a, b [, dim])`` / ``torch.cat({a, b, ...} [, dim])``: dim 1-based, default last."""
    if isinstance(args[0], (list, tuple)):
        tensors, rest = list(args[0]), args[1:]
    else:
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        rest = [a for a in args if not isinstance(a, torch.Tensor)]
    d = rest[0] if rest else tensors[0].dim()
    return torch.cat(tensors, _dim(tensors[0], d))


def _range(start, stop, step=1):
    """Torch7 ``torch.range(a, b [, step])``: ``a .. b`` **inclusive**, in the default tensor type."""
    n = int((stop - start) // step) + 1
    return start + step * torch.arange(n, dtype=torch.get_default_dtype())


def _typename(x, name=None):
    from compat.t7.objects import tensor_class
    if name is None:
        return tensor_class(x.dtype)
    from compat.torch_extras import _TENSOR_TYPES
    return x.to(_TENSOR_TYPES[name])


def _squeeze(x, d=None):
    """Torch7 ``squeeze([dim])``: like PyTorch's, but a tensor of one element keeps one dimension."""
    out = x.squeeze() if d is None else x.squeeze(_dim(x, d))
    return out.reshape(1) if out.dim() == 0 else out


LUA_TENSOR_METHODS = {
    "size": _size,
    "nElement": lambda x: x.numel(),
    "nDimension": lambda x: x.dim(),
    "stride": lambda x, d=None: x.stride() if d is None else x.stride(_dim(x, d)),
    "narrow": lambda x, d, i, n: x.narrow(_dim(x, d), int(i) - 1, int(n)),  # 1-based
    "select": lambda x, d, i: x.select(_dim(x, d), int(i) - 1),  # 1-based
    "sub": _sub,
    "index": lambda x, d, idx: x.index_select(_dim(x, d), idx.long().view(-1) - 1),  # 1-based
    "indexFill": lambda x, d, idx, v: x.index_fill_(_dim(x, d), idx.long().view(-1) - 1, v),
    "indexCopy": lambda x, d, idx, src: x.index_copy_(_dim(x, d), idx.long().view(-1) - 1, src),
    "indexAdd": lambda x, d, idx, src: x.index_add_(_dim(x, d), idx.long().view(-1) - 1, src),
    "gather": lambda x, d, idx: x.gather(_dim(x, d), idx.long() - 1),
    "scatter": lambda x, d, idx, src: x.scatter_(_dim(x, d), idx.long() - 1, src),
    "max": _extreme("max"), "min": _extreme("min"), "sort": sort, "topk": topk,
    "sum": _reduction("sum"), "mean": _reduction("mean"), "prod": _reduction("prod"),
    "std": _spread("std"), "var": _spread("var"), "norm": _norm,
    "cumsum": lambda x, d=1: x.cumsum(_dim(x, d)), "cumprod": lambda x, d=1: x.cumprod(_dim(x, d)),
    "dot": lambda x, y: _number(x.reshape(-1).dot(y.reshape(-1))),
    "resize": lambda x, *sizes: x.resize_(*sizes),
    "resizeAs": lambda x, y: x.resize_as_(y),
    "apply": _apply, "map": _map,
    "add": _inplace_binary("add"), "csub": _inplace_binary("sub"), "mul": _inplace_binary("mul"),
    "div": _inplace_binary("div"), "cmul": _inplace_binary("mul"), "cdiv": _inplace_binary("div"),
    "pow": _inplace_binary("pow"), "fmod": _inplace_binary("fmod"), "remainder": _inplace_binary("remainder"),
    "fill": lambda x, v: x.fill_(v), "zero": lambda x: x.zero_(), "copy": _copy,
    "uniform": lambda x, a=0, b=1: x.uniform_(a, b), "normal": lambda x, m=0, s=1: x.normal_(m, s),
    "bernoulli": lambda x, p=0.5: x.bernoulli_(p),
    "clamp": lambda x, lo, hi: x.clamp_(lo, hi),
    "transpose": lambda x, a, b: x.transpose(_dim(x, a), _dim(x, b)),
    "permute": lambda x, *dims: x.permute(*[_dim(x, d) for d in dims]),
    "squeeze": _squeeze,
    "unsqueeze": lambda x, d: x.unsqueeze(int(d) - 1),
    "split": lambda x, n, d=1: list(x.split(int(n), _dim(x, d))),
    "chunk": lambda x, n, d=1: list(x.chunk(int(n), _dim(x, d))),
    "cat": lambda x, y, d=None: _cat(x, y, *(() if d is None else (d,))),
    "repeatTensor": lambda x, *sizes: x.repeat(*sizes),
    "expandAs": lambda x, y: x.expand_as(y),
    "viewAs": lambda x, y: x.view_as(y),
    "maskedFill": lambda x, mask, v: x.masked_fill_(mask.bool(), v),
    "maskedSelect": lambda x, mask: x.masked_select(mask.bool()),
    "maskedCopy": lambda x, mask, src: x.masked_scatter_(mask.bool(), src),
    "nonzero": lambda x: x.nonzero() + 1,  # 1-based
    "type": _typename,
    "isContiguous": lambda x: x.is_contiguous(),
    "isSameSizeAs": lambda x, y: x.shape == y.shape,
    "addmm": _accumulate("addmm"), "addmv": _accumulate("addmv"), "addr": _accumulate("addr"),
    "addcmul": _accumulate("addcmul"), "addcdiv": _accumulate("addcdiv"),
}
for _name in ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "neg", "floor", "ceil", "round", "cos", "sin",
              "log1p", "sign", "trunc", "frac"):
    LUA_TENSOR_METHODS[_name] = _inplace_unary(_name)
LUA_TENSOR_METHODS["cuda"] = cuda.tensor          # float32 on the CUDA device (or TORCHAD_CUDA=cpu)


def _function(name):
    # torch.f(x, ...) returns a new tensor where x:f(...) works in place.
    method = LUA_TENSOR_METHODS[name]
    return lambda x, *args: method(x.clone(), *args)


# torch.<name>(...) with Torch7's meaning, where it differs from PyTorch's.
TORCH = {name: LUA_TENSOR_METHODS[name] for name in (
    "max", "min", "sort", "topk", "sum", "mean", "prod", "std", "var", "norm", "cumsum", "cumprod", "dot",
    "narrow", "select", "sub", "index", "gather", "transpose", "permute", "squeeze", "split", "chunk",
    "nonzero", "type", "maskedSelect")}
TORCH.update({name: _function(name) for name in ("cmul", "cdiv", "clamp", "abs", "exp", "log", "sqrt", "tanh",
                                                  "sigmoid", "floor", "ceil", "round", "sign", "pow")})
TORCH.update(cat=_cat, range=_range, typename=lambda x: _typename(x) if isinstance(x, torch.Tensor) else None,
             isTensor=lambda x: isinstance(x, torch.Tensor), numel=lambda x: x.numel(),
             LongStorage=lambda *s: torch.Size(int(v) for v in (s[0] if s and isinstance(s[0], (list, tuple)) else s)),
             add=lambda x, *a: LUA_TENSOR_METHODS["add"](x.clone(), *a),
             mul=lambda x, *a: LUA_TENSOR_METHODS["mul"](x.clone(), *a),
             div=lambda x, *a: LUA_TENSOR_METHODS["div"](x.clone(), *a))
