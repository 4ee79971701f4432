"""automatedparallelization.checkpoint under a real mpiexec: exact resume, refusals on every rank."""
import os
import random
import shutil
import tempfile

import numpy as np
import torch

from automatedparallelization import comm
from automatedparallelization import datamodule as automation
from automatedparallelization.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from compat import nn
from compat import torch as ctorch
from tests.mpi_cases import needs_ranks

R, P = comm.rank(), comm.size()
STEPS, AT = 8, 3


def _shared_dir():
    return comm.bcast_object(tempfile.mkdtemp(prefix="torchad-ckpt-") if R == 0 else None)


def _cleanup(d):
    comm.barrier()
    if R == 0:
        shutil.rmtree(d, ignore_errors=True)


def _seed_everything(seed):
    ctorch.manualSeed(seed)                     # PyTorch's generator and Torch7's stream
    np.random.seed(seed)
    random.seed(seed)


def _build(init_seed):
    torch.manual_seed(init_seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(16, 2))
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _step(model, opt):
    """One data-parallel step whose batch and dropout draw on all three RNGs of this rank."""
    x = torch.randn(5, 6) + torch.from_numpy(np.random.standard_normal((5, 6))).float()
    x = x * random.uniform(0.5, 1.5)
    target = torch.randn(5, 2)
    loss = (model(x) - target).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    for p in model.parameters():
        comm.allreduce_(p.grad, "mean")
    opt.step()


def _train(model, opt, steps):
    model.train()
    for _ in range(steps):
        _step(model, opt)


def case_resume_reproduces_uninterrupted_run():
    d = _shared_dir()
    path = os.path.join(d, "ckpt.pt")
    # reference: STEPS steps without interruption
    ref, ref_opt = _build(0)
    _seed_everything(1000 + R)
    _train(ref, ref_opt, STEPS)
    # interrupted: AT steps, checkpoint, then a fresh process state resumes
    model, opt = _build(0)
    _seed_everything(1000 + R)
    _train(model, opt, AT)
    save_checkpoint(path, model, opt, iteration=AT, extra={"note": "after warm-up", "lr": 0.01})
    _train(model, opt, 2)  # progress that the resume must forget
    fresh, fresh_opt = _build(77 + R)  # another init, and different on each rank
    _seed_everything(5 + 3 * R)
    assert not torch.equal(fresh[0].weight, ref[0].weight)
    iteration, extra = load_checkpoint(path, fresh, fresh_opt)
    assert iteration == AT and extra == {"note": "after warm-up", "lr": 0.01}, (iteration, extra)
    _train(fresh, fresh_opt, STEPS - iteration)
    for (name, a), b in zip(ref.named_parameters(), fresh.parameters()):
        assert torch.equal(a, b), f"{name}: resumed run differs from the uninterrupted run by {(a - b).abs().max()}"
    # and the ranks still agree with each other
    flat = torch.cat([p.detach().reshape(-1) for p in fresh.parameters()])
    assert torch.equal(comm.allgather(flat.unsqueeze(0)), flat.expand(P, -1))
    _cleanup(d)


def case_each_rank_gets_its_own_rng_state_back():
    d = _shared_dir()
    path = os.path.join(d, "rng.pt")
    model, _ = _build(0)
    _seed_everything(40 + R)
    save_checkpoint(path, model)
    expected = (torch.rand(3), np.random.random_sample(3), [random.random() for _ in range(3)])
    _seed_everything(999)
    load_checkpoint(path, model)
    got = (torch.rand(3), np.random.random_sample(3), [random.random() for _ in range(3)])
    assert torch.equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]) and got[2] == expected[2]
    # independent check of which rank's state came back: re-seeding with 40 + R gives the same draws
    _seed_everything(40 + R)
    assert torch.equal(torch.rand(3), expected[0])
    _cleanup(d)


def _raises_everywhere(exc_type, fn, *words):
    try:
        fn()
    except exc_type as exc:
        for word in words:
            if word not in str(exc):
                raise AssertionError(f"{str(exc)!r} lacks {word!r}") from exc
        return
    raise AssertionError(f"expected {exc_type.__name__} on rank {R}")


def case_other_world_size_is_refused_on_every_rank():
    d = _shared_dir()
    model, opt = _build(0)
    # genuinely written by one rank (a sub-communicator holding rank 0 alone), when P > 1
    if P > 1:
        single = os.path.join(d, "by_one_rank.pt")
        sub = comm.split(0 if R == 0 else 1)
        if R == 0:
            save_checkpoint(single, model, opt, iteration=4, comm=sub)
        comm.barrier()
        _raises_everywhere(ValueError, lambda: load_checkpoint(single, model, opt),
                           "written by 1 rank(s)", f"loaded on {P} rank(s)")
    # a file of P + 1 ranks (rank 0 rewrites a genuine checkpoint's world size, plainly with torch)
    more = os.path.join(d, "by_more_ranks.pt")
    save_checkpoint(more, model, opt, iteration=4)
    if R == 0:
        raw = torch.load(more, weights_only=True)
        raw["world_size"] = P + 1
        raw["ranks"].append(raw["ranks"][0])
        torch.save(raw, more)
    comm.barrier()
    _raises_everywhere(ValueError, lambda: load_checkpoint(more, model, opt),
                       f"written by {P + 1} rank(s)", f"loaded on {P} rank(s)")
    _cleanup(d)


