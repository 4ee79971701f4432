"""Object layer of Torch7 deserialization: File.lua ``readObject``, Tensor.c/Storage.c ``read``.

Works over either stream of :mod:`compat.t7.streams`. Type ids (File.lua): 0 nil, 1 number,
2 string, 3 table, 4 torch object, 5 boolean, 6 function, 7 legacy recursive function,
8 recursive function. Tables, torch objects and recursive functions carry an object index;
an index seen before is a back-reference to the object already built.
"""
from __future__ import annotations

import contextvars
import logging
import math

import torch

from compat.t7 import registry
from compat.t7.objects import (
    NUMPY_DTYPE,
    TORCH_CLASSES,
    LuaFunction,
    T7FormatError,
    T7Object,
    T7Storage,
    T7Table,
    lua_number,
)

logger = logging.getLogger(__name__)

TYPE_NIL, TYPE_NUMBER, TYPE_STRING, TYPE_TABLE, TYPE_TORCH, TYPE_BOOLEAN = 0, 1, 2, 3, 4, 5
TYPE_FUNCTION, LEGACY_TYPE_RECUR_FUNCTION, TYPE_RECUR_FUNCTION = 6, 7, 8
_INDEXED = (TYPE_TABLE, TYPE_TORCH, LEGACY_TYPE_RECUR_FUNCTION, TYPE_RECUR_FUNCTION)

#: The most elements a tensor may have beyond the elements of its storage. Only a view whose
#: elements overlap (a stride 0, as ``expand`` makes) can have more; it costs nothing to load, but
#: copying it (``.clone()``, ``.float()``) allocates every element, so more than this is refused.
MAX_EXPANDED_ELEMENTS = 1 << 24
_MAX_NUMEL = 1 << 63  # no Torch7 (C long) or PyTorch (int64) tensor holds more
#: What class loaders may allocate beyond the bytes of the storages read so far (see :func:`reserve`).
ALLOCATION_SLACK = 16 << 20
_loading = contextvars.ContextVar("the compat.t7 Reader loading now", default=None)


def reserve(nbytes: int, what: str) -> None:
    """Account for ``nbytes`` that a class loader is about to allocate (e.g. a zero gradient the
    file does not hold). Within one load, loaders may allocate in total the bytes of the storages
    read so far plus :data:`ALLOCATION_SLACK`; beyond that the file is refused with
    :class:`T7FormatError` naming ``what``. (Many modules sharing one weight storage would
    otherwise each allocate a gradient as large as it.) Outside a load it does nothing."""
    reader = _loading.get()
    if reader is None:
        return
    reader.reserved += nbytes
    if reader.reserved > reader.stored_bytes + ALLOCATION_SLACK:
        raise T7FormatError(
            f"{what} needs {nbytes} bytes that the file does not hold; with the {reader.reserved - nbytes} "
            f"bytes allocated before, loaders would allocate more than the {reader.stored_bytes} bytes of "
            f"the file's storages plus {ALLOCATION_SLACK}")


