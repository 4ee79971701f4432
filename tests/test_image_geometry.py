"""compat.image geometry against generic/image.c's loops, written out pixel by pixel here.

The oracles below follow the C code statement by statement on scalars: ``np.float32`` where the C
variable is a ``float``, Python floats where it is a ``double``, and the byte rounding of
``FromIntermediate`` (add 0.5, clamp to [0, 255], truncate). compat.image computes the same on whole
tensors; the results must agree bit for bit for double, float and byte images.
"""
import math

import numpy as np
import pytest
import torch

from compat import image

F32 = np.float32
KINDS = {torch.float64: "double", torch.float32: "float", torch.uint8: "byte"}


def store(value, kind):
    """FromIntermediate, then the tensor element type."""
    if kind == "byte":
        x = F32(value) + F32(0.5)
        return 0 if x <= 0 else 255 if x >= 255 else int(x)
    return float(F32(value)) if kind == "float" else float(value)


def wide(value, kind):
    """A value as the C expression sees it next to a double (double image) or a float (the others)."""
    return float(value) if kind == "double" else F32(value)


def linear_1d(src, dst_len, kind):
    n = len(src)
    out = [0] * dst_len
    if dst_len == n:
        return list(src)
    if dst_len > n:
        if n == 1:
            return [src[0]] * dst_len
        step = F32(n - 1) / F32(dst_len - 1)
        for di in range(dst_len - 1):
            pos = F32(di) * step
            si = int(pos)
            frac = pos - F32(si)
            value = wide(F32(1) - frac, kind) * wide(src[si], kind) + wide(frac, kind) * wide(src[si + 1], kind)
            out[di] = store(value, kind)
        out[-1] = src[-1]
        return out
    step = F32(n) / F32(dst_len)
    start_i, start_f = 0, F32(0)
    for di in range(dst_len):
        end = F32(di + 1) * step
        end_i = int(end)
        end_f = end - F32(end_i)
        acc = F32(wide(F32(1) - start_f, kind) * wide(src[start_i], kind))
        count = F32(1) - start_f
        for si in range(start_i + 1, end_i):
            acc = F32(wide(acc, kind) + wide(src[si], kind))
            count = count + F32(1)
        if end_i < n:
            acc = F32(wide(acc, kind) + wide(end_f, kind) * wide(src[end_i], kind))
            count = count + end_f
        out[di] = store(acc / count, kind)
        start_i, start_f = end_i, end_f
    return out


def cubic_1d(src, dst_len, kind):
    n = len(src)
    if dst_len == n:
        return list(src)
    if n == 1:
        return [src[0]] * dst_len
    temp = float if kind == "double" else F32
    step = F32(n - 1) if dst_len == 1 else F32(n - 1) / F32(dst_len - 1)
    out = [0] * dst_len
    for di in range(dst_len - 1):
        pos = F32(di) * step
        si = int(pos)
        x = temp(pos - F32(si))
        p1, p2 = temp(src[si]), temp(src[si + 1])
        p0 = temp(src[si - 1]) if si > 0 else temp(2 * p1 - p2)
        p3 = temp(src[si + 2]) if si + 2 < n else temp(2 * p2 - p1)
        a1 = p2 - p0
        a2 = 2 * p0 - 5 * p1 + 4 * p2 - p3
        a3 = 3 * (p1 - p2) + p3 - p0
        inner = a1 + x * (a2 + x * a3)
        out[di] = store(temp(float(p1) + (0.5 * float(x)) * float(inner)), kind)
    out[-1] = src[-1]
    return out


def separable(plane, height, width, along, kind):
    rows = [along(list(row), width, kind) for row in plane]
    cols = [along([rows[j][i] for j in range(len(rows))], height, kind) for i in range(width)]
    return [[cols[i][j] for i in range(width)] for j in range(height)]


def simple(plane, height, width, kind):
    src_h, src_w = len(plane), len(plane[0])
    scx, scy = F32(src_w) / F32(width), F32(src_h) / F32(height)
    out = [[0] * width for _ in range(height)]
    for j in range(height):
        for i in range(width):
            ii = min(int(F32(i) * scx), src_w - 1)
            jj = min(int(F32(j) * scy), src_h - 1)
            out[j][i] = store(F32(plane[jj][ii]), kind)
    return out


