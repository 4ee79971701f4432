"""The rank this process was started as, read from the MPI process manager's environment.

``compat`` starts no MPI (only ``compat.torchmpi`` does), yet files that several ranks would write
under one name must know the rank: MPICH's Hydra sets ``PMI_RANK``/``PMI_SIZE``, Open MPI
``OMPI_COMM_WORLD_RANK``/``OMPI_COMM_WORLD_SIZE`` in every process it starts.
"""
import os

_NAMES = (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"))


def launch_rank():
    """(rank, size) of this process in its MPI job, or (0, 1) outside one."""
    for rank, size in _NAMES:
        if os.environ.get(rank, "").isdigit() and os.environ.get(size, "").isdigit():
            return int(os.environ[rank]), int(os.environ[size])
    return 0, 1


def per_rank_name(path):
    """``path`` on rank 0 (and outside a job); ``path.rankR`` on rank R > 0: the rule for files that
    every rank of a job writes under one name (``optim.Logger``)."""
    rank, size = launch_rank()
    return path if rank == 0 or size == 1 else f"{path}.rank{rank}"
