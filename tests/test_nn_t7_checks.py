"""compat.nn.t7_checks: a module's fields in a .t7 file are checked before a loader builds on them.

Hostile files are written with compat.t7.save from T7Objects (the writer keeps a tensor's sizes,
strides and storage, so an expanded view goes to the file as a stride-0 view of a small storage,
exactly as in a 183-byte hostile file of tests/t7_corpus).
"""
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from compat import nn
from compat.nn import t7_checks
from compat.nn.module import Module
from compat.nn.t7_support import _load_generic
from compat.t7 import T7FormatError, T7Object, T7Storage, T7Table, load, save
from compat.t7.reader import ALLOCATION_SLACK

REPO = Path(__file__).resolve().parent.parent


def roundtrip(obj, fmt="binary"):
    buf = io.BytesIO()
    save(buf, obj, fmt)
    return load(io.BytesIO(buf.getvalue()), fmt)


def lua(class_name, **fields):
    return T7Object(class_name, T7Table(fields))


def linear(**fields):
    fields.setdefault("output", torch.empty(0))
    fields.setdefault("gradInput", torch.empty(0))
    return lua("nn.Linear", **fields)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_overlapping_parameters_are_refused(fmt):
    """An nn.Linear weight that is a stride-0 view (within the reader's bound for plain tensors)
    would get a zero gradient of its full size and be updated in place: refused, named."""
    one = torch.tensor([0.5])
    with pytest.raises(T7FormatError, match=r"nn.Linear: field 'weight' must be a tensor whose elements do not "
                                            r"overlap .*strides \[0, 0\].*size \[4096, 4096\].*fields of <nn.Linear>"):
        roundtrip(linear(weight=one.expand(4096, 4096), bias=torch.zeros(4096)), fmt)
    w = torch.randn(3, 4)
    with pytest.raises(T7FormatError, match=r"field 'gradWeight' must be a tensor whose elements do not overlap"):
        roundtrip(linear(weight=w, gradWeight=one.expand(3, 4)), fmt)
    with pytest.raises(T7FormatError, match=r"field 'bias' .*strides \[0\]"):
        roundtrip(linear(weight=w, bias=torch.arange(2.0)[:1].expand(3)), fmt)


def test_expanded_linear_weight_is_refused_by_the_reader():
    one = torch.tensor([1.0])
    with pytest.raises(T7FormatError, match=r"size \[32768, 32768\], strides \[0, 0\].*expanded"):
        roundtrip(linear(weight=one.expand(32768, 32768)))


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_parameters_of_the_wrong_type_are_refused(fmt):
    with pytest.raises(T7FormatError, match=r"nn.Linear: field 'weight' must be a tensor \(a parameter\), "
                                            r"got str 'abc'"):
        roundtrip(linear(weight="abc", bias=torch.zeros(3)), fmt)
    with pytest.raises(T7FormatError, match=r"nn.Linear: field 'weight' must be a floating-point tensor .*torch.int64"):
        roundtrip(linear(weight=torch.zeros(3, 2, dtype=torch.long)), fmt)
    with pytest.raises(T7FormatError, match=r"field 'gradBias' must be a tensor \(the gradient .*got int 3"):
        roundtrip(linear(weight=torch.zeros(3, 2), bias=torch.zeros(3), gradBias=3), fmt)
    with pytest.raises(T7FormatError, match=r"nn.SpatialConvolutionMM: field 'bias' .*got T7Table"):
        roundtrip(lua("nn.SpatialConvolutionMM", weight=torch.zeros(2, 9), bias={"x": 1}, nInputPlane=1,
                      nOutputPlane=2, kW=3, kH=3), fmt)


def test_absent_and_empty_parameters_still_load():
    """Lua's noBias() leaves no bias field; Lua code shrinks unused gradients to empty tensors."""
    w = torch.randn(3, 2)
    m = roundtrip(linear(weight=w, gradWeight=torch.empty(0)))
    assert isinstance(m, nn.Linear) and m.bias is None and torch.equal(m.weight.detach(), w)
    assert torch.equal(m.gradWeight, torch.zeros(3, 2))


def test_the_files_gradient_is_used_without_a_copy():
    w, g = torch.randn(3, 2), torch.randn(3, 2)
    loaded = roundtrip({"m": linear(weight=w, gradWeight=g), "g": g})
    m = loaded["m"]
    assert torch.equal(m.gradWeight, g) and m.gradWeight.data_ptr() == loaded["g"].data_ptr()


