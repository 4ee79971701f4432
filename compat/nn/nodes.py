"""The nodes of nngraph's syntax: calling a ``compat.nn`` module on nodes (``nn.Linear(3, 2)(x)``),
or on nothing (``nn.Identity()()``), gives a :class:`Node` instead of computing (see
:mod:`compat.nn.graph` for the graphs they make)."""
from compat.t7.objects import T7Table

__all__ = ["Node", "graph_node", "is_graph_call"]


class Record(T7Table):
    """A node's ``data`` and ``annotations`` tables: a missing field reads as nil (None), as in Lua."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


class Node:
    """A node of a module graph: ``data.module`` (or none: input, output and split nodes),
    ``data.annotations`` (``node:annotate{name=...}``), ``inputs`` (the nodes it reads, in order)."""

    def __init__(self, module=None, inputs=(), **fields):
        self.data = Record(module=module, annotations=Record(), input=[], gradOutput=[], **fields)
        self.inputs = []
        self.consumers = []        # set by the gModule that runs this node
        for node in inputs:
            self.add(node)

    def add(self, node):
        if not isinstance(node, Node):
            raise TypeError(f"nngraph: expecting a node as input, got {type(node).__name__} (a module is called "
                            f"on nodes: module(node) or module({{node1, node2}}); an input node is nn.Identity()())")
        if node in self.inputs:
            raise ValueError("nngraph: do not pass the same input twice to one node")
        self.inputs.append(node)

    def split(self, noutput):
        """``n`` nodes selecting the entries 1..n of this node's table output."""
        noutput = int(noutput)
        if noutput < 1:
            raise ValueError(f"split: expecting a number of outputs >= 1, got {noutput}")
        mnode = Node(inputs=[self], nSplitOutputs=noutput)
        selects = tuple(Node(inputs=[mnode], selectindex=i) for i in range(1, noutput + 1))
        return selects if noutput > 1 else selects[0]

    def annotate(self, annotations):
        """Add ``annotations`` (a table: name, description, graphAttributes) to this node; returns it."""
        self.data.annotations.update(annotations)
        return self

    def __sub__(self, module):            # nngraph's chaining: x - nn.Linear(2, 2) - nn.Tanh()
        return module(self)

    def __repr__(self):
        name = self.data.annotations.get("name")
        module = self.data.module
        return f"nngraph.Node({name or (module.__tostring__().split(chr(10))[0] if module is not None else '')})"


def is_graph_call(args):
    """True when a module is called as nngraph's node syntax: no argument, a node, or a table of nodes."""
    if not args:
        return True
    if len(args) != 1:
        return False
    arg = args[0]
    if isinstance(arg, Node):
        return True
    return isinstance(arg, (list, tuple)) and len(arg) > 0 and all(isinstance(a, Node) for a in arg)


def graph_node(module, args):
    """The node of ``module(args...)`` in the node syntax (see :func:`is_graph_call`)."""
    inputs = [] if not args else (list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]])
    return Node(module, inputs)
