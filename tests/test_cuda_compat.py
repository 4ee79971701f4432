"""cutorch/cunn/cudnn and :cuda() in translated scripts: on a CUDA machine they run on the GPU; where
PyTorch has no CUDA device the first CUDA call stops the script with an error naming TORCHAD_CUDA=cpu,
and with that variable the script runs on the CPU with one warning."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compat import cuda, cudnn, cutorch, nn

HERE = Path(__file__).parent
SCRIPT = HERE / "lua_programs" / "gpu_script.lua"


@pytest.fixture(scope="module")
def translated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu") / "gpu_script.py"
    subprocess.run([sys.executable, "-m", "compat.migrate", str(SCRIPT), "-o", str(out)], check=True,
                   capture_output=True)
    return out


def _run(script, **env):
    environ = {k: v for k, v in os.environ.items() if k != cuda.ENV}
    environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env=dict(environ, **env))


def test_the_gpu_script_runs_on_cuda_or_names_the_cpu_option(translated):
    proc = _run(translated)
    if torch.cuda.is_available():
        assert proc.returncode == 0 and proc.stdout == "torch.CudaTensor\t5\t2\ttrue\n", proc.stderr
    else:
        assert proc.returncode != 0 and proc.stdout == ""
        last = proc.stderr.strip().splitlines()[-1]
        assert "CudaUnavailableError" in last and "cutorch.getDeviceCount()" in last and "TORCHAD_CUDA=cpu" in last


def test_with_torchad_cuda_cpu_it_runs_on_the_cpu_with_one_warning(translated):
    proc = _run(translated, TORCHAD_CUDA="cpu")
    assert proc.returncode == 0, proc.stderr
    expected = "torch.CudaTensor" if torch.cuda.is_available() else "torch.FloatTensor"
    assert proc.stdout == f"{expected}\t5\t2\ttrue\n"
    warnings = [line for line in proc.stderr.splitlines() if "run on the CPU" in line]
    assert len(warnings) == (0 if torch.cuda.is_available() else 1), proc.stderr


def test_cuda_calls_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv(cuda.ENV, raising=False)
    with pytest.raises(cuda.CudaUnavailableError, match="Linear:cuda\\(\\).*TORCHAD_CUDA=cpu"):
        nn.Linear(2, 3).cuda()
    monkeypatch.setenv(cuda.ENV, "cpu")
    m = nn.Linear(2, 3).double().cuda()
    assert m.weight.dtype == torch.float32 and m.weight.device.type == "cpu"
    assert cuda.tensor(torch.ones(2, dtype=torch.float64)).dtype == torch.float32
    assert cutorch.getDeviceCount() == 1 and cutorch.getDevice() == 1
    cutorch.setDevice(1)
    cutorch.synchronize()
    with pytest.raises(ValueError, match="expected a device number from 1 to 1, got 2"):
        cutorch.setDevice(2)
    free, total = cutorch.getMemoryUsage()
    assert 0 < free <= total
    assert cudnn.convert(m, cudnn) is m and cudnn.SpatialConvolution is nn.SpatialConvolution
    with pytest.raises(AttributeError, match="no attribute 'Linear'"):
        _ = cudnn.Linear
