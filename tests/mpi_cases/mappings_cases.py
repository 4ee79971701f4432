"""Cases for automatedparallelization.mappings and parallel_linear (Column/RowParallelLinear).

Expected values come from rank arithmetic (input = ones * rank) and from a dense torch.nn.Linear
computed on this process alone.
"""
import contextlib
import copy

import pytest
import torch

from automatedparallelization import comm
from automatedparallelization.mappings import (
    copy_to_region,
    gather_from_region,
    reduce_from_region,
    scatter_to_region,
    split_last_dim,
)
from automatedparallelization.parallel_linear import ColumnParallelLinear, RowParallelLinear
from tests.mpi_cases import needs_ranks

torch.set_default_dtype(torch.float64)
R, P = comm.rank(), comm.size()
K = 3                                  # slice width per rank
TOL = dict(rtol=0, atol=1e-12)


def _leaf(t):
    return t.clone().requires_grad_(True)


def case_copy_to_region_identity_forward_allreduce_backward():
    x = _leaf(torch.ones(2, 4) * R)
    y = copy_to_region(x)
    assert torch.equal(y, torch.ones(2, 4) * R)
    y.backward(torch.ones(2, 4) * (R + 1))
    assert torch.equal(x.grad, torch.full((2, 4), P * (P + 1) / 2))      # sum of (r+1)


def case_reduce_from_region_allreduce_forward_identity_backward():
    x = _leaf(torch.ones(2, 4) * R)
    y = reduce_from_region(x)
    assert torch.equal(y, torch.full((2, 4), P * (P - 1) / 2))           # sum of r
    assert torch.equal(x, torch.ones(2, 4) * R)                          # input untouched
    y.backward(torch.ones(2, 4) * (R + 1))
    assert torch.equal(x.grad, torch.ones(2, 4) * (R + 1))


def case_scatter_to_region_slice_forward_allgather_backward():
    full = torch.arange(2 * P * K, dtype=torch.float64).reshape(2, P * K)
    x = _leaf(full)
    y = scatter_to_region(x)
    assert torch.equal(y, full[:, R * K:(R + 1) * K])
    y.backward(torch.ones(2, K) * R)
    want = torch.arange(P, dtype=torch.float64).repeat_interleave(K).expand(2, P * K)
    assert torch.equal(x.grad, want)                                     # slice s holds s
    v = _leaf(torch.arange(P * K, dtype=torch.float64))                  # 1-D
    w = scatter_to_region(v)
    assert torch.equal(w, torch.arange(R * K, (R + 1) * K, dtype=torch.float64))
    w.backward(torch.full((K,), float(R + 1)))
    assert torch.equal(v.grad, torch.arange(1, P + 1, dtype=torch.float64).repeat_interleave(K))


def case_gather_from_region_allgather_forward_slice_backward():
    x = _leaf(torch.ones(2, K) * R)
    y = gather_from_region(x)
    assert torch.equal(y, torch.arange(P, dtype=torch.float64).repeat_interleave(K).expand(2, P * K))
    g = torch.arange(2 * P * K, dtype=torch.float64).reshape(2, P * K) + 100 * R
    y.backward(g)
    assert torch.equal(x.grad, g[:, R * K:(R + 1) * K])


def case_size_one_communicator_is_a_shortcut():
    solo = comm.split(R)                                  # one rank per group
    x = _leaf(torch.ones(2, 4) * R)
    for fn in (copy_to_region, reduce_from_region, scatter_to_region, gather_from_region):
        assert fn(x, solo) is x
    assert torch.equal(split_last_dim(x, solo), x)
    solo.Free()
    if P == 1:
        assert copy_to_region(x) is x and gather_from_region(x) is x


@needs_ranks(2, 3)
def case_scatter_bad_size_raises():
    x = torch.ones(2, P * K + 1)
    with pytest.raises(ValueError, match=rf"\(2, {P * K + 1}\).*P={P}"):
        scatter_to_region(x)
    with pytest.raises(TypeError, match="torch.Tensor"):
        reduce_from_region([1.0, 2.0])


# ------------------------------------------------------------------------------- parallel Linear
def _dense(n_in, n_out, seed):
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out)


@contextlib.contextmanager
def _counting():
    """Count the collectives the mappings issue (allreduce_ and allgather of the comm module)."""
    calls = {"allreduce_": 0, "allgather": 0}
    saved = {name: getattr(comm, name) for name in calls}

    def wrap(name):
        def fn(*args, **kwargs):
            calls[name] += 1
            return saved[name](*args, **kwargs)
        return fn
    for name in calls:
        setattr(comm, name, wrap(name))
    try:
        yield calls
    finally:
        for name, fn in saved.items():
            setattr(comm, name, fn)


