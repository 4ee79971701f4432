"""Table modules (torch/nn's "table layers"): modules whose input or output is a Lua table, a
Python list here. ``JoinTable``, ``SplitTable``, ``SelectTable``, ``NarrowTable``, ``FlattenTable``,
``CAddTable``, ``CSubTable``, ``CMulTable``, ``CDivTable``, ``CMaxTable``, ``CMinTable``,
``PairwiseDistance``, ``CosineDistance``, ``DotProduct``, ``MixtureTable``.

``updateOutput`` uses differentiable torch operations (grad mode off on the Lua path, on under
autograd); ``updateGradInput`` computes Torch7's gradient explicitly. Dimensions are 1-based.
"""
import torch

from compat.nn._args import integral
from compat.nn.module import Module, check_tensor, grad_mode


def check_table(module, name, value, n=None, tensors=True):
    """``value`` must be a list (of at least ``n`` tensors when ``tensors``)."""
    cls = type(module).__name__
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{cls}: expecting {name} to be a table (a list), got {type(value).__name__}")
    if n is not None and len(value) < n:
        raise ValueError(f"{cls}: expecting {name} to be a table of at least {n} entries, got {len(value)}")
    if tensors:
        for i, v in enumerate(value, 1):
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"{cls}: expecting {name}[{i}] to be a torch.Tensor, got {type(v).__name__}")


def _as_first(module, input):
    """The inputs viewed in the size of the first: Torch7 combines tensors of the same number of
    elements entry by entry whatever their sizes (the result has the first one's size)."""
    first = input[0]
    if any(x.numel() != first.numel() for x in input):
        raise ValueError(f"{type(module).__name__}: expecting input tensors of one number of elements, got sizes "
                         f"{[tuple(x.shape) for x in input]}")
    return [x if x.shape == first.shape else x.reshape(first.shape) for x in input]


def _zeros_like(x):
    """Zeros shaped as ``x``, recursively for tables (Lua ``zeroTableCopy``/``recursiveFill(0)``)."""
    if isinstance(x, (list, tuple)):
        return [_zeros_like(v) for v in x]
    return torch.zeros_like(x)


def _copy(x):
    if isinstance(x, (list, tuple)):
        return [_copy(v) for v in x]
    return x.clone()


def _positive_dim(module, first):
    """Lua ``_getPositiveDimension``: a negative dimension counts from the end; with ``nInputDims``
    a batch input (one more dimension) shifts it by one. Returns the 0-based dimension."""
    d = module.dimension
    if d < 0:
        d = first.dim() + d + 1
    elif module.nInputDims is not None and first.dim() == module.nInputDims + 1:
        d += 1
    if not 1 <= d <= first.dim():
        raise ValueError(f"{type(module).__name__}: dimension {module.dimension} out of range for an input "
                         f"of size {tuple(first.shape)}")
    return d - 1


class JoinTable(Module):
    """``nn.JoinTable(dimension, nInputDims=None)``: concatenate the input tensors along
    ``dimension``; gradInput[i] = the matching slice of gradOutput."""

    _t7_fields = ('dimension', 'nInputDims', 'size')
    _t7_storages = ('size',)

    def __init__(self, dimension, nInputDims=None):
        super().__init__()
        self.dimension = integral('JoinTable', 'dimension', dimension, None)
        self.nInputDims = integral('JoinTable', 'nInputDims', nInputDims, None, optional=True)
        self.size = torch.empty(0, dtype=torch.long)
        self.gradInput = []

    def updateOutput(self, input):
        check_table(self, 'input', input, 1)
        d = _positive_dim(self, input[0])
        with grad_mode():
            try:
                self.output = torch.cat(list(input), d)
            except RuntimeError as e:
                raise ValueError(f"JoinTable: inputs of sizes {[tuple(x.shape) for x in input]} cannot be joined "
                                 f"along dimension {d + 1}") from e
        self.size = torch.tensor(self.output.shape, dtype=torch.long)
        return self.output

    def updateGradInput(self, input, gradOutput):
        check_table(self, 'input', input, 1)
        d = _positive_dim(self, input[0])
        with torch.no_grad():
            self.gradInput = [g.clone() for g in gradOutput.split([x.shape[d] for x in input], d)]
        return self.gradInput


class SplitTable(Module):
    """``nn.SplitTable(dimension, nInputDims=None)``: the list of slices of the input along
    ``dimension``; gradInput stacks the gradOutput slices back."""

    _t7_fields = ('dimension', 'nInputDims')

    def __init__(self, dimension, nInputDims=None):
        super().__init__()
        self.dimension = integral('SplitTable', 'dimension', dimension, None)
        self.nInputDims = integral('SplitTable', 'nInputDims', nInputDims, None, optional=True)

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        d = _positive_dim(self, input)
        with grad_mode():
            self.output = list(input.unbind(d))
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = _positive_dim(self, input)
        check_table(self, 'gradOutput', gradOutput, input.shape[d])
        with torch.no_grad():
            self.gradInput = torch.stack(list(gradOutput[:input.shape[d]]), d)
        return self.gradInput


