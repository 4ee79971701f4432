"""torch/image's display helpers (``init.lua``): minmax, toDisplayTensor, and display as a PNG file.

* ``minmax{tensor, min, max, symm=false, inplace=false, saturate=false, tensorOut}``: a copy (in the
  default tensor type; the tensor itself with ``inplace``, ``tensorOut`` when given) mapped by
  ``(x - min) / (max - min)`` with min/max the tensor's own unless given; ``symm`` uses
  ``[-m, m]``, ``m = max(|min|, |max|)``; ``saturate`` (only with a given min or max) clamps to [0, 1].
* ``toDisplayTensor{input, padding=0, nrow=6, scaleeach=false, min, max, symmetric=false,
  saturate=true}``: a list of images or a ``K x H x W`` / ``K x C x H x W`` tensor laid out on a grid of
  ``nrow`` columns with ``padding`` pixels around each image, background the largest value, then
  scaled by ``minmax``; a single image (``H x W``, ``1/3 x H x W``) is only scaled.
* ``display{image, zoom=1, min, max, legend, scaleeach, padding, symmetric, nrow, saturate}``: where
  Torch7 opened a Qt window, writes the ``toDisplayTensor`` grid (enlarged ``zoom`` times, nearest
  pixel) to a PNG file ``image-display-<N>.png`` (N = 1, 2, ... per process) in the folder named
  by the environment variable ``TORCHAD_DISPLAY_DIR`` (default: the current directory), and
  returns the file's path. The first call prints the folder and the name pattern once, on stderr
  (stdout stays what Torch7 printed, as compat.gnuplot does); each file is also logged.
"""
import logging
import math
import os
import sys

import torch

from compat.image._common import check_tensor, named_args
from compat.image.files import savePNG
from compat.image.geometry import scale

__all__ = ["display", "minmax", "toDisplayTensor"]

_log = logging.getLogger(__name__)

DISPLAY_DIR_VARIABLE = "TORCHAD_DISPLAY_DIR"
_displayed = []


def minmax(*args, **kwargs):
    """Lua ``image.minmax{tensor=, min=, max=, symm=, inplace=, saturate=, tensorOut=}``."""
    tensor, low, high, symm, inplace, saturate, out = named_args("minmax", args, kwargs, [
        ("tensor", None), ("min", None), ("max", None), ("symm", False), ("inplace", False),
        ("saturate", False), ("tensorOut", None)])
    check_tensor("minmax", "tensor", tensor, None)
    if out is not None:
        out.resize_(tensor.shape).copy_(tensor)
    elif inplace:
        out = tensor
    else:
        out = tensor.to(torch.get_default_dtype(), copy=True)
    if low is None and high is None:
        saturate = False
    half = 0
    if low is None:
        if symm:
            half = max(abs(out.min().item()), abs(out.max().item()))
            low = -half
        else:
            low = out.min().item()
    if low != 0:
        out.add_(-low)
    if high is None:
        high = half * 2 if symm else out.max().item()
    else:
        high = high - low
    if high != 0:
        out.div_(high)
    if saturate and out.dtype != torch.uint8:
        out.clamp_(0, 1)
    return out


def _pack(name, value):
    packed_dtype = torch.get_default_dtype()
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"image.{name}: the list of images is empty")
        first = check_tensor(name, "input[1]", value[0])
        channels = 1 if first.dim() == 2 else first.shape[0]
        shape = (len(value), channels, *first.shape[-2:])
        packed = torch.empty(shape, dtype=packed_dtype)
        for k, img in enumerate(value):
            packed[k].copy_(check_tensor(name, f"input[{k + 1}]", img).reshape(shape[1:]))
        return packed
    if isinstance(value, torch.Tensor):
        return value.to(packed_dtype, copy=True)
    raise TypeError(f"image.{name}: Unknown or incompatible type of input: {type(value).__name__}")


