"""torch/image's file formats (``init.lua``, ``png.c``, ``jpeg.c``, ``ppm.c``) over Pillow's codecs.

* Loading gives a ``C x H x W`` tensor (C = 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA; palette images
  come as RGB) of the default tensor type with values ``v * (1/255)`` (``1/65535`` for 16-bit PNGs),
  or of type ``'float'``/``'double'`` likewise, or ``'byte'`` with the raw 0..255 values (the high
  byte of a 16-bit sample). ``depth`` 1 makes a colour image its luma plane (``rgb2y``, an
  ``H x W`` tensor), keeps a grey one ``1 x H x W`` and drops an alpha plane; ``depth`` 3 repeats a
  grey plane three times and drops an alpha plane.
* Saving takes ``H x W`` or ``C x H x W``: a ByteTensor as it is; any other type is copied to the
  default type, clamped to [0, 1], multiplied by 255 and truncated (as C converts a double to a
  byte). PNG takes 1, 3 or 4 channels; JPEG 1 or 3, quality 75 (``compressJPG``: its argument).
* ``image.load`` recognises PNG and JPEG by their first bytes, then falls back on the file name's
  extension (png, jpg, jpeg, ppm, pgm in either case); ``image.getSize`` returns a LongTensor
  ``{channels, height, width}`` without decoding the pixels.

Pillow decodes 16-bit RGB(A) PNGs to 8 bits per sample, so their values carry 8-bit precision here
(16-bit grey PNGs keep theirs); JPEG pixels come from Pillow's libjpeg, whose decoder and encoder
may differ from the libjpeg Torch7 was built with by a unit in a few pixels.
"""
import io
import re

import numpy as np
import torch
from PIL import Image

from compat.image._common import TENSOR_TYPES, check_tensor
from compat.image.colour import rgb2y

__all__ = ["compressJPG", "compressPNG", "decompress", "decompressJPG", "decompressPNG", "getJPGsize",
           "getPNGsize", "getPPMsize", "getSize", "is_supported", "load", "loadJPG", "loadPNG", "loadPPM",
           "save", "saveJPG", "savePGM", "savePNG", "savePPM"]

_MAGIC_JPG = b"\xff\xd8\xff"
_MAGIC_PNG = b"\x89PNG"
_CHANNELS = {"1": 1, "L": 1, "I;16": 1, "I;16B": 1, "I;16L": 1, "I": 1, "LA": 2, "RGB": 3, "RGBA": 4,
             "CMYK": 4, "P": 3, "PA": 3}


def _tensor_type(name, tensortype):
    if tensortype is None:
        return torch.get_default_dtype()
    if tensortype not in TENSOR_TYPES:
        raise ValueError(f"image.{name}: type must be 'byte', 'float' or 'double', got {tensortype!r}")
    return TENSOR_TYPES[tensortype]


def _samples(picture):
    """A Pillow image -> (C x H x W integer array, maximum sample value)."""
    mode = picture.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(picture, dtype=np.int64)[None], 65535
    if mode == "1":
        picture = picture.convert("L")
    elif mode in ("P", "PA"):
        picture = picture.convert("RGB")
    elif mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        picture = picture.convert("RGB")
    array = np.asarray(picture)
    return (array[None] if array.ndim == 2 else array.transpose(2, 0, 1)), 255


def _todepth(name, img, depth):
    if depth == 1:
        if img.dim() == 2:
            return img
        if img.shape[0] in (3, 4):
            return rgb2y(img.narrow(0, 0, 3))[0]
        if img.shape[0] == 2:
            return img.narrow(0, 0, 1)
        if img.shape[0] != 1:
            raise ValueError(f"image.{name}: image loaded has wrong #channels ({img.shape[0]}) for depth 1")
    elif depth == 3:
        if img.shape[0] == 3:
            return img
        if img.dim() == 2:
            return img.unsqueeze(0).repeat(3, 1, 1)
        if img.shape[0] == 4:
            return img.narrow(0, 0, 3)
        if img.shape[0] == 1:
            return img.repeat(3, 1, 1)
        raise ValueError(f"image.{name}: image loaded has wrong #channels ({img.shape[0]}) for depth 3")
    return img


def _decode(name, source, depth, tensortype):
    dtype = _tensor_type(name, tensortype)
    try:
        with Image.open(source) as picture:
            samples, maxval = _samples(picture)
    except (OSError, ValueError, SyntaxError) as err:
        raise ValueError(f"image.{name}: cannot decode the image: {err}") from err
    if dtype == torch.uint8:
        img = torch.from_numpy((samples >> 8 if maxval == 65535 else samples).astype(np.uint8))
    else:
        img = torch.from_numpy(samples.astype(np.float64)).to(dtype).mul_(1 / maxval)
    return _todepth(name, img.contiguous(), depth)


