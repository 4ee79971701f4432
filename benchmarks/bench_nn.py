"""compat.nn (Lua-style calls) against plain PyTorch (autograd + torch.optim), single thread.

(1) the CIFAR convnet of the original example (cifar_example/sgd-torchad_nn-cifar.lua), batch 32:
    forward / ClassNLLCriterion / zeroGradParameters / backward / updateParameters
    vs torch.nn + F.nll_loss + loss.backward() + torch.optim.SGD.step().
    Same work: the Lua call sequence computes the first layer's gradInput (Torch7's
    Sequential:backward does), so the PyTorch side is also timed with the input requiring grad.
(2) per-sample nn.StochasticGradient (what the Lua scripts train with): the CIFAR convnet (3x32x32
    samples) and a 6-5-3 Tanh MLP, vs a per-sample PyTorch loop (forward on a batch of 1, nll_loss,
    backward, SGD step).

Every method runs in a fresh process of its own, and the processes of the two sides alternate
(lua, torch, torch, lua, ...). One process per method matters: glibc's malloc adapts its mmap and
trim thresholds to the sizes a process has freed, so a method timed after another in the same
process inherits a heap that can cost it thousands of page faults per step (benchmarks/RESULTS.md,
"Timings behind choices in the code"). Prints ms per step (median over all rounds of all processes, with the
min and max) and the ratio compat / PyTorch, twice: with glibc's default malloc (what a user's
script gets) and with its thresholds fixed (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ = 1 GiB:
no page faults on either side, i.e. compute only).
Usage: python benchmarks/bench_nn.py [--rounds 5] [--procs 2] [--cpu-time]
"""
import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

import _results  # this folder is on the path when run as a script
import torch
import torch.nn.functional as F

import compat.nn as nn


