"""Per-call cost of the Lua-semantics tensor helpers on small tensors, against the PyTorch calls
that compute the same result, single thread, in one run.

Each row is one Torch7 call as translated code makes it (``lua.invoke(x, 'add', y)`` for ``x:add(y)``
where the receiver's kind is unknown, ``T7.add(x, y)`` where it is proven a tensor,
``lua.torch.add(x, y)`` for ``torch.add(x, y)``) next to the PyTorch code a hand translator would
write for the same result (``x.add_(y)``, ``torch.add(x, y)``; for a comparison the uint8 result,
for a reduction along a dimension the kept dimension and the 1-based indices). The two sides
alternate round by round; a row shows the fastest round's time per call (the machine is shared,
other processes only ever add time) and the ratio helper / PyTorch (target: <= 1.2).
Usage: python benchmarks/bench_tensor_methods.py [--size 4] [--rounds 15] [--calls 2000] [-k NAME]
"""
import argparse

import _results
import torch
from _timing import per_call_seconds

from compat import lua
from compat.lua.tensors import T7


def cases(n):
    """(name, helper call, direct T7 call or None, PyTorch call) on n x n Double tensors (n-vectors where
    the op wants them).

    The in-place rows use operands that keep the values where they are (adding zeros, scaling by
    -1), so that thousands of repetitions never reach denormals or infinities, which are slower."""
    x = torch.randn(n, n, dtype=torch.float64)
    y = torch.randn(n, n, dtype=torch.float64)
    zero = torch.zeros(n, n, dtype=torch.float64)
    sign = torch.randn(n, n, dtype=torch.float64).sign()
    r = torch.empty(n, n, dtype=torch.float64)
    v = torch.randn(n, dtype=torch.float64)
    f = torch.randn(n, n, dtype=torch.float32)
    ltorch = lua.torch
    invoke = lua.invoke
    return [
        ("x:add(zero)", lambda: invoke(x, "add", zero), lambda: T7.add(x, zero), lambda: x.add_(zero)),
        ("x:add(2, zero)", lambda: invoke(x, "add", 2, zero), lambda: T7.add(x, 2, zero),
         lambda: x.add_(zero, alpha=2)),
        ("x:mul(-1)", lambda: invoke(x, "mul", -1), lambda: T7.mul(x, -1), lambda: x.mul_(-1)),
        ("x:div(-1)", lambda: invoke(x, "div", -1), lambda: T7.div(x, -1), lambda: x.div_(-1)),
        ("x:cmul(sign)", lambda: invoke(x, "cmul", sign), lambda: T7.cmul(x, sign), lambda: x.mul_(sign)),
        ("x:csub(zero)", lambda: invoke(x, "csub", zero), lambda: T7.csub(x, zero), lambda: x.sub_(zero)),
        ("x:abs()", lambda: invoke(r.copy_(x), "abs"), lambda: T7.abs(r.copy_(x)), lambda: r.copy_(x).abs_()),
        ("r:exp(y)", lambda: invoke(r, "exp", y), lambda: T7.exp(r, y), lambda: torch.exp(y, out=r)),
        ("r:add(x, y)", lambda: invoke(r, "add", x, y), lambda: T7.add(r, x, y), lambda: torch.add(x, y, out=r)),
        ("torch.add(x, y)", lambda: ltorch.add(x, y), None, lambda: torch.add(x, y)),
        ("torch.add(x, 3)", lambda: ltorch.add(x, 3), None, lambda: torch.add(x, 3)),
        ("torch.cmul(x, y)", lambda: ltorch.cmul(x, y), None, lambda: torch.mul(x, y)),
        ("torch.exp(x)", lambda: ltorch.exp(x), None, lambda: torch.exp(x)),
        ("torch.mm(x, y)", lambda: ltorch.mm(x, y), None, lambda: torch.mm(x, y)),
        ("torch.mv(x, v)", lambda: ltorch.mv(x, v), None, lambda: torch.mv(x, v)),
        ("torch.gt(x, 0)", lambda: ltorch.gt(x, 0), None, lambda: torch.gt(x, 0).byte()),
        ("x:sum()", lambda: invoke(x, "sum"), lambda: T7.sum(x), lambda: x.sum().item()),
        ("f:sum() (Float)", lambda: invoke(f, "sum"), lambda: T7.sum(f), lambda: f.sum(dtype=torch.float64).item()),
        ("x:sum(2)", lambda: invoke(x, "sum", 2), lambda: T7.sum(x, 2), lambda: x.sum(1, keepdim=True)),
        ("torch.max(x, 2)", lambda: ltorch.max(x, 2), None, lambda: _max_plus_one(x)),
        ("x:dot(y)", lambda: invoke(x, "dot", y), lambda: T7.dot(x, y),
         lambda: x.reshape(-1).dot(y.reshape(-1)).item()),
        ("x:t()", lambda: invoke(x, "t"), lambda: x.t(), lambda: x.t()),     # PyTorch's own: no T7 entry
    ]


def _max_plus_one(x):
    values, indices = x.max(1, keepdim=True)
    return values, indices + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("-k", dest="only", default=None, help="only the rows whose name contains this")
    _results.add_option(parser)
    args = parser.parse_args()
    with _results.recorded("bench_tensor_methods", args.write_results):
        run(args)


def run(args):
    torch.set_num_threads(1)
    rows = [c for c in cases(args.size) if args.only is None or args.only in c[0]]
    print(f"{'call':<18} {'helper us':>10} {'PyTorch us':>11} {'ratio':>6} {'T7 us':>7} {'T7 ratio':>9}")
    worst = worst_t7 = 0.0
    for name, helper, t7, direct in rows:
        best_h = best_d = best_t = float("inf")
        for _ in range(args.rounds):
            best_h = min(best_h, per_call_seconds(helper, args.calls))
            best_d = min(best_d, per_call_seconds(direct, args.calls))
            if t7 is not None:
                best_t = min(best_t, per_call_seconds(t7, args.calls))
        ratio = best_h / best_d
        worst = max(worst, ratio)
        t7_cells = ""
        if t7 is not None:
            worst_t7 = max(worst_t7, best_t / best_d)
            t7_cells = f" {best_t * 1e6:>7.2f} {best_t / best_d:>9.2f}"
        print(f"{name:<18} {best_h * 1e6:>10.2f} {best_d * 1e6:>11.2f} {ratio:>6.2f}{t7_cells}")
    print(f"worst ratio {worst:.2f} (target <= 1.2); method calls made directly through T7 (what "
          f"torchad-migrate emits for a proven tensor): worst {worst_t7:.2f}")


if __name__ == "__main__":
    main()
