"""Where Torch7's CUDA calls run: PyTorch's CUDA device, or the CPU when asked to.

A Lua script for a GPU (``require 'cunn'``, ``model:cuda()``, ``torch.CudaTensor``) runs on PyTorch's
current CUDA device. Where PyTorch has no CUDA device (no GPU, or a CPU-only build), the first CUDA
call stops the script with an error that names the way out: ``TORCHAD_CUDA=cpu`` runs every CUDA
call on the CPU instead (one warning, logged once), so a GPU script runs unchanged in a test or on
a laptop. Tensors made "for CUDA" are float32, as a CudaTensor is.
"""
import logging
import os

import torch

logger = logging.getLogger(__name__)

ENV = "TORCHAD_CUDA"
_warned = False


class CudaUnavailableError(RuntimeError):
    """A CUDA call where PyTorch has no CUDA device and ``TORCHAD_CUDA=cpu`` is not set."""


def on_cpu():
    """True when CUDA calls run on the CPU (no CUDA device here, and ``TORCHAD_CUDA=cpu``)."""
    return not torch.cuda.is_available() and os.environ.get(ENV, "").strip().lower() == "cpu"


def device(what="a CUDA call"):
    """The device for Torch7's CUDA calls (see the module docstring); ``what`` names the call in the
    error raised where there is no CUDA device."""
    global _warned
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if on_cpu():
        if not _warned:
            _warned = True
            logger.warning("no CUDA device here: CUDA calls (%s, ...) run on the CPU (%s=cpu)", what, ENV)
        return torch.device("cpu")
    raise CudaUnavailableError(
        f"{what}: this script asks for CUDA, but PyTorch has no CUDA device here (torch.cuda.is_available() is "
        f"False: no GPU, or a CPU-only build of torch). To run it on the CPU instead, set {ENV}=cpu, e.g. "
        f"'{ENV}=cpu python script.py' (or 'torchad-run ... ' with it exported).")


def tensor(x, what="x:cuda()"):
    """Torch7's ``x:cuda()``: a float32 copy of ``x`` on the CUDA device (``x`` itself when it is one)."""
    return x.to(device=device(what), dtype=torch.float32)
