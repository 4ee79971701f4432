"""Loading a full-size CIFAR-10 batch from .t7: compat.t7 (binary, ascii) vs python-torchfile (binary).

The batch is generated like cifar-10-batches-t7/data_batch_1.t7: {data = ByteTensor(3072, 10000),
labels = ByteTensor(1, 10000)}, written with compat.t7.save in both formats into a temporary
folder. Each loader runs 5 times; the table shows the median time, MB/s (file size / time) and the
ratio to torchfile. torchfile only reads binary files (it fails on ascii ones).

    python benchmarks/bench_t7.py [--repeat 5] [--doubles 1000000]

``--doubles N`` adds a second table for a DoubleTensor of N random values, where the ascii file
holds decimal text (%.17g) rather than raw bytes.

``--keys N`` adds a table for hostile tables: N integer keys, then the same N keys again,
for N, 2N, 4N and 8N, in both formats; the time per entry stays flat when parsing is linear (the
quadratic reader took 64 s for 1.4 MB).
"""
import argparse
import io
import os
import struct
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _results  # this folder is on the path when run as a script
from _timing import median_seconds  # noqa: E402

from compat.t7 import load, save  # noqa: E402

try:
    import torchfile
except ImportError:  # the comparison column is left out
    torchfile = None


def bench(title, obj, check, repeat, folder):
    paths = {fmt: os.path.join(folder, f"{title}_{fmt}.t7") for fmt in ("binary", "ascii")}
    for fmt, path in paths.items():
        t0 = time.perf_counter()
        save(path, obj, fmt)
        print(f"  wrote {fmt:6s} {os.path.getsize(path) / 1e6:8.1f} MB in {time.perf_counter() - t0:6.3f} s")
    rows = [
        ("compat.t7 binary", paths["binary"], lambda: load(paths["binary"])),
        ("compat.t7 ascii", paths["ascii"], lambda: load(paths["ascii"], "ascii")),
    ]
    if torchfile is not None:
        rows.append(("torchfile binary", paths["binary"],
                     lambda: torchfile.load(paths["binary"], use_list_heuristic=False)))
    for _, _, fn in rows:  # each loader's result is checked once, outside the timed runs
        check(fn())
    results = [(name, os.path.getsize(path), median_seconds(fn, repeat)) for name, path, fn in rows]
    ref = results[-1][2] if torchfile is not None else results[0][2]
    ref_name = "torchfile" if torchfile is not None else "compat binary"
    print(f"\n  {title}: median of {repeat}")
    print(f"  {'loader':18s} {'file MB':>8s} {'time ms':>9s} {'MB/s':>8s} {'time / ' + ref_name:>18s}")
    for name, size, t in results:
        print(f"  {name:18s} {size / 1e6:8.1f} {t * 1e3:9.1f} {size / 1e6 / t:8.0f} {t / ref:18.2f}")
    print(f"  ascii / binary (compat): {results[1][2] / results[0][2]:.2f}\n")


def repeated_keys_file(n: int, fmt: str) -> bytes:
    """A table of 2n entries: the number keys 1..n, then 1..n again (File.lua layout)."""
    keys = list(range(1, n + 1)) * 2
    if fmt == "binary":
        entry = struct.Struct("<idid")  # type number, key, type number, value
        return struct.pack("<iii", 3, 1, 2 * n) + b"".join(entry.pack(1, k, 1, -k) for k in keys)
    return f"3\n1\n{2 * n}\n".encode() + "".join(f"1\n{k}\n1\n{-k}\n" for k in keys).encode()


def bench_repeated_keys(n: int, repeat: int):
    print(f"\n  table with N integer keys then the same N keys again: median of {repeat}")
    print(f"  {'format':7s} {'N':>8s} {'file MB':>8s} {'time ms':>9s} {'us / entry':>11s}")
    for fmt in ("binary", "ascii"):
        for size in (n, 2 * n, 4 * n, 8 * n):
            data = repeated_keys_file(size, fmt)
            t = median_seconds(lambda data=data, fmt=fmt: load(io.BytesIO(data), fmt), repeat)
            print(f"  {fmt:7s} {size:8d} {len(data) / 1e6:8.2f} {t * 1e3:9.1f} {t / (2 * size) * 1e6:11.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--doubles", type=int, default=0, help="also time a DoubleTensor of this many values")
    parser.add_argument("--keys", type=int, default=0, help="also time tables of N repeated integer keys, N..8N")
    _results.add_option(parser)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    with _results.recorded("bench_t7", args.write_results):
        gen = torch.Generator().manual_seed(0)
        batch = {"data": torch.randint(0, 256, (3072, 10000), dtype=torch.uint8, generator=gen),
                 "labels": torch.randint(0, 10, (1, 10000), dtype=torch.uint8, generator=gen)}
        expected = batch["data"].numpy()

        def check_cifar(obj):
            data = obj["data"] if "data" in obj else obj[b"data"]
            data = data.numpy() if isinstance(data, torch.Tensor) else data
            if not (data == expected).all():
                raise RuntimeError("a loader returned different pixel data")

        print(f"torch {torch.__version__}, torchfile {'present' if torchfile else 'absent'}, "
              f"{os.cpu_count()} CPUs")
        with tempfile.TemporaryDirectory() as folder:
            bench("cifar_batch", batch, check_cifar, args.repeat, folder)
            if args.doubles:
                values = torch.randn(args.doubles, dtype=torch.float64, generator=gen)
                bench("doubles", {"x": values}, lambda obj: None, args.repeat, folder)
        if args.keys:
            bench_repeated_keys(args.keys, args.repeat)


if __name__ == "__main__":
    main()
