"""nngraph's graphs of modules: :class:`Node` (what ``module(node)`` returns) and ``nn.gModule``.

Calling a module on nodes builds a graph instead of computing: ``nn.Identity()()`` is an input
node, ``nn.Linear(3, 2)(x)`` a node fed by ``x``, ``nn.CAddTable()({a, b})`` one fed by two.
``gModule(inputs, outputs)`` runs such a graph as one module. The semantics follow torch/nngraph:

- a node's inputs are kept in the order given (``mapindex``); a node has one output, and
  ``node:split(n)`` gives ``n`` nodes selecting the entries of a table output;
- the gModule adds an input node feeding its input nodes (through a split when there are several)
  and an output node collecting the outputs, so ``#forwardnodes`` counts both;
- ``forwardnodes`` (and so ``modules`` and every parameter list) are in the order of a depth-first
  walk from the output node through each node's inputs, in their order, listing a node after its
  inputs; ``backwardnodes`` walk from the input node through the consumers, listing a node after
  its consumers, each consumer list in the breadth-first order of nngraph's graph;
- gradients reaching a node from several consumers are summed in the backward order.
"""
import torch

from compat.nn.containers import Container
from compat.nn.nodes import Node

__all__ = ["gModule"]


def _forward_order(outnode):
    """Depth-first from ``outnode`` through the inputs, each node listed after its inputs."""
    order, seen = [], set()

    def visit(node):
        seen.add(id(node))
        for child in node.inputs:
            if id(child) not in seen:
                visit(child)
        order.append(node)
    visit(outnode)
    return order


def _consumers(outnode):
    """{id(node): [consumers]} in the breadth-first order of nngraph's backward graph."""
    consumers, queue, marked = {}, [outnode], {id(outnode)}
    while queue:
        node = queue.pop(0)
        for child in node.inputs:
            consumers.setdefault(id(child), []).append(node)
            if id(child) not in marked:
                marked.add(id(child))
                queue.append(child)
    return consumers


def _backward_order(innode, consumers):
    order, seen = [], set()

    def visit(node):
        seen.add(id(node))
        for consumer in consumers.get(id(node), []):
            if id(consumer) not in seen:
                visit(consumer)
        order.append(node)
    visit(innode)
    return order


def _add_nested(a, b):
    if isinstance(a, torch.Tensor):
        return a + b
    return [_add_nested(x, y) for x, y in zip(a, b)]


def _clone_nested(a):
    return a.clone() if isinstance(a, torch.Tensor) else [_clone_nested(x) for x in a]


