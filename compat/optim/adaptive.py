"""The adaptive-learning-rate family of torch/optim: ``adagrad``, ``adadelta``, ``adam``, ``adamax``,
``rmsprop`` (``adagrad.lua``, ``adadelta.lua``, ``adam.lua``, ``adamax.lua``, ``rmsprop.lua``).

Each is one call ``x, fx = optim.X(opfunc, x, config, state)``: evaluate ``fx, g = opfunc(x)``, add the
weight decay to ``g`` in place (``g += weightDecay * x``, as Lua does to the returned tensor), update
the per-element statistics kept in ``state`` under Torch7's names, then update ``x`` in place. Every
update is a handful of whole-tensor in-place operations in Lua's order; the scratch tensors Lua keeps
(``paramStd``, ``delta``, ``denom``, ``max``, ``tmp``) are kept under the same names, so no step
allocates after the first.
"""
import math

import torch

from compat.optim._common import begin, evaluate, number, option, without_autograd

__all__ = ["adadelta", "adagrad", "adam", "adamax", "rmsprop"]


def _gradient(algo, opfunc, x, config):
    """``fx, dfdx = opfunc(x)`` then Lua's ``if wd ~= 0 then dfdx:add(wd, x) end``."""
    wd = number(algo, config, "weightDecay", 0)
    fx, dfdx = evaluate(algo, opfunc, x)
    if wd != 0:
        dfdx.add_(x, alpha=wd)
    return fx, dfdx


def _add_tiny_(t, eps):
    """``t += eps`` for a tensor of magnitudes (t >= 0), with the same result but fast when eps is
    subnormal in t's dtype (adamax's 1e-38 in float32; x86 adds a subnormal operand about 10x slower):
    x + eps rounds back to x exactly whenever eps < ulp(x) / 2, i.e. for
    x >= 2^(floor(log2 eps) + mantissa bits + 2), so only the elements below that bound are added to."""
    if eps == 0 or not t.is_floating_point() or abs(eps) >= torch.finfo(t.dtype).tiny:
        return t.add_(eps)
    eps_t = abs(float(torch.tensor(eps, dtype=t.dtype)))            # eps as t's dtype holds it
    mantissa_bits = -math.log2(torch.finfo(t.dtype).eps)
    bound = 2.0 ** (math.floor(math.log2(eps_t)) + mantissa_bits + 2)
    if not float(t.min()) >= bound:                                 # some small elements (or a nan)
        small = t < bound
        t[small] += eps
    return t


def _zeros(state, key, like):
    if state.get(key) is None:
        state[key] = torch.zeros_like(like)
    return state[key]


@without_autograd
def adagrad(opfunc, x, config=None, state=None):
    """Lua ``optim.adagrad``: ``paramVariance += g*g``, ``x -= clr * g / (sqrt(paramVariance) + 1e-10)``
    with ``clr = learningRate / (1 + evalCounter * learningRateDecay)`` (evalCounter before this call).
    Defaults: learningRate 1e-3, learningRateDecay 0, weightDecay 0. Returns ``(x, [fx])``."""
    if config is None and state is None:
        print('no state table, ADAGRAD initializing')   # Lua's own message (optim/adagrad.lua)
    config, state = begin("adagrad", x, config, state)
    lr = number("adagrad", config, "learningRate", 1e-3)
    lrd = number("adagrad", config, "learningRateDecay", 0)
    state["evalCounter"] = option(state, "evalCounter", 0)
    fx, dfdx = _gradient("adagrad", opfunc, x, config)
    clr = lr / (1 + state["evalCounter"] * lrd)
    variance = _zeros(state, "paramVariance", x)
    std = _zeros(state, "paramStd", x)
    variance.addcmul_(dfdx, dfdx)
    torch.sqrt(variance, out=std)
    x.addcdiv_(dfdx, std.add_(1e-10), value=-clr)
    state["evalCounter"] += 1
    return x, [fx]


@without_autograd
def adadelta(opfunc, x, config=None, state=None):
    """Lua ``optim.adadelta``: ``paramVariance = rho*paramVariance + (1-rho) g*g``,
    ``delta = sqrt(accDelta + eps) / sqrt(paramVariance + eps) * g``, ``x -= delta``,
    ``accDelta = rho*accDelta + (1-rho) delta*delta``. Defaults: rho 0.9, eps 1e-6, weightDecay 0.
    There is no learning rate (Torch7 has none). Returns ``(x, [fx])``."""
    if config is None and state is None:
        print('no state table, ADADELTA initializing')   # Lua's own message (optim/adadelta.lua)
    config, state = begin("adadelta", x, config, state)
    rho = number("adadelta", config, "rho", 0.9)
    eps = number("adadelta", config, "eps", 1e-6)
    state["evalCounter"] = option(state, "evalCounter", 0)
    fx, dfdx = _gradient("adadelta", opfunc, x, config)
    variance, std = _zeros(state, "paramVariance", x), _zeros(state, "paramStd", x)
    delta, acc = _zeros(state, "delta", x), _zeros(state, "accDelta", x)
    variance.mul_(rho).addcmul_(dfdx, dfdx, value=1 - rho)
    torch.add(variance, eps, out=std).sqrt_()
    torch.add(acc, eps, out=delta).sqrt_().div_(std).mul_(dfdx)
    x.sub_(delta)
    acc.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    state["evalCounter"] += 1
    return x, [fx]