def c_round(x):
    x = float(x)
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def rotate_nearest(plane, theta, kind):
    height, width = len(plane), len(plane[0])
    theta = F32(theta)
    sin_t, cos_t = F32(math.sin(float(theta))), F32(math.cos(float(theta)))
    xc, yc = F32((width - 1) / 2.0), F32((height - 1) / 2.0)
    out = [[0] * width for _ in range(height)]
    for j in range(height):
        for i in range(width):
            di, dj = F32(i) - xc, F32(j) - yc
            ii = c_round(cos_t * di - sin_t * dj + xc)
            jj = c_round(cos_t * dj + sin_t * di + yc)
            inside = 0 <= ii < width and 0 <= jj < height
            out[j][i] = store(F32(plane[jj][ii]) if inside else F32(0), kind)
    return out


def rotate_bilinear(plane, theta, kind):
    height, width = len(plane), len(plane[0])
    temp = float if kind == "double" else F32
    theta = F32(theta)
    xc, yc = F32((width - 1) / 2.0), F32((height - 1) / 2.0)
    out = [[0] * width for _ in range(height)]
    for j in range(height):
        for i in range(width):
            di, dj = float(F32(i) - xc), float(F32(j) - yc)
            ri = temp(math.cos(float(theta)) * di - math.sin(float(theta)) * dj)
            rj = temp(math.cos(float(theta)) * dj + math.sin(float(theta)) * di)
            ii0, jj0 = math.floor(ri + temp(xc)), math.floor(rj + temp(yc))
            wi, wj = ri + temp(xc) - temp(ii0), rj + temp(yc) - temp(jj0)
            ii1, jj1 = ii0 + 1, jj0 + 1
            blank = False
            if ii1 == width and wi < 0.5:
                ii1 = ii0
            elif ii1 >= width:
                blank = True
            if jj1 == height and wj < 0.5:
                jj1 = jj0
            elif jj1 >= height:
                blank = True
            if ii0 == -1 and wi > 0.5:
                ii0 = ii1
            elif ii0 < 0:
                blank = True
            if jj0 == -1 and wj > 0.5:
                jj0 = jj1
            elif jj0 < 0:
                blank = True
            if blank:
                value = F32(0)
            else:
                wi, wj = float(wi), float(wj)
                value = F32((1.0 - wi) * (1.0 - wj) * float(plane[jj0][ii0]) + wi * (1.0 - wj) * float(plane[jj0][ii1])
                            + (1.0 - wi) * wj * float(plane[jj1][ii0]) + wi * wj * float(plane[jj1][ii1]))
            out[j][i] = store(value, kind)
    return out


def random_image(gen, dtype, channels, height, width):
    if dtype == torch.uint8:
        return torch.randint(0, 256, (channels, height, width), generator=gen, dtype=torch.uint8)
    return torch.rand(channels, height, width, generator=gen, dtype=torch.float64).mul(7).to(dtype)


def expected_per_plane(img, oracle, *extra):
    kind = KINDS[img.dtype]
    planes = [oracle(plane.tolist(), *extra, kind) for plane in img]
    return torch.tensor(planes, dtype=img.dtype)


def check_scale(img, dst_h, dst_w, mode):
    got = image.scale(img, dst_w, dst_h, mode)
    if mode == "simple":
        expected = expected_per_plane(img, simple, dst_h, dst_w)
    else:
        along = linear_1d if mode == "bilinear" else cubic_1d
        expected = expected_per_plane(img, separable, dst_h, dst_w, along)
    assert got.dtype == img.dtype and got.shape == (img.shape[0], dst_h, dst_w)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", list(KINDS))
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "simple"])
def test_scale_matches_the_c_loops(dtype, mode):
    gen = torch.Generator().manual_seed(11)
    sizes = [(5, 7, 3, 11), (9, 6, 4, 2), (3, 8, 3, 8), (1, 4, 6, 1), (7, 7, 2, 13), (13, 5, 1, 9)]
    for src_h, src_w, dst_h, dst_w in sizes:
        check_scale(random_image(gen, dtype, 2, src_h, src_w), dst_h, dst_w, mode)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "simple"])
