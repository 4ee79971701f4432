"""The remaining first-order methods of torch/optim: ``asgd`` (averaged SGD, ``asgd.lua``), ``nag``
(Nesterov's accelerated gradient, ``nag.lua``) and ``rprop`` (resilient propagation, ``rprop.lua``).

Same calling convention as ``sgd``: ``x, fx = optim.X(opfunc, x, config, state)`` updates ``x`` in
place; ``state`` keeps Torch7's field names. Every update is whole-tensor in-place arithmetic.
"""
import torch

from compat.optim._common import begin, evaluate, number, option

__all__ = ["asgd", "nag", "rprop"]


@torch.no_grad()
def asgd(opfunc, x, config=None, state=None):
    """Lua ``optim.asgd`` (L. Bottou's ASGD); returns ``(x, [fx])``. Lua's third return value, the
    averaged parameters ``ax``, is ``state['ax']`` (two values so ``x, fx = optim.asgd(...)`` unpacks).

    With ``eta_t`` (first: eta0) and ``mu_t`` (first: 1) from ``state``:
    ``x = (1 - lambda eta_t) x - eta_t g``; ``ax = x`` while ``mu_t == 1``, else
    ``ax += mu_t (x - ax)``; then ``t += 1``, ``eta_t = eta0 / (1 + lambda eta0 t)^alpha``,
    ``mu_t = 1 / max(1, t - t0)``. As in Lua the defaults (eta0 1e-4, lambda 1e-4, alpha 0.75,
    t0 1e6) are written into ``config``.
    """
    config, state = begin("asgd", x, config, state)
    for key, default in (("eta0", 1e-4), ("lambda", 1e-4), ("alpha", 0.75), ("t0", 1e6)):
        config[key] = number("asgd", config, key, default)
    eta0, lam, alpha, t0 = config["eta0"], config["lambda"], config["alpha"], config["t0"]
    state["eta_t"] = option(state, "eta_t", eta0)
    state["mu_t"] = option(state, "mu_t", 1)
    state["t"] = option(state, "t", 0)
    fx, dfdx = evaluate("asgd", opfunc, x)
    x.mul_(1 - lam * state["eta_t"]).add_(dfdx, alpha=-state["eta_t"])
    if state.get("ax") is None:
        state["ax"] = torch.zeros_like(x)
        state["tmp"] = torch.empty_like(x)
    if state["mu_t"] != 1:
        torch.sub(x, state["ax"], out=state["tmp"]).mul_(state["mu_t"])
        state["ax"].add_(state["tmp"])
    else:
        state["ax"].copy_(x)
    state["t"] += 1
    state["eta_t"] = eta0 / (1 + lam * eta0 * state["t"]) ** alpha
    state["mu_t"] = 1 / max(1, state["t"] - t0)
    return x, [fx]


@torch.no_grad()
def nag(opfunc, x, config=None, state=None):
    """Lua ``optim.nag`` (Sutskever et al.'s formulation); returns ``(x, [fx])``.

    ``x += momentum * dfdx_state`` (from the second call on; the look-ahead), then ``g = opfunc(x)``
    (+ weightDecay x), ``clr = learningRate / (1 + evalCounter * learningRateDecay)``,
    ``dfdx_state = momentum * dfdx_state - clr * g`` (zeros on the first call) and ``x -= clr * g``
    (``g`` times ``learningRates`` elementwise when given). Defaults: learningRate 1e-3,
    learningRateDecay 0, weightDecay 0, momentum 0.9 (must be positive). ``dampening`` is read but,
    as in Torch7, not used.
    """
    config, state = begin("nag", x, config, state)
    lr = number("nag", config, "learningRate", 1e-3)
    lrd = number("nag", config, "learningRateDecay", 0)
    wd = number("nag", config, "weightDecay", 0)
    mom = number("nag", config, "momentum", 0.9)
    lrs = config.get("learningRates")
    state["evalCounter"] = option(state, "evalCounter", 0)
    if mom <= 0:
        raise ValueError(f"nag: config.momentum must be positive for Nesterov Accelerated Gradient, "
                         f"got {mom!r}")
    if state.get("dfdx") is not None:
        x.add_(state["dfdx"], alpha=mom)
    fx, dfdx = evaluate("nag", opfunc, x)
    if wd != 0:
        dfdx.add_(x, alpha=wd)
    clr = lr / (1 + state["evalCounter"] * lrd)
    if state.get("dfdx") is None:
        state["dfdx"] = torch.zeros_like(dfdx)
    else:
        state["dfdx"].mul_(mom)
    step = dfdx
    if lrs is not None:
        if state.get("deltaParameters") is None:
            state["deltaParameters"] = torch.empty_like(x)
        step = state["deltaParameters"].copy_(lrs).mul_(dfdx)
    x.add_(step, alpha=-clr)
    state["dfdx"].add_(step, alpha=-clr)
    state["evalCounter"] += 1
    return x, [fx]


@torch.no_grad()
def rprop(opfunc, x, config=None, state=None):
    """Lua ``optim.rprop``; ``niter`` evaluations per call, returns ``(x, [fx of each])``.

    Per element, with ``s = sign(g * delta)`` (delta: the previous gradient, zeros at first):
    ``stepsize *= etaplus`` where ``s > 0``, ``*= etaminus`` where ``s < 0``; then
    ``stepsize = max(min(stepsize, stepsizemax), stepsizemin)``; where ``s < 0`` the gradient is
    set to 0 (in place, as Lua does to the returned tensor); ``x -= sign(g) * stepsize``;
    ``delta = g``. Defaults: stepsize 0.1, etaplus 1.2, etaminus 0.5, stepsizemax 50,
    stepsizemin 1e-6, niter 1.
    """
    if config is None and state is None:
        print('no state table RPROP initializing')   # Lua's own message (optim/rprop.lua)
    config, state = begin("rprop", x, config, state)
    stepsize = number("rprop", config, "stepsize", 0.1)
    etaplus = number("rprop", config, "etaplus", 1.2)
    etaminus = number("rprop", config, "etaminus", 0.5)
    stepsizemax = number("rprop", config, "stepsizemax", 50.0)
    stepsizemin = number("rprop", config, "stepsizemin", 1e-6)
    niter = number("rprop", config, "niter", 1)
    hfx = []
    for _ in range(int(niter)):
        fx, dfdx = evaluate("rprop", opfunc, x)
        if state.get("delta") is None:
            state["delta"] = torch.zeros_like(dfdx)
            state["stepsize"] = torch.full_like(dfdx, stepsize)
            state["sign"] = torch.empty_like(dfdx)
            for key in ("psign", "nsign", "zsign"):
                state[key] = torch.empty(dfdx.shape, dtype=torch.bool, device=dfdx.device)
        sign, psign, nsign, zsign = state["sign"], state["psign"], state["nsign"], state["zsign"]
        torch.mul(dfdx, state["delta"], out=sign).sign_()
        torch.gt(sign, 0, out=psign)
        torch.lt(sign, 0, out=nsign)
        torch.eq(sign, 0, out=zsign)
        sign.masked_fill_(psign, etaplus).masked_fill_(nsign, etaminus).masked_fill_(zsign, 1)
        state["stepsize"].mul_(sign).clamp_(max=stepsizemax).clamp_(min=stepsizemin)
        dfdx.masked_fill_(nsign, 0)
        torch.sign(dfdx, out=sign)
        x.addcmul_(sign, state["stepsize"], value=-1)
        state["delta"].copy_(dfdx)
        hfx.append(fx)
    return x, hfx
