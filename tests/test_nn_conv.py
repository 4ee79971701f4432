"""compat.nn convolutions, temporal/volumetric modules, pooling, padding, up-sampling, batch
normalization, LRN and nn.tables: what the Torch7 reference cases do not cover.

Expected values come from independent computations: finite differences (gradcheck on the
autograd path), one-sample-at-a-time loops against the batch, dense PyTorch layers, arithmetic.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from compat import nn
from compat import torch as ctorch

# (constructor, batched input shape); every module here also takes one sample (the shape without N)
CASES = [
    (lambda: nn.SpatialDilatedConvolution(2, 3, 3, 2, 2, 1, 1, 0, 2, 1), (3, 2, 7, 6)),
    (lambda: nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1, 1, 0), (3, 2, 4, 3)),
    (lambda: nn.SpatialConvolutionMap(nn.tables.random(3, 4, 2), 3, 2, 1, 2), (2, 3, 6, 5)),
    (lambda: nn.SpatialConvolutionLocal(2, 3, 5, 4, 3, 2, 1, 1, 1, 0), (2, 2, 4, 5)),
    (lambda: nn.SpatialSubSampling(2, 2, 3, 2, 1), (2, 2, 6, 5)),
    (lambda: nn.TemporalConvolution(3, 2, 3, 2), (2, 7, 3)),
    (lambda: nn.TemporalSubSampling(3, 2, 1), (2, 5, 3)),
    (lambda: nn.TemporalMaxPooling(2, 1), (2, 5, 3)),
    (lambda: nn.VolumetricConvolution(2, 2, 2, 3, 2, 1, 2, 1, 1, 0, 1), (2, 2, 3, 4, 5)),
    (lambda: nn.VolumetricMaxPooling(2, 2, 1, 1, 2, 1).ceil(), (2, 2, 3, 5, 4)),
    (lambda: nn.VolumetricAveragePooling(2, 1, 2), (2, 2, 4, 3, 4)),
    (lambda: nn.SpatialAveragePooling(3, 2, 2, 1, 1, 1).ceil().setCountExcludePad(), (2, 2, 5, 6)),
    (lambda: nn.SpatialDilatedMaxPooling(2, 2, 2, 1, 1, 0, 2, 2), (2, 2, 6, 7)),
    (lambda: nn.SpatialAdaptiveMaxPooling(2, 3), (2, 2, 7, 5)),
    (lambda: nn.SpatialAdaptiveAveragePooling(3, 2), (2, 2, 5, 7)),
    (lambda: nn.SpatialZeroPadding(2, -1, 1, 0), (2, 2, 3, 4)),
    (lambda: nn.SpatialReflectionPadding(1, 2, 2, 1), (2, 2, 3, 4)),
    (lambda: nn.SpatialReplicationPadding(3, 0, 1, 2), (2, 2, 3, 4)),
    (lambda: nn.SpatialUpSamplingNearest(3), (2, 2, 2, 3)),
    (lambda: nn.SpatialUpSamplingBilinear({'oheight': 5, 'owidth': 7}), (2, 2, 3, 4)),
    (lambda: nn.SpatialCrossMapLRN(5, 0.1, 0.6, 2), (2, 6, 3, 2)),
]
IDS = [f"{i}-{type(c()).__name__}" for i, (c, _) in enumerate(CASES)]


def _build(ctor):
    torch.manual_seed(0)
    return ctor().double()


@pytest.mark.parametrize("ctor,shape", CASES, ids=IDS)
def test_gradients_match_finite_differences(ctor, shape):
    """The module called the PyTorch way is differentiable, in the input and in every parameter."""
    m = _build(ctor)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    params = list(m.torch_parameters())
    assert torch.autograd.gradcheck(lambda inp, *ps: m(inp), (x, *params))


@pytest.mark.parametrize("ctor,shape", CASES, ids=IDS)
def test_lua_path_equals_autograd(ctor, shape):
    """forward/backward (explicit backward kernels) give autograd's gradInput and parameter gradients;
    backward(scale) scales only the parameter gradients; accUpdateGradParameters moves the weights."""
    m = _build(ctor)
    x = torch.randn(shape, dtype=torch.float64)
    xr = x.clone().requires_grad_()
    y = m(xr)
    g = torch.randn_like(y)
    y.backward(g)
    want_params = [p.grad.clone() for p in m.torch_parameters()]
    m.zeroGradParameters()
    assert torch.allclose(m.forward(x), y.detach(), atol=1e-12)
    gi = m.backward(x, g, 0.5)
    assert torch.allclose(gi, xr.grad, atol=1e-10)
    for p, want in zip(m.parameters()[1], want_params):
        assert torch.allclose(p, 0.5 * want, atol=1e-10)
    if want_params:
        before = [p.detach().clone() for p in m.parameters()[0]]
        m.accUpdateGradParameters(x, g, 0.1)
        for p, b, want in zip(m.parameters()[0], before, want_params):
            assert torch.allclose(p, b - 0.1 * want, atol=1e-10)


@pytest.mark.parametrize("ctor,shape", CASES, ids=IDS)
def test_single_sample_equals_batch_row(ctor, shape):
    m = _build(ctor)
    x = torch.randn(shape, dtype=torch.float64)
    y = m.forward(x).clone()
    g = torch.randn_like(y)
    gi = m.backward(x, g).clone()
    for n in range(shape[0]):
        assert torch.allclose(m.forward(x[n]), y[n], atol=1e-12)
        assert torch.allclose(m.backward(x[n], g[n]), gi[n], atol=1e-12)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
@pytest.mark.parametrize("ctor,shape", CASES, ids=IDS)
def test_t7_round_trip(ctor, shape, fmt, tmp_path):
    m = _build(ctor)
    x = torch.randn(shape, dtype=torch.float64)
    y = m.forward(x)
    ctorch.save(str(tmp_path / "m.t7"), m, fmt)
    again = ctorch.load(str(tmp_path / "m.t7"), fmt)
    assert type(again) is type(m) and str(again) == str(m)
    assert torch.equal(again.forward(x), y)


@pytest.mark.parametrize("ctor,shape", CASES, ids=IDS)
def test_clone_float_clear_state(ctor, shape):
    m = _build(ctor)
    x = torch.randn(shape, dtype=torch.float64)
    y = m.forward(x)
    c = m.clone()
    assert torch.equal(c.forward(x), y)
    assert m.float().forward(x.float()).dtype == torch.float32
    assert m.clearState().output.numel() == 0


def test_dense_equivalents():
    """Special cases against plain PyTorch layers."""
    torch.manual_seed(1)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    full = nn.SpatialConvolutionMap(nn.tables.full(3, 4), 3, 3).double()
    dense = full._dense(full.weight)
    assert torch.allclose(full.forward(x), F.conv2d(x, dense, full.bias))
    # full table: connection k = (i, j) holds the kernel of output j, input i
    assert torch.equal(dense[1, 2], full.weight[1 * 3 + 2])
    local = nn.SpatialConvolutionLocal(3, 2, 6, 6, 3, 3).double()
    with torch.no_grad():                                 # one kernel everywhere = a convolution
        local.weight.copy_(torch.randn(2, 3, 3, 3, dtype=torch.float64).expand_as(local.weight))
    conv_w = local.weight[0, 0]
    want = F.conv2d(x, conv_w) + local.bias
    assert torch.allclose(local.forward(x), want)
    sub = nn.SpatialSubSampling(3, 2, 2, 2, 2).double()
    want = F.avg_pool2d(x, 2) * 4 * sub.weight.view(3, 1, 1) + sub.bias.view(3, 1, 1)
    assert torch.allclose(sub.forward(x), want)
    seq = torch.randn(2, 7, 3, dtype=torch.float64)
    tconv = nn.TemporalConvolution(3, 5, 2, 2).double()
    frames = seq.unfold(1, 2, 2).transpose(2, 3).reshape(2, 3, 6)    # frames t*2, t*2+1 concatenated
    assert torch.allclose(tconv.forward(seq), frames @ tconv.weight.t() + tconv.bias)


def test_tables():
    assert nn.tables.full(2, 3).tolist() == [[1, 1], [2, 1], [1, 2], [2, 2], [1, 3], [2, 3]]
    assert nn.tables.oneToOne(3).tolist() == [[1, 1], [2, 2], [3, 3]]
    torch.manual_seed(3)
    t = nn.tables.random(5, 4, 2)
    assert t.shape == (8, 2) and t.dtype == torch.get_default_dtype()
    assert t[:, 1].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    for j in range(4):                     # each output gets nto distinct inputs in 1..nin
        frm = t[2 * j:2 * j + 2, 0]
        assert len(set(frm.tolist())) == 2 and frm.min() >= 1 and frm.max() <= 5
    m = nn.SpatialConvolutionMap(t, 3, 3)
    assert (m.nOutputPlane, m.weight.shape) == (4, (8, 3, 3))
    with pytest.raises(ValueError, match="nto <= nin"):
        nn.tables.random(2, 3, 4)


def test_batch_normalization_statistics():
    """Running statistics: momentum average with the unbiased variance; evaluate uses them."""
    torch.manual_seed(2)
    bn = nn.SpatialBatchNormalization(3, 1e-3, 0.2).double()
    x = torch.randn(4, 3, 2, 5, dtype=torch.float64) * 3 + 1
    y = bn.forward(x)
    mean = x.mean((0, 2, 3))
    var = x.var((0, 2, 3), unbiased=False)
    want = (x - mean.view(1, 3, 1, 1)) / (var.view(1, 3, 1, 1) + 1e-3).sqrt()
    want = want * bn.weight.view(1, 3, 1, 1) + bn.bias.view(1, 3, 1, 1)
    assert torch.allclose(y, want)
    assert torch.allclose(bn.running_mean, 0.2 * mean)
    assert torch.allclose(bn.running_var, 0.8 + 0.2 * x.var((0, 2, 3), unbiased=True))
    bn.evaluate()
    one = bn.forward(x[1])                       # evaluate accepts one sample
    rm, rv = bn.running_mean.view(3, 1, 1), bn.running_var.view(3, 1, 1)
    assert torch.allclose(one, (x[1] - rm) / (rv + 1e-3).sqrt() * bn.weight.view(3, 1, 1) + bn.bias.view(3, 1, 1))
    bn.training()
    with pytest.raises(ValueError, match=r"only mini-batch supported \(4D tensor\), got 3D"):
        bn.forward(x[1])
    before = bn.running_mean.clone()
    bn.forward(x[:1])                            # Lua: a batch of one uses (and keeps) the running stats
    assert torch.equal(bn.running_mean, before)


def test_lrn_formula():
    torch.manual_seed(4)
    x = torch.randn(2, 5, 3, 3, dtype=torch.float64)
    y = nn.SpatialCrossMapLRN(3, 0.01, 0.75, 2).double().forward(x)
    sq = F.pad(x * x, (0, 0, 0, 0, 1, 1))
    scale = 2 + 0.01 / 3 * (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:])
    assert torch.allclose(y, x * scale.pow(-0.75))


def test_constructors_accept_integral_floats():
    m = nn.SpatialFullConvolution(2.0, 3.0, 3.0, 3.0, 2.0, 2.0)
    assert (m.nInputPlane, m.kW, m.dW) == (2, 3, 2) and isinstance(m.kW, int)
    assert nn.TemporalConvolution(4.0, 2, 3.0).weight.shape == (2, 12)
    with pytest.raises(ValueError, match=r"VolumetricConvolution: expecting kT to be an integer >= 1, got 2.5"):
        nn.VolumetricConvolution(1, 1, 2.5, 1, 1)
    with pytest.raises(ValueError, match="adjW and adjH must be smaller"):
        nn.SpatialFullConvolution(1, 1, 3, 3, 1, 1, 0, 0, 1, 0)


@pytest.mark.parametrize("module,bad,pattern", [
    (lambda: nn.SpatialFullConvolution(2, 3, 3, 3), (1, 3, 4, 4), r"SpatialFullConvolution.*size 2 in the plane"),
    (lambda: nn.SpatialConvolutionLocal(2, 3, 5, 5, 3, 3), (2, 2, 5, 6),
     r"SpatialConvolutionLocal: given input size \(2, 2, 5, 6\).*2 x 5 x 5"),
    (lambda: nn.SpatialConvolutionMap(nn.tables.full(3, 2), 3, 3), (2, 2, 6, 6), r"at least 3 input planes"),
    (lambda: nn.TemporalConvolution(4, 3, 2), (2, 6, 5), r"TemporalConvolution.*frames of size 4.*\(2, 6, 5\)"),
    (lambda: nn.TemporalMaxPooling(4), (3, 2), r"TemporalMaxPooling.*shorter than the kernel"),
    (lambda: nn.VolumetricConvolution(2, 3, 2, 2, 2), (2, 3, 3), r"VolumetricConvolution.*4-D or 5-D"),
    (lambda: nn.VolumetricMaxPooling(2, 2, 2), (2, 1, 3, 3), r"VolumetricMaxPooling.*smaller than the kernel"),
    (lambda: nn.SpatialAveragePooling(3, 3), (2, 2, 2), r"SpatialAveragePooling.*smaller than the kernel"),
    (lambda: nn.SpatialReflectionPadding(3), (2, 3, 3), r"SpatialReflectionPadding: pads \[3, 3, 3, 3\].*\(2, 3, 3\)"),
    (lambda: nn.SpatialZeroPadding(-2), (1, 3, 3), r"SpatialZeroPadding.*too small"),
    (lambda: nn.SpatialUpSamplingNearest(2), (4, 4), r"SpatialUpSamplingNearest.*3-D or 4-D"),
    (lambda: nn.BatchNormalization(4), (3, 5), r"BatchNormalization: got 5-feature tensor.*expected 4"),
    (lambda: nn.SpatialCrossMapLRN(3), (2, 3, 3, 3, 3), r"SpatialCrossMapLRN.*3-D or 4-D"),
])
def test_bad_input_names_module_and_shapes(module, bad, pattern):
    with pytest.raises(ValueError, match=pattern):
        module().forward(torch.randn(bad))


def test_bad_grad_output_size():
    m = nn.SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 0, 0, 2, 2)
    x = torch.randn(2, 2, 7, 7)
    m.forward(x)
    with pytest.raises(ValueError, match=r"SpatialDilatedConvolution: expecting gradOutput of size \(2, 3, 3, 3\)"):
        m.backward(x, torch.randn(2, 3, 4, 4))


def test_full_convolution_table_input():
    """{input, target}: adj from the target's size; gradInput {gradInput, zeros like target}."""
    torch.manual_seed(5)
    m = nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1).double()
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64)
    target = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    y = m.forward([x, target])
    assert y.shape == (2, 3, 8, 8)
    assert torch.allclose(y, F.conv_transpose2d(x, m.weight, m.bias, 2, 1, 1))
    gi = m.backward([x, target], torch.ones_like(y))
    assert isinstance(gi, list) and gi[1].shape == target.shape and not gi[1].any()
    assert gi[0].shape == x.shape


