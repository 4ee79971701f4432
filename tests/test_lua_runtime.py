"""compat.lua, the runtime helpers that keep Lua's meaning: expected values from Lua's reference
semantics worked by hand and from dense PyTorch computations, never from the helpers themselves."""
import pytest
import torch

from compat import lua


def test_truth_and_short_circuit():
    assert [lua.truth(v) for v in (0, "", [], None, False, True, torch.zeros(3))] == [
        True, True, True, False, False, True, True]
    calls = []
    assert lua.or_(0, lambda: calls.append(1)) == 0 and calls == []
    assert lua.and_(None, lambda: calls.append(1)) is None and calls == []
    assert lua.and_("", lambda: 5) == 5 and lua.or_(False, lambda: "d") == "d"


def test_tostring_and_concat_format_numbers_as_lua():
    assert lua.concat("a", 1, 2.0, 0.1, 1 / 3, 2 ** 63) == "a120.10.333333333333339.2233720368548e+18"
    assert [lua.tostring(v) for v in (None, True, 1e15, 1e16, -0.0, float("inf"))] == [
        "nil", "true", "1e+15", "1e+16", "-0", "inf"]
    with pytest.raises(TypeError, match="concatenate a nil"):
        lua.concat("a", None)


def test_numeric_for_is_inclusive():
    assert list(lua.range(1, 3)) == [1, 2, 3]
    assert list(lua.range(3, 1, -1)) == [3, 2, 1]
    assert list(lua.range(0, 1, 0.5)) == [0, 0.5, 1.0]
    assert list(lua.range(1, 2.5)) == [1, 2]
    with pytest.raises(ValueError, match="step is zero"):
        lua.range(1, 2, 0)


def test_sequences_are_lists_indexed_from_one():
    t = [10, 20]
    assert lua.index(t, 1) == 10 and lua.index(t, 2.0) == 20 and lua.index(t, 3) is None
    lua.setindex(t, 3, 30)
    assert t == [10, 20, 30] and lua.length(t) == 3
    lua.setindex(t, 3, None)
    assert t == [10, 20]
    with pytest.raises(IndexError, match="hole"):
        lua.setindex(t, 5, 1)
    lua.insert(t, 1, 5)
    lua.insert(t, 7)
    assert t == [5, 10, 20, 7] and lua.remove(t, 1) == 5 and t == [10, 20, 7]
    assert list(lua.ipairs([1, None, 3])) == [(1, 1)]
    assert lua.unpack([1, 2, 3], 2) == (2, 3)


def test_tensor_entries_by_lua_numbers():
    """Torch7's t[i] and t[i] = v with Lua numbers (doubles) for i: a vector's element is a number,
    a matrix's row a view of it; assignment fills (truncating into an integer tensor, as fill does);
    past the end is an error, also on the fast paths."""
    v = torch.tensor([4, 5, 6])
    assert lua.index(v, 2) == 5 and lua.index(v, 3.0) == 6 and type(lua.index(v, 1.0)) is int
    m = torch.arange(6.0).view(3, 2)
    row = lua.index(m, 2.0)
    assert row.tolist() == [2.0, 3.0] and row.data_ptr() == m.data_ptr() + 2 * m.element_size()
    lua.setindex(v, 2, 7.9)
    lua.setindex(m, 3, -1)
    assert v.tolist() == [4, 7, 6] and m.tolist() == [[0.0, 1.0], [2.0, 3.0], [-1.0, -1.0]]
    lua.setindex(v, 1.0, "8")                       # a numeric string is a number, as Lua converts it
    assert v.tolist() == [8, 7, 6]
    for bad in (lambda: lua.index(v, 4), lambda: lua.index(m, 4.0), lambda: lua.setindex(v, 4, 1)):
        with pytest.raises(IndexError, match="out of range"):
            bad()
    w = torch.zeros(2, requires_grad=True)          # a module's weight: changed as plain data
    lua.setindex(w, 2, 3)
    assert w.tolist() == [0.0, 3.0] and w.grad_fn is None


