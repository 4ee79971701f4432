"""examples/cifar: the synthetic cifar-10-torch generator, and the CIFAR example run end to end.

Expected values come from outside the code under test: a file written by Torch7 itself
(fixtures/t7/cifar_like_ascii), an independent feature-based classifier, and arithmetic on the
command-line sizes (shards, counts of the confusion matrix).
"""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compat import torch as t7torch
from tests.conftest import REPO, t7_fixture

EXAMPLE = REPO / "examples" / "cifar"
SCRIPT = EXAMPLE / "sgd_torchad_nn_cifar.py"
FILES = [f"data_batch_{i}.t7" for i in range(1, 6)] + ["test_batch.t7"]

sys.path.insert(0, str(EXAMPLE))
import make_synthetic_cifar as gen  # noqa: E402


# ------------------------------------------------------------------------------- the generator
def test_generator_writes_the_cifar10_torch_layout(tmp_path):
    paths = gen.generate(str(tmp_path / "cifar-10-batches-t7"), n=50, seed=3)
    assert sorted(Path(p).name for p in paths) == sorted(FILES)
    for path in paths:
        subset = t7torch.load(path, "ascii")
        assert set(subset.keys()) == {"data", "labels"}
        assert subset.data.dtype == torch.uint8 and tuple(subset.data.shape) == (3072, 50)
        assert subset.labels.dtype == torch.uint8 and tuple(subset.labels.shape) == (1, 50)
        labels = subset.labels[0].tolist()
        assert sorted(labels) == sorted(i % 10 for i in range(50))     # 0-based, every class 5 times


def test_write_batch_is_byte_identical_to_torch7(tmp_path):
    """A file Torch7 wrote (torch.save(..., 'ascii') of {data=ByteTensor(3072,64), labels=ByteTensor(1,64)})
    is reproduced byte for byte from its own tensors."""
    fixture = t7_fixture("cifar_like_ascii/data_batch_1.t7")
    subset = t7torch.load(str(fixture), "ascii")
    out = tmp_path / "data_batch_1.t7"
    gen.write_batch(str(out), subset.data, subset.labels)
    assert out.read_bytes() == fixture.read_bytes()


def test_images_are_column_major_like_cifar():
    """Column j of ``data`` is image j: 1024 red, then green, then blue bytes, 32 x 32 row-major."""
    g = torch.Generator().manual_seed(5)
    data, labels = gen.make_batch(20, g)
    g = torch.Generator().manual_seed(5)
    expected_labels = (torch.arange(20) % 10)[torch.randperm(20, generator=g)]
    images = gen.make_images(expected_labels, g)                 # same stream as make_batch
    assert torch.equal(labels[0].long(), expected_labels)
    for j in (0, 7, 19):
        assert torch.equal(data[:, j].view(3, 32, 32), images[j])


def test_classes_differ_so_there_is_something_to_learn():
    """A nearest-class-mean rule on orientation energy (independent of any network) beats chance."""
    g = torch.Generator().manual_seed(2)
    train_x, train_y = gen.make_batch(500, g)
    test_x, test_y = gen.make_batch(200, g)

    def features(x):   # power spectrum of the mean channel: the grating's orientation and the tint
        img = x.t().float().view(-1, 3, 32, 32)
        spec = torch.fft.rfft2(img.mean(1) - img.mean((1, 2, 3)).view(-1, 1, 1)).abs().flatten(1)
        return torch.cat([spec / spec.norm(dim=1, keepdim=True), img.mean((2, 3)) / 255], 1)

    ftr, fte = features(train_x), features(test_x)
    means = torch.stack([ftr[train_y[0] == c].mean(0) for c in range(10)])
    pred = torch.cdist(fte, means).argmin(1)
    assert (pred == test_y[0].long()).float().mean() > 0.5


def test_ensure_reuses_or_regenerates(tmp_path):
    folder = str(tmp_path / "syn")
    assert gen.existing_size(folder) == 0
    assert gen.ensure(folder, 20) == 20
    first = Path(folder, "test_batch.t7").stat().st_mtime_ns
    assert gen.ensure(folder, 10) == 20                          # enough already: reused
    assert Path(folder, "test_batch.t7").stat().st_mtime_ns == first
    assert gen.ensure(folder, 30) == 30                          # too few: rewritten with more
    assert tuple(t7torch.load(os.path.join(folder, "test_batch.t7"), "ascii").data.shape) == (3072, 30)


