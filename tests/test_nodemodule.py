"""automatedparallelization.nodemodule (nn.MP* layers) under a real mpiexec: 1, 2 and 3 ranks against
the dense single-process model; a 2 (data) x 2 (model) grid on 4 ranks; the model-parallel example."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mpi_harness import case_names, case_runs, check

HERE = Path(__file__).parent / "mpi_cases"
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(HERE / "nodemodule_cases.py"))
def test_nodemodule(case, nprocs):
    check(HERE / "nodemodule_cases.py", nprocs, case)


@pytest.mark.mpi
@pytest.mark.parametrize("case", case_names(HERE / "nodemodule_grid_cases.py"))
def test_data_model_grid(case):
    check(HERE / "nodemodule_grid_cases.py", 4, case)


@pytest.mark.mpi
def test_model_parallel_example_runs_on_two_ranks():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "automatedparallelization.launcher", "-np", "2", "--timeout", "200",
           "python", "examples/model_parallel/mlp_mp.py", "--samples", "64", "--epochs", "2",
           "--hidden", "32", "--check"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "matches the dense model" in out, out
