"""The shape of automatedparallelization's code: short functions, and reduction objects whose
attributes all come into being in ``__init__`` (import circles: tests/test_import_graph.py)."""
import ast
from pathlib import Path

import torch

from automatedparallelization import reduction

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "automatedparallelization"
MAX_FUNCTION_LINES = 39


def _sources():
    return {path: ast.parse(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_function_is_under_40_lines():
    long = [f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path, tree in _sources().items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


REDUCTIONS = (reduction.BlockingReduction, reduction.OverlapReduction, reduction.SharedMemoryReduction,
              reduction.Passes)


def _self_assignments(function):
    """Attribute names assigned on ``self`` (plain, augmented or annotated) anywhere in ``function``."""
    out = set()
    for node in ast.walk(function):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for t in targets:
            for leaf in ast.walk(t):
                if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) and leaf.value.id == "self":
                    out.add(leaf.attr)
    return out


def test_reduction_attributes_are_created_in_init_only():
    classes = {node.name: node for node in ast.parse(Path(reduction.__file__).read_text()).body
               if isinstance(node, ast.ClassDef)}
    assert {c.__name__ for c in REDUCTIONS} <= set(classes)
    for cls in REDUCTIONS:
        created = set()
        for klass in cls.__mro__[:-1]:               # its own __init__ and those of its bases
            for fn in classes[klass.__name__].body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "__init__":
                    created |= _self_assignments(fn)
        slots = {s for klass in cls.__mro__ for s in getattr(klass, "__slots__", ()) if s != "__weakref__"}
        assert created == slots, (cls.__name__, created ^ slots)
        for klass in cls.__mro__[:-1]:
            for fn in classes[klass.__name__].body:
                if isinstance(fn, ast.FunctionDef) and fn.name != "__init__":
                    assert _self_assignments(fn) <= created, (cls.__name__, fn.name, _self_assignments(fn) - created)


def test_reduction_objects_have_no_dict_and_every_slot_set():
    from automatedparallelization import comm
    world = comm.resolve(None)
    lin = torch.nn.Linear(3, 2)
    groups = [list(lin.parameters())]
    passes = reduction.Passes(lambda: None)
    made = [reduction.BlockingReduction(world, reduction.gradient_buffers(groups, 64), passes),
            reduction.OverlapReduction(world, reduction.gradient_buffers(groups, 64), passes, None),
            reduction.SharedMemoryReduction(world, reduction.gradient_buffers(groups, 64), passes, [None]),
            passes]
    for obj in made:
        assert not hasattr(obj, "__dict__"), type(obj).__name__
        slots = [s for klass in type(obj).__mro__ for s in getattr(klass, "__slots__", ()) if s != "__weakref__"]
        assert all(hasattr(obj, s) for s in slots), (type(obj).__name__, [s for s in slots if not hasattr(obj, s)])
        try:
            obj.later = 1
        except AttributeError:
            pass
        else:
            raise AssertionError(f"{type(obj).__name__} took an attribute after __init__")
    for r in made[:3]:
        r.remove()
