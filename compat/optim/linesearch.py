"""``optim.lswolfe`` and ``optim.polyinterp`` of torch/optim (``lswolfe.lua``, ``polyinterp.lua``):
a line search satisfying the strong Wolfe conditions (bracketing, then zooming by cubic
interpolation), and the minimiser of the polynomial interpolating points ``(x, f, f')``.

Scalars are Python floats (Lua numbers, IEEE doubles: a division by zero gives inf/nan, see
``_common.div``); directional derivatives are ``g . d`` (Lua's ``g * d`` of two vectors is their dot
product). The small interpolation system is solved as Torch7 does: least squares through LAPACK's
gels, critical points as the eigenvalues of the derivative's companion matrix (LAPACK geev).
"""
import math

import torch

from compat.optim._common import div, option, sqrt

__all__ = ["lswolfe", "polyinterp"]


def _argmin(values):
    """Torch7's ``min(1)`` index: the first minimum (``if not (v >= best)`` replaces it)."""
    best = 0
    for i, v in enumerate(values):
        if not (v >= values[best]):
            best = i
    return best


def _roots(c):
    """Roots of the polynomial with coefficients c (highest power first) as (real, imag) pairs:
    polyinterp.lua's ``roots`` (coefficients under 1e-12 are zero; zero roots for trailing zeros)."""
    c = [0.0 if abs(v) < 1e-12 else v for v in c]
    if not any(c):
        return []                   # Torch7 returns the number 0 here (and then fails to concatenate)
    c = c[next(i for i, v in enumerate(c) if v != 0):]
    nz = len(c) - 1 - next(i for i in range(len(c) - 1, -1, -1) if c[i] != 0)
    c = c[:len(c) - nz]
    n = len(c) - 1
    found = []
    if n == 1:
        found = [(-c[1] / c[0], 0.0)]
    elif n > 1:
        companion = torch.diag(torch.ones(n - 1, dtype=torch.float64), -1)
        companion[0] = -torch.tensor(c[1:], dtype=torch.float64) / c[0]
        found = [(float(e.real), float(e.imag)) for e in torch.linalg.eigvals(companion)]
    return found + [(0.0, 0.0)] * nz


def _polyval(p, x):
    n = len(p)
    return sum(pc * x ** (n - 1 - i) for i, pc in enumerate(p))


def polyinterp(points, xminBound=None, xmaxBound=None):
    """Lua ``optim.polyinterp(points, xminBound, xmaxBound)``: the position of the minimum of the
    polynomial of order 2N-1 through N points ``(x, f, g)`` (rows of ``points``, a tensor or nested
    list), searched in [xminBound, xmaxBound] (default: the points' range). Two points without bounds
    take Torch7's closed-form cubic step. Returns the position (Lua also returns the minimum value on
    the general path; Python returns the one number every caller in torch/optim uses).
    """
    pts = torch.as_tensor(points, dtype=torch.float64)
    if pts.dim() != 2 or pts.shape[1] != 3:
        raise ValueError(f"polyinterp: points must be N triplets (x, f, g), got shape {tuple(pts.shape)}")
    rows = pts.tolist()
    n_points = len(rows)
    order = n_points * 2 - 1
    if n_points == 2 and xminBound is None and xmaxBound is None:
        lo = _argmin([r[0] for r in rows])
        (x1, f1, g1), (x2, f2, g2) = rows[lo], rows[1 - lo]
        d1 = g1 + g2 - div(3 * (f1 - f2), x1 - x2)
        d2 = sqrt(d1 * d1 - g1 * g2)
        if not math.isnan(d2):
            t = x2 - (x2 - x1) * div(g2 + d2 - d1, g2 - g1 + 2 * d2)
            return min(max(t, x1), x2)
        return (x1 + x2) / 2

    xs = [r[0] for r in rows]
    xminBound = min(xs) if xminBound is None else xminBound
    xmaxBound = max(xs) if xmaxBound is None else xmaxBound
    a = [[x ** j for j in range(order, -1, -1)] for x in xs]                 # f constraints
    a += [[(order - j) * x ** (order - j - 1) for j in range(order)] + [0.0] for x in xs]  # f'
    b = [[r[1]] for r in rows] + [[r[2]] for r in rows]
    res = torch.linalg.lstsq(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64),
                             driver="gels").solution
    params = [0.0 if abs(v) <= 1e-12 else v for v in res[:n_points * 2, 0].tolist()]
    d_params = [params[i] * (order - i) for i in range(len(params) - 1)]
    candidates = [(xminBound, 0.0), (xmaxBound, 0.0)] + [(x, 0.0) for x in xs]
    if not any(math.isnan(v) or v == math.inf for v in d_params):
        candidates += _roots(d_params)
    fmin, min_pos = math.inf, (xminBound + xmaxBound) / 2                    # default: bisection
    for real, imag in candidates:
        if imag == 0 and xminBound <= real <= xmaxBound:
            f_cp = _polyval(params, real)
            if f_cp < fmin:
                min_pos, fmin = real, f_cp
    return min_pos