@without_autograd
def adam(opfunc, x, config=None, state=None):
    """Lua ``optim.adam``: ``m = beta1 m + (1-beta1) g``, ``v = beta2 v + (1-beta2) g*g``,
    ``x -= clr * sqrt(1-beta2^t) / (1-beta1^t) * m / (sqrt(v) + epsilon)`` with
    ``clr = learningRate / (1 + (t-1) * learningRateDecay)``. Note epsilon is added to sqrt(v) before
    the bias correction is applied (torch.optim.Adam: after). Defaults: learningRate 1e-3,
    learningRateDecay 0, beta1 0.9, beta2 0.999, epsilon 1e-8, weightDecay 0. Returns ``(x, [fx])``."""
    config, state = begin("adam", x, config, state)
    lr = number("adam", config, "learningRate", 0.001)
    lrd = number("adam", config, "learningRateDecay", 0)
    beta1 = number("adam", config, "beta1", 0.9)
    beta2 = number("adam", config, "beta2", 0.999)
    epsilon = number("adam", config, "epsilon", 1e-8)
    fx, dfdx = _gradient("adam", opfunc, x, config)
    state["t"] = t = option(state, "t", 0)
    m, v, denom = _zeros(state, "m", x), _zeros(state, "v", x), _zeros(state, "denom", x)
    clr = lr / (1 + t * lrd)
    state["t"] = t = t + 1
    m.mul_(beta1).add_(dfdx, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(dfdx, dfdx, value=1 - beta2)
    torch.sqrt(v, out=denom).add_(epsilon)
    step = clr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    x.addcdiv_(m, denom, value=-step)
    return x, [fx]


@without_autograd
def adamax(opfunc, x, config=None, state=None):
    """Lua ``optim.adamax``: ``m = beta1 m + (1-beta1) g``, ``u = max(beta2 u, |g| + epsilon)``,
    ``x -= learningRate / (1-beta1^t) * m / u``. Defaults: learningRate 0.002, beta1 0.9,
    beta2 0.999, epsilon 1e-38, weightDecay 0. ``state['max']`` is Lua's 2 x n scratch of the two
    candidates. Returns ``(x, [fx])``."""
    config, state = begin("adamax", x, config, state)
    lr = number("adamax", config, "learningRate", 0.002)
    beta1 = number("adamax", config, "beta1", 0.9)
    beta2 = number("adamax", config, "beta2", 0.999)
    epsilon = number("adamax", config, "epsilon", 1e-38)
    fx, dfdx = _gradient("adamax", opfunc, x, config)
    state["t"] = option(state, "t", 0)
    m, u = _zeros(state, "m", x), _zeros(state, "u", x)
    if state.get("max") is None:
        state["max"] = x.new_zeros((2,) + tuple(x.shape))
    scaled, bound = state["max"][0], state["max"][1]
    state["t"] += 1
    m.mul_(beta1).add_(dfdx, alpha=1 - beta1)
    torch.mul(u, beta2, out=scaled)
    _add_tiny_(torch.abs(dfdx, out=bound), epsilon)
    torch.maximum(scaled, bound, out=u)
    x.addcdiv_(m, u, value=-(lr / (1 - beta1 ** state["t"])))
    return x, [fx]


@without_autograd
def rmsprop(opfunc, x, config=None, state=None):
    """Lua ``optim.rmsprop``: ``m = alpha m + (1-alpha) g*g``, ``x -= learningRate * g / (sqrt(m) +
    epsilon)``. Defaults: learningRate 1e-2, alpha 0.99, epsilon 1e-8, weightDecay 0, initialMean 0
    (the first value of m). Returns ``(x, [fx])``."""
    config, state = begin("rmsprop", x, config, state)
    lr = number("rmsprop", config, "learningRate", 1e-2)
    alpha = number("rmsprop", config, "alpha", 0.99)
    epsilon = number("rmsprop", config, "epsilon", 1e-8)
    mfill = number("rmsprop", config, "initialMean", 0)
    fx, dfdx = _gradient("rmsprop", opfunc, x, config)
    if state.get("m") is None:
        state["m"] = torch.full_like(x, mfill)
        state["tmp"] = torch.empty_like(x)
    m, tmp = state["m"], state["tmp"]
    m.mul_(alpha).addcmul_(dfdx, dfdx, value=1.0 - alpha)
    torch.sqrt(m, out=tmp).add_(epsilon)
    x.addcdiv_(dfdx, tmp, value=-lr)
    return x, [fx]
