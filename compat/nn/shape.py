"""Shape modules (torch/nn): ``Identity``, ``View``, ``Reshape``, ``Dropout``, ``Narrow``, ``Select``,
``Transpose``, ``Replicate``, ``Squeeze``, ``Unsqueeze``, ``Padding``, ``Contiguous``, ``Copy``, ``Index``.

View/Reshape return views of their input (as Lua); a gradInput is gradOutput viewed as the input.
"""
import torch

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor, no_grad
from compat.torch_random import bernoulli_


class Identity(Module):
    """output = input; gradInput = gradOutput (the same tensors)."""

    def updateOutput(self, input):
        self.output = input
        return input

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        return gradOutput


def parse_sizes(owner, args, minimum=None):
    """Constructor sizes given as numbers (integral floats too, as Lua) or as one list /
    ``torch.Size`` / LongStorage tensor; a tuple of ints, each >= ``minimum`` when given."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size, torch.Tensor)):
        args = tuple(args[0].tolist() if isinstance(args[0], torch.Tensor) else args[0])
    return tuple(integral(owner, 'size', s, minimum=minimum) for s in args)


_Tensor = torch.Tensor


def _view(t, shape):
    try:
        # sizes as separate arguments: PyTorch parses them faster than one tuple or torch.Size
        return t.view(*shape) if shape else t.view(shape)
    except RuntimeError:       # non-contiguous input: Lua would copy (Reshape) or fail (View)
        return t.reshape(shape)


class _NumInputDims:
    """``setNumInputDims(n)``: the input dimensions beyond the last ``n`` are batch dimensions."""

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self


class _Reshaping(Module):
    """A module whose output holds the input's elements in another shape: gradInput is
    gradOutput viewed as the input."""

    def updateGradInput(self, input, gradOutput):
        self.gradInput = _view(gradOutput, input.shape)
        return self.gradInput


class View(_NumInputDims, _Reshaping):
    """``nn.View(sizes...)``: view the input as ``sizes`` (one may be -1), with a leading batch
    dimension when the input holds a multiple of ``numElements`` (Lua ``batchsize`` rule: the extra
    elements, and every dimension beyond ``numInputDims`` if set, form the batch)."""

    def __init__(self, *sizes):
        super().__init__()
        self.resetSize(*sizes)
        self.numInputDims = None

    def resetSize(self, *sizes):
        self.size = parse_sizes('View', sizes)
        n, infer = 1, False
        for s in self.size:
            if s >= 0:
                n *= s
            elif s != -1 or infer:
                raise ValueError(f"View: sizes should be positive, with at most one -1, got {self.size}")
            else:
                infer = True
        self.numElements = n
        return self

    def expected_input(self):
        return f"a tensor of {self.numElements} elements per sample (view {self.size})"

    def _batchsize(self, input):
        isz = input.shape
        ind = input.dim()
        maxdim = self.numInputDims if self.numInputDims else ind
        ine = 1
        for i in range(ind - 1, ind - maxdim - 1, -1):
            ine *= isz[i]
        if self.numElements == 0 or ine % self.numElements != 0:
            raise ValueError(f"View: input view ({'x'.join(map(str, isz))}) and desired view "
                             f"({'x'.join(map(str, self.size))}) do not match")
        bsz = ine // self.numElements
        if -1 in self.size:
            bsz = 1
        for i in range(ind - maxdim - 1, -1, -1):
            bsz *= isz[i]
        if bsz == 1 and (not self.numInputDims or ind <= self.numInputDims):
            return None
        return bsz

    def updateOutput(self, input):
        if type(input) is not _Tensor:
            check_tensor(self, 'input', input)
        if not self.numInputDims and self.numElements and input.numel() == self.numElements:
            shape = self.size               # one sample: what _batchsize decides, without its loops
        else:
            bsz = self._batchsize(input)
            shape = self.size if bsz is None else (bsz,) + self.size
        out = _view(input, shape)
        self.__dict__['output'] = out
        return out

    def __tostring__(self):
        return f"nn.View({', '.join(map(str, self.size))})"


class Reshape(_Reshaping):
    """``nn.Reshape(sizes..., [batchMode])``: view as ``sizes``, or ``N x sizes`` when the input is a
    batch (Lua: batch unless ``batchMode == False`` or, with batchMode unset, the input has exactly
    ``nelement`` elements and its first dimension is not 1)."""

    def __init__(self, *args):
        super().__init__()
        self.batchMode = None
        if args and isinstance(args[-1], bool):
            self.batchMode = args[-1]
            args = args[:-1]
        self.size = parse_sizes('Reshape', args)
        n = 1
        for s in self.size:
            n *= s
        self.nelement = n

    def expected_input(self):
        return f"{self.nelement} elements, or a batch N x ... of N*{self.nelement}"

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        if self.batchMode is False or (self.batchMode is None and input.numel() == self.nelement
                                       and input.shape[0] != 1):
            shape = self.size
        else:
            shape = (input.shape[0],) + self.size
        if input.numel() != _numel(shape):
            raise ValueError(f"Reshape: cannot view input of size {tuple(input.shape)} as {shape}; expecting "
                             f"{self.expected_input()}")
        self.output = _view(input, shape)
        return self.output

    def __tostring__(self):
        return f"nn.Reshape({'x'.join(map(str, self.size))})"


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Dropout(Module):
    """``nn.Dropout(p=0.5, v1=False, inplace=False, stochasticInference=False)``.

    Training (``train``, Lua v2): output = input * noise, noise_i ~ Bernoulli(1-p) / (1-p);
    gradInput = gradOutput * noise. Evaluation: identity (v1: output = input * (1-p)).
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: illegal percentage, expecting 0 <= p < 1, got {p!r}")
        self.p = float(p)
        self.v2 = not v1
        self.inplace = bool(inplace)
        self.stochastic_inference = bool(stochasticInference)
        self.noise = torch.empty(0, dtype=torch.get_default_dtype())

    def setp(self, p):
        self.p = p

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        train = bool(self.training)
        if self.p > 0 and (train or self.stochastic_inference):
            with no_grad():
                self.noise = bernoulli_(torch.empty_like(input), 1 - self.p)
                if self.v2:
                    self.noise.div_(1 - self.p)
            if autograd_active():
                self.output = input * self.noise
            else:
                with no_grad():
                    self.output = input * self.noise
        elif self.p > 0 and not self.v2:
            self.output = input * (1 - self.p)
        else:
            self.output = input if autograd_active() else input.clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        with no_grad():
            if bool(self.training):
                self.gradInput = gradOutput * self.noise if self.p > 0 else gradOutput.clone()
            elif self.p > 0 and not self.v2:
                self.gradInput = gradOutput * (1 - self.p)
            else:
                self.gradInput = gradOutput.clone()
        return self.gradInput

    def __tostring__(self):
        return f"nn.Dropout({self.p:f})"


