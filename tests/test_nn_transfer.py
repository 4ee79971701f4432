"""compat.nn transfer functions (transfer.py) beyond the Torch7 reference cases of
test_nn_torch7_cases.py: finite-difference gradients and the autograd path on other shapes, THNN's
boundary conventions, in-place variants, RReLU in training, errors and .t7 round trips."""
import pytest
import torch

from compat import nn
from tests._nn_grad import check_gradients
from tests._nn_t7 import assert_t7_round_trip


def _r(*size):
    return torch.randn(*size, dtype=torch.float64)


MODULES = [
    lambda: nn.HardTanh(), lambda: nn.HardTanh(-0.3, 0.6), lambda: nn.Clamp(-0.5, 0.5), lambda: nn.ReLU6(),
    lambda: nn.HardShrink(0.4), lambda: nn.SoftShrink(0.4), lambda: nn.Threshold(0.2, -1),
    lambda: nn.LeakyReLU(0.1), lambda: nn.ELU(0.8), lambda: nn.SoftPlus(2), lambda: nn.SoftSign(),
    lambda: nn.LogSigmoid(), lambda: nn.TanhShrink(), lambda: nn.SoftMin(), lambda: nn.GatedLinearUnit(),
    lambda: nn.GatedLinearUnit(1), lambda: nn.SpatialSoftMax(), lambda: nn.SpatialLogSoftMax(),
    lambda: nn.CReLU(3),
]


@pytest.mark.parametrize("make", MODULES, ids=lambda f: None)
@pytest.mark.parametrize("shape", [(6,), (2, 4, 2), (2, 4, 3, 2)])
def test_gradients(make, shape):
    torch.manual_seed(1)
    x = _r(*shape) * 3
    check_gradients(make(), x)


def test_rrelu_eval_and_training():
    torch.manual_seed(2)
    m = nn.RReLU(0.1, 0.3).double()
    x = _r(4, 5)
    m.evaluate()
    check_gradients(m, x)
    assert torch.equal(m.forward(x), torch.where(x <= 0, x * 0.2, x))
    m.training()
    y = m.forward(x)
    slope = y / x
    neg = x <= 0
    assert bool(((slope[neg] >= 0.1) & (slope[neg] <= 0.3)).all()) and torch.equal(y[~neg], x[~neg])
    go = _r(4, 5)
    assert torch.allclose(m.backward(x, go), go * m.noise)
    xa = x.clone().requires_grad_()
    ya = m(xa)                                       # a fresh draw on the autograd path
    ya.backward(go)
    assert torch.allclose(xa.grad, go * (ya / xa).detach())


def test_boundaries_follow_thnn():
    x = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=torch.float64)
    go = torch.ones(5, dtype=torch.float64)
    m = nn.HardTanh()
    m.forward(x)
    assert m.backward(x, go).tolist() == [0, 1, 1, 1, 0]            # strictly inside (-1, 1)
    m = nn.Threshold(0.5, 7)
    assert m.forward(x).tolist() == [7, 7, 7, 7, 1]                # x > th
    assert m.backward(x, go).tolist() == [0, 0, 0, 0, 1]
    m = nn.HardShrink(0.5)
    assert m.forward(x).tolist() == [-1, 0, 0, 0, 1]
    m = nn.ELU(2)
    y = m.forward(x)
    assert y[2] == 0 and m.backward(x, go)[2] == 2                # x = 0 is on the exponential side
    m = nn.LeakyReLU(0.1)
    m.forward(x)
    assert m.backward(x, go)[2] == pytest.approx(0.1)


@pytest.mark.parametrize("make", [lambda: nn.HardTanh(-0.5, 0.5, True), lambda: nn.Threshold(0.1, 0, True),
                                  lambda: nn.LeakyReLU(0.2, True), lambda: nn.ELU(1, True),
                                  lambda: nn.ReLU6(True), lambda: nn.RReLU(0.2, 0.2, True)])
def test_in_place_variants(make):
    """In place: the output is the input tensor and gradInput is gradOutput, with the values of
    the out-of-place module."""
    torch.manual_seed(3)
    x, go = _r(3, 4) * 4, _r(3, 4)
    ref = make()
    ref.inplace = False
    want_y = ref.forward(x.clone()).clone()
    want_g = ref.backward(x.clone(), go.clone()).clone()
    m = make()
    xi, gi = x.clone(), go.clone()
    y = m.forward(xi)
    assert y is xi and torch.equal(y, want_y)
    g = m.backward(xi, gi)
    assert g is gi and torch.allclose(g, want_g)


def test_constructor_rules():
    assert nn.LeakyReLU(True).negval == 0.01 and not nn.LeakyReLU(True).inplace
    assert not nn.LeakyReLU(-0.1, True).inplace                  # negative slope: never in place
    assert nn.SoftPlus(2, 3).threshold == 20                     # Lua ignores extra arguments
    with pytest.raises(ValueError, match="HardTanh: max_value must be larger than min_value"):
        nn.HardTanh(1, 1)
    with pytest.raises(ValueError, match=r"Threshold: in-place processing requires value \(2.0\) not exceed"):
        nn.Threshold(1, 2, True)
    with pytest.raises(TypeError, match="ELU: in-place flag must be boolean"):
        nn.ELU(1, 1)
    with pytest.raises(ValueError, match="RReLU: expecting 0 <= l <= u"):
        nn.RReLU(0.5, 0.1)


def test_printouts():
    assert str(nn.ELU()) == "nn.ELU (alpha:1.000000)"
    assert str(nn.LeakyReLU()) == "nn.LeakyReLU(0.01)"
    assert str(nn.RReLU(0.1, 0.2)) == "nn.RReLU (l:0.100000, u:0.200000)"
    assert str(nn.Clamp(0, 1)) == "nn.Clamp"
    assert str(nn.CReLU(1)) == "CReLU()"


def test_bad_input():
    with pytest.raises(ValueError, match=r"HardTanh: expecting gradOutput of the input's size \(2, 3\), got \(3, 2\)"):
        m = nn.HardTanh()
        m.forward(_r(2, 3))
        m.backward(_r(2, 3), _r(3, 2))
    with pytest.raises(ValueError, match=r"GatedLinearUnit: expecting an even size in dimension 2"):
        nn.GatedLinearUnit().forward(_r(2, 3))
    with pytest.raises(ValueError, match="SoftMin: expecting input to be 1-D or 2-D or 3-D or 4-D"):
        nn.SoftMin().forward(_r(1, 2, 3, 4, 5))
    with pytest.raises(TypeError, match="ELU: expecting input to be a torch.Tensor"):
        nn.ELU().forward([1.0])


def test_t7_round_trip(tmp_path):
    model = nn.Sequential().add(nn.HardTanh(-0.3, 0.6)).add(nn.SoftShrink(0.2)).add(nn.ELU(0.5)) \
        .add(nn.LeakyReLU(0.2)).add(nn.SoftPlus(2)).add(nn.GatedLinearUnit(2)).add(nn.SpatialSoftMax()).double()
    for again in assert_t7_round_trip(tmp_path, model, _r(3, 6)):
        assert again.get(2).lam == 0.2
