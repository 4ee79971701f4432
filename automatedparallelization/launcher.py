"""``torchad-run``, under its package name: ``python -m automatedparallelization.launcher`` is
``python -m torchad_run``.

The launcher's code is the top-level module :mod:`torchad_run`, so that running it imports neither
this package (whose import starts MPI and loads torch) nor anything beyond the standard library;
this name stays for scripts written against it.
"""
import sys

from torchad_run import (  # noqa: F401
    build_command,
    find_mpiexec,
    main,
    mpi_flavour,
    parse_args,
    wrap_python,
)

if __name__ == "__main__":
    sys.exit(main())
