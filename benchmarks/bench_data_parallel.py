"""Data-parallel training throughput: this library vs PyTorch DDP (gloo) vs a hand-written mpi4py loop.

One command, one table:   python benchmarks/bench_data_parallel.py [--rounds 5] [--np 2]

Everything runs in one MPI job under ``torchad-run`` (DDP's gloo group is created inside it from
the MPI rank and size, MASTER_ADDR=127.0.0.1 and a free port); the 1-process baselines run there
too, on rank 0 alone while the other ranks sleep, in the same rotation as the other methods, so
that the machine's drift between runs does not enter the efficiency. Every process uses
``torch.set_num_threads(1)``. Models:

- MLP 1024-2048-10 (ReLU, cross-entropy), batch 64 per rank, and again with batch 128 per rank
  ("mlp-128"). Synchronizing costs the same per step at either batch (2.1 M
  gradients), so the share of the bound grows with the batch;
- the CIFAR convnet of the original example (conv 3->64 5x5, ReLU, maxpool 3/3, conv 64->64 5x5,
  ReLU, maxpool 3/3, view 64, dropout, linear 64->100, ReLU, linear 100->10, log-softmax), batch 32
  per rank, as plain torch.nn for the native paths;
- the Lua-style path: the same convnet in compat.nn trained per sample by nn.StochasticGradient,
  parallelized with batchSize=10 (parameter averaging every 10 samples).

Native methods all run forward, loss, backward, gradient averaging and an SGD step per mini-batch:
"library" = ``parallelize(..., sync='gradients', batchSize=1)`` then a plain loop: here (all ranks
on one machine) the gradients are averaged through shared memory; "library MPI overlap" = the
same with shared memory switched off (``comm.configure(shared_memory=False)``), i.e. the path of
a job that spans several machines: MPI collectives, 1 MiB buckets started as autograd fills them;
"library MPI blocking" = the MPI path with ``overlap=False`` (one 25 MiB-bucket allreduce after the
backward pass). Each library row checks that its model runs the path it names
(``automation.handle(model).path``);
"DDP" = ``DistributedDataParallel`` (gloo);
"flat mpi4py" = preallocated flat buffer, ``torch.cat(grads, out=buf)``, one in-place
``Allreduce``, divide, copy back; "no sync (bound)" = the same steps with no gradient exchange at
all (not data-parallel training: the ranks' models drift apart): what the two ranks compute side by
side on this machine, the bound for any synchronization method. Rounds of all methods are
interleaved; each figure is the median of the rounds. Efficiency = 2-rank throughput / (2 x 1-process
throughput); "vs bound" = throughput / the no-sync bound's, the share of the machine's 2-rank
throughput that a synchronization method keeps (what the machine's state moves least).

Allocator: ``torchad-run`` gives its ranks fixed glibc malloc thresholds (automatedparallelization.malloc),
so every method and the baselines run under one allocator policy; ``--no-malloc-tuning`` runs them
all with glibc's defaults instead. The library averages gradients through shared memory here (all
ranks on one machine) except in the "MPI overlap" row (and everywhere with ``TORCHAD_SHARED_MEMORY=0``).
"""
import argparse
import contextlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _results  # this folder is on the path when run as a script
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODELS = {"mlp": 64, "mlp-128": 128, "convnet": 32}     # batch per rank
STEPS = {"mlp": 30, "mlp-128": 20, "convnet": 20}      # mini-batches per round
LUA_SAMPLES = 200                         # samples per rank per round, Lua path


def mlp():
    T = torch.nn
    return T.Sequential(T.Linear(1024, 2048), T.ReLU(), T.Linear(2048, 10))


def convnet():
    T = torch.nn
    return T.Sequential(T.Conv2d(3, 64, 5), T.ReLU(), T.MaxPool2d(3, 3), T.Conv2d(64, 64, 5), T.ReLU(),
                        T.MaxPool2d(3, 3), T.Flatten(), T.Dropout(0.5), T.Linear(64, 100), T.ReLU(),
                        T.Linear(100, 10), T.LogSoftmax(1))


