"""Python values that stand for Lua/Torch7 values: tables, generic torch objects, storages, functions.

Also the one table mapping Torch7 class names to dtypes (torch7 ``Tensor.lua``/``Storage.c``:
``torch.ByteTensor`` ... ``torch.DoubleTensor``, plus ``torch.HalfTensor`` and the ``torch.Cuda*``
names, which load as CPU tensors).
"""
from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["T7FormatError", "T7Table", "T7Object", "T7Storage", "LuaFunction", "lua_number"]


class T7FormatError(ValueError):
    """A ``.t7`` file that cannot be read: truncated, garbage, unknown type id, impossible sizes.

    The message names the byte offset (binary) or the line (ascii) where reading stopped and,
    where it can tell, what the file looks like instead (ascii .t7, binary .t7, PyTorch, text).
    """


# Torch7 type letter -> (PyTorch dtype, little-endian numpy dtype).
_KINDS = {
    "Byte": (torch.uint8, np.dtype("u1")),
    "Char": (torch.int8, np.dtype("i1")),
    "Short": (torch.int16, np.dtype("<i2")),
    "Int": (torch.int32, np.dtype("<i4")),
    "Long": (torch.int64, np.dtype("<i8")),
    "Float": (torch.float32, np.dtype("<f4")),
    "Double": (torch.float64, np.dtype("<f8")),
    "Half": (torch.float16, np.dtype("<f2")),
}
NUMPY_DTYPE = {dt: npdt for dt, npdt in _KINDS.values()}
DTYPE_KIND = {dt: kind for kind, (dt, _) in _KINDS.items()}

# Class name -> (dtype, 'tensor' | 'storage'), for reading.
TORCH_CLASSES = {}
for _kind, (_dt, _np) in _KINDS.items():
    for _what in ("Tensor", "Storage"):
        TORCH_CLASSES[f"torch.{_kind}{_what}"] = (_dt, _what.lower())
        # cutorch names (torch.CudaTensor is the float one); they load as CPU tensors.
        _cuda = f"torch.Cuda{_what}" if _kind == "Float" else f"torch.Cuda{_kind}{_what}"
        TORCH_CLASSES[_cuda] = (_dt, _what.lower())


def tensor_class(dtype: torch.dtype) -> str:
    """Torch7 class name of a tensor of ``dtype`` (``torch.float32`` -> ``'torch.FloatTensor'``)."""
    try:
        return f"torch.{DTYPE_KIND[dtype]}Tensor"
    except KeyError:
        raise TypeError(
            f"Torch7 has no tensor type for dtype {dtype}; expected one of "
            f"{sorted(str(d) for d in DTYPE_KIND)} (convert first, e.g. .to(torch.uint8) for bool)"
        ) from None


def lua_number(x: float):
    """Python value of a Lua number (always a double in the file).

    Rule: a finite integral value with ``|x| <= 2**53`` that is not ``-0.0`` becomes an ``int``
    (exactly the doubles that are integers and that every int in that range maps back to);
    everything else (fractions, ``-0.0``, ``nan``, ``inf``, integral values beyond ``2**53`` such
    as ``1e308``) stays a ``float``. Either way the value is exactly the double in the file.
    """
    if x.is_integer() and abs(x) <= 9007199254740992.0 and not (x == 0.0 and math.copysign(1.0, x) < 0):
        return int(x)
    return x


class T7Table(dict):
    """A Lua table that is not a sequence: a ``dict`` that also allows attribute access.

    ``t.data`` is ``t['data']``; names that are dict methods (``t.items``) stay methods, use
    ``t['items']`` for such keys. Hashing is by identity (Lua tables can be keys of other tables);
    equality is the dict's (by value). The slot ``_metatable`` holds the table's Lua metatable once
    ``compat.lua.setmetatable`` gives it one.
    """

    __slots__ = ("_metatable",)
    __hash__ = object.__hash__

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"Lua table has no key {name!r}") from None

    def __setattr__(self, name, value):
        if name == "_metatable":                # the slot (copy and pickle restore it by name)
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"Lua table has no key {name!r}") from None

    def __dir__(self):
        return sorted(set(dir(dict)) | {k for k in self if isinstance(k, str) and k.isidentifier()})

    def __repr__(self):
        return f"T7Table({dict.__repr__(self)})"


