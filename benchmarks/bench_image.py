"""image.scale of a 3x256x256 image, each mode, vs the same resampling done directly with PyTorch.

    python benchmarks/bench_image.py [--rounds 15] [--threads 1] [--write-results]

For each mode and each target (512x512: enlarging, 128x128: shrinking) and each type (double, the
default tensor type of a migrated script, and float), the CPU time (``time.process_time``, which a
busy machine disturbs less than wall time) of ``compat.image.scale`` and of
``torch.nn.functional.interpolate`` doing the nearest PyTorch equivalent on the same tensor:
bilinear enlarging = 'bilinear' with align_corners=True (the same sample positions), bilinear
shrinking = 'area' (the same averaging when the factor is whole), bicubic = 'bicubic' with
align_corners=True (PyTorch's cubic uses a = -0.75, Torch7's Catmull-Rom a = -0.5), simple =
'nearest'. The ratio is compat / PyTorch; the target is at most 1.5. compat.image computes in
Torch7's single-precision positions and rounding (its results equal Torch7's), which PyTorch does not.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _results  # noqa: E402 - this folder is on the path when run as a script

from compat import image  # noqa: E402


def native(x, size, mode):
    batch = x.unsqueeze(0)
    if mode == "simple":
        return F.interpolate(batch, size=size, mode="nearest")[0]
    if mode == "bilinear" and size[0] < x.shape[1]:
        return F.interpolate(batch, size=size, mode="area")[0]
    return F.interpolate(batch, size=size, mode=mode, align_corners=True)[0]


def cpu_seconds(fn):
    start = time.process_time()
    fn()
    return time.process_time() - start


def paired(ours, theirs, rounds, repeat=5):
    """Median CPU seconds per call of each, timed alternately in each round (the machine's load moves
    both alike), and the median of the per-round ratios."""
    ours(), theirs()
    a, b = [], []
    for _ in range(rounds):
        a.append(cpu_seconds(lambda: [ours() for _ in range(repeat)]) / repeat)
        b.append(cpu_seconds(lambda: [theirs() for _ in range(repeat)]) / repeat)
    return statistics.median(a), statistics.median(b), statistics.median(x / y for x, y in zip(a, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    _results.add_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with _results.recorded("bench_image", args.write_results):
        run(args)


def run(args):
    print(f"image.scale, 3x256x256 source, CPU time per call (median of {args.rounds} rounds of 5 calls, "
          f"alternating), {args.threads} thread(s)")
    print(f"{'mode':9} {'target':8} {'type':7} {'compat ms':>10} {'PyTorch ms':>11} {'ratio':>6}")
    worst = 0.0
    for dtype in (torch.float64, torch.float32):
        x = torch.rand(3, 256, 256, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)
        for mode in ("bilinear", "bicubic", "simple"):
            for side in (512, 128):
                ours, theirs, ratio = paired(lambda x=x, s=side, m=mode: image.scale(x, s, s, m),
                                             lambda x=x, s=side, m=mode: native(x, (s, s), m), args.rounds)
                worst = max(worst, ratio)
                print(f"{mode:9} {side}x{side:<4} {str(dtype)[6:]:7} {ours * 1e3:10.2f} {theirs * 1e3:11.2f} "
                      f"{ratio:6.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
