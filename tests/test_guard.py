"""Non-finite guard: on 1-3 ranks (real mpiexec) one rank's NaN/Inf makes every rank skip or raise."""
from pathlib import Path

import pytest
import torch

from automatedparallelization import guard
from tests.mpi_harness import case_runs, check

CASES = Path(__file__).parent / "mpi_cases" / "guard_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(CASES))
def test_guard(case, nprocs):
    check(CASES, nprocs, case)


def test_bad_arguments_are_named():
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1)
    with pytest.raises(ValueError, match=r"policy: expected one of \('skip', 'raise'\), got 'ignore'"):
        guard.skip_nonfinite_step(opt, model, policy="ignore")
    with pytest.raises(TypeError, match="optimizer: expected a torch.optim.Optimizer, got int"):
        guard.skip_nonfinite_step(3, model)
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        guard.skip_nonfinite_step(opt, "model")
    with pytest.raises(TypeError, match=r"tensors\[1\]: expected a torch.Tensor or None, got list"):
        guard.all_finite([torch.ones(1), [1.0]])
    with pytest.raises(TypeError, match="tensors: expected a tensor or an iterable of tensors, got float"):
        guard.all_finite(1.0)


def test_compat_nn_module_keeps_its_lua_gradient_views():
    """compat.nn overrides parameters() with Lua's (weights, grads); the guard uses PyTorch's
    iterator and zeroes in place, so the flat gradient of getParameters() still aliases .grad."""
    from compat import nn
    model = nn.Linear(3, 2)
    weights, grads = model.getParameters()
    opt = torch.optim.SGD(model.torch_parameters(), lr=0.5)
    before = weights.clone()
    grads.fill_(float("nan"))
    assert guard.skip_nonfinite_step(opt, model) is False
    assert torch.equal(weights, before) and torch.equal(grads, torch.zeros_like(grads))
    grads.fill_(1.0)  # the views still alias the parameters' gradients
    assert guard.skip_nonfinite_step(opt, model) is True
    assert torch.equal(weights, before - 0.5)