def test_tables_keep_lua_keys_and_nil():
    t = lua.Table(x=1)
    t[1] = "a"
    t[2.0] = "b"
    assert t.x == 1 and t.missing is None and t[3] is None and lua.length(t) == 2
    t.x = None
    assert "x" not in t and dict(lua.pairs(t)) == {1: "a", 2: "b"}
    assert lua.table.concat(["a", 1, 2.5], "-") == "a-1-2.5"
    s = [3, 1, 2]
    lua.table.sort(s, lambda a, b: a > b)
    assert s == [3, 2, 1]


def test_metatable_index_function_and_table():
    base = lua.Table(greet=lambda self, *_: "hi " + self.name)
    obj = lua.setmetatable(lua.Table(name="x"), lua.Table(__index=base))
    assert lua.invoke(obj, "greet") == "hi x"
    squares = lua.setmetatable(lua.Table(), lua.Table(__index=lambda t, k, *_: k * k))
    assert squares[7] == 49 and lua.getmetatable(squares) is not None
    with pytest.raises(TypeError, match="compat.lua.Table"):
        lua.setmetatable({}, lua.Table())


def test_lua_dataset_pairs_data_and_labels():
    data = torch.arange(6.0).view(3, 2)
    ds = lua.LuaDataset(data=data, labels=torch.tensor([3.0, 1.0, 2.0]), size=lambda *_: 3)
    x, y = ds[2]
    assert torch.equal(x, data[1]) and y == 1.0 and isinstance(y, float)
    assert ds.size() == 3


def test_tensor_element_reads_are_numbers():
    v = torch.tensor([4, 9, 1], dtype=torch.uint8)
    assert lua.index(v, 2) == 9 and isinstance(lua.index(v, 2), int)
    assert lua.index(v, -1) == 1
    target = torch.zeros(4)
    lua.setindex(target, lua.index(v, 3), 1)            # label[class] = 1 with class from a ByteTensor
    assert target.tolist() == [1, 0, 0, 0]
    m = torch.arange(12.0).view(3, 4)
    assert torch.equal(lua.index(m, 2), m[1])
    assert lua.index(m, [2, 3]) == 6.0


def test_tensor_slicing_matches_pytorch_slices():
    m = torch.arange(24.0).view(2, 3, 4)
    assert torch.equal(lua.index(m, [[], 2, [2, 3]]), m[:, 1, 1:3])
    assert torch.equal(lua.index(m, [[2], [], [-2, -1]]), m[1:2, :, 2:4])
    lua.setindex(m, [1, [1, 2]], torch.ones(8))           # Torch7 copy: same count, any shape
    assert m[0, :2].sum() == 8
    with pytest.raises(IndexError, match="outside"):
        lua.index(m, [[1, 3]])


def test_tensor_methods_with_one_based_dims_and_indices():
    x = torch.tensor([[1.0, 7.0, 3.0], [4.0, 2.0, 6.0]])
    values, indices = lua.invoke(x, "max", 2)
    assert values.tolist() == [[7.0], [6.0]] and indices.tolist() == [[2], [3]]
    assert lua.invoke(x, "max") == 7.0 and lua.invoke(x, "sum") == 23.0
    assert lua.invoke(x, "size", 2) == 3 and lua.invoke(x, "nElement") == 6
    assert torch.equal(lua.invoke(x, "narrow", 2, 2, 2), x[:, 1:3])
    assert torch.equal(lua.invoke(x, "select", 1, 2), x[1])
    assert torch.equal(lua.invoke(x, "sub", 1, 1, 2, 3), x[0:1, 1:3])
    assert torch.equal(lua.invoke(x, "index", 2, torch.tensor([3, 1])), x[:, [2, 0]])
    s, order = lua.invoke(torch.tensor([3.0, 1.0, 2.0]), "sort")
    assert s.tolist() == [1.0, 2.0, 3.0] and order.tolist() == [2, 3, 1]
    small, where = lua.invoke(torch.tensor([5.0, 1.0, 3.0]), "topk", 2)
    assert small.tolist() == [1.0, 3.0] and where.tolist() == [2, 3]
    assert lua.invoke(x, "sum", 1).shape == (1, 3)          # Torch7 keeps the reduced dimension
    assert lua.invoke(torch.ones(1, 1), "squeeze").shape == (1,)   # THTensor squeeze keeps one dimension


