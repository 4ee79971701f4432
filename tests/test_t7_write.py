"""compat.t7.save: byte-exact against Torch7's own files, and load(save(x)) == x in both formats."""
import io
import math
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from compat.t7 import LuaFunction, T7Object, T7Storage, T7Table, load, register_saver, registry, save
from tests.test_t7_common import all_fixture_names, assert_same, fixture, fixture_format, fixtures_dir, nan_sign

FORMATS = ["binary", "ascii"]


@pytest.fixture
def no_loaders(monkeypatch):
    monkeypatch.setattr(registry, "_loaders", {})
    monkeypatch.setattr(registry, "_nn_import_tried", True)


def roundtrip(obj, fmt):
    buf = io.BytesIO()
    save(buf, obj, fmt)
    buf.seek(0)
    return load(buf, fmt)


@pytest.mark.parametrize("name", all_fixture_names())
def test_resave_reproduces_torch7_bytes(name, no_loaders):
    """Torch7 wrote these files; loading and saving in the same format gives the same bytes."""
    path = fixtures_dir() / name
    fmt = fixture_format(path)
    buf = io.BytesIO()
    save(buf, load(path, fmt), fmt)
    assert buf.getvalue() == path.read_bytes()


@pytest.mark.parametrize("stem", ["tensors", "linear_model"])
def test_binary_object_saved_as_ascii_is_torch7_ascii_file(stem, no_loaders):
    buf = io.BytesIO()
    save(buf, load(fixture(f"{stem}_binary.t7")), "ascii")
    assert buf.getvalue() == fixture(f"{stem}_ascii.t7").read_bytes()


def test_wire_layout_of_a_tensor():
    """File.lua writeObject + Tensor.c write, spelled out with struct (independent of the writer)."""
    buf = io.BytesIO()
    save(buf, torch.tensor([1.5, -2.0], dtype=torch.float32))

    def string(s):
        return struct.pack("<i", len(s)) + s

    expected = (struct.pack("<ii", 4, 1) + string(b"V 1") + string(b"torch.FloatTensor")
                + struct.pack("<i", 1) + struct.pack("<qqq", 2, 1, 1)
                + struct.pack("<ii", 4, 2) + string(b"V 1") + string(b"torch.FloatStorage")
                + struct.pack("<q", 2) + struct.pack("<ff", 1.5, -2.0))
    assert buf.getvalue() == expected
    buf = io.BytesIO()
    save(buf, torch.tensor([1.5, -2.0], dtype=torch.float32), "ascii")
    assert buf.getvalue() == (b"4\n1\n3\nV 1\n17\ntorch.FloatTensor\n1\n2\n1\n1\n"
                              b"4\n2\n3\nV 1\n18\ntorch.FloatStorage\n2\n1.5 -2\n")


DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16, torch.float32, torch.float64]