def test_scale_matches_the_c_loops_in_blocks_and_regular_steps(mode, monkeypatch):
    # one row per block; whole-number factors (samples at evenly stepping positions: views and strided
    # copies) and others, enlarging and shrinking mixed
    from compat.image import geometry
    monkeypatch.setattr(geometry, "_BLOCK_BYTES", 1)
    gen = torch.Generator().manual_seed(3)
    sizes = [(8, 12, 4, 24), (6, 6, 12, 3), (9, 4, 3, 8), (5, 10, 10, 5), (4, 9, 8, 3), (12, 2, 4, 6), (7, 11, 3, 4),
             (13, 10, 5, 7), (5, 7, 11, 13)]
    for dtype in KINDS:
        for src_h, src_w, dst_h, dst_w in sizes:
            check_scale(random_image(gen, dtype, 3, src_h, src_w), dst_h, dst_w, mode)


def test_scale_results_stay_apart_across_calls_and_threads():
    import threading
    gen = torch.Generator().manual_seed(8)
    images = [random_image(gen, dtype, 3, 11, 13) for dtype in KINDS for _ in range(2)]
    jobs = [(img, size, mode) for img in images for size in ((5, 4), (20, 30)) for mode in ("bilinear", "bicubic")]
    expected = [image.scale(img, *size, mode) for img, size, mode in jobs]
    kept = [t.clone() for t in expected]
    results = {}

    def run(k):
        results[k] = [image.scale(img, *size, mode) for img, size, mode in jobs]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(3):
        for got, want in zip(results[k], kept):
            assert torch.equal(got, want)
    for got, want in zip(expected, kept):  # later calls did not write into earlier results
        assert torch.equal(got, want)


def test_scale_of_a_tensor_that_requires_grad():
    weight = torch.rand(2, 5, 6, dtype=torch.float64, requires_grad=True)
    for mode in ("bilinear", "bicubic", "simple"):
        for size in ((3, 2), (12, 10)):
            assert torch.equal(image.scale(weight, *size, mode), image.scale(weight.detach(), *size, mode))


def test_scale_worked_examples():
    # enlarging [0, 10] to 5 samples: positions 0, 1/4, 1/2, 3/4 of the way, the last sample copied
    assert image.scale(torch.tensor([[0.0, 10.0]], dtype=torch.float64), 5, 1).tolist() == [[0, 2.5, 5, 7.5, 10]]
    # shrinking by 2 averages pairs; by 3/2 weighs the shared middle sample by halves
    assert image.scale(torch.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=torch.float64), 2, 1).tolist() == [[1.5, 3.5]]
    assert image.scale(torch.tensor([[3.0, 6.0, 9.0]], dtype=torch.float64), 2, 1).tolist() == [[4.0, 8.0]]
    # bytes round half up: [0, 1] -> [0, 0.5, 1] -> [0, 1, 1]
    assert image.scale(torch.tensor([[0, 1]], dtype=torch.uint8), 3, 1).tolist() == [[0, 1, 1]]
    # bicubic through collinear samples stays on the line
    assert image.scale(torch.tensor([[0.0, 3.0, 6.0]], dtype=torch.float64), 5, 1, "bicubic").tolist() == \
        [[0, 1.5, 3, 4.5, 6]]
    # simple picks floor(i * 3 / 6)
    assert image.scale(torch.tensor([[1.0, 2.0, 3.0]]), 6, 1, "simple").tolist() == [[1, 1, 2, 2, 3, 3]]


