"""TorchAD-NN for Python: automatic data- and model-parallel training over MPI.

    import automatedparallelization                      # Lua: require 'automatedparallelization'
    from automatedparallelization import datamodule as automation

Importing the package starts MPI (through mpi4py), adds the ``nn.MP*`` layers to ``compat.nn`` and
installs the abort-on-failure ``sys.excepthook`` (the line below): an unhandled exception on any
rank prints its traceback and ends the whole job instead of leaving the other ranks waiting. It
rebinds nothing else and reads no setting (``TORCHAD_*`` variables are read when first needed).
Ranks started by ``torchad-run`` also get abort on a non-zero ``sys.exit`` from their runner,
:mod:`automatedparallelization.run`. See docs/running.md, "When a rank fails".
"""
# nodemodule: Lua's require 'automatedparallelization' defined nn.MPInitialLinear, nn.MPTanh, ... in nn
from automatedparallelization import comm, nodemodule  # noqa: F401

comm.install_abort_hook()      # an unhandled exception on one rank ends every rank (see above)

__version__ = "0.1.0"
