"""cudnn (``require 'cudnn'``) as ``compat.cudnn``. PyTorch calls cuDNN by itself for the ``compat.nn``
modules on a CUDA device, so ``cudnn.convert(model, cudnn)`` returns the model as it is, and
``cudnn.SpatialConvolution`` and the other layer names are ``compat.nn``'s classes. The flags
``benchmark`` and ``fastest`` set ``torch.backends.cudnn.benchmark`` when assigned through
:func:`set_benchmark` and are read by scripts as plain attributes; ``verbose`` is kept.
"""
import torch

from compat import nn as _nn

benchmark = False
fastest = False
verbose = False

#: cudnn's layer names, each the ``compat.nn`` class of the same name
_LAYERS = ("SpatialConvolution", "SpatialFullConvolution", "SpatialMaxPooling", "SpatialAveragePooling",
           "VolumetricConvolution", "VolumetricMaxPooling", "VolumetricAveragePooling", "ReLU", "Tanh",
           "Sigmoid", "SoftMax", "LogSoftMax", "SpatialSoftMax", "SpatialLogSoftMax", "BatchNormalization",
           "SpatialBatchNormalization", "VolumetricBatchNormalization", "SpatialCrossMapLRN", "ClippedReLU")


def __getattr__(name):
    if name in _LAYERS and hasattr(_nn, name):
        return getattr(_nn, name)
    raise AttributeError(f"module 'compat.cudnn' has no attribute {name!r}; its layers are compat.nn's: {_LAYERS}")


def convert(model, backend=None, exclusion_fn=None):
    """``cudnn.convert(model, cudnn)``: the model itself (PyTorch already uses cuDNN for it on CUDA)."""
    return model


def set_benchmark(state=True):
    """``cudnn.benchmark = true``: let cuDNN pick the fastest algorithms for fixed input sizes."""
    global benchmark
    benchmark = bool(state)
    torch.backends.cudnn.benchmark = benchmark
