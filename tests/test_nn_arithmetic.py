"""compat.nn arithmetic modules (arithmetic.py) beyond the Torch7 reference cases of
test_nn_torch7_cases.py: finite-difference gradients and the autograd path on other shapes and
arguments, in-place constants, the gradient-only modules, errors and .t7 round trips."""
import math

import pytest
import torch

from compat import nn, t7
from compat import torch as ctorch
from compat.t7 import registry
from tests._nn_grad import check_gradients
from tests._nn_t7 import assert_t7_round_trip


def _r(*size):
    return torch.randn(*size, dtype=torch.float64)


def _pos(*size):
    return torch.rand(*size, dtype=torch.float64) + 0.2


@pytest.mark.parametrize("make, input", [
    (lambda: nn.AddConstant(2.5), lambda: _r(2, 3)),
    (lambda: nn.AddConstant(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)), lambda: _r(2, 3)),
    (lambda: nn.MulConstant(-1.5), lambda: _r(2, 3, 2)),
    (lambda: nn.Abs(), lambda: _r(2, 3)),
    (lambda: nn.Exp(), lambda: _r(4)),
    (lambda: nn.Log(), lambda: _pos(2, 3)),
    (lambda: nn.Square(), lambda: _r(2, 3)),
    (lambda: nn.Sqrt(), lambda: _pos(2, 3)),
    (lambda: nn.Sqrt(0.5), lambda: _pos(2, 3)),
    (lambda: nn.Power(3), lambda: _r(2, 3)),
    (lambda: nn.Power(1.5), lambda: _pos(2, 3)),
    (lambda: nn.Normalize(2), lambda: _r(5)),
    (lambda: nn.Normalize(3), lambda: _r(3, 4)),
    (lambda: nn.Normalize(4), lambda: _r(3, 4)),
    (lambda: nn.Normalize(1.5), lambda: _r(3, 4)),
    (lambda: nn.Normalize(1), lambda: _r(3, 4)),
    (lambda: nn.Normalize(math.inf), lambda: _r(3, 4)),
    (lambda: nn.Sum(), lambda: _r(3, 4)),
    (lambda: nn.Sum(-1), lambda: _r(2, 3, 4)),
    (lambda: nn.Sum(1, 1), lambda: _r(3, 4)),
    (lambda: nn.Sum(2, None, True, False), lambda: _r(3, 4)),
    (lambda: nn.Sum(1), lambda: _r(4)),
    (lambda: nn.Mean(2, 2), lambda: _r(2, 3, 4)),
    (lambda: nn.Max(1), lambda: _r(4)),
    (lambda: nn.Max(-1), lambda: _r(2, 3, 4)),
    (lambda: nn.Min(1, 1), lambda: _r(3, 4)),
    (lambda: nn.MM(), lambda: [_r(3, 4), _r(4, 2)]),
    (lambda: nn.MM(False, True), lambda: [_r(2, 3, 4), _r(2, 5, 4)]),
    (lambda: nn.MM(True, True), lambda: [_r(2, 4, 3), _r(2, 5, 4)]),
    (lambda: nn.MV(), lambda: [_r(3, 4), _r(4)]),
    (lambda: nn.MV(True), lambda: [_r(2, 4, 3), _r(2, 4)]),
    (lambda: nn.MV(True), lambda: [_r(4, 3), _r(4)]),
], ids=lambda v: None)
def test_gradients(make, input):
    torch.manual_seed(1)
    check_gradients(make(), input())


def test_abs_gradient_at_zero_is_thnn():
    m = nn.Abs()
    x = torch.tensor([-2.0, 0.0, 3.0])
    m.forward(x)
    assert m.backward(x, torch.ones(3)).tolist() == [-1, 1, 1]


def test_sqrt_gradient_where_output_is_zero():
    m = nn.Sqrt()
    x = torch.tensor([0.0, 4.0])
    m.forward(x)
    assert m.backward(x, torch.ones(2)).tolist() == [0, 0.25]


@pytest.mark.parametrize("cls, c", [(nn.AddConstant, 2.5), (nn.MulConstant, -2.0)])
def test_in_place_constants_restore_the_input(cls, c):
    x, go = _r(2, 3), _r(2, 3)
    xi, gi = x.clone(), go.clone()
    m = cls(c, True)
    y = m.forward(xi)
    assert y is xi and torch.allclose(y, x + c if cls is nn.AddConstant else x * c)
    g = m.backward(xi, gi)
    assert torch.allclose(xi, x)                    # backward undoes the in-place forward
    assert torch.allclose(g, go if cls is nn.AddConstant else go * c)
    with pytest.raises(TypeError, match="in-place flag must be boolean"):
        cls(c, 1)


