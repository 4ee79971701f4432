"""compat.image files: PNG/JPEG/PPM round trips with torch/image's conventions (png.c, jpeg.c, init.lua).

Loading gives C x H x W, floats ``v * (1/255)`` of the stored bytes, ``'byte'`` the bytes; saving
clamps a float image to [0, 1], multiplies by 255 and truncates. The expected values here come from
those rules worked on the bytes written.
"""
import os

import numpy as np
import pytest
import torch

from compat import image


@pytest.fixture
def folder(tmp_path):
    return str(tmp_path)


def test_png_round_trip_bytes_exact(folder):
    gen = torch.Generator().manual_seed(3)
    for channels in (1, 3, 4):
        data = torch.randint(0, 256, (channels, 5, 7), generator=gen, dtype=torch.uint8)
        path = os.path.join(folder, f"c{channels}.png")
        image.save(path, data)
        assert torch.equal(image.load(path, None, "byte"), data)
        assert image.getSize(path).tolist() == [channels, 5, 7]
        assert image.getSize(path).dtype == torch.int64
        loaded = image.load(path)
        assert loaded.dtype == torch.get_default_dtype()
        assert torch.equal(loaded, data.to(loaded.dtype) * (1 / 255))
        assert torch.equal(image.load(path, None, "double"), data.double() * (1 / 255))
        as_float = image.loadPNG(path, None, "float")
        assert as_float.dtype == torch.float32
        assert torch.equal(as_float, data.float() * np.float32(1 / 255))


def test_png_save_clamps_and_truncates(folder):
    path = os.path.join(folder, "t.png")
    x = torch.tensor([[-0.5, 0.0, 0.5, 1 / 255, 0.999, 2.0]], dtype=torch.float64)
    image.savePNG(path, x)
    # 0.5 * 255 = 127.5 -> 127; 0.999 * 255 = 254.745 -> 254; out of range clamps first
    assert image.loadPNG(path, None, "byte").tolist() == [[[0, 0, 127, 1, 254, 255]]]
    exact = torch.arange(256.0).view(1, 16, 16) / 255
    image.save(path, exact)
    assert torch.equal(image.load(path, 1, "byte"), torch.arange(256).view(1, 16, 16).to(torch.uint8))


def test_load_depth_conversions(folder):
    rgb = torch.tensor([[[10, 200]], [[20, 100]], [[30, 0]]], dtype=torch.uint8)  # 3 x 1 x 2
    path = os.path.join(folder, "rgb.png")
    image.save(path, rgb)
    grey = image.load(path, 1, "byte")
    # depth 1 of a colour image: the luma plane (H x W), 0.299 R + 0.587 G + 0.114 B rounded half up
    assert grey.shape == (1, 2)
    expected = [int(0.299 * r + 0.587 * g + 0.114 * b + 0.5) for r, g, b in [(10, 20, 30), (200, 100, 0)]]
    assert grey.tolist() == [expected]
    grey_path = os.path.join(folder, "grey.png")
    image.save(grey_path, torch.tensor([[7, 9]], dtype=torch.uint8))
    assert image.load(grey_path).shape == (1, 1, 2)              # a grey PNG stays 1 x H x W
    assert image.load(grey_path, 1).shape == (1, 1, 2)
    three = image.load(grey_path, 3, "byte")
    assert three.tolist() == [[[7, 9]], [[7, 9]], [[7, 9]]]
    rgba = torch.randint(0, 256, (4, 2, 3), dtype=torch.uint8)
    rgba_path = os.path.join(folder, "rgba.png")
    image.save(rgba_path, rgba)
    assert torch.equal(image.load(rgba_path, 3, "byte"), rgba[:3])


