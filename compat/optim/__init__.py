"""Torch7's ``optim`` package over PyTorch (Lua: ``require 'optim'``).

``sgd(opfunc, x, config, state)`` (torch/optim ``sgd.lua``) and ``ConfusionMatrix``
(torch/optim ``ConfusionMatrix.lua``), with Lua's semantics and printout.
"""
from compat.optim.confusion import ConfusionMatrix  # noqa: F401
from compat.optim.sgd import sgd  # noqa: F401

__all__ = ["ConfusionMatrix", "sgd"]