def test_generator_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n .*got 0"):
        gen.make_batch(0, torch.Generator())


def test_port_keeps_the_lua_line_order():
    """Every `# lua N` reference of the port names a Lua line at or after the previous one."""
    refs = [int(m) for m in re.findall(r"# lua (\d+)", SCRIPT.read_text())]
    assert len(refs) > 40 and refs == sorted(refs) and refs[-1] >= 299


# ------------------------------------------------------------------------------- end to end
def _run_example(tmp_path, nprocs, *options, timeout=240):
    cmd = [sys.executable, "-m", "automatedparallelization.launcher", "-np", str(nprocs),
           "--timeout", str(timeout), "python", str(SCRIPT), *options]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout + 30)
    return proc.returncode, proc.stdout + proc.stderr


def _results(path):
    fields = {}
    for line in path.read_text().splitlines():
        if ":" in line and not line.startswith("-"):
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs,iterations", [(2, 3), (3, 1)])
def test_cifar_example_on_synthetic_data(tmp_path, nprocs, iterations):
    trsize, tesize, batch = 400, 200, 10
    code, out = _run_example(tmp_path, nprocs, "-synthetic", "-trsize", str(trsize), "-tesize", str(tesize),
                             "-iterations", str(iterations), "-learningRate", "0.01",
                             "-batchSize", str(batch))
    assert code == 0, out[-6000:]
    shard0 = math.ceil(trsize / nprocs)              # rank 0 holds the largest shard; no sample dropped
    results = tmp_path / f"SgdAuto--Size:{shard0}--Batch:{batch}.txt"
    assert results.exists(), f"{sorted(p.name for p in tmp_path.iterdir())}\n{out[-4000:]}"
    fields = _results(results)
    assert fields["Train set Size"] == str(shard0)
    assert fields["Test set Size"] == str(tesize)
    assert fields["batchSize"] == str(batch) and fields["Learning rate"] == "0.01"
    assert fields["MPI ranks"] == str(nprocs) and fields["Threads"] == "1"
    assert float(fields["Pre-process Time"]) > 0 and float(fields["Training Time"]) > 0
    assert len(list(tmp_path.glob("SgdAuto--*.txt"))) == 1

    # the confusion matrix, printed once (rank 0), counts every test sample of every rank
    assert out.count("ConfusionMatrix:") == 1, out[-4000:]
    rows = re.findall(r"\[([\d\s]+)\]+\s+[-\d.na]+%\s+\[class: (\w+)\]", out)
    assert [name for _, name in rows] == ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                         "frog", "horse", "ship", "truck"]
    counts = [[int(v) for v in row.split()] for row, _ in rows]
    assert all(sum(row) == tesize // 10 for row in counts)        # 20 test samples per class
    accuracy = sum(counts[i][i] for i in range(10)) / tesize * 100   # ConfusionMatrix's order of operations
    assert float(fields["Accuracy"]) == pytest.approx(accuracy)
    assert f"global correct: {accuracy:.14g}%" in out

    # progress on rank 0 only, up to the end of each epoch
    final = [ln for ln in out.splitlines() if ln.startswith("<trainer> epoch") and f"[{shard0:>6}/{shard0}]" in ln]
    assert len(final) == iterations, out[-4000:]
    if iterations >= 3:
        assert accuracy > 25, out[-4000:]                         # chance is 10 %


@pytest.mark.mpi
def test_cifar_example_saves_and_resumes(tmp_path):
    """-save writes the trained weights from rank 0; -resume starts every rank from them, so the
    resumed run's first losses are those of a trained model."""
    common = ["-synthetic", "-trsize", "400", "-tesize", "100", "-learningRate", "0.01", "-batchSize", "10",
              "-progress", "50"]

    def first_loss(out):
        line = next(ln for ln in out.splitlines() if ln.startswith("<trainer> epoch"))
        return float(re.search(r"loss (\S+)", line).group(1))

    code, first = _run_example(tmp_path, 2, *common, "-iterations", "3", "-save", "weights.t7")
    assert code == 0 and "<cifar> weights saved to weights.t7" in first, first[-4000:]
    code, resumed = _run_example(tmp_path, 2, *common, "-iterations", "1", "-resume", "weights.t7")
    assert code == 0 and "<cifar> weights loaded from weights.t7" in resumed, resumed[-4000:]
    assert first_loss(resumed) < first_loss(first) - 0.1, (first_loss(first), first_loss(resumed))
