"""Where the translation of a Lua file lives: ``torchad-migrate`` writes ``my-model.lua`` as
``my_model.py`` (a file or folder name that is not a Python identifier gets its other characters
replaced by ``_``, and a leading ``_`` before a digit), and the translated ``require``/``dofile``
look the same names up when running. Imports nothing (translating needs no torch)."""
import keyword
import os

__all__ = ["python_module_name", "python_path"]


def python_module_name(stem):
    """A valid Python module name for a Lua file or folder name (``sgd-cifar`` -> ``sgd_cifar``,
    ``2d`` -> ``_2d``, ``class`` -> ``class_``)."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    name = "_" + name if not name or name[0].isdigit() else name
    return name + "_" if keyword.iskeyword(name) else name


def python_path(lua_path):
    """The translated file of a Lua file path, each part mapped as :func:`python_module_name` maps
    it (``../lib/my-util.lua`` -> ``../lib/my_util.py``); ``.``, ``..`` and the root stay."""
    head, tail = os.path.split(os.path.normpath(lua_path) if lua_path else lua_path)
    stem = tail[:-4] if tail.endswith(".lua") else tail
    parts = []
    while head and head != os.sep and head not in (".", ".."):
        head, part = os.path.split(head)
        if part in ("", ".", ".."):
            parts.append(part)
        else:
            parts.append(python_module_name(part))
    parts.append(head)
    return os.path.join(*reversed(parts), python_module_name(stem) + ".py")
