"""Torch7 ``.t7`` files, ascii and binary, read and written as PyTorch objects.

``load(path, format='binary')`` / ``save(path, obj, format='binary')`` mirror torch7's
``torch.load``/``torch.save`` (File.lua ``readObject``/``writeObject`` over a ``DiskFile``):
little-endian, ``long`` = 8 bytes, object indices and back-references, ``"V 1"`` class headers.
``load`` hands a PyTorch file (zip or pickle) to ``torch.load(weights_only=True)``: no pickled callable runs.

How Lua values come back:

- number -> ``int`` when the double is integral, finite, ``|x| <= 2**53`` and not ``-0.0``;
  otherwise ``float`` (so ``-0.0``, ``nan``, ``inf``, ``1e308`` keep their exact value and type).
- string -> ``str`` when it is valid UTF-8, else ``bytes``. boolean -> ``bool``; nil -> ``None``.
- table -> ``list`` when its keys are exactly the integers 1..n (n >= 1; ``t[i]`` is
  ``list[i-1]``), else :class:`T7Table` (a dict with attribute access; ``{}`` is an empty T7Table).
  Tables used as keys or as an object's fields stay T7Tables, and so does a sequence table that
  contains a reference to itself.
- ``torch.XTensor`` -> ``torch.Tensor`` of the matching dtype (Byte uint8, Char int8, Short int16,
  Int int32, Long int64, Float float32, Double float64, Half float16), a view with the file's
  sizes, strides and offset over one tensor per storage, so tensors sharing a storage in the file
  share memory. An empty tensor (0 dimensions in Torch7) -> a 1-D tensor of size 0, same dtype.
- ``torch.XStorage`` (a bare storage) -> :class:`T7Storage`, whose ``.tensor`` is a 1-D tensor
  over the storage (shared with the tensors viewing it); ``save`` writes it back as a storage.
- other torch classes -> the object built by the loader registered for the class name
  (:func:`register_loader`; ``compat.nn`` registers ``nn.*``), else a generic :class:`T7Object`.
- Lua functions -> opaque :class:`LuaFunction` (bytecode + upvalues), written back unchanged.

``save`` maps back: None, bool, int/float, str/bytes, dict, list/tuple, tensor (0-d -> 1-element
vector; any empty tensor -> Torch7's 0-dimensional empty tensor), T7Storage, T7Object, LuaFunction,
and types registered with :func:`register_saver`.
"""
from compat.t7.api import load, save
from compat.t7.objects import LuaFunction, T7FormatError, T7Object, T7Storage, T7Table
from compat.t7.registry import register_loader, register_saver

__all__ = [
    "load", "save", "T7FormatError", "T7Table", "T7Object", "T7Storage", "LuaFunction",
    "register_loader", "register_saver",
]
