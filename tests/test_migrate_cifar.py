"""The original TorchAD-NN CIFAR example (tests/migrate/sgd-torchad_nn-cifar.lua, unmodified), translated
by torchad-migrate, runs on 2 ranks under torchad-run on synthetic data and learns like the hand port
(examples/cifar/sgd_torchad_nn_cifar.py, tested in test_example_cifar.py).

The Lua script reads ./cifar-10-batches-t7/ (10000 samples per file) and has no option for other data,
so the test writes synthetic files of that size there (examples/cifar/make_synthetic_cifar.py: class
c is a grating at 18c degrees, chance is 10 %). Expected values: the sizes the Lua script fixes (4000
training samples sharded over 2 ranks, 2000 test samples tested on every rank) and chance.
"""
import os
import re
import subprocess
import sys

import pytest

from tests.mpi_harness import REPO

LUA = REPO / "tests" / "migrate" / "sgd-torchad_nn-cifar.lua"
sys.path.insert(0, str(REPO / "examples" / "cifar"))
import make_synthetic_cifar as gen  # noqa: E402 - from the example folder put on sys.path above


@pytest.mark.mpi
@pytest.mark.slow
def test_translated_cifar_example_learns_on_two_ranks(tmp_path):
    gen.ensure(str(tmp_path / "cifar-10-batches-t7"), 10000)
    out = tmp_path / "sgd_torchad_nn_cifar.py"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    translated = subprocess.run([sys.executable, "-m", "compat.migrate", str(LUA), "-o", str(out)], env=env,
                                capture_output=True, text=True, check=False, timeout=120)
    assert translated.returncode == 0, translated.stderr
    assert "0 TODO item(s)" in translated.stderr
    cmd = [sys.executable, "-m", "automatedparallelization.launcher", "-np", "2", "--timeout", "600",
           "python", str(out), "-learningRate", "0.01"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=660)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]

    # every rank trains on its half (4000 / 2) and tests the whole test set (2000), as the Lua does
    fields = dict(line.split(":", 1) for line in (tmp_path / "SgdAuto--Size:2000--Batch:1.txt").read_text()
                  .splitlines() if ":" in line and not line.startswith("-"))
    assert fields["Train set Size"].strip() == "2000" and fields["Test set Size"].strip() == "2000"
    assert fields["Learning rate"].strip() == "0.01" and fields["batchSize"].strip() == "1"
    assert output.count("ConfusionMatrix:") == 2
    # each rank prints its own matrix (the Lua tests with Dropout still active, so they differ a little)
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    rows = re.findall(r"\[([\d\s]+)\]+\s+[-\d.na]+%\s+\[class: (\w+)\]", output)
    assert sorted(name for _, name in rows) == sorted(classes * 2)
    counts = {name: [] for name in classes}
    for row, name in rows:
        counts[name].append([int(v) for v in row.split()])
    assert sum(sum(map(sum, rows_of_class)) for rows_of_class in counts.values()) == 2 * 2000
    correct = sum(row[classes.index(name)] for name, rows_of_class in counts.items() for row in rows_of_class)
    assert correct / (2 * 2000) * 100 > 25, output[-4000:]             # chance is 10 %
    assert float(fields["Accuracy"]) > 25
