"""Low-level encodings of Torch7's ``DiskFile`` (lib/TH/THDiskFile.c), binary and ascii.

Binary: native little-endian machine words, int = 4 bytes, long = 8 bytes (the x86_64 Linux
files Torch7 wrote), double = 8 bytes; arrays are raw.
Ascii (``isAutoSpacing``): each array of n > 0 numbers is written space-separated and ended by
one ``"\\n"``; ints/longs as ``%d``, floats (and halves) as ``%.9g``, doubles as ``%.17g``
(glibc spells a NaN with the sign bit set ``-nan``); Byte/Char arrays are raw bytes followed by
``"\\n"``. Reading mirrors ``fscanf`` (numbers skip leading whitespace; raw bytes do not) and,
after each array, swallows one ``"\\n"`` if present.

Every reader checks a count against the bytes left *before* allocating for it.
"""
from __future__ import annotations

import itertools
import math
import re
import struct
import sys

import numpy as np

from compat.t7.objects import T7FormatError

_INT = struct.Struct("<i")
_LONG = struct.Struct("<q")
_DOUBLE = struct.Struct("<d")
_TOKEN = re.compile(rb"\S+")
_WS = b" \t\n\r\v\f"
_LITTLE = sys.byteorder == "little"
_MAX_NUMBER_BYTES = 64  # the longest number an ascii array may hold ("%.17g" writes at most 24)


class BinaryIn:
    """Reads Torch7 binary encoding from a file object of known size."""

    long_bytes = 8  # the fewest bytes one long can take

    def __init__(self, f, size: int):
        self.f, self.size, self.pos = f, size, 0

    def where(self) -> str:
        return f"byte offset {self.pos}"

    def error(self, msg: str, at: int = None) -> T7FormatError:
        return T7FormatError(f"{msg} at byte offset {self.pos if at is None else at}")

    def left(self) -> int:
        return self.size - self.pos

    def _bytes(self, n: int, what: str) -> bytes:
        if n > self.size - self.pos:
            raise self.error(f"truncated file: {what} needs {n} bytes, only {self.size - self.pos} left")
        b = self.f.read(n)
        if len(b) != n:
            raise self.error(f"truncated file: {what} needs {n} bytes, got {len(b)}")
        self.pos += n
        return b

    def read_int(self, what="int") -> int:
        return _INT.unpack(self._bytes(4, what))[0]

    def read_long(self, what="long") -> int:
        return _LONG.unpack(self._bytes(8, what))[0]

    def read_double(self) -> float:
        return _DOUBLE.unpack(self._bytes(8, "number"))[0]

    def read_longs(self, n: int, what: str) -> list:
        return np.frombuffer(self._bytes(8 * n, what), "<i8").tolist()

    def read_raw(self, n: int, what: str) -> bytes:
        return self._bytes(n, what)

    def read_array(self, npdtype: np.dtype, n: int, what: str) -> np.ndarray:
        nbytes = n * npdtype.itemsize
        if nbytes > self.size - self.pos:
            left = self.size - self.pos
            raise self.error(f"{what} claims {n} elements ({nbytes} bytes) but only {left} bytes are left")
        arr = np.empty(n, npdtype)
        view = memoryview(arr).cast("B")
        got = 0
        while got < nbytes:  # readinto may return short counts on pipes/sockets
            k = self.f.readinto(view[got:])
            if not k:
                raise self.error(f"truncated file: {what} needs {nbytes} bytes, got {got}")
            got += k
        self.pos += nbytes
        return arr if _LITTLE else arr.byteswap().view(npdtype.newbyteorder("="))


