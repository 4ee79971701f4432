"""Torch7's constructors, Storages, geometry, types and printout (compat.lua.tensor_shape, storages,
printing). Expected values are worked by hand from torch7's rules (generic/Tensor.c, generic/Storage.c,
Tensor.lua's Storage__printformat/printMatrix/printTensor, LuaJIT's string.format)."""
import pytest
import torch as pytorch

from compat import lua, torch


@pytest.fixture(autouse=True)
def double_default():
    before = pytorch.get_default_dtype()
    pytorch.set_default_dtype(pytorch.float64)  # Lua's default tensor type
    yield
    pytorch.set_default_dtype(before)


def text(value):
    return lua.tostring(value)


# ------------------------------------------------------------------ printing
def test_ties_round_half_away_from_zero_as_luajit():
    # 1.03125 = 33/32 is a tie at 4 decimals: LuaJIT 2.1.0-beta3 gives 1.0313 (C and Python: 1.0312)
    assert text(torch.Tensor([1.03125, 2])) == " 1.0313\n 2.0000\n[torch.DoubleTensor of size 2]\n"
    assert text(torch.Tensor([-1.03125, 2])) == "-1.0313\n 2.0000\n[torch.DoubleTensor of size 2]\n"


def test_infinities_count_as_integers_and_nan_falls_back_to_percent_f():
    # inf == ceil(inf): integer mode, exponent inf > 9 -> %11.4e
    assert text(torch.Tensor([2, float("inf")])) == " 2.0000e+00\n        inf\n[torch.DoubleTensor of size 2]\n"
    # 1.5 is not an integer: exponents 1 and inf differ by more than 4, |inf| > 99 -> %12.4e
    assert text(torch.Tensor([1.5, -float("inf")])) == \
        "  1.5000e+00\n        -inf\n[torch.DoubleTensor of size 2]\n"
    # a NaN makes TH's min/max NaN: the width is NaN and Torch7 prints with %f, no wrapping
    assert text(torch.Tensor([[0.25, float("nan")]])) == "0.250000 nan\n[torch.DoubleTensor of size 1x2]\n"


def test_slices_of_a_4d_tensor_run_the_first_index_fastest():
    x = torch.Tensor([1, 2, 3, 4]).view(2, 2, 1, 1)
    assert text(x) == ("(1,1,.,.) = \n  1\n\n(2,1,.,.) = \n  3\n\n(1,2,.,.) = \n  2\n\n(2,2,.,.) = \n  4\n"
                       "[torch.DoubleTensor of size 2x2x1x1]\n")


def test_scale_factor_line_for_large_magnitudes():
    # exponents 7 and 7 -> scale 10^6, %7.4f of the quotients
    assert text(torch.Tensor([2500000.5, 1000000])) == "1e+06 *\n 2.5000\n 1.0000\n[torch.DoubleTensor of size 2]\n"


def test_storages_print_in_torch7_layout():
    # 0.5 and 250: exponents 0 and 3 -> %9.4f
    assert text(torch.FloatStorage([0.5, 250])) == "   0.5000\n 250.0000\n[torch.FloatStorage of size 2]\n"
    assert text(torch.LongStorage()) == "[torch.LongStorage of size 0]\n"
    assert text(torch.ByteStorage([7, 12])) == "  7\n 12\n[torch.ByteStorage of size 2]\n"  # 12: exponent 2 -> %3d


def test_empty_tensor_has_no_dimension():
    x = torch.Tensor()
    assert x.dim() == 0 and lua.invoke(x, "nDimension") == 0 and x.numel() == 0
    assert text(x) == "[torch.DoubleTensor with no dimension]\n"
    assert text(lua.invoke(x, "size")) == "[torch.LongStorage of size 0]\n"
    assert lua.invoke(x, "storage") is None
    lua.invoke(x, "resize", 2, 3)
    assert x.dim() == 2 and list(lua.invoke(x, "size")) == [2, 3]
    assert torch.Tensor(4, 0).dim() == 1      # Torch7 keeps the dimensions before the first empty one