def _table_index(module, input, index, what='index'):
    n = len(input)
    i = index + n + 1 if index < 0 else index
    if not 1 <= i <= n:
        raise ValueError(f"{type(module).__name__}: {what} {index} does not exist in an input table of {n} entries")
    return i - 1


class SelectTable(Module):
    """``nn.SelectTable(index)``: output = input[index] (1-based; negative counts from the end);
    gradInput: gradOutput at ``index``, zeros shaped as the other entries."""

    _t7_fields = ('index',)

    def __init__(self, index):
        super().__init__()
        self.index = integral('SelectTable', 'index', index, None)
        self.gradInput = []

    def updateOutput(self, input):
        check_table(self, 'input', input, tensors=False)
        self.output = input[_table_index(self, input, self.index)]
        return self.output

    def updateGradInput(self, input, gradOutput):
        i = _table_index(self, input, self.index)
        with torch.no_grad():
            self.gradInput = [_copy(gradOutput) if k == i else _zeros_like(x) for k, x in enumerate(input)]
        return self.gradInput

    def __tostring__(self):
        return f"nn.SelectTable({self.index})"


class NarrowTable(Module):
    """``nn.NarrowTable(offset, length=1)``: output = input[offset .. offset+length-1] (1-based);
    gradInput: gradOutput on those entries, zeros elsewhere."""

    _t7_fields = ('offset', 'length')

    def __init__(self, offset, length=1):
        super().__init__()
        self.offset = integral('NarrowTable', 'offset', offset)
        self.length = integral('NarrowTable', 'length', length)
        self.output, self.gradInput = [], []

    def _check(self, input):
        check_table(self, 'input', input, self.offset + self.length - 1, tensors=False)

    def updateOutput(self, input):
        self._check(input)
        self.output = list(input[self.offset - 1:self.offset - 1 + self.length])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input)
        lo = self.offset - 1
        with torch.no_grad():
            self.gradInput = [gradOutput[k - lo] if lo <= k < lo + self.length else _zeros_like(x)
                              for k, x in enumerate(input)]
        return self.gradInput


def _flatten(x, out):
    """Append the tensors of nested table ``x`` to ``out``; return the map of their positions."""
    if isinstance(x, (list, tuple)):
        return [_flatten(v, out) for v in x]
    out.append(x)
    return len(out) - 1


def _unflatten(flat, input_map):
    if isinstance(input_map, list):
        return [_unflatten(flat, m) for m in input_map]
    return flat[input_map]


