"""Cases for what parallelize and the shared-memory reducer refuse, on 2 and 3 real ranks: the
same error on every rank (never a hang or a failure on one rank only) and no /dev/shm file left.
"""
import glob
import os
from unittest import mock

import torch

from automatedparallelization import comm
from automatedparallelization import datamodule as automation

R, P = comm.rank(), comm.size()
ROOT_PID = comm.allgather_object(os.getpid())[0]      # the shared files are named after rank 0's pid


def _leftovers():
    comm.barrier()
    return glob.glob(f"/dev/shm/torchad-{ROOT_PID}-*")


def _raises(kinds, words, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except kinds as exc:
        text = str(exc)
        assert all(w in text for w in words), (words, text)
        return text
    raise AssertionError(f"no {kinds} for {args, kwargs}")


def _model():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))


def case_frozen_parameter_on_one_rank_raises_on_every_rank():
    X, Y = torch.randn(6, 4), torch.randn(6, 2)
    for shared in (True, False):
        comm.configure(shared_memory=shared)
        try:
            for sync in ("model", "gradients"):
                model = _model()
                if R == P - 1:
                    model[0].weight.requires_grad_(False)
                _raises(ValueError, ["requires_grad=False", f"rank {P - 1}", "'0.weight'"],
                        automation.parallelize, X, Y, model, 6, batchSize=1, sync=sync)
        finally:
            comm.configure(shared_memory=True)
    assert _leftovers() == []


def case_shared_reducer_asked_for_different_sizes_raises_on_every_rank():
    numel = 10 + (1 if R == P - 1 else 0)
    _raises(ValueError, ["same size", "10 x torch.float32 on rank 0", f"11 x torch.float32 on rank {P - 1}"],
            comm.shared_reducer, numel, torch.float32, "cpu")
    assert _leftovers() == []


def case_a_failed_mapping_on_one_rank_is_released_everywhere():
    def refuse(*args, **kwargs):
        raise ValueError("deliberate: mmap refused on this rank")
    if R == P - 1:
        with mock.patch("mmap.mmap", side_effect=refuse):
            reducer = comm.shared_reducer(1000, torch.float64, "cpu")
    else:
        reducer = comm.shared_reducer(1000, torch.float64, "cpu")
    assert reducer is None                         # every rank falls back to MPI collectives
    assert _leftovers() == []
    reducer = comm.shared_reducer(1000, torch.float64, "cpu")     # and the next attempt works
    assert reducer is not None
    reducer.mine.fill_(R + 1)
    reducer.average_()
    assert torch.equal(reducer.mine, torch.full((1000,), (P + 1) / 2, dtype=torch.float64))


def case_parallelize_rejects_data_without_samples():
    model = _model()
    good_x, good_y = torch.randn(6, 4), torch.randn(6, 2)
    bad = [(torch.tensor(3.0), ValueError, "0-d"), ({"a": 1}, TypeError, "dict"), ("abcdef", TypeError, "str"),
           (5, TypeError, "int"), (None, TypeError, "NoneType")]
    for value, kind, word in bad:
        _raises(kind, ["data:", word], automation.parallelize, value, good_y, model, 1, batchSize=1)
        _raises(kind, ["targets:", word], automation.parallelize, good_x, value, model, 1, batchSize=1)
    assert automation.handle(model) is None
    x, y, n = automation.parallelize([list(r) for r in good_x.tolist()], good_y, model, 6, batchSize=1)
    assert n == len(x) == y.shape[0]               # a list of samples is still accepted