def _bytes_of(name, tensor):
    if not isinstance(tensor, torch.Tensor) or tensor.dtype != torch.uint8:
        raise TypeError(f"image.{name}: the input must be a torch.ByteTensor of compressed image bytes, got "
                        f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    return io.BytesIO(tensor.contiguous().numpy().tobytes())


def _clamped_bytes(name, tensor, channels):
    """clampImage: the tensor as an H x W x C uint8 array."""
    check_tensor(name, "tensor", tensor)
    depth = 1 if tensor.dim() == 2 else tensor.shape[0]
    if depth not in channels:
        raise ValueError(f"image.{name}: the image must have {' or '.join(map(str, channels))} channels, got "
                         f"size {tuple(tensor.shape)}")
    if tensor.dtype != torch.uint8:
        tensor = tensor.to(torch.get_default_dtype()).clamp(0, 1).mul(255).to(torch.uint8)
    array = tensor.reshape(depth, *tensor.shape[-2:]).permute(1, 2, 0).contiguous().numpy()
    return array[:, :, 0] if depth == 1 else array


_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _encode(name, tensor, fmt, target, **options):
    array = _clamped_bytes(name, tensor, (1, 3, 4) if fmt == "PNG" else (1, 3))
    depth = 1 if array.ndim == 2 else array.shape[2]
    Image.fromarray(array, mode=_PIL_MODES[depth]).save(target, format=fmt, **options)


def _to_byte_tensor(buffer):
    return torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)


def loadPNG(filename, depth=None, tensortype=None):
    """Lua ``image.loadPNG(filename [, depth [, type]])``."""
    return _decode("loadPNG", filename, depth, tensortype)


def loadJPG(filename, depth=None, tensortype=None):
    """Lua ``image.loadJPG(filename [, depth [, type]])``."""
    return _decode("loadJPG", filename, depth, tensortype)


def loadPPM(filename, depth=None, tensortype=None):
    """Lua ``image.loadPPM(filename [, depth [, type]])`` (PPM and PGM)."""
    return _decode("loadPPM", filename, depth, tensortype)


def savePNG(filename, tensor):
    """Lua ``image.savePNG(filename, tensor)``."""
    _encode("savePNG", tensor, "PNG", filename)


def saveJPG(filename, tensor):
    """Lua ``image.saveJPG(filename, tensor)`` (quality 75)."""
    _encode("saveJPG", tensor, "JPEG", filename, quality=75)


def savePPM(filename, tensor):
    """Lua ``image.savePPM(filename, tensor)``: a 3 x H x W image."""
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 3 or tensor.shape[0] != 3:
        raise ValueError(f"image.savePPM: can only save 3xHxW images as PPM, got "
                         f"{getattr(tensor, 'shape', type(tensor).__name__)}")
    _encode("savePPM", tensor, "PPM", filename)


def savePGM(filename, tensor):
    """Lua ``image.savePGM(filename, tensor)``: a 1 x H x W or H x W image."""
    if not isinstance(tensor, torch.Tensor) or (tensor.dim() == 3 and tensor.shape[0] != 1):
        raise ValueError(f"image.savePGM: can only save 1xHxW or HxW images as PGM, got "
                         f"{getattr(tensor, 'shape', type(tensor).__name__)}")
    _encode("savePGM", tensor, "PPM", filename)


def compressPNG(tensor):
    """Lua ``image.compressPNG(tensor)``: the PNG file's bytes in a 1-D ByteTensor."""
    buffer = io.BytesIO()
    _encode("compressPNG", tensor, "PNG", buffer)
    return _to_byte_tensor(buffer)


def compressJPG(tensor, quality=75):
    """Lua ``image.compressJPG(tensor [, quality])``: the JPEG file's bytes in a 1-D ByteTensor."""
    if isinstance(quality, bool) or not isinstance(quality, (int, float)) or not 0 <= quality <= 100:
        raise ValueError(f"image.compressJPG: quality should be between 0 and 100, got {quality!r}")
    buffer = io.BytesIO()
    _encode("compressJPG", tensor, "JPEG", buffer, quality=int(quality))
    return _to_byte_tensor(buffer)


def decompressPNG(tensor, depth=None, tensortype=None):
    """Lua ``image.decompressPNG(bytes [, depth [, type]])``."""
    return _decode("decompressPNG", _bytes_of("decompressPNG", tensor), depth, tensortype)