def compat_convnet():
    from compat import nn
    return (nn.Sequential()
            .add(nn.SpatialConvolutionMM(3, 64, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(3, 3, 3, 3))
            .add(nn.SpatialConvolutionMM(64, 64, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(3, 3, 3, 3))
            .add(nn.View(64)).add(nn.Dropout(0.5))
            .add(nn.Linear(64, 100)).add(nn.ReLU()).add(nn.Linear(100, 10)).add(nn.LogSoftMax()))


def batch(name, b, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 1024, generator=g) if name.startswith("mlp") else torch.randn(b, 3, 32, 32, generator=g)
    return x, torch.randint(0, 10, (b,), generator=g)


def loss_fn(name, out, y):
    return F.cross_entropy(out, y) if name.startswith("mlp") else F.nll_loss(out, y)


def make_step(name, model, x, y, after_backward=None):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss_fn(name, model(x), y).backward()
        if after_backward is not None:
            after_backward()
        opt.step()
    return step


# ------------------------------------------------------------------------------------ methods
def flat_mpi4py(model, comm):
    """The hand-written peer: one flat buffer, one Allreduce per step."""
    from mpi4py import MPI
    params = list(model.parameters())
    buf = torch.zeros(sum(p.numel() for p in params))
    views, o = [], 0
    for p in params:
        views.append(buf[o:o + p.numel()].view(p.shape))
        o += p.numel()
    size = comm.Get_size()

    def reduce():
        torch.cat([p.grad.reshape(-1) for p in params], out=buf)
        comm.Allreduce(MPI.IN_PLACE, buf.numpy(), op=MPI.SUM)
        buf.div_(size)
        for p, v in zip(params, views):
            p.grad.copy_(v)
    return reduce


def lua_trainer(rank, parallel, comm=None):
    """compat.nn convnet + StochasticGradient over LUA_SAMPLES samples per rank (one epoch per round)."""
    from compat import nn
    torch.manual_seed(0)
    model = compat_convnet()
    g = torch.Generator().manual_seed(100 + rank)
    n = LUA_SAMPLES * (comm.Get_size() if parallel else 1)
    data = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(1, 11, (n,), generator=g)
    if parallel:
        from automatedparallelization import datamodule as automation
        data, labels, n = automation.parallelize(data, labels, model, n, None, None, 10, comm=comm)
    trainer = nn.StochasticGradient(model, nn.ClassNLLCriterion())
    trainer.maxIteration, trainer.verbose, trainer.learningRate = 1, False, 0.001
    dataset = [(data[i], int(labels[i])) for i in range(n)]

    def run():
        with contextlib.redirect_stdout(io.StringIO()):     # StochasticGradient prints, as in Lua
            trainer.train(dataset)
    return run, n


def timed_rounds(runs, rounds, sync=None):
    """runs: {name: (fn, samples per call)}; interleaved rounds; returns {name: [samples/s]}."""
    out = {k: [] for k in runs}
    for fn, _ in runs.values():
        fn()                                               # warm-up
    names = list(runs)
    for r in range(rounds):
        # the order rotates every round, so no method always runs first (or right after another)
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn, samples = runs[name]
            if sync:
                sync()
            t = time.perf_counter()
            fn()
            if sync:
                sync()
            out[name].append(samples / (time.perf_counter() - t))
    return out


def alone(world, fn):
    """``fn`` on rank 0 only; the other ranks wait without spinning (a busy MPI wait would take a
    core and memory bandwidth from rank 0)."""
    def run():
        if world.Get_rank() == 0:
            fn()
        request = world.Ibarrier()
        while not request.Test():
            time.sleep(0.0005)
    return run


def worker_mpi(rounds, port):
    torch.set_num_threads(1)
    import torch.distributed as dist

    from automatedparallelization import comm as C
    from automatedparallelization import datamodule as automation
    world = C.resolve(None)
    rank, size = world.Get_rank(), world.Get_size()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=size)
    runs = {}
    for name, b in MODELS.items():
        factory = mlp if name.startswith("mlp") else convnet
        x, y = batch(name, b * size, 1)
        for method in ("library", "library MPI overlap", "library MPI blocking", "DDP", "flat mpi4py",
                       "no sync (bound)"):
            torch.manual_seed(0)
            model = factory()
            xs, ys = x[rank * b:(rank + 1) * b], y[rank * b:(rank + 1) * b]
            hook = None
            if method.startswith("library"):
                shared = os.environ.get("TORCHAD_SHARED_MEMORY", "1") != "0"
                C.configure(shared_memory=shared and method == "library")
                xs, ys, _ = automation.parallelize(x, y, model, b * size, batchSize=1, sync="gradients",
                                                   samples_per_backward=b, overlap=method != "library MPI blocking")
                C.configure(shared_memory=shared)
                path = automation.handle(model).path
                expected = {"library MPI overlap": "mpi-overlap", "library MPI blocking": "mpi"}.get(
                    method, "shared-memory" if shared and size > 1 else "mpi-overlap")
                assert path == expected, f"{method}: runs the {path!r} path, not {expected!r}"
            elif method == "DDP":
                model = torch.nn.parallel.DistributedDataParallel(model)
            elif method == "flat mpi4py":
                hook = flat_mpi4py(model, world)
            step = make_step(name, model, xs, ys, hook)
            runs[f"{name}|{method}"] = (lambda step=step, k=STEPS[name]: [step() for _ in range(k)],
                                        b * size * STEPS[name])
    lua, n = lua_trainer(rank, parallel=True, comm=world)
    runs["lua|library"] = (lua, LUA_SAMPLES * size)
    # the 1-process baselines run in the same job, in the same rotation: rank 0 alone while the
    # other ranks sleep, so that the machine's drift between runs does not enter the efficiency
    for name, b in MODELS.items():
        torch.manual_seed(0)
        model = mlp() if name.startswith("mlp") else convnet()
        step = make_step(name, model, *batch(name, b, 1))
        runs[f"{name}|1 process"] = (alone(world, lambda step=step, k=STEPS[name]: [step() for _ in range(k)]),
                                     b * STEPS[name])
    single_lua, _ = lua_trainer(0, parallel=False)
    runs["lua|1 process"] = (alone(world, single_lua), LUA_SAMPLES)
    result = timed_rounds(runs, rounds, sync=world.Barrier)
    dist.destroy_process_group()
    return result if rank == 0 else None


# ------------------------------------------------------------------------------------ driver
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_worker(args, np_, rounds, out, malloc_tuning=True):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, __file__, "--worker", args, "--rounds", str(rounds), "--out", out,
           "--port", str(free_port())]
    if np_ > 1:
        cmd = [sys.executable, "-m", "torchad_run", "-np", str(np_),
               "--timeout", "900"] + ([] if malloc_tuning else ["--no-malloc-tuning"]) + cmd
    subprocess.run(cmd, check=True, env=env, cwd=REPO)
    return json.loads(Path(out).read_text())


