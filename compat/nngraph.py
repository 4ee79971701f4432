"""torch/nngraph (``require 'nngraph'``) as ``compat.nngraph``: graphs of modules.

``nn.gModule`` and the node syntax (``nn.Linear(3, 2)(x)``, ``nn.Identity()()``, ``x - nn.Tanh()``)
live in ``compat.nn`` (see :mod:`compat.nn.graph`), so they work with or without this import, as
every module of a translated script is a ``compat.nn`` module. This module adds nngraph's own
names: ``Node``, ``annotateNodes``.
"""
import inspect

from compat.nn.graph import gModule  # noqa: F401
from compat.nn.nodes import Node

__all__ = ["Node", "annotateNodes", "gModule"]


def annotateNodes():
    """Name each node held by a local variable of the calling function after that variable
    (``annotations.name``), unless it is named already."""
    frame = inspect.currentframe().f_back
    try:
        for name, value in frame.f_locals.items():
            if isinstance(value, Node) and value.data.annotations.name is None:
                value.data.annotations.name = name
    finally:
        del frame