class AsciiIn:
    """Reads Torch7 ascii encoding from the whole file held in memory."""

    long_bytes = 2  # the fewest bytes one long can take: a digit and a separator

    def __init__(self, data, pos: int = 0):
        # data: bytes or a read-only mmap of the file (then Byte payloads are copied straight out of
        # the page cache, once, like binary reads)
        self.data, self.pos = data, pos

    def where(self, at: int = None) -> str:
        at = self.pos if at is None else at
        return "line %d" % (self.data[:at].count(b"\n") + 1)

    def error(self, msg: str, at: int = None) -> T7FormatError:
        return T7FormatError(f"{msg} at {self.where(at)}")

    def left(self) -> int:
        return len(self.data) - self.pos

    def _eat_newline(self):
        if self.data[self.pos:self.pos + 1] == b"\n":
            self.pos += 1

    def _token(self, what: str) -> bytes:
        m = _TOKEN.search(self.data, self.pos)
        if m is None:
            raise self.error(f"truncated file: expected {what}, found end of file")
        self.pos = m.end()
        return m.group()

    def _scalar(self, conv, what: str):
        start = self.pos
        tok = self._token(what)
        try:
            value = conv(tok)
        except ValueError:
            raise self.error(f"expected {what}, found {tok[:40]!r}", at=start) from None
        self._eat_newline()
        return value

    def read_int(self, what="int") -> int:
        return self._scalar(int, what)

    read_long = read_int

    def read_double(self) -> float:
        return self._scalar(float, "number")

    def _tokens(self, n: int, what: str) -> list:
        if n == 0:
            return []
        if n > len(self.data) - self.pos:
            raise self.error(f"{what} claims {n} numbers but only {len(self.data) - self.pos} bytes are left")
        start = self.pos
        while start < len(self.data) and self.data[start] in _WS:
            start += 1
        # Fast path: Torch7 writes each array on one line. Only a line that n numbers can fill is
        # split (a hostile file holding everything on one line would make every array cost the
        # whole line: quadratic); anything else is read token by token.
        end = self.data.find(b"\n", start, start + n * _MAX_NUMBER_BYTES + 1)
        toks = self.data[start:end].split() if end >= 0 else ()
        if end < 0 and len(self.data) - start <= n * _MAX_NUMBER_BYTES:  # the last line, without "\n"
            end = len(self.data)
            toks = self.data[start:end].split()
        if len(toks) == n:
            self.pos = end
        else:
            matches = list(itertools.islice(_TOKEN.finditer(self.data, self.pos), n))
            if len(matches) != n:
                raise self.error(f"truncated file: {what} needs {n} numbers, found {len(matches)}")
            toks = [m.group() for m in matches]
            self.pos = matches[-1].end()
        longest = max(map(len, toks))
        if longest > _MAX_NUMBER_BYTES:  # before numpy makes an n x longest array of them
            raise self.error(f"{what}: a number of {longest} characters (Torch7 writes at most 24)", at=start)
        self._eat_newline()
        return toks

    def read_longs(self, n: int, what: str) -> list:
        start = self.pos
        try:
            return [int(t) for t in self._tokens(n, what)]
        except ValueError as exc:
            raise self.error(f"{what}: expected integers ({exc})", at=start) from None

    def read_raw(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.error(f"truncated file: {what} needs {n} bytes, only {len(self.data) - self.pos} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        if n:
            self._eat_newline()
        return b

    def read_array(self, npdtype: np.dtype, n: int, what: str) -> np.ndarray:
        if npdtype.itemsize == 1:  # Byte/Char: raw bytes even in ascii mode
            if n > len(self.data) - self.pos:
                raise self.error(f"truncated file: {what} needs {n} bytes, only {len(self.data) - self.pos} left")
            arr = np.frombuffer(self.data, npdtype, count=n, offset=self.pos).copy()
            self.pos += n
            if n:
                self._eat_newline()
            return arr
        start = self.pos
        toks = self._tokens(n, what)
        try:
            if npdtype.kind == "f":
                return np.array(toks).astype(npdtype) if n else np.empty(0, npdtype)
            return np.array([int(t) for t in toks], dtype=npdtype)
        except (ValueError, OverflowError) as exc:
            raise self.error(f"{what}: bad number ({exc})", at=start) from None


class BinaryOut:
    """Writes Torch7 binary encoding (little endian, long = 8 bytes)."""

    def __init__(self, f):
        self.f = f

    def write_int(self, v: int):
        self.f.write(_INT.pack(v))

    def write_long(self, v: int):
        self.f.write(_LONG.pack(v))

    def write_double(self, v: float):
        self.f.write(_DOUBLE.pack(v))

    def write_longs(self, values):
        if len(values):
            self.f.write(np.asarray(values, "<i8").tobytes())

    def write_raw(self, b: bytes):
        self.f.write(b)

    def write_array(self, arr: np.ndarray):
        arr = np.ascontiguousarray(arr, arr.dtype.newbyteorder("<"))
        if arr.size:
            self.f.write(memoryview(arr).cast("B"))


def _fmt_real(fmt: str, x: float) -> str:
    if x != x:  # glibc printf writes the sign of a NaN: "-nan"
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    return fmt % x


class AsciiOut:
    """Writes Torch7 ascii encoding (``%d``, ``%.9g`` for float/half, ``%.17g`` for double)."""

    def __init__(self, f):
        self.f = f

    def write_int(self, v: int):
        self.f.write(b"%d\n" % v)

    write_long = write_int

    def write_double(self, v: float):
        self.f.write(_fmt_real("%.17g", v).encode() + b"\n")

    def write_longs(self, values):
        if len(values):
            self.f.write(" ".join(str(int(v)) for v in values).encode() + b"\n")

    def write_raw(self, b: bytes):
        if len(b):
            self.f.write(b)
            self.f.write(b"\n")

    def write_array(self, arr: np.ndarray):
        if arr.size == 0:
            return
        if arr.dtype.itemsize == 1:
            self.f.write(memoryview(np.ascontiguousarray(arr)).cast("B"))
            self.f.write(b"\n")
            return
        if arr.dtype.kind == "f":
            fmt = "%.17g" if arr.dtype.itemsize == 8 else "%.9g"
            values = arr.astype(np.float64).tolist()
            if np.isnan(arr).any():
                text = " ".join(_fmt_real(fmt, x) for x in values)
            else:
                text = " ".join(map(fmt.__mod__, values))
        else:
            text = " ".join(map(str, arr.tolist()))
        self.f.write(text.encode() + b"\n")
