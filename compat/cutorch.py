"""cutorch (``require 'cutorch'``) as ``compat.cutorch``: device selection and queries over
PyTorch's CUDA, with Lua's 1-based device numbers. Under ``TORCHAD_CUDA=cpu`` (see
:mod:`compat.cuda`) there is one device, number 1, the CPU, and synchronizing does nothing.
"""
import os

import torch

from compat.cuda import device, on_cpu
from compat.lua.tables import Table

__all__ = ["getDevice", "getDeviceCount", "getDeviceProperties", "getMemoryUsage", "manualSeed",
           "manualSeedAll", "setDevice", "synchronize"]


def _check_device(n, what):
    count = getDeviceCount()
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n != int(n) or not 1 <= n <= count:
        raise ValueError(f"cutorch.{what}: expected a device number from 1 to {count}, got {n!r}")
    return int(n)


def getDeviceCount():
    """The number of CUDA devices (1 when CUDA calls run on the CPU)."""
    device("cutorch.getDeviceCount()")
    return 1 if on_cpu() else torch.cuda.device_count()


def setDevice(n):
    """Make device ``n`` (1-based) the current one."""
    n = _check_device(n, "setDevice")
    if not on_cpu():
        torch.cuda.set_device(n - 1)


def getDevice():
    """The current device, 1-based."""
    return device("cutorch.getDevice()").index + 1 if not on_cpu() else 1


def synchronize():
    """Wait for the current device's work to finish."""
    if device("cutorch.synchronize()").type == "cuda":
        torch.cuda.synchronize()


def getMemoryUsage(n=None):
    """(free bytes, total bytes) of device ``n`` (default: the current one)."""
    n = getDevice() if n is None else _check_device(n, "getMemoryUsage")
    if on_cpu():                                    # the machine's memory
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page
    free, total = torch.cuda.mem_get_info(n - 1)
    return free, total


def getDeviceProperties(n):
    """A table with the device's ``name``, ``totalGlobalMem``, ``major`` and ``minor``."""
    n = _check_device(n, "getDeviceProperties")
    if on_cpu():
        return Table(name="cpu", totalGlobalMem=getMemoryUsage(1)[1], major=0, minor=0)
    p = torch.cuda.get_device_properties(n - 1)
    return Table(name=p.name, totalGlobalMem=p.total_memory, major=p.major, minor=p.minor)


def manualSeed(seed):
    """Seed the current device's generator."""
    if not on_cpu():
        torch.cuda.manual_seed(int(seed))


def manualSeedAll(seed):
    """Seed every device's generator."""
    if not on_cpu():
        torch.cuda.manual_seed_all(int(seed))
