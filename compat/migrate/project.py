"""Translating a file or a project folder: output names (``my-model.lua`` -> ``my_model.py``), the
files a ``require``/``dofile`` of a local module points to, and the per-file summary on stderr."""
import os
import sys

from compat.migrate.translator import LuaSyntaxError, translate


def python_module_name(stem):
    """A valid Python module name for a Lua file name (``sgd-cifar`` -> ``sgd_cifar``)."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return "_" + name if not name or name[0].isdigit() else name


def module_path(module, which):
    """The translated file, relative to the translated script, of ``require 'a.b'`` (``a/b.py``) or
    ``dofile('x-y.lua')`` (``x_y.py``)."""
    if which == "dofile":
        head, tail = os.path.split(module)
        stem = tail.removesuffix(".lua")
        return os.path.join(head, python_module_name(stem) + ".py")
    parts = module.split(".")
    return os.path.join(*[python_module_name(p) for p in parts]) + ".py"


def translate_file(src, out, stderr=sys.stderr):
    """Translate one file; returns the number of TODO items (summarised one per line on stderr)."""
    with open(src, encoding="utf-8", errors="replace") as f:
        source = f.read()
    result = translate(source, src)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(result.code)
    for todo in result.todos:
        print(f"{src}:{todo.line}: TODO(migrate): {todo.message}", file=stderr)
    return len(result.todos)


def translate_tree(src_dir, out_dir, stderr=sys.stderr):
    """Translate every ``.lua`` file under ``src_dir`` into ``out_dir`` (same layout, Python names).
    Returns (files translated, TODO items, files with syntax errors)."""
    files = todos = failed = 0
    for root, dirs, filenames in os.walk(src_dir):
        dirs.sort()
        for filename in sorted(filenames):
            if not filename.endswith(".lua"):
                continue
            rel = os.path.relpath(root, src_dir)
            target_dir = os.path.join(out_dir, *[python_module_name(p) for p in rel.split(os.sep) if p != "."])
            out = os.path.join(target_dir, python_module_name(filename[:-4]) + ".py")
            try:
                todos += translate_file(os.path.join(root, filename), out, stderr)
                files += 1
            except LuaSyntaxError as error:
                print(error, file=stderr)
                failed += 1
    return files, todos, failed