def table(multi, np_):
    med = {k: statistics.median(v) for k, v in multi.items()}
    lines = [f"{'model':<9}{'method':<21}{'samples/s':>11}{'efficiency':>12}{'vs DDP':>9}{'vs flat':>9}"
             f"{'vs bound':>10}"
             f"   (median of {len(next(iter(multi.values())))} rounds, {np_} ranks x 1 thread)"]
    for name in ("mlp", "mlp-128", "convnet", "lua"):
        base = med[f"{name}|1 process"]
        methods = ["1 process"] + [k.split("|")[1] for k in multi
                                   if k.startswith(name + "|") and not k.endswith("|1 process")]
        for m in methods:
            v = med[f"{name}|{m}"]
            eff = "" if m == "1 process" else f"{v / (np_ * base):.2f}"
            ddp, flat = med.get(f"{name}|DDP"), med.get(f"{name}|flat mpi4py")
            bound = med.get(f"{name}|no sync (bound)")
            rd = f"{v / ddp:.2f}x" if ddp and m != "1 process" else ""
            rf = f"{v / flat:.2f}x" if flat and m != "1 process" else ""
            rb = f"{v / bound:.2f}" if bound and m != "1 process" else ""
            label = {"lua": "lua-SGD"}.get(name, name)
            lines.append(f"{label:<9}{m:<21}{v:>11.0f}{eff:>12}{rd:>9}{rf:>9}{rb:>10}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--worker", choices=["mpi"])
    ap.add_argument("--out")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--no-malloc-tuning", dest="malloc_tuning", action="store_false",
                    help="glibc's default malloc thresholds for the ranks and the 1-process baseline")
    _results.add_option(ap)
    a = ap.parse_args()
    if a.worker == "mpi":
        result = worker_mpi(a.rounds, a.port)
        if result is not None:
            Path(a.out).write_text(json.dumps(result))
        return
    with _results.recorded("bench_data_parallel", a.write_results):
        with tempfile.TemporaryDirectory() as tmp:
            multi = run_worker("mpi", a.np, a.rounds, os.path.join(tmp, "mpi.json"), a.malloc_tuning)
        print("malloc: " + ("fixed thresholds (torchad-run's default)" if a.malloc_tuning else "glibc defaults"))
        print(table(multi, a.np))


if __name__ == "__main__":
    main()