def case_failed_save_and_load_raise_on_every_rank():
    d = _shared_dir()
    model, _ = _build(0)
    nowhere = os.path.join(d, "no", "such", "dir", "ckpt.pt")
    # rank 0 gets the OSError itself, the others a RuntimeError naming rank 0: nobody hangs
    _raises_everywhere(FileNotFoundError if R == 0 else RuntimeError,
                       lambda: save_checkpoint(nowhere, model), "No such file")
    _raises_everywhere(FileNotFoundError, lambda: load_checkpoint(os.path.join(d, "missing.pt"), model))
    # a state_dict that does not fit the model
    path = os.path.join(d, "other_model.pt")
    save_checkpoint(path, torch.nn.Linear(3, 3))
    _raises_everywhere(RuntimeError, lambda: load_checkpoint(path, model), "state_dict")
    _cleanup(d)


# --- data-parallel training (parallelize): per-rank state and the schedule position ---------------
DP_TOTAL, DP_AT, DP_EVERY = 17, 8, 3        # 8 % 3 != 0: the checkpoint falls between synchronizations


def _dp_model(init_seed, optimizer, sync):
    """A parallelized model over an uneven split (the last rank has one sample fewer), its optimizer
    (None for the Lua way: compat.nn, ``updateParameters``) and this rank's shard."""
    ctorch.manualSeed(init_seed)
    if optimizer == "lua":
        model = nn.Sequential().add(nn.Linear(6, 8)).add(nn.Tanh()).add(nn.Linear(8, 2))
    else:
        model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    g = torch.Generator().manual_seed(4321)
    n = 7 * P - 1
    X, Y = torch.randn(n, 6, generator=g), torch.randn(n, 2, generator=g)
    x, y, size = automation.parallelize(X, Y, model, n, batchSize=DP_EVERY, sync=sync)
    opt = (None if optimizer == "lua" else torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
           if optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=0.01))
    return model, opt, (x, y, size)


def _dp_train(model, opt, shard, start, stop):
    """Per-sample steps ``start``..``stop - 1`` over the shard; the input noise draws on this rank's RNG."""
    x, y, size = shard
    criterion = nn.MSECriterion()
    for i in range(start, stop):
        j = i % size
        xj = x[j:j + 1] + 0.1 * torch.randn(1, 6)
        if opt is None:                          # Lua: zeroGradParameters, forward, backward, update
            model.zeroGradParameters()
            out = model.forward(xj)
            criterion.forward(out, y[j:j + 1])
            model.backward(xj, criterion.backward(out, y[j:j + 1]))
            model.updateParameters(0.05)
            continue
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(xj), y[j:j + 1]).backward()
        opt.step()


@needs_ranks(2, 3)
def case_data_parallel_resume_is_exact_mid_interval():
    """sync='model' (ranks differ between synchronizations) and 'gradients', SGD with momentum and
    Adam on a torch.nn model, and a compat.nn model trained the Lua way: resuming from a checkpoint
    taken between two synchronizations gives, on every rank, the same bits as the uninterrupted
    run, and the same number of synchronizations."""
    d = _shared_dir()
    for sync in ("model", "gradients"):
        for optimizer in ("sgd", "adam", "lua"):
            path = os.path.join(d, f"{sync}-{optimizer}.pt")
            ref, ref_opt, shard = _dp_model(0, optimizer, sync)
            _seed_everything(2000 + R)
            _dp_train(ref, ref_opt, shard, 0, DP_TOTAL)
            model, opt, shard = _dp_model(0, optimizer, sync)
            _seed_everything(2000 + R)
            _dp_train(model, opt, shard, 0, DP_AT)
            if sync == "model":              # the point of the test: the ranks differ right now
                flat = torch.cat([p.detach().reshape(-1) for p in torch.nn.Module.parameters(model)])
                assert not torch.equal(comm.allgather(flat.unsqueeze(0)), flat.expand(P, -1))
            save_checkpoint(path, model, opt, iteration=DP_AT)
            _dp_train(model, opt, shard, DP_AT, DP_AT + 2)      # progress the resume must forget
            fresh, fresh_opt, shard = _dp_model(55, optimizer, sync)
            _seed_everything(9)
            iteration, _ = load_checkpoint(path, fresh, fresh_opt)
            _dp_train(fresh, fresh_opt, shard, iteration, DP_TOTAL)
            for (name, a), b in zip(torch.nn.Module.named_parameters(ref), torch.nn.Module.parameters(fresh)):
                assert torch.equal(a, b), (f"{sync}/{optimizer} rank {R}: {name} differs from the "
                                           f"uninterrupted run by {(a - b).abs().max()}")
            assert automation.handle(fresh).syncs == automation.handle(ref).syncs
            for m in (ref, model, fresh):
                automation.unparallelize(m)
    _cleanup(d)


def case_damaged_checkpoint_raises_checkpoint_error_on_every_rank():
    d = _shared_dir()
    model, opt = _build(0)
    path = os.path.join(d, "ckpt.pt")
    save_checkpoint(path, model, opt, iteration=1)
    if R == 0:
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
    comm.barrier()
    _raises_everywhere(CheckpointError, lambda: load_checkpoint(path, model, opt), path, f"rank {R}")
    # one rank alone sees a damaged file (a path that differs per rank): every rank raises the same type
    save_checkpoint(os.path.join(d, "whole.pt"), model, opt)
    mine = os.path.join(d, f"rank{R}.pt")
    if R == P - 1:
        with open(mine, "wb") as f:
            f.write(b"junk")
    else:
        shutil.copyfile(os.path.join(d, "whole.pt"), mine)
    comm.barrier()
    _raises_everywhere(CheckpointError, lambda: load_checkpoint(mine, model, opt), f"rank {P - 1}")
    _cleanup(d)
