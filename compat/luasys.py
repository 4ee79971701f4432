"""Lua's ``sys`` package (torch/sys) as ``compat.luasys``: ``require 'sys'`` -> ``from compat import
luasys``, and every ``sys.X`` of the Lua script becomes ``luasys.X``.

Why not the name ``sys``: a translated script needs Python's ``sys`` too (Lua's ``arg`` is
``sys.argv[1:]``), and binding Lua's package to that name would hide it. See docs/migration.md.

``clock()`` is wall-clock seconds since the epoch with microseconds (sys.c's gettimeofday), ``tic()``
/``toc(verbose)`` a Matlab-like timer over it, ``execute(cmd)`` runs a shell command and returns its
output (stderr included) with surrounding whitespace stripped, ``fpath()`` the directory and file
name of the calling script.
"""
import inspect
import os
import platform
import subprocess
import sys as _python_sys
import time

from compat import paths

__all__ = ["COLORS", "OS", "clock", "concat", "dirname", "execute", "fpath", "isNaN", "ls", "prefix",
           "sleep", "split", "tic", "toc", "uname", "usleep"]

dirname = paths.dirname           # Lua: sys.dirname = paths.dirname (backward compatibility)
concat = paths.concat
_tic = None


def clock():
    """Seconds since the epoch as a float, to the microsecond (Lua ``sys.clock()``)."""
    return time.time()


def tic():
    """Start the timer read by ``toc``."""
    global _tic
    _tic = clock()


def toc(verbose=False):
    """Seconds since the last ``tic()``; printed too when verbose (Lua prints it)."""
    if _tic is None:
        raise RuntimeError("luasys.toc: call luasys.tic() first (Lua: sys.tic() before sys.toc())")
    dt = clock() - _tic
    if verbose:
        print(dt)
    return dt


def execute(cmd):
    """Run a shell command; its output (stdout and stderr) with leading/trailing whitespace removed."""
    if not isinstance(cmd, str):
        raise TypeError(f"luasys.execute: cmd must be a string, got {type(cmd).__name__}")
    done = subprocess.run(cmd + " 2>&1", shell=True, stdout=subprocess.PIPE, check=False)
    return done.stdout.decode(errors="replace").strip()


def uname():
    """'linux', 'macos', 'windows' or '?' (Lua ``sys.uname()``)."""
    return {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(platform.system(), "?")


OS = uname()
# Lua: the install prefix found from the interpreter's path (bin/'s parent); here Python's.
prefix = os.path.dirname(os.path.dirname(os.path.realpath(_python_sys.executable)))


def ls(d=" "):
    return execute("ls " + d)


def fpath():
    """``(directory, file name)`` of the script that calls it (Lua ``sys.fpath()``)."""
    caller = inspect.stack()[1].filename
    full = caller if caller.startswith("/") else paths.concat(paths.cwd(), caller)
    return paths.dirname(full), paths.basename(full)


def split(text, sep):
    """Lua ``sys.split(str, pat)`` for a literal separator: the pieces, a leading empty piece dropped."""
    pieces = text.split(sep)
    if pieces and pieces[0] == "":
        pieces = pieces[1:]
    if pieces and pieces[-1] == "":
        pieces = pieces[:-1]
    return pieces


def isNaN(number):
    return number != number  # noqa: PLR0124 (the NaN test Lua uses)


def usleep(microseconds):
    time.sleep(microseconds / 1e6)


def sleep(seconds):
    time.sleep(seconds)


class _Colors(dict):
    """ANSI colour escapes by Lua's names (``luasys.COLORS.red``), as torch/sys's ``colors.lua``."""
    __getattr__ = dict.__getitem__


COLORS = _Colors(none="\033[0m", black="\033[0;30m", red="\033[0;31m", green="\033[0;32m",
                 yellow="\033[0;33m", blue="\033[0;34m", magenta="\033[0;35m", cyan="\033[0;36m",
                 white="\033[0;37m", Black="\033[1;30m", Red="\033[1;31m", Green="\033[1;32m",
                 Yellow="\033[1;33m", Blue="\033[1;34m", Magenta="\033[1;35m", Cyan="\033[1;36m",
                 White="\033[1;37m", _black="\033[40m", _red="\033[41m", _green="\033[42m",
                 _yellow="\033[43m", _blue="\033[44m", _magenta="\033[45m", _cyan="\033[46m",
                 _white="\033[47m")
