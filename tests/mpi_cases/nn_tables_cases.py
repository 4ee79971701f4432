"""Data parallelism over models built from containers and table modules (ConcatTable, MapTable with
shared clones, JoinTable, CAddTable), an nngraph gModule and a SmoothL1Criterion, on real ranks.

Expected values: a single process training a copy of the model on the union of the ranks'
mini-batches (the same arithmetic, no communication).
"""
import torch

from automatedparallelization import comm
from compat import nn
from compat import torch as ctorch
from tests.mpi_cases._union import check_autograd_path_equals_union, check_lua_path_equals_union

R, P = comm.rank(), comm.size()


def _model(seed):
    ctorch.manualSeed(seed)                    # compat.nn draws from Torch7's stream
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


def case_table_model_lua_path_equals_union():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 21)
    model, ref = _model(500 + R), _model(500)
    check_lua_path_equals_union(model, ref, nn.SmoothL1Criterion(), nn.SmoothL1Criterion(), X, Y, B, steps,
                                0.1, 1e-12)


def case_table_model_autograd_path_equals_union():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 22)
    model, ref = _model(600 + R), _model(600)
    check_autograd_path_equals_union(model, ref, nn.SmoothL1Criterion(), X, Y, B, steps)


def _graph_model(seed):
    """An nngraph gModule with a fan-out: Linear(Tanh(Linear(x))) + Linear(x), then Tanh."""
    ctorch.manualSeed(seed)                    # compat.nn draws from Torch7's stream
    x = nn.Identity()()
    deep = nn.Linear(5, 6)(nn.Tanh()(nn.Linear(4, 5)(x)))
    y = nn.Tanh()(nn.CAddTable()([deep, nn.Linear(4, 6)(x)]))
    return nn.gModule([x], [y]).double()


def case_graph_model_lua_path_equals_union():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 23)
    model, ref = _graph_model(700 + R), _graph_model(700)
    check_lua_path_equals_union(model, ref, nn.MSECriterion(), nn.MSECriterion(), X, Y, B, steps, 0.1, 1e-12)


def case_graph_model_autograd_path_equals_union():
    B, steps = 2, 3
    X, Y = _data(P * B * steps, 24)
    model, ref = _graph_model(800 + R), _graph_model(800)
    check_autograd_path_equals_union(model, ref, torch.nn.functional.mse_loss, X, Y, B, steps)