def decode_string(raw: bytes):
    """Lua strings are bytes: valid UTF-8 becomes ``str``, anything else stays ``bytes``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


class Reader:
    """Reads one object graph; ``self.objects`` maps file object indices to built objects."""

    def __init__(self, stream):
        self.s = stream
        self.objects = {}
        self.refs = {}  # index -> back-references served so far (decides list conversion)
        self.stored_bytes = 0  # bytes of the storages read so far
        self.reserved = 0  # bytes class loaders allocated beyond them (see reserve)

    def load(self):
        """The file's one object (File.lua ``readObject`` at the top), with :func:`reserve` bound to this load."""
        token = _loading.set(self)
        try:
            return self.read()
        finally:
            _loading.reset(token)

    def read(self, keep_table: bool = False):
        """File.lua ``readObject``. ``keep_table``: never turn this table into a list (keys, object fields)."""
        s = self.s
        start = s.pos
        typeidx = s.read_int("type id")
        if typeidx == TYPE_NIL:
            return None
        if typeidx == TYPE_NUMBER:
            return lua_number(s.read_double())
        if typeidx == TYPE_BOOLEAN:
            return s.read_int("boolean") == 1  # File.lua readBool: value == 1
        if typeidx == TYPE_STRING:
            return decode_string(self._read_bytes("string"))
        if typeidx == TYPE_FUNCTION:
            fn = LuaFunction(self._read_bytes("function bytecode"), None, TYPE_FUNCTION)
            fn.upvalues = self.read()
            return fn
        if typeidx in _INDEXED:
            index = s.read_int("object index")
            if index in self.objects:
                self.refs[index] = self.refs.get(index, 0) + 1
                return self.objects[index]
            if typeidx == TYPE_TABLE:
                return self._read_table(index, keep_table)
            if typeidx == TYPE_TORCH:
                return self._read_torch(index)
            fn = LuaFunction(self._read_bytes("function bytecode"), None, typeidx)
            self.objects[index] = fn
            fn.upvalues = self.read()
            return fn
        raise s.error(f"unknown object type id {typeidx} (expected 0-8)", at=start)

    def _count(self, what: str, min_bytes_each: int) -> int:
        """A count read from the file, checked against the bytes left before anything is allocated."""
        at = self.s.pos
        n = self.s.read_int(what)
        if n < 0 or n * min_bytes_each > self.s.left():
            raise self.s.error(f"{what} {n} is impossible with {self.s.left()} bytes left in the file", at=at)
        return n

    def _read_bytes(self, what: str) -> bytes:
        return self.s.read_raw(self._count(f"{what} length", 1), what)

    def _read_table(self, index: int, keep_table: bool):
        n = self._count("table size", 2)
        table = T7Table()
        self.objects[index] = table
        refs_before = self.refs.get(index, 0)
        bool_keys = set()  # True/False keys held: Python counts them equal to the keys 1 and 0
        for _ in range(n):
            at = self.s.pos
            key = self.read(keep_table=True)
            value = self.read()
            if key is None or (isinstance(key, float) and math.isnan(key)):
                raise self.s.error(f"table key is {key!r}, which Lua tables cannot hold", at=at)
            try:
                held = key in table
            except TypeError:
                raise self.s.error(f"table key of type {type(key).__name__} cannot be a Python dict key",
                                   at=at) from None
            if held and type(key) in (bool, int) and key in (0, 1) and (type(key) is bool) != (key in bool_keys):
                raise self.s.error("table has both keys true and 1 (or false and 0), which a Python dict "
                                   "cannot hold apart", at=at)
            if value is not None:  # assigning nil removes a key in Lua
                table[key] = value
                if type(key) is bool:
                    bool_keys.add(key)
        # Sequence rule: keys exactly 1..n (n >= 1) -> Python list, unless something inside
        # already refers back to this table (it would then point at a dict, not the list).
        if not keep_table and table and self.refs.get(index, 0) == refs_before and _is_sequence(table):
            items = [table[i] for i in range(1, len(table) + 1)]  # Lua 1-based -> Python 0-based
            self.objects[index] = items
            return items
        return table

    def _read_torch(self, index: int):
        s = self.s
        at = s.pos
        version = self._read_bytes("class version")
        if version.startswith(b"V "):
            raw_name = self._read_bytes("class name")
            try:
                version_number = int(float(version[2:]))  # Lua tonumber; a nan or inf fails here
            except (ValueError, OverflowError):
                raise s.error(f"bad class version string {version[:40]!r}", at=at) from None
        else:  # files older than the versioning system: the first string is the class name
            raw_name, version_number = version, 0
        try:
            class_name = raw_name.decode("ascii")
        except UnicodeDecodeError:
            raise s.error(f"class name {raw_name[:40]!r} is not ascii text", at=at) from None
        if class_name in TORCH_CLASSES:
            dtype, what = TORCH_CLASSES[class_name]
            obj = self._read_tensor(dtype, class_name) if what == "tensor" else self._read_storage(dtype, class_name)
            self.objects[index] = obj
            return obj
        return self._read_class_object(index, class_name, version_number)

    def _read_storage(self, dtype, class_name: str) -> T7Storage:
        # Storage.c read: long size, then the raw elements.
        at = self.s.pos
        n = self.s.read_long(f"{class_name} size")
        if n < 0:
            raise self.s.error(f"{class_name} size {n} is negative", at=at)
        arr = self.s.read_array(NUMPY_DTYPE[dtype], n, class_name)
        self.stored_bytes += arr.nbytes
        return T7Storage(torch.from_numpy(arr))

    def _read_tensor(self, dtype, class_name: str) -> torch.Tensor:
        # Tensor.c read: int nDimension, long size[n], long stride[n], long storageOffset (1-based), storage.
        s = self.s
        at = s.pos
        nd = s.read_int(f"{class_name} dimension count")
        if nd < 0 or nd * 2 * s.long_bytes > s.left():
            raise s.error(f"{class_name} with {nd} dimensions is impossible with {s.left()} bytes left", at=at)
        sizes = s.read_longs(nd, f"{class_name} sizes")
        strides = s.read_longs(nd, f"{class_name} strides")
        offset = s.read_long(f"{class_name} storage offset") - 1  # Lua 1-based -> 0-based, the only place
        storage = self.read()
        if storage is not None and (not isinstance(storage, T7Storage) or storage.dtype != dtype):
            kind = getattr(storage, 'torch_typename', type(storage).__name__)
            raise s.error(f"{class_name} refers to a {kind} as its storage", at=at)
        if any(n < 0 for n in sizes) or any(st < 0 for st in strides):
            raise s.error(f"{class_name} has negative sizes {_short(sizes)} or strides {_short(strides)}", at=at)
        try:
            return self._view(storage, dtype, sizes, strides, offset, class_name, at)
        except RuntimeError as exc:  # e.g. PyTorch's size arithmetic overflowing on absurd sizes
            raise s.error(f"{class_name} of size {_short(sizes)}, strides {_short(strides)} is not a valid tensor "
                          f"({exc})", at=at) from None

    def _view(self, storage, dtype, sizes, strides, offset, class_name, at):
        s = self.s
        nd = len(sizes)
        numel = _numel(sizes)
        if numel is None:
            raise s.error(f"{class_name} of size {_short(sizes)} has more than 2^63 elements", at=at)
        if nd == 0 or numel == 0:  # empty tensor (Torch7: nDimension 0); keep the storage link if any
            shape = sizes if nd else [0]
            if storage is None:
                return torch.empty(shape, dtype=dtype)
            base = storage.tensor
            return base.as_strided(shape, [1] * len(shape), min(max(offset, 0), base.numel()))
        if storage is None:
            raise s.error(f"{class_name} of size {_short(sizes)} has no storage", at=at)
        stored = storage.tensor.numel()
        last = offset + sum((n - 1) * st for n, st in zip(sizes, strides))
        if offset < 0 or last >= stored:
            raise s.error(
                f"{class_name} of size {_short(sizes)}, strides {_short(strides)}, offset {offset + 1} reaches "
                f"past its storage of {stored} elements", at=at)
        if numel > stored + MAX_EXPANDED_ELEMENTS:
            raise s.error(
                f"{class_name} of size {_short(sizes)}, strides {_short(strides)} views {numel} elements over a "
                f"storage of {stored}: an expanded (stride 0 or overlapping) view more than "
                f"{MAX_EXPANDED_ELEMENTS} elements larger than its storage is refused", at=at)
        return storage.tensor.as_strided(sizes, strides, offset)

    def _read_class_object(self, index: int, class_name: str, version: int):
        # File.lua: the object is registered before its field table is read (self references).
        placeholder = T7Object(class_name, None, version)
        self.objects[index] = placeholder
        refs_before = self.refs.get(index, 0)
        at = self.s.pos
        table = self.read(keep_table=True)
        if not isinstance(table, dict):
            raise self.s.error(f"<{class_name}> object fields are a {type(table).__name__}, expected a table", at=at)
        loader = registry.find_loader(class_name)
        if loader is None:
            object.__setattr__(placeholder, "_table", table)
            return placeholder
        try:
            obj = loader(table)
        except T7FormatError as exc:  # the loader's account of what is wrong, placed in the file
            raise self.s.error(f"{exc}; the fields of <{class_name}> start", at=at) from None
        except Exception as exc:
            # a loader (e.g. compat.nn's) meeting fields it cannot use -- a missing key, a value of
            # the wrong type -- is a bad file, not a bug to surface as a KeyError/TypeError
            raise self.s.error(f"the fields of <{class_name}> do not fit its loader "
                               f"({type(exc).__name__}: {exc}); its fields start", at=at) from exc
        if self.refs.get(index, 0) != refs_before:
            logger.warning("<%s> refers to itself; those inner references stay generic T7Objects", class_name)
            object.__setattr__(placeholder, "_table", table)
        self.objects[index] = obj
        return obj


def _numel(sizes) -> int:
    """The product of ``sizes``, or None once it passes 2^63 (a hostile file's thousands of huge
    sizes would otherwise make a huge integer, at quadratic cost)."""
    if 0 in sizes:
        return 0
    numel = 1
    for n in sizes:
        numel *= n
        if numel > _MAX_NUMEL:
            return None
    return numel


def _short(values) -> str:
    """A size or stride list for an error message, cut after 8 entries."""
    if len(values) <= 8:
        return str(list(values))
    return f"[{', '.join(map(str, values[:8]))}, ... ({len(values)} entries)]"


def _is_sequence(table: dict) -> bool:
    n = len(table)
    for k in table:
        if type(k) is not int or k < 1 or k > n:
            return False
    return True  # n distinct ints within 1..n: exactly 1..n
