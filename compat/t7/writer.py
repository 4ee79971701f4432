"""Object layer of Torch7 serialization: File.lua ``writeObject``, Tensor.c/Storage.c ``write``.

Mirrors the Lua writer: object indices count from 1 in writing order; a table, tensor, storage
or object written before is written again only as ``type id, index`` (a back-reference);
torch classes get the ``"V 1"`` version string and their class name.

Python -> Lua: None -> nil; bool -> boolean; int/float (and numpy scalars) -> number (a double:
ints that a double cannot hold exactly are refused); str -> string (UTF-8), bytes -> string;
dict -> table (None values are left out, as Lua cannot store nil); list/tuple -> table with keys
1..n; torch.Tensor / numpy array -> tensor; T7Storage -> storage; T7Object, LuaFunction and
objects with a registered saver -> their Lua class.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch

from compat.t7 import registry
from compat.t7.objects import DTYPE_KIND, LuaFunction, T7Object, T7Storage, tensor_class
from compat.t7.reader import (
    TYPE_BOOLEAN,
    TYPE_FUNCTION,
    TYPE_NIL,
    TYPE_NUMBER,
    TYPE_STRING,
    TYPE_TABLE,
    TYPE_TORCH,
)

_VERSION = 1  # torch.version(object): 1 unless the class sets __version (nn.LookupTable: 4, BN: 2)


class Writer:
    """Writes one object graph; ``self.ids`` maps identity keys to file object indices."""

    def __init__(self, stream):
        self.s = stream
        self.ids = {}
        self.count = 0
        self.keepalive = []  # written objects stay alive so that their id() is never reused
        self.path = []

    def _where(self) -> str:
        return "<root>" + "".join(f"[{p!r}]" for p in self.path)

    def _ref(self, typeidx: int, key, obj) -> bool:
        """Write ``typeidx, index``; True when the object itself must follow (first time seen)."""
        self.s.write_int(typeidx)
        index = self.ids.get(key)
        if index is not None:
            self.s.write_int(index)
            return False
        self.count += 1
        self.ids[key] = self.count
        self.keepalive.append(obj)
        self.s.write_int(self.count)
        return True

    def _string(self, raw: bytes):
        self.s.write_int(len(raw))
        self.s.write_raw(raw)

    def _class_header(self, class_name: str, version: int = _VERSION):
        self._string(f"V {version}".encode("ascii"))
        self._string(class_name.encode("ascii"))

    def write(self, obj):
        s = self.s
        if obj is None:
            s.write_int(TYPE_NIL)
        elif isinstance(obj, (bool, np.bool_)):
            s.write_int(TYPE_BOOLEAN)
            s.write_int(1 if obj else 0)
        elif isinstance(obj, (int, np.integer)):
            value = float(obj)
            if value != obj:
                raise ValueError(f"cannot save int {obj} at {self._where()}: Lua numbers are doubles and "
                                 f"the nearest double is {value!r}; pass a float if that is acceptable")
            s.write_int(TYPE_NUMBER)
            s.write_double(value)
        elif isinstance(obj, (float, np.floating)):
            s.write_int(TYPE_NUMBER)
            s.write_double(float(obj))
        elif isinstance(obj, str):
            s.write_int(TYPE_STRING)
            self._string(obj.encode("utf-8"))
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            s.write_int(TYPE_STRING)
            self._string(bytes(obj))
        else:
            saver = registry.find_saver(obj)
            if saver is not None:
                self._write_saved(obj, saver)
            elif isinstance(obj, torch.Tensor):
                self._write_tensor(obj, id(obj))
            elif isinstance(obj, np.ndarray):
                self._write_tensor(torch.from_numpy(obj), id(obj))
            elif isinstance(obj, T7Storage):
                self._write_storage_object(obj)
            elif isinstance(obj, T7Object):
                if self._ref(TYPE_TORCH, id(obj), obj):
                    self._class_header(obj.torch_typename, obj._version or _VERSION)
                    self._write_table(obj.table.items(), id(obj.table), obj.table)
            elif isinstance(obj, LuaFunction):
                self._write_function(obj)
            elif isinstance(obj, Mapping):
                self._write_table(obj.items(), id(obj), obj)
            elif isinstance(obj, (list, tuple)):
                self._write_table(((i + 1, v) for i, v in enumerate(obj)), id(obj), obj)  # 0-based -> Lua 1-based
            else:
                raise TypeError(f"cannot save object of type {type(obj).__name__} at {self._where()}: expected "
                                f"None, bool, number, str, bytes, dict, list, tuple, torch.Tensor, T7Storage, "
                                f"T7Object or a type registered with compat.t7.register_saver")

    def _write_table(self, items, key, obj):
        if not self._ref(TYPE_TABLE, key, obj):
            return
        entries = [(k, v) for k, v in items if v is not None]
        for k, _ in entries:
            if k is None or (isinstance(k, float) and math.isnan(k)):
                raise ValueError(f"cannot save table key {k!r} at {self._where()}: Lua tables cannot hold it")
        self.s.write_int(len(entries))
        for k, v in entries:
            self.write(k)
            self.path.append(k)
            self.write(v)
            self.path.pop()

    def _write_saved(self, obj, saver):
        if not self._ref(TYPE_TORCH, id(obj), obj):
            return
        result = saver(obj)
        if (not isinstance(result, tuple) or len(result) not in (2, 3) or not isinstance(result[0], str)
                or not isinstance(result[1], Mapping) or (len(result) == 3 and not isinstance(result[2], int))):
            raise TypeError(f"saver for {type(obj).__name__} must return (class_name: str, table: dict) or "
                            f"(class_name, table, class_version: int), got {result!r:.100}")
        class_name, table = result[:2]
        self.keepalive.append(table)
        self._class_header(class_name, result[2] if len(result) == 3 else _VERSION)
        self._write_table(table.items(), id(table), table)

    def _write_function(self, fn: LuaFunction):
        if fn.typeid == TYPE_FUNCTION:
            self.s.write_int(TYPE_FUNCTION)
        elif not self._ref(fn.typeid, id(fn), fn):
            return
        self._string(fn.dumped)
        self.write(fn.upvalues)

    def _write_tensor(self, t: torch.Tensor, key):
        # Tensor.c write: int nDimension, long size[n], long stride[n], long storageOffset+1, storage.
        class_name = tensor_class(t.dtype)  # TypeError for dtypes Torch7 lacks
        if not self._ref(TYPE_TORCH, key, t):
            return
        self._class_header(class_name)
        t = t.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        t = t.resolve_conj().resolve_neg()
        if t.dim() == 0:  # Torch7 has no 0-dimensional tensors: a scalar becomes a 1-element vector
            t = t.reshape(1)
        s = self.s
        itemsize = t.element_size()
        n_storage = t.untyped_storage().nbytes() // itemsize
        if t.numel() == 0:  # Torch7 keeps no zero-size dimension: an empty tensor has 0 dimensions
            s.write_int(0)
            s.write_long(t.storage_offset() + 1)
            self._write_tensor_storage(t, n_storage) if n_storage else s.write_int(TYPE_NIL)
            return
        s.write_int(t.dim())
        s.write_longs(list(t.shape))
        s.write_longs(list(t.stride()))
        s.write_long(t.storage_offset() + 1)  # 0-based -> Lua 1-based
        self._write_tensor_storage(t, n_storage)

    def _write_tensor_storage(self, t: torch.Tensor, n: int):
        """The whole storage under ``t`` (as Torch7 writes it), once per memory region and dtype."""
        key = ("storage", t.untyped_storage().data_ptr(), t.dtype, 0, n)
        if self._ref(TYPE_TORCH, key, t):
            self._storage_body(t.as_strided((n,), (1,), 0))

    def _write_storage_object(self, st: T7Storage):
        t = st.tensor.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if t.numel() and t.stride(0) == 1:
            key = ("storage", t.untyped_storage().data_ptr(), t.dtype, t.storage_offset(), t.numel())
        else:
            key = id(st)
            t = t.contiguous()
        if self._ref(TYPE_TORCH, key, st):
            self._storage_body(t)

    def _storage_body(self, t: torch.Tensor):
        # Storage.c write: long size, then the raw elements.
        self._class_header(f"torch.{DTYPE_KIND[t.dtype]}Storage")
        self.s.write_long(t.numel())
        self.s.write_array(t.numpy())
