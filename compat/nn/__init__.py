"""Torch7's ``nn`` package over PyTorch (Lua: ``require 'nn'``).

Every class is a ``torch.nn.Module`` that also follows the Lua module contract; see
:mod:`compat.nn.module` for how the two APIs are reconciled.
"""
from compat.nn.module import Module  # noqa: F401

try:  # C2's file; the guard goes once it has landed
    from compat.nn.normalization import (  # noqa: F401
        SpatialContrastiveNormalization,
        SpatialDivisiveNormalization,
        SpatialSubtractiveNormalization,
    )
except ImportError:  # pragma: no cover
    pass
