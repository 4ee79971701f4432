"""PyTorch-native tensor-parallel Linear layers (Megatron-style), built from :mod:`mappings`.

With ``Y = X A + b`` (``A`` of size in x out; stored transposed, as ``torch.nn.Linear.weight``):

* :class:`ColumnParallelLinear` splits ``A`` by columns, ``A = [A_1 ... A_P]``: rank r computes
  ``Y_r = X A_r + b_r`` (the r-th slice of the output features);
* :class:`RowParallelLinear` splits ``A`` by rows, ``A = [A_1; ...; A_P]``, and ``X`` by columns:
  ``Y = sum_r X_r A_r + b`` (one allreduce), the bias added once, after the sum.

A column layer with ``gather_output=False`` followed by a row layer with ``input_is_parallel=True``
(an MLP block, element-wise activation in between) costs one allreduce forward (the row layer's
sum) and one allreduce backward (the column layer's input gradient), and nothing else.

Initialisation: rank r's shard is exactly the slice of the ``torch.nn.Linear(in, out)`` that the
same random state would have produced (every rank draws the whole matrix in blocks and keeps its
slice), so sharded == dense at initialisation when every rank has the same seed.
"""
import copy
import math

import torch
import torch.nn.functional as F

from automatedparallelization import comm as _comm
from automatedparallelization.mappings import copy_to_region, gather_from_region, reduce_from_region, scatter_to_region

__all__ = ["ColumnParallelLinear", "RowParallelLinear", "uniform_shard"]

_BLOCK = 1 << 20     # elements drawn at a time by uniform_shard


def uniform_shard(shape, bound, rows, cols, dtype=None, device=None, fill=None):
    """``torch.empty(shape).uniform_(-bound, bound)[rows, cols]`` without holding the whole matrix.

    ``shape`` = (n_rows, n_cols); ``rows``/``cols`` are ``slice`` objects (step 1). The generator is
    advanced exactly as by the full draw (rows are drawn in blocks, in order, the unused ones
    discarded), so what is drawn after it matches too. ``fill(block, -bound, bound)`` draws a block
    in place (default: PyTorch's ``uniform_``; ``compat.torch_random.uniform_`` for Torch7's stream)."""
    n_rows, n_cols = shape
    rows = range(n_rows)[rows]
    cols = range(n_cols)[cols]
    dtype = dtype or torch.get_default_dtype()
    out = torch.empty(len(rows), len(cols), dtype=dtype, device=device)
    step = max(1, _BLOCK // max(1, n_cols))
    with torch.no_grad():
        for r0 in range(0, n_rows, step):
            r1 = min(r0 + step, n_rows)
            block = torch.empty(r1 - r0, n_cols, dtype=dtype, device=device)
            block = block.uniform_(-bound, bound) if fill is None else fill(block, -bound, bound)
            lo, hi = max(r0, rows.start), min(r1, rows.stop)
            if lo < hi:
                out[lo - rows.start:hi - rows.start] = block[lo - r0:hi - r0, cols.start:cols.stop]
    return out


def _positive(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: expecting {name} to be a positive int, got {value!r}")


def _divisible(owner, name, value, p):
    if value % p:
        raise ValueError(f"{owner}: {name}={value} is not divisible by the number of ranks P={p} "
                         f"of the communicator; choose a multiple of {p}")


def _torch_bounds(in_features):
    """The bounds ``torch.nn.Linear.reset_parameters`` uses (kaiming_uniform_ with a=sqrt(5))."""
    gain = torch.nn.init.calculate_gain('leaky_relu', math.sqrt(5))
    return math.sqrt(3.0) * (gain / math.sqrt(in_features)), 1.0 / math.sqrt(in_features)  # same rounding


class ColumnParallelLinear(torch.nn.Module):
    """``Y = X A + b`` with ``A`` split along its columns (the output features).

    Rank r holds ``weight`` = rows ``[r*out/P, (r+1)*out/P)`` of the dense ``torch.nn.Linear``
    weight (out/P x in) and the matching slice of ``bias``. Forward: ``copy_to_region`` (identity),
    local ``Y_r = X A_r + b_r``, then, if ``gather_output``, an allgather of the P slices along the
    last dimension (otherwise ``Y_r`` is returned, sharded). Backward: the local gradient of ``X``
    (``dY_r A_r^T``, a partial sum) is allreduced; with ``gather_output`` the output gradient is
    first cut back to this rank's slice.
    """

    def __init__(self, in_features, out_features, bias=True, gather_output=True, comm=None,
                 dtype=None, device=None):
        super().__init__()
        _positive("ColumnParallelLinear", "in_features", in_features)
        _positive("ColumnParallelLinear", "out_features", out_features)
        p, r = _comm.size(comm), _comm.rank(comm)
        _divisible("ColumnParallelLinear", "out_features", out_features, p)
        self.comm, self.in_features, self.out_features = comm, in_features, out_features
        self.gather_output = bool(gather_output)
        n = out_features // p
        wb, bb = _torch_bounds(in_features)
        mine = slice(r * n, (r + 1) * n)
        self.weight = torch.nn.Parameter(uniform_shard((out_features, in_features), wb, mine, slice(None),
                                                       dtype, device))
        if bias:
            full = torch.empty(out_features, dtype=self.weight.dtype, device=device).uniform_(-bb, bb)
            self.bias = torch.nn.Parameter(full[mine].clone())
        else:
            self.register_parameter('bias', None)

    def forward(self, input):
        x = copy_to_region(input, self.comm)
        y = F.linear(x, self.weight, self.bias)
        return gather_from_region(y, self.comm) if self.gather_output else y

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features} "
                f"(local {self.weight.shape[0]}), bias={self.bias is not None}, "
                f"gather_output={self.gather_output}")

    def __deepcopy__(self, memo):
        memo[id(self.comm)] = self.comm       # communicators are shared, never copied
        return _plain_deepcopy(self, memo)


