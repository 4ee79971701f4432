"""Lua Torch7's ``image`` package (torch/image ``init.lua``, ``generic/image.c``, ``png.c``, ``jpeg.c`` @
5aa18819) over PyTorch and Pillow: ``require 'image'`` becomes ``from compat import image``.

Conventions, as in Torch7: an image is an ``H x W`` or ``C x H x W`` tensor (channels first); a
floating-point image holds values in [0, 1], a ByteTensor (``'byte'``) 0..255; ``x``/``y`` arguments
and crop corners are 0-based pixel offsets (``x`` horizontal); functions that take an optional
destination put it first (``image.scale(dst, src)``) and return it; functions that take many options
accept one table of named fields (``image.gaussian{size = 5}``, a ``dict`` or Python keywords).

* files (:mod:`compat.image.files`): ``load``, ``save``, ``loadPNG``, ``savePNG``, ``loadJPG``,
  ``saveJPG``, ``loadPPM``, ``savePPM``, ``savePGM``, ``compressPNG``, ``compressJPG``,
  ``decompress``, ``decompressPNG``, ``decompressJPG``, ``getSize``, ``getPNGsize``, ``getJPGsize``,
  ``getPPMsize``, ``is_supported``;
* geometry (:mod:`compat.image.geometry`): ``scale``, ``crop``, ``translate``, ``rotate``, ``hflip``,
  ``vflip``, ``flip``;
* colour (:mod:`compat.image.colour`): ``rgb2yuv``, ``yuv2rgb``, ``rgb2y``, ``rgb2hsl``, ``hsl2rgb``,
  ``rgb2hsv``, ``hsv2rgb``, ``rgb2lab``, ``lab2rgb``, ``rgb2nrgb``;
* kernels (:mod:`compat.image.kernels`): ``gaussian``, ``gaussian1D``, ``laplacian``, ``convolve``;
* display (:mod:`compat.image.display`): ``minmax``, ``toDisplayTensor``, ``display`` (a PNG file
  where Torch7 opened a window).
"""
from compat.image.colour import hsl2rgb, hsv2rgb, lab2rgb, rgb2hsl, rgb2hsv, rgb2lab, rgb2nrgb, rgb2y, rgb2yuv, yuv2rgb
from compat.image.display import display, minmax, toDisplayTensor
from compat.image.files import (
    compressJPG,
    compressPNG,
    decompress,
    decompressJPG,
    decompressPNG,
    getJPGsize,
    getPNGsize,
    getPPMsize,
    getSize,
    is_supported,
    load,
    loadJPG,
    loadPNG,
    loadPPM,
    save,
    saveJPG,
    savePGM,
    savePNG,
    savePPM,
)
from compat.image.geometry import crop, flip, hflip, rotate, scale, translate, vflip
from compat.image.kernels import convolve, gaussian, gaussian1D, laplacian

__all__ = ["compressJPG", "compressPNG", "convolve", "crop", "decompress", "decompressJPG", "decompressPNG",
           "display", "flip", "gaussian", "gaussian1D", "getJPGsize", "getPNGsize", "getPPMsize", "getSize",
           "hflip", "hsl2rgb", "hsv2rgb", "is_supported", "lab2rgb", "laplacian", "load", "loadJPG", "loadPNG",
           "loadPPM", "minmax", "rgb2hsl", "rgb2hsv", "rgb2lab", "rgb2nrgb", "rgb2y", "rgb2yuv", "rotate", "save",
           "saveJPG", "savePGM", "savePNG", "savePPM", "scale", "toDisplayTensor", "translate", "vflip",
           "yuv2rgb"]
