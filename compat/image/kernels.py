"""torch/image's kernels and convolution (``init.lua``, ``generic/image.c``).

Each kernel function takes its arguments positionally or as one table of named fields (Lua's
``image.gaussian{size = 5, normalize = true}``; Python keywords also work). ``u``, ``v``, ``i`` run from
1 (Lua's indices).

* ``gaussian1D(size=3, sigma=0.25, amplitude=1, normalize=false, mean=0.5, tensor)``:
  ``k[i] = amplitude * exp(-((i - c) / (sigma * size))^2 / 2)``, ``c = mean * size + 0.5``.
* ``gaussian(size=3, sigma=0.25, amplitude=1, normalize=false, width=size, height=size,
  sigma_horz=sigma, sigma_vert=sigma, mean_horz=0.5, mean_vert=0.5, tensor)``: ``height x width``,
  ``g[v][u] = amplitude * exp(-(du^2 + dv^2) / 2)``, ``du = (u - mean_horz*width - 0.5) / (sigma_horz*width)``,
  ``dv`` likewise with ``v``; ``normalize`` multiplies by ``1 / sum``.
* ``laplacian(size=3, sigma=0.1, amplitude=1, normalize=false, width, height, sigma_horz, sigma_vert,
  mean_horz=0.5, mean_vert=0.5)``: ``l[i][j] = (1 - (x + y)) * amplitude * exp(-(x + y))`` with
  ``x = ((i - cx) / (sigma_horz*width))^2 / 2`` for the row ``i`` and ``y = ((j - cy) / (sigma_vert*height))^2 / 2``
  for the column ``j`` (Torch7 pairs the row with the horizontal parameters; kept, it shows only when
  width and height or the two sigmas differ), ``cx = mean_horz*width + 0.5``, ``cy = mean_vert*height + 0.5``.
* ``convolve([dst,] src, kernel [, mode])``: ``torch.conv2`` (a true convolution: the kernel is
  flipped); ``mode`` 'valid' (default), 'full', or 'same' (the centre of 'full' with the source's
  size, from row ``ceil(kh/2)`` and column ``ceil(kw/2)``, 1-based). A 2-D kernel on a ``C x H x W``
  source convolves each plane.

Kernels are built in double precision (``float`` arithmetic for a FloatTensor ``gaussian``, as
generic/image.c) in the default tensor type, or written into ``tensor=`` (whose size then rules).
"""
import math

import torch
import torch.nn.functional as F

from compat.image._common import (
    check_tensor,
    dst_src_value_mode,
    from_intermediate,
    into,
    named_args,
    work_dtype,
)

__all__ = ["convolve", "gaussian", "gaussian1D", "laplacian"]


def _positive(name, field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"image.{name}: {field} must be a positive number, got {value!r}")
    return value


