"""compat.optim's asgd, rprop (against torch.optim's ASGD and Rprop, the same arithmetic) and nag (against
the Nesterov recursion written out: v = mu v - lr grad f(x + mu v), x = x + v)."""
import pytest
import torch

from compat import optim

from ._optim_problems import N, against_torch, smooth_problem


def test_asgd_equals_torch_asgd_including_the_average(double_default):
    # torch.optim.ASGD keeps eta and mu as tensors of the default dtype: doubles, like Lua's
    state = against_torch("asgd", {"eta0": 0.05, "lambda": 1e-3, "alpha": 0.75, "t0": 5},
                           lambda p: _keep(torch.optim.ASGD(p, lr=0.05, lambd=1e-3, alpha=0.75, t0=5)))
    reference = _keep.last
    torch.testing.assert_close(state["ax"], reference.state[reference.param_groups[0]["params"][0]]["ax"],
                               rtol=1e-10, atol=1e-12)
    assert state["t"] == 25 and state["mu_t"] == pytest.approx(1 / 20)


def _keep(opt):
    _keep.last = opt
    return opt


def test_asgd_writes_its_defaults_into_config_as_lua_does():
    f, x0 = smooth_problem()
    config = {}
    optim.asgd(f, x0.clone(), config, {})
    assert config == {"eta0": 1e-4, "lambda": 1e-4, "alpha": 0.75, "t0": 1e6}


def test_rprop_equals_torch_rprop():
    state = against_torch("rprop", {"stepsize": 0.05, "etaplus": 1.3, "etaminus": 0.4,
                                     "stepsizemax": 0.2, "stepsizemin": 1e-3},
                           lambda p: torch.optim.Rprop(p, lr=0.05, etas=(0.4, 1.3), step_sizes=(1e-3, 0.2)))
    assert float(state["stepsize"].max()) <= 0.2 and float(state["stepsize"].min()) >= 1e-3


def test_rprop_niter_returns_every_value_and_zeroes_the_reversed_gradient():
    f, x0 = smooth_problem()
    x, fx = optim.rprop(f, x0.clone(), {"niter": 3}, {})
    assert len(fx) == 3 and fx[0] == pytest.approx(f(x0)[0])
    g = torch.tensor([1.0, -1.0], dtype=torch.float64)
    state = {"delta": torch.tensor([1.0, 1.0], dtype=torch.float64)}
    state.update(stepsize=torch.full((2,), 0.1, dtype=torch.float64), sign=torch.empty(2, dtype=torch.float64),
                 psign=torch.empty(2, dtype=torch.bool), nsign=torch.empty(2, dtype=torch.bool),
                 zsign=torch.empty(2, dtype=torch.bool))
    x, _ = optim.rprop(lambda _x: (0.0, g), torch.zeros(2, dtype=torch.float64), {}, state)
    assert g.tolist() == [1.0, 0.0]             # the sign flip of element 2 zeroed its gradient
    assert x.tolist() == pytest.approx([-0.12, 0.0]) and state["stepsize"].tolist() == pytest.approx([0.12, 0.05])


def test_nag_follows_the_nesterov_recursion():
    f, x0 = smooth_problem()
    lr, mu, lrd = 0.05, 0.8, 0.1
    x, config, state = x0.clone(), {"learningRate": lr, "momentum": mu, "learningRateDecay": lrd}, {}
    theta, v = x0.clone(), torch.zeros(N, dtype=torch.float64)
    for k in range(10):
        x, fx = optim.nag(f, x, config, state)
        clr = lr / (1 + k * lrd)
        value, g = f(theta + mu * v)
        v = mu * v - clr * g
        theta = theta + v
        assert fx == [pytest.approx(value, rel=1e-12)]
        torch.testing.assert_close(x, theta, rtol=1e-11, atol=1e-12)


def test_nag_refuses_a_non_positive_momentum():
    f, x0 = smooth_problem()
    with pytest.raises(ValueError, match="nag: config.momentum must be positive .* got 0"):
        optim.nag(f, x0, {"momentum": 0})
