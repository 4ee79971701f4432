"""optim.checkgrad: central differences against the analytic gradient (a correct one and a wrong one)."""
import pytest
import torch

from compat import optim

from ._optim_problems import rosenbrock


def test_checkgrad_accepts_a_correct_gradient_and_restores_x():
    x = torch.tensor([-1.2, 1.0, 0.5, -0.5], dtype=torch.float64)
    before = x.clone()
    diff, dc, dc_est = optim.checkgrad(rosenbrock, x, 1e-6)
    assert diff < 1e-8
    assert torch.equal(x, before) and torch.equal(dc, rosenbrock(before)[1])
    torch.testing.assert_close(dc_est, dc, rtol=1e-6, atol=1e-6)


def test_checkgrad_flags_a_wrong_gradient():
    def wrong(x):
        f, g = rosenbrock(x)
        return f, g * torch.tensor([1.0, 1.0, -1.0, 1.0], dtype=torch.float64)
    diff, _, _ = optim.checkgrad(wrong, torch.tensor([-1.2, 1.0, 0.5, -0.5], dtype=torch.float64))
    assert diff > 0.05


def test_checkgrad_tensor_loss():
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    diff, _, est = optim.checkgrad(lambda x: ((w * x * x).sum().reshape(1), 2 * w * x),
                                   torch.ones(3, dtype=torch.float64))
    assert diff == pytest.approx(0, abs=1e-7) and est.tolist() == pytest.approx([2.0, 4.0, 6.0], rel=1e-6)
