"""Gradient checks for compat.nn modules, independent of the code under test.

``check_gradients(module, input)`` runs the Lua path (forward, backward with a random
gradOutput) and compares gradInput and every gradParameter with central finite differences of
the Lua forward (double precision), then checks that the autograd path (``module(x)`` and
``loss.backward()``) gives the same output and the same gradients.
"""
import torch


def _tensors(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _objective(module, input, gradOutput):
    out = _tensors(module.forward(input))
    return sum(float((o.double() * g).sum()) for o, g in zip(out, gradOutput))


def central_differences(f, t, eps):
    """d f() / dt (f a scalar function of the tensor t, double precision) by central differences,
    element by element: each element is moved by +-eps in place, then restored."""
    grad = torch.zeros_like(t, dtype=torch.float64)
    flat, gflat = t.data.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        orig = float(flat[i])
        flat[i] = orig + eps
        up = float(f())
        flat[i] = orig - eps
        down = float(f())
        flat[i] = orig
        gflat[i] = (up - down) / (2 * eps)
    return grad


def _numeric(module, input, gradOutput, t, eps):
    """d sum(forward(input) * gradOutput) / dt by central differences."""
    return central_differences(lambda: _objective(module, input, gradOutput), t, eps)


def _close(a, b, tol):
    a, b = a.detach().double(), b.detach().double()
    assert a.shape == b.shape, (tuple(a.shape), tuple(b.shape))
    err = float((a - b).abs().max()) if a.numel() else 0.0
    assert err <= tol * (1 + float(b.abs().max() if b.numel() else 0)), f"max error {err}"


def check_gradients(module, input, tol=1e-6, eps=1e-6, differentiable_input=True, autograd=True,
                    autograd_tol=1e-9):
    """See the module docstring; ``input`` a double tensor or a list of them; ``autograd_tol``
    bounds the difference between the two paths' gradients. Returns the module."""
    m = module.double()
    y = [o.clone() for o in _tensors(m.forward(input))]
    gradOutput = [torch.randn_like(o, dtype=torch.float64) for o in y]
    go = gradOutput if isinstance(m.output, (list, tuple)) else gradOutput[0]
    m.zeroGradParameters()
    gi = [g.clone() for g in _tensors(m.backward(input, go))]
    params, grads = m.parameters()
    grads = [g.clone() for g in grads]
    if differentiable_input:
        for t, g in zip(_tensors(input), gi):
            if t.is_floating_point():
                _close(g, _numeric(m, input, gradOutput, t, eps), tol)
    for p, g in zip(params, grads):
        _close(g, _numeric(m, input, gradOutput, p, eps), tol)
    if autograd:
        m.zeroGradParameters()
        xs = [t.clone().requires_grad_(t.is_floating_point() and differentiable_input) for t in _tensors(input)]
        ya = _tensors(m(xs if isinstance(input, (list, tuple)) else xs[0]))
        for a, b in zip(ya, y):
            _close(a, b, 1e-12)
        loss = sum((a * g).sum() for a, g in zip(ya, gradOutput))
        loss.backward()
        for x, g in zip(xs, gi):
            if x.requires_grad:
                _close(x.grad, g, autograd_tol)
        for p, g in zip(params, grads):
            _close(p.grad, g, autograd_tol)
    return m
