"""Lua's ``paths`` package (torch/paths, ``require 'paths'`` -> ``from compat import paths``):
file-name arithmetic with the POSIX semantics of its C implementation (``paths.c``).

``concat`` builds a full name from the current directory (``concat('a', 'b')`` is ``<cwd>/a/b``;
``.`` and ``..`` components are resolved textually, repeated slashes collapse); ``dirname`` and
``basename`` ignore trailing slashes as the shell commands do; ``mkdir`` creates the missing parents
and returns True, or ``(None, message, errno)`` as Lua's ``nil, msg, code``.
"""
import errno as _errno
import os

__all__ = ["basename", "concat", "cwd", "dir", "dirname", "dirp", "extname", "filep", "home", "mkdir",
           "rmdir"]

home = os.environ.get("HOME") or "."


def _check(name, value, fn):
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"paths.{fn}: {name} must be a string, got {type(value).__name__}")
    return os.fspath(value)


def filep(path):
    """True when path names an existing file that is not a directory."""
    path = _check("path", path, "filep")
    return os.path.exists(path) and not os.path.isdir(path)


def dirp(path):
    """True when path names an existing directory."""
    return os.path.isdir(_check("path", path, "dirp"))


def cwd():
    """The current working directory."""
    return os.getcwd()


def _last_inner_slash(name):
    """Index of the last '/' followed by a character other than '/' (paths.c's "nontrivial" slash)."""
    return max((i for i in range(len(name) - 1) if name[i] == "/" and name[i + 1] != "/"), default=-1)


def basename(path, suffix=None):
    """The last component of path (trailing slashes ignored), without ``suffix`` (with or without
    its dot) when the name ends with ``.suffix``."""
    path = _check("path", path, "basename")
    start = _last_inner_slash(path) + 1
    name = path[start:].split("/", 1)[0]
    suffix = (suffix or "").removeprefix(".")
    if suffix and len(name) > len(suffix) and name.endswith("." + suffix):
        name = name[:-len(suffix) - 1]
    return name


def dirname(path):
    """The directory part of path: ``'.'`` when there is none, path itself for ``'/'``-only names."""
    path = _check("path", path, "dirname")
    p = _last_inner_slash(path)
    if p < 0:
        return path if path.startswith("/") else "."
    return path[:max(p, 1)]


def extname(path):
    """The text after the last '.', or None when there is no dot."""
    path = _check("path", path, "extname")
    dot = path.rfind(".")
    return None if dot < 0 else path[dot + 1:]


def _concat_one(base, name):
    out = "/" if name.startswith("/") else base
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            out = out.rstrip("/")
            out = out[:out.rfind("/") + 1] if "/" in out else ""
            continue
        out = (out if out.endswith("/") else out + "/") + part
    out = out.rstrip("/") or "/"
    return out


def concat(*names):
    """Lua ``paths.concat(p1, ..., pn)``: p1 relative to the current directory, then each next
    name relative to the previous result (an absolute name restarts); no argument: the cwd."""
    out = cwd()
    for i, name in enumerate(names, start=1):
        out = _concat_one(out, _check(f"argument {i}", name, "concat"))
    return out


def _lua_status(op, path):
    """``op(path)``; True, or Lua's failure triple ``(None, "path: message", errno)``."""
    try:
        op(path)
    except OSError as e:
        code = e.errno or _errno.EIO
        return None, f"{path}: {os.strerror(code)}", code
    return True


def mkdir(path):
    """Create path and its missing parents (mode 0777 & umask); True, or ``(None, msg, errno)``."""
    path = _check("path", path, "mkdir")
    parent = dirname(path)
    if not dirp(parent):
        mkdir(parent)
    return _lua_status(os.mkdir, path)


def rmdir(path):
    """Remove an empty directory; True, or ``(None, msg, errno)``."""
    path = _check("path", path, "rmdir")
    return _lua_status(os.rmdir, path)


def dir(path):
    """The entries of a directory including '.' and '..', or None when it cannot be read."""
    path = _check("path", path, "dir")
    try:
        return [".", ".."] + os.listdir(path)
    except OSError:
        return None
