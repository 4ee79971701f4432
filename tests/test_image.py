"""compat.image against Torch7 (scn_reference.t7: kernel_raw, rgb -> yuv) and numpy formulas."""
import math

import numpy as np
import pytest
import torch
import torchfile

from compat import image
from tests.conftest import t7_fixture


@pytest.fixture(scope="module")
def scn():
    ref = torchfile.load(t7_fixture("scn_reference.t7"), use_list_heuristic=False)
    return {k.decode(): v for k, v in ref.items()}


def test_gaussian1D_matches_torch7(scn):
    k = image.gaussian1D(7, tensor=torch.empty(7, dtype=torch.float64))
    np.testing.assert_allclose(k.numpy(), scn["kernel_raw"], rtol=0, atol=1e-15)
    assert image.gaussian1D(7).dtype == torch.get_default_dtype()


def test_rgb2yuv_matches_torch7(scn):
    rgb = torch.from_numpy(scn["rgb"].copy())
    np.testing.assert_allclose(image.rgb2yuv(rgb).numpy(), scn["yuv"], rtol=0, atol=1e-12)
    out = torch.empty(0, dtype=torch.float64)
    assert image.rgb2yuv(out, rgb) is out
    np.testing.assert_allclose(out.numpy(), scn["yuv"], rtol=0, atol=1e-12)


def test_yuv2rgb_inverts_rgb2yuv_approximately():
    rgb = torch.rand(3, 5, 4, dtype=torch.float64) * 255
    yuv = image.rgb2yuv(rgb)
    r, g, b = rgb.numpy()
    y, u, v = yuv.numpy()
    np.testing.assert_allclose(y, 0.299 * r + 0.587 * g + 0.114 * b, atol=1e-12)
    back = image.yuv2rgb(yuv).numpy()
    np.testing.assert_allclose(back[0], y + 1.13983 * v, atol=1e-12)
    np.testing.assert_allclose(back[1], y - 0.39465 * u - 0.58060 * v, atol=1e-12)
    np.testing.assert_allclose(back[2], y + 2.03211 * u, atol=1e-12)
    np.testing.assert_allclose(back, rgb.numpy(), atol=0.05)  # the published coefficients are rounded


def test_gaussian1D_parameters():
    size, sigma, amp, mean = 5, 0.4, 2.0, 0.3
    k = image.gaussian1D(size, sigma, amp, False, mean, tensor=torch.empty(5, dtype=torch.float64))
    c = mean * size + 0.5
    expected = [amp * math.exp(-((i - c) / (sigma * size)) ** 2 / 2) for i in range(1, size + 1)]
    np.testing.assert_allclose(k.numpy(), expected, rtol=1e-15)
    kn = image.gaussian1D(size=5, sigma=0.4, amplitude=2.0, mean=0.3, normalize=True, tensor=torch.empty(5, dtype=torch.float64))
    np.testing.assert_allclose(kn.numpy(), np.array(expected) / sum(expected), rtol=1e-14)
    assert image.gaussian1D().shape == (3,)


def test_gaussian_2d():
    g = image.gaussian(size=5, sigma=0.3, width=7, sigma_vert=0.2, mean_horz=0.4,
                       tensor=None)
    assert g.shape == (5, 7)
    u = np.arange(1, 8)
    v = np.arange(1, 6)
    du = (u - (0.4 * 7 + 0.5)) / (0.3 * 7)
    dv = (v - (0.5 * 5 + 0.5)) / (0.2 * 5)
    expected = np.exp(-0.5 * (dv[:, None] ** 2 + du[None, :] ** 2))
    np.testing.assert_allclose(g.double().numpy(), expected, rtol=1e-6)
    g64 = image.gaussian(3, normalize=True, tensor=torch.empty(3, 3, dtype=torch.float64))
    assert abs(g64.sum().item() - 1) < 1e-15
    # symmetric default kernel: the outer product of two 1-D kernels with the same parameters
    k = image.gaussian1D(9, 0.3, tensor=torch.empty(9, dtype=torch.float64))
    g9 = image.gaussian(9, 0.3, tensor=torch.empty(9, 9, dtype=torch.float64))
    np.testing.assert_allclose(g9.numpy(), np.outer(k.numpy(), k.numpy()), rtol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="3 x H x W"):
        image.rgb2yuv(torch.zeros(4, 2, 2))
    with pytest.raises(TypeError, match="floating point"):
        image.rgb2yuv(torch.zeros(3, 2, 2, dtype=torch.uint8))
    with pytest.raises(TypeError, match="arguments"):
        image.yuv2rgb()
    with pytest.raises(ValueError, match="size"):
        image.gaussian1D(0)
    with pytest.raises(ValueError, match="sigma"):
        image.gaussian(3, sigma=-1)
