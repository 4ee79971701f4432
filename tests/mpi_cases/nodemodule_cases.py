"""Cases for automatedparallelization.nodemodule (the nn.MP* layers) and gather_model/shard_model.

Reference: the same network built with nn.Reshape/nn.Linear/nn.Tanh on this process alone (no
communication), from the same seed; the MP shards must equal its slices (double, 1e-12).
"""
import os
import tempfile

import pytest
import torch

import automatedparallelization  # noqa: F401  (registers nn.MP*)
from automatedparallelization import comm
from automatedparallelization.mp_convert import gather_model, shard_model
from compat import nn, optim
from compat import torch as ltorch
from tests.mpi_cases import needs_ranks

torch.set_default_dtype(torch.float64)
R, P = comm.rank(), comm.size()
TOL = dict(rtol=0, atol=1e-12)
IN, HID, OUT = 12, 24, 6                # input sizes divisible by 2 and 3


def close(a, b):
    torch.testing.assert_close(a, b, **TOL)


def cols(t, n_in):
    """This rank's slice of the input features (last dim) of a dense tensor."""
    k = n_in // P
    return t[..., R * k:(R + 1) * k]


def pair(mp_cls, dense_cls, *args, seed=7):
    ltorch.manualSeed(seed)                     # compat.nn and the MP layers draw from Torch7's stream
    mp = mp_cls(*args)
    ltorch.manualSeed(seed)
    return mp, dense_cls(*args)


def data(*shape, seed=3):
    torch.manual_seed(seed)
    return torch.randn(*shape)


def case_classes_registered_in_compat_nn():
    from automatedparallelization import nodemodule
    for name in ("MPInitialReshape", "MPInitialLinear", "MPTanh", "MPBaseLinear", "MPBaseReshape"):
        assert getattr(nn, name) is getattr(nodemodule, name)
    assert isinstance(nn.MPBaseLinear(IN, 2), nn.Linear) and isinstance(nn.MPTanh(), nn.Tanh)


def case_linear_layers_equal_dense():
    for cls in (nn.MPInitialLinear, nn.MPBaseLinear):
        mp, dense = pair(cls, nn.Linear, IN, OUT)
        close(mp.weight, cols(dense.weight, IN))                     # init = slice of dense
        close(mp.bias, dense.bias)
        for x in (data(4, IN), data(IN, seed=4)):                    # batch and single sample
            g = data(*x.shape[:-1], OUT, seed=5)
            mp.zeroGradParameters()
            dense.zeroGradParameters()
            close(mp.forward(x), dense.forward(x))                   # bias added once
            close(mp.backward(x, g, 0.5), dense.backward(x, g, 0.5))  # gradInput gathered
            close(mp.backward(x, g), dense.backward(x, g))           # accumulates, scale 1
            close(mp.gradWeight, cols(dense.gradWeight, IN))
            close(mp.gradBias, dense.gradBias)
        mp.accUpdateGradParameters(x, g, 0.1)
        dense.accUpdateGradParameters(x, g, 0.1)
        close(mp.weight, cols(dense.weight, IN))
        close(mp.bias, dense.bias)


def case_linear_autograd_path_equals_dense():
    mp, dense = pair(nn.MPInitialLinear, nn.Linear, IN, OUT)
    x = data(5, IN)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    mp.zero_grad()
    dense.zero_grad()
    y, yd = mp(xa), dense(xb)
    close(y, yd)
    y.pow(3).sum().backward()
    yd.pow(3).sum().backward()
    close(xa.grad, xb.grad)
    close(mp.gradWeight, cols(dense.gradWeight, IN))
    close(mp.gradBias, dense.gradBias)


def case_tanh_and_reshapes_equal_dense():
    x = data(4, 3, 4)
    for mp, dense in ((nn.MPInitialReshape(IN), nn.Reshape(IN)), (nn.MPBaseReshape(IN), nn.Reshape(IN)),
                      (nn.MPTanh(), nn.Tanh())):
        y = mp.forward(x)
        close(y, dense.forward(x))
        g = data(*y.shape, seed=9)
        close(mp.backward(x, g), dense.backward(x, g))


def build(mp):
    """A 3-layer MLP; MP* names when ``mp``, the dense nn names otherwise (same random draws)."""
    ltorch.manualSeed(42)
    L = (nn.MPInitialReshape, nn.MPInitialLinear, nn.MPTanh, nn.MPBaseLinear) if mp else \
        (nn.Reshape, nn.Linear, nn.Tanh, nn.Linear)
    return (nn.Sequential().add(L[0](IN)).add(L[1](IN, HID)).add(L[2]()).add(L[3](HID, IN))
            .add(L[2]()).add(L[3](IN, OUT)).add(nn.LogSoftMax()))


def assert_model_equal(mp, dense, grads=True):
    gathered = gather_model(mp)
    for a, b in zip(*(m.parameters()[0] for m in (gathered, dense))):
        close(a, b)
    if grads:
        for a, b in zip(*(m.parameters()[1] for m in (gathered, dense))):
            close(a, b)


