"""compat.nn simple layers with parameters (simple.py, distance.py) beyond the Torch7 reference
cases of test_nn_torch7_cases.py: finite-difference gradients (inputs and parameters) on the Lua path,
the autograd path, other shapes, LookupTable's options, accUpdateGradParameters, errors, .t7."""
import pytest
import torch

from compat import nn
from compat import torch as ctorch
from tests._nn_grad import check_gradients
from tests._nn_t7 import assert_t7_round_trip


def _r(*size):
    return torch.randn(*size, dtype=torch.float64)


@pytest.mark.parametrize("make, input", [
    (lambda: nn.Add(4), lambda: _r(3, 4)),
    (lambda: nn.Add(4), lambda: _r(4)),
    (lambda: nn.Add(6), lambda: _r(2, 3, 2)),
    (lambda: nn.Add(1, True), lambda: _r(3, 4)),
    (lambda: nn.Mul(), lambda: _r(3, 4)),
    (lambda: nn.CMul(4), lambda: _r(4)),
    (lambda: nn.CMul(3, 2), lambda: _r(5, 3, 2)),
    (lambda: nn.CMul(1, 3, 1), lambda: _r(2, 3, 4)),
    (lambda: nn.CAdd(3, 1), lambda: _r(3, 4)),
    (lambda: nn.CAdd(6), lambda: _r(2, 6)),
    (lambda: nn.Linear(5, 3, False), lambda: _r(2, 5)),
    (lambda: nn.Linear(5.0, 3), lambda: _r(5)),
    (lambda: nn.Bilinear(3, 4, 2), lambda: [_r(3, 3), _r(3, 4)]),
    (lambda: nn.Bilinear(2, 2, 3, False), lambda: [_r(4, 2), _r(4, 2)]),
    (lambda: nn.Euclidean(4, 3), lambda: _r(3, 4)),
    (lambda: nn.Euclidean(4, 3), lambda: _r(4)),
    (lambda: nn.WeightedEuclidean(4, 3), lambda: _r(3, 4)),
    (lambda: nn.WeightedEuclidean(4, 3), lambda: _r(4)),
    (lambda: nn.Cosine(4, 3), lambda: _r(3, 4)),
    (lambda: nn.Cosine(4, 3), lambda: _r(4)),
    (lambda: nn.PReLU(), lambda: _r(3, 4)),
    (lambda: nn.PReLU(3), lambda: _r(2, 3, 2, 2)),
    (lambda: nn.PReLU(3), lambda: _r(3)),
    (lambda: nn.Maxout(4, 3, 2), lambda: _r(3, 4)),
], ids=lambda v: None)
def test_gradients(make, input):
    torch.manual_seed(1)
    m = make()
    if isinstance(m, nn.WeightedEuclidean):          # a covariance other than ones
        with torch.no_grad():
            m.diagCov.uniform_(0.5, 1.5)
    if isinstance(m, nn.PReLU):
        with torch.no_grad():
            m.weight.uniform_(-0.5, 0.5)
    # the Euclidean layers' Lua backward divides by y + 1e-7 (torch/nn), autograd by y
    euclid = isinstance(m, (nn.Euclidean, nn.WeightedEuclidean))
    check_gradients(m, input(), tol=1e-5, autograd_tol=1e-5 if euclid else 1e-9)


def test_lookup_table_gradients_padding_and_frequency():
    torch.manual_seed(2)
    idx = torch.tensor([[2, 1, 2], [5, 2, 1]])
    check_gradients(nn.LookupTable(6, 3), idx, differentiable_input=False)
    m = nn.LookupTable(6, 3, 2).scaleGradByFreq().double()
    go = _r(2, 3, 3)
    m.forward(idx)
    gi = m.backward(idx, go)
    assert torch.equal(gi, torch.zeros_like(idx))
    want = torch.zeros(6, 3, dtype=torch.float64)
    want[0] = (go[0, 1] + go[1, 2]) / 2       # index 1 twice, scaled by its count
    want[4] = go[1, 0]                        # index 2 is the padding value: no gradient
    assert torch.allclose(m.gradWeight, want)
    m.zeroGradParameters()
    (m(idx) * go).sum().backward()          # the autograd path honours both options too
    assert torch.allclose(m.gradWeight, want)