def test_tensor_methods_work_in_place_as_in_torch7():
    x = torch.ones(2, 2)
    assert lua.invoke(x, "add", 2) is x and x.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    y = torch.zeros(2, 2)
    lua.invoke(y, "add", torch.ones(2, 2), torch.full((2, 2), 2.0))     # y = a + b
    assert y.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    lua.invoke(y, "add", 2, torch.ones(2, 2))                           # y += 2 * ones
    assert y[0, 0] == 5.0
    z = torch.tensor([1.0, 2.0, 3.0])
    lua.invoke(z, "apply", lambda e: e * 10)
    assert z.tolist() == [10.0, 20.0, 30.0]
    lua.invoke(z, "map", torch.tensor([1.0, 1.0, 1.0]), lambda a, b: a - b)
    assert z.tolist() == [9.0, 19.0, 29.0]
    r = torch.zeros(6)
    lua.invoke(r, "resize", 2, 3)
    assert r.shape == (2, 3)
    f = torch.zeros(2, 3)
    lua.invoke(f, "indexFill", 2, torch.tensor([1, 3]), 5.0)
    assert f.tolist() == [[5.0, 0.0, 5.0], [5.0, 0.0, 5.0]]


def test_torch_functions_with_lua_meaning():
    assert lua.torch.range(1, 3).tolist() == [1.0, 2.0, 3.0]
    assert lua.torch.range(0, 1, 0.5).tolist() == [0.0, 0.5, 1.0]
    a, b = torch.ones(2, 1), torch.zeros(2, 2)
    assert lua.torch.cat(a, b, 2).shape == (2, 3) and lua.torch.cat([a, a]).shape == (2, 2)
    x = torch.tensor([1.0, 5.0, 2.0])
    assert lua.torch.max(x) == 5.0 and lua.torch.max(x, 1)[1].tolist() == [2]
    assert lua.torch.cmul(x, x).tolist() == [1.0, 25.0, 4.0] and x.tolist() == [1.0, 5.0, 2.0]
    assert lua.torch.LongStorage([2, 3]) == torch.Size([2, 3])


def test_invoke_dispatches_on_the_receiver():
    assert lua.invoke("abc", "upper") == "ABC" and lua.invoke("%d!", "format", 3.0) == "3!"
    t = lua.Table(n=2, twice=lambda self, *_: self.n * 2)
    assert lua.invoke(t, "twice") == 4
    with pytest.raises(TypeError, match="nil value"):
        lua.invoke(t, "missing")

    class Thing:
        def name(self):
            return "thing"
    assert lua.invoke(Thing(), "name") == "thing"


def test_string_library_positions_and_patterns():
    s = "hello world"
    assert lua.string.sub(s, 2, 4) == "ell" and lua.string.sub(s, -5) == "world" and lua.string.sub(s, 5, 2) == ""
    assert lua.string.find(s, "o w") == (5, 7) and lua.string.find(s, "l+") == (3, 4)
    assert lua.string.find(s, "(o)(r)") == (8, 9, "o", "r") and lua.string.find(s, "z") is None
    assert lua.string.match("key = 10", "(%w+)%s*=%s*(%d+)") == ("key", "10")
    assert lua.string.match("  trim  ", "^%s*(.-)%s*$") == "trim"
    assert lua.string.gsub("a.b.c", "%.", "/") == ("a/b/c", 2)
    assert lua.string.gsub("abc", "%w", "%0%0", 2) == ("aabbc", 2)
    assert lua.string.gsub("$x $y", "%$(%w)", {"x": "1"}) == ("1 $y", 2)
    assert list(lua.string.gmatch("a1b22", "%d+")) == ["1", "22"]
    # LuaJIT rounds the exact tie 2.25 away from zero (C's printf would give 2.2)
    assert lua.string.format("%5.1f|%-3d|%s|%q", 2.25, 7, 1.0, 'a"b') == '  2.3|7  |1|"a\\"b"'
    assert lua.string.rep("ab", 2, "-") == "ab-ab" and lua.string.byte("A") == 65
    assert lua.string.format("%d", 1.5) == "1"          # LuaJIT truncates a fractional %d


