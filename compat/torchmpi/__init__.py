"""TorchMPI's ``mpi`` handle for migrated scripts (Lua: ``mpi = require('torchmpi')``).

    from compat import torchmpi as mpi
    mpi.start(withCuda=False)
    mpi.allreduceTensor(t)              -- in place, sum over ranks
    mpi.broadcastTensor(0, t)           -- root first, as in TorchMPI
    out = mpi.allgatherTensor(t)        -- rank-ordered concatenation along dim 0
    mpi.stop()

Importing it imports ``automatedparallelization`` (MPI starts, the ``nn.MP*`` layers are added to
``compat.nn`` and the abort-on-failure ``sys.excepthook`` is set; nothing else is rebound).

The handle wraps one communicator (COMM_WORLD unless ``start(communicator=...)``) and exposes it
as ``mpi.comm``, so it can be passed wherever the library takes ``comm``. CUDA tensors are staged
through host memory (``withCuda`` is accepted for compatibility). ``rank()`` is 0-based, as in
TorchMPI.
"""
import logging

from automatedparallelization import comm as _comm
from compat.torchmpi import (
    _state,
    nn,  # noqa: F401  (mpi.nn, as require('torchmpi.nn'))
)

logger = logging.getLogger(__name__)

withCuda = False


def __getattr__(name):
    if name == "comm":          # mpi.comm: the communicator in use, set by start() (None before)
        return _state.comm
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _active():
    return _state.comm if _state.comm is not None else _comm.resolve(None)


def start(withCuda=False, withIPCGroups=True, customCommunicatorInit=None,
          withCartesianCommunicator=False, collectiveCommunicator=None, communicator=None):
    """Start using MPI (idempotent). ``communicator`` (an mpi4py communicator) restricts the handle to it."""
    globals()["withCuda"] = bool(withCuda)
    _state.comm = _comm.resolve(communicator)
    logger.debug("torchmpi started: rank %d of %d", _state.comm.Get_rank(), _state.comm.Get_size())


def stop():
    """End of MPI use; MPI itself is finalized when the process exits."""
    if _state.comm is not None:
        _comm.barrier(_state.comm)  # under the stall watchdog, as every collective of the library
    _state.comm = None


def rank():
    return _active().Get_rank()


def size():
    return _active().Get_size()


def barrier():
    _comm.barrier(_active())


def allreduceTensor(input, output=None):
    """Sum ``input`` over ranks into ``output`` (default: in place); returns the result tensor."""
    if output is not None and output is not input:
        output.copy_(input)
        input = output
    return _comm.allreduce_(input, "sum", _active())


def broadcastTensor(root, tensor):
    """Copy rank ``root``'s ``tensor`` into every rank's ``tensor`` (in place); returns it."""
    return _comm.broadcast_(tensor, root, _active())


def reduceTensor(root, input, output=None):
    """Sum onto ``root`` (implemented as an allreduce: every rank gets the sum)."""
    return allreduceTensor(input, output)


def allgatherTensor(input, output=None):
    """Concatenate every rank's ``input`` along dim 0; resize ``output`` to it if given, else return a new tensor."""
    gathered = _comm.allgather(input, _active(), dim=0)
    if output is None:
        return gathered
    if output is input:
        raise ValueError("allgatherTensor: output must not be the input tensor (in place is not supported, "
                         "as in TorchMPI)")
    output.resize_(gathered.shape).copy_(gathered)
    return output
