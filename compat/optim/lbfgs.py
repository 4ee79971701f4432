"""``optim.lbfgs`` of torch/optim (``lbfgs.lua``): limited-memory BFGS, step for step.

One call makes up to ``maxIter`` iterations. Each builds the direction ``d`` by the two-loop recursion
over the last ``nCorrection`` pairs (s = t d, y = g - g_old; a pair is kept only when ``y.s > 1e-10``;
the initial Hessian is ``Hdiag = y.s / y.y`` of the newest pair), then steps ``x += t d``: with
``lineSearch`` (e.g. ``optim.lswolfe``) the search picks t from ``learningRate``; without, t is
``learningRate`` (on the very first iteration ``min(1, 1/sum|g|) * learningRate``). The history lives
in ``state`` under Torch7's names (``d``, ``t``, ``old_dirs``, ``old_stps``, ``Hdiag``, ``g_old``,
``f_old``, ``nIter``, ``funcEval``), so the next call continues the same curvature estimate.
"""
import math

import torch

from compat.optim._common import begin, evaluate, number, option

__all__ = ["lbfgs"]


def _take(pool, like):
    """Pop a recycled history buffer (Lua's ``table.remove(state.dir_bufs)``), or make one."""
    return pool.pop() if pool else torch.empty_like(like)


def _direction(state, g, d, t, g_old, n_correction):
    """Update the (s, y) history with the last step and return -H g in d's buffer (two-loop recursion)."""
    old_dirs, old_stps = state["old_dirs"], state["old_stps"]
    y = torch.sub(g, g_old, out=_take(state["dir_bufs"], g))
    s = torch.mul(d, t, out=_take(state["stp_bufs"], g))
    ys = float(y.dot(s))
    if ys > 1e-10:
        if len(old_dirs) == n_correction:       # forget the oldest pair, recycle its buffers
            state["dir_bufs"].append(old_dirs.pop(0))
            state["stp_bufs"].append(old_stps.pop(0))
        old_dirs.append(s)
        old_stps.append(y)
        state["Hdiag"] = ys / float(y.dot(y))
    else:
        state["dir_bufs"].append(y)
        state["stp_bufs"].append(s)
    k = len(old_dirs)
    ro = state["ro"] = [1 / float(old_stps[i].dot(old_dirs[i])) for i in range(k)]
    al = state["al"] = [0.0] * k
    q = torch.neg(g, out=state["tmp1"])
    for i in range(k - 1, -1, -1):
        al[i] = float(old_dirs[i].dot(q)) * ro[i]
        q.add_(old_stps[i], alpha=-al[i])
    r = torch.mul(q, state["Hdiag"], out=d)
    for i in range(k):
        be_i = float(old_stps[i].dot(r)) * ro[i]
        r.add_(old_dirs[i], alpha=al[i] - be_i)
    return r


@torch.no_grad()
def lbfgs(opfunc, x, config=None, state=None):
    """Lua ``optim.lbfgs(opfunc, x, config, state)``; returns ``(x, f_hist)``: x updated in place,
    f_hist the f values (first: before any step). Lua's third return value, the evaluations made in
    this call, is not returned (two values so ``x, fx = optim.lbfgs(...)`` unpacks as in Lua);
    ``state['funcEval']`` counts them over all calls.

    config: maxIter 20, maxEval 1.25 maxIter, tolFun 1e-5 (stop when sum|g| <= tolFun), tolX 1e-9
    (stop when the step or the change of f is below), nCorrection 100, lineSearch (None: fixed
    steps), lineSearchOptions, learningRate 1, verbose false.
    """
    config, state = begin("lbfgs", x, config, state)
    max_iter = number("lbfgs", config, "maxIter", 20)
    max_eval = number("lbfgs", config, "maxEval", max_iter * 1.25)
    tol_fun = number("lbfgs", config, "tolFun", 1e-5)
    tol_x = number("lbfgs", config, "tolX", 1e-9)
    n_correction = int(number("lbfgs", config, "nCorrection", 100))
    line_search = config.get("lineSearch")
    line_search_opts = config.get("lineSearchOptions")
    lr = number("lbfgs", config, "learningRate", 1)
    verbose = print if option(config, "verbose", False) else (lambda *a: None)
    if line_search is not None and not callable(line_search):
        raise TypeError(f"lbfgs: config.lineSearch must be a function such as optim.lswolfe, got "
                        f"{type(line_search).__name__}")
    state["funcEval"] = option(state, "funcEval", 0)
    state["nIter"] = option(state, "nIter", 0)

    f, g = evaluate("lbfgs", opfunc, x)
    f_hist = [f]
    current_evals = 1
    state["funcEval"] += 1
    if state.get("tmp1") is None:
        state["tmp1"] = torch.zeros_like(g)
    tmp1 = state["tmp1"]
    if float(torch.abs(g, out=tmp1).sum()) <= tol_fun:
        verbose('<optim.lbfgs> ', 'optimality condition below tolFun')
        return x, f_hist
    state.setdefault("dir_bufs", [])
    state.setdefault("stp_bufs", [])
    d, t, g_old, f_old = state.get("d"), state.get("t"), state.get("g_old"), state.get("f_old")

    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state["nIter"] += 1
        if state["nIter"] == 1:
            d = torch.neg(g)
            state["old_dirs"], state["old_stps"], state["Hdiag"] = [], [], 1
        else:
            d = _direction(state, g, d, t, g_old, n_correction)
        if g_old is None:
            g_old = g.clone()
        g_old.copy_(g)
        f_old = f
        gtd = float(g.dot(d))
        if gtd > -tol_x:                        # not a descent direction
            break
        if state["nIter"] == 1:
            t = min(1, 1 / float(torch.abs(g, out=tmp1).sum())) * lr
        else:
            t = lr
        ls_evals = 0
        if line_search is not None:
            f, g, x, t, ls_evals = line_search(opfunc, x, t, d, f, g, gtd, line_search_opts)
            f_hist.append(f)
        else:
            x.add_(d, alpha=t)
            if n_iter != max_iter:              # re-evaluate unless this was the last iteration
                f, g = evaluate("lbfgs", opfunc, x)
                ls_evals = 1
                f_hist.append(f)
        current_evals += ls_evals
        state["funcEval"] += ls_evals
        if n_iter == max_iter:
            verbose('<optim.lbfgs> ', 'reached max number of iterations')
            break
        if current_evals >= max_eval:
            verbose('<optim.lbfgs> ', 'max nb of function evals')
            break
        if float(torch.abs(g, out=tmp1).sum()) <= tol_fun:
            verbose('<optim.lbfgs> ', 'optimality condition below tolFun')
            break
        if float(torch.mul(d, t, out=tmp1).abs_().sum()) <= tol_x:
            verbose('<optim.lbfgs> ', 'step size below tolX')
            break
        if math.fabs(f - f_old) < tol_x:
            verbose('<optim.lbfgs> ', 'function value changing less than tolX')
            break
    state.update(g_old=g_old, f_old=f_old, t=t, d=d)
    return x, f_hist
