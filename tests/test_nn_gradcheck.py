"""Finite-difference gradient check (double precision) of every module and criterion case of
``fixtures/torch7_refs/spec.py``, independent of Torch7's reference numbers: each case is built
from its Lua constructor and run on its reference input (only the input is taken from the file),
and again on an input of batch size 5 drawn from the spec's own input expression (the held-out
references use other batch sizes and seeds).

For a module with output y = f(x, w) and a random gradOutput g, ``backward`` must give
d<g, f>/dx (gradInput) and d<g, f>/dw (the flat gradParameters of ``getParameters()``); these are
compared with central differences of ``forward``. For a criterion, ``backward`` must give the
derivative of ``forward``'s loss. Then the autograd path (``m(x)`` with grad mode on, ``.backward``)
must give the same gradients as the Lua path.

A few modules' backward is by definition not the derivative of their forward; ``BY_DEFINITION``
states the rule that relates the two, so those cases are checked too, against the rule.
"""
import zlib

import pytest
import torch as T

from tests._nn_grad import central_differences
from tests._spec_inputs import CRITERIA, MODULES, lua_input
from tests.test_nn_torch7_cases import CRITERION_CASES, MODULE_CASES, _case, _double, build

SPEC = {name: (expr, opts) for name, _, expr, opts in MODULES + CRITERIA}
SOURCES = ["reference", "batch5"]


def _inputs(part, name, source):
    """(case, input, target) from the reference file, or drawn from the spec at batch size 5."""
    r = _case(part, name)
    if source == "reference":
        return r, _double(r["input"]), _double(r.get("target"))
    expr, opts = SPEC[name]
    T.manual_seed(zlib.crc32(name.encode()))
    x = _double(lua_input(expr, 5))
    return r, x, (_double(lua_input(opts["target"], 5)) if "target" in opts else None)

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7


def _tensors(x):
    """The floating tensors of a (nested) table, depth first (the differentiable leaves)."""
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensors(v)]
    return [x] if isinstance(x, T.Tensor) and x.is_floating_point() else []


def _clone(x):
    if isinstance(x, (list, tuple)):
        return [_clone(v) for v in x]
    return x.detach().clone() if isinstance(x, T.Tensor) else x


def _like(x, gen):
    if isinstance(x, (list, tuple)):
        return [_like(v, gen) for v in x]
    return T.randn(x.shape, dtype=x.dtype, generator=gen)


def _rebuild(x, leaves):
    """``x`` with its floating tensors replaced, in order, by those of the iterator ``leaves``."""
    if isinstance(x, (list, tuple)):
        return [_rebuild(v, leaves) for v in x]
    return next(leaves) if isinstance(x, T.Tensor) and x.is_floating_point() else x


def _dot(out, g):
    if isinstance(out, (list, tuple)):
        return sum(_dot(o, h) for o, h in zip(out, g))
    if isinstance(out, T.Tensor):
        return (out.double() * g).sum()
    return out * g


def _central(f, tensors):
    """Central differences of the scalar f() with respect to every element of ``tensors``."""
    return [central_differences(f, t, EPS) for t in tensors]


def _assert_close(got, want, what):
    got = got.detach().double().reshape(want.shape)
    assert T.allclose(got, want, rtol=RTOL, atol=ATOL), \
        f"{what}: largest difference {float((got - want).abs().max()):.3g}"


def _paddingValue_rows_zero(m, grads):
    """nn.LookupTable(n, d, paddingValue): Torch7 never accumulates a gradient into the weight row
    of ``paddingValue`` (that row is a fixed padding embedding)."""
    row = int(m.paddingValue)
    grads[0].view(-1, m.weight.shape[1])[row - 1].zero_()
    return grads


def _lambda(m):
    """GradientReversal's Lua field ``lambda`` (a Python keyword: ``getattr``, or ``lambda_``)."""
    v = getattr(m, 'lambda', None)
    return v if v is not None else m.lambda_


def _assert_autograd(leaves, lua_grads):
    """The autograd gradients of ``leaves`` equal the Lua path's; an input the output does not
    depend on gets no autograd gradient (None), where Lua gives zeros."""
    for i, (leaf, want) in enumerate(zip(leaves, _tensors(lua_grads))):
        if leaf.grad is None:
            assert not want.any(), f"autograd: no gradient reached input {i + 1}"
        else:
            _assert_close(leaf.grad, want.double(), f"autograd gradInput {i + 1}")


#: module -> (rule, reason): the rule maps the finite differences (input part) to what backward gives.
BY_DEFINITION = {
    'GradientReversal': (lambda m, x, fd: -_lambda(m) * fd,
                         "backward multiplies gradOutput by -lambda (a gradient reversal layer); its forward "
                         "is the identity"),
    'L1Penalty': (lambda m, x, fd: fd + m.l1weight * x.sign(),
                  "backward adds the gradient of the L1 penalty l1weight*|x|, a loss its forward does not return"),
}
#: module -> rule on the parameter part of the finite differences
PARAM_BY_DEFINITION = {'LookupTable_pad': _paddingValue_rows_zero}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", MODULE_CASES)
def test_module_gradients_match_finite_differences(name, source):
    r, x, _ = _inputs("modules", name, source)
    m = build(r["ctor"]).double()
    m.evaluate() if r["mode"] == "evaluate" else m.training()
    gen = T.Generator().manual_seed(zlib.crc32(name.encode()))
    g = _like(m.forward(x), gen)
    m.zeroGradParameters()
    gi = _clone(m.backward(x, _clone(g)))
    w, gw = m.getParameters()
    gw = gw.clone()

    def f():
        return _dot(m.forward(x), g)

    leaves = _tensors(x)
    with T.no_grad():
        fd_x = _central(f, leaves)
        fd_w = _central(f, [w]) if w.numel() else []
    if name in BY_DEFINITION:
        rule, _reason = BY_DEFINITION[name]
        fd_x = [rule(m, t, d) for t, d in zip(leaves, fd_x)]
    if name in PARAM_BY_DEFINITION:
        fd_w = PARAM_BY_DEFINITION[name](m, fd_w)
    for i, (got, want) in enumerate(zip(_tensors(gi), fd_x)):
        _assert_close(got, want, f"gradInput {i + 1}")
    assert len(_tensors(gi)) == len(fd_x), "gradInput has a different structure than the input"
    if fd_w:
        _assert_close(gw, fd_w[0], "gradParameters")

    # the autograd path gives the Lua path's gradients
    leaves_ag = [t.clone().requires_grad_(True) for t in leaves]
    xa = _rebuild(x, iter(leaves_ag))
    m.zeroGradParameters()
    loss = _dot(m(xa), g)
    if leaves_ag or w.numel():
        loss.backward()
    _assert_autograd(leaves_ag, gi)
    if w.numel():
        _assert_close(m.getParameters()[1], gw, "autograd gradParameters")


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", CRITERION_CASES)
def test_criterion_gradient_matches_finite_differences(name, source):
    r, x, t = _inputs("criteria", name, source)
    c = build(r["ctor"]).double()
    c.forward(x, t)
    gi = _clone(c.backward(x, t))
    leaves = _tensors(x)
    with T.no_grad():
        fd = _central(lambda: c.forward(x, t), leaves)
    for i, (got, want) in enumerate(zip(_tensors(gi), fd)):
        _assert_close(got, want, f"gradInput {i + 1}")
    leaves_ag = [v.clone().requires_grad_(True) for v in leaves]
    xa = _rebuild(x, iter(leaves_ag))
    loss = c(xa, t)
    loss.backward()
    _assert_autograd(leaves_ag, gi)
