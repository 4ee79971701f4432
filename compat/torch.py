"""The Torch7 ``torch`` namespace: ``.t7`` I/O and Lua-only helpers; every other name is PyTorch's.

``compat.torch.load``/``save`` read and write Torch7 files (see :mod:`compat.t7`);
``manualSeed``, ``Timer``, ``CmdLine``, ... mirror their Lua namesakes (see :mod:`compat.torch_extras`).
Any name not defined here (``compat.torch.zeros``, ``compat.torch.Tensor``, ...) falls through to
PyTorch, so a migrated script needs a single ``from compat import torch``.
"""
import sys

import torch as _pytorch

from compat import cuda
from compat.t7 import T7FormatError, load, save  # noqa: F401
from compat.torch_extras import (  # noqa: F401
    CmdLine,
    Timer,
    getdefaulttensortype,
    getnumthreads,
    manualSeed,
    randperm,
    setdefaulttensortype,
    setnumthreads,
)


def CudaTensor(*args):
    """Torch7's ``torch.CudaTensor(...)``: ``torch.Tensor(...)``'s forms, float32 on the CUDA device
    (where there is none, see :mod:`compat.cuda`)."""
    return cuda.tensor(sys.modules[__name__].Tensor(*args), "torch.CudaTensor()")


def __getattr__(name):
    try:
        return getattr(_pytorch, name)
    except AttributeError:
        raise AttributeError(f"module 'compat.torch' has no attribute {name!r} (neither has PyTorch's torch)") from None
