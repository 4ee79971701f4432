"""Fixed glibc malloc thresholds for training processes.

glibc's malloc serves blocks above ``M_MMAP_THRESHOLD`` with fresh ``mmap`` pages and gives the top
of its heap back to the kernel beyond ``M_TRIM_THRESHOLD``; both thresholds move with the sizes the
process frees. A training step allocates and frees the same large tensors every step (activations,
autograd's gradients, MPI's temporary buffers), and once the thresholds settle badly every one of
them comes back as freshly mapped memory: the kernel zero-fills it page by page (what that costs
per step is measured in benchmarks/RESULTS.md, "Timings behind choices in the code").

Fixing the thresholds (mmap above 16 MiB, trim beyond 64 MiB) keeps such blocks in the heap, warm
and mapped. ``torchad-run`` sets them for every rank through glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` variables (unless they are already set, or ``--no-malloc-tuning``);
under a bare ``mpiexec``, export the two variables or call :func:`tune` early. The price is up to
64 MiB of freed memory a process keeps instead of returning, and large blocks between 128 KiB and
16 MiB come from the heap. Other C libraries (musl, macOS) are left alone.
"""
import ctypes
import ctypes.util
import logging

# torchad-run sets the variables; the values and env() live in torchad_job, which it shares with the ranks
from torchad_job import MMAP_THRESHOLD, TRIM_THRESHOLD
from torchad_job import malloc_env as env  # noqa: F401

logger = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # mallopt parameter numbers in glibc's malloc.h


def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def tune(mmap_threshold=MMAP_THRESHOLD, trim_threshold=TRIM_THRESHOLD):
    """Fix this process's malloc thresholds now (glibc ``mallopt``). Returns True when both were
    set, False where the C library is not glibc or refused a value (then nothing is changed
    beyond what it accepted, and the reason is logged)."""
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"tune: expecting {name} to be an int >= 0 (bytes), got {value!r}")
    if mmap_threshold > 32 << 20:
        raise ValueError(f"tune: mmap_threshold must be at most 32 MiB (glibc's limit on 64-bit), "
                         f"got {mmap_threshold}")
    libc = _glibc()
    if libc is None:
        logger.debug("malloc.tune: not glibc; thresholds left as they are")
        return False
    ok = (libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(mmap_threshold)) == 1
          and libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(trim_threshold, 2 ** 31 - 1))) == 1)
    if not ok:
        logger.warning("malloc.tune: glibc refused mmap_threshold=%d / trim_threshold=%d",
                       mmap_threshold, trim_threshold)
    return ok