def _grid(packed, nrow, padding, planes):
    """Lay the images ``packed[k]`` (``planes x H x W`` each, or ``H x W``) on a grid."""
    nmaps = packed.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = math.ceil(nmaps / xmaps)
    height, width = packed.shape[-2] + padding, packed.shape[-1] + padding
    grid = torch.full(planes + (height * ymaps, width * xmaps), packed.max().item(), dtype=packed.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top = math.floor(y * height + 1 + padding / 2) - 1
        left = math.floor(x * width + 1 + padding / 2) - 1
        grid[..., top:top + packed.shape[-2], left:left + packed.shape[-1]] = packed[k]
    return grid


def _scale_options(low, high, symm, saturate):
    return {"min": low, "max": high, "symm": symm, "saturate": saturate}


def toDisplayTensor(*args, **kwargs):
    """Lua ``image.toDisplayTensor{input=, padding=, nrow=, scaleeach=, min=, max=, symmetric=,
    saturate=}`` (see the module docstring)."""
    value, padding, nrow, scaleeach, low, high, symm, saturate = named_args("toDisplayTensor", args, kwargs, [
        ("input", None), ("padding", 0), ("nrow", 6), ("scaleeach", False), ("min", None), ("max", None),
        ("symmetric", False), ("saturate", True)])
    if value is None:
        raise TypeError("image.toDisplayTensor: input (a tensor or a list of tensors) is required")
    packed = _pack("toDisplayTensor", value)
    options = _scale_options(low, high, symm, saturate)
    colour_pack = packed.dim() == 4 and packed.shape[1] in (1, 3)
    if scaleeach and (colour_pack or (packed.dim() == 3 and packed.shape[0] not in (1, 3))):
        for k in range(packed.shape[0]):
            minmax(tensor=packed[k], inplace=True, **options)
    if colour_pack:
        grid = _grid(packed, nrow, padding, (packed.shape[1],))
    elif packed.dim() == 2 or (packed.dim() == 3 and packed.shape[0] in (1, 3)):
        return minmax(tensor=packed, inplace=True, **options)
    elif packed.dim() == 3:
        grid = _grid(packed, nrow, padding, ())
    else:
        raise ValueError(f"image.toDisplayTensor: packed must be a HxW or KxHxW or Kx3xHxW tensor, or a list "
                         f"of tensors, got size {tuple(packed.shape)}")
    if not scaleeach:
        minmax(tensor=grid, inplace=True, **options)
    return grid


def display(*args, **kwargs):
    """Lua ``image.display{image=, zoom=, min=, max=, legend=, ...}``: writes a PNG file instead of
    opening a window (see the module docstring); returns the file's path."""
    (img, zoom, low, high, legend, _win, _x, _y, scaleeach, _gui, _offscreen, padding, symm, nrow,
     saturate) = named_args("display", args, kwargs, [
        ("image", None), ("zoom", 1), ("min", None), ("max", None), ("legend", "image.display"),
        ("win", None), ("x", 0), ("y", 0), ("scaleeach", False), ("gui", True), ("offscreen", False),
        ("padding", 0), ("symmetric", False), ("nrow", 6), ("saturate", True)])
    if img is None:
        raise TypeError("image.display: image (a tensor or a list of tensors) is required")
    grid = toDisplayTensor(input=img, padding=padding, nrow=nrow, saturate=saturate, scaleeach=scaleeach,
                           min=low, max=high, symmetric=symm)
    if not (grid.dim() == 2 or (grid.dim() == 3 and grid.shape[0] in (1, 3))):
        raise ValueError(f"image.display: image must be a HxW or KxHxW or Kx3xHxW tensor, or a list of tensors "
                         f"(got a grid of size {tuple(grid.shape)})")
    if zoom != 1:
        height, width = grid.shape[-2:]
        grid = scale(grid, max(int(width * zoom), 1), max(int(height * zoom), 1), "simple")
    folder = os.environ.get(DISPLAY_DIR_VARIABLE) or os.getcwd()
    os.makedirs(folder, exist_ok=True)
    _displayed.append(legend)
    path = os.path.join(folder, f"image-display-{len(_displayed)}.png")
    if len(_displayed) == 1:
        print(f"image.display: images are written to {folder} as image-display-<N>.png "
              f"(set {DISPLAY_DIR_VARIABLE} to choose the folder)", file=sys.stderr)
    savePNG(path, grid)
    _log.info("image.display: %r written to %s", legend, path)
    return path
