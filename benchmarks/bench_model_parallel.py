"""Model-parallel training step: dense on 1 process x 1 thread vs MP on P ranks x 1 thread each.

One command, one table:   python benchmarks/bench_model_parallel.py [--steps 5] [--rounds 3] [--np 2]
                                                                [--sizes 4096,8192,8192,10] [--batch 64]

Model: Linear-Tanh-Linear-Tanh-Linear-LogSoftMax over ``--sizes`` (float32), batch ``--batch``,
class-NLL loss, one SGD step (``updateParameters``) per training step. Rows:

- "dense": compat ``nn.Linear`` etc., Lua path (forward, backward, updateParameters), 1 process;
- "MP* layers": the same network with ``nn.MPInitialLinear``/``nn.MPTanh``/``nn.MPBaseLinear`` (every
  Linear split along its input features; allreduce of each output forward, allgather of each input
  gradient backward), Lua path, under ``torchad-run -np P``;
- "column->row": PyTorch-native ``ColumnParallelLinear(gather_output=False)`` -> Tanh ->
  ``RowParallelLinear(input_is_parallel=True)`` -> Tanh -> replicated ``torch.nn.Linear``, autograd and
  ``torch.optim.SGD``, under ``torchad-run -np P`` (one allreduce forward; backward none, since the
  data needs no gradient).

Figures: median step time over ``--steps`` steps after one warm-up step (rounds of the three methods
interleaved, ``--rounds`` times; the median over rounds is shown, with the range), speedup over dense, weight
memory per rank (parameters, not gradients), and the payload bytes each rank hands to collectives per
step (counted by wrapping ``comm.allreduce_``/``comm.allgather``; allgather counted as its result)
next to the minimum the layer layout requires. The machine may be shared: expect noise.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import _results  # noqa: E402 - this folder is on the path when run as a script
from _timing import median_seconds  # noqa: E402


def _sizes(text):
    return [int(s) for s in text.split(",")]


def _time_steps(step, steps):
    step()                                        # warm-up (allocations, first collectives)
    return median_seconds(step, steps)


def _lua_model(nn, sizes, mp):
    lin0, lin, tanh = (nn.MPInitialLinear, nn.MPBaseLinear, nn.MPTanh) if mp else (nn.Linear, nn.Linear, nn.Tanh)
    model = nn.Sequential()
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        model.add((lin0 if i == 0 else lin)(a, b))
        if i < len(sizes) - 2:
            model.add(tanh())
    return model.add(nn.LogSoftMax())


def _colrow_model(sizes):
    import torch

    from automatedparallelization.parallel_linear import ColumnParallelLinear, RowParallelLinear
    a, b, c, d = sizes
    return torch.nn.Sequential(ColumnParallelLinear(a, b, gather_output=False), torch.nn.Tanh(),
                               RowParallelLinear(b, c, input_is_parallel=True), torch.nn.Tanh(),
                               torch.nn.Linear(c, d), torch.nn.LogSoftmax(1))


def _count_bytes(comm, counter):
    """Wrap comm.allreduce_ / comm.allgather to add their payload bytes to counter[0]."""
    reduce_, gather = comm.allreduce_, comm.allgather

    def allreduce_(t, *args, **kwargs):
        counter[0] += t.numel() * t.element_size()
        return reduce_(t, *args, **kwargs)

    def allgather(t, *args, **kwargs):
        out = gather(t, *args, **kwargs)
        counter[0] += out.numel() * out.element_size()
        return out
    comm.allreduce_, comm.allgather = allreduce_, allgather


def worker(kind, sizes, batch, steps):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    counter = [0]
    if kind != "dense":
        from automatedparallelization import comm
        _count_bytes(comm, counter)
    x, t = torch.randn(batch, sizes[0]), torch.randint(0, sizes[-1], (batch,))
    if kind == "colrow":
        model = _colrow_model(sizes)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad()
            torch.nn.functional.nll_loss(model(x), t).backward()
            opt.step()
        params = list(model.parameters())
    else:
        import automatedparallelization  # noqa: F401  (nn.MP*)
        from compat import nn
        model = _lua_model(nn, sizes, kind == "mp")
        crit = nn.ClassNLLCriterion()

        def step():
            model.zeroGradParameters()
            crit.forward(model.forward(x), t + 1)
            model.backward(x, crit.backward(model.output, t + 1))
            model.updateParameters(0.01)
        params = model.parameters()[0]
    median = _time_steps(step, steps)
    per_step = counter[0] / (steps + 1)
    result = {"kind": kind, "step_s": median, "weight_bytes": sum(p.numel() * p.element_size() for p in params),
              "comm_bytes": per_step}
    if kind == "dense" or __import__("automatedparallelization").comm.rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)


def minimum_bytes(kind, sizes, batch, p, elem=4):
    """Least payload per step the layout needs (per rank)."""
    if kind == "dense" or p == 1:
        return 0
    pairs = list(zip(sizes[:-1], sizes[1:]))
    if kind == "mp":    # every output allreduced; every input gradient but the data's gathered
        return elem * batch * (sum(o for _, o in pairs) + sum(i for i, _ in pairs[1:]))
    return elem * batch * sizes[2]     # column->row: the row layer's output allreduced, once


def _run(cmd, env):
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"benchmark run failed ({' '.join(cmd)}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--sizes", type=_sizes, default=[4096, 8192, 8192, 10])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--worker", choices=["dense", "mp", "colrow"])
    _results.add_option(ap)
    opt = ap.parse_args()
    if opt.worker:
        return worker(opt.worker, opt.sizes, opt.batch, opt.steps)
    with _results.recorded("bench_model_parallel", opt.write_results):
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        args = ["--steps", str(opt.steps), "--sizes", ",".join(map(str, opt.sizes)), "--batch", str(opt.batch)]
        me = [sys.executable, str(Path(__file__).resolve())]
        launch = [sys.executable, "-m", "torchad_run", "-np", str(opt.np), "python", me[1]]
        kinds = ["dense", "mp"] + (["colrow"] if len(opt.sizes) == 4 else [])
        rounds = {k: [] for k in kinds}
        for _ in range(opt.rounds):             # interleaved, so that a busy spell hits every method
            for k in kinds:
                rounds[k].append(_run((me if k == "dense" else launch) + args + ["--worker", k], env))
        results = {k: dict(v[0], step_s=statistics.median(r["step_s"] for r in v),
                           range=(min(r["step_s"] for r in v), max(r["step_s"] for r in v))) for k, v in rounds.items()}
        dense = results["dense"]
        print(f"MLP {'-'.join(map(str, opt.sizes))}, batch {opt.batch}, float32; median of {opt.steps} steps, "
              f"median of {opt.rounds} interleaved rounds; "
              f"dense: 1 process x 1 thread, others: {opt.np} ranks x 1 thread")
        head = (f"{'method':<22}{'step (ms)':>10}{'range (ms)':>14}{'speedup':>9}{'weights/rank (MiB)':>20}"
                f"{'vs dense':>10}{'comm/step (MiB)':>17}{'minimum (MiB)':>15}")
        print(head)
        print("-" * len(head))
        names = {"dense": "dense (1 process)", "mp": f"MP* layers ({opt.np} ranks)",
                 "colrow": f"column->row ({opt.np} ranks)"}
        for k in kinds:
            r = results[k]
            lo, hi = r["range"]
            spread = f'{1e3 * lo:.0f}-{1e3 * hi:.0f}'
            print(f"{names[k]:<22}{1e3 * r['step_s']:>10.1f}{spread:>14}{dense['step_s'] / r['step_s']:>8.2f}x"
                  f"{r['weight_bytes'] / 2**20:>20.1f}{r['weight_bytes'] / dense['weight_bytes']:>10.2f}"
                  f"{r['comm_bytes'] / 2**20:>17.2f}{minimum_bytes(k, opt.sizes, opt.batch, opt.np) / 2**20:>15.2f}")


if __name__ == "__main__":
    main()
