"""LuaJIT's ``math.random`` / ``math.randomseed`` generator (LuaJIT ``src/lib_math.c``), so that a
translated script draws the numbers it drew under LuaJIT.

The generator is a combined Tausworthe generator (L'Ecuyer 1991, period 2^223) of four 64-bit
LFSRs ``(k, q, s)``. A step updates each ``z`` to ``((z << q) ^ z) >> (k - s) ^ (z & ~0 << (64 - k)) << s``
and xors them; the 52 low bits of that, under the exponent of 1.0, make a double in [1, 2), and
``math.random()`` is that double minus 1. ``math.random(m)`` is ``floor(d * m) + 1`` and
``math.random(m, n)`` is ``floor(d * (n - m + 1)) + m``.

``math.randomseed(x)`` fills the four states from ``d = d * pi + e`` (starting from ``d = x``), each
state being the bits of that double, raised to have its top ``k`` bits non-zero, then steps 10 times.
Without a seed, LuaJIT seeds with 0 on the first draw. The generator is per Python process, separate
from Python's ``random`` and from Torch7's stream (``torch.manualSeed`` does not touch it, as in Lua).
"""
import math
import struct

__all__ = ["LuaJITRandom"]

_MASK = (1 << 64) - 1
_STEPS = ((63, 31, 18), (58, 19, 28), (55, 24, 7), (47, 21, 8))     # (k, q, s) of the four LFSRs
_MANTISSA = (1 << 52) - 1
_ONE = 0x3FF0000000000000                                           # the bits of 1.0


def _bits(d):
    return struct.unpack("<Q", struct.pack("<d", d))[0]


class LuaJITRandom:
    """One LuaJIT ``math.random`` state."""

    def __init__(self):
        self._gen = None                         # seeded with 0 on first use, as LuaJIT

    def randomseed(self, seed):
        """LuaJIT ``math.randomseed(x)``."""
        if isinstance(seed, bool) or not isinstance(seed, (int, float)):
            raise TypeError(f"bad argument #1 to 'randomseed' (number expected, got {type(seed).__name__})")
        d = float(seed)
        lowest = 0x11090601                      # 64 - k of each LFSR, one per byte
        gen = []
        for _ in range(4):
            floor_bit = 1 << (lowest & 255)
            lowest >>= 8
            d = d * 3.14159265358979323846 + 2.7182818284590452354
            u = _bits(d)
            gen.append(u + floor_bit if u < floor_bit else u)
        self._gen = gen
        for _ in range(10):
            self._step()

    def _step(self):
        r = 0
        gen = self._gen
        for i, (k, q, s) in enumerate(_STEPS):
            z = gen[i]
            z = ((((z << q) & _MASK) ^ z) >> (k - s)) ^ (((z & ((_MASK << (64 - k)) & _MASK)) << s) & _MASK)
            r ^= z
            gen[i] = z
        return struct.unpack("<d", struct.pack("<Q", (r & _MANTISSA) | _ONE))[0] - 1.0

    def random(self, m=None, n=None):
        """LuaJIT ``math.random([m [, n]])``: a float in [0, 1), or an integer in [1, m] / [m, n]
        (an int when it is integral; LuaJIT's value is a double)."""
        if self._gen is None:
            self.randomseed(0.0)
        d = self._step()
        if m is None:
            return d
        for name, v in (("#1", m), ("#2", n)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise TypeError(f"bad argument {name} to 'random' (number expected, got {type(v).__name__})")
        value = math.floor(d * m) + 1.0 if n is None else math.floor(d * (n - m + 1.0)) + m
        return int(value) if float(value).is_integer() else value
