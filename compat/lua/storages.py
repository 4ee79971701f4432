"""Torch7 Storages (torch7 ``generic/Storage.c``): flat typed buffers with 1-based elements.

- :class:`Storage` (``torch.DoubleStorage``, ``torch.FloatStorage``, ..., ``torch.Storage``) holds a 1-D
  tensor over its memory (it is a :class:`compat.t7.T7Storage`, so ``torch.save`` writes it back as a
  Torch7 storage). Tensors made from it (``torch.Tensor(s)``, ``torch.Tensor(s, offset, sizes)``) and
  the storage a tensor reports (``x:storage()``) share that memory, as in Torch7; ``resize`` grows
  the memory in place, so those tensors keep seeing it.
- :class:`LongStorage` (``torch.LongStorage``, and what ``x:size()``, ``x:stride()`` and ``#x`` give)
  is a Python ``list`` of ints, so every PyTorch function that takes a size takes it as it is
  (``torch.zeros(x:size())``, ``x.view(torch.LongStorage{2, 4})``). Being a list, it does not share
  memory with a LongTensor; the storage of a LongTensor (``x:storage()``) is a :class:`Storage`
  whose Torch7 type is also ``torch.LongStorage``.

Both index from 1 through ``compat.lua.index``/``setindex`` (``s[1]`` in Lua), print as Torch7 prints
a storage, and answer ``size``, ``#``, ``fill``, ``resize``, ``copy``, ``totable``, ``elementSize``
and (Byte/Char) ``string``.
"""
import torch

from compat.lua.printing import storage_tostring
from compat.t7.objects import DTYPE_KIND, T7Storage

__all__ = ["LongStorage", "Storage", "is_storage", "storage_class", "storage_index", "storage_setindex",
           "storage_typename"]


def _count(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return int(value)


def _values_of(src, what):
    """The numbers of a Lua table (list), a storage or a tensor, as a Python list."""
    if isinstance(src, Storage):
        return src.tensor.tolist()
    if isinstance(src, torch.Tensor):
        return src.reshape(-1).tolist()
    if isinstance(src, (list, tuple)):
        for i, v in enumerate(src, 1):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"{what}: element at index {i} is not a number, got {v!r}")
        return list(src)
    raise TypeError(f"{what}: expected a table of numbers, a storage or a tensor, got {type(src).__name__}")


class Storage(T7Storage):
    """A Torch7 storage of one element type, over the memory of a 1-D contiguous tensor ``.tensor``.

    ``Storage(dtype)`` is empty; ``Storage(dtype, n)`` has ``n`` uninitialised elements;
    ``Storage(dtype, {a, b, ...})`` holds the numbers (converted as Torch7 does: truncated for integer
    types); ``Storage(dtype, other, offset=1, size=...)`` is a view of ``other`` from its ``offset``-th
    element (1-based), sharing its memory.
    """

    __slots__ = ()

    def __init__(self, dtype, source=None, offset=None, size=None):
        if isinstance(source, torch.Tensor) and offset is None and size is None and source.dim() == 1 \
                and source.dtype == dtype and source.stride(0) == 1:
            super().__init__(source)                       # a storage over this tensor's memory
            return
        if source is None:
            data = torch.empty(0, dtype=dtype)
        elif isinstance(source, Storage):
            n = source.size()
            first = 1 if offset is None else int(offset)
            if not 1 <= first <= n:
                raise IndexError(f"storage view: offset {first} is out of bounds 1..{n}")
            count = n - first + 1 if size is None else int(size)
            if not 1 <= count <= n - first + 1:
                raise IndexError(f"storage view: size {count} is out of bounds 1..{n - first + 1}")
            data = source.tensor.narrow(0, first - 1, count)  # 1-based
        elif isinstance(source, (int, float)) and not isinstance(source, bool):
            if offset is not None:
                raise TypeError(f"storage: a storage over a memory address (size {source!r}, pointer {offset!r}) "
                                "is not provided; give a size, a table of numbers or a storage to view")
            data = torch.zeros(_count(source, "storage size"), dtype=dtype)
        else:
            data = torch.tensor(_values_of(source, "storage"), dtype=torch.float64).to(dtype)
        super().__init__(data)

    def elementSize(self):  # noqa: N802 (Torch7's name)
        """Bytes per element (Lua ``s:elementSize()``)."""
        return self.tensor.element_size()

    def fill(self, value):
        """Lua ``s:fill(v)``: every element set to ``v``; returns the storage."""
        self.tensor.fill_(value)
        return self

    def resize(self, n):
        """Lua ``s:resize(n)``: ``n`` elements, the first ones kept; the memory changes in place, so
        tensors over this storage see it."""
        self.tensor.resize_(_count(n, "storage size"))
        return self

    def copy(self, src):
        """Lua ``s:copy(src)``: the elements of a storage of the same size (any type) copied in."""
        values = src.tensor if isinstance(src, Storage) else torch.tensor(_values_of(src, "copy"))
        if values.numel() != self.size():
            raise ValueError(f"storage copy: size mismatch, the destination has {self.size()} elements, "
                             f"the source {values.numel()}")
        self.tensor.copy_(values.reshape(-1))
        return self

    def totable(self):
        """Lua ``s:totable()``: the elements as a Lua sequence (a list)."""
        return self.tensor.tolist()

    def string(self, text=None):
        """Byte/Char storages: Lua ``s:string()`` gives the bytes as a string; ``s:string(str)`` makes
        the storage hold ``str``'s bytes."""
        if self.tensor.dtype not in (torch.uint8, torch.int8):
            raise TypeError(f"string: only torch.ByteStorage and torch.CharStorage have it, not "
                            f"{self.torch_typename}")
        if text is None:
            return bytes(self.tensor.to(torch.uint8).tolist()).decode("latin-1")
        raw = text.encode("latin-1") if isinstance(text, str) else bytes(text)
        self.tensor.resize_(len(raw))
        self.tensor.copy_(torch.tensor(list(raw), dtype=torch.uint8).to(self.tensor.dtype))
        return self

    def __str__(self):
        return storage_tostring(self.tensor.tolist(), self.torch_typename)

    def __repr__(self):
        return f"<{self.torch_typename} of size {self.size()}>"


