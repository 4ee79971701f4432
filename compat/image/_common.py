"""What every part of compat.image shares: argument handling in the image package's style and the
conversion of an intermediate value to the tensor's type (``FromIntermediate`` in generic/image.c).
"""
import torch

# image.load/loadPNG/... 'type' argument -> dtype (None: the default tensor type)
TENSOR_TYPES = {"float": torch.float32, "double": torch.float64, "byte": torch.uint8}


def named_args(name, args, kwargs, spec):
    """The arguments of a function that Lua calls either positionally or with one table of named
    fields (``dok.unpack``): ``spec`` lists ``(field, default)``; returns the values in that order.
    A lone ``dict`` argument (a Lua table) holds the fields; Python callers may also use keywords.
    """
    fields = [field for field, _ in spec]
    if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
        table = args[0]
        unknown = [key for key in table if key not in fields]
        if unknown:
            raise TypeError(f"image.{name}: unknown field(s) {unknown}; expected some of {fields}")
        values = {field: table.get(field) for field in fields}
    else:
        if len(args) > len(spec):
            raise TypeError(f"image.{name} takes at most {len(spec)} arguments ({', '.join(fields)}), "
                            f"got {len(args)}")
        values = dict(zip(fields, args))
        for key, value in kwargs.items():
            if key not in fields:
                raise TypeError(f"image.{name}: unexpected argument {key!r}; expected some of {fields}")
            if key in values:
                raise TypeError(f"image.{name}: argument {key!r} given twice")
            values[key] = value
    return [default if values.get(field) is None else values[field] for field, default in spec]


def dst_src_value_mode(name, args, usage, without_dst):
    """``([dst,] src, value [, mode])`` -> (dst, src, value, mode); a 3-argument call is
    ``(src, value, mode)`` when ``without_dst(args)`` says so, else ``(dst, src, value)``."""
    n = len(args)
    if n == 4:
        return args
    if n == 3:
        return (None, *args) if without_dst(args) else (*args, None)
    if n == 2:
        return (None, *args, None)
    raise TypeError(f"image.{name} expects {usage}; got {n} arguments")


def check_tensor(name, what, value, dims=(2, 3)):
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"image.{name}: {what} must be a torch.Tensor, got {type(value).__name__}")
    if dims is not None and value.dim() not in dims:
        raise ValueError(f"image.{name}: {what} must have {' or '.join(map(str, dims))} dimensions, "
                         f"got size {tuple(value.shape)}")
    return value


def check_number(name, what, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"image.{name}: {what} must be a number, got {value!r}")
    return value


def work_dtype(dtype):
    """generic/image.c's ``temp_t``: the tensor's own type for float/double, float for the others."""
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32


def from_intermediate(x, dtype):
    """Store intermediate values ``x`` in a tensor of ``dtype``: bytes round half up and clamp to
    [0, 255]; other types convert as C does (integers truncate)."""
    if dtype == torch.uint8:
        x = x.to(torch.float32) + 0.5
        return torch.where(x <= 0, 0.0, torch.where(x >= 255, 255.0, x)).to(torch.uint8)
    return x.to(dtype)


def as_chw(tensor):
    """A 2-D image as a 1 x H x W view; a 3-D one unchanged."""
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor


def into(name, dst, result):
    """Write ``result`` into ``dst`` (resized to its size) when a destination was given."""
    if dst is None:
        return result
    check_tensor(name, "destination", dst, None)
    if dst.dtype != result.dtype:
        raise TypeError(f"image.{name}: destination must be a {result.dtype} tensor like the source, got "
                        f"{dst.dtype}")
    dst.resize_(result.shape).copy_(result)
    return dst
