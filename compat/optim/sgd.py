"""``optim.sgd`` of torch/optim (``sgd.lua``), step for step.

One call, with ``n = state['evalCounter']`` (0 at first) and ``fx, g = opfunc(x)``:

1. weight decay, in place on the returned gradient: ``g += weightDecay * x``; otherwise, with a
   vector ``weightDecays``: ``g += weightDecays * x``;
2. momentum ``mom`` (if non-zero): the first call stores ``buf = copy(g)`` (no dampening), later
   calls ``buf = mom * buf + (1 - dampening) * g`` (``dampening`` defaults to ``mom``); then
   ``g = g + mom * buf`` (``nesterov``, which requires ``mom > 0`` and ``dampening == 0``) or
   ``g = buf``;
3. ``clr = learningRate / (1 + n * learningRateDecay)`` (the first step uses ``learningRate``);
4. ``x -= clr * g``, or ``x -= clr * (learningRates * g)`` with a vector ``learningRates``;
5. ``state['evalCounter'] = n + 1``.

``x`` is updated in place and returned with ``[fx]`` (f before the update), as Lua returns
``x, {fx}``. The momentum buffer is ``state['dfdx']``. Without ``state`` the ``config`` dict is
the state (Lua: ``state = state or config``), so evalCounter/dfdx are written into it.
"""
import torch

from compat.optim._common import begin, evaluate, number, option

__all__ = ["sgd"]


def sgd(opfunc, x, config=None, state=None):
    """Lua ``optim.sgd(opfunc, x, config, state)``; returns ``(x, [fx])``. See the module docstring."""
    config, state = begin("sgd", x, config, state)
    lr = number("sgd", config, "learningRate", 1e-3)
    lrd = number("sgd", config, "learningRateDecay", 0)
    wd = number("sgd", config, "weightDecay", 0)
    mom = number("sgd", config, "momentum", 0)
    damp = number("sgd", config, "dampening", mom)
    nesterov = bool(option(config, "nesterov", False))
    lrs = config.get("learningRates")
    wds = config.get("weightDecays")
    state["evalCounter"] = option(state, "evalCounter", 0)
    nevals = state["evalCounter"]
    if nesterov and not (mom > 0 and damp == 0):
        raise ValueError(f"sgd: Nesterov momentum requires a momentum and zero dampening, got "
                         f"momentum={mom!r}, dampening={damp!r}")

    # (1) evaluate f(x) and df/dx
    fx, dfdx = evaluate("sgd", opfunc, x)

    with torch.no_grad():
        # (2) weight decay, single or per parameter
        if wd != 0:
            dfdx.add_(x, alpha=wd)
        elif wds is not None:
            if state.get("decayParameters") is None:
                state["decayParameters"] = torch.empty_like(dfdx, dtype=x.dtype)
            state["decayParameters"].copy_(wds).mul_(x)
            dfdx.add_(state["decayParameters"])

        # (3) momentum
        if mom != 0:
            if state.get("dfdx") is None:
                state["dfdx"] = dfdx.clone()
            else:
                state["dfdx"].mul_(mom).add_(dfdx, alpha=1 - damp)
            if nesterov:
                dfdx.add_(state["dfdx"], alpha=mom)
            else:
                dfdx = state["dfdx"]

        # (4) learning rate decay (annealing)
        clr = lr / (1 + nevals * lrd)

        # (5) update, single or per-parameter learning rates
        if lrs is not None:
            if state.get("deltaParameters") is None:
                state["deltaParameters"] = torch.empty_like(dfdx, dtype=x.dtype)
            state["deltaParameters"].copy_(lrs).mul_(dfdx)
            x.add_(state["deltaParameters"], alpha=-clr)
        else:
            x.add_(dfdx, alpha=-clr)

    # (6) evaluation counter
    state["evalCounter"] += 1
    return x, [fx]
