"""Torch7 (Lua) names over PyTorch, so that Lua scripts translate line for line.

    from compat import torch, nn, optim      -- require 'torch'; require 'nn'; require 'optim'

``compat`` imports nothing from ``automatedparallelization``; ``import automatedparallelization``
adds the model-parallel ``MP*`` layers to ``compat.nn``, as ``require`` did in Lua.
"""