def _lua_dim(module, input, dimension):
    """Lua's 1-based ``dimension`` (negative: from the end) of ``input`` as a 0-based index."""
    d = input.dim() + dimension + 1 if dimension < 0 else dimension
    if not 1 <= d <= input.dim():
        raise ValueError(f"{type(module).__name__}: dimension {dimension} out of range for a "
                         f"{input.dim()}-D input of size {tuple(input.shape)}")
    return d - 1        # the one 1-based -> 0-based shift


class _Slice(Module):
    """Narrow / Select: output a copy of one slice of the input; gradInput is zero outside it."""

    def _slice(self, t, input):
        raise NotImplementedError

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = self._slice(input, input).clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        with torch.no_grad():
            self.gradInput = torch.zeros_like(input)
            self._slice(self.gradInput, input).copy_(gradOutput)
        return self.gradInput


class Narrow(_Slice):
    """``nn.Narrow(dimension, offset, length=1)``: elements offset..offset+length-1 (1-based) of
    ``dimension`` (fields ``index``, ``length``). A negative length counts from the end (-1: up to
    the last element); a negative offset takes the first size - length elements, as torch/nn."""
    _t7_fields = ('dimension', 'index', 'length')
    length = 1

    def __init__(self, dimension, offset, length=1):
        super().__init__()
        self.dimension = integral('Narrow', 'dimension', dimension, minimum=None)
        self.index = integral('Narrow', 'offset', offset, minimum=None)
        self.length = integral('Narrow', 'length', length, minimum=None)

    def _slice(self, t, input):
        d = _lua_dim(self, input, self.dimension)
        size = input.shape[d]
        length = size - self.index + self.length + 2 if self.length < 0 else self.length
        index = self.index
        if index < 0:
            index, length = 1, size - length
        if not (1 <= index and length >= 0 and index - 1 + length <= size):
            raise ValueError(f"Narrow: cannot take {length} elements from {index} (1-based) in "
                             f"dimension {d + 1} of an input of size {tuple(input.shape)}")
        return t.narrow(d, index - 1, length)


