"""What every ``optim.X(opfunc, x, config, state)`` of torch/optim does the same way.

Lua's ``local state = state or config`` (without a state table the config holds the state),
``config.key or default`` (a missing or nil key takes the default; 0 and false do not), and the call
``local fx, dfdx = opfunc(x)`` checked once here so every algorithm names the contract the same way.
"""
import functools
import math
from collections.abc import MutableMapping

import torch

__all__ = ["begin", "div", "evaluate", "number", "option", "sqrt", "without_autograd"]

_NUMBERS = (int, float)
_is_grad_enabled, _set_grad_enabled = torch.is_grad_enabled, torch._C._set_grad_enabled


def without_autograd(algorithm):
    """``algorithm`` run with grad mode off, the caller's mode restored afterwards: Lua's optim knows
    no autograd, so ``opfunc`` and the update are plain tensor maths. What ``@torch.no_grad()`` does,
    without building a context object on every call of a per-step function."""
    @functools.wraps(algorithm)
    def run(*args, **kwargs):
        previous = _is_grad_enabled()
        _set_grad_enabled(False)
        try:
            return algorithm(*args, **kwargs)
        finally:
            _set_grad_enabled(previous)
    return run


def option(config, key, default):
    """Lua ``config.key or default``."""
    value = config.get(key)
    return default if value is None else value


def number(algo, config, key, default):
    """``option`` for a numeric setting, with a clear error when it is not a number."""
    value = config.get(key)
    if value is None:
        return default
    if type(value) in _NUMBERS:         # the common case first
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{algo}: config.{key} must be a number, got {value!r}")
    return value


def begin(algo, x, config, state):
    """Lua's prologue: ``config = config or {}; state = state or config``; returns (config, state)."""
    config = {} if config is None else config
    state = config if state is None else state
    if isinstance(config, dict) and isinstance(state, dict):       # Lua tables, plain dicts: at once
        pass
    elif not isinstance(config, MutableMapping) or not isinstance(state, MutableMapping):
        raise TypeError(f"{algo}: config and state must be dicts, got {type(config).__name__} and "
                        f"{type(state).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{algo}: x must be a torch.Tensor (the parameters), got {type(x).__name__}")
    return config, state


def evaluate(algo, opfunc, x):
    """``fx, dfdx = opfunc(x)``, checking that dfdx is a tensor of x's size."""
    result = opfunc(x)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{algo}: opfunc(x) must return (f(x), df/dx), got {type(result).__name__}")
    fx, dfdx = result
    if not isinstance(dfdx, torch.Tensor) or dfdx.shape != x.shape:
        raise ValueError(f"{algo}: df/dx returned by opfunc must be a tensor of size {tuple(x.shape)}, got "
                         f"{tuple(dfdx.shape) if isinstance(dfdx, torch.Tensor) else type(dfdx).__name__}")
    return fx, dfdx


def div(a, b):
    """``a / b`` as Lua's doubles divide: by zero gives +-inf (or nan for 0/0) instead of raising."""
    try:
        return a / b
    except ZeroDivisionError:
        if math.isnan(a) or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def sqrt(a):
    """Lua's ``math.sqrt``: nan for a negative argument instead of raising."""
    return math.sqrt(a) if a >= 0 else math.nan