def test_gradient_reversal_and_l1_penalty():
    x, go = _r(2, 3), _r(2, 3)
    m = nn.GradientReversal(0.7)
    assert m.forward(x) is x
    assert torch.allclose(m.backward(x, go), -0.7 * go)
    m.setLambda(2)
    xa = x.clone().requires_grad_()
    m(xa).backward(go)
    assert torch.allclose(xa.grad, -2 * go)

    p = nn.L1Penalty(0.1, True)
    assert p.forward(x) is x
    assert p.loss == pytest.approx(0.1 / 6 * float(x.abs().sum()))
    assert torch.allclose(p.backward(x, go), go + 0.1 / 6 * x.sign())
    q = nn.L1Penalty(0.5, False, False)
    q.forward(x)
    assert torch.allclose(q.backward(x, go), 0.5 * x.sign())
    xa = x.clone().requires_grad_()
    nn.L1Penalty(0.5)(xa).backward(go)
    assert torch.allclose(xa.grad, go + 0.5 * x.sign())


def test_shapes_follow_lua():
    x = _r(3, 4)
    assert nn.Sum(2).forward(x).shape == (3,)
    assert nn.Sum(2, None, False, False).forward(x).shape == (3, 1)
    assert nn.Sum(1).forward(_r(4)).shape == (1,)
    assert nn.Max(1).forward(_r(4)).shape == (1,)
    assert nn.Max(1, 1).forward(x).shape == (3,)        # a batch of 1-D inputs: dimension 2
    assert str(nn.Normalize(2)) == "nn.Normalize(2)" and str(nn.Normalize(1.5)) == "nn.Normalize(1.500000)"


@pytest.mark.parametrize("make, input, exc, match", [
    (lambda: nn.Sum(3), _r(3, 4), ValueError, r"Sum: dimension 3 exceeds the input dimensions, got a 2-D input"),
    (lambda: nn.Max(0), _r(3, 4), ValueError, r"Max: dimension 0 exceeds"),
    (lambda: nn.Normalize(2), _r(2, 3, 4), ValueError, r"Normalize: expecting input to be 1-D or 2-D"),
    (lambda: nn.MM(), [_r(3, 4), _r(3, 2)], ValueError, r"MM: matrix sizes do not match, got \(3, 4\) x \(3, 2\)"),
    (lambda: nn.MM(), [_r(3, 4), _r(2, 4, 2)], ValueError, r"MM: expecting input\[2\] to be 2-D"),
    (lambda: nn.MM(), _r(3, 4), TypeError, r"MM: expecting a list of two tensors"),
    (lambda: nn.MV(), [_r(3, 4), _r(3)], ValueError, r"MV: matrix of size \(3, 4\) \(trans=False\) and vector"),
    (lambda: nn.AddConstant(torch.ones(3)), _r(2, 4), ValueError, r"AddConstant: input of size \(2, 4\) does not match"),
])
def test_bad_input(make, input, exc, match):
    with pytest.raises(exc, match=match):
        make().forward(input)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Normalize: -1-norm not supported"):
        nn.Normalize(-1)
    with pytest.raises(TypeError, match="MulConstant: expecting constant_scalar to be a number"):
        nn.MulConstant(torch.ones(2))
    with pytest.raises(TypeError, match="Sum: squeeze has to be true/false"):
        nn.Sum(1, None, False, 1)
    assert nn.Sum(2.0).dimension == 2


def test_t7_round_trip(tmp_path):
    model = nn.Sequential().add(nn.MulConstant(2)).add(nn.Power(2)).add(nn.AddConstant(1)).add(nn.Sqrt(1e-3)) \
        .add(nn.Normalize(math.inf)).add(nn.GradientReversal(0.3)).add(nn.Sum(1, 1, True)).double()
    for again in assert_t7_round_trip(tmp_path, model, _r(3, 4)):
        assert getattr(again.get(6), 'lambda') == 0.3


@pytest.mark.parametrize("make, input", [
    (lambda: nn.MM(), [_r(3, 4), _r(4, 2)]), (lambda: nn.MV(), [_r(3, 4), _r(4)]),
    (lambda: nn.Index(1), [_r(3, 4), torch.tensor([3, 1])]), (lambda: nn.Bilinear(4, 2, 2), [_r(3, 4), _r(3, 2)]),
], ids=lambda v: None)
def test_table_gradinput_saved_as_a_lua_table(make, input, tmp_path, monkeypatch):
    """Torch7's backward of these modules indexes gradInput as a table: it is written as one."""
    m = make().double()
    y = m.forward(input)
    m.backward(input, torch.ones_like(y))
    path = str(tmp_path / "m.t7")
    ctorch.save(path, m)
    again = ctorch.load(path)
    with monkeypatch.context() as patch:             # the file as a generic Lua object
        patch.setattr(registry, "_loaders", {})
        patch.setattr(registry, "_nn_import_tried", True)
        raw = t7.load(path)
    assert isinstance(raw.table['gradInput'], list) and len(raw.table['gradInput']) == 2
    assert torch.equal(again.forward(input), y)
    assert all(torch.equal(a, b) for a, b in zip(again.backward(input, torch.ones_like(y)), m.gradInput))
