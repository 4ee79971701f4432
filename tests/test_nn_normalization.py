"""compat.nn Spatial{Subtractive,Divisive,Contrastive}Normalization against Torch7 (scn_reference.t7)
and a direct numpy transcription of the formulas (several planes, 2-D kernels)."""
import math

import numpy as np
import pytest
import torch
import torchfile

from compat import nn
from tests.conftest import t7_fixture

NAMES = ["SpatialContrastiveNormalization", "SpatialSubtractiveNormalization", "SpatialDivisiveNormalization"]


def _plain(obj):
    if isinstance(obj, dict):
        return {(k.decode() if isinstance(k, bytes) else k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    return obj


@pytest.fixture(scope="module")
def scn():
    return _plain(torchfile.load(t7_fixture("scn_reference.t7"), use_list_heuristic=False))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["single", "batch", "nonbatch"])
def test_matches_torch7(scn, name, case):
    ref = scn[name][case]
    kernel = scn["kernel_raw"].clone()
    m = getattr(nn, name)(1, kernel)
    assert m.kernel is kernel                      # the kernel is normalised in place, as in Torch7
    torch.testing.assert_close(kernel, ref["kernel_arg_after"], rtol=0, atol=1e-15)
    torch.testing.assert_close(m.kernel, ref["kernel"], rtol=0, atol=1e-15)
    output = m.forward(ref["input"])
    torch.testing.assert_close(output, ref["output"], rtol=0, atol=1e-12)
    grad_input = m.backward(ref["input"], ref["gradOutput"])
    torch.testing.assert_close(grad_input, ref["gradInput"], rtol=0, atol=1e-12)
    # called the PyTorch way, autograd gives the same gradient
    x = ref["input"].clone().requires_grad_()
    y = m(x)
    y.backward(ref["gradOutput"])
    torch.testing.assert_close(y.detach(), ref["output"], rtol=0, atol=1e-12)
    torch.testing.assert_close(x.grad, ref["gradInput"], rtol=0, atol=1e-12)


# ------------------------------------------------------------------ numpy transcription
def _np_local_sum(x, K):
    """sum over planes p of the zero-padded cross-correlation of x[p] with the 2-D kernel K."""
    P, H, W = x.shape
    kh, kw = K.shape
    pad = np.zeros((P, H + kh - 1, W + kw - 1))
    pad[:, kh // 2:kh // 2 + H, kw // 2:kw // 2 + W] = x
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            out[i, j] = np.sum(pad[:, i:i + kh, j:j + kw] * K[None])
    return out


def _np_scn(x, kernel, threshold=1e-4, thresval=1e-4):
    """Lua's SCN for one sample: the kernel normalised by SSN, then again by SDN."""
    P = x.shape[0]
    k = kernel / (kernel.sum() * P)                                 # SSN normalisation
    K = np.outer(k, k) if k.ndim == 1 else k
    ones = np.ones_like(x)
    centred = x - _np_local_sum(x, K)[None] / _np_local_sum(ones, K)[None]
    k = k / (k.sum() * (math.sqrt(P) if k.ndim == 1 else P))        # SDN normalisation
    K = np.outer(k, k) if k.ndim == 1 else k
    s = np.sqrt(_np_local_sum(centred ** 2, K)) / _np_local_sum(ones, K)
    s = np.where(s > threshold, s, thresval)
    return centred / s[None], k


@pytest.mark.parametrize("kernel", [np.array([1.0, 3.0, 4.0, 3.0, 1.0]),
                                    np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 4.0, 2.0, 1.0])])
