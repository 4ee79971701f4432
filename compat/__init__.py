"""Torch7 (Lua) names over PyTorch, so that Lua scripts translate line for line.

    from compat import torch, nn, optim      -- require 'torch'; require 'nn'; require 'optim'

``compat.lua`` keeps Lua's meaning in translated code (``torchad-migrate``, ``compat.migrate``, writes
such code). ``compat`` imports nothing from ``automatedparallelization``; ``import automatedparallelization``
adds the model-parallel ``MP*`` layers to ``compat.nn``, as ``require`` did in Lua.
"""
