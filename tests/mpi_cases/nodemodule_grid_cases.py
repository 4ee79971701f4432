"""A 4-rank job as a 2 (data) x 2 (model) grid: MP* layers on the model sub-communicator, gradients
averaged over the data sub-communicator (by hand here; datamodule does it for real scripts).

World rank w -> data index d = w // 2, model index m = w % 2. Reference: the dense model trained on
the whole batch by this process alone.
"""
import torch

import automatedparallelization  # noqa: F401
from automatedparallelization import comm
from automatedparallelization.mp_convert import gather_model
from compat import nn, optim
from compat import torch as ctorch
from tests.mpi_cases import needs_ranks

torch.set_default_dtype(torch.float64)
W = comm.rank()
D, M = divmod(W, 2)
IN, HID, OUT, BATCH = 8, 12, 4, 10


def build(mp, model_comm=None):
    ctorch.manualSeed(42)                      # compat.nn and the MP layers draw from Torch7's stream
    if mp:
        return (nn.Sequential().add(nn.MPInitialLinear(IN, HID, comm=model_comm)).add(nn.MPTanh(comm=model_comm))
                .add(nn.MPBaseLinear(HID, OUT, comm=model_comm)).add(nn.LogSoftMax()))
    return nn.Sequential().add(nn.Linear(IN, HID)).add(nn.Tanh()).add(nn.Linear(HID, OUT)).add(nn.LogSoftMax())


@needs_ranks(4)
def case_grid_trains_like_the_dense_model():
    model_comm = comm.split(D, M)          # the two ranks sharing a data shard hold one model
    data_comm = comm.split(M, D)           # the two ranks holding the same shard average gradients
    assert (comm.size(model_comm), comm.rank(model_comm)) == (2, M)
    assert (comm.size(data_comm), comm.rank(data_comm)) == (2, D)
    torch.manual_seed(7)
    xs, ts = torch.randn(BATCH, IN), torch.randint(1, OUT + 1, (BATCH,))
    half = slice(D * BATCH // 2, (D + 1) * BATCH // 2)
    crit = nn.ClassNLLCriterion()          # sizeAverage: mean of the two halves' gradients = full batch
    mp, dense = build(True, model_comm), build(False)
    for model, x, t, sync in ((mp, xs[half], ts[half], True), (dense, xs, ts, False)):
        w, gw = model.getParameters()
        state = {"learningRate": 0.2, "momentum": 0.5}

        def feval(_):
            gw.zero_()
            loss = crit.forward(model.forward(x), t)
            model.backward(x, crit.backward(model.output, t))
            if sync:
                comm.allreduce_(gw, "mean", data_comm)
            return loss, gw
        for _ in range(4):
            optim.sgd(feval, w, state)
    gathered = gather_model(mp)            # collective over each model group
    for a, b in zip(gathered.parameters()[0], dense.parameters()[0]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    assert mp.get(1).weight.shape == (HID, IN // 2)        # each rank holds half of each layer
    model_comm.Free()
    data_comm.Free()
