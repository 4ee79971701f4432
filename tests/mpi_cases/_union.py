"""Helpers of the data-parallel cases, whose reference is one process training a copy of the model
on the union of the ranks' mini-batches (the same arithmetic, no communication)."""
import torch

from automatedparallelization import comm
from automatedparallelization import datamodule as automation


def flat(model):
    """All parameters of a compat.nn or torch.nn model in one detached vector."""
    return torch.cat([p.detach().reshape(-1) for p in torch.nn.Module.parameters(model)])


def union(n, s, B):
    """The rows of the whole data set held by the ranks' step-``s`` mini-batches of ``B`` rows, rank
    r having rows ``r*n`` to ``r*n + n - 1``."""
    return torch.cat([torch.arange(r * n + s * B, r * n + (s + 1) * B) for r in range(comm.size())])


def lua_sgd_step(model, crit, x, y, lr):
    """One step on the Lua path: forward, criterion, zeroGradParameters, backward, updateParameters(lr)."""
    out = model.forward(x)
    crit.forward(out, y)
    model.zeroGradParameters()
    model.backward(x, crit.backward(out, y))
    model.updateParameters(lr)


def _parallelize(X, Y, model, B):
    """This rank's share of (X, Y) and its row count, ``model`` synchronizing gradients every B samples."""
    return automation.parallelize(X, Y, model, X.shape[0], None, None, 1, sync="gradients",
                                  samples_per_backward=B)


def check_lua_path_equals_union(model, ref, crit, ref_crit, X, Y, B, steps, lr, tol):
    """``model`` (this rank's copy, parallelized here) trained on the Lua path with ``crit`` stays
    within ``tol`` of ``ref`` trained alone with ``ref_crit`` on the union, step for step."""
    x, y, n = _parallelize(X, Y, model, B)
    assert torch.equal(flat(model), flat(ref))
    for s in range(steps):
        lua_sgd_step(model, crit, x[s * B:(s + 1) * B], y[s * B:(s + 1) * B], lr)
        idx = union(n, s, B)
        lua_sgd_step(ref, ref_crit, X[idx], Y[idx], lr)
        assert torch.allclose(flat(model), flat(ref), atol=tol, rtol=0), (s, X.dtype)


def check_autograd_path_equals_union(model, ref, loss, X, Y, B, steps):
    """The same trained the PyTorch way (``loss(model(x), y).backward()``, torch.optim.SGD with lr
    0.1), to 1e-12."""
    x, y, n = _parallelize(X, Y, model, B)
    opt = torch.optim.SGD(model.torch_parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref.torch_parameters(), lr=0.1)
    for s in range(steps):
        opt.zero_grad()
        loss(model(x[s * B:(s + 1) * B]), y[s * B:(s + 1) * B]).backward()
        opt.step()
        idx = union(n, s, B)
        ref_opt.zero_grad()
        loss(ref(X[idx]), Y[idx]).backward()
        ref_opt.step()
        assert torch.allclose(flat(model), flat(ref), atol=1e-12, rtol=0), s
