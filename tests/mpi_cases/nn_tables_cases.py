"""Data parallelism over models built from containers and table modules (ConcatTable, MapTable with
shared clones, JoinTable, CAddTable) and a wave-2 criterion, on real ranks.

Expected values: a single process training a copy of the model on the union of the ranks'
mini-batches (the same arithmetic, no communication).
"""
import torch

from automatedparallelization import comm
from automatedparallelization import datamodule as automation
from compat import nn
from tests.mpi_cases._union import flat, lua_sgd_step, union

R, P = comm.rank(), comm.size()


def _model(seed):
    torch.manual_seed(seed)
    return (nn.Sequential()
            .add(nn.ConcatTable().add(nn.Linear(4, 4)).add(nn.Identity()))
            .add(nn.CAddTable())
            .add(nn.View(2, 2))
            .add(nn.SplitTable(2))                    # two B x 2 halves
            .add(nn.NarrowTable(1, 2))
            .add(nn.MapTable(nn.Linear(2, 3)))        # one weight shared by the clones
            .add(nn.JoinTable(2))
            .add(nn.Tanh())).double()


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g, dtype=torch.float64), torch.randn(n, 6, generator=g, dtype=torch.float64)


def case_table_model_lua_path_equalsunion():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 21)
    model, ref = _model(500 + R), _model(500)
    crit, ref_crit = nn.SmoothL1Criterion(), nn.SmoothL1Criterion()
    x, y, n = automation.parallelize(X, Y, model, X.shape[0], None, None, 1, sync="gradients",
                                     samples_per_backward=B)
    assert torch.equal(flat(model), flat(ref))
    for s in range(steps):
        lua_sgd_step(model, crit, x[s * B:(s + 1) * B], y[s * B:(s + 1) * B], 0.1)
        idx = union(n, s, B)
        lua_sgd_step(ref, ref_crit, X[idx], Y[idx], 0.1)
        assert torch.allclose(flat(model), flat(ref), atol=1e-12, rtol=0), s


def case_table_model_autograd_path_equalsunion():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 22)
    model, ref = _model(600 + R), _model(600)
    crit = nn.SmoothL1Criterion()
    x, y, n = automation.parallelize(X, Y, model, X.shape[0], None, None, 1, sync="gradients",
                                     samples_per_backward=B)
    opt = torch.optim.SGD(model.torch_parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref.torch_parameters(), lr=0.1)
    for s in range(steps):
        opt.zero_grad()
        crit(model(x[s * B:(s + 1) * B]), y[s * B:(s + 1) * B]).backward()
        opt.step()
        idx = union(n, s, B)
        ref_opt.zero_grad()
        crit(ref(X[idx]), Y[idx]).backward()
        ref_opt.step()
        assert torch.allclose(flat(model), flat(ref), atol=1e-12, rtol=0), s
