"""Containers: ``nn.Container`` and ``nn.Sequential`` (torch/nn ``Container.lua``, ``Sequential.lua``).

Children are registered as PyTorch submodules named ``'0'``, ``'1'``, ... (as ``torch.nn.Sequential``
does, so ``state_dict`` keys read ``0.weight``); Lua methods take 1-based indices.
Every call on a child goes through the child instance (``m.backward(...)``), so a per-instance
subclass or wrapper of a child (data-parallel synchronisation) is honoured.
"""
import torch

from compat.nn.module import Module


def _check_module(owner, module):
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"{owner.__class__.__name__}: expecting a module (compat.nn.Module), "
                        f"got {type(module).__name__}")


class Container(Module):
    """Lua ``nn.Container``: an ordered list of children (``add``, ``get``, ``size``)."""

    def __bool__(self):          # a Lua table is always true, even with no children
        return True

    def __len__(self):
        return len(self._modules)

    def _children(self):
        return list(self._modules.values())

    def _renumber(self, children):
        self._modules.clear()
        for i, m in enumerate(children):
            self._modules[str(i)] = m

    def add(self, module):
        """Append ``module``; returns ``self`` for chaining (Lua ``add``)."""
        _check_module(self, module)
        self._modules[str(len(self._modules))] = module
        return self

    def get(self, index):
        """The ``index``-th child, 1-based as in Lua (``get(1)`` is the first)."""
        n = len(self._modules)
        if not isinstance(index, int) or not 1 <= index <= n:
            raise IndexError(f"{self.__class__.__name__}.get: expecting a 1-based index in [1, {n}], "
                             f"got {index!r}")
        return self._modules[str(index - 1)]

    def size(self):
        """Number of children (Lua ``size()``)."""
        return len(self._modules)

    def _lua_slots(self):
        slots = []
        for m in self._modules.values():
            if isinstance(m, Module):
                slots.extend(m._lua_slots())
        return slots

    def zeroGradParameters(self):
        for m in self._modules.values():
            m.zeroGradParameters()

    def updateParameters(self, learningRate):
        for m in self._modules.values():
            m.updateParameters(learningRate)


class Sequential(Container):
    """Lua ``nn.Sequential``: output = m_n(...m_2(m_1(input))); backward runs the chain in reverse,
    feeding each child the previous child's ``output`` and the next child's ``gradInput``."""

    def add(self, module):
        super().add(module)
        self.output = module.output
        if len(self._modules) == 1:
            self.gradInput = module.gradInput
        return self

    def insert(self, module, index=None):
        """Insert ``module`` at 1-based position ``index`` (default: the end), as Lua ``insert``."""
        _check_module(self, module)
        children = self._children()
        n = len(children)
        index = n + 1 if index is None else index
        if not isinstance(index, int) or not 1 <= index <= n + 1:
            raise IndexError(f"Sequential.insert: index should be contiguous to existing modules, "
                             f"i.e. in [1, {n + 1}], got {index!r}")
        children.insert(index - 1, module)
        self._renumber(children)
        self.output = children[-1].output
        self.gradInput = children[0].gradInput

    def remove(self, index=None):
        """Remove the child at 1-based position ``index`` (default: the last), as Lua ``remove``."""
        children = self._children()
        n = len(children)
        index = n if index is None else index
        if not isinstance(index, int) or not 1 <= index <= n:
            raise IndexError(f"Sequential.remove: index out of range, expecting [1, {n}], got {index!r}")
        del children[index - 1]
        self._renumber(children)
        if children:
            self.output = children[-1].output
            self.gradInput = children[0].gradInput
        else:
            self.output = torch.empty(0, dtype=torch.get_default_dtype())
            self.gradInput = torch.empty(0, dtype=torch.get_default_dtype())

    def _empty_check(self):
        if not self._modules:
            raise RuntimeError("Sequential: the container has no modules; add some with add()")

    def _rethrow(self, i, fn, *args):
        """``fn(*args)`` for the ``i``-th child (1-based); an error names the child (Lua rethrowErrors)."""
        try:
            return fn(*args)
        except Exception as e:
            self._reraise(i, e)

    def _reraise(self, i, e):
        """Re-raise ``e``, raised by the ``i``-th child (1-based), naming the child. The loops below
        call it from one ``except`` around the whole loop, so a step pays no per-child ``try``."""
        if getattr(e, '_compat_where', False):
            raise e
        if type(e) not in (TypeError, ValueError, RuntimeError, IndexError):
            e.add_note(f"In {i} module of nn.Sequential")
            raise e
        err = type(e)(f"In {i} module of nn.Sequential: {e}")
        err._compat_where = True
        raise err from e

    def updateOutput(self, input):
        self._empty_check()
        out, i = input, 0
        try:
            for m in self._modules.values():
                i += 1
                out = m.updateOutput(out)
        except Exception as e:
            self._reraise(i, e)
        self.output = out
        return out

    def _walk_back(self, method, input, gradOutput, *extra, assign=False):
        mods = list(self._modules.values())
        g = gradOutput
        returns = method in ('updateGradInput', 'backward')
        i = len(mods) - 1
        try:
            for i in range(len(mods) - 1, 0, -1):
                m = mods[i]
                r = getattr(m, method)(mods[i - 1].output, g, *extra)
                g = r if returns else m.gradInput
                if assign:
                    m.gradInput = g
            i = 0
            return getattr(mods[0], method)(input, g, *extra)
        except Exception as e:
            self._reraise(i + 1, e)

    def updateGradInput(self, input, gradOutput):
        self._empty_check()
        self.gradInput = self._walk_back('updateGradInput', input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._empty_check()
        self._walk_back('accGradParameters', input, gradOutput, scale)

    def backward(self, input, gradOutput, scale=1):
        self._empty_check()
        self.gradInput = self._walk_back('backward', input, gradOutput, scale, assign=True)
        return self.gradInput

    def accUpdateGradParameters(self, input, gradOutput, lr):
        self._empty_check()
        self._walk_back('accUpdateGradParameters', input, gradOutput, lr)

    def __tostring__(self):
        mods = list(self._modules.values())
        head = 'nn.Sequential {\n  [input' + ''.join(f' -> ({i})' for i in range(1, len(mods) + 1))
        lines = [head + ' -> output]']
        for i, m in enumerate(mods, 1):
            lines.append(f'  ({i}): ' + repr(m).replace('\n', '\n  '))
        return '\n'.join(lines) + '\n}'
