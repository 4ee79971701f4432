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


def test_hsl_hsv_worked_values():
    # pure red, a dark teal and a grey: H as a fraction of the turn, S and L/V by the hexcone formulas
    rgb = torch.tensor([[[1.0, 0.0, 0.5]], [[0.0, 0.4, 0.5]], [[0.0, 0.2, 0.5]]], dtype=torch.float64)
    hsl = image.rgb2hsl(rgb)
    # teal: max G 0.4, min R 0, d 0.4, H = ((B - R)/d + 2)/6 = (0.5 + 2)/6, L = 0.2, S = d/(max+min) = 1
    np.testing.assert_allclose(hsl[:, 0].numpy(), [[0, 2.5 / 6, 0], [1, 1, 0], [0.5, 0.2, 0.5]], atol=1e-15)
    hsv = image.rgb2hsv(rgb)
    np.testing.assert_allclose(hsv[:, 0].numpy(), [[0, 2.5 / 6, 0], [1, 1, 0], [1, 0.4, 0.5]], atol=1e-15)
    np.testing.assert_allclose(image.hsl2rgb(hsl).numpy(), rgb.numpy(), atol=1e-15)
    np.testing.assert_allclose(image.hsv2rgb(hsv).numpy(), rgb.numpy(), atol=1e-15)
    byte = torch.tensor([[[255]], [[0]], [[0]]], dtype=torch.uint8)
    assert image.rgb2hsv(byte).view(-1).tolist() == [0, 255, 255]  # bytes are 0..255


def test_lab_of_white_and_grey():
    rgb = torch.tensor([[[1.0, 0.5]], [[1.0, 0.5]], [[1.0, 0.5]]], dtype=torch.float64)
    lab = image.rgb2lab(rgb)
    linear = ((0.5 + 0.055) / 1.055) ** 2.4        # sRGB 0.5 expanded
    y = (0.212671 + 0.715160 + 0.072169) * linear
    np.testing.assert_allclose(lab[0, 0].numpy(), [116 * 1.0 ** (1 / 3) - 16, 116 * y ** (1 / 3) - 16], atol=1e-9)
    np.testing.assert_allclose(lab[1:, 0].numpy(), 0, atol=2e-3)  # D65 white: a, b near 0
    np.testing.assert_allclose(image.lab2rgb(lab).numpy(), rgb.numpy(), atol=1e-4)
    nrgb = image.rgb2nrgb(rgb)
    np.testing.assert_allclose(nrgb[:, 0, 1].numpy(), 0.5 / (1.5 + 1e-6))


def test_laplacian_formula():
    size, sigma = 5, 0.2
    k = image.laplacian(size=size, sigma=sigma, amplitude=3)
    c = 0.5 * size + 0.5
    for i in range(1, size + 1):
        for j in range(1, size + 1):
            x = ((i - c) / (sigma * size)) ** 2 / 2
            y = ((j - c) / (sigma * size)) ** 2 / 2
            assert abs(k[i - 1, j - 1].item() - (1 - (x + y)) * 3 * math.exp(-(x + y))) < 1e-6
    assert abs(image.laplacian(size=5, sigma=0.2, normalize=True).double().sum().item() - 1) < 1e-6


def test_convolve_is_a_true_convolution():
    gen = torch.Generator().manual_seed(2)
    x = torch.randint(-5, 6, (5, 6), generator=gen).double()
    k = torch.randint(-3, 4, (2, 3), generator=gen).double()
    full = np.zeros((6, 8))
    for i in range(5):
        for j in range(6):
            full[i:i + 2, j:j + 3] += x[i, j].item() * k.numpy()
    np.testing.assert_array_equal(image.convolve(x, k, "full").numpy(), full)
    np.testing.assert_array_equal(image.convolve(x, k).numpy(), full[1:5, 2:6])         # valid
    np.testing.assert_array_equal(image.convolve(x, k, "same").numpy(), full[0:5, 1:7])  # ceil(k/2)-1 offsets
    planes = torch.stack([x, -x])
    np.testing.assert_array_equal(image.convolve(planes, k, "full").numpy(), np.stack([full, -full]))
    with pytest.raises(ValueError, match="mode"):
        image.convolve(x, k, "circular")


def test_minmax_and_display_grid():
    x = torch.tensor([[-2.0, 0.0], [2.0, 6.0]])
    np.testing.assert_allclose(image.minmax(tensor=x).numpy(), [[0, 0.25], [0.5, 1]])
    assert x[0, 0].item() == -2  # a copy unless inplace
    np.testing.assert_allclose(image.minmax({"tensor": x, "min": 0, "max": 4, "saturate": True}).numpy(),
                               [[0, 0], [0.5, 1]])
    np.testing.assert_allclose(image.minmax(tensor=x, symm=True).numpy(), [[1 / 3, 0.5], [2 / 3, 1]])
    # three 2x2 images, 2 per row, padding 2: cells of 4x4, each image at offset 1 in its cell,
    # the background is the largest value (1 after scaling)
    imgs = [torch.full((2, 2), float(v)) for v in (0, 1, 2)]
    grid = image.toDisplayTensor(input=imgs, nrow=2, padding=2)
    assert grid.shape == (1, 8, 8)
    expected = torch.ones(8, 8)
    expected[1:3, 1:3], expected[1:3, 5:7], expected[5:7, 1:3] = 0, 0.5, 1
    assert torch.equal(grid[0], expected.to(grid.dtype))
