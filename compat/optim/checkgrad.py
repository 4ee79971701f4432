"""``optim.checkgrad`` of torch/optim (``checkgrad.lua``): compare opfunc's gradient with central
finite differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``. One pair of evaluations per element
is the method itself (each is a call of the user's opfunc), so this is a loop over x's elements.
"""
import torch

from compat.optim._common import evaluate

__all__ = ["checkgrad"]


@torch.no_grad()
def checkgrad(opfunc, x, eps=None):
    """Lua ``optim.checkgrad(opfunc, x, eps)``; returns ``(diff, dC, dC_est)``: the relative error
    ``|dC - dC_est| / |dC + dC_est|``, opfunc's gradient at x and the estimate (eps default 1e-7).
    x is restored element by element after each perturbation."""
    _, dc = evaluate("checkgrad", opfunc, x)
    dc = dc.reshape(x.shape)
    eps = 1e-7 if eps is None else eps
    flat = x.view(-1)
    dc_est = torch.empty_like(dc)
    est = dc_est.view(-1)

    def value():
        c = opfunc(x)[0]
        return c.clone() if isinstance(c, torch.Tensor) else c

    for i in range(flat.numel()):
        tmp = float(flat[i])
        flat[i] = tmp + eps
        c1 = value()
        flat[i] = float(flat[i]) - 2 * eps
        c2 = value()
        flat[i] = tmp
        est[i] = (c1 - c2) / (2 * eps)
    diff = torch.norm(dc - dc_est) / torch.norm(dc + dc_est)
    return float(diff), dc, dc_est
