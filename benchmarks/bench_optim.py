"""compat.optim (Lua's ``x, fx = optim.X(opfunc, x, config, state)``) against the matching torch.optim
step on a 1M-parameter flat float32 tensor, single thread, one table in one run.

Both sides do the same work per step: the gradient is copied from a fixed random tensor into the
buffer the optimizer reads (Lua: the tensor opfunc returns; PyTorch: ``p.grad``), then one step.
``nag`` is compared with ``SGD(nesterov=True)`` (the same cost, another formulation of Nesterov's
method); ``lbfgs`` with ``LBFGS`` (5 iterations of fixed steps, history 10, from the same start each
time, on f = 0.5 sum w x^2); ``cg`` has no torch.optim counterpart. Every torch.optim optimizer gets
Torch7's defaults where they differ (Adamax: epsilon 1e-38, a float32 denormal, slow to add on x86).
The two sides alternate round by round; the table gives the median ms per step over the rounds and
compat / torch.
Usage: python benchmarks/bench_optim.py [--rounds 7] [--steps 20] [--n 1000000]
"""
import argparse
import statistics
import time

import _results  # this folder is on the path when run as a script
import torch

from compat import optim

CASES = [  # name, compat config, torch.optim factory (None: no counterpart)
    ("sgd", {"learningRate": 1e-3, "momentum": 0.9}, lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    ("asgd", {"eta0": 1e-3, "t0": 2}, lambda p: torch.optim.ASGD(p, lr=1e-3, t0=2)),
    ("nag", {"learningRate": 1e-3, "momentum": 0.9},
     lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True)),
    ("rprop", {"stepsize": 1e-3}, lambda p: torch.optim.Rprop(p, lr=1e-3)),
    ("adagrad", {"learningRate": 1e-2}, lambda p: torch.optim.Adagrad(p, lr=1e-2)),
    ("adadelta", {}, lambda p: torch.optim.Adadelta(p, lr=1.0)),
    ("adam", {"learningRate": 1e-3}, lambda p: torch.optim.Adam(p, lr=1e-3)),
    ("adamax", {"learningRate": 2e-3}, lambda p: torch.optim.Adamax(p, lr=2e-3, eps=1e-38)),  # Torch7's eps
    ("rmsprop", {"learningRate": 1e-2}, lambda p: torch.optim.RMSprop(p, lr=1e-2)),
    ("lbfgs", {"maxIter": 5, "nCorrection": 10, "tolFun": -1, "tolX": -1},
     lambda p: torch.optim.LBFGS(p, lr=1, max_iter=5, history_size=10, tolerance_grad=-1,
                                 tolerance_change=-1)),
    ("cg", {"maxIter": 3}, None),
]
RESTARTS = {"lbfgs", "cg"}     # one call = several iterations: restart from x0 each time on both sides


def _compat_round(name, config, x, x0, w, g, steps):
    grad = torch.empty_like(x)

    def opfunc(v):
        if name in RESTARTS:
            return float(0.5 * (w * v * v).sum()), torch.mul(w, v, out=grad)
        return 0.0, grad.copy_(g)

    state, fn = {}, getattr(optim, name)
    fn(opfunc, x, dict(config), state)                  # allocate the state outside the timing
    start = time.perf_counter()
    for _ in range(steps):
        if name in RESTARTS:
            x.copy_(x0)
            state = {}
        fn(opfunc, x, dict(config), state)
    return (time.perf_counter() - start) / steps


def _torch_round(name, make, x0, w, g, steps):
    p = torch.nn.Parameter(x0.clone())
    opt = make([p])
    p.grad = g.clone()

    def closure():
        torch.mul(w, p.detach(), out=p.grad)
        return float(0.5 * (w * p.detach() * p.detach()).sum())

    opt.step(closure if name in RESTARTS else None)
    start = time.perf_counter()
    for _ in range(steps):
        if name in RESTARTS:
            with torch.no_grad():
                p.copy_(x0)
            opt = make([p])
            opt.step(closure)
        else:
            p.grad.copy_(g)
            opt.step()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--n", type=int, default=1_000_000)
    _results.add_option(parser)
    args = parser.parse_args()
    with _results.recorded("bench_optim", args.write_results):
        torch.set_num_threads(1)
        gen = torch.Generator().manual_seed(0)
        x0 = torch.randn(args.n, generator=gen)
        g = torch.randn(args.n, generator=gen)
        w = torch.rand(args.n, generator=gen) + 1
        print(f"{args.n} float32 parameters, 1 thread, median of {args.rounds} rounds x {args.steps} steps")
        print("| algorithm | compat.optim ms/step | torch.optim ms/step | compat / torch |")
        print("|---|---|---|---|")
        for name, config, make in CASES:
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(_compat_round(name, config, x0.clone(), x0, w, g, args.steps))
                if make is not None:
                    theirs.append(_torch_round(name, make, x0, w, g, args.steps))
            a = statistics.median(ours) * 1e3
            if make is None:
                print(f"| {name} | {a:.2f} | - | - |")
            else:
                b = statistics.median(theirs) * 1e3
                print(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
