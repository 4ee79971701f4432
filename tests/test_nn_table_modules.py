"""Table modules of compat.nn (table_modules.py): Lua behaviours beyond the Torch7 reference cases
(dimension rules, ties, nested tables) and the errors for bad input."""
import pytest
import torch as T

from compat import nn


def test_join_and_split_follow_lua_dimension_rules():
    a, b = T.randn(2, 3), T.randn(2, 4)
    assert T.equal(nn.JoinTable(-1).forward([a, b]), T.cat([a, b], 1))
    # nInputDims: a batch (one more dimension than nInputDims) shifts the dimension by one
    assert T.equal(nn.JoinTable(1, 1).forward([a[0], b[0]]), T.cat([a[0], b[0]]))
    assert T.equal(nn.JoinTable(1, 1).forward([a, b]), T.cat([a, b], 1))
    x = T.randn(2, 3, 4)
    parts = nn.SplitTable(-1).forward(x)
    assert len(parts) == 4 and T.equal(parts[2], x[:, :, 2])
    assert T.equal(nn.SplitTable(1, 2).forward(x)[1], x[:, 1])
    gi = nn.SplitTable(1, 2).backward(x, [T.ones(2, 4), 2 * T.ones(2, 4), 3 * T.ones(2, 4)])
    assert T.equal(gi[:, 2], 3 * T.ones(2, 4))


def test_select_and_narrow_give_zero_gradients_shaped_as_nested_inputs():
    x = [T.randn(2), [T.randn(3), T.randn(1)], T.randn(4)]
    m = nn.SelectTable(-1)
    assert m.forward(x) is x[2]
    g = m.backward(x, T.ones(4))
    assert T.equal(g[2], T.ones(4)) and T.equal(g[1][0], T.zeros(3)) and T.equal(g[1][1], T.zeros(1))
    n = nn.NarrowTable(1, 2)
    assert n.forward(x) == x[:2]
    g = n.backward(x, [T.ones(2), [T.ones(3), T.ones(1)]])
    assert T.equal(g[2], T.zeros(4)) and T.equal(g[1][0], T.ones(3))


def test_flatten_table_gradient_has_the_input_nesting():
    x = [T.randn(2), [T.randn(3), [T.randn(4)]], T.randn(1)]
    m = nn.FlattenTable()
    out = m.forward(x)
    assert [t.numel() for t in out] == [2, 3, 4, 1]
    g = m.backward(x, [T.full((k,), float(k)) for k in (2, 3, 4, 1)])
    assert T.equal(g[1][1][0], T.full((4,), 4.0)) and T.equal(g[2], T.ones(1))


def test_cmax_ties_send_the_gradient_to_the_first_input():
    """Lua compares with a strict >, so an equal later input never takes the maximum."""
    a = T.tensor([1.0, 2.0, 3.0])
    b = T.tensor([1.0, 5.0, 0.0])
    m = nn.CMaxTable()
    assert T.equal(m.forward([a, b]), T.tensor([1.0, 5.0, 3.0]))
    ga, gb = m.backward([a, b], T.tensor([10.0, 20.0, 30.0]))
    assert T.equal(ga, T.tensor([10.0, 0.0, 30.0])) and T.equal(gb, T.tensor([0.0, 20.0, 0.0]))
    m = nn.CMinTable()
    assert T.equal(m.forward([a, b]), T.tensor([1.0, 2.0, 0.0]))
    ga, gb = m.backward([a, b], T.ones(3))
    assert T.equal(ga, T.tensor([1.0, 1.0, 0.0])) and T.equal(gb, T.tensor([0.0, 0.0, 1.0]))


def test_pair_modules_on_vectors_return_one_element():
    a, b = T.randn(5), T.randn(5)
    assert nn.PairwiseDistance(2).forward([a, b]).shape == (1,)
    assert T.allclose(nn.PairwiseDistance(2).forward([a, b]), (a - b).norm().view(1))
    assert T.allclose(nn.DotProduct().forward([a, b]), (a @ b).view(1))
    cos = (a @ b) / (a.norm() * b.norm())
    assert T.allclose(nn.CosineDistance().forward([a, b]), cos.view(1))


