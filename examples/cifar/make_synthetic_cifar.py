"""Write a synthetic ``cifar-10-batches-t7/`` folder in exactly the format of the cifar-10-torch files.

    python examples/cifar/make_synthetic_cifar.py [-dir cifar-10-batches-t7] [-n 2000] [-seed 1]

The real data set (http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz, the
files the Lua example downloads) is six ascii ``.t7`` files, ``data_batch_1.t7`` .. ``data_batch_5.t7``
and ``test_batch.t7``, each ``torch.save(path, {data=, labels=}, 'ascii')`` of

* ``data``: ``torch.ByteTensor(3072, N)``, one image per *column*: 1024 red, 1024 green, 1024 blue
  bytes, each plane 32 x 32 row-major (the Lua example reads ``subset.data:t()`` then
  ``reshape(N, 3, 32, 32)``);
* ``labels``: ``torch.ByteTensor(1, N)``, 0-based class numbers 0..9 (the example adds 1).

The real files hold N = 10000 each; here N is ``-n`` (default 2000, about 6 MB per file). The table
keys are written in Torch7's order (``labels`` first), so a file written here is byte-identical to
one Torch7 writes for the same tensors (tests/test_example_cifar.py checks it against a Torch7 file).

The images are not random noise: class ``c`` is an oriented sine grating at angle ``c * 18`` degrees
(random phase and frequency jitter) over a class-dependent colour tint, with per-image brightness,
contrast and pixel noise. The example's preprocessing keeps both cues (the local contrast
normalization of Y keeps the grating, the global normalization of U and V keeps the tint), so a
model that reaches well above 10 % test accuracy has really learned from the distributed training.
"""
import math
import os
import sys

import torch as pytorch

from compat import torch

CLASSES = 10
FILES = [f"data_batch_{i}.t7" for i in range(1, 6)] + ["test_batch.t7"]
MARKER = "SYNTHETIC.txt"      # written last: a folder without it is not a complete synthetic set

# Class tints, as small RGB offsets (in 0..255 units) around mid-grey.
_TINT = pytorch.tensor([[math.cos(2 * math.pi * c / CLASSES + s * 2 * math.pi / 3) for s in range(3)]
                        for c in range(CLASSES)], dtype=pytorch.float32)


def make_images(labels, generator, noise=40.0, tint=18.0):
    """``N x 3 x 32 x 32`` uint8 images for 0-based ``labels`` (an int64 tensor of size N)."""
    n = labels.numel()
    coords = pytorch.arange(32, dtype=pytorch.float32) - 15.5
    yy, xx = pytorch.meshgrid(coords, coords, indexing="ij")
    angle = labels.float() * (math.pi / CLASSES)                       # class -> orientation
    angle = angle + (pytorch.rand(n, generator=generator) - 0.5) * 0.15
    freq = 2 * math.pi / (7.0 + 2.0 * pytorch.rand(n, generator=generator))   # period 7..9 pixels
    phase = 2 * math.pi * pytorch.rand(n, generator=generator)
    proj = xx * angle.cos().view(n, 1, 1) + yy * angle.sin().view(n, 1, 1)
    grating = pytorch.sin(proj * freq.view(n, 1, 1) + phase.view(n, 1, 1))           # n x 32 x 32
    contrast = 35.0 + 30.0 * pytorch.rand(n, 1, 1, 1, generator=generator)
    brightness = 128.0 + 30.0 * (pytorch.rand(n, 1, 1, 1, generator=generator) - 0.5)
    colour = tint * _TINT[labels].view(n, 3, 1, 1)
    images = brightness + colour + contrast * grating.unsqueeze(1)
    images = images + noise * pytorch.randn(n, 3, 32, 32, generator=generator)
    return images.round().clamp(0, 255).to(pytorch.uint8)


def make_batch(n, generator):
    """One file's tensors: ``data`` uint8 ``3072 x n`` (one image per column), ``labels`` uint8 ``1 x n``
    (0-based, every class about n/10 times, in random order)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n (samples per file) must be a positive integer, got {n!r}")
    labels = (pytorch.arange(n) % CLASSES)[pytorch.randperm(n, generator=generator)]
    images = make_images(labels, generator)
    data = images.reshape(n, 3072).t().contiguous()      # Torch7 layout: 3072 x N
    return data, labels.to(pytorch.uint8).view(1, n)


def write_batch(path, data, labels):
    """``torch.save(path, {data=data, labels=labels}, 'ascii')`` with Torch7's key order."""
    torch.save(path, {"labels": labels, "data": data}, "ascii")


def generate(directory="cifar-10-batches-t7", n=2000, seed=1):
    """Write the six files into ``directory`` (created if needed); returns their paths."""
    generator = pytorch.Generator().manual_seed(seed)
    os.makedirs(directory, exist_ok=True)
    marker = os.path.join(directory, MARKER)
    if os.path.exists(marker):
        os.remove(marker)                # incomplete until every file is rewritten
    paths = []
    for name in FILES:
        data, labels = make_batch(n, generator)
        path = os.path.join(directory, name)
        tmp = path + ".tmp"
        write_batch(tmp, data, labels)
        os.replace(tmp, path)            # never leave a half-written file under the real name
        paths.append(path)
    with open(os.path.join(directory, MARKER), "w") as f:   # what ensure() reads back
        f.write(f"synthetic CIFAR-10 (examples/cifar/make_synthetic_cifar.py): n={n} seed={seed}\n")
    return paths


def existing_size(directory):
    """Samples per file of a synthetic folder written by :func:`generate` (from its marker), else 0."""
    try:
        with open(os.path.join(directory, MARKER)) as f:
            fields = dict(w.split("=", 1) for w in f.read().split() if "=" in w)
        n = int(fields["n"])
    except (OSError, KeyError, ValueError):
        return 0
    return n if all(os.path.isfile(os.path.join(directory, name)) for name in FILES) else 0


def ensure(directory, n, seed=1):
    """Generate the synthetic folder unless it already holds at least ``n`` samples per file;
    returns the samples per file now there."""
    have = existing_size(directory)
    if have >= n:
        return have
    generate(directory, n, seed)
    return n


def main(argv=None):
    cmd = torch.CmdLine()
    cmd.text("Write a synthetic cifar-10-batches-t7/ folder (cifar-10-torch format, ascii .t7)")
    cmd.text("Options:")
    cmd.option("-dir", "cifar-10-batches-t7", "output folder")
    cmd.option("-n", 2000, "samples per file (the real files hold 10000)")
    cmd.option("-seed", 1, "seed of the generator")
    opt = cmd.parse(sys.argv[1:] if argv is None else argv)
    paths = generate(opt.dir, opt.n, opt.seed)
    print(f"wrote {len(paths)} files of {opt.n} samples each into {opt.dir}/")  # a script's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