def case_whole_model_forward_backward_equal_dense():
    mp, dense = build(True), build(False)
    assert_model_equal(mp, dense)
    x = data(8, 3, 4)
    g = data(8, OUT, seed=8)
    close(mp.forward(x), dense.forward(x))
    close(mp.backward(x, g), dense.backward(x, g))
    assert_model_equal(mp, dense)
    mp.zeroGradParameters()
    dense.zeroGradParameters()
    y, yd = mp(x), dense(x)
    close(y, yd)
    (y * g).sum().backward()
    (yd * g).sum().backward()
    assert_model_equal(mp, dense)


def dataset(n=10):
    torch.manual_seed(100)
    xs, ts = torch.randn(n, 3, 4), torch.randint(1, OUT + 1, (n,))

    class DS:
        def size(self):
            return n

        def __getitem__(self, i):                 # Lua: dataset[i], 1-based
            return {1: xs[i - 1], 2: int(ts[i - 1])}
    return DS(), xs, ts


def case_stochastic_gradient_trains_identically():
    ds = dataset()[0]
    for mp in (True, False):
        model = build(mp)
        trainer = nn.StochasticGradient(model, nn.ClassNLLCriterion())
        trainer.maxIteration, trainer.learningRate, trainer.verbose = 3, 0.05, False
        ltorch.manualSeed(5)                      # the shuffle, identical on every rank
        err = trainer.train(ds)
        if mp:
            mp_model, mp_err = model, err
    assert_model_equal(mp_model, model, grads=False)
    assert abs(mp_err - err) < 1e-12


def case_optim_sgd_trains_identically():
    _, xs, ts = dataset(16)
    crit = nn.ClassNLLCriterion()
    final = []
    for mp in (True, False):
        model = build(mp)
        w, gw = model.getParameters()
        state = {"learningRate": 0.1, "momentum": 0.9}

        def feval(_):
            gw.zero_()
            loss = crit.forward(model.forward(xs), ts)
            model.backward(xs, crit.backward(model.output, ts))
            return loss, gw
        losses = [optim.sgd(feval, w, state)[1][0] for _ in range(5)]
        final.append((model, losses))
    assert_model_equal(final[0][0], final[1][0])
    close(torch.tensor(final[0][1]), torch.tensor(final[1][1]))
    assert final[1][1][-1] < final[1][1][0]               # it did train


def case_torch_optimizer_trains_identically():
    _, xs, ts = dataset(16)
    models = [build(True), build(False)]
    for model in models:
        opt = torch.optim.SGD(model.torch_parameters(), lr=0.1)
        for _ in range(4):
            opt.zero_grad()
            torch.nn.functional.nll_loss(model(xs), ts - 1).backward()
            opt.step()
    assert_model_equal(*models)


def case_gather_and_shard_round_trip_through_t7_and_pytorch_files():
    mp, dense = build(True), build(False)
    x = data(8, 3, 4)
    mp.backward(x, mp.forward(x))
    gathered = gather_model(mp)
    assert [type(m) for m in gathered.modules] == [nn.Reshape, nn.Linear, nn.Tanh, nn.Linear, nn.Tanh,
                                                  nn.Linear, nn.LogSoftMax]
    with pytest.raises(TypeError, match="gather_model"):
        ltorch.save(os.devnull, mp)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("binary", "ascii"):
            path = os.path.join(tmp, f"model.{fmt}.t7")
            ltorch.save(path, gathered, fmt)
            loaded = ltorch.load(path, fmt)
            close(loaded.forward(x), dense.forward(x))
            back = shard_model(loaded)
            assert [type(m).__name__ for m in back.modules][:4] == ["MPInitialReshape", "MPInitialLinear",
                                                                    "MPTanh", "MPBaseLinear"]
            close(back.forward(x), mp.forward(x))
            for a, b in zip(back.parameters()[0], mp.parameters()[0]):
                close(a, b)
        path = os.path.join(tmp, "model.pt")
        torch.save(gathered, path)
        close(torch.load(path, weights_only=False).forward(x), dense.forward(x))
        torch.save(gathered.state_dict(), path)
        fresh = build(False)
        fresh.load_state_dict(torch.load(path))
        resharded = shard_model(fresh)
        for a, b in zip(resharded.parameters()[0], mp.parameters()[0]):
            close(a, b)
    only_root = gather_model(mp, root=P - 1)
    assert (only_root is None) == (R != P - 1)


def case_clone_shares_the_communicator():
    mp = build(True)
    copy = mp.clone()
    assert copy.get(2).comm is mp.get(2).comm
    x = data(2, 3, 4)
    close(copy.forward(x), mp.forward(x))


@needs_ranks(2, 3)
def case_bad_sizes_raise_at_construction():
    for cls in (nn.MPInitialLinear, nn.MPBaseLinear):
        with pytest.raises(ValueError, match=rf"inputSize={P * 4 + 1} .*P={P}"):
            cls(P * 4 + 1, 3)
    with pytest.raises(ValueError, match=rf"inputSize=5.*P={P}"):
        shard_model(nn.Sequential().add(nn.Linear(5, 2)))


def case_bad_input_raises():
    with pytest.raises(ValueError, match="size 12"):
        nn.MPInitialLinear(IN, 2).forward(torch.ones(3, IN + P))
    with pytest.raises(TypeError, match="comm"):
        nn.MPTanh(comm=3)
    with pytest.raises(ValueError, match="outputSize"):
        nn.MPBaseLinear(IN, 0)
