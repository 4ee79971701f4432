"""Torch7 (Lua) names over PyTorch, so that Lua scripts translate line for line.

    from compat import torch, nn, optim      -- require 'torch'; require 'nn'; require 'optim'

``compat.lua`` keeps Lua's meaning in translated code (``torchad-migrate``, ``compat.migrate``, writes
such code). ``compat.torch``, ``compat.nn``, ``compat.optim`` and the other Torch7 packages import
nothing from ``automatedparallelization``; ``import automatedparallelization`` adds the
model-parallel ``MP*`` layers to ``compat.nn``, as ``require`` did in Lua. The one exception is
``compat.torchmpi`` (TorchMPI's ``mpi`` handle), which communicates through
``automatedparallelization.comm``: importing it imports the ``automatedparallelization`` package,
which starts MPI, adds the ``nn.MP*`` layers and sets the abort-on-failure ``sys.excepthook`` (see
that package's docstring), as ``require('torchmpi')`` started MPI in Lua.
"""