class LongStorage(list):
    """A Torch7 ``torch.LongStorage``: a list of ints, 1-based through ``compat.lua.index``, that any
    PyTorch function taking a size accepts. ``LongStorage()`` is empty, ``LongStorage(n)`` holds ``n``
    zeros, ``LongStorage({a, b})`` (a list, storage or tensor) holds those numbers; for Python callers
    ``LongStorage(a, b, c)`` holds ``a, b, c``."""

    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], (int, float)) and not isinstance(args[0], bool):
            super().__init__([0] * _count(args[0], "storage size"))
        elif len(args) == 1 and args[0] is not None:
            super().__init__(int(v) for v in _values_of(args[0], "torch.LongStorage"))
        else:
            super().__init__(int(v) for v in args)

    torch_typename = "torch.LongStorage"

    def size(self):
        return len(self)

    def elementSize(self):  # noqa: N802 (Torch7's name)
        return 8

    def fill(self, value):
        self[:] = [int(value)] * len(self)
        return self

    def resize(self, n):
        n = _count(n, "storage size")
        self[:] = self[:n] + [0] * (n - len(self))
        return self

    def copy(self, src):
        values = _values_of(src, "copy")
        if len(values) != len(self):
            raise ValueError(f"storage copy: size mismatch, the destination has {len(self)} elements, "
                             f"the source {len(values)}")
        self[:] = [int(v) for v in values]
        return self

    def totable(self):
        return list(self)

    def __eq__(self, other):
        # Python equality by value with any sequence (a torch.Size too); Lua's == (lua.eq) is identity
        return isinstance(other, (list, tuple)) and list(self) == list(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __str__(self):
        return storage_tostring(self, self.torch_typename)

    def __repr__(self):
        return f"LongStorage({list.__repr__(self)})"


def storage_class(dtype):
    """The Lua constructor ``torch.<Type>Storage(...)`` for ``dtype`` (int64 gives :class:`LongStorage`)."""
    if dtype == torch.int64:
        return LongStorage

    def new(source=None, offset=None, size=None):
        return Storage(dtype, source, offset, size)
    new.__name__ = f"{DTYPE_KIND[dtype]}Storage"
    new.__doc__ = f"Lua ``torch.{DTYPE_KIND[dtype]}Storage(...)``: see :class:`Storage`."
    return new


def is_storage(value):
    """Lua ``torch.isStorage(v)``."""
    return isinstance(value, (T7Storage, LongStorage))


def storage_typename(value):
    """The Torch7 class name of a storage (``'torch.DoubleStorage'``), else None."""
    if isinstance(value, (T7Storage, LongStorage)):
        return value.torch_typename
    return None


def _position(storage, key):
    if isinstance(key, bool) or not isinstance(key, (int, float)) or key != int(key):
        raise TypeError(f"storage index: expected an integer, got {key!r}")
    i, n = int(key), len(storage)
    if not 1 <= i <= n:
        raise IndexError(f"storage index {i} is out of bounds 1..{n}")
    return i - 1  # 1-based


def storage_index(storage, key):
    """Lua ``s[i]`` (1-based; out of range is an error, as in Torch7); ``s.name`` a method."""
    if isinstance(key, str):
        return getattr(storage, key, None)
    return storage.tensor[_position(storage, key)].item()


def storage_setindex(storage, key, value):
    """Lua ``s[i] = v`` (1-based)."""
    storage.tensor[_position(storage, key)] = value
