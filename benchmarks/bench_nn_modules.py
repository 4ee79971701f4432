"""Every module case of tests/fixtures/torch7_refs/spec.py: one batch forward + backward through the
Lua path (``m.forward(x)``, ``m.backward(x, g)``: explicit backward kernels) against the same module
through PyTorch autograd (``m(x)`` on an input with ``requires_grad``, ``torch.autograd.backward``),
single thread, in one run.

The inputs are the spec's Lua input expressions with a larger batch (``--batch``, default 256),
translated to Python. The two sides alternate round by round; a row shows the fastest round's time
per step (``--rounds`` rounds of ``--steps`` steps; the minimum, because the machine is shared and
other processes only ever add time) and the ratio Lua / autograd (target: <= 1.5).
Usage: python benchmarks/bench_nn_modules.py [--batch 256] [--rounds 9] [--steps 10] [-k NAME]
"""
import argparse
import sys
import time
from pathlib import Path

import torch

from compat import torch as ctorch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _results  # noqa: E402 - this folder is on the path when run as a script

from tests._spec_inputs import MODULES, lua_input  # noqa: E402
from tests.test_nn_torch7_cases import build  # noqa: E402


def _floats(x, dtype):
    if isinstance(x, list):
        return [_floats(v, dtype) for v in x]
    return x.to(dtype) if x.is_floating_point() else x


def _like(x):
    if isinstance(x, list):
        return [_like(v) for v in x]
    return torch.randn_like(x)


def _leaves(x):
    if isinstance(x, list):
        return [_leaves(v) for v in x]
    return x.detach().clone().requires_grad_(True) if x.is_floating_point() else x


def _flat(x):
    return [t for v in x for t in _flat(v)] if isinstance(x, list) else [x]


def case_steps(ctor, expr, mode, batch):
    """(lua_step, autograd_step) for one spec case, in float32."""
    torch.manual_seed(0)
    m = build(ctor).float()
    m.evaluate() if mode == "evaluate" else m.training()
    x = _floats(lua_input(expr, batch), torch.float32)
    g = _like(m.forward(x))
    xa = _leaves(x)

    def lua():
        m.forward(x)
        m.backward(x, g)

    def autograd():
        out = m(xa)
        torch.autograd.backward(_flat(out), _flat(g))
    return lua, autograd


def timed(step, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    _results.add_option(ap)
    args = ap.parse_args()
    with _results.recorded("bench_nn_modules", args.write_results):
        torch.set_num_threads(1)
        ctorch.manualSeed(0)
        rows = []
        for name, ctor, expr, opts in MODULES:
            if args.k not in name:
                continue
            try:
                lua, ag = case_steps(ctor, expr, opts.get("mode", "training"), args.batch)
                lua(), ag(), lua(), ag()              # warm-up (allocations, first-call paths)
            except Exception as e:  # noqa: BLE001 -- a module the tree lacks still gets its row
                rows.append((name, None, None, f"{type(e).__name__}: {str(e)[:60]}"))
                continue
            tl, ta = [], []
            for _ in range(args.rounds):
                tl.append(timed(lua, args.steps))
                ta.append(timed(ag, args.steps))
            rows.append((name, min(tl), min(ta), ""))
        print(f"batch {args.batch}, float32, 1 thread; ms per forward+backward, fastest of {args.rounds} rounds")
        print(f"| {'case':34s} | {'Lua path':>9s} | {'autograd':>9s} | {'ratio':>6s} |")
        print(f"|{'-' * 36}|{'-' * 11}|{'-' * 11}|{'-' * 8}|")
        for name, tl, ta, err in rows:
            if tl is None:
                print(f"| {name:34s} | {'-':>9s} | {'-':>9s} | {'-':>6s} | {err}")
            else:
                print(f"| {name:34s} | {tl * 1e3:9.3f} | {ta * 1e3:9.3f} | {tl / ta:6.2f} |")
        done = [r for r in rows if r[1] is not None]
        if done:
            worst = sorted(done, key=lambda r: r[1] / r[2], reverse=True)[:5]
            print("worst ratios: " + ", ".join(f"{n} {a / b:.2f}" for n, a, b, _ in worst))
            print(f"cases over 1.5x: {sum(1 for r in done if r[1] / r[2] > 1.5)} of {len(done)} "
                  f"({len(rows) - len(done)} not run)")


if __name__ == "__main__":
    main()
