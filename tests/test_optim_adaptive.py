"""compat.optim's adaptive family (adagrad, adadelta, adam, adamax, rmsprop) against torch.optim, where
the arithmetic is the same, and against hand arithmetic where Torch7 differs (Adam's epsilon)."""
import math

import pytest
import torch

from compat import optim

from ._optim_problems import N, against_torch, smooth_problem


def test_adagrad_equals_torch_adagrad_with_decay_and_weight_decay():
    state = against_torch("adagrad", {"learningRate": 0.1, "learningRateDecay": 0.05, "weightDecay": 0.01},
                           lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.01))
    assert state["evalCounter"] == 25 and state["paramVariance"].shape == (N,)


def test_adadelta_equals_torch_adadelta():
    state = against_torch("adadelta", {"rho": 0.95, "eps": 1e-6, "weightDecay": 0.001},
                           lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6, weight_decay=0.001))
    assert set(state) >= {"paramVariance", "paramStd", "delta", "accDelta", "evalCounter"}


def test_rmsprop_equals_torch_rmsprop():
    against_torch("rmsprop", {"learningRate": 0.01, "alpha": 0.9, "epsilon": 1e-8},
                   lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8))


def test_adamax_equals_torch_adamax():
    state = against_torch("adamax", {"learningRate": 0.02, "beta1": 0.8, "beta2": 0.99},
                           lambda p: torch.optim.Adamax(p, lr=0.02, betas=(0.8, 0.99), eps=1e-38))
    assert state["t"] == 25 and state["max"].shape == (2, N)


def test_adam_equals_torch_adam_when_epsilon_is_zero():
    state = against_torch("adam", {"learningRate": 0.01, "beta1": 0.85, "epsilon": 0, "weightDecay": 0.01},
                           lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.85, 0.999), eps=0,
                                                      weight_decay=0.01))
    assert state["t"] == 25 and set(state) >= {"m", "v", "denom"}


def test_adam_applies_epsilon_before_bias_correction_and_decays_the_rate():
    # Torch7: x -= clr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), clr = lr / (1 + (t-1) lrd)
    lr, lrd, b1, b2, eps, g = 0.1, 0.5, 0.9, 0.999, 1e-3, 2e-3
    x = torch.tensor([1.0], dtype=torch.float64)
    config, state = {"learningRate": lr, "learningRateDecay": lrd, "epsilon": eps}, {}
    m = v = 0.0
    expected = 1.0
    for t in (1, 2, 3):
        x, _ = optim.adam(lambda _x: (0.0, torch.tensor([g], dtype=torch.float64)), x, config, state)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        clr = lr / (1 + (t - 1) * lrd)
        expected -= clr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (math.sqrt(v) + eps)
        assert float(x) == pytest.approx(expected, rel=1e-14)
    p = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))   # torch.optim.Adam: eps after
    p.grad = torch.tensor([g], dtype=torch.float64)
    torch.optim.Adam([p], lr=lr, eps=eps).step()
    first = 1.0 - lr * math.sqrt(1 - b2) * g / (math.sqrt((1 - b2) * g * g) + eps)
    assert abs(float(p.detach()) - first) > 1e-3 * abs(1.0 - first)


def test_without_state_the_config_holds_it_and_adagrad_announces_it(capsys):
    f, x0 = smooth_problem()
    config = {"learningRate": 0.1}
    optim.adam(f, x0.clone(), config)
    assert config["t"] == 1 and "m" in config
    optim.adagrad(f, x0.clone())
    assert capsys.readouterr().out == "no state table, ADAGRAD initializing\n"


def test_bad_arguments_name_the_contract():
    f, x0 = smooth_problem()
    with pytest.raises(TypeError, match=r"adam: config.learningRate must be a number, got '0.1'"):
        optim.adam(f, x0.clone(), {"learningRate": "0.1"})
    with pytest.raises(ValueError, match=r"rmsprop: df/dx returned by opfunc must be a tensor of size \(257,\)"):
        optim.rmsprop(lambda x: (0.0, torch.zeros(3)), x0.clone(), {})
    with pytest.raises(TypeError, match="adamax: x must be a torch.Tensor"):
        optim.adamax(f, [1.0, 2.0], {})


@pytest.mark.parametrize("eps", [1e-38, 5e-39, 1e-45, 1e-8])
def test_adamax_subnormal_epsilon_shortcut_gives_the_plain_sum(eps):
    # |g| + eps in float32, where Torch7's default 1e-38 is subnormal: the result must be the plain sum
    from compat.optim.adaptive import _add_tiny_
    g = torch.randn(50_000, generator=torch.Generator().manual_seed(3)).abs()
    g[:100] *= 1e-30
    g[100:200] *= 1e-37
    g[200:210] = 0
    g[210:220] = 2.0 ** -102
    g[220:230] = 2.0 ** -102 * (1 + 2 ** -23)
    g[230:240] = 2.0 ** -103 * 1.5
    g[240], g[241] = float("inf"), float("nan")
    expected = g.clone().add_(eps)
    assert torch.equal(_add_tiny_(g, eps).nan_to_num(), expected.nan_to_num())
    assert torch.isnan(g).sum() == 1


def test_adaptive_methods_evaluate_without_autograd_and_restore_the_mode():
    """Lua's optim has no autograd: opfunc runs with grad mode off; the caller's mode comes back,
    after an error in opfunc too. A config value that is not a number is refused by name."""
    seen = []
    x = torch.zeros(3, dtype=torch.float64)

    def feval(p):
        seen.append(torch.is_grad_enabled())
        return 0.0, torch.ones(3, dtype=torch.float64)
    for algo in (optim.adam, optim.adagrad, optim.adadelta, optim.adamax, optim.rmsprop):
        algo(feval, x, {}, {})
    with torch.no_grad():
        optim.adam(feval, x, {}, {})
        assert not torch.is_grad_enabled()
    assert seen == [False] * 6 and torch.is_grad_enabled()

    def failing(p):
        raise RuntimeError("opfunc failed")
    with pytest.raises(RuntimeError, match="opfunc failed"):
        optim.adam(failing, x, {}, {})
    assert torch.is_grad_enabled()
    with pytest.raises(TypeError, match="adam: config.beta1 must be a number, got 'x'"):
        optim.adam(feval, x, {"beta1": "x"}, {})
    state = {}
    optim.adam(feval, x, {"learningRate": 0.1}, state)
    optim.adam(feval, x, {"learningRate": 0.1}, state)
    assert state["t"] == 2
