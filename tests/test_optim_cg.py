"""optim.cg: converges to the known minimum of a quadratic and of Rosenbrock's function, keeps Lua's
state buffers, and returns the f history (its trajectory against Torch7 is in test_optim_torch7)."""
import itertools

import pytest
import torch

from compat import optim

from ._optim_problems import quadratic, rosenbrock


def test_cg_reaches_the_minimum_of_a_quadratic():
    f, x0, x_star = quadratic()
    x, config, state = x0.clone(), {"maxIter": 30}, {}
    for _ in range(2):
        x, fx = optim.cg(f, x, config, state)
        assert all(b <= a for a, b in itertools.pairwise(fx))      # every accepted line search decreases f
    torch.testing.assert_close(x, x_star, rtol=1e-8, atol=1e-8)
    assert fx[-1] == pytest.approx(f(x_star)[0], rel=1e-12)


def test_cg_solves_rosenbrock_over_calls_and_keeps_its_buffers():
    x, state = torch.tensor([-1.2, 1.0], dtype=torch.float64), {}
    for _ in range(20):
        x, _ = optim.cg(rosenbrock, x, {"maxIter": 25}, state)
    torch.testing.assert_close(x, torch.ones(2, dtype=torch.float64), rtol=1e-6, atol=1e-6)
    assert set(state) == {"df0", "df1", "df2", "df3", "x0", "s"}


def test_cg_evaluation_budget_is_maxeval():
    f, x0, _ = quadratic()
    calls = []
    optim.cg(lambda x: calls.append(1) or f(x), x0.clone(), {"maxIter": 4})
    assert len(calls) == 5                      # maxEval = 1.25 maxIter