def test_lookup_table_max_norm_renormalises_used_rows_only():
    m = nn.LookupTable(4, 2, 0, 1.0).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, 2.0]], dtype=torch.float64))
    out = m.forward(torch.tensor([1, 2, 1]))
    assert torch.allclose(m.weight[0], torch.tensor([3.0, 4.0], dtype=torch.float64) / (5 + 1e-7))
    assert torch.equal(m.weight[1], torch.tensor([0.3, 0.4], dtype=torch.float64))   # norm 0.5 < 1
    assert torch.equal(m.weight[2], torch.tensor([6.0, 8.0], dtype=torch.float64))   # not used
    assert torch.equal(out[0], m.weight[0]) and torch.equal(out[2], m.weight[0])
    m1 = nn.LookupTable(2, 2, 0, 1.0, 1).double()
    with torch.no_grad():
        m1.weight.copy_(torch.tensor([[1.0, 3.0], [0.2, 0.3]]))
    m1.forward(torch.tensor([1, 2]))
    assert torch.allclose(m1.weight[0], torch.tensor([1.0, 3.0], dtype=torch.float64) / (4 + 1e-7))


def test_lookup_table_autograd_path_skips_padding_rows():
    m = nn.LookupTable(5, 2, 3).double()
    out = m(torch.tensor([1, 3, 3, 4]))
    out.sum().backward()
    want = torch.zeros(5, 2, dtype=torch.float64)
    want[[0, 3]] = 1
    assert torch.equal(m.gradWeight, want)


def test_acc_update_grad_parameters_is_a_sgd_step():
    """accUpdateGradParameters(lr) leaves the gradients alone and moves the weights by
    -lr * the gradient that accGradParameters computes."""
    torch.manual_seed(3)
    for m, x in ((nn.Bilinear(3, 2, 2), [_r(4, 3), _r(4, 2)]), (nn.Cosine(3, 2), _r(4, 3)),
                 (nn.WeightedEuclidean(3, 2), _r(4, 3)), (nn.CMul(1, 3), _r(2, 3)),
                 (nn.LookupTable(5, 2), torch.tensor([1, 4, 4]))):
        m.double()
        go = torch.randn_like(m.forward(x))
        m.zeroGradParameters()
        m.backward(x, go)
        grads = [g.clone() for g in m.parameters()[1]]
        before = [p.detach().clone() for p in m.parameters()[0]]
        m.zeroGradParameters()
        m.accUpdateGradParameters(x, go, 0.1)
        for p, p0, g, g_now in zip(m.parameters()[0], before, grads, m.parameters()[1]):
            assert torch.allclose(p, p0 - 0.1 * g), type(m).__name__
            assert not g_now.any()


def test_parameters_in_lua_order_and_printouts():
    we = nn.WeightedEuclidean(3, 2)
    w, g = we.parameters()
    assert w[1] is we.diagCov and g[1] is we.gradDiagCov
    assert [t.shape for t in w] == [torch.Size([3, 2])] * 2 and torch.equal(w[1], torch.ones(3, 2))
    m = nn.Bilinear(3, 4, 2, False)
    assert len(m.parameters()[0]) == 1
    assert str(m) == "nn.Bilinear(3x4 -> 2)  without bias"
    assert str(nn.Linear(5, 3)) == "nn.Linear(5 -> 3)"
    assert str(nn.PReLU(3)) == "nn.PReLU"
    assert torch.equal(nn.PReLU(3).weight, torch.full((3,), 0.25))


def test_reset_ranges():
    torch.manual_seed(4)
    assert nn.Add(16).bias.abs().max() <= 0.25
    assert nn.CMul(4, 4).weight.abs().max() <= 0.25
    assert nn.Cosine(100, 4).weight.abs().max() <= 0.5          # 1/sqrt(outputSize), as Lua
    m = nn.Euclidean(4, 3).reset(0.1)
    assert m.weight.abs().max() <= 0.1 * 3 ** 0.5
    assert float(nn.LookupTable(1000, 4).weight.detach().std()) == pytest.approx(1, abs=0.1)


