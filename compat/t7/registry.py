"""Class registry: how Torch7 classes other than tensors and storages become Python objects.

Like torch7's ``torch.factory(className)`` + the class's ``read``/``write`` methods (File.lua
``readObject``/``writeObject``), but for table-backed classes only: a loader receives the Lua
object's field table, a saver returns the class name and the table to write.

``compat.nn`` registers its modules here when imported. The first time a file holds an ``nn.*``
object with no loader, :func:`find_loader` imports ``compat.nn`` once (as ``require 'nn'`` would
have been needed in Lua) and looks again.
"""
from __future__ import annotations

import importlib
import logging
from typing import Callable, Optional

logger = logging.getLogger(__name__)

__all__ = ["register_loader", "register_saver", "find_loader", "find_saver"]

_loaders: dict = {}
_savers: dict = {}
_nn_import_tried = False
_import_module = importlib.import_module  # a seam for tests


def register_loader(class_name: str, fn: Callable) -> None:
    """Build objects of Lua class ``class_name`` (e.g. ``'nn.Linear'``) with ``fn(table)``.

    ``table`` is a :class:`~compat.t7.T7Table` holding the Lua object's fields (``weight``,
    ``bias``, ...), already loaded. A later registration for the same name replaces the earlier.
    """
    if not isinstance(class_name, str) or not class_name:
        raise TypeError(f"class_name must be a non-empty str such as 'nn.Linear', got {class_name!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(table) -> object, got {type(fn).__name__}")
    _loaders[class_name] = fn


def register_saver(pytype: type, fn: Callable) -> None:
    """Write instances of ``pytype`` (and subclasses) as a Lua object: ``fn(obj) -> (class_name, table)``,
    or ``(class_name, table, version)`` for a class whose Lua ``__version`` is not 1 (Torch7 runs
    a class's ``read`` upgrade on objects written with an older version).

    ``table`` is a dict of the fields to write. For an object, the saver registered for the most
    specific class in its MRO wins.
    """
    if not isinstance(pytype, type):
        raise TypeError(f"pytype must be a class, got {pytype!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(obj) -> (class_name, table), got {type(fn).__name__}")
    _savers[pytype] = fn


def _import_nn_once() -> None:
    global _nn_import_tried
    if _nn_import_tried:
        return
    _nn_import_tried = True
    try:
        _import_module("compat.nn")
    except ModuleNotFoundError as exc:
        if exc.name not in ("compat.nn", "compat"):
            raise
        logger.debug("compat.nn is not available; nn.* objects load as T7Object")


def find_loader(class_name: str) -> Optional[Callable]:
    """The loader registered for ``class_name``, importing ``compat.nn`` once for ``nn.*`` names."""
    fn = _loaders.get(class_name)
    if fn is None and class_name.startswith("nn.") and not _nn_import_tried:
        _import_nn_once()
        fn = _loaders.get(class_name)
    return fn


def find_saver(obj) -> Optional[Callable]:
    """The saver for ``obj``'s most specific registered class, or None."""
    if not _savers:
        return None
    for cls in type(obj).__mro__:
        fn = _savers.get(cls)
        if fn is not None:
            return fn
    return None