def test_shared_weights_without_gradients_cannot_multiply_allocations():
    """40 modules over one 4 MB weight storage, no gradients in the file: 160 MB of zero gradients
    the file does not justify (its storages hold 4 MB) -> refused. With the shared gradient that
    Lua's clone('weight', 'gradWeight') writes, nothing is allocated and the file loads."""
    w = torch.zeros(1024, 1024)
    assert 40 * w.numel() * 4 > w.numel() * 4 + ALLOCATION_SLACK
    with pytest.raises(T7FormatError, match=r"the zero gradWeight of a Linear needs 4194304 bytes that the file "
                                            r"does not hold"):
        roundtrip([linear(weight=w) for _ in range(40)])
    g = torch.zeros(1024, 1024)
    mods = roundtrip([linear(weight=w, gradWeight=g) for _ in range(40)])
    assert len({m.gradWeight.data_ptr() for m in mods}) == 1 and len({m.weight.data_ptr() for m in mods}) == 1
    few = roundtrip([linear(weight=w) for _ in range(4)])  # 16 MB of new gradients: within the allowance
    assert [m.gradWeight.shape for m in few] == [(1024, 1024)] * 4


@pytest.mark.parametrize("class_name,fields,match", [
    ("nn.SpatialConvolutionMM", {"kW": "3"}, r"field 'kW' must be an integer, got str '3'"),
    ("nn.SpatialConvolutionMM", {"kW": 2.5}, r"field 'kW' must be an integer, got float 2.5"),
    ("nn.SpatialConvolutionMM", {"nInputPlane": -1}, r"'nInputPlane' must be an integer >= 0 \(a size\), got int -1"),
    ("nn.SpatialConvolutionMM", {"padW": True}, r"'padW' must be an integer, got bool True"),
    ("nn.SpatialMaxPooling", {"ceil_mode": 1}, r"nn.SpatialMaxPooling: field 'ceil_mode' must be a boolean, got int 1"),
    ("nn.Dropout", {"p": "half"}, r"nn.Dropout: field 'p' must be a number, got str 'half'"),
    ("nn.ReLU", {"inplace": "yes"}, r"nn.ReLU: field 'inplace' must be a boolean"),
    ("nn.Tanh", {"train": 0}, r"nn.Tanh: field 'train' must be a boolean, got int 0"),
    ("nn.ClassNLLCriterion", {"sizeAverage": "true"}, r"nn.ClassNLLCriterion: field 'sizeAverage' must be a boolean"),
    ("nn.ClassNLLCriterion", {"weights": [1, 2]}, r"field 'weights' must be a tensor, got list"),
    ("nn.SpatialSubtractiveNormalization", {"kernel": "k"}, r"nn.SpatialSubtractiveNormalization"),
])
def test_known_fields_of_the_wrong_type_are_refused(class_name, fields, match):
    base = {"nInputPlane": 1, "nOutputPlane": 2, "kW": 3, "kH": 3, "weight": torch.zeros(2, 9), "bias": torch.zeros(2)}
    if class_name != "nn.SpatialConvolutionMM":
        base = {"kW": 2, "kH": 2} if class_name == "nn.SpatialMaxPooling" else {}
    base.update(fields)
    with pytest.raises(T7FormatError, match=match):
        roundtrip(lua(class_name, **base))


class _Declared(Module):
    """A class using the generic loader, as the classes declaring _t7_fields do."""
    _t7_fields = ("dimension", "eps", "label")
    _param_names = ("weight",)


def test_the_generic_loader_checks_fields_and_parameters():
    load_declared = _load_generic(_Declared)
    m = load_declared(T7Table(dimension=2, eps=1e-5, label="x", weight=torch.ones(3)))
    assert (m.dimension, m.eps, m.label) == (2, 1e-5, "x") and torch.equal(m.weight.detach(), torch.ones(3))
    with pytest.raises(T7FormatError, match=r"nn._Declared: field 'dimension' must be an integer, got str '2'"):
        load_declared(T7Table(dimension="2"))
    with pytest.raises(T7FormatError, match=r"nn._Declared: field 'eps' must be a number, got bool True"):
        load_declared(T7Table(eps=True))
    with pytest.raises(T7FormatError, match=r"nn._Declared: field 'weight' must be a tensor \(a parameter\)"):
        load_declared(T7Table(weight=[1.0, 2.0]))
    with pytest.raises(T7FormatError, match=r"field 'weight' must be a tensor whose elements do not overlap"):
        load_declared(T7Table(weight=torch.ones(1).expand(5)))