class Select(_Slice):
    """``nn.Select(dimension, index)``: the slice ``index`` (1-based; negative from the end) of
    ``dimension``, which is dropped."""
    _t7_fields = ('dimension', 'index')

    def __init__(self, dimension, index):
        super().__init__()
        self.dimension = integral('Select', 'dimension', dimension, minimum=None)
        self.index = integral('Select', 'index', index, minimum=None)

    def _slice(self, t, input):
        d = _lua_dim(self, input, self.dimension)
        size = input.shape[d]
        i = size + self.index + 1 if self.index < 0 else self.index
        if not 1 <= i <= size:
            raise ValueError(f"Select: index {self.index} out of range for size {size} in dimension "
                             f"{d + 1} of an input of size {tuple(input.shape)}")
        return t.select(d, i - 1)


class Transpose(_NumInputDims, Module):
    """``nn.Transpose({d1, d2}, ...)``: swap each pair of (1-based) dimensions in turn; with
    ``setNumInputDims(n)`` the pairs count from the first non-batch dimension. Output is a
    contiguous copy, as Lua."""
    _t7_fields = ('permutations', 'numInputDims')
    numInputDims = None

    def __init__(self, *permutations):
        super().__init__()
        self.permutations = [[integral('Transpose', 'dimension', d) for d in pair] for pair in permutations]

    def _permute(self, t, input, pairs):
        offset = input.dim() - self.numInputDims if self.numInputDims else 0
        for a, b in pairs:
            if not (1 <= a + offset <= t.dim() and 1 <= b + offset <= t.dim()):
                raise ValueError(f"Transpose: cannot swap dimensions {a} and {b} of a {input.dim()}-D "
                                 f"input of size {tuple(input.shape)}")
            t = t.transpose(a + offset - 1, b + offset - 1)
        return t

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = self._permute(input, input, self.permutations).contiguous()
        return self.output

    def updateGradInput(self, input, gradOutput):
        with torch.no_grad():
            self.gradInput = self._permute(gradOutput, input, reversed(self.permutations)).contiguous()
        return self.gradInput