# ------------------------------------------------------------------ storages
def test_tensor_from_storage_shares_memory_even_after_resize():
    s = torch.DoubleStorage([1, 2, 3])
    x = torch.Tensor(s)
    lua.setindex(s, 2, 20)
    assert lua.index(x, 2) == 20
    lua.invoke(s, "resize", 5)
    lua.setindex(s, 1, 9)
    assert lua.index(x, 1) == 9 and lua.length(s) == 5 and lua.invoke(s, "size") == 5


def test_tensor_from_storage_offset_sizes_strides():
    s = torch.DoubleStorage([1, 2, 3, 4, 5])
    x = torch.Tensor(s, 2, torch.LongStorage([2, 2]), torch.LongStorage([1, 2]))  # from element 2, transposed
    assert x.tolist() == [[2, 4], [3, 5]]
    y = torch.Tensor(s, 1, 2, 2)          # size 2 stride 2: elements 1 and 3
    assert y.tolist() == [1, 3]
    lua.setindex(s, 3, -1)
    assert x.tolist() == [[2, 4], [-1, 5]] and y.tolist() == [1, -1]


def test_storage_of_a_view_is_the_whole_memory():
    x = torch.Tensor([[1, 2, 3], [4, 5, 6]])
    v = lua.invoke(x, "narrow", 1, 2, 1)
    s = lua.invoke(v, "storage")
    assert lua.invoke(s, "size") == 6 and lua.invoke(v, "storageOffset") == 4
    assert lua.torch.typename(s) == "torch.DoubleStorage" and lua.type(s) == "userdata"
    lua.setindex(s, 4, 40)
    assert lua.index(x, [2, 1]) == 40


def test_storage_methods():
    s = torch.IntStorage([5, -2, 7])
    assert lua.invoke(s, "totable") == [5, -2, 7] and lua.invoke(s, "elementSize") == 4
    c = torch.DoubleStorage(3).copy(s)
    assert c.totable() == [5.0, -2.0, 7.0]
    with pytest.raises(ValueError, match="size mismatch"):
        torch.DoubleStorage(2).copy(s)
    with pytest.raises(IndexError, match="out of bounds 1..3"):
        lua.index(s, 4)
    view = torch.IntStorage(s, 2, 2)      # a view of elements 2..3
    lua.setindex(view, 1, 11)
    assert lua.index(s, 2) == 11
    b = torch.ByteStorage().string("Hi!")
    assert lua.invoke(b, "size") == 3 and b.string() == "Hi!"


def test_set_and_is_set_to():
    x = torch.Tensor([1, 2, 3, 4])
    y = torch.Tensor()
    lua.invoke(y, "set", x)
    assert lua.invoke(y, "isSetTo", x) and not lua.invoke(torch.Tensor([1, 2, 3, 4]), "isSetTo", x)
    lua.invoke(y, "set", lua.invoke(x, "storage"), 3, torch.LongStorage([2]))
    assert y.tolist() == [3, 4]


# ------------------------------------------------------------------ sizes
def test_sizes_are_long_storages_that_pytorch_takes():
    x = torch.Tensor(2, 3, 4)
    size = lua.invoke(x, "size")
    assert lua.torch.typename(size) == "torch.LongStorage" and lua.type(size) == "userdata"
    assert lua.index(size, 1) == 2 and lua.length(size) == 3 and lua.invoke(size, "size") == 3
    assert torch.zeros(size).shape == (2, 3, 4) and x.view(torch.LongStorage([4, 6])).shape == (4, 6)
    assert list(lua.invoke(x, "stride")) == [12, 4, 1] and lua.invoke(x, "stride", 2) == 4
    assert list(lua.length(x)) == [2, 3, 4]
    assert lua.invoke(x, "isSize", torch.LongStorage([2, 3, 4]))
    assert not lua.invoke(x, "isSize", torch.LongStorage([2, 12]))
    assert torch.LongTensor(size).tolist() == [2, 3, 4]   # a LongTensor reads a LongStorage as data
    assert torch.Tensor(size).shape == (2, 3, 4)          # other types read it as sizes


