"""torch/image's colour-space conversions (``init.lua``, ``generic/image.c``).

Images are ``3 x H x W`` (channels first). Each function is ``f([output,] input)`` and returns
``output`` (resized; a new tensor of the input's type when not given).

* ``rgb2yuv``: ``Y = 0.299 R + 0.587 G + 0.114 B``, ``U = -0.14713 R - 0.28886 G + 0.436 B``,
  ``V = 0.615 R - 0.51499 G - 0.10001 B`` (the sums are formed in this order, as Torch7 does);
  ``yuv2rgb``: ``R = Y + 1.13983 V``, ``G = Y - 0.39465 U - 0.58060 V``, ``B = Y + 2.03211 U``.
* ``rgb2y``: the Y plane only, ``1 x H x W``.
* ``rgb2hsl`` / ``hsl2rgb`` / ``rgb2hsv`` / ``hsv2rgb``: the hexcone models with every component in
  [0, 1] (hue as a fraction of the turn); a ByteTensor is read and written as 0..255, rounded.
* ``rgb2lab`` / ``lab2rgb``: sRGB (gamma 2.4, linear below 0.04045) to CIE L*a*b* with the D65 white
  point ``(0.950456, 1, 1.088754)`` and Torch7's matrices; floating-point tensors only.
* ``rgb2nrgb``: each channel divided by ``R + G + B + 1e-6``.

The arithmetic is done on whole tensors in double precision, in generic/image.c's order, then
stored in the tensor's type (for a FloatTensor the C code keeps some intermediates in float, so the
last bit of a FloatTensor result may differ).
"""
import torch

from compat.image._common import from_intermediate

__all__ = ["hsl2rgb", "hsv2rgb", "lab2rgb", "rgb2hsl", "rgb2hsv", "rgb2lab", "rgb2nrgb", "rgb2y", "rgb2yuv",
           "yuv2rgb"]


def _convert_args(name, args, floating=True):
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
    if floating and not image.is_floating_point():
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


def _finish(output, channels, dtype):
    output.copy_(torch.stack([from_intermediate(c, dtype) for c in channels]))
    return output


def _channels(image):
    """The three planes in double; a ByteTensor's 0..255 read as 0..1."""
    planes = image.double()
    if image.dtype == torch.uint8:
        planes = planes / 255
    return planes[0], planes[1], planes[2]