class Replicate(Module):
    """``nn.Replicate(nf, dim=1, ndim)``: a new dimension ``dim`` (1-based; one further when the
    input has more than ``ndim`` dimensions) of size ``nf``, a stride-0 view of the input;
    gradInput sums over it."""
    _t7_fields = ('nfeatures', 'dim', 'ndim')
    dim, ndim = 1, None

    def __init__(self, nf, dim=1, ndim=None):
        super().__init__()
        self.nfeatures = integral('Replicate', 'nf', nf)
        self.dim = integral('Replicate', 'dim', dim)
        self.ndim = integral('Replicate', 'ndim', ndim, optional=True)

    def _rdim(self, input):
        check_tensor(self, 'input', input)
        if self.dim > input.dim() + 1:
            raise ValueError(f"Replicate: not enough input dimensions to replicate along dimension "
                             f"{self.dim}, got a {input.dim()}-D input of size {tuple(input.shape)}")
        return self.dim - 1 + (1 if self.ndim and input.dim() > self.ndim else 0)

    def updateOutput(self, input):
        d = self._rdim(input)
        size = list(input.shape)
        size.insert(d, self.nfeatures)
        self.output = input.unsqueeze(d).expand(size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._rdim(input)
        with torch.no_grad():
            self.gradInput = gradOutput.sum(d)
        return self.gradInput


class Squeeze(_NumInputDims, _Reshaping):
    """``nn.Squeeze(dim, numInputDims)``: drop the size-1 dimensions (only ``dim``, 1-based, if
    given; a batch of one keeps its batch dimension when ``numInputDims`` is set)."""
    _t7_fields = ('dim', 'numInputDims')
    dim = numInputDims = None

    def __init__(self, dim=None, numInputDims=None):
        super().__init__()
        self.dim = integral('Squeeze', 'dim', dim, optional=True)
        self.numInputDims = numInputDims

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        dim, addone = self.dim, False
        if self.numInputDims and input.dim() == self.numInputDims + 1:
            if dim:
                dim += 1
            elif input.shape[0] == 1:
                addone = True
        if dim:
            out = input.squeeze(_lua_dim(self, input, dim))
        else:
            out = input.squeeze()
        self.output = out.unsqueeze(0) if addone else out
        return self.output


class Unsqueeze(_NumInputDims, _Reshaping):
    """``nn.Unsqueeze(pos, numInputDims)``: insert a size-1 dimension at ``pos`` (1-based, counted
    after the batch dimensions beyond ``numInputDims``). Without numInputDims, the first input's
    rank becomes it (torch/nn), so later inputs with more dimensions count as batches."""
    _t7_fields = ('pos', 'numInputDims')
    numInputDims = None

    def __init__(self, pos, numInputDims=None):
        super().__init__()
        self.pos = integral('Unsqueeze', 'pos', pos)
        self.numInputDims = numInputDims

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        if self.numInputDims is None:       # Lua keeps the first input's rank as numInputDims
            self.numInputDims = input.dim()
        n = self.numInputDims
        pos = self.pos + input.dim() - n
        if input.dim() < n or not 1 <= pos <= input.dim() + 1:
            raise ValueError(f"Unsqueeze: invalid position {self.pos} for a {input.dim()}-D input of "
                             f"size {tuple(input.shape)} (numInputDims {n})")
        self.output = input.unsqueeze(pos - 1)
        return self.output

    def __tostring__(self):
        return f"nn.Unsqueeze(dim {self.pos})"


class Padding(Module):
    """``nn.Padding(dim, pad, nInputDim, value=0, index=1)``: insert |pad| entries of ``value`` in
    dimension ``dim`` (1-based; one further for a batch when nInputDim is set): before position
    ``index`` counted from the left when pad < 0, from the right when pad > 0."""
    _t7_fields = ('dim', 'pad', 'nInputDim', 'value', 'index')
    nInputDim, value, index = None, 0, 1

    def __init__(self, dim, pad, nInputDim=None, value=0, index=1):
        super().__init__()
        self.dim = integral('Padding', 'dim', dim)
        self.pad = integral('Padding', 'pad', pad, minimum=None)
        self.nInputDim = integral('Padding', 'nInputDim', nInputDim, optional=True)
        self.value = value
        self.index = integral('Padding', 'index', index)

    def _where(self, input):
        """(0-based dimension, 0-based position of the inserted block, its length)."""
        check_tensor(self, 'input', input)
        d = self.dim + (1 if self.nInputDim and input.dim() != self.nInputDim else 0)
        if d > input.dim():
            raise ValueError(f"Padding: dimension {d} out of range for a {input.dim()}-D input of "
                             f"size {tuple(input.shape)}")
        size = input.shape[d - 1]
        index = size - self.index + 2 if self.pad > 0 else self.index
        if not 1 <= index <= size + 1:
            raise ValueError(f"Padding: index {self.index} out of range for size {size}")
        return d - 1, index - 1, abs(self.pad)

    def updateOutput(self, input):
        d, at, n = self._where(input)
        size = list(input.shape)
        size[d] = n
        with torch.set_grad_enabled(autograd_active()):
            block = input.new_full(size, self.value)
            self.output = torch.cat((input.narrow(d, 0, at), block,
                                     input.narrow(d, at, input.shape[d] - at)), d)
        return self.output

    def updateGradInput(self, input, gradOutput):
        d, at, n = self._where(input)
        with torch.no_grad():
            self.gradInput = torch.cat((gradOutput.narrow(d, 0, at),
                                        gradOutput.narrow(d, at + n, input.shape[d] - at)), d)
        return self.gradInput


class Contiguous(Module):
    """``nn.Contiguous()``: the input itself if contiguous, else a contiguous copy (gradients too)."""
    _t7_fields = ()

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        self.output = input.contiguous()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.contiguous()
        return self.gradInput


class Copy(Module):
    """``nn.Copy(intype, outtype, forceCopy, dontCast)``: the input converted to ``outtype`` (a
    Lua type name), gradInput converted to ``intype``; with equal types and no forceCopy the
    tensors pass through unchanged, as Lua."""
    _t7_fields = ('intype', 'outtype', 'forceCopy', 'dontCast')
    intype = outtype = 'torch.DoubleTensor'
    forceCopy = dontCast = False

    def __init__(self, intype=None, outtype=None, forceCopy=False, dontCast=False):
        super().__init__()
        self.intype = intype or 'torch.DoubleTensor'
        self.outtype = outtype or 'torch.DoubleTensor'
        for name in (self.intype, self.outtype):
            if name not in _LUA_TYPES:
                raise ValueError(f"Copy: expecting a Lua tensor type name (one of {sorted(_LUA_TYPES)}), "
                                 f"got {name!r}")
        self.forceCopy, self.dontCast = bool(forceCopy), bool(dontCast)

    def _convert(self, t, name):
        if not self.forceCopy and self.intype == self.outtype:
            return t
        return t.to(_LUA_TYPES[name], copy=True)

    def updateOutput(self, input):
        check_tensor(self, 'input', input)
        self.output = self._convert(input, self.outtype)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self._convert(gradOutput, self.intype)
        return self.gradInput

    def type(self, dst_type=None, tensorCache=None):
        if dst_type is not None and self.dontCast:
            return self
        return super().type(dst_type, tensorCache)


_LUA_TYPES = {'torch.DoubleTensor': torch.float64, 'torch.FloatTensor': torch.float32,
              'torch.HalfTensor': torch.float16, 'torch.LongTensor': torch.int64,
              'torch.IntTensor': torch.int32, 'torch.ShortTensor': torch.int16,
              'torch.CharTensor': torch.int8, 'torch.ByteTensor': torch.uint8}


class Index(Module):
    """``nn.Index(dimension)``: input {t, index} (index a LongTensor of 1-based positions); output
    the slices of ``t`` along ``dimension`` at those positions; gradInput {dt, zeros like index}
    (dt accumulates repeated positions)."""
    _t7_fields = ('dimension', 'gradInput')       # gradInput: a Lua table

    def __init__(self, dimension):
        super().__init__()
        self.dimension = integral('Index', 'dimension', dimension)
        self.gradInput = [torch.empty(0), torch.empty(0, dtype=torch.long)]

    def _args(self, input):
        if not isinstance(input, (list, tuple)) or len(input) != 2:
            raise TypeError(f"Index: expecting a list {{tensor, LongTensor of indices}}, got "
                            f"{type(input).__name__}")
        t, index = input
        check_tensor(self, 'input[1]', t)
        check_tensor(self, 'input[2]', index, 1)
        d = _lua_dim(self, t, self.dimension)
        if index.numel() and (index.min() < 1 or index.max() > t.shape[d]):
            raise ValueError(f"Index: indices must lie in [1, {t.shape[d]}] (1-based), got "
                             f"[{int(index.min())}, {int(index.max())}]")
        return t, index.long() - 1, d        # the one 1-based -> 0-based shift

    def updateOutput(self, input):
        t, index, d = self._args(input)
        with torch.set_grad_enabled(autograd_active()):
            self.output = torch.index_select(t, d, index)
        return self.output

    def updateGradInput(self, input, gradOutput):
        t, index, d = self._args(input)
        with torch.no_grad():
            dt = torch.zeros_like(t).index_add_(d, index, gradOutput)
            self.gradInput = [dt, torch.zeros_like(input[1])]
        return self.gradInput