def test_several_planes_against_numpy(kernel):
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 7, 6, generator=gen, dtype=torch.float64)
    k = torch.from_numpy(kernel.copy())
    m = nn.SpatialContrastiveNormalization(3, k)
    out = m.forward(x)
    for b in range(2):
        expected, k_after = _np_scn(x[b].numpy(), kernel)
        np.testing.assert_allclose(out[b].numpy(), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(k.numpy(), k_after, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_against_finite_differences(name):
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(2, 2, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    m = getattr(nn, name)(2, torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64), *(
        [0.5, 0.25] if name != "SpatialSubtractiveNormalization" else []))
    assert torch.autograd.gradcheck(lambda t: m(t), (x,))
    g = torch.randn(2, 2, 5, 6, generator=gen, dtype=torch.float64)
    (expected,) = torch.autograd.grad(m(x), x, g)
    torch.testing.assert_close(m.backward(x.detach(), g), expected, rtol=0, atol=1e-13)


def test_threshold_where_the_signal_is_flat():
    m = nn.SpatialDivisiveNormalization(1, torch.ones(3, 3, dtype=torch.float64), 0.5, 2.0)
    x = torch.zeros(1, 4, 4, dtype=torch.float64)
    x[0, 0, 0] = 1.0
    out = m.forward(x)
    assert out[0, 3, 3] == 0                        # std 0 <= threshold: divided by thresval
    g = m.backward(x, torch.ones_like(x))
    assert torch.isfinite(g).all()                  # Lua's Sqrt gives 0 gradient where sqrt is 0
    assert g[0, 3, 3] == 0.5                        # d(x/2)/dx where the threshold applies


def test_defaults_and_float32():
    m = nn.SpatialContrastiveNormalization()
    assert m.kernel.shape == (9, 9) and abs(m.kernel.sum().item() - 1) < 1e-6
    assert m.threshold == 1e-4 and m.thresval == 1e-4
    x = torch.randn(1, 10, 10)
    out32 = m.forward(x)
    out64 = nn.SpatialContrastiveNormalization(1, torch.ones(9, 9, dtype=torch.float64)).forward(x.double())
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32.double(), out64, rtol=1e-4, atol=1e-4)


def test_bad_input():
    with pytest.raises(ValueError, match="ODD"):
        nn.SpatialSubtractiveNormalization(1, torch.ones(4))
    with pytest.raises(ValueError, match="2D or 1D"):
        nn.SpatialDivisiveNormalization(1, torch.ones(3, 3, 3))
    with pytest.raises(TypeError, match="floating point"):
        nn.SpatialContrastiveNormalization(1, torch.ones(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="nInputPlane"):
        nn.SpatialContrastiveNormalization(0, torch.ones(3))
    m = nn.SpatialSubtractiveNormalization(2, torch.ones(3))
    with pytest.raises(ValueError, match="size 2 in dimension"):
        m.forward(torch.zeros(3, 5, 5))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        m.forward(torch.zeros(5, 5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.forward([[1.0]])


@pytest.mark.parametrize("name", NAMES)
def test_t7_loader_rebuilds_from_lua_fields(scn, name):
    from compat import t7
    from compat.t7 import registry
    ref = scn[name]["batch"]
    table = t7.T7Table()
    table["kernel"], table["nInputPlane"] = ref["kernel"].clone(), 1.0
    if name != "SpatialSubtractiveNormalization":
        table["threshold"], table["thresval"] = 1e-4, 1e-4
    m = registry.find_loader("nn." + name)(table)
    assert isinstance(m, getattr(nn, name))
    torch.testing.assert_close(m.kernel, ref["kernel"], rtol=0, atol=0)  # not normalised again
    torch.testing.assert_close(m.forward(ref["input"]), ref["output"], rtol=0, atol=1e-12)
    torch.testing.assert_close(m.backward(ref["input"], ref["gradOutput"]), ref["gradInput"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["single", "batch", "nonbatch"])
def test_modules_stored_by_torch7_load_as_working_modules(scn, name, case):
    """compat.torch.load of the Torch7 file: its internal helper Sequentials (padding, convolution
    maps, which compat.nn does not model) must not stop the module from loading and running."""
    from compat import torch as ctorch
    stored = ctorch.load(t7_fixture("scn_reference.t7"))[name][case]
    m, ref = stored["module"], scn[name][case]
    assert isinstance(m, getattr(nn, name))
    torch.testing.assert_close(m.forward(ref["input"]), ref["output"], rtol=0, atol=1e-12)
    torch.testing.assert_close(m.backward(ref["input"], ref["gradOutput"]), ref["gradInput"], rtol=0, atol=1e-12)