def case_column_parallel_linear_equals_dense_slice():
    n_in, n_out = 5, 4 * P
    dense = _dense(n_in, n_out, 11)
    torch.manual_seed(11)
    col = ColumnParallelLinear(n_in, n_out)
    mine = slice(R * 4, (R + 1) * 4)
    assert torch.equal(col.weight, dense.weight[mine]) and torch.equal(col.bias, dense.bias[mine])
    torch.manual_seed(5)
    x = torch.randn(3, n_in)
    xa, xb = _leaf(x), _leaf(x)
    y, yd = col(xa), dense(xb)
    torch.testing.assert_close(y, yd, **TOL)
    g = torch.randn(3, n_out)
    y.backward(g)
    yd.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, **TOL)
    torch.testing.assert_close(col.weight.grad, dense.weight.grad[mine], **TOL)
    torch.testing.assert_close(col.bias.grad, dense.bias.grad[mine], **TOL)
    torch.manual_seed(11)
    local = ColumnParallelLinear(n_in, n_out, gather_output=False)(x)
    torch.testing.assert_close(local, yd[:, mine], **TOL)


def case_row_parallel_linear_equals_dense_slice():
    n_in, n_out = 2 * P, 3
    dense = _dense(n_in, n_out, 12)
    torch.manual_seed(12)
    row = RowParallelLinear(n_in, n_out)
    mine = slice(R * 2, (R + 1) * 2)
    assert torch.equal(row.weight, dense.weight[:, mine]) and torch.equal(row.bias, dense.bias)
    torch.manual_seed(6)
    x = torch.randn(4, n_in)
    xa, xb = _leaf(x), _leaf(x)
    y, yd = row(xa), dense(xb)
    torch.testing.assert_close(y, yd, **TOL)                 # bias counted once
    g = torch.randn(4, n_out)
    y.backward(g)
    yd.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, **TOL)      # gathered, not summed
    torch.testing.assert_close(row.weight.grad, dense.weight.grad[:, mine], **TOL)
    torch.testing.assert_close(row.bias.grad, dense.bias.grad, **TOL)
    torch.manual_seed(12)
    par = RowParallelLinear(n_in, n_out, input_is_parallel=True)
    torch.testing.assert_close(par(x[:, mine]), yd, **TOL)


def case_column_row_pair_one_allreduce_each_way():
    n_in, hidden, n_out = 6, 4 * P, 5
    torch.manual_seed(21)
    dense = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, n_out))
    torch.manual_seed(21)
    mp = torch.nn.Sequential(ColumnParallelLinear(n_in, hidden, gather_output=False), torch.nn.Tanh(),
                             RowParallelLinear(hidden, n_out, input_is_parallel=True))
    torch.manual_seed(3)
    x = torch.randn(7, n_in)
    xa, xb = _leaf(x), _leaf(x)
    with _counting() as calls:
        y = mp(xa)
        forward = dict(calls)
        y.pow(2).sum().backward()
    expected = 0 if P == 1 else 1
    assert forward == {"allreduce_": expected, "allgather": 0}, forward
    assert calls == {"allreduce_": 2 * expected, "allgather": 0}, calls
    yd = dense(xb)
    yd.pow(2).sum().backward()
    torch.testing.assert_close(y, yd, **TOL)
    torch.testing.assert_close(xa.grad, xb.grad, **TOL)
    h = slice(R * 4, (R + 1) * 4)
    torch.testing.assert_close(mp[0].weight.grad, dense[0].weight.grad[h], **TOL)
    torch.testing.assert_close(mp[0].bias.grad, dense[0].bias.grad[h], **TOL)
    torch.testing.assert_close(mp[2].weight.grad, dense[2].weight.grad[:, h], **TOL)
    torch.testing.assert_close(mp[2].bias.grad, dense[2].bias.grad, **TOL)
    clone = copy.deepcopy(mp)              # communicator shared, weights copied
    assert clone[0].comm is mp[0].comm and clone[0].weight is not mp[0].weight


@needs_ranks(2, 3)
def case_parallel_linear_bad_sizes_raise():
    with pytest.raises(ValueError, match=rf"out_features={P + 1} .*P={P}"):
        ColumnParallelLinear(4, P + 1)
    with pytest.raises(ValueError, match=rf"in_features={P + 1} .*P={P}"):
        RowParallelLinear(P + 1, 4)
    with pytest.raises(ValueError, match="in_features"):
        RowParallelLinear(0, 4)
    with pytest.raises(TypeError, match="comm"):
        ColumnParallelLinear(4, 4, comm="world")
