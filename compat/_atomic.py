"""Write a file so that its path holds the old or the new content, never a torn one."""
import glob
import os
import tempfile


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. a platform without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temporary_pattern(path):
    directory, base = os.path.split(os.path.abspath(path))
    return directory, f".{base}.", ".tmp"


def remove_stale_temporaries(path):
    """Remove the temporary files that writers of ``path`` killed mid-way (SIGKILL, power loss)
    left beside it; call it only where no other writer of ``path`` can be running. Returns them."""
    directory, prefix, suffix = _temporary_pattern(path)
    name = glob.escape(prefix) + "?" * 8 + glob.escape(suffix)      # mkstemp's 8 random characters
    stale = glob.glob(os.path.join(glob.escape(directory), name))
    for name in stale:
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
    return stale


def atomic_write(path, write, durable=True):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it over ``path``.

    A failure (an exception in ``write``, a full disk, a process killed mid-way) leaves the previous
    file as it was and no temporary file behind. ``durable``: fsync the file and its directory, so
    the new content also survives a machine crash. A path that exists but is not a regular file (a
    device such as /dev/null, a pipe) is written in place: it cannot be renamed over."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as f:
            write(f)
        return
    path = os.path.abspath(path)
    directory, prefix, suffix = _temporary_pattern(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would make the file private
        with os.fdopen(fd, "wb") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    if durable:
        _fsync_dir(directory)
