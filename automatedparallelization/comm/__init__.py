"""Collectives on torch tensors over MPI: the only package of the project that imports mpi4py.

One module per concern, all re-exported here (``from automatedparallelization import comm``):

- :mod:`~automatedparallelization.comm.settings`: the process-wide switches (:func:`configure`,
  the ``TORCHAD_*`` variables read when first needed);
- :mod:`~automatedparallelization.comm.collectives`: the collectives themselves (allreduce,
  broadcast, allgather, object collectives, split), each run under the stall watch;
- :mod:`~automatedparallelization.comm.shared_memory`: averaging through a shared mapping when
  every rank runs on one machine (:func:`shared_reducer`);
- :mod:`~automatedparallelization.comm.lifecycle`: how a rank ends (abort, the abort-on-failure
  hook, exit records for the launcher and the other ranks' watches).

Every function takes an explicit ``comm`` (``None`` means ``MPI.COMM_WORLD``; an mpi4py
communicator or any handle with a ``.comm`` attribute, such as ``compat.torchmpi``, is accepted)
and resolves it in one place, :func:`resolve`.
"""
from automatedparallelization.comm.collectives import (  # noqa: F401
    OPS,
    abort,
    allgather,
    allgather_object,
    allreduce_,
    barrier,
    bcast_object,
    broadcast_,
    divide_,
    gather_object,
    iallreduce_,
    rank,
    resolve,
    size,
    split,
)
from automatedparallelization.comm.lifecycle import exit_status, install_abort_hook, note_exit  # noqa: F401
from automatedparallelization.comm.settings import STALL_ABORT, STALL_WARNING, configure  # noqa: F401
from automatedparallelization.comm.shared_memory import SharedReducer, shared_reducer  # noqa: F401
