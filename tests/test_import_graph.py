"""The project's packages import each other without a circle, counting every import statement:
module level, inside functions and methods, and under ``if TYPE_CHECKING``.

The graph is built from the source alone (``ast``), so nothing is imported to build it. A node is a
module of ``compat``, ``automatedparallelization`` or ``torchad_run``; an edge A -> B means A has an
import statement naming B: ``import B``, ``from B import name`` (B, or B.name when that is a module
of its own), relative forms resolved against A's package. Importing a submodule also runs its
packages' ``__init__``; that implicit step is not an edge, since Python lets a package's
``__init__`` import its own submodules. A circle is a set of modules from which each can reach the
others; the test names each with one path around it.
"""
import ast

from tests.conftest import REPO

PACKAGES = ("compat", "automatedparallelization")
SINGLE_MODULES = ("torchad_run",)


def project_modules(root=REPO):
    """{dotted name: source path} of every module of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    for name in SINGLE_MODULES:
        modules[name] = root / f"{name}.py"
    return modules


def _resolve_relative(module, is_package, level, target):
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module, path, known):
    """The project modules that ``module`` (source at ``path``) names in its import statements."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in known:          # import a.b.c names a.b.c; keep what exists
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
        elif isinstance(node, ast.ImportFrom):
            source = (_resolve_relative(module, is_package, node.level, node.module) if node.level
                      else node.module)
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                if candidate in known:                     # from package import submodule
                    found.add(candidate)
                elif source in known:                      # from module import name
                    found.add(source)
    found.discard(module)
    return found


def import_graph(root=REPO):
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph):
    """Strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(start):
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(components)


def path_around(graph, component):
    """One closed path through the first module of ``component`` that stays inside it."""
    inside, start = set(component), component[0]
    previous, frontier = {start: None}, [start]
    while frontier:                                        # breadth first, back to start
        following = []
        for node in frontier:
            for succ in sorted(graph[node] & inside):
                if succ == start:
                    path = [node]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return [start] + path[::-1][1:] + [start] if len(path) > 1 else [start, node, start]
                if succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    raise AssertionError(f"{component} is not a circle")


# ------------------------------------------------------------------------------- the tool itself
def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_function_level_and_relative_imports_are_edges(tmp_path):
    _write(tmp_path, {
        "compat/__init__.py": "",
        "compat/a.py": "def f():\n    from compat import b\n    return b\n",
        "compat/b.py": "from .c import g\n",
        "compat/c.py": "import compat.a as a\ng = 1\n",
        "compat/d.py": "from compat.b import something\nimport os\n",
        "automatedparallelization/__init__.py": "from . import e\n",
        "automatedparallelization/e.py": "from .. import compat\n",
        "torchad_run.py": "import sys\n",
    })
    graph = import_graph(tmp_path)
    assert graph["compat.a"] == {"compat.b"} and graph["compat.b"] == {"compat.c"}
    assert graph["compat.c"] == {"compat.a"} and graph["compat.d"] == {"compat.b"}
    assert graph["automatedparallelization"] == {"automatedparallelization.e"}
    assert graph["torchad_run"] == set()
    component = ["compat.a", "compat.b", "compat.c"]
    assert circles(graph) == [component]
    assert path_around(graph, component) == ["compat.a", "compat.b", "compat.c", "compat.a"]


def test_a_package_importing_its_submodules_is_no_circle(tmp_path):
    _write(tmp_path, {
        "compat/__init__.py": "from compat import nn\n",
        "compat/nn/__init__.py": "from compat.nn.linear import Linear\n",
        "compat/nn/linear.py": "from compat.nn.module import Module\nclass Linear(Module): pass\n",
        "compat/nn/module.py": "class Module: pass\n",
        "automatedparallelization/__init__.py": "",
        "torchad_run.py": "",
    })
    assert circles(import_graph(tmp_path)) == []


def test_a_circle_through_a_package_init_is_found(tmp_path):
    _write(tmp_path, {
        "compat/__init__.py": "",
        "compat/nn/__init__.py": "from compat.nn.linear import Linear\n",
        "compat/nn/linear.py": "def f():\n    from compat.nn import Linear\n",
        "automatedparallelization/__init__.py": "",
        "torchad_run.py": "",
    })
    assert circles(import_graph(tmp_path)) == [["compat.nn", "compat.nn.linear"]]


# ------------------------------------------------------------------------------- the project
def test_the_project_has_no_import_circle():
    graph = import_graph()
    assert "compat.nn.module" in graph and "torchad_run" in graph
    found = circles(graph)
    assert not found, "import circles (function-level imports count):\n" + "\n".join(
        " -> ".join(path_around(graph, component)) + f"   [{len(component)} modules: {', '.join(component)}]"
        for component in found)