def test_lua_uniform_reset_bounds():
    m = nn.SpatialConvolutionMap(nn.tables.random(6, 4, 3), 5, 5)     # fan-in 3 planes of 5x5
    assert m.weight.abs().max() <= 1 / math.sqrt(75) and m.bias.abs().max() <= 1 / math.sqrt(75)
    m.reset(0.01)
    assert m.weight.abs().max() <= 0.01 * math.sqrt(3)


@pytest.mark.parametrize("mode", ["training", "evaluate"])
@pytest.mark.parametrize("ctor,shape", [
    (lambda: nn.BatchNormalization(3), (4, 3)),
    (lambda: nn.SpatialBatchNormalization(2, 1e-3, 0.3), (3, 2, 2, 3)),
    (lambda: nn.VolumetricBatchNormalization(2, None, None, False), (2, 2, 2, 2, 3)),
])
def test_batch_normalization_gradients(ctor, shape, mode):
    """Lua backward (native_batch_norm_backward) against finite differences of the autograd path."""
    m = _build(ctor)
    m.evaluate() if mode == "evaluate" else m.training()
    x = torch.randn(shape, dtype=torch.float64)
    with torch.no_grad():
        m.running_mean.normal_()
        m.running_var.uniform_(0.5, 2)
    params = list(m.torch_parameters())           # (the running statistics do not enter a training output)
    assert torch.autograd.gradcheck(lambda inp, *ps: m(inp), (x.clone().requires_grad_(), *params))
    xr = x.clone().requires_grad_()
    y = m(xr)
    g = torch.randn_like(y)
    y.backward(g)
    want = [p.grad.clone() for p in params]
    m.zeroGradParameters()
    assert torch.allclose(m.forward(x), y.detach(), atol=1e-12)
    assert torch.allclose(m.backward(x, g), xr.grad, atol=1e-10)
    for got, w in zip(m.parameters()[1], want):
        assert torch.allclose(got, w, atol=1e-10)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_batch_normalization_t7_round_trip(fmt, tmp_path):
    """Running statistics, eps, momentum and affine survive a save/load; the loaded module keeps
    updating its statistics in training."""
    torch.manual_seed(6)
    bn = nn.SpatialBatchNormalization(3, 1e-4, 0.3).double()
    x = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    bn.forward(x)
    bn.evaluate()
    ctorch.save(str(tmp_path / "bn.t7"), bn, fmt)
    again = ctorch.load(str(tmp_path / "bn.t7"), fmt)
    assert (again.eps, again.momentum, again.affine) == (1e-4, 0.3, True)
    assert torch.equal(again.running_var, bn.running_var)
    assert torch.equal(again.forward(x), bn.forward(x))
    again.training()
    again.forward(x)
    assert torch.allclose(again.running_mean, 0.3 * x.mean((0, 2, 3)) * (1 + 0.7))
    assert again.clearState().save_mean.numel() == 0



