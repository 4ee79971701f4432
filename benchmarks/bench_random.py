"""Drawing from Torch7's stream (compat.torch.rand / randn) vs PyTorch's own (torch.rand / randn).

    python benchmarks/bench_random.py [--n 10000000] [--rounds 5] [--threads 1]

Each row draws ``--n`` Doubles into a new tensor: uniform in [0, 1) and standard normal, from the
Torch7 generator (MT19937 words from NumPy, Torch7's transforms, Box-Muller with its cached pair)
and from PyTorch's generator. Rounds of the four calls are interleaved and each figure is the
median; ``ratio`` = Torch7 stream / PyTorch (the goal is at most 3). ``--threads`` sets
``torch.set_num_threads`` (NumPy's part runs on one thread).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _results  # noqa: E402 (this folder is on the path when run as a script)
from _timing import median_seconds  # noqa: E402

from compat import torch as ctorch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    _results.add_option(parser)
    args = parser.parse_args()
    with _results.recorded("bench_random", args.write_results):
        run(args)


def run(args):
    torch.set_num_threads(args.threads)
    n, f64 = args.n, torch.float64
    calls = {
        ("uniform", "torch7"): lambda: ctorch.rand(n, dtype=f64),
        ("uniform", "pytorch"): lambda: torch.rand(n, dtype=f64),
        ("normal", "torch7"): lambda: ctorch.randn(n, dtype=f64),
        ("normal", "pytorch"): lambda: torch.randn(n, dtype=f64),
    }
    ctorch.manualSeed(1)
    times = {key: [] for key in calls}
    for _ in range(args.rounds):
        for key, call in calls.items():
            times[key].append(median_seconds(call, 1))
    print(f"{n:,} Doubles, median of {args.rounds} rounds, torch threads {args.threads}")
    print("| draw | Torch7 stream (ms) | PyTorch (ms) | ratio |")
    print("|---|---|---|---|")
    for kind in ("uniform", "normal"):
        ours = sorted(times[(kind, "torch7")])[args.rounds // 2]
        theirs = sorted(times[(kind, "pytorch")])[args.rounds // 2]
        print(f"| {kind} | {ours * 1e3:.0f} | {theirs * 1e3:.0f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
