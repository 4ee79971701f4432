"""``load``/``save``: torch7's ``torch.load(filename, mode)`` / ``torch.save(filename, object, mode)``.

Also the guess of what a file really is, used to make error messages useful.
"""
from __future__ import annotations

import io
import logging
import mmap
import os
import re

import torch

from compat._atomic import atomic_write
from compat.t7.objects import T7FormatError
from compat.t7.reader import MAX_EXPANDED_ELEMENTS, Reader
from compat.t7.streams import AsciiIn, AsciiOut, BinaryIn, BinaryOut
from compat.t7.writer import Writer

logger = logging.getLogger(__name__)

FORMATS = ("binary", "ascii")
_ASCII_START = re.compile(rb"\s*[0-8]\s*\n\s*-?\d+\s*\n")


def _check_format(format) -> str:
    if format not in FORMATS:
        raise ValueError(f"format must be 'binary' or 'ascii' (Torch7's names), got {format!r}")
    return format


def sniff(head: bytes) -> str:
    """What the first bytes of a file look like: 'empty', 'pytorch', 'binary', 'ascii', 'text', 'unknown'."""
    if not head:
        return "empty"
    if head[:4] == b"PK\x03\x04" or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        # zip (torch.save since 1.6) or a pickle, protocol 2-5 (older torch.save)
        return "pytorch"
    if len(head) >= 4 and head[0] <= 8 and head[1:4] == b"\0\0\0":
        return "binary"
    if _ASCII_START.match(head):
        return "ascii"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


_HINTS = {
    "ascii": "the file looks like an ascii .t7 file; pass format='ascii'",
    "binary": "the file looks like a binary .t7 file; pass format='binary'",
    "text": "the file looks like a text file, not a .t7 file",
    "pytorch": "the file looks like a PyTorch file",
}


def _with_hint(exc: T7FormatError, kind: str, format: str, name: str) -> T7FormatError:
    hint = _HINTS.get(kind) if kind != format else None
    msg = f"cannot read {name} as a {format} .t7 file: {exc}"
    return T7FormatError(f"{msg} ({hint})" if hint else msg)


def load(path, format: str = "binary"):
    """Read a Torch7 ``.t7`` file (``format`` 'binary' or 'ascii') or a PyTorch file.

    ``path`` is a file name or a binary file object. A PyTorch file (zip or pickle) is handed to
    ``torch.load(weights_only=True)``, which builds no arbitrary Python object. See :mod:`compat.t7`
    for how Lua values map to Python, and docs/api.md for what is refused.
    Raises :class:`T7FormatError` (a ValueError) for files that are not valid ``.t7`` data.
    """
    _check_format(format)
    if hasattr(path, "read"):
        return _load_fileobj(path, format, getattr(path, "name", "<file object>"))
    with open(path, "rb") as f:
        return _load_fileobj(f, format, os.fspath(path))


def _load_fileobj(f, format: str, name) -> object:
    try:
        seekable = f.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        start = f.tell()
        size = f.seek(0, io.SEEK_END) - start
        f.seek(start)
    else:  # a pipe or similar: hold it in memory
        f = io.BytesIO(f.read())
        start, size = 0, len(f.getbuffer())
    head = f.read(16)
    f.seek(start)
    kind = sniff(head)
    if kind == "pytorch":
        return _load_pytorch(f, name)
    if kind == "empty":
        raise T7FormatError(f"cannot read {name}: the file is empty")
    try:
        data, pos = _map_file(f, start)
        try:
            if format == "binary":
                source = _Mapped(data, pos) if isinstance(data, mmap.mmap) else io.BytesIO(data)
                return Reader(BinaryIn(source, size)).load()
            return Reader(AsciiIn(data, pos)).load()
        finally:
            if isinstance(data, mmap.mmap):
                try:
                    data.close()
                except BufferError:  # a view is still alive somewhere; the mapping closes with it
                    pass
    except T7FormatError as exc:
        raise _with_hint(exc, kind, format, name) from None
    except RecursionError:
        raise T7FormatError(f"cannot read {name}: tables nested too deeply for Python") from None


def _load_pytorch(f, name):
    """A PyTorch file, through ``torch.load(weights_only=True)``: tensors, numbers, strings and
    containers only, never a pickled callable. The argument is explicit, so PyTorch's
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (which only changes the default) cannot turn pickles back on."""
    logger.debug("%s is a PyTorch file; handing it to torch.load(weights_only=True)", name)
    try:
        obj = torch.load(f, weights_only=True)
    except Exception as exc:
        raise T7FormatError(f"{name} looks like a PyTorch file, but torch.load(weights_only=True) refused "
                            f"or failed to read it: {exc}") from exc
    _check_expansion(obj, name)
    return obj


def _check_expansion(obj, name):
    """The .t7 reader's bound on expanded views (``MAX_EXPANDED_ELEMENTS``), applied to what a
    PyTorch file held: torch.save keeps a stride-0 view as such, so a small file can hold one."""
    pending, seen = [obj], set()
    while pending:
        x = pending.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, dict):
            pending.extend(x.values())
        elif isinstance(x, (list, tuple, set)):
            pending.extend(x)
        elif isinstance(x, torch.Tensor) and x.element_size():
            stored = x.untyped_storage().nbytes() // x.element_size()
            if x.numel() > stored + MAX_EXPANDED_ELEMENTS:
                raise T7FormatError(
                    f"{name}: a PyTorch tensor of size {list(x.shape)}, strides {list(x.stride())} views "
                    f"{x.numel()} elements over a storage of {stored}: an expanded view more than "
                    f"{MAX_EXPANDED_ELEMENTS} elements larger than its storage is refused")


class _Mapped:
    """A read-only file over a memory map: ``readinto`` is one copy from the page cache."""

    def __init__(self, mapped, pos):
        self.view, self.pos = memoryview(mapped), pos

    def read(self, n):
        chunk = bytes(self.view[self.pos:self.pos + n])
        self.pos += len(chunk)
        return chunk

    def readinto(self, buf):
        n = min(len(buf), len(self.view) - self.pos)
        buf[:n] = self.view[self.pos:self.pos + n]
        self.pos += n
        return n


def _map_file(f, start: int):
    """The file's bytes for the readers: a read-only mmap when ``f`` is a real file, else bytes."""
    try:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), start
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return f.read(), 0


def save(path, obj, format: str = "binary") -> None:
    """Write ``obj`` as a Torch7 ``.t7`` file (``format`` 'binary' or 'ascii') that Torch7's
    ``torch.load(path, format)`` reads back. ``path`` is a file name or a binary file object.
    See :mod:`compat.t7` for how Python values map to Lua."""
    _check_format(format)
    stream_cls = BinaryOut if format == "binary" else AsciiOut
    if hasattr(path, "write"):
        Writer(stream_cls(path)).write(obj)
        return
    # Written beside its final name, then renamed over it: a failure (an unsupported value, a full
    # disk, a killed process) leaves the previous file as it was.
    atomic_write(path, lambda f: Writer(stream_cls(f)).write(obj), durable=False)