def test_scale_size_forms():
    img = torch.zeros(3, 20, 40)
    assert image.scale(img, 10).shape == (3, 5, 10)          # longest side 10
    assert image.scale(img, "10").shape == (3, 5, 10)
    assert image.scale(img, "7x3").shape == (3, 3, 7)         # W x H
    assert image.scale(img, "^10").shape == (3, 10, 20)       # shortest side 10
    assert image.scale(img, "*1/3").shape == (3, 6, 13)       # 20/3 and 40/3 truncate
    assert image.scale(img, "*0.01").shape == (3, 1, 1)       # at least 1
    dst = torch.empty(3, 4, 4)
    assert image.scale(dst, img) is dst
    with pytest.raises(ValueError, match="destination size"):
        image.scale(img, "big")
    with pytest.raises(ValueError, match="mode"):
        image.scale(img, 4, 4, "lanczos")
    with pytest.raises(ValueError, match="depths"):
        image.scale(torch.empty(2, 4, 4), img)


@pytest.mark.parametrize("dtype", list(KINDS))
def test_rotate_matches_the_c_loops(dtype):
    gen = torch.Generator().manual_seed(5)
    for height, width, theta in [(5, 6, 0.3), (4, 4, math.pi / 2), (7, 3, -2.1), (6, 9, 1.2), (5, 5, 3.0)]:
        img = random_image(gen, dtype, 2, height, width)
        torch.testing.assert_close(image.rotate(img, theta), expected_per_plane(img, rotate_nearest, theta),
                                   rtol=0, atol=0)
        torch.testing.assert_close(image.rotate(img, theta, "bilinear"),
                                   expected_per_plane(img, rotate_bilinear, theta), rtol=0, atol=0)


def test_rotate_quarter_turn_and_errors():
    x = torch.arange(1.0, 10.0).view(3, 3)
    # a quarter turn maps output (i, j) to source (j, W-1-i) about the centre: the columns become rows
    assert image.rotate(x, math.pi / 2).tolist() == [[3, 6, 9], [2, 5, 8], [1, 4, 7]]
    with pytest.raises(ValueError, match="in-place"):
        image.rotate(x, x, 0.1)
    with pytest.raises(ValueError, match="mode"):
        image.rotate(x, 0.1, "bicubic")


def test_crop_translate_flip_by_index():
    x = torch.arange(60.0).view(3, 4, 5)
    # crop(x1, y1, x2, y2): columns x1..x2-1, rows y1..y2-1
    assert torch.equal(image.crop(x, 1, 2, 4, 4), x[:, 2:4, 1:4])
    for fmt, (x1, y1) in {"c": (1, 1), "tl": (0, 0), "tr": (2, 0), "bl": (0, 2), "br": (2, 2)}.items():
        assert torch.equal(image.crop(x, fmt, 3, 2), x[:, y1:y1 + 2, x1:x1 + 3]), fmt
    dst = torch.empty(3, 2, 2)
    assert image.crop(dst, x, 2, 1) is dst and torch.equal(dst, x[:, 1:3, 2:4])
    with pytest.raises(ValueError, match="outside"):
        image.crop(x, 3, 0, 6, 2)
    for dx, dy in [(2, 1), (-1, 2), (0, -3), (5, 0)]:
        out = image.translate(x, dx, dy)
        expected = torch.zeros_like(x)
        for j in range(4):
            for i in range(5):
                if 0 <= i + dx < 5 and 0 <= j + dy < 4:
                    expected[:, j + dy, i + dx] = x[:, j, i]
        assert torch.equal(out, expected), (dx, dy)
    assert torch.equal(image.hflip(x), x[:, :, torch.arange(4, -1, -1)])
    assert torch.equal(image.vflip(x[0]), x[0][torch.arange(3, -1, -1)])
    assert torch.equal(image.flip(x, 1), x[torch.arange(2, -1, -1)])
    same = x.clone()
    image.hflip(same, same)
    assert torch.equal(same, image.hflip(x))


def test_results_never_alias_the_source():
    for dtype in KINDS:
        x = torch.arange(16).view(4, 4).to(dtype)
        for mode in ("bilinear", "bicubic", "simple"):
            for size in ((4, 4), (2, 2), (8, 8)):
                out = image.scale(x, *size, mode)
                out.fill_(1)
                assert torch.equal(x, torch.arange(16).view(4, 4).to(dtype)), (dtype, mode, size)