def test_unfold_reshape_repeat_totable():
    x = torch.Tensor([[1, 2, 3], [4, 5, 6]])
    u = lua.invoke(x, "unfold", 2, 2, 1)                  # dim 2 (1-based): windows of 2 along the columns
    assert u.shape == (2, 2, 2) and u[1].tolist() == [[4, 5], [5, 6]]
    r = torch.reshape(x, 3, 2)
    r[0, 0] = 100
    assert x[0, 0] == 1 and r.shape == (3, 2)             # Torch7's reshape copies
    assert torch.repeatTensor(torch.Tensor([1, 2]), 2, 1, 2).shape == (2, 1, 4)
    assert lua.invoke(x, "totable") == [[1, 2, 3], [4, 5, 6]] and torch.totable(torch.Tensor()) == []
    assert lua.invoke(torch.ShortTensor(1), "elementSize") == 2
    assert torch.view(torch.Tensor([1, 2, 3, 4]), -1, 2).shape == (2, 2)


# ------------------------------------------------------------------ types
def test_type_conversions_and_names():
    x = torch.Tensor([-1.5, 2.5])
    assert lua.invoke(x, "type") == "torch.DoubleTensor" and lua.invoke(x, "type", "torch.DoubleTensor") is x
    f = lua.invoke(x, "type", "torch.IntTensor")
    assert f.dtype == pytorch.int32 and f.tolist() == [-1, 2]          # C casts truncate toward zero
    assert lua.invoke(x, "typeAs", torch.FloatTensor(1)).dtype == pytorch.float32
    assert lua.torch.type(3) == "number" and lua.torch.type(x) == "torch.DoubleTensor"
    assert torch.isStorage(torch.CharStorage(2)) and not torch.isStorage(x)
    assert isinstance(f, torch.IntTensor) and not isinstance(f, torch.LongTensor) and isinstance(f, torch.Tensor)
    with pytest.raises(ValueError, match="torch.FloatTensor"):
        lua.invoke(x, "type", "torch.Float")


def test_integer_tensors_divide_as_c_does():
    x = torch.LongTensor([-7, 7, 9])
    assert lua.invoke(x.clone(), "div", 2).tolist() == [-3, 3, 4]
    assert lua.torch.div(x, 3.9).tolist() == [-2, 2, 3]                # the divisor truncated to 3
    q = lua.div(torch.IntTensor([7]), 2)
    assert q.dtype == pytorch.int32 and q.tolist() == [3]
    assert lua.invoke(torch.Tensor([7]), "div", 2).tolist() == [3.5]


def test_constructor_errors_name_what_was_expected():
    with pytest.raises(TypeError, match="torch.DoubleTensor.*FloatTensor"):
        torch.DoubleTensor(torch.FloatTensor(2))
    with pytest.raises(ValueError, match="invalid tensor"):
        torch.Tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="size 2 must be an integer"):
        torch.Tensor(2, "x")


def test_serialize_round_trip():
    x = torch.Tensor([[1, -2], [3.5, 4]])
    s = torch.serialize(x)
    assert isinstance(s, str) and torch.deserialize(s).tolist() == x.tolist()


def test_linspace_and_logspace_default_to_100_points():
    assert torch.linspace(0, 1).shape == (100,) and torch.logspace(0, 2, 3).tolist() == [1, 10, 100]


def test_a_storage_read_from_a_t7_file_prints_and_answers_methods():
    back = torch.deserialize(torch.serialize(torch.DoubleStorage([1, 2, 3])))
    assert text(back) == " 1\n 2\n 3\n[torch.DoubleStorage of size 3]\n"
    lua.invoke(back, "fill", 4)
    assert lua.index(back, 3) == 4 and lua.invoke(back, "size") == 3


def test_clone_of_an_empty_tensor_has_no_dimension():
    assert torch.Tensor().clone().dim() == 0


def test_translated_integer_division_and_sizes_run_as_in_torch7(capsys):
    from compat.migrate import translate
    source = ("local x = torch.IntTensor({7, -7})\nprint(x / 2)\nx:div(3)\nprint(x[1], x[2])\n"
              "local e = torch.Tensor()\nprint(e:dim(), #x:size(), x:size():size())\n")
    exec(compile(translate(source, "case.lua").code, "case.py", "exec"), {"__name__": "case"})  # noqa: S102
    assert capsys.readouterr().out == " 3\n-3\n[torch.IntTensor of size 2]\n\n2\t-2\n0\t1\t1\n"
