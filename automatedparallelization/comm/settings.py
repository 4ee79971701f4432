"""The process-wide switches of the collectives' safety nets, read from the environment when first
needed (so a variable set after ``import automatedparallelization`` still counts)."""
import os

STALL_WARNING = 60.0
STALL_ABORT = 600.0


class Settings:
    """The switches of :func:`configure`, initialised from ``environ``."""

    def __init__(self, environ):
        self.check = environ.get("TORCHAD_CHECK_COLLECTIVES", "0") not in ("", "0")
        self.shared_memory = environ.get("TORCHAD_SHARED_MEMORY", "1") not in ("", "0")
        for name, default in (("stall_warning", STALL_WARNING), ("stall_abort", STALL_ABORT)):
            variable = f"TORCHAD_{name.upper()}"
            try:
                value = float(environ.get(variable, default))
            except ValueError:
                value = -1.0
            if not value >= 0:
                raise ValueError(f"{variable}: expected a number of seconds >= 0, got {environ[variable]!r}")
            setattr(self, name, value)


_current = None


def current():
    """This process's :class:`Settings` (read from ``os.environ`` on the first call)."""
    global _current
    if _current is None:
        _current = Settings(os.environ)
    return _current


def configure(check=None, stall_warning=None, stall_abort=None, shared_memory=None):
    """Switch the safety nets of every collective of this process.

    check: before each allreduce/broadcast, compare operation, dtype and shape across the ranks (one
        tiny extra collective) and raise ValueError on every rank on a mismatch, instead of
        corrupting data or hanging. Also ``TORCHAD_CHECK_COLLECTIVES=1``.
    stall_warning: seconds a rank may wait inside one collective before a warning names it and the
        pending operation (default 60, as Horovod's stall inspector; 0 turns it off).
        Also ``TORCHAD_STALL_WARNING``.
    stall_abort: seconds after which a stalled collective ends the whole job with status 1 (default
        600, as PyTorch's NCCL process groups; 0: never). Also ``TORCHAD_STALL_ABORT``.
    shared_memory: let ``shared_reducer`` average gradients through a shared-memory window when
        all ranks run on one machine (default True). Also ``TORCHAD_SHARED_MEMORY=0``.
    """
    settings = current()
    for name, value in (("stall_warning", stall_warning), ("stall_abort", stall_abort)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name}: expected a number of seconds >= 0, got {value!r}")
            setattr(settings, name, float(value))
    if check is not None:
        settings.check = bool(check)
    if shared_memory is not None:
        settings.shared_memory = bool(shared_memory)
