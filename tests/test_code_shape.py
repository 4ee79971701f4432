"""The shape of automatedparallelization's code: short functions, no import circle (function-level
imports included), and reduction objects whose attributes all come into being in ``__init__``."""
import ast
from graphlib import CycleError, TopologicalSorter
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


def _module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node, name, is_package, known):
    """The package modules one import statement (at any depth) of module ``name`` names."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[:len(anchor) - node.level + 1]
            base = ".".join(anchor + ([base] if base else []))
        targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    else:
        return set()
    return {t for t in targets if t in known}


def _graph():
    sources = _sources()
    names = {_module_name(p): (p, tree) for p, tree in sources.items()}
    graph = {}
    for name, (path, tree) in names.items():
        found = set()
        for node in ast.walk(tree):
            found |= _imported(node, name, path.name == "__init__.py", names)
        # a module importing its own package (an ancestor) is no cycle of substance
        graph[name] = {m for m in found if m != name and not name.startswith(m + ".")}
    return graph


def test_no_import_circle_in_the_package_function_level_imports_included():
    graph = _graph()
    assert "automatedparallelization.comm.collectives" in graph["automatedparallelization.comm"]
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError("import circle: " + " -> ".join(exc.args[1])) from None


def test_the_graph_counts_a_function_level_import():
    tree = ast.parse("def f():\n    from automatedparallelization import sync\n")
    node = tree.body[0].body[0]
    known = {"automatedparallelization", "automatedparallelization.sync"}
    assert _imported(node, "automatedparallelization.reduction", False, known) == {"automatedparallelization.sync"}


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
