"""Containers (torch/nn ``Container.lua``, ``Sequential.lua``, ``Concat.lua``, ``DepthConcat.lua``,
``Parallel.lua``, ``Decorator.lua``, ``Bottle.lua``): ``nn.Container``, ``nn.Sequential``, the
tensor-concatenating branches ``nn.Concat``/``nn.DepthConcat``/``nn.Parallel`` on the common
:class:`Branches` walk (the table ones are in :mod:`compat.nn.table_containers`), and
``nn.Decorator``/``nn.Bottle``.

Children are registered as PyTorch submodules named ``'0'``, ``'1'``, ... (as ``torch.nn.Sequential``
does, so ``state_dict`` keys read ``0.weight``); Lua methods take 1-based indices.
Every call on a child goes through the child instance (``m.backward(...)``), so a per-instance
subclass or wrapper of a child (data-parallel synchronisation) is honoured.
"""
import torch

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor, grad_mode, no_grad, without_grad

_is_grad_enabled = torch.is_grad_enabled


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

    def _shared_children(self):
        return self._children()

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

    def reset(self, stdv=None):
        """Lua ``Container:reset(stdv)``: reset every child; returns self."""
        for m in self._modules.values():
            m.reset(stdv)
        return self

    def _rethrow(self, i, fn, *args):
        """Call ``fn(*args)`` for child ``i`` (1-based); an error names the child (see ``_reraise``)."""
        try:
            return fn(*args)
        except Exception as e:
            self._reraise(i, e)

    def _reraise(self, i, e):
        """Re-raise ``e``, raised by child ``i`` (1-based), naming the child and this container, as
        Lua's ``rethrowErrors`` does (only the innermost container adds its name). Sequential's loops
        call it from one ``except`` around the whole loop, so a step pays no per-child ``try``."""
        where = f"In {i} module of nn.{type(self).__name__}"
        if getattr(e, '_compat_where', False):
            raise e
        if type(e) not in (TypeError, ValueError, RuntimeError, IndexError):
            e.add_note(where)
            raise e
        err = type(e)(f"{where}: {e}")
        err._compat_where = True
        raise err from e

    def _branches_tostring(self):
        """torch/nn's tree of Concat, ConcatTable, Parallel, ParallelTable (one branch per child)."""
        mods = list(self._modules.values())
        lines = ['nn.' + type(self).__name__ + ' {', '  input']
        for i, m in enumerate(mods, 1):
            last = i == len(mods)
            head, cont = ('   `-> ', '       ') if last else ('  |`-> ', '  |    ')
            lines.append(f'  {head}({i}): ' + repr(m).replace('\n', '\n  ' + cont))
        return '\n'.join(lines + ['     ... -> output', '}'])

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

    def updateOutput(self, input):
        self._empty_check()
        if _is_grad_enabled() and not autograd_active():   # the Lua path: grad mode off once for all children
            return without_grad(Sequential.updateOutput, self, input)
        out, i = input, 0
        try:
            for m in self._modules.values():
                i += 1
                out = m.updateOutput(out)
        except Exception as e:
            self._reraise(i, e)
        self.__dict__['output'] = out
        return out

    def _walk_back(self, method, input, gradOutput, *extra, assign=False):
        if _is_grad_enabled():          # the Lua path: grad mode off once for all children
            with no_grad():
                return self._walk_back(method, input, gradOutput, *extra, assign=assign)
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


def sum_grads(grads):
    """Sum gradients that are tensors or (nested) lists of tensors, into new tensors (Lua: copy the
    first, add the others); a child without gradInput (None) is skipped."""
    grads = [g for g in grads if g is not None]
    if not grads:
        return None
    if isinstance(grads[0], (list, tuple)):
        return [sum_grads([g[k] for g in grads if k < len(g)]) for k in range(max(len(g) for g in grads))]
    out = grads[0].clone()
    for g in grads[1:]:
        out.add_(g)
    return out


class Branches(Container):
    """Base of the containers that feed each child its own piece of the input (Concat, Parallel,
    ConcatTable, ParallelTable, MapTable): a subclass says how the pieces are cut
    (``_pieces(input, gradOutput)`` -> (child, its input, its gradOutput) per child) and how the
    children's gradInputs combine (``_combine(grads, input)``); the four backward methods of the Lua
    contract are the same walk over the pieces."""

    def _pieces(self, input, gradOutput):
        raise NotImplementedError

    def _combine(self, grads, input):
        raise NotImplementedError

    def _walk(self, method, input, gradOutput, *extra):
        grads = [self._rethrow(i, getattr(m, method), x, g, *extra)
                 for i, (m, x, g) in enumerate(self._pieces(input, gradOutput), 1)]
        if method in ('updateGradInput', 'backward'):
            with torch.no_grad():
                self.gradInput = self._combine(grads, input)
            return self.gradInput

    def updateGradInput(self, input, gradOutput):
        return self._walk('updateGradInput', input, gradOutput)

    def accGradParameters(self, input, gradOutput, scale=1):
        self._walk('accGradParameters', input, gradOutput, scale)

    def backward(self, input, gradOutput, scale=1):
        return self._walk('backward', input, gradOutput, scale)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        self._walk('accUpdateGradParameters', input, gradOutput, lr)

    def __tostring__(self):
        return self._branches_tostring()