def test_jpeg_round_trip(folder):
    # flat 16x16 blocks (JPEG's colour blocks at 4:2:0) of one colour survive within a few units away
    # from the block edges (where the decoder's chroma upsampling blends neighbouring blocks)
    colours = torch.tensor([[200, 40], [90, 150]], dtype=torch.float64)
    plane = colours.repeat_interleave(16, 0).repeat_interleave(16, 1)
    img = torch.stack([plane, 255 - plane, plane.flip(1)]) / 255
    path = os.path.join(folder, "x.jpg")
    image.save(path, img)
    with open(path, "rb") as handle:
        assert handle.read(3) == b"\xff\xd8\xff"
    back = image.load(path, 3, "byte")
    assert back.shape == (3, 32, 32) and back.dtype == torch.uint8
    error = (back.double() - img * 255).abs().view(3, 2, 16, 2, 16)
    assert error[:, :, 2:14, :, 2:14].max() <= 3
    assert image.getSize(path).tolist() == [3, 32, 32]
    assert image.load(path, 1).shape == (32, 32)
    grey_path = os.path.join(folder, "g.jpg")
    image.saveJPG(grey_path, plane / 255)
    assert image.getSize(grey_path).tolist() == [1, 32, 32]
    assert (image.loadJPG(grey_path, None, "byte")[0].double() - plane).abs().max() <= 2


def test_compress_decompress():
    img = torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8)
    png = image.compressPNG(img)
    assert png.dtype == torch.uint8 and png.dim() == 1 and png[:4].tolist() == [0x89, 0x50, 0x4E, 0x47]
    assert torch.equal(image.decompressPNG(png, None, "byte"), img)
    assert torch.equal(image.decompress(png, 3, "byte"), img)
    jpg = image.compressJPG(img.double() / 255, 95)
    assert jpg[:3].tolist() == [0xFF, 0xD8, 0xFF]
    assert image.decompress(jpg).shape == (3, 4, 5)
    assert len(image.compressJPG(img, 10)) < len(image.compressJPG(img, 100))
    with pytest.raises(TypeError, match="ByteTensor"):
        image.decompress(torch.zeros(8))
    with pytest.raises(ValueError, match="jpg or png"):
        image.decompress(torch.zeros(8, dtype=torch.uint8))


def test_file_type_errors(folder):
    bad = os.path.join(folder, "x.gif")
    with open(bad, "wb") as handle:
        handle.write(b"GIF89a")
    with pytest.raises(ValueError, match="unknown image type: gif"):
        image.load(bad)
    with pytest.raises(ValueError, match="unknown image type: bmp"):
        image.save(os.path.join(folder, "x.bmp"), torch.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="channels"):
        image.savePNG(os.path.join(folder, "x.png"), torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="channels"):
        image.saveJPG(os.path.join(folder, "x.jpg"), torch.zeros(4, 2, 2))
    png = image.compressPNG(torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="'byte', 'float' or 'double'"):
        image.decompressPNG(png, None, "int")
    ppm = os.path.join(folder, "x.ppm")
    data = torch.randint(0, 256, (3, 3, 2), dtype=torch.uint8)
    image.save(ppm, data)
    assert torch.equal(image.load(ppm, None, "byte"), data)


def test_display_writes_a_png(folder, monkeypatch, capsys):
    monkeypatch.setenv("TORCHAD_DISPLAY_DIR", folder)
    path = image.display(torch.tensor([[0.0, 2.0], [4.0, 8.0]]), 2)
    assert os.path.dirname(path) == folder and path.endswith(".png")
    shown = image.load(path, None, "byte")
    # the display grid is the image scaled to [0, 1] (minmax), enlarged twice by nearest pixel
    assert shown.tolist() == [[[0, 0, 63, 63], [0, 0, 63, 63], [127, 127, 255, 255], [127, 127, 255, 255]]]
    second = image.display(image=[torch.zeros(2, 2), torch.ones(2, 2)], padding=1)
    assert second != path and image.getSize(second).tolist() == [1, 3, 6]
    out = capsys.readouterr()
    assert "image.display" not in out.out                          # stdout stays Torch7's
    assert out.err.count("image.display:") <= 1                    # the folder is announced once per process