@torch.no_grad()
def lswolfe(opfunc, x, t, d, f, g, gtd, options=None):
    """Lua ``optim.lswolfe(opfunc, x, t, d, f, g, gtd, options)``: from x, step t along d (f, g, gtd:
    the value, gradient and directional derivative at x) to a point satisfying the strong Wolfe
    conditions. options: c1 1e-4 (sufficient decrease), c2 0.9 (curvature), tolX 1e-9, maxIter 20.
    Returns ``(f_new, g_new, x, t, lsFuncEval)``; x is moved in place to x + t d.
    """
    options = {} if options is None else options
    c1 = option(options, "c1", 1e-4)
    c2 = option(options, "c2", 0.9)
    tol_x = option(options, "tolX", 1e-9)
    max_iter = option(options, "maxIter", 20)
    verbose = option(options, "verbose", False)

    def evaluate_at(step):
        x.copy_(x_init).add_(d, alpha=step)
        f_at, g_at = opfunc(x)
        return f_at, g_at.clone(), float(g_at.dot(d))

    x_init = x.clone()
    x.add_(d, alpha=t)
    f_new, g_new = opfunc(x)
    g_new = g_new.clone()
    gtd_new = float(g_new.dot(d))
    evals = 1
    ls_iter, t_prev, done = 0, 0, False
    f_prev, g_prev, gtd_prev = f, g.clone(), gtd
    bracket = None
    while ls_iter < max_iter:                           # bracket a point satisfying the conditions
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, fvals, gvals = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, fvals, gvals, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            bracket, fvals, gvals = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            break
        tmp, t_prev = t_prev, t
        t = polyinterp([[tmp, f_prev, gtd_prev], [t, f_new, gtd_new]], t + 0.01 * (t - tmp), t * 10)
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new, gtd_new = evaluate_at(t)
        evals += 1
        ls_iter += 1
    if ls_iter == max_iter:
        bracket, fvals, gvals = [0, t], [f, f_new], [g, g_new]

    insuf_progress = False
    while not done and ls_iter < max_iter:              # zoom into the bracket
        lo = _argmin(fvals)
        hi = 1 - lo
        f_lo = fvals[lo]
        t = polyinterp([[bracket[0], fvals[0], float(gvals[0].dot(d))],
                        [bracket[1], fvals[1], float(gvals[1].dot(d))]])
        top, bottom = max(bracket), min(bracket)
        if div(min(top - t, t - bottom), top - bottom) < 0.1:
            if insuf_progress or t >= top or t <= bottom:
                if abs(t - top) < abs(t - bottom):
                    t = top - 0.1 * (top - bottom)
                else:
                    t = bottom + 0.1 * (top - bottom)
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new, gtd_new = evaluate_at(t)
        evals += 1
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= f_lo:
            bracket[hi], fvals[hi], gvals[hi] = t, f_new, g_new
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[hi] - bracket[lo]) >= 0:
                bracket[hi], fvals[hi], gvals[hi] = bracket[lo], fvals[lo], gvals[lo]
            bracket[lo], fvals[lo], gvals[lo] = t, f_new, g_new
        if not done and abs((bracket[0] - bracket[1]) * gtd_new) < tol_x:
            break
    if ls_iter == max_iter and verbose:
        print('<optim.lswolfe> ', 'reached max number of iterations')   # as lswolfe.lua prints
    lo = _argmin(fvals)
    t = bracket[lo]
    x.copy_(x_init).add_(d, alpha=t)
    return fvals[lo], gvals[lo], x, t, evals
