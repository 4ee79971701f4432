"""The parts of torch/image (``init.lua``, ``generic/image.c`` @ 5aa18819) that migrated scripts use.

* ``rgb2yuv([output,] input)``: ``Y = 0.299 R + 0.587 G + 0.114 B``,
  ``U = -0.14713 R - 0.28886 G + 0.436 B``, ``V = 0.615 R - 0.51499 G - 0.10001 B``
  (``input``: 3 x H x W, channels first; the sums are formed in this order, as Torch7 does).
* ``yuv2rgb([output,] input)``: ``R = Y + 1.13983 V``, ``G = Y - 0.39465 U - 0.58060 V``,
  ``B = Y + 2.03211 U``.
* ``gaussian1D(size=3, sigma=0.25, amplitude=1, normalize=False, mean=0.5)``:
  ``k[i] = amplitude * exp(-((i - c) / (sigma * size))^2 / 2)`` for ``i = 1..size`` (1-based, as in
  Lua), ``c = mean * size + 0.5``; divided by its sum if ``normalize``.
* ``gaussian(size=3, sigma=0.25, amplitude=1, normalize=False, width=size, height=size,
  sigma_horz=sigma, sigma_vert=sigma, mean_horz=0.5, mean_vert=0.5)``: ``height x width`` with
  ``g[v][u] = amplitude * exp(-(du^2 + dv^2) / 2)``, ``du = (u - mean_horz*width - 0.5) / (sigma_horz*width)``,
  ``dv`` likewise (``u``, ``v`` 1-based); multiplied by ``1 / sum`` if ``normalize``.

Kernels are built in double precision and returned in the default dtype (Lua: the default
tensor type), or written into ``tensor=`` when given (its size then overrides ``size``/``width``/``height``).
"""
import math

import torch

__all__ = ["gaussian", "gaussian1D", "rgb2yuv", "yuv2rgb"]


def _convert_args(name, args):
    if len(args) == 1:
        output, image = None, args[0]
    elif len(args) == 2:
        output, image = args
    else:
        raise TypeError(f"image.{name} expects (input) or (output, input), got {len(args)} arguments")
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image.{name}: input must be a torch.Tensor, got {type(image).__name__}")
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"image.{name}: input must be a 3 x H x W image (channels first), got size "
                         f"{tuple(image.shape)}")
    if not image.is_floating_point():
        raise TypeError(f"image.{name}: input must be floating point, got {image.dtype} "
                        f"(convert it first, e.g. image.double())")
    if output is None:
        output = torch.empty_like(image, memory_format=torch.contiguous_format)
    elif not isinstance(output, torch.Tensor):
        raise TypeError(f"image.{name}: output must be a torch.Tensor, got {type(output).__name__}")
    else:
        output.resize_(image.shape)
    return output, image


def _combine(terms):
    # ((a*X) + b*Y) + c*Z, one operation at a time like Torch7's chained add(value, tensor)
    acc = None
    for coef, channel in terms:
        term = channel * coef
        acc = term if acc is None else acc + term
    return acc


def rgb2yuv(*args):
    """Lua ``image.rgb2yuv([output,] input)``: RGB -> YUV (3 x H x W); returns ``output``."""
    output, image = _convert_args("rgb2yuv", args)
    r, g, b = image[0], image[1], image[2]
    y = _combine([(0.299, r), (0.587, g), (0.114, b)])
    u = _combine([(-0.14713, r), (-0.28886, g), (0.436, b)])
    v = _combine([(0.615, r), (-0.51499, g), (-0.10001, b)])
    output[0].copy_(y)
    output[1].copy_(u)
    output[2].copy_(v)
    return output


def yuv2rgb(*args):
    """Lua ``image.yuv2rgb([output,] input)``: YUV -> RGB (3 x H x W); returns ``output``."""
    output, image = _convert_args("yuv2rgb", args)
    y, u, v = image[0], image[1], image[2]
    r = y + v * 1.13983
    g = (y + u * -0.39465) + v * -0.58060
    b = y + u * 2.03211
    output[0].copy_(r)
    output[1].copy_(g)
    output[2].copy_(b)
    return output


def _positive(name, field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"image.{name}: {field} must be a positive number, got {value!r}")
    return value


def _size(name, field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ValueError(f"image.{name}: {field} must be a positive integer, got {value!r}")
    return int(value)


def _output(name, tensor, dims, shape):
    if tensor is None:
        return torch.empty(shape, dtype=torch.get_default_dtype())
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != dims or tensor.numel() == 0:
        raise ValueError(f"image.{name}: tensor must be a non-empty {dims}-D torch.Tensor, got "
                         f"{getattr(tensor, 'shape', type(tensor).__name__)}")
    return tensor


def gaussian1D(size=3, sigma=0.25, amplitude=1, normalize=False, mean=0.5, tensor=None):
    """Lua ``image.gaussian1D``: a 1-D Gaussian kernel (see the module docstring)."""
    if tensor is not None:
        size = _output("gaussian1D", tensor, 1, None).shape[0]
    size = _size("gaussian1D", "size", size)
    _positive("gaussian1D", "sigma", sigma)
    center = mean * size + 0.5
    values = [amplitude * math.exp(-(((i - center) / (sigma * size)) ** 2) / 2) for i in range(1, size + 1)]
    gauss = _output("gaussian1D", tensor, 1, (size,))
    gauss.copy_(torch.tensor(values, dtype=torch.float64))
    if normalize:
        gauss.div_(float(gauss.double().sum()))
    return gauss


def gaussian(size=3, sigma=0.25, amplitude=1, normalize=False, width=None, height=None,
             sigma_horz=None, sigma_vert=None, mean_horz=0.5, mean_vert=0.5, tensor=None):
    """Lua ``image.gaussian``: a ``height x width`` Gaussian kernel (see the module docstring)."""
    width = size if width is None else width
    height = size if height is None else height
    sigma_horz = sigma if sigma_horz is None else sigma_horz
    sigma_vert = sigma if sigma_vert is None else sigma_vert
    if tensor is not None:
        height, width = _output("gaussian", tensor, 2, None).shape
    width, height = _size("gaussian", "width", width), _size("gaussian", "height", height)
    _positive("gaussian", "sigma_horz", sigma_horz)
    _positive("gaussian", "sigma_vert", sigma_vert)
    mean_u = mean_horz * width + 0.5
    mean_v = mean_vert * height + 0.5
    du = (torch.arange(1, width + 1, dtype=torch.float64) - mean_u) * (1.0 / (sigma_horz * width))
    dv = (torch.arange(1, height + 1, dtype=torch.float64) - mean_v) * (1.0 / (sigma_vert * height))
    values = amplitude * torch.exp(-0.5 * (dv[:, None] ** 2 + du[None, :] ** 2))
    gauss = _output("gaussian", tensor, 2, (height, width))
    gauss.copy_(values)
    if normalize:
        gauss.mul_(1.0 / float(gauss.double().sum()))
    return gauss
