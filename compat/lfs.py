"""LuaFileSystem (``require 'lfs'``) as ``compat.lfs``: the functions Torch7 scripts use, with
LuaFileSystem's results.

A failure is not an exception but Lua's ``nil, message, errno``, here the tuple ``(None, message,
errno)``; success is ``True``. The messages are LuaFileSystem's: ``mkdir``/``rmdir``/``touch`` give
the C library's ``strerror`` text (``File exists``), ``attributes`` names the file, ``chdir``
says which folder it could not enter. ``dir`` raises (as Lua's ``error``) on a folder it cannot
open, and lists ``.`` and ``..`` like ``readdir``. ``attributes`` returns a Lua table of the
``stat`` fields (``mode`` is a word: ``file``, ``directory``, ``link``, ``socket``,
``named pipe``, ``char device``, ``block device`` or ``other``), or one field when named.
"""
import errno as _errno
import os
import stat as _stat
import time

from compat.lua.tables import Table

__all__ = ["attributes", "chdir", "currentdir", "dir", "mkdir", "rmdir", "symlinkattributes", "touch"]

_MODES = ((_stat.S_ISREG, "file"), (_stat.S_ISDIR, "directory"), (_stat.S_ISLNK, "link"),
          (_stat.S_ISSOCK, "socket"), (_stat.S_ISFIFO, "named pipe"), (_stat.S_ISCHR, "char device"),
          (_stat.S_ISBLK, "block device"))


def _path(value, function):
    if isinstance(value, bool) or not isinstance(value, (str, bytes, os.PathLike, int, float)):
        raise TypeError(f"lfs.{function}: expected a path (a string), got {type(value).__name__}")
    return os.fsdecode(value) if isinstance(value, (bytes, os.PathLike)) else str(value)


def _failure(exc, message=None):
    code = exc.errno or _errno.EIO
    return None, message or os.strerror(code), code


def _status(op, *args):
    try:
        op(*args)
    except OSError as exc:
        return _failure(exc)
    return True


def mkdir(path):
    """Create the folder ``path`` (its parent must exist): True, or ``(None, message, errno)``."""
    return _status(os.mkdir, _path(path, "mkdir"))


def rmdir(path):
    """Remove the empty folder ``path``: True, or ``(None, message, errno)``."""
    return _status(os.rmdir, _path(path, "rmdir"))


def currentdir():
    """The working folder, an absolute path."""
    return os.getcwd()


def chdir(path):
    """Make ``path`` the working folder: True, or ``(None, message, errno)``."""
    path = _path(path, "chdir")
    try:
        os.chdir(path)
    except OSError as exc:
        return _failure(exc, f"Unable to change working directory to '{path}'\n{os.strerror(exc.errno or 5)}\n")
    return True


def dir(path):  # noqa: A001 (LuaFileSystem's name)
    """Iterate over the names in folder ``path``, ``.`` and ``..`` included, in the order the system
    lists them; a folder that cannot be opened raises OSError (Lua: an error)."""
    path = _path(path, "dir")
    try:
        names = os.listdir(path)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open {path}: {os.strerror(exc.errno or 5)}") from None
    return iter([".", "..", *names])


def _mode(st_mode):
    return next((name for test, name in _MODES if test(st_mode)), "other")


def _permissions(st_mode):
    bits = "rwxrwxrwx"
    return "".join(c if st_mode & (1 << (8 - i)) else "-" for i, c in enumerate(bits))


def _table(st):
    return Table(
        dev=st.st_dev, ino=st.st_ino, mode=_mode(st.st_mode), nlink=st.st_nlink, uid=st.st_uid,
        gid=st.st_gid, rdev=st.st_rdev, access=int(st.st_atime), modification=int(st.st_mtime),
        change=int(st.st_ctime), size=st.st_size, permissions=_permissions(st.st_mode),
        blocks=st.st_blocks, blksize=st.st_blksize,
    )


def _attributes(path, request, stat_function, function):
    path = _path(path, function)
    try:
        st = stat_function(path)
    except OSError as exc:
        return _failure(exc, f"cannot obtain information from file '{path}': {os.strerror(exc.errno or 5)}")
    table = _table(st)
    if request is None:
        return table
    if isinstance(request, str):
        if request not in table:
            raise ValueError(f"lfs.{function}: invalid attribute name {request!r}; expected one of "
                             f"{sorted(table)}")
        return table[request]
    if isinstance(request, dict):                  # a table to fill (LuaFileSystem's second form)
        request.update(table)
        return request
    raise TypeError(f"lfs.{function}: expected an attribute name or a table, got {type(request).__name__}")


def attributes(path, request=None):
    """The ``stat`` fields of ``path`` as a table, or the one named by ``request``; a missing file
    gives ``(None, message, errno)``."""
    return _attributes(path, request, os.stat, "attributes")


def symlinkattributes(path, request=None):
    """As :func:`attributes`, of a symbolic link itself (``lstat``)."""
    return _attributes(path, request, os.lstat, "symlinkattributes")


def touch(path, atime=None, mtime=None):
    """Set the access and modification times of an existing ``path`` (default: now; ``mtime``
    defaults to ``atime``): True, or ``(None, message, errno)``."""
    path = _path(path, "touch")
    atime = time.time() if atime is None else float(atime)
    mtime = atime if mtime is None else float(mtime)
    return _status(os.utime, path, (atime, mtime))
