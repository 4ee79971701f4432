"""A data-parallel CIFAR training script in Lua (tests/migrate/cifar_data_parallel.lua), translated by
torchad-migrate, runs on 2 ranks under torchad-run on synthetic cifar-10-torch files and learns.

The script has the shape of a TorchAD-NN user program: torch.CmdLine options, a convnet,
automation.parallelize, nn.StochasticGradient, optim.ConfusionMatrix and a results file. The synthetic
files come from examples/cifar/make_synthetic_cifar.py (class c is a grating at 18c degrees; chance is
10 %). Expected values come from outside the translated code: the sizes given on the command line and
their split over 2 ranks, the class counts of the test file read here, and the data-parallel contract
(gradients averaged after every sample leave identical replicas, so both ranks score the same).
"""
import os
import re
import subprocess
import sys

import pytest

from compat import torch as t7torch
from tests.mpi_harness import REPO

LUA = REPO / "tests" / "migrate" / "cifar_data_parallel.lua"
sys.path.insert(0, str(REPO / "examples" / "cifar"))
import make_synthetic_cifar as gen  # noqa: E402 - from the example folder put on sys.path above

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _matrices(output):
    """The confusion matrices printed, as {class: [row, ...]} with one row per printing rank."""
    rows = re.findall(r"\[([\d\s]+)\]+\s+[-\d.na]+%\s+\[class: (\w+)\]", output)
    found = {name: [] for name in CLASSES}
    for row, name in rows:
        found[name].append([int(v) for v in row.split()])
    return found


@pytest.mark.mpi
@pytest.mark.slow
def test_translated_cifar_script_learns_on_two_ranks(tmp_path):
    data_dir = tmp_path / "cifar-10-batches-t7"
    gen.ensure(str(data_dir), 2000)
    out = tmp_path / "cifar_data_parallel.py"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    translated = subprocess.run([sys.executable, "-m", "compat.migrate", str(LUA), "-o", str(out)], env=env,
                                capture_output=True, text=True, check=False, timeout=120)
    assert translated.returncode == 0, translated.stderr
    assert "0 TODO item(s)" in translated.stderr
    train_size, test_size = 4000, 1000        # 4000 = data_batch_1 and _2 (2000 each): the reader spans files
    cmd = [sys.executable, "-m", "automatedparallelization.launcher", "-np", "2", "--timeout", "600",
           "python", str(out), "-learningRate", "0.01", "-trainSize", str(train_size),
           "-testSize", str(test_size), "-dataDir", str(data_dir)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=660)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]

    # rank 0 alone writes the results file; each rank trained on half of the training images
    results = tmp_path / "cifar-ranks2-batch1.txt"
    assert sorted(p.name for p in tmp_path.glob("cifar-*.txt")) == [results.name], output[-4000:]
    fields = dict(line.rsplit(" ", 1) for line in results.read_text().splitlines())
    assert fields["ranks"] == "2" and fields["training images per rank"] == str(train_size // 2)
    assert fields["test images"] == str(test_size) and fields["batch size"] == "1"
    assert fields["learning rate"] == "0.01" and fields["epochs"] == "1"
    assert float(fields["training seconds"]) > 0

    # both ranks print a matrix over the whole test set; its rows are the test file's class counts
    assert output.count("ConfusionMatrix:") == 2, output[-4000:]
    labels = t7torch.load(str(data_dir / "test_batch.t7"), "ascii").labels[0][:test_size].long()
    per_class = labels.bincount(minlength=10).tolist()
    matrices = _matrices(output)
    for c, name in enumerate(CLASSES):
        assert len(matrices[name]) == 2, output[-4000:]
        assert [sum(row) for row in matrices[name]] == [per_class[c]] * 2
        assert matrices[name][0] == matrices[name][1]          # identical replicas score identically
    correct = sum(matrices[name][0][c] for c, name in enumerate(CLASSES))
    assert fields["test accuracy"] == f"{correct / test_size * 100:.2f}"
    assert correct / test_size > 0.25, output[-4000:]           # chance is 10 %