class T7Object:
    """An object of a Torch7 class with no registered loader (``nn.Foo``, ``optim.ConfusionMatrix``...).

    Fields of the Lua object are attributes (``obj.weight``) and items (``obj['weight']``);
    ``obj.torch_typename`` is the Lua class name. ``save`` writes it back with the same class name
    and table.
    """

    __slots__ = ("torch_typename", "_table", "_version")

    def __init__(self, torch_typename: str, table=None, version: int = 1):
        if not isinstance(torch_typename, str):
            raise TypeError(f"torch_typename must be a str, got {type(torch_typename).__name__}")
        object.__setattr__(self, "torch_typename", torch_typename)
        object.__setattr__(self, "_table", T7Table() if table is None else table)
        object.__setattr__(self, "_version", version)

    @property
    def table(self):
        """The Lua object's fields, as a :class:`T7Table`."""
        return self._table

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._table[name]
        except KeyError:
            raise AttributeError(f"<{self.torch_typename}> object has no field {name!r}") from None

    def __setattr__(self, name, value):
        self._table[name] = value

    def __getitem__(self, key):
        return self._table[key]

    def __setitem__(self, key, value):
        self._table[key] = value

    def __contains__(self, key):
        return key in self._table

    def __dir__(self):
        return sorted({"torch_typename", "table"} | {k for k in self._table if isinstance(k, str)})

    def __reduce__(self):
        return (T7Object, (self.torch_typename, self._table, self._version))

    def __repr__(self):
        fields = ", ".join(repr(k) for k in list(self._table)[:8])
        more = ", ..." if len(self._table) > 8 else ""
        return f"T7Object({self.torch_typename!r}, fields=[{fields}{more}])"


class T7Storage:
    """A bare Torch7 storage (``torch.FloatStorage`` ...): a flat typed buffer.

    ``.tensor`` is a 1-D tensor over the storage's memory; tensors that were views of this storage
    in the file share that memory. Indexing (``s[0]``) and ``len`` go to ``.tensor`` (0-based, like
    PyTorch). ``save`` writes it back as a storage, not a tensor.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor: torch.Tensor):
        if not isinstance(tensor, torch.Tensor) or tensor.dim() != 1:
            got = f"a {tensor.dim()}-D tensor" if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise TypeError(f"T7Storage needs a 1-D torch.Tensor, got {got}")
        tensor_class(tensor.dtype)  # raises TypeError for dtypes Torch7 lacks
        self.tensor = tensor

    @property
    def dtype(self) -> torch.dtype:
        return self.tensor.dtype

    @property
    def torch_typename(self) -> str:
        return f"torch.{DTYPE_KIND[self.tensor.dtype]}Storage"

    def size(self) -> int:
        """Number of elements (Lua ``storage:size()``)."""
        return self.tensor.numel()

    def __len__(self):
        return self.tensor.numel()

    def __getitem__(self, index):
        return self.tensor[index]

    def __setitem__(self, index, value):
        self.tensor[index] = value

    def tolist(self):
        return self.tensor.tolist()

    def __repr__(self):
        return f"T7Storage({self.torch_typename}, size={len(self)})"


class LuaFunction:
    """A serialized Lua function, kept opaque: its bytecode (``dumped``, LuaJIT/Lua specific) and
    upvalues. It cannot be called from Python; ``save`` writes it back unchanged."""

    __slots__ = ("dumped", "upvalues", "typeid")

    def __init__(self, dumped: bytes, upvalues=None, typeid: int = 8):
        self.dumped = bytes(dumped)
        self.upvalues = upvalues
        self.typeid = typeid

    def __repr__(self):
        return f"LuaFunction(<{len(self.dumped)} bytes of bytecode>)"
