"""compat.nn (Lua-style calls) against plain PyTorch (autograd + torch.optim), single thread.

(1) the CIFAR convnet of the original example (cifar_example/sgd-torchad_nn-cifar.lua), batch 32:
    forward / ClassNLLCriterion / zeroGradParameters / backward / updateParameters
    vs torch.nn + F.nll_loss + loss.backward() + torch.optim.SGD.step().
(2) per-sample nn.StochasticGradient (6-5-3 Tanh MLP, 200 samples per epoch)
    vs a per-sample PyTorch loop (forward, nll_loss, backward, SGD step).
Prints ms per step (median of ROUNDS rounds) and the ratio compat / PyTorch.
Usage: python benchmarks/bench_nn.py [--rounds 5]
"""
import argparse
import contextlib
import io
import statistics
import time

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


def timed(step, n, rounds, warmup=3):
    for _ in range(warmup):
        step()
    res = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        res.append((time.perf_counter() - t0) / n * 1e3)
    return statistics.median(res), min(res), max(res)


def bench_cifar(rounds, n=20, skip_input_grad=False):
    torch.manual_seed(0)
    x = torch.randn(32, 3, 32, 32)
    y = torch.randint(1, 11, (32,))
    model, crit = compat_cifar(), nn.ClassNLLCriterion()
    if skip_input_grad:     # Lua idiom: a nil gradInput makes the first layer skip dLoss/dInput
        model.get(1).gradInput = None

    def lua_step():
        out = model.forward(x)
        crit.forward(out, y)
        model.zeroGradParameters()
        model.backward(x, crit.backward(out, y))
        model.updateParameters(0.01)

    net = torch_cifar()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def torch_step():
        opt.zero_grad()
        F.nll_loss(net(x), y - 1).backward()
        opt.step()

    return timed(lua_step, n, rounds), timed(torch_step, n, rounds)


def bench_sgd(rounds, nsamples=200):
    torch.manual_seed(0)
    xs = torch.randn(nsamples, 6)
    ys = torch.randint(1, 4, (nsamples,))

    class DS:
        def size(self):
            return nsamples

        def __getitem__(self, i):
            return xs[i - 1], int(ys[i - 1])

    model = nn.Sequential().add(nn.Linear(6, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax())
    trainer = nn.StochasticGradient(model, nn.ClassNLLCriterion())
    trainer.maxIteration, trainer.verbose = 1, False
    ds = DS()

    def lua_epoch():
        with contextlib.redirect_stdout(io.StringIO()):   # the Lua trainer prints its header
            trainer.train(ds)

    T = torch.nn
    net = T.Sequential(T.Linear(6, 5), T.Tanh(), T.Linear(5, 3), T.LogSoftmax(0))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    perm = torch.randperm(nsamples)

    def torch_epoch():
        for i in perm.tolist():
            opt.zero_grad()
            F.nll_loss(net(xs[i]).unsqueeze(0), (ys[i:i + 1] - 1)).backward()
            opt.step()

    (a, amin, amax), (b, bmin, bmax) = timed(lua_epoch, 3, rounds, 1), timed(torch_epoch, 3, rounds, 1)
    return (a / nsamples, amin / nsamples, amax / nsamples), (b / nsamples, bmin / nsamples, bmax / nsamples)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = [('CIFAR convnet, batch 32 (ms/step)', *bench_cifar(args.rounds), 1.10),
            ('  same, conv1.gradInput = None (ms/step)', *bench_cifar(args.rounds, skip_input_grad=True), 1.10),
            ('per-sample SGD, 6-5-3 MLP (ms/sample)', *bench_sgd(args.rounds), 1.25)]
    print(f"torch {torch.__version__}, 1 thread, median of {args.rounds} rounds [min-max]")
    print(f"{'benchmark':40} {'compat.nn (Lua calls)':>24} {'PyTorch':>24} {'ratio':>6} {'target':>7}")
    for name, (a, amin, amax), (b, bmin, bmax), target in rows:
        print(f"{name:40} {a:9.3f} [{amin:.3f}-{amax:.3f}] {b:9.3f} [{bmin:.3f}-{bmax:.3f}] "
              f"{a / b:6.2f} {target:7.2f}")


if __name__ == '__main__':
    main()
