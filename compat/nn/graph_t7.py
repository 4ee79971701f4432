"""``.t7`` files of ``nn.gModule`` in Torch7's layout (torch/nngraph's objects as Lua writes them).

A gModule's table holds ``modules``, ``innode``, ``outnode``, ``forwardnodes``, ``backwardnodes``,
the graphs ``fg`` and ``bg`` (``graph.Graph`` of ``graph.Edge``), ``nInputs``, ``verbose``, the
training flag and ``output``/``gradInput``. Its nodes are ``nngraph.Node`` objects: ``data`` (the
table a forward node shares with its backward node: ``module``, ``mapindex`` -- the input data
tables in order, each also mapped to its position --, ``reverseMap``, ``annotations``, ``input``,
``gradOutput``, ``forwardNodeId`` and, on split nodes, ``selectindex`` / ``nSplitOutputs``),
``children`` (forward: the consumers; backward: the inputs; each child also mapped to its
position), ``id``, ``visited`` and ``marked``. Torch7 runs a gModule from ``forwardnodes``,
``backwardnodes``, ``innode``, ``outnode``, the nodes' ``children`` and ``data``, which is what the
loader reads back; the per-call buffers (``input``, ``gradOutput``) are written empty.
"""
from compat.nn.graph import gModule
from compat.nn.module import Module
from compat.nn.nodes import Node, Record
from compat.t7.objects import T7Object, T7Table

__all__ = ["load_gmodule", "save_gmodule"]

_NODE_FIELDS = ("selectindex", "nSplitOutputs")


def _with_positions(items):
    """A Lua table holding ``items`` as a sequence and each item mapped to its 1-based position."""
    table = T7Table({i: item for i, item in enumerate(items, 1)})
    table.update({item: i for i, item in enumerate(items, 1)})
    return table


def _graph(edges):
    """A ``graph.Graph`` of ``(from, to)`` pairs of node objects, in order."""
    nodes, edge_objects = [], []
    for a, b in edges:
        edge_objects.append(T7Object("graph.Edge", T7Table({"from": a, "to": b})))
        for n in (a, b):
            if n not in nodes:
                nodes.append(n)
    return T7Object("graph.Graph", T7Table(nodes=_with_positions(nodes), edges=_with_positions(edge_objects)))


def save_gmodule(g):
    """(class name, table) of ``g`` for :func:`compat.t7.register_saver`."""
    order = g.forwardnodes
    datas = {}
    for number, node in enumerate(order, 1):
        d = T7Table(annotations=T7Table(node.data.annotations), input=T7Table(), gradOutput=T7Table(),
                    reverseMap=T7Table(), forwardNodeId=float(number))
        if node.data.module is not None:
            d["module"] = node.data.module
        for field in _NODE_FIELDS:
            if node.data.get(field) is not None:
                d[field] = float(node.data[field])
        datas[id(node)] = d
    for node in order:
        datas[id(node)]["mapindex"] = _with_positions([datas[id(i)] for i in node.inputs])
    fwd = {id(n): T7Object("nngraph.Node", T7Table(data=datas[id(n)], id=float(k), visited=False, marked=False))
           for k, n in enumerate(order, 1)}
    bwd = {id(n): T7Object("nngraph.Node", T7Table(data=datas[id(n)], id=float(k), visited=False, marked=False))
           for k, n in enumerate(g.backwardnodes, 1)}
    for node in order:
        fwd[id(node)].table["children"] = _with_positions([fwd[id(c)] for c in node.consumers])
        bwd[id(node)].table["children"] = _with_positions([bwd[id(i)] for i in node.inputs])
    outnode = T7Object("nngraph.Node", T7Table(bwd[id(g.outnode)].table))
    table = T7Table(
        modules=list(g._modules.values()), innode=fwd[id(g.innode)], outnode=outnode,
        forwardnodes=[fwd[id(n)] for n in order], backwardnodes=[bwd[id(n)] for n in g.backwardnodes],
        fg=_graph([(fwd[id(n)], fwd[id(c)]) for n in order for c in n.consumers]),
        bg=_graph([(bwd[id(n)], bwd[id(i)]) for n in g.backwardnodes for i in n.inputs]),
        nInputs=float(g.nInputs), verbose=False, train=bool(g.training),
    )
    for field in ("output", "gradInput"):
        value = getattr(g, field)
        if value is not None:
            table[field] = value
    return "nn.gModule", table


def _sequence(table):
    """The 1..n part of a Lua table read from a file (a list stays a list)."""
    if isinstance(table, list):
        return table
    items, i = [], 1
    while table is not None and i in table:
        items.append(table[i])
        i += 1
    return items


def _field(obj, name):
    return obj.table.get(name) if isinstance(obj, T7Object) else obj.get(name)


def load_gmodule(table):
    """A working gModule from the table of a Torch7-written (or this module's) ``nn.gModule``."""
    forward = _sequence(table.get("forwardnodes"))
    if not forward:
        raise ValueError("nn.gModule in .t7 file: no forwardnodes")
    nodes = {}
    for obj in forward:
        data = _field(obj, "data")
        fields = {f: int(data[f]) for f in _NODE_FIELDS if data.get(f) is not None}
        node = Node(data.get("module"), **fields)
        node.data.annotations = Record(data.get("annotations") or {})
        nodes[id(data)] = node
    for obj in forward:
        data = _field(obj, "data")
        for source in _sequence(data.get("mapindex")):
            nodes[id(data)].add(nodes[id(source)])
    innode = nodes[id(_field(table["innode"], "data"))]
    outnode = nodes[id(_field(table["outnode"], "data"))]
    g = gModule.__new__(gModule)
    Module.__init__(g)
    g._wire(innode, outnode, int(table.get("nInputs") or len(innode.consumers) or 1))
    g.training = bool(table.get("train", True))
    return g