def decompressJPG(tensor, depth=None, tensortype=None):
    """Lua ``image.decompressJPG(bytes [, depth [, type]])``."""
    return _decode("decompressJPG", _bytes_of("decompressJPG", tensor), depth, tensortype)


def decompress(tensor, depth=None, tensortype=None):
    """Lua ``image.decompress(bytes [, depth [, type]])``: PNG or JPEG, told by the first bytes."""
    head = _bytes_of("decompress", tensor).read(4)
    if head.startswith(_MAGIC_JPG):
        return decompressJPG(tensor, depth, tensortype)
    if head.startswith(_MAGIC_PNG):
        return decompressPNG(tensor, depth, tensortype)
    raise ValueError(f"image.decompress: Input must be either jpg or png format (first bytes {head!r})")


_FILETYPES = {"jpg": "jpg", "JPG": "jpg", "jpeg": "jpg", "JPEG": "jpg", "png": "png", "PNG": "png",
              "ppm": "ppm", "PPM": "ppm", "pgm": "pgm", "PGM": "pgm"}
_LOADERS = {"jpg": loadJPG, "png": loadPNG, "ppm": loadPPM, "pgm": loadPPM}
_SAVERS = {"jpg": saveJPG, "png": savePNG, "ppm": savePPM, "pgm": savePGM}


def is_supported(suffix):
    """Lua ``image.is_supported(suffix)``: whether ``suffix`` names a known file type."""
    return suffix in _FILETYPES


def _extension(filename):
    match = re.search(r"\.([A-Za-z]+)$", filename)
    return match.group(1) if match else None


def _file_type(name, filename):
    if not isinstance(filename, str):
        raise TypeError(f"image.{name}: missing file name (got {filename!r})")
    with open(filename, "rb") as handle:
        head = handle.read(4)
    if head.startswith(_MAGIC_JPG):
        return "jpg"
    if head.startswith(_MAGIC_PNG):
        return "png"
    if re.match(rb"P[25]", head):
        return "pgm"
    if re.match(rb"P[36]", head):
        return "ppm"
    ext = _extension(filename)
    if ext is None:
        raise ValueError(f"image.{name}: unable to determine image type for file: {filename}")
    if ext not in _FILETYPES:
        raise ValueError(f"image.{name}: unknown image type: {ext}")
    return _FILETYPES[ext]


def load(filename, depth=None, tensortype=None):
    """Lua ``image.load(filename [, depth [, type]])`` (see the module docstring)."""
    return _LOADERS[_file_type("load", filename)](filename, depth, tensortype)


def save(filename, tensor):
    """Lua ``image.save(filename, tensor)``: the format from the file name's extension."""
    if not isinstance(filename, str) or tensor is None:
        raise TypeError(f"image.save expects (filename, tensor), got ({filename!r}, {type(tensor).__name__})")
    ext = _extension(filename)
    if ext not in _FILETYPES:
        raise ValueError(f"image.save: unknown image type: {ext} (file {filename})")
    _SAVERS[_FILETYPES[ext]](filename, tensor)


def _size_of(name, filename, allow_palette=True):
    try:
        with Image.open(filename) as picture:
            mode, (width, height) = picture.mode, picture.size
    except (OSError, ValueError, SyntaxError) as err:
        raise ValueError(f"image.{name}: cannot read {filename}: {err}") from err
    if mode in ("P", "PA") and not allow_palette:
        raise ValueError(f"image.{name}: [get_png_size] unsupported type: PALETTE ({filename})")
    return _CHANNELS.get(mode, 3), height, width


def getPNGsize(filename):
    """Lua ``image.getPNGsize(filename)``: channels, height, width (palette PNGs are refused, as Torch7)."""
    return _size_of("getPNGsize", filename, allow_palette=False)


def getJPGsize(filename):
    """Lua ``image.getJPGsize(filename)``: channels, height, width."""
    return _size_of("getJPGsize", filename)


def getPPMsize(filename):
    """Lua ``image.getPPMsize(filename)``: channels, height, width."""
    return _size_of("getPPMsize", filename)


_SIZERS = {"jpg": getJPGsize, "png": getPNGsize, "ppm": getPPMsize, "pgm": getPPMsize}


def getSize(filename):
    """Lua ``image.getSize(filename)``: a LongTensor ``{channels, height, width}``."""
    return torch.tensor(_SIZERS[_file_type("getSize", filename)](filename), dtype=torch.int64)