def _hue(r, g, b, mx, d):
    h = torch.where(mx == r, (g - b) / d + torch.where(g < b, 6.0, 0.0),
                    torch.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    return h / 6


def _out_scale(channels, dtype):
    return [c * 255 for c in channels] if dtype == torch.uint8 else channels


def rgb2y(*args):
    """Lua ``image.rgb2y([output,] input)``: the Y (luma) plane of an RGB image, ``1 x H x W``."""
    output, image = _convert_args("rgb2y", args, floating=False)
    output.resize_(1, *image.shape[1:])
    planes = image.double()
    y = 0.299 * planes[0] + 0.587 * planes[1] + 0.114 * planes[2]
    output[0].copy_(from_intermediate(y, image.dtype))
    return output


def rgb2hsl(*args):
    """Lua ``image.rgb2hsl([output,] input)``: RGB -> HSL, all in [0, 1]."""
    output, image = _convert_args("rgb2hsl", args, floating=False)
    r, g, b = _channels(image)
    mx = torch.maximum(torch.maximum(r, g), b)
    mn = torch.minimum(torch.minimum(r, g), b)
    d = mx - mn
    grey = mx == mn
    safe = torch.where(grey, 1.0, d)
    l_chroma = (mx + mn) / 2
    s = torch.where(l_chroma > 0.5, safe / (2 - mx - mn), safe / torch.where(grey, 1.0, mx + mn))
    h = torch.where(grey, 0.0, _hue(r, g, b, mx, safe))
    s = torch.where(grey, 0.0, s)
    lum = torch.where(grey, mx, l_chroma)
    return _finish(output, _out_scale([h, s, lum], image.dtype), image.dtype)


def _hue2rgb(p, q, t):
    t = torch.where(t < 0.0, t + 1, t)
    t = torch.where(t > 1.0, t - 1, t)
    return torch.where(t < 1.0 / 6, p + (q - p) * 6.0 * t,
                       torch.where(t < 1.0 / 2, q,
                                   torch.where(t < 2.0 / 3, p + (q - p) * (2.0 / 3 - t) * 6.0, p)))


def hsl2rgb(*args):
    """Lua ``image.hsl2rgb([output,] input)``: HSL -> RGB."""
    output, image = _convert_args("hsl2rgb", args, floating=False)
    h, s, lum = _channels(image)
    q = torch.where(lum < 0.5, lum * (1 + s), lum + s - lum * s)
    p = 2 * lum - q
    grey = s == 0
    rgb = [torch.where(grey, lum, _hue2rgb(p, q, hue)) for hue in (h + 1.0 / 3, h, h - 1.0 / 3)]
    return _finish(output, _out_scale(rgb, image.dtype), image.dtype)


def rgb2hsv(*args):
    """Lua ``image.rgb2hsv([output,] input)``: RGB -> HSV, all in [0, 1]."""
    output, image = _convert_args("rgb2hsv", args, floating=False)
    r, g, b = _channels(image)
    mx = torch.maximum(torch.maximum(r, g), b)
    mn = torch.minimum(torch.minimum(r, g), b)
    grey = mx == mn
    d = torch.where(grey, 1.0, mx - mn)
    h = torch.where(grey, 0.0, _hue(r, g, b, mx, d))
    s = torch.where(grey, 0.0, d / torch.where(grey, 1.0, mx))
    return _finish(output, _out_scale([h, s, mx], image.dtype), image.dtype)


def hsv2rgb(*args):
    """Lua ``image.hsv2rgb([output,] input)``: HSV -> RGB."""
    output, image = _convert_args("hsv2rgb", args, floating=False)
    h, s, v = _channels(image)
    i = torch.floor(h * 6.0)
    f = h * 6 - i
    p = v * (1 - s)
    q = v * (1 - f * s)
    t = v * (1 - (1 - f) * s)
    sector = torch.fmod(i, 6)  # C's %: negative sectors fall to the default case (black)
    zero = torch.zeros_like(v)
    table = {0: (v, t, p), 1: (q, v, p), 2: (p, v, t), 3: (p, q, v), 4: (t, p, v), 5: (v, p, q)}
    rgb = []
    for channel in range(3):
        value = zero
        for k, triple in table.items():
            value = torch.where(sector == k, triple[channel], value)
        rgb.append(value)
    return _finish(output, _out_scale(rgb, image.dtype), image.dtype)


_EPSILON = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0
_XN, _ZN = 0.950456, 1.088754


def _lab_input(name, args):
    output, image = _convert_args(name, args)
    return output, image, image.dtype


def rgb2lab(*args):
    """Lua ``image.rgb2lab([output,] input)``: sRGB in [0, 1] -> L*a*b* (D65)."""
    output, image, dtype = _lab_input("rgb2lab", args)
    planes = image.double()
    linear = torch.where(planes <= 0.04045, planes / 12.92, torch.pow((planes + 0.055) / 1.055, 2.4))
    r, g, b = linear.to(dtype).double()
    x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / _XN
    y = 0.212671 * r + 0.715160 * g + 0.072169 * b
    z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / _ZN
    fx, fy, fz = (torch.where(c > _EPSILON, torch.pow(c, 1 / 3.0), (_KAPPA * c + 16) / 116) for c in (x, y, z))
    return _finish(output, [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dtype)


def lab2rgb(*args):
    """Lua ``image.lab2rgb([output,] input)``: L*a*b* (D65) -> sRGB."""
    output, image, dtype = _lab_input("lab2rgb", args)
    lum, a, b = image.double()
    fy = (lum + 16) / 116
    fz = fy - b / 200
    fx = (a / 500) + fy
    cube = torch.tensor(3.0, dtype=torch.float64)
    x = torch.pow(fx, cube)
    x = torch.where(x <= _EPSILON, (116 * fx - 16) / _KAPPA, x) * _XN
    y = torch.where(lum > _KAPPA * _EPSILON, torch.pow((lum + 16) / 116, cube), lum / _KAPPA)
    z = torch.pow(fz, cube)
    z = torch.where(z <= _EPSILON, (116 * fz - 16) / _KAPPA, z) * _ZN
    linear = torch.stack([3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
                          -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
                          0.0556434 * x - 0.2040259 * y + 1.0572252 * z]).to(dtype).double()
    srgb = torch.where(linear <= 0.0031308, 12.92 * linear,
                       1.055 * torch.pow(linear.clamp(min=0.0031308), 1.0 / 2.4) - 0.055)
    return _finish(output, list(srgb), dtype)


def rgb2nrgb(*args):
    """Lua ``image.rgb2nrgb([output,] input)``: each channel over ``R + G + B + 1e-6``."""
    output, image = _convert_args("rgb2nrgb", args)
    total = image[0] + image[1] + image[2] + 1e-6
    output.copy_(image / total)
    return output
