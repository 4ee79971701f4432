"""Translating a file or a project folder: where each output goes (``lib/my-model.lua`` ->
``lib/my_model.py``, see :mod:`compat.luanames`), refusing to overwrite the input or an existing
output (unless forced), and the TODO items per file."""
import os

from compat.luanames import python_path
from compat.migrate.translator import translate

__all__ = ["OutputExists", "check_output", "plan_tree", "translate_file"]


class OutputExists(FileExistsError):
    """The output file exists (or is the input): translating would overwrite it."""


def check_output(src, out, force):
    """Raise :class:`OutputExists` when writing ``out`` would overwrite ``src`` (never allowed) or an
    existing file (allowed with ``force``)."""
    if os.path.exists(out) and os.path.samefile(src, out) or os.path.abspath(src) == os.path.abspath(out):
        raise OutputExists(f"{out}: is the input {src}; name another output with -o")
    if os.path.exists(out) and not force:
        raise OutputExists(f"{out}: exists (a translation edited by hand?); pass --force to overwrite it")


def translate_file(src, out, force=False, strict=False):
    """Translate one Lua file into ``out``; returns its TODO items (``Todo``: line, message, kind)."""
    check_output(src, out, force)
    with open(src, encoding="utf-8", errors="replace") as f:
        source = f.read()
    result = translate(source, src, strict=strict)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(result.code)
    return result.todos


def plan_tree(src_dir, out_dir):
    """``(lua file, python file)`` for every ``.lua`` file under ``src_dir``, in the same layout under
    ``out_dir`` with every folder and file name mapped to a Python name."""
    plan = []
    for root, dirs, filenames in os.walk(src_dir):
        dirs.sort()
        for filename in sorted(filenames):
            if filename.endswith(".lua"):
                rel = os.path.relpath(os.path.join(root, filename), src_dir)
                plan.append((os.path.join(root, filename), os.path.join(out_dir, python_path(rel))))
    return plan