@pytest.mark.parametrize("make, input, match", [
    (lambda: nn.Add(4), _r(3, 5), r"Add: expecting an input of size \(4,\)"),
    (lambda: nn.CMul(3), _r(2, 4), r"CMul: input of size \(2, 4\) does not match the parameter of size \(3,\)"),
    (lambda: nn.Bilinear(3, 4, 2), [_r(3, 3), _r(2, 4)], r"Bilinear: expecting input\[2\] of size 3 in dimension 1"),
    (lambda: nn.Euclidean(4, 3), _r(3, 5), r"Euclidean: expecting input of size 4 in dimension 2"),
    (lambda: nn.Cosine(4, 3), _r(2, 3, 4), r"Cosine: expecting input to be 1-D or 2-D"),
    (lambda: nn.PReLU(3), _r(2, 4), r"PReLU: wrong number of input planes, expecting 3"),
    (lambda: nn.LookupTable(5, 2), torch.tensor([1, 6]), r"LookupTable: inputs need to be in the range 1 <= input <= 5"),
    (lambda: nn.LookupTable(5, 2), torch.tensor([0.5]), r"LookupTable: expecting integer indices"),
])
def test_bad_input(make, input, match):
    with pytest.raises(ValueError, match=match):
        make().forward(input)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"Linear: expecting outputSize to be an integer >= 1, got 2.5"):
        nn.Linear(3, 2.5)
    with pytest.raises(ValueError, match="Bilinear: expecting inputSize2"):
        nn.Bilinear(3, 0, 2)
    assert nn.LookupTable(10.0, 4.0).weight.shape == (10, 4)


def test_t7_round_trip(tmp_path):
    torch.manual_seed(5)
    model = nn.Sequential().add(nn.Add(4)).add(nn.CMul(4)).add(nn.PReLU()).add(nn.WeightedEuclidean(4, 3)) \
        .add(nn.Cosine(3, 2)).double()
    for again in assert_t7_round_trip(tmp_path, model, _r(2, 4)):
        assert torch.equal(again.get(4).diagCov, model.get(4).diagCov)
    lut = nn.LookupTable(6, 2, 3).double()
    lut.setMaxNorm(2.0)
    path = str(tmp_path / "lut.t7")
    ctorch.save(path, lut)
    again = ctorch.load(path)
    assert (again.paddingValue, again.maxNorm, again.normType) == (3, 2.0, None)
    idx = torch.tensor([[1, 2], [6, 3]])
    assert torch.equal(again.forward(idx), lut.forward(idx))


@pytest.mark.parametrize("make, input", [
    (lambda: nn.CMul(1, 3), lambda: _r(2, 3)),
    (lambda: nn.Bilinear(3, 2, 2), lambda: [_r(4, 3), _r(4, 2)]),
    (lambda: nn.WeightedEuclidean(3, 2), lambda: _r(4, 3)),
    (lambda: nn.LookupTable(5, 2), lambda: torch.tensor([[1, 5], [2, 2]])),
    (lambda: nn.Maxout(3, 2, 2), lambda: _r(4, 3)),
], ids=lambda v: None)
def test_module_contract(make, input):
    """clone() is independent, float()/type() convert parameters and gradients, clearState()
    empties the state, getParameters() aliases the weights, zeroGradParameters() zeroes."""
    torch.manual_seed(6)
    m, x = make().double(), input()
    y = m.forward(x).clone()
    c = m.clone()
    with torch.no_grad():
        m.parameters()[0][0].add_(1)
    assert torch.equal(c.forward(x), y)
    flat, gflat = c.getParameters()
    with torch.no_grad():
        flat.fill_(0.5)
    assert all(bool((p == 0.5).all()) for p in c.parameters()[0])
    c.backward(x, torch.ones_like(y))
    assert gflat.abs().sum() > 0
    c.zeroGradParameters()
    assert not gflat.any()
    f = make().float()
    assert f.type() == 'torch.FloatTensor' and all(g.dtype == torch.float32 for g in f.parameters()[1])
    xf = [t.float() for t in x] if isinstance(x, list) else (x if not x.is_floating_point() else x.float())
    assert f.forward(xf).dtype == torch.float32
    assert f.clearState() is f and f.output.numel() == 0
