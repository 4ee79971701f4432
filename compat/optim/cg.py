"""``optim.cg`` of torch/optim (``cg.lua``): nonlinear conjugate gradients (Polak-Ribiere) with
C. E. Rasmussen's line search from ``minimize.m`` (quadratic/cubic interpolation and extrapolation
under the Wolfe-Powell conditions), step for step.

One call runs while fewer than ``maxEval`` (default ``1.25 * maxIter``, maxIter 20) evaluations have
been made. Torch7 quirks kept: Lua's ``if ls_failed or i > maxEval`` is always true (0 is true in Lua),
so the first failed line search ends the call, x back at the last accepted point; and the
extrapolation stops at exactly ``m == 0`` evaluations left, which a fractional ``maxEval - i`` never
reaches, so a line search can then run past maxEval until it succeeds or fails.
"""
import math

import torch

from compat.optim._common import begin, div, evaluate, number, option, sqrt

__all__ = ["cg"]


def _buffer(state, key, x):
    """Lua's ``state.key or x.new()`` resized as x: reuse a buffer the user left in state."""
    buf = state.get(key)
    if buf is None or buf.shape != x.shape:
        buf = torch.empty_like(x)
    return buf


def _extrapolate(z1, z3, d2, d3, f2, f3, limit, ext, intv):
    """The new step z2 once point 2 satisfies the Armijo condition (cg.lua's cubic extrapolation)."""
    a = div(6 * (f2 - f3), z3) + 3 * (d2 + d3)
    b = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
    z2 = div(-d2 * z3 * z3, b + sqrt(b * b - a * d2 * z3 * z3))
    if not math.isfinite(z2) or z2 < 0:
        return z1 * (ext - 1) if limit < -0.5 else (limit - z1) / 2
    if limit > -0.5 and z2 + z1 > limit:
        return (limit - z1) / 2
    if limit < -0.5 and z2 + z1 > z1 * ext:
        return z1 * (ext - 1)
    if z2 < -z3 * intv:
        return -z3 * intv
    if limit > -0.5 and z2 < (limit - z1) * (1 - intv):
        return (limit - z1) * (1 - intv)
    return z2


@torch.no_grad()
def cg(opfunc, x, config=None, state=None):
    """Lua ``optim.cg(opfunc, x, config, state)``; returns ``(x, fx)``: x updated in place, fx the
    list of f at the start and after every accepted line search. (Lua also returns the number of
    evaluations made; Python returns two values so that ``x, fx = optim.cg(...)`` unpacks as in Lua.)

    config: rho 0.01 and sig 0.5 (Wolfe-Powell constants), int 0.1 (do not re-evaluate within 0.1 of
    the bracket's ends), ext 3.0 (extrapolate at most 3x), maxIter 20, ratio 100 (largest slope
    ratio), maxEval 1.25 maxIter. The work tensors are kept as state df0..df3, s, x0.
    """
    config, state = begin("cg", x, config, state)
    rho = number("cg", config, "rho", 0.01)
    sig = number("cg", config, "sig", 0.5)
    intv = number("cg", config, "int", 0.1)
    ext = number("cg", config, "ext", 3.0)
    max_iter = number("cg", config, "maxIter", 20)
    ratio = number("cg", config, "ratio", 100)
    max_eval = number("cg", config, "maxEval", max_iter * 1.25)
    option(config, "verbose", 0)
    df0, df1, df2, df3 = (_buffer(state, k, x) for k in ("df0", "df1", "df2", "df3"))
    s, x0 = _buffer(state, "s", x), _buffer(state, "x0", x)
    fx = []

    def step(z):
        """Move x by z along s and evaluate there: f and the slope along s (the gradient into df2)."""
        x.add_(s, alpha=z)
        f, g = evaluate("cg", opfunc, x)
        df2.copy_(g)
        return f, float(df2.dot(s))

    f1, tdf = evaluate("cg", opfunc, x)
    fx.append(f1)
    df1.copy_(tdf)
    i = 1
    torch.neg(df1, out=s)
    d1 = -float(s.dot(s))                       # slope
    z1 = div(1, 1 - d1)                         # initial step (red = 1)
    while i < abs(max_eval):
        x0.copy_(x)
        df0.copy_(df1)
        f2, d2 = step(z1)
        i += 1
        f3, d3, z3 = f1, d1, -z1                # point 3 starts equal to point 1
        m = min(max_iter, max_eval - i)
        success = False
        limit = -1
        while True:
            while (f2 > f1 + z1 * rho * d1 or d2 > -sig * d1) and m > 0:
                limit = z1                      # tighten the bracket by interpolation
                if f2 > f1:
                    z2 = z3 - div(0.5 * d3 * z3 * z3, d3 * z3 + f2 - f3)
                else:
                    a = div(6 * (f2 - f3), z3) + 3 * (d2 + d3)
                    b = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
                    z2 = div(sqrt(b * b - a * d2 * z3 * z3) - b, a)
                if not math.isfinite(z2):
                    z2 = z3 / 2
                z2 = max(min(z2, intv * z3), (1 - intv) * z3)
                z1 = z1 + z2
                f2, d2 = step(z2)
                i += 1
                m -= 1
                z3 = z3 - z2
            if f2 > f1 + z1 * rho * d1 or d2 > -sig * d1:
                break
            if d2 > sig * d1:
                success = True
                break
            if m == 0:
                break
            z2 = _extrapolate(z1, z3, d2, d3, f2, f3, limit, ext, intv)
            f3, d3, z3 = f2, d2, -z2
            z1 = z1 + z2
            f2, d2 = step(z2)
            i += 1
            m -= 1
        if success:
            f1 = f2
            fx.append(f1)
            ss = div(float(df2.dot(df2)) - float(df2.dot(df1)), float(df1.dot(df1)))
            s.mul_(ss).sub_(df2)                # Polak-Ribiere direction
            tmp = df1.clone()
            df1.copy_(df2)
            df2.copy_(tmp)
            d2 = float(df1.dot(s))
            if d2 > 0:                          # not a descent direction: steepest descent
                torch.neg(df1, out=s)
                d2 = -float(s.dot(s))
            z1 = z1 * min(ratio, div(d1, d2 - 1e-320))
            d1 = d2
        else:
            x.copy_(x0)                         # line search failed: back to the last point
            df1.copy_(df0)
            break
    state.update(df0=df0, df1=df1, df2=df2, df3=df3, x0=x0, s=s)
    return x, fx
