"""The Torch7 ``torch`` namespace: ``.t7`` I/O and Lua-only helpers; every other name is PyTorch's.

``compat.torch.load``/``save`` read and write Torch7 files (see :mod:`compat.t7`);
``Timer``, ``CmdLine``, ... mirror their Lua namesakes (see :mod:`compat.torch_extras`); the random
functions (``manualSeed``, ``rand``, ``randn``, ``uniform``, ``normal``, ``random``, ``randperm``, ...)
draw from Torch7's generator and give Torch7's numbers (see :mod:`compat.torch_random`). Note that
``compat.torch.random`` is Torch7's function, not PyTorch's ``torch.random`` module.
``Tensor``/``DoubleTensor``/..., the Storages, ``view``, ``reshape``, ``repeatTensor``, ``totable``,
``serialize``... are Torch7's (see :mod:`compat.lua.tensor_shape`).
Any name not defined here (``compat.torch.zeros``, ``compat.torch.cat``, ...) falls through to
PyTorch, so a migrated script needs a single ``from compat import torch``.
"""
import sys

import torch as _pytorch

from compat import cuda
from compat.lua import tensor_shape as _shape
from compat.t7 import T7FormatError, load, save  # noqa: F401
from compat.torch_extras import (  # noqa: F401
    CmdLine,
    Timer,
    getdefaulttensortype,
    getnumthreads,
    setdefaulttensortype,
    setnumthreads,
)
from compat.torch_random import (  # noqa: F401
    bernoulli,
    cauchy,
    exponential,
    geometric,
    getRNGState,
    initialSeed,
    logNormal,
    manualSeed,
    multinomial,
    normal,
    rand,
    randn,
    random,
    randperm,
    seed,
    setRNGState,
    uniform,
)


def CudaTensor(*args):
    """Torch7's ``torch.CudaTensor(...)``: ``torch.Tensor(...)``'s forms, float32 on the CUDA device
    (where there is none, see :mod:`compat.cuda`)."""
    return cuda.tensor(sys.modules[__name__].Tensor(*args), "torch.CudaTensor()")

# Torch7's constructors (torch.Tensor, torch.DoubleTensor, ..., torch.Storage, torch.LongStorage, ...) and
# the torch.<name> functions whose PyTorch namesakes are missing or differ (see compat.lua.tensor_shape).
globals().update(_shape.tensor_types())
globals().update(_shape.storage_types())
for _name in ("view", "viewAs", "expand", "expandAs", "repeatTensor", "reshape", "unfold", "totable", "isTensor",
              "typename"):
    globals()[_name] = _shape.TORCH[_name]
isStorage, serialize, deserialize = _shape.is_storage, _shape.serialize, _shape.deserialize
linspace, logspace = _shape.linspace, _shape.logspace


def pointer(obj):
    """Torch7's ``torch.pointer(x)``: the address of a tensor's or storage's data (equal for views of
    one memory), else an identity number of the object."""
    tensor = obj if isinstance(obj, _pytorch.Tensor) else getattr(obj, "tensor", None)   # a storage's memory
    return tensor.data_ptr() if isinstance(tensor, _pytorch.Tensor) else id(obj)


def __getattr__(name):
    try:
        return getattr(_pytorch, name)
    except AttributeError:
        raise AttributeError(f"module 'compat.torch' has no attribute {name!r} (neither has PyTorch's torch)") from None