class RowParallelLinear(torch.nn.Module):
    """``Y = X A + b`` with ``A`` split along its rows (the input features) and ``X`` along its columns.

    Rank r holds ``weight`` = columns ``[r*in/P, (r+1)*in/P)`` of the dense ``torch.nn.Linear``
    weight (out x in/P) and the whole ``bias`` (replicated). Forward: unless ``input_is_parallel``,
    ``scatter_to_region`` keeps this rank's slice ``X_r`` of the input; ``Y = allreduce(X_r A_r) + b``
    (the bias added once, after the sum). Backward: the output gradient is replicated (identity);
    the gradient of ``X_r`` is ``dY A_r^T``, allgathered into the full input gradient unless the
    input was already parallel.
    """

    def __init__(self, in_features, out_features, bias=True, input_is_parallel=False, comm=None,
                 dtype=None, device=None):
        super().__init__()
        _positive("RowParallelLinear", "in_features", in_features)
        _positive("RowParallelLinear", "out_features", out_features)
        p, r = _comm.size(comm), _comm.rank(comm)
        _divisible("RowParallelLinear", "in_features", in_features, p)
        self.comm, self.in_features, self.out_features = comm, in_features, out_features
        self.input_is_parallel = bool(input_is_parallel)
        n = in_features // p
        wb, bb = _torch_bounds(in_features)
        self.weight = torch.nn.Parameter(uniform_shard((out_features, in_features), wb, slice(None),
                                                       slice(r * n, (r + 1) * n), dtype, device))
        if bias:
            self.bias = torch.nn.Parameter(torch.empty(out_features, dtype=self.weight.dtype,
                                                       device=device).uniform_(-bb, bb))
        else:
            self.register_parameter('bias', None)

    def forward(self, input):
        x = input if self.input_is_parallel else scatter_to_region(input, self.comm)
        y = reduce_from_region(F.linear(x, self.weight), self.comm)
        return y + self.bias if self.bias is not None else y

    def extra_repr(self):
        return (f"in_features={self.in_features} (local {self.weight.shape[1]}), "
                f"out_features={self.out_features}, bias={self.bias is not None}, "
                f"input_is_parallel={self.input_is_parallel}")

    def __deepcopy__(self, memo):
        memo[id(self.comm)] = self.comm
        return _plain_deepcopy(self, memo)


def _plain_deepcopy(module, memo):
    """What ``copy.deepcopy`` does for a module without ``__deepcopy__`` (reduce protocol)."""
    cls = module.__class__
    new = cls.__new__(cls)
    memo[id(module)] = new
    for k, v in module.__dict__.items():
        new.__dict__[k] = copy.deepcopy(v, memo)
    return new