def test_values_first_select_pcall():
    assert lua.values((1, 2, 3), 2) == (1, 2) and lua.values(None, 2) == (None, None)
    assert lua.first((7, 8)) == 7 and lua.first(7) == 7
    assert lua.select("#", 1, None, 3) == 3 and lua.select(2, "a", "b", "c") == ("b", "c")
    assert lua.pcall(lambda: lua.error("boom")) == (False, "boom")
    assert lua.pcall(lambda x: (x, x + 1), 1) == (True, 1, 2)
    assert lua.tonumber("0x1F") == 31 and lua.tonumber(" 2.5 ") == 2.5 and lua.tonumber("x") is None


def test_eq_is_identity_for_tables_and_tensors():
    a = torch.ones(2)
    assert lua.eq(a, a) and not lua.eq(a, torch.ones(2))
    assert not lua.eq(lua.Table(x=1), lua.Table(x=1)) and lua.eq(1, 1.0) and not lua.eq("1", 1)


def test_io_file_writes_numbers_as_lua(tmp_path):
    f = lua.io.open(str(tmp_path / "f.txt"), "w")
    f.write("a", 1, " ", 0.5, " ", 3.0, "\n")
    f.close()
    g = lua.io.open(str(tmp_path / "f.txt"))
    assert g.read("*l") == "a1 0.5 3" and g.read("*l") is None
    missing = lua.io.open(str(tmp_path / "no" / "f.txt"))
    assert missing[0] is None and "No such file" in missing[1]


def test_tensors_print_as_torch7():
    """Torch7's Tensor.lua rules worked by hand: one format for the tensor (%Nd for integers with N =
    digits + 1; %7.4f when magnitudes are within a decade or so; a '1e-0k *' scale when they are all
    small; %11.4e across more than 4 decades), 80-column wrapping, (i,.,.) blocks."""
    d = torch.float64
    assert lua.tostring(torch.tensor([[1, 2], [30, 4]], dtype=d)) == \
        "  1   2\n 30   4\n[torch.DoubleTensor of size 2x2]\n"
    assert lua.tostring(torch.tensor([0.002, 0.001], dtype=d)) == \
        "0.001 *\n 2.0000\n 1.0000\n[torch.DoubleTensor of size 2]\n"
    assert lua.tostring(torch.tensor([12345.678, 0.001], dtype=torch.float32)) == \
        " 1.2346e+04\n 1.0000e-03\n[torch.FloatTensor of size 2]\n"
    assert lua.tostring(torch.arange(1, 5, dtype=torch.uint8).view(2, 1, 2)) == \
        "(1,.,.) = \n  1  2\n\n(2,.,.) = \n  3  4\n[torch.ByteTensor of size 2x1x2]\n"
    wide = lua.tostring(torch.zeros(1, 41, dtype=d))               # %2d: 80 // 3 = 26 columns a line
    assert wide.startswith("Columns 1 to 26\n 0  0") and "\n\nColumns 27 to 41\n 0  0" in wide
    assert lua.tostring(torch.zeros(0)) == "[torch.FloatTensor with no dimension]\n"
    assert lua.tostring(torch.zeros(2, 13).size()) == "  2\n 13\n[torch.LongStorage of size 2]\n"  # %3d


def test_tensor_products_are_torch7s():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = torch.tensor([1.0, -1.0])
    assert lua.mul(v, v) == 2.0                                   # dot: a number
    assert lua.mul(a, v).tolist() == [-1.0, -1.0]                 # matrix x vector
    assert lua.mul(a, a).tolist() == [[7.0, 10.0], [15.0, 22.0]]  # matrix product, not elementwise
    assert lua.mul(a, 2).tolist() == [[2.0, 4.0], [6.0, 8.0]] and lua.mul(3, 4) == 12


def test_division_keeps_exact_integers_and_divides_by_zero_as_lua():
    assert lua.div(6, 2) == 3 and isinstance(lua.div(6, 2), int)
    assert lua.div(7, 2) == 3.5 and lua.div(6.0, 2) == 3.0
    assert lua.div(1, 0) == float("inf") and lua.div(-1, 0) == float("-inf")
    assert lua.div(0, 0) != lua.div(0, 0)                           # nan
    assert lua.div(torch.tensor([2.0, 4.0]), 2).tolist() == [1.0, 2.0]