def _size(name, field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ValueError(f"image.{name}: {field} must be a positive integer, got {value!r}")
    return int(value)


def _given(name, tensor, dims):
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != dims or tensor.numel() == 0:
        raise ValueError(f"image.{name}: tensor must be a non-empty {dims}-D torch.Tensor, got "
                         f"{getattr(tensor, 'shape', type(tensor).__name__)}")
    return tensor


def _sequential_sum(values):
    """A sum accumulated element after element in double, like Torch7's ``sum()``."""
    return float(values.reshape(-1).double().cumsum(0)[-1])


def gaussian1D(*args, **kwargs):
    """Lua ``image.gaussian1D``: a 1-D Gaussian kernel (see the module docstring)."""
    size, sigma, amplitude, normalize, mean, tensor = named_args("gaussian1D", args, kwargs, [
        ("size", 3), ("sigma", 0.25), ("amplitude", 1), ("normalize", False), ("mean", 0.5), ("tensor", None)])
    if tensor is not None:
        size = _given("gaussian1D", tensor, 1).shape[0]
    size = _size("gaussian1D", "size", size)
    _positive("gaussian1D", "sigma", sigma)
    center = mean * size + 0.5
    values = [amplitude * math.exp(-(((i - center) / (sigma * size)) ** 2) / 2) for i in range(1, size + 1)]
    gauss = torch.empty(size, dtype=torch.get_default_dtype()) if tensor is None else tensor
    gauss.copy_(torch.tensor(values, dtype=torch.float64))
    if normalize:
        gauss.div_(_sequential_sum(gauss))
    return gauss


def gaussian(*args, **kwargs):
    """Lua ``image.gaussian``: a ``height x width`` Gaussian kernel (see the module docstring)."""
    (size, sigma, amplitude, normalize, width, height, sigma_horz, sigma_vert, mean_horz, mean_vert,
     tensor) = named_args("gaussian", args, kwargs, [
        ("size", 3), ("sigma", 0.25), ("amplitude", 1), ("normalize", False), ("width", None),
        ("height", None), ("sigma_horz", None), ("sigma_vert", None), ("mean_horz", 0.5),
        ("mean_vert", 0.5), ("tensor", None)])
    width = size if width is None else width
    height = size if height is None else height
    sigma_horz = sigma if sigma_horz is None else sigma_horz
    sigma_vert = sigma if sigma_vert is None else sigma_vert
    if tensor is not None:
        height, width = _given("gaussian", tensor, 2).shape
    width, height = _size("gaussian", "width", width), _size("gaussian", "height", height)
    _positive("gaussian", "sigma_horz", sigma_horz)
    _positive("gaussian", "sigma_vert", sigma_vert)
    gauss = torch.empty(height, width, dtype=torch.get_default_dtype()) if tensor is None else tensor
    temp = work_dtype(gauss.dtype)

    def t(value):  # a C temp_t variable
        return torch.tensor(value, dtype=temp)

    mean_u = t(float(t(mean_horz) * width) + 0.5)
    mean_v = t(float(t(mean_vert) * height) + 0.5)
    over_u = t(1.0 / float(t(sigma_horz) * width))
    over_v = t(1.0 / float(t(sigma_vert) * height))
    du = (torch.arange(1, width + 1, dtype=temp) - mean_u) * over_u
    dv = (torch.arange(1, height + 1, dtype=temp) - mean_v) * over_v
    square = du[None, :] * du[None, :] + dv[:, None] * dv[:, None]
    values = (float(t(amplitude)) * torch.exp(-0.5 * square.double())).to(temp)
    gauss.copy_(from_intermediate(values, gauss.dtype))
    if normalize:
        gauss.mul_(float(t(1.0 / _sequential_sum(gauss))))
    return gauss


def laplacian(*args, **kwargs):
    """Lua ``image.laplacian``: a ``height x width`` Laplacian-of-Gaussian kernel (module docstring)."""
    (size, sigma, amplitude, normalize, width, height, sigma_horz, sigma_vert, mean_horz,
     mean_vert) = named_args("laplacian", args, kwargs, [
        ("size", 3), ("sigma", 0.1), ("amplitude", 1), ("normalize", False), ("width", None),
        ("height", None), ("sigma_horz", None), ("sigma_vert", None), ("mean_horz", 0.5), ("mean_vert", 0.5)])
    width = _size("laplacian", "width", size if width is None else width)
    height = _size("laplacian", "height", size if height is None else height)
    sigma_horz = _positive("laplacian", "sigma_horz", sigma if sigma_horz is None else sigma_horz)
    sigma_vert = _positive("laplacian", "sigma_vert", sigma if sigma_vert is None else sigma_vert)
    center_x = mean_horz * width + 0.5
    center_y = mean_vert * height + 0.5
    rows = torch.arange(1, height + 1, dtype=torch.float64)[:, None]
    cols = torch.arange(1, width + 1, dtype=torch.float64)[None, :]
    xsq = ((rows - center_x) / (sigma_horz * width)) ** 2 / 2
    ysq = ((cols - center_y) / (sigma_vert * height)) ** 2 / 2
    values = (1 - (xsq + ysq)) * amplitude * torch.exp(-(xsq + ysq))
    logauss = values.to(torch.get_default_dtype())
    if normalize:
        logauss.div_(_sequential_sum(logauss))
    return logauss


def _conv2(src, kernel, full):
    """torch.conv2 on 2-D/3-D tensors: each source plane with its kernel (or one plane with each)."""
    x = src.double().reshape(-1, 1, *src.shape[-2:]).transpose(0, 1)
    k = kernel.double().reshape(-1, 1, *kernel.shape[-2:]).flip(-1, -2)
    planes, kernels = x.shape[1], k.shape[0]
    if kernel.dim() == 2 and planes > 1:  # image.convolve gives each plane a copy of a 2-D kernel
        k, kernels = k.expand(planes, *k.shape[1:]), planes
    if planes != kernels:
        if planes != 1:
            raise ValueError(f"image.convolve: the source has {planes} planes and the kernel {kernels}; "
                             "they must match (or one of them be 2-D)")
        x = x.expand(1, kernels, *x.shape[-2:])
    if full:
        x = F.pad(x, (k.shape[-1] - 1, k.shape[-1] - 1, k.shape[-2] - 1, k.shape[-2] - 1))
    out = F.conv2d(x, k, groups=kernels)[0]
    if src.dim() == 2 and kernel.dim() == 2:
        out = out[0]
    return out.to(src.dtype)


def convolve(*args):
    """Lua ``image.convolve([dst,] src, kernel [, mode])`` (see the module docstring)."""
    dst, src, kernel, mode = dst_src_value_mode("convolve", args, "([dst,] src, kernel [, mode])",
                                                lambda a: isinstance(a[2], str))
    check_tensor("convolve", "source", src)
    check_tensor("convolve", "kernel", kernel)
    if mode is not None and mode not in ("valid", "full", "same"):
        raise ValueError(f"image.convolve: mode has to be one of: full | valid | same, got {mode!r}")
    out = into("convolve", dst, _conv2(src, kernel, mode in ("full", "same")))
    if mode == "same":
        oy, ox = math.ceil(kernel.shape[-2] / 2) - 1, math.ceil(kernel.shape[-1] / 2) - 1
        out = out.narrow(-2, oy, src.shape[-2]).narrow(-1, ox, src.shape[-1])
    return out
