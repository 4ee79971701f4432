"""Lua's ``require``, ``dofile``, ``paths.dofile`` and ``package`` for translated multi-file projects.

``torchad-migrate DIR -o OUT`` keeps the folder layout (names mapped by :mod:`compat.luanames`), so
a translated script finds its modules where Lua found the ``.lua`` files:

- ``require 'a.b'`` / ``require 'a/b'``: each ``;``-separated template of ``package.path`` with its
  ``?`` replaced by ``a/b`` (dots become folder separators), relative to the working folder as in
  Lua; the module runs once, its returned value (``true`` when it returns nothing) is kept in
  ``package.loaded`` and returned by every later ``require``;
- ``dofile('x.lua')``: the file relative to the working folder, run every time;
- ``paths.dofile('x.lua')``: relative to the folder of the file that calls it.

Lua files share one table of globals: a module runs in the globals of the translated script that
loads it (so ``torch.class`` classes and globals it sets are seen by the script), and its value is
what its main chunk returned (``lua_return``). Lua modules ``math``, ``string``, ``table``, ``io``,
``os`` are in ``package.loaded`` from the start.
"""
import os

from compat.lua.tables import Table
from compat.luanames import python_path

__all__ = ["dofile", "package", "paths_dofile", "require"]

#: Lua's ``package``: ``path`` (the search templates), ``loaded`` (the modules already required).
package = Table(path="./?.lua;./?/init.lua", cpath="", loaded=Table())
for _name in ("math", "string", "table", "io", "os", "_G"):
    package.loaded[_name] = True


def _run(path, env):
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec")
    saved = env.get("__file__"), env.pop("lua_return", None)
    env["__file__"] = os.path.abspath(path)
    try:
        exec(code, env)  # noqa: S102 (Lua runs every file in the one table of globals)
        return env.pop("lua_return", None)
    finally:
        env["__file__"] = saved[0]
        if saved[1] is not None:
            env["lua_return"] = saved[1]


def require(name, env):
    """Lua ``require(name)`` of a translated module (see the module doc): its value, loaded once."""
    if not isinstance(name, str):
        raise TypeError(f"bad argument #1 to 'require' (string expected, got {type(name).__name__})")
    loaded = package.loaded[name]
    if loaded is not None:
        return loaded
    tried = []
    for template in str(package.path).split(";"):
        if "?" not in template:
            continue
        lua_file = template.replace("?", name.replace(".", "/"))
        candidate = python_path(lua_file)
        if os.path.isfile(candidate):
            value = _run(candidate, env)
            if package.loaded[name] is None:
                package.loaded[name] = True if value is None else value
            return package.loaded[name]
        tried.append(candidate)
    raise ImportError(f"module '{name}' not found: no translated file {', '.join(tried)} (working folder "
                      f"{os.getcwd()}); translate the project with torchad-migrate DIR -o OUT and run from "
                      "the folder Lua ran from")


def dofile(path, env, base=None):
    """Lua ``dofile(path)`` of a translated file (relative to the working folder, or to ``base``):
    runs it, returns its value."""
    if not isinstance(path, str):
        raise TypeError(f"bad argument #1 to 'dofile' (string expected, got {type(path).__name__})")
    target = python_path(path) if base is None or os.path.isabs(path) else os.path.join(base, python_path(path))
    if not os.path.isfile(target):
        raise FileNotFoundError(f"dofile('{path}'): no translated file {target} (working folder {os.getcwd()}); "
                                "translate it with torchad-migrate")
    return _run(target, env)


def paths_dofile(path, env):
    """Torch's ``paths.dofile(path)``: :func:`dofile` relative to the folder of the calling file."""
    here = os.path.dirname(env["__file__"]) if env.get("__file__") else os.getcwd()
    return dofile(path, env, base=here)
