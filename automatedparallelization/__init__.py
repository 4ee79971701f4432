"""TorchAD-NN for Python: automatic data- and model-parallel training over MPI.

    import automatedparallelization                      # Lua: require 'automatedparallelization'
    from automatedparallelization import datamodule as automation

Importing the package starts MPI (through mpi4py) and installs the abort-on-failure hook: an
unhandled exception on any rank ends the whole job instead of leaving the other ranks waiting.
"""
from automatedparallelization import comm  # noqa: F401
# Lua: require 'automatedparallelization' defined nn.MPInitialLinear, nn.MPTanh, ... in the nn table
from automatedparallelization import nodemodule  # noqa: F401,E402

__version__ = "0.1.0"
