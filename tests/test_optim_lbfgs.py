"""optim.lbfgs: with fixed steps and with optim.lswolfe, converges to known minima; state carries the
curvature pairs between calls under Torch7's names."""
import pytest
import torch

from compat import optim

from ._optim_problems import quadratic, rosenbrock


def test_lbfgs_with_lswolfe_reaches_the_minimum_of_a_quadratic():
    f, x0, x_star = quadratic()
    x, fx = optim.lbfgs(f, x0.clone(), {"maxIter": 50, "lineSearch": optim.lswolfe,
                                        "tolFun": 1e-12, "tolX": 1e-30})
    torch.testing.assert_close(x, x_star, rtol=1e-8, atol=1e-8)
    assert fx[-1] == pytest.approx(f(x_star)[0], rel=1e-12)


def test_lbfgs_fixed_steps_reach_the_minimum_over_calls():
    f, x0, x_star = quadratic(seed=1)
    x, state = x0.clone(), {}
    for _ in range(10):
        x, _ = optim.lbfgs(f, x, {"maxIter": 10, "learningRate": 0.5, "tolFun": 1e-12, "tolX": 1e-14}, state)
    torch.testing.assert_close(x, x_star, rtol=1e-7, atol=1e-7)
    assert {"d", "t", "old_dirs", "old_stps", "Hdiag", "g_old", "f_old", "nIter", "funcEval"} <= set(state)
    assert len(state["old_dirs"]) <= 100


def test_lbfgs_rosenbrock_and_history_bound():
    x, state = torch.tensor([-1.2, 1.0], dtype=torch.float64), {}
    for _ in range(5):
        x, _ = optim.lbfgs(rosenbrock, x, {"maxIter": 100, "lineSearch": optim.lswolfe, "nCorrection": 3,
                                           "tolFun": 1e-12, "tolX": 1e-30}, state)
    torch.testing.assert_close(x, torch.ones(2, dtype=torch.float64), rtol=1e-6, atol=1e-6)
    assert len(state["old_dirs"]) == len(state["old_stps"]) <= 3


def test_lbfgs_returns_at_once_below_tolfun():
    f, _, x_star = quadratic()
    _, fx = optim.lbfgs(f, x_star.clone(), {"tolFun": 1e-6})
    assert fx == [f(x_star)[0]]


def test_lbfgs_rejects_a_line_search_that_is_not_a_function():
    f, x0, _ = quadratic()
    with pytest.raises(TypeError, match="lbfgs: config.lineSearch must be a function such as optim.lswolfe"):
        optim.lbfgs(f, x0, {"lineSearch": "wolfe"})