def extremes(dtype):
    if dtype.is_floating_point:
        fi = torch.finfo(dtype)
        vals = [0.0, -0.0, 1.0, -1.5, fi.max, fi.min, fi.tiny, fi.tiny / 4, fi.eps, math.inf, -math.inf, math.nan, 1 / 3]
    else:
        ii = torch.iinfo(dtype)
        vals = [0, 1, ii.max, ii.min, ii.max // 3, 10]
    return torch.tensor(vals, dtype=dtype)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_roundtrips(fmt, dtype):
    t = extremes(dtype).reshape(-1, 1).repeat(1, 3)
    back = roundtrip({"t": t, "empty": torch.empty(0, dtype=dtype)}, fmt)
    assert_same(back.t, t)
    assert back.empty.dtype == dtype and back.empty.numel() == 0


def test_negative_nan_keeps_sign_in_tensors():
    t = torch.tensor([-math.nan, math.nan], dtype=torch.float64)
    for fmt in FORMATS:
        back = roundtrip(t, fmt)
        assert [nan_sign(x) for x in back.tolist()] == [nan_sign(x) for x in t.tolist()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_views_and_shared_storages(fmt):
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "narrow": base[:, 2:5], "select": base[2], "step": base[::2, ::3],
           "expand": torch.tensor([7, 8], dtype=torch.int32).reshape(2, 1).expand(2, 5)}
    obj["same"] = obj["t"]
    back = roundtrip(obj, fmt)
    for k, v in obj.items():
        assert_same(back[k], v)
        assert back[k].stride() == v.stride() and back[k].storage_offset() == v.storage_offset(), k
    ptr = back.base.untyped_storage().data_ptr()
    assert all(back[k].untyped_storage().data_ptr() == ptr for k in ("t", "narrow", "select", "step"))
    assert back.same is back.t
    back.base[2, 3] = -1.0
    assert back.select[3] == -1.0 and back.narrow[2, 1] == -1.0


def test_shared_storage_is_written_once():
    big = torch.zeros(10000, dtype=torch.float64)
    one, two = io.BytesIO(), io.BytesIO()
    save(one, {"a": big})
    save(two, {"a": big, "b": big[5:], "c": big[:5]})
    assert len(two.getvalue()) - len(one.getvalue()) < 400  # 80 kB storage not repeated


@pytest.mark.parametrize("fmt", FORMATS)
def test_tables_numbers_strings(fmt):
    obj = {
        "nested": {"level1": {"level2": {"level3": "deep", "n": 3}, "list": [10, 20]}},
        "list": [1, 2, 3],
        "mixed": {1: "one", 2: "two", 10: "ten", -1: "minus one", 2.5: "two and half", "key": "value"},
        "numbers": [0, -0.0, 2 ** 53, -(2.0 ** 53) - 2, 2.0 ** 60, 1e308, -1e-300, 5e-324, 0.1, math.inf, -math.inf],
        "nan": math.nan, "nnan": -math.nan,
        "unicode": "héllo ✓\nline", "binary": b"\xff\x00\n\xfe", "empty": "",
        "flags": [True, False], "empty_table": {}, "tuple": (1, "a"),
        7: "seven", True: "yes",
    }
    back = roundtrip(obj, fmt)
    assert isinstance(back, T7Table) and isinstance(back.nested.level1, T7Table)
    expected = dict(obj, tuple=[1, "a"])
    expected["nested"] = T7Table(level1=T7Table(level2=T7Table(level3="deep", n=3), list=[10, 20]))
    expected["mixed"] = T7Table(obj["mixed"])
    expected["empty_table"] = T7Table()
    for k, v in expected.items():
        if k in ("nan", "nnan"):
            assert math.isnan(back[k]) and nan_sign(back[k]) == nan_sign(v)
        elif k == "numbers":
            assert_same(back[k], [0, -0.0, 2 ** 53, -(2.0 ** 53) - 2, 2.0 ** 60, 1e308, -1e-300, 5e-324, 0.1,
                                  math.inf, -math.inf])
        else:
            assert_same(back[k], v, repr(k))
    assert set(back) == set(obj)


@pytest.mark.parametrize("fmt", FORMATS)
def test_none_values_are_dropped_like_lua_nil(fmt):
    assert roundtrip({"a": None, "b": 1}, fmt) == {"b": 1}
    assert roundtrip([1, None, 3], fmt) == {1: 1, 3: 3}


@pytest.mark.parametrize("fmt", FORMATS)
def test_self_reference_and_shared_tables(fmt):
    inner = {"x": 1.5}
    outer = {"a": inner, "b": inner}
    outer["self"] = outer
    back = roundtrip(outer, fmt)
    assert back.a is back.b and back.self is back


@pytest.mark.parametrize("fmt", FORMATS)
def test_storage_object_and_tensor_share(fmt):
    data = torch.tensor([0.25, -1.0, 3.0], dtype=torch.float32)
    back = roundtrip({"s": T7Storage(data), "t": data[1:]}, fmt)
    assert isinstance(back.s, T7Storage) and back.s.tolist() == [0.25, -1.0, 3.0]
    assert back.t.untyped_storage().data_ptr() == back.s.tensor.untyped_storage().data_ptr()


@pytest.mark.parametrize("fmt", FORMATS)
def test_generic_object_and_function(fmt):
    obj = T7Object("nn.Unknown", T7Table(weight=torch.ones(2, 2), name="u"))
    fn = LuaFunction(b"\x1bLJ\x02fake bytecode\n", [T7Table(name="x", value=1)])
    back = roundtrip({"o": obj, "f": fn, "g": fn}, fmt)
    assert_same(back.o, obj)
    assert back.f is back.g and back.f.dumped == fn.dumped and back.f.upvalues == [{"name": "x", "value": 1}]


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Point3(Point):
    pass


def test_registered_saver_most_specific_first(monkeypatch):
    monkeypatch.setattr(registry, "_savers", {})
    register_saver(Point, lambda p: ("geo.Point", {"x": p.x, "y": p.y}))
    register_saver(Point3, lambda p: ("geo.Point3", {"x": p.x, "y": p.y, "z": 0}))
    p = Point3(1, 2)
    back = roundtrip([p, Point(3, 4), p], "binary")
    assert back[0].torch_typename == "geo.Point3" and back[0].z == 0 and back[2] is back[0]
    assert back[1].torch_typename == "geo.Point" and (back[1].x, back[1].y) == (3, 4)


def test_scalar_tensor_becomes_vector_and_numpy_arrays():
    back = roundtrip({"s": torch.tensor(2.5), "a": np.arange(4, dtype=np.int16)}, "binary")
    assert back.s.shape == (1,) and back.s.item() == 2.5
    assert back.a.dtype == torch.int16 and back.a.tolist() == [0, 1, 2, 3]


def test_save_to_path(tmp_path):
    path = tmp_path / "x.t7"
    save(path, {"data": torch.arange(6, dtype=torch.uint8).reshape(2, 3)}, "ascii")
    assert load(path, "ascii").data.tolist() == [[0, 1, 2], [3, 4, 5]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=20),
       st.sampled_from([torch.float32, torch.float64]), st.sampled_from(FORMATS))