class Concat(Branches):
    """``nn.Concat(dimension)``: every child gets the whole input; the outputs are concatenated
    along ``dimension`` (1-based, no batch shift). gradInput = sum over children of their gradInput
    for their slice of gradOutput."""

    _t7_fields = ('dimension', 'outputSize')
    _t7_storages = ('outputSize',)      # LongStorage fields in Lua (written as storages)

    def __init__(self, dimension):
        super().__init__()
        self.dimension = integral('Concat', 'dimension', dimension)
        self.outputSize = torch.empty(0, dtype=torch.long)

    def _dim(self, t):
        if not 1 <= self.dimension <= t.dim():
            raise ValueError(f"{type(self).__name__}: dimension {self.dimension} out of range for a child "
                             f"output of size {tuple(t.shape)}")
        return self.dimension - 1

    def _outputs(self, input):
        if not self._modules:
            raise RuntimeError(f"{type(self).__name__}: the container has no modules; add some with add()")
        return [self._rethrow(i, m.updateOutput, input) for i, m in enumerate(self._modules.values(), 1)]

    def updateOutput(self, input):
        outs = self._outputs(input)
        d = self._dim(outs[0])
        with grad_mode():
            try:
                self.output = torch.cat(outs, d)
            except RuntimeError as e:
                raise ValueError(f"{type(self).__name__}: child outputs of sizes "
                                 f"{[tuple(o.shape) for o in outs]} cannot be concatenated along "
                                 f"dimension {self.dimension}") from e
        self.outputSize = torch.tensor(self.output.shape, dtype=torch.long)
        return self.output

    def _window(self, gradOutput, child_output, offset):
        return gradOutput.narrow(self.dimension - 1, offset, child_output.shape[self.dimension - 1])

    def _pieces(self, input, gradOutput):
        offset, pieces = 0, []
        for m in self._modules.values():
            pieces.append((m, input, self._window(gradOutput, m.output, offset)))
            offset += m.output.shape[self.dimension - 1]
        return pieces

    def _combine(self, grads, input):
        return sum_grads(grads)