def test_mixture_table_with_a_table_of_experts():
    gater = T.softmax(T.randn(4, 3), 1)
    experts = [T.randn(4, 5) for _ in range(3)]
    m = nn.MixtureTable()
    want = sum(gater[:, i:i + 1] * e for i, e in enumerate(experts))
    assert T.allclose(m.forward([gater, experts]), want)
    go = T.randn(4, 5)
    g_gater, g_experts = m.backward([gater, experts], go)
    assert T.allclose(g_gater[:, 1], (go * experts[1]).sum(1))
    assert T.allclose(g_experts[2], gater[:, 2:3] * go)


def test_bad_input_names_the_module_and_the_sizes():
    with pytest.raises(ValueError, match=r"JoinTable: inputs of sizes \[\(2, 3\), \(3, 3\)\] cannot be joined "
                                         r"along dimension 2"):
        nn.JoinTable(2).forward([T.randn(2, 3), T.randn(3, 3)])
    with pytest.raises(ValueError, match=r"JoinTable: dimension 3 out of range for an input of size \(2, 3\)"):
        nn.JoinTable(3).forward([T.randn(2, 3)])
    with pytest.raises(TypeError, match=r"JoinTable: expecting input to be a table \(a list\), got Tensor"):
        nn.JoinTable(1).forward(T.randn(2))
    with pytest.raises(ValueError, match=r"SelectTable: index 3 does not exist in an input table of 2 entries"):
        nn.SelectTable(3).forward([T.randn(1), T.randn(1)])
    with pytest.raises(ValueError, match=r"CAddTable: expecting input tensors of one number of elements, got "
                                         r"sizes \[\(2, 3\), \(2, 4\)\]"):
        nn.CAddTable().forward([T.randn(2, 3), T.randn(2, 4)])
    with pytest.raises(ValueError, match=r"CSubTable: expecting input to be a table of at least 2 entries, got 1"):
        nn.CSubTable().forward([T.randn(2)])
    with pytest.raises(ValueError, match=r"PairwiseDistance: expecting two vectors or two nframe x n matrices of "
                                         r"one size, got sizes \(2, 3, 4\) and \(2, 3, 4\)"):
        nn.PairwiseDistance(2).forward([T.randn(2, 3, 4), T.randn(2, 3, 4)])
    with pytest.raises(ValueError, match=r"MixtureTable: expecting one gater output per expert: 3 experts in "
                                         r"dimension 2, got experts of size \(4, 2, 5\)"):
        nn.MixtureTable().forward([T.randn(4, 3), T.randn(4, 2, 5)])
    with pytest.raises(ValueError, match=r"NarrowTable: expecting length to be an integer >= 1, got 0"):
        nn.NarrowTable(1, 0)


def test_lua_contract_on_table_outputs():
    m = nn.Sequential().add(nn.SplitTable(2)).add(nn.CAddTable())
    x = T.randn(3, 4, dtype=T.float64)
    y = m.clone().forward(x)
    assert T.allclose(y, x.sum(1))
    split = m.get(1)
    split.forward(x)
    assert split.type() == {T.float32: 'torch.FloatTensor', T.float64: 'torch.DoubleTensor'}[T.get_default_dtype()]
    assert split.clearState().output == []
    assert m.float().forward(x.float()).dtype == T.float32


def test_inplace_cadd_table_sums_into_the_first_input_on_the_lua_path():
    a, b = T.ones(2, 3), T.full((2, 3), 2.0)
    m = nn.CAddTable(True)
    out = m.forward([a, b])
    assert out is a and T.equal(a, T.full((2, 3), 3.0))
    g = T.randn(2, 3)
    assert all(x is g for x in m.backward([a, b], g))


def test_elementwise_tables_take_equal_numbers_of_elements_as_torch7():
    """Torch7's add/cmul work element by element on tensors of one number of elements; the result
    has the first input's size and each gradInput its input's size."""
    a, b = T.randn(3, 4), T.randn(4, 3)
    m = nn.CSubTable()
    assert T.equal(m.forward([a, b]), a - b.reshape(3, 4))
    g1, g2 = m.backward([a, b], T.ones(3, 4))
    assert g1.shape == (3, 4) and g2.shape == (4, 3) and T.equal(g2, -T.ones(4, 3))