@pytest.mark.parametrize("sizes,strides,expected", [
    ((3, 4), (4, 1), False), ((3, 4), (1, 3), False), ((3, 4), (0, 1), True), ((3, 4), (1, 1), True),
    ((3, 4), (2, 1), True), ((1, 5), (0, 1), False), ((2, 2, 2), (4, 1, 2), False), ((2, 2, 2), (3, 1, 2), True),
    ((0, 7), (0, 0), False),
])
def test_overlaps(sizes, strides, expected):
    """Against a direct count: a view overlaps when it addresses fewer distinct elements than it has."""
    t = torch.empty(64).as_strided(sizes, strides)
    addresses = torch.arange(64.0).as_strided(sizes, strides).reshape(-1)
    assert addresses.unique().numel() < addresses.numel() if expected else addresses.unique().numel() == addresses.numel()
    assert t7_checks.overlaps(t) is expected


BOMBS = textwrap.dedent("""
    import io, resource, sys
    sys.path.insert(0, {repo!r})
    import torch
    from compat.t7 import T7FormatError, T7Object, T7Storage, T7Table, load, save
    import compat.nn  # noqa: F401  (the module loaders)
    one = torch.tensor([1.0])
    w = torch.zeros(1024, 1024)
    bombs = {{
        "Linear weight 32768x32768, stride 0": T7Object("nn.Linear", T7Table(weight=one.expand(32768, 32768))),
        "Linear weight 4096x4096, stride 0": T7Object("nn.Linear", T7Table(weight=one.expand(4096, 4096))),
        "plain tensor of 2^40 elements, stride 0": one.expand(2 ** 40),
        "60 Linears sharing one weight, no gradients": [T7Object("nn.Linear", T7Table(weight=w)) for _ in range(60)],
    }}
    files = {{}}
    for name, obj in bombs.items():
        buf = io.BytesIO()
        save(buf, obj)
        files[name] = buf.getvalue()
    del bombs, w
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    limit = used + {headroom}
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name, data in files.items():
        try:
            load(io.BytesIO(data))
        except T7FormatError as exc:
            print("refused:", name, "-", len(data), "bytes")
        else:
            print("LOADED:", name)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux only")
def test_memory_bombs_are_refused_under_an_address_space_limit():
    """Hostile files (BOMBS above), loaded with the address space capped at current use + 192 MB (torch's
    allocations included): each is refused with T7FormatError, none allocates its claimed size."""
    script = BOMBS.format(repo=str(REPO), headroom=192 << 20)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"), check=False)
    assert proc.returncode == 0 and proc.stdout.count("refused:") == 4, proc.stdout + proc.stderr[-3000:]


@pytest.mark.parametrize("class_name,fields,match", [
    ("nn.View", {"size": "3"}, r"nn.View: field 'size' must be a LongStorage of sizes, got str '3'"),
    ("nn.View", {"size": [2, 2.5]}, r"nn.View: field 'size' must be a LongStorage of sizes \(integers\)"),
    ("nn.Reshape", {"size": torch.tensor([1.5])}, r"nn.Reshape: field 'size' .*\(integers\)"),
    ("nn.Reshape", {"size": [4], "batchMode": "no"}, r"nn.Reshape: field 'batchMode' must be a boolean"),
    ("nn.Sequential", {"modules": "abc"}, r"nn.Sequential: field 'modules' must be a table, got str 'abc'"),
    ("nn.CrossEntropyCriterion", {"lsm": 3}, r"nn.CrossEntropyCriterion: field 'lsm' must be an nn.LogSoftMax"),
])
def test_structured_fields_of_the_wrong_type_are_refused(class_name, fields, match):
    with pytest.raises(T7FormatError, match=match):
        roundtrip(lua(class_name, **fields))


def test_structured_fields_still_load():
    view = roundtrip(lua("nn.View", size=T7Storage(torch.tensor([2, 3]))))
    assert view.size == (2, 3)
    reshape = roundtrip(lua("nn.Reshape", size=[6], batchMode=True))
    assert tuple(reshape.size) == (6,) and reshape.batchMode is True and reshape.nelement == 6


def test_class_storage_fields_are_checked_as_storages():
    """nn.Concat keeps 'outputSize' as a LongStorage and nn.ParallelCriterion 'weights' as a list
    of numbers, where other classes use those names for a number or a tensor (_t7_storages)."""
    concat = lua("nn.Concat", dimension=2, outputSize=T7Storage(torch.tensor([3, 7])), modules=[linear()],
                 output=torch.empty(0), gradInput=torch.empty(0))
    assert isinstance(roundtrip(concat), nn.Concat)
    crit = lua("nn.ParallelCriterion", criterions=[lua("nn.MSECriterion", sizeAverage=True)], weights=[0.5],
               gradInput=[], output=0.0)
    assert roundtrip(crit).weights == [0.5]
    with pytest.raises(T7FormatError, match=r"nn.Concat: field 'outputSize' must be a storage or a table of numbers"):
        roundtrip(lua("nn.Concat", dimension=2, outputSize="abc", modules=[]))