def test_float_arrays_roundtrip_bit_exact(values, dtype, fmt):
    t = torch.tensor(values, dtype=torch.float64).to(dtype)
    back = roundtrip({"t": t, "n": values}, fmt)

    def bits(x):  # text cannot carry a NaN payload (Torch7 writes "nan"/"-nan"): compare NaNs by sign
        return ("nan", nan_sign(x)) if math.isnan(x) else struct.pack("<d", x)

    assert back.t.dtype == dtype and [bits(x) for x in back.t.tolist()] == [bits(x) for x in t.tolist()]
    assert [bits(float(x)) for x in (back.n if values else [])] == [bits(x) for x in values]
    if fmt == "binary":
        assert_same(back.t, t)  # binary keeps every bit, payloads included


@settings(max_examples=40, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 53, 2 ** 53) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=20), st.sampled_from(FORMATS))
def test_nested_values_roundtrip(value, fmt):
    back = roundtrip({"v": value}, fmt)
    if value is None:
        assert "v" not in back
        return

    def lua(v):  # what a Lua table keeps: no nil values; {} stays a table, lists keyed 1..n
        if isinstance(v, dict):
            return {k: lua(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            kept = {i + 1: lua(x) for i, x in enumerate(v) if x is not None}
            return [kept[i] for i in range(1, len(kept) + 1)] if list(kept) == list(range(1, len(kept) + 1)) and kept else kept
        if isinstance(v, float) and v.is_integer() and abs(v) <= 2 ** 53 and math.copysign(1, v) > 0:
            return int(v)
        if isinstance(v, float) and v == 0:
            return v if math.copysign(1, v) < 0 else 0
        return v

    assert back.v == lua(value)


def test_failed_save_keeps_the_previous_file_and_never_removes_a_device(tmp_path):
    import os

    from compat.t7 import load, save
    path = tmp_path / "kept.t7"
    save(str(path), {"a": 1})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save(str(path), {"a": object()})           # unsupported value: fails half-way
    assert path.read_bytes() == before and load(str(path)) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["kept.t7"]          # no temporary file left behind
    with pytest.raises(TypeError):
        save(os.devnull, {"a": object()})
    assert not os.path.isfile(os.devnull)                      # still the device, not removed