class FlattenTable(Module):
    """``nn.FlattenTable()``: a nested table of tensors -> the flat list of its tensors, depth first;
    gradInput has the nesting of the input."""

    _t7_fields = ()

    def __init__(self):
        super().__init__()
        self.output, self.gradInput, self.input_map = [], [], []

    def updateOutput(self, input):
        check_table(self, 'input', input, tensors=False)
        self.output = []
        self.input_map = _flatten(input, self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        check_table(self, 'input', input, tensors=False)
        flat = []
        self.input_map = _flatten(input, flat)
        check_table(self, 'gradOutput', gradOutput, len(flat))
        self.gradInput = _unflatten(gradOutput, self.input_map)
        return self.gradInput


class _Elementwise(Module):
    """Base of the table modules combining same-sized tensors entry by entry."""

    _t7_fields = ()
    _min_inputs = 1

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def expected_input(self):
        return f"a table of at least {self._min_inputs} tensors of one number of elements"

    def _check(self, input):
        check_table(self, 'input', input, self._min_inputs)
        return _as_first(self, input)

    def updateOutput(self, input):
        xs = self._check(input)
        with grad_mode():
            self.output = self._combine(xs)
        return self.output

    def updateGradInput(self, input, gradOutput):
        xs = self._check(input)
        check_tensor(self, 'gradOutput', gradOutput)
        with torch.no_grad():
            g = gradOutput if gradOutput.shape == xs[0].shape else gradOutput.reshape(xs[0].shape)
            grads = self._grads(xs, g)
            self.gradInput = [g if g.shape == x.shape else g.reshape(x.shape) for g, x in zip(grads, input)]
        return self.gradInput


class CAddTable(_Elementwise):
    """``nn.CAddTable(inplace=False)``: output = sum of the inputs; gradInput[i] = gradOutput. With
    ``inplace`` the Lua path sums into input[1] (output is input[1]) and every gradInput is gradOutput
    itself, as Lua."""

    _t7_fields = ('inplace',)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def _combine(self, input):
        if self.inplace and not torch.is_grad_enabled():   # Lua path: the sum lands in input[1]
            out = input[0]
            for x in input[1:]:
                out.add_(x)
            return out
        out = input[0] + input[1] if len(input) > 1 else input[0].clone()
        for x in input[2:]:
            out = out + x
        return out

    def _grads(self, input, gradOutput):
        return [gradOutput if self.inplace else gradOutput.clone() for _ in input]


class CSubTable(_Elementwise):
    """``nn.CSubTable()``: output = input[1] - input[2]."""

    _t7_fields = ()

    _min_inputs = 2

    def _combine(self, input):
        return input[0] - input[1]

    def _grads(self, input, gradOutput):
        return [gradOutput.clone(), -gradOutput]


class CMulTable(_Elementwise):
    """``nn.CMulTable()``: output = product of the inputs; gradInput[i] = gradOutput times the
    product of the other inputs (no division, so zeros are fine)."""

    _t7_fields = ()

    def _combine(self, input):
        out = input[0]
        for x in input[1:]:
            out = out * x
        return out if len(input) > 1 else out.clone()

    def _grads(self, input, gradOutput):
        grads = []
        for i in range(len(input)):
            g = gradOutput.clone()
            for j, x in enumerate(input):
                if j != i:
                    g.mul_(x)
            grads.append(g)
        return grads


class CDivTable(_Elementwise):
    """``nn.CDivTable()``: output = input[1] / input[2]."""

    _t7_fields = ()

    _min_inputs = 2

    def _combine(self, input):
        return input[0] / input[1]

    def _grads(self, input, gradOutput):
        g1 = gradOutput / input[1]
        return [g1, -g1 * input[0] / input[1]]


class CMaxTable(_Elementwise):
    """``nn.CMaxTable()``: element-wise maximum of the inputs; the gradient goes to the input that
    holds it (the first one on ties, as Lua's strict comparison)."""

    _t7_fields = ()

    _better = staticmethod(torch.gt)

    def _combine(self, input):
        out = input[0]
        idx = torch.zeros(out.shape, dtype=torch.long, device=out.device)
        for i, x in enumerate(input[1:], 1):
            mask = self._better(x, out)
            out = torch.where(mask, x, out)
            idx.masked_fill_(mask, i)
        self._index = idx
        return out if len(input) > 1 else out.clone()

    def _grads(self, input, gradOutput):
        if getattr(self, '_index', None) is None or self._index.shape != gradOutput.shape:
            with torch.no_grad():
                self._combine(input)
        zero = gradOutput.new_zeros(())
        return [torch.where(self._index == i, gradOutput, zero) for i in range(len(input))]


class CMinTable(CMaxTable):
    """``nn.CMinTable()``: element-wise minimum of the inputs (gradient as CMaxTable)."""

    _t7_fields = ()

    _better = staticmethod(torch.lt)


def pair_of_tensors(module, input):
    check_table(module, 'input', input, 2)
    a, b = input[0], input[1]
    if a.dim() not in (1, 2) or a.shape != b.shape:
        raise ValueError(f"{type(module).__name__}: expecting two vectors or two nframe x n matrices of one size, "
                         f"got sizes {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


class _Pair(Module):
    """Base of the modules of a pair of vectors or of nframe x n matrices (see :func:`pair_of_tensors`)."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def expected_input(self):
        return "a table of two vectors or two nframe x n matrices"


class PairwiseDistance(_Pair):
    """``nn.PairwiseDistance(p=2)``: the p-norm of input[1] - input[2], per row for matrices.

    gradInput follows Torch7: for p=1 the sign of the difference (0 where equal, where Lua draws a
    random sign); otherwise diff * |diff|^(p-2) (the power only for p > 2, as Lua) divided by
    (dist + 1e-6)^(p-1), times gradOutput; gradInput[2] = -gradInput[1]."""

    _t7_fields = ('norm',)

    def __init__(self, p=2):
        super().__init__()
        self.norm = p

    def updateOutput(self, input):
        a, b = pair_of_tensors(self, input)
        with grad_mode():
            d = (a - b).abs().pow(self.norm)
            self.output = d.sum(-1, keepdim=a.dim() == 1).pow(1.0 / self.norm)
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b = pair_of_tensors(self, input)
        p = self.norm
        with torch.no_grad():
            diff = a - b
            if p == 1:
                g = diff.sign()
            else:
                g = diff * diff.abs().pow(p - 2) if p > 2 else diff.clone()
                g.mul_((self.output.unsqueeze(-1) if a.dim() == 2 else self.output) .add(1e-6).pow(-(p - 1)))
            g.mul_(gradOutput.unsqueeze(-1) if a.dim() == 2 else gradOutput[0])
            self.gradInput = [g, -g]
        return self.gradInput


class CosineDistance(_Pair):
    """``nn.CosineDistance()``: cos(input[1], input[2]) per row, with 1e-12 added to each squared
    norm as Torch7 does; a vector pair gives a 1-element output."""

    _t7_fields = ()

    @staticmethod
    def _terms(a, b):
        dot = (a * b).sum(1, keepdim=True)
        inv1 = 1.0 / ((a * a).sum(1, keepdim=True) + 1e-12)
        inv2 = 1.0 / ((b * b).sum(1, keepdim=True) + 1e-12)
        return dot, inv1, inv2, (inv1 * inv2).sqrt()

    def updateOutput(self, input):
        a, b = pair_of_tensors(self, input)
        with grad_mode():
            a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
            dot, _, _, w = self._terms(a2, b2)
            self.output = (dot * w).reshape(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b = pair_of_tensors(self, input)
        with torch.no_grad():
            a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
            dot, inv1, inv2, w = self._terms(a2, b2)
            go = gradOutput.reshape(-1, 1)
            g1 = (b2 - dot * inv1 * a2) * w * go
            g2 = (a2 - dot * inv2 * b2) * w * go
            self.gradInput = [g1.view_as(a), g2.view_as(b)]
        return self.gradInput


class DotProduct(_Pair):
    """``nn.DotProduct()``: the dot product of input[1] and input[2] per row (a vector pair gives a
    1-element output); gradInput = (input[2] * gradOutput, input[1] * gradOutput)."""

    _t7_fields = ()

    def updateOutput(self, input):
        a, b = pair_of_tensors(self, input)
        with grad_mode():
            self.output = (a * b).sum(-1).reshape(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b = pair_of_tensors(self, input)
        with torch.no_grad():
            go = gradOutput.reshape(-1, 1) if a.dim() == 2 else gradOutput.reshape(())
            self.gradInput = [b * go, a * go]
        return self.gradInput


class MixtureTable(Module):
    """``nn.MixtureTable(dim)``: input {gater, experts}: output = sum_i gater[i] * expert_i, the experts
    a table or a tensor holding them along ``dim`` (default 2 for a batch, 1 for one sample)."""

    _t7_fields = ('dim', 'dimG', 'table', 'batchSize')

    def __init__(self, dim=None):
        super().__init__()
        self.dim = integral('MixtureTable', 'dim', dim, optional=True)
        self.gradInput = []

    def expected_input(self):
        return "a table {gater (nframe x n), experts (a table of n tensors or one tensor)}"

    def _prepare(self, input):
        check_table(self, 'input', input, 2, tensors=False)
        gater, experts = input[0], input[1]
        check_tensor(self, 'input[1] (the gater)', gater, (1, 2))
        self.dimG = 1 if gater.dim() < 2 else 2
        dim = self.dim if self.dim is not None else self.dimG
        self.table = isinstance(experts, (list, tuple))
        n = gater.shape[self.dimG - 1]
        if self.table:
            check_table(self, 'input[2] (the experts)', experts, n)
            experts = torch.stack(list(experts[:n]), dim - 1)
        else:
            check_tensor(self, 'input[2] (the experts)', experts)
        if experts.dim() < dim or experts.shape[dim - 1] != n:
            raise ValueError(f"MixtureTable: expecting one gater output per expert: {n} experts in dimension "
                             f"{dim}, got experts of size {tuple(experts.shape)}")
        size = [1] * experts.dim()
        if self.dimG > 1:
            size[0] = gater.shape[0]
        size[dim - 1] = n
        self.batchSize = gater.shape[0] if self.dimG > 1 else 1
        return gater.reshape(size), experts, dim - 1

    def updateOutput(self, input):
        with grad_mode():
            gate, experts, d = self._prepare(input)
            self.output = (gate * experts).sum(d)
        return self.output

    def updateGradInput(self, input, gradOutput):
        with torch.no_grad():
            gate, experts, d = self._prepare(input)
            go = gradOutput.unsqueeze(d)
            keep = {d} | ({0} if self.dimG > 1 else set())
            dims = [k for k in range(experts.dim()) if k not in keep]
            g_gate = (go * experts).sum(dims, keepdim=True) if dims else go * experts
            g_experts = gate * go
            g_experts = list(g_experts.unbind(d)) if self.table else g_experts.expand_as(experts).clone()
            self.gradInput = [g_gate.reshape(input[0].shape), g_experts]
        return self.gradInput
