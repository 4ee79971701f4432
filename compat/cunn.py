"""cunn (``require 'cunn'``) as ``compat.cunn``: nothing to add. Every ``compat.nn`` module runs on
CUDA after ``module:cuda()`` (PyTorch's kernels); where there is no CUDA device see
:mod:`compat.cuda` (``TORCHAD_CUDA=cpu``)."""
