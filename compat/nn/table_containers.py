"""Containers whose input or output is a Lua table (a Python list): ``nn.ConcatTable``,
``nn.ParallelTable`` and ``nn.MapTable`` (torch/nn ``ConcatTable.lua``, ``ParallelTable.lua``,
``MapTable.lua``). The backward walk is :class:`compat.nn.containers.Branches`'."""
import copy

import torch

from compat.nn.containers import Branches, sum_grads
from compat.nn.table_modules import check_table


class ConcatTable(Branches):
    """``nn.ConcatTable()``: every child gets the whole input; output = the list of their outputs.
    gradInput = the sum of the children's gradInputs (element-wise for table inputs)."""

    _t7_fields = ()

    def updateOutput(self, input):
        self.output = [self._rethrow(i, m.updateOutput, input) for i, m in enumerate(self._modules.values(), 1)]
        return self.output

    def _pieces(self, input, gradOutput):
        check_table(self, 'gradOutput', gradOutput, len(self._modules), tensors=False)
        return [(m, input, gradOutput[i]) for i, m in enumerate(self._modules.values())]

    def _combine(self, grads, input):
        return sum_grads(grads)


class ParallelTable(Branches):
    """``nn.ParallelTable()``: child i gets input[i]; output[i] = its output."""

    _t7_fields = ()

    def expected_input(self):
        return f"a table of {len(self._modules)} inputs"

    def updateOutput(self, input):
        check_table(self, 'input', input, len(self._modules), tensors=False)
        self.output = [self._rethrow(i, m.updateOutput, x)
                       for i, (m, x) in enumerate(zip(self._modules.values(), input), 1)]
        return self.output

    def _pieces(self, input, gradOutput):
        check_table(self, 'input', input, len(self._modules), tensors=False)
        check_table(self, 'gradOutput', gradOutput, len(self._modules), tensors=False)
        return list(zip(self._modules.values(), input, gradOutput))

    def _combine(self, grads, input):
        return list(grads)


class MapTable(ParallelTable):
    """``nn.MapTable(module, shared=True)``: apply one module to every entry of the input table.
    The module is cloned once per entry; with ``shared`` the clones share its weights and
    gradients (Lua ``clone('weight', 'bias', 'gradWeight', 'gradBias')``), so ``parameters()``
    lists them once per clone, as in Lua, and ``zeroGradParameters`` / ``updateParameters`` act on
    the module once."""

    _t7_fields = ('shared', 'sharedparams', 'module')

    def __init__(self, module=None, shared=True):
        super().__init__()
        self.shared = True if shared is None else bool(shared)
        self.sharedparams = ['weight', 'bias', 'gradWeight', 'gradBias']
        if module is not None:
            self.add(module)

    @property
    def module(self):
        """The mapped module (Lua ``self.module``): the first child; the others are its clones."""
        return self._modules.get('0')

    def __setattr__(self, name, value):
        if name == 'module':      # a field of .t7 files: the first child, not a second registration
            if value is not None:
                self._modules['0'] = value
            return
        super().__setattr__(name, value)

    def add(self, module):
        if self.module is not None:
            raise ValueError("MapTable: a single module is required; this MapTable already has one")
        return super().add(module)

    def _clone(self):
        if not self.shared:
            return self.module.clone()
        memo = {}
        for m in torch.nn.Module.modules(self.module):
            for name, p in m._parameters.items():
                if p is not None:
                    memo[id(p)] = p
                    g = m._grad(name)
                    memo[id(g)] = g
        return copy.deepcopy(self.module, memo)

    def _extend(self, n):
        for i in range(len(self._modules), n):
            self._modules[str(i)] = self._clone()

    def resize(self, n):
        """Keep clones for ``n`` entries (Lua ``resize``)."""
        self._extend(n)
        for i in range(n, len(self._modules)):
            del self._modules[str(i)]
        return self

    def updateOutput(self, input):
        check_table(self, 'input', input, tensors=False)
        self._extend(len(input))
        mods = list(self._modules.values())
        self.output = [self._rethrow(i, mods[i - 1].updateOutput, x) for i, x in enumerate(input, 1)]
        return self.output

    def _pieces(self, input, gradOutput):
        check_table(self, 'input', input, tensors=False)
        check_table(self, 'gradOutput', gradOutput, len(input), tensors=False)
        self._extend(len(input))
        return list(zip(list(self._modules.values())[:len(input)], input, gradOutput))

    def zeroGradParameters(self):
        if self.module is not None:
            (self.module if self.shared else super()).zeroGradParameters()

    def updateParameters(self, learningRate):
        if self.module is not None:
            if self.shared:
                self.module.updateParameters(learningRate)
            else:
                super().updateParameters(learningRate)

    def clearState(self):
        self.resize(1 if self.module is not None else 0)
        return super().clearState()

    def __tostring__(self):
        if self.module is None:
            return 'nn.MapTable { }'
        return 'nn.MapTable {\n  ' + repr(self.module).replace('\n', '\n        ') + '\n}'