def test_printouts_beyond_the_references():
    """torch/nn's __tostring__ rules for the variants the reference cases do not print."""
    assert str(nn.SpatialFullConvolution(2, 3, 3, 3).noBias()) == "nn.SpatialFullConvolution(2 -> 3, 3x3) without bias"
    assert str(nn.SpatialDilatedConvolution(2, 3, 3, 3)) == "nn.SpatialDilatedConvolution(2 -> 3, 3x3, 1,1)"
    assert str(nn.SpatialConvolutionLocal(2, 3, 8, 8, 3, 3, 2, 2, 1, 1)) == \
        "nn.SpatialConvolutionLocal(2 -> 3, 8x8, 3x3, 2,2, 1,1)"
    assert str(nn.VolumetricConvolution(1, 2, 3, 3, 3).noBias()) == "nn.VolumetricConvolution(1 -> 2, 3x3x3)"
    assert str(nn.VolumetricMaxPooling(2, 2, 2, 1, 1, 1, 1, 0, 1)) == "nn.VolumetricMaxPooling(2x2x2, 1,1,1, 1,0,1)"
    assert str(nn.SpatialUpSamplingBilinear({'oheight': 7, 'owidth': 3})) == "nn.SpatialUpSamplingBilinear(7, 3)"
    assert str(nn.SpatialZeroPadding(1)) == "nn.SpatialZeroPadding(l=1, r=1, t=1, b=1)"
    assert str(nn.SpatialCrossMapLRN(5)) == "nn.SpatialCrossMapLRN"
    assert str(nn.BatchNormalization(3, None, None, False)) == "nn.BatchNormalization (2D) (3)"


def test_random_table_follows_torch7_generator():
    ctorch.manualSeed(7)
    a = nn.tables.random(6, 5, 2)
    ctorch.manualSeed(7)
    assert torch.equal(nn.tables.random(6, 5, 2), a)
    ctorch.manualSeed(7)
    assert a[:6, 0].tolist() == ctorch.randperm(6).tolist()       # the chunks of Torch7's randperm
    # three chunks of 2 per permutation: outputs 1-3 use one permutation of 1..6, 4-5 a fresh one
    assert sorted(a[:6, 0].tolist()) == [1, 2, 3, 4, 5, 6]