def compat_cifar():
    return (nn.Sequential()
            .add(nn.SpatialConvolutionMM(3, 64, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(3, 3, 3, 3))
            .add(nn.SpatialConvolutionMM(64, 64, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(3, 3, 3, 3))
            .add(nn.View(64)).add(nn.Dropout(0.5))
            .add(nn.Linear(64, 100)).add(nn.ReLU()).add(nn.Linear(100, 10)).add(nn.LogSoftMax()))


def torch_cifar():
    T = torch.nn
    return T.Sequential(T.Conv2d(3, 64, 5), T.ReLU(), T.MaxPool2d(3, 3), T.Conv2d(64, 64, 5), T.ReLU(),
                        T.MaxPool2d(3, 3), T.Flatten(), T.Dropout(0.5), T.Linear(64, 100), T.ReLU(),
                        T.Linear(100, 10), T.LogSoftmax(1))


def cifar_lua(skip_input_grad=False):
    torch.manual_seed(0)
    x, y = torch.randn(32, 3, 32, 32), torch.randint(1, 11, (32,))
    model, crit = compat_cifar(), nn.ClassNLLCriterion()
    if skip_input_grad:     # Lua idiom: a nil gradInput makes the first layer skip dLoss/dInput
        model.get(1).gradInput = None

    def step():
        out = model.forward(x)
        crit.forward(out, y)
        model.zeroGradParameters()
        model.backward(x, crit.backward(out, y))
        model.updateParameters(0.01)
    return step


def cifar_torch(input_grad=False):
    torch.manual_seed(0)
    x, y = torch.randn(32, 3, 32, 32), torch.randint(1, 11, (32,))
    x.requires_grad_(input_grad)
    net = torch_cifar()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        F.nll_loss(net(x), y - 1).backward()
        opt.step()
    return step


NSAMPLES = 200
NCIFAR = 40


def _sgd_data(n=NSAMPLES, shape=(6,), classes=3):
    torch.manual_seed(0)
    return torch.randn(n, *shape), torch.randint(1, classes + 1, (n,))


def _trainer(model, xs, ys):
    """``nn.StochasticGradient`` over a Lua-style dataset (size(), 1-based examples), one epoch."""
    class DS:
        def size(self):
            return len(xs)

        def __getitem__(self, i):
            return xs[i - 1], int(ys[i - 1])

    trainer = nn.StochasticGradient(model, nn.ClassNLLCriterion())
    trainer.maxIteration, trainer.verbose = 1, False
    ds = DS()

    def epoch():
        with contextlib.redirect_stdout(io.StringIO()):   # the Lua trainer prints its header
            trainer.train(ds)
    return epoch


def sgd_lua():
    model = nn.Sequential().add(nn.Linear(6, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax())
    return _trainer(model, *_sgd_data())


def sgd_cifar_lua():
    return _trainer(compat_cifar(), *_sgd_data(NCIFAR, (3, 32, 32), 10))


def _per_sample_torch(net, xs, ys):
    """Per-sample PyTorch loop: forward on a batch of 1, nll_loss, backward, SGD step."""
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    perm = torch.randperm(len(xs)).tolist()

    def epoch():
        for i in perm:
            opt.zero_grad()
            F.nll_loss(net(xs[i:i + 1]), (ys[i:i + 1] - 1)).backward()
            opt.step()
    return epoch


def sgd_torch():
    T = torch.nn
    net = T.Sequential(T.Linear(6, 5), T.Tanh(), T.Linear(5, 3), T.LogSoftmax(1))
    return _per_sample_torch(net, *_sgd_data())


def sgd_cifar_torch():
    return _per_sample_torch(torch_cifar(), *_sgd_data(NCIFAR, (3, 32, 32), 10))


# name -> (factory, calls per round, divisor turning ms per call into the unit printed)
METHODS = {
    'cifar-lua': (cifar_lua, 20, 1),
    'cifar-lua-nil': (lambda: cifar_lua(skip_input_grad=True), 20, 1),
    'cifar-torch': (cifar_torch, 20, 1),
    'cifar-torch-gi': (lambda: cifar_torch(input_grad=True), 20, 1),
    'sgdcifar-lua': (sgd_cifar_lua, 2, NCIFAR),
    'sgdcifar-torch': (sgd_cifar_torch, 2, NCIFAR),
    'sgd-lua': (sgd_lua, 3, NSAMPLES),
    'sgd-torch': (sgd_torch, 3, NSAMPLES),
}

# (label, compat method, PyTorch method, the ratio compat should stay under)
ROWS = [('CIFAR convnet, batch 32 (ms/step)', 'cifar-lua', 'cifar-torch', None),
        ('  same work (PyTorch with input grad)', 'cifar-lua', 'cifar-torch-gi', 1.00),
        ('  conv1.gradInput = None (ms/step)', 'cifar-lua-nil', 'cifar-torch', 1.00),
        ('per-sample SGD, CIFAR convnet (ms/sample)', 'sgdcifar-lua', 'sgdcifar-torch', 0.75),
        ('per-sample SGD, 6-5-3 MLP (ms/sample)', 'sgd-lua', 'sgd-torch', 1.00)]


def worker(name, rounds, cpu_time=False):
    """Runs in its own process: warm up, then ``rounds`` timed rounds; prints a JSON list of ms
    (wall-clock, or the process's CPU time with ``cpu_time``)."""
    torch.set_num_threads(1)
    clock = time.process_time if cpu_time else time.perf_counter
    factory, n, div = METHODS[name]
    step = factory()
    for _ in range(3):
        step()
    res = []
    for _ in range(rounds):
        t0 = clock()
        for _ in range(n):
            step()
        res.append((clock() - t0) / n * 1e3 / div)
    print(json.dumps(res))


FIXED_MALLOC = {'MALLOC_MMAP_THRESHOLD_': str(1 << 30), 'MALLOC_TRIM_THRESHOLD_': str(1 << 30)}


def run_worker(name, rounds, env=None, cpu_time=False):
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', name, '--rounds', str(rounds)]
    out = subprocess.run(cmd + (['--cpu-time'] if cpu_time else []),
                         check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(title, rounds, procs, env, cpu_time=False):
    names = list(dict.fromkeys(n for _, a, b, _ in ROWS for n in (a, b)))
    times = {n: [] for n in names}
    for p in range(procs):
        for n in (names if p % 2 == 0 else names[::-1]):
            times[n].extend(run_worker(n, rounds, env, cpu_time))
    print(title)
    print(f"{'benchmark':40} {'compat.nn (Lua calls)':>24} {'PyTorch':>24} {'ratio':>6} {'target':>7}")
    for label, a, b, target in ROWS:
        ta, tb = times[a], times[b]
        ma, mb = statistics.median(ta), statistics.median(tb)
        print(f"{label:40} {ma:9.3f} [{min(ta):.3f}-{max(ta):.3f}] {mb:9.3f} [{min(tb):.3f}-{max(tb):.3f}] "
              f"{ma / mb:6.2f} {'' if target is None else f'{target:.2f}':>7}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5, help='timed rounds per process')
    ap.add_argument('--procs', type=int, default=2, help='processes per method')
    ap.add_argument('--cpu-time', action='store_true',
                    help="time each process's CPU time instead of wall-clock: on a loaded machine the "
                         "time a process waits for a core is then not counted")
    ap.add_argument('--worker', choices=sorted(METHODS), help=argparse.SUPPRESS)
    _results.add_option(ap)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.rounds, args.cpu_time)
    with _results.recorded("bench_nn", args.write_results):
        print(f"torch {torch.__version__}, 1 thread, {args.procs} processes per method x {args.rounds} rounds: "
              f"median [min-max] of {'CPU' if args.cpu_time else 'wall-clock'} time")
        table("glibc malloc as it comes (a user's script)", args.rounds, args.procs, None, args.cpu_time)
        table("malloc thresholds fixed at 1 GiB (no page faults on either side)", args.rounds, args.procs,
              FIXED_MALLOC, args.cpu_time)


if __name__ == '__main__':
    main()