class gModule(Container):  # noqa: N801 (torch/nngraph's name)
    """``nn.gModule(inputs, outputs)``: the graph from the input nodes to the output nodes as one module."""

    def __init__(self, inputs, outputs):
        super().__init__()
        inputs, outputs = list(inputs), list(outputs)
        for what, nodes in (("inputs", inputs), ("outputs", outputs)):
            for i, node in enumerate(nodes, 1):
                if not isinstance(node, Node):
                    raise TypeError(f"nn.gModule: {what}[{i}]: expecting an nngraph node, got {type(node).__name__}")
        if not inputs:
            raise ValueError("nn.gModule: no inputs are not supported")
        innode = Node()
        if len(inputs) == 1:
            inputs[0].add(innode)
        else:
            for node, select in zip(inputs, innode.split(len(inputs))):
                if node.inputs:
                    raise ValueError("nn.gModule: an input node should have no inputs")
                node.add(select)
        self._wire(innode, Node(inputs=outputs), len(inputs))

    def _wire(self, innode, outnode, n_inputs):
        """Set the walks and the modules of the graph from ``innode`` to ``outnode``."""
        self.innode, self.outnode, self.nInputs = innode, outnode, n_inputs
        self.forwardnodes = _forward_order(outnode)
        consumers = _consumers(outnode)
        for node in self.forwardnodes:              # kept on the nodes, so that clones stay whole
            node.consumers = consumers.get(id(node), [])
        self.backwardnodes = _backward_order(innode, consumers)
        if self.forwardnodes[0] is not innode:
            raise ValueError("nn.gModule: every path must start at one of the inputs (a node with no inputs "
                             "that is not among them?)")
        for node in self.forwardnodes:
            if node.data.module is not None:
                self.add(node.data.module)
        self.output = [] if len(outnode.inputs) > 1 else torch.empty(0)
        self.gradInput = torch.empty(0)

    def __tostring__(self):
        return "nn.gModule"

    # ------------------------------------------------------------------ forward
    def updateOutput(self, input):
        if self.nInputs > 1 and not isinstance(input, (list, tuple)):
            raise TypeError(f"nn.gModule: expecting a table of {self.nInputs} inputs, got {type(input).__name__}")
        given = [input] if self.nInputs == 1 else list(input)
        if len(given) != self.nInputs:
            raise ValueError(f"nn.gModule: got {len(given)} inputs instead of {self.nInputs}")
        for node in self.forwardnodes:
            node.data.input = []
        self.innode.data.input = given
        for node in self.forwardnodes:
            self._evaluate(node)
        out = self.outnode.data.input
        self.output = out[0] if len(self.outnode.inputs) == 1 else list(out)
        return self.output

    @staticmethod
    def _node_input(node):
        given = node.data.input
        return given[0] if len(given) == 1 else list(given)

    def _evaluate(self, node):
        if node.data.selectindex is not None:
            output = node.data.input[0][node.data.selectindex - 1]
        else:
            x = self._node_input(node)
            output = x if node.data.module is None else node.data.module.updateOutput(x)
            n = node.data.nSplitOutputs
            if n is not None and len(output) != n:
                raise ValueError(f"split({n}) cannot split {len(output)} outputs")
        for consumer in node.consumers:
            slots = consumer.data.input
            position = consumer.inputs.index(node)
            slots.extend([None] * (position + 1 - len(slots)))
            slots[position] = output

    # ------------------------------------------------------------------ backward
    def updateGradInput(self, input, gradOutput):
        if len(self.outnode.inputs) > 1 and len(gradOutput) != len(self.outnode.inputs):
            raise ValueError(f"nn.gModule: got {len(gradOutput)} gradOutputs instead of {len(self.outnode.inputs)}")
        for node in self.backwardnodes:
            node.data.gradOutput = []
        self.outnode.data.gradOutput = [gradOutput]
        for node in self.backwardnodes:
            self._propagate(node)
        self.gradInput = self.innode.data.gradOutput[0]
        return self.gradInput

    @staticmethod
    def _total(node):
        grads = node.data.gradOutput
        if len(grads) == 1:
            total = grads[0]
        else:
            total = _clone_nested(grads[0])
            for g in grads[1:]:
                total = _add_nested(total, g)
        node.data.gradOutputTotal = total
        return total

    def _propagate(self, node):
        go = self._total(node)
        if node.data.selectindex is not None:
            child = node.inputs[0]
            if not child.data.gradOutput:
                child.data.gradOutput.append([None] * child.data.nSplitOutputs)
            child.data.gradOutput[0][node.data.selectindex - 1] = go
            return
        module = node.data.module
        gradInput = go if module is None else module.updateGradInput(self._node_input(node), go)
        for i, child in enumerate(node.inputs):
            child.data.gradOutput.append(gradInput if len(node.inputs) == 1 else gradInput[i])

    def accGradParameters(self, input, gradOutput, scale=1):
        for node in self.backwardnodes:
            if node.data.module is not None:
                node.data.module.accGradParameters(self._node_input(node), node.data.gradOutputTotal, scale)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        for node in self.backwardnodes:
            if node.data.module is not None:
                node.data.module.accUpdateGradParameters(self._node_input(node), node.data.gradOutputTotal, lr)