class DepthConcat(Concat):
    """``nn.DepthConcat(dimension)``: Concat where the other dimensions of the child outputs may
    differ: the output takes the largest size and each child's output sits centred in it (start
    ``floor((max - size) / 2)``), zero elsewhere (GoogLeNet's depth concatenation)."""

    _t7_fields = ('dimension', 'outputSize')

    def _spans(self, child_output):
        """(start, size) of a child's window in every dimension but the concatenation one."""
        full = self.outputSize.tolist()
        return [(d, (full[d] - s) // 2, s) for d, s in enumerate(child_output.shape)
                if d != self.dimension - 1 and s != full[d]]

    def updateOutput(self, input):
        outs = self._outputs(input)
        d = self._dim(outs[0])
        size = list(outs[0].shape)
        for o in outs[1:]:
            if o.dim() != len(size):
                raise ValueError(f"DepthConcat: child outputs of sizes {[tuple(x.shape) for x in outs]} "
                                 f"differ in their number of dimensions")
            size = [a + b if k == d else max(a, b) for k, (a, b) in enumerate(zip(size, o.shape))]
        self.outputSize = torch.tensor(size, dtype=torch.long)
        with grad_mode():
            padded = []
            for o in outs:
                pad = []
                for k in range(o.dim() - 1, -1, -1):      # F.pad lists the last dimension first
                    extra = 0 if k == d else size[k] - o.shape[k]
                    pad += [extra // 2, extra - extra // 2]
                padded.append(torch.nn.functional.pad(o, pad) if any(pad) else o)
            self.output = torch.cat(padded, d)
        return self.output

    def _window(self, gradOutput, child_output, offset):
        w = super()._window(gradOutput, child_output, offset)
        for d, start, s in self._spans(child_output):
            w = w.narrow(d, start, s)
        return w


class Parallel(Branches):
    """``nn.Parallel(inputDimension, outputDimension)``: child i gets the i-th slice of the input
    along ``inputDimension``; the outputs are concatenated along ``outputDimension`` (1-based)."""

    _t7_fields = ('inputDimension', 'outputDimension', 'totalOutputSize')
    _t7_storages = ('totalOutputSize',)

    def __init__(self, inputDimension, outputDimension):
        super().__init__()
        self.inputDimension = integral('Parallel', 'inputDimension', inputDimension)
        self.outputDimension = integral('Parallel', 'outputDimension', outputDimension)

    def _check(self, input):
        """The modules used: one per slice of the input (Lua ignores extra modules)."""
        check_tensor(self, 'input', input)
        n = len(self._modules)
        if input.dim() < self.inputDimension or input.shape[self.inputDimension - 1] > n:
            raise ValueError(f"Parallel: expecting input of size at most {n} (one slice per module) in dimension "
                             f"{self.inputDimension}, got size {tuple(input.shape)}")
        return list(self._modules.values())[:input.shape[self.inputDimension - 1]]

    def expected_input(self):
        return f"a tensor with one slice per module in dimension {self.inputDimension}"

    def updateOutput(self, input):
        outs = [self._rethrow(i, m.updateOutput, input.select(self.inputDimension - 1, i - 1))
                for i, m in enumerate(self._check(input), 1)]
        with grad_mode():
            self.output = torch.cat(outs, self.outputDimension - 1)
        self.totalOutputSize = torch.tensor(self.output.shape, dtype=torch.long)
        return self.output

    def _pieces(self, input, gradOutput):
        offset, pieces, d = 0, [], self.outputDimension - 1
        for i, m in enumerate(self._check(input)):
            size = m.output.shape[d]
            pieces.append((m, input.select(self.inputDimension - 1, i), gradOutput.narrow(d, offset, size)))
            offset += size
        return pieces

    def _combine(self, grads, input):
        return torch.stack(grads, self.inputDimension - 1)


class Decorator(Container):
    """``nn.Decorator(module)``: forwards every call to its one child (a base for decorators)."""

    _t7_fields = ()

    def __init__(self, module):
        super().__init__()
        self.add(module)

    def updateOutput(self, input):
        self.output = self.get(1).updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.get(1).updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.get(1).accGradParameters(input, gradOutput, scale)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        self.get(1).accUpdateGradParameters(input, gradOutput, lr)

    def __tostring__(self):
        return f"nn.{type(self).__name__} @ {self.get(1)!r}"


class Bottle(Decorator):
    """``nn.Bottle(module, nInputDim=2, nOutputDim=nInputDim)``: apply a module written for
    ``nInputDim``-D input to a bigger input by folding the leading dimensions into its first one
    (``B x T x n`` -> ``(B*T) x n``), then unfolding its output likewise."""

    _t7_fields = ('nInputDim', 'nOutputDim', 'dimDelta', 'inShape', 'outShape')

    def __init__(self, module, nInputDim=2, nOutputDim=None):
        super().__init__(module)
        self.nInputDim = integral('Bottle', 'nInputDim', nInputDim)
        self.nOutputDim = integral('Bottle', 'nOutputDim', nOutputDim, optional=True) or self.nInputDim
        self.dimDelta = self.nInputDim - self.nOutputDim
        self.inShape = torch.zeros(self.nInputDim, dtype=torch.get_default_dtype())
        self.outShape = torch.zeros(self.nOutputDim, dtype=torch.get_default_dtype())

    def expected_input(self):
        return f"a tensor of at least {self.nInputDim} dimensions"

    def _folded(self, input):
        check_tensor(self, 'input', input)
        if input.dim() < self.nInputDim:
            raise ValueError(f"Bottle: expecting an input of at least {self.nInputDim} dimensions, got size "
                             f"{tuple(input.shape)}")
        lead = input.dim() - self.nInputDim     # dimensions folded into the first one of the module
        return lead, input.reshape((-1,) + tuple(input.shape[lead + 1:])) if lead else input

    def updateOutput(self, input):
        lead, x = self._folded(input)
        out = self.get(1).updateOutput(x)
        if out.dim() != self.nOutputDim:
            raise ValueError(f"Bottle: wrong number of output dims on module: expected {self.nOutputDim}, "
                             f"got {out.dim()}")
        self.inShape = torch.tensor(x.shape, dtype=self.inShape.dtype)
        self.outShape = torch.tensor(out.shape, dtype=self.outShape.dtype)
        self.output = out.reshape(tuple(input.shape[:lead]) + (-1,) + tuple(out.shape[1:])) if lead else out
        return self.output

    def _inner(self, input, gradOutput):
        lead, x = self._folded(input)
        return lead, x, (gradOutput.reshape((-1,) + tuple(gradOutput.shape[lead + 1:])) if lead else gradOutput)

    def updateGradInput(self, input, gradOutput):
        _, x, g = self._inner(input, gradOutput)
        gi = self.get(1).updateGradInput(x, g)
        self.gradInput = gi.view_as(input) if gi is not None else None
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        _, x, g = self._inner(input, gradOutput)
        self.get(1).accGradParameters(x, g, scale)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        _, x, g = self._inner(input, gradOutput)
        self.get(1).accUpdateGradParameters(x, g, lr)
