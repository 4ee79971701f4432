"""Torch7's TensorMath through the Lua helpers (``lua.invoke(x, name, ...)`` is ``x:name(...)``,
``lua.torch.name(...)`` is ``torch.name(...)``). Expected values are worked from Torch7's rules
(TensorMath.lua's argument forms, THTensorMath.c's arithmetic) by hand."""
import math
import struct

import pytest
import torch

from compat import lua

T = lua.torch


def D(*values):
    return torch.tensor(values, dtype=torch.float64)


def as_float(v):
    """The float32 nearest to v, as a Python (double) number."""
    return struct.unpack("f", struct.pack("f", v))[0]


# ------------------------------------------------------------------------------ argument forms
def test_add_forms_write_into_the_receiver_or_the_leading_result():
    a, b = D(1, 3, 7), D(1, 9, 6)
    x = a.clone()
    assert lua.invoke(x, "add", b) is x and x.tolist() == [2, 12, 13]
    lua.invoke(x, "add", 2, b)                      # x = x + 2 * b
    assert x.tolist() == [4, 30, 25]
    r = torch.empty(0, dtype=torch.float64)
    lua.invoke(r, "add", a, b)                      # r = a + b, resized
    assert r.tolist() == [2, 12, 13]
    lua.invoke(r, "add", a, 10)                     # r = a + 10
    assert r.tolist() == [11, 13, 17]
    out = T.add(r, a, 5, b)                         # r = a + 5 * b
    assert out is r and r.tolist() == [6, 48, 37]
    z = T.add(a, b)
    assert z.tolist() == [2, 12, 13] and a.tolist() == [1, 3, 7]
    assert T.add(a, 8).tolist() == [9, 11, 15]
    assert T.csub(a, 1).tolist() == [0, 2, 6]
    assert lua.invoke(a.clone(), "csub", 2, b).tolist() == [-1, -15, -5]


def test_unary_forms_and_numbers():
    x = D(1, 4, 9)
    lua.invoke(x, "sqrt")
    assert x.tolist() == [1, 2, 3]
    r = torch.zeros(1, dtype=torch.float64)
    lua.invoke(r, "sqrt", D(16, 25))                # r = sqrt(src), resized
    assert r.tolist() == [4, 5]
    assert T.exp(0) == 1.0 and T.floor(-1.5) == -2.0 and T.sqrt(9) == 3.0
    assert T.cinv(D(1, 2, 4)).tolist() == [1, 0.5, 0.25]
    assert T.rsqrt(D(1, 4)).tolist() == [1, 0.5]


def test_round_is_half_away_from_zero():
    assert T.round(2.5) == 3 and T.round(-2.5) == -3 and T.round(0.49999999999999994) == 0
    assert T.round(D(0.5, 1.5, -0.5, 2.4999, -1.6)).tolist() == [1, 2, -1, 2, -2]
    x = D(2.5, -3.5)
    lua.invoke(x, "round")
    assert x.tolist() == [3, -4]


def test_integer_division_truncates_and_scalars_are_truncated():
    x = torch.IntTensor([7, -7, 8])
    assert lua.invoke(x.clone(), "div", 2).tolist() == [3, -3, 4]
    assert lua.invoke(x.clone(), "div", 2).dtype == torch.int32
    assert lua.div(torch.IntTensor([7]), 2).tolist() == [3]
    assert lua.div(D(7), 2).tolist() == [3.5]
    assert lua.invoke(torch.LongTensor([3, 5]), "mul", 2.5).tolist() == [6, 10]   # 2.5 read as 2
    assert lua.invoke(torch.LongTensor([3]), "add", 1.9).tolist() == [4]
    assert T.cdiv(torch.LongTensor([7, -7]), torch.LongTensor([2, 2])).tolist() == [3, -3]


def test_fmod_remainder_signs():
    x = D(5, -5, 5, -5)
    assert T.fmod(x, 3).tolist() == [2, -2, 2, -2]                 # sign of the dividend
    assert T.mod(x, 3).tolist() == [2, -2, 2, -2]                  # Torch7's alias of fmod
    assert T.remainder(x, 3).tolist() == [2, 1, 2, 1]              # sign of the divisor
    assert T.remainder(x, -3).tolist() == [-1, -2, -1, -2]
    assert T.cremainder(D(1, -2), D(0, 5)).isnan().tolist() == [True, False]
    assert T.cremainder(D(1, -2), D(0, 5))[1].item() == 3
    assert T.cfmod(D(-7, 7), D(3, -3)).tolist() == [-1, 1]
    assert T.remainder(torch.LongTensor([-7, 7]), 3).tolist() == [2, 1]


def test_bit_operations_on_integer_tensors_only():
    x = torch.LongTensor([1, 17, 20])
    assert lua.invoke(x.clone(), "bitand", 12).tolist() == [0, 0, 4]
    assert lua.invoke(x.clone(), "bitor", 12).tolist() == [13, 29, 28]
    assert lua.invoke(x.clone(), "bitxor", 12).tolist() == [13, 29, 24]
    assert lua.invoke(x.clone(), "lshift", 2).tolist() == [4, 68, 80]
    assert lua.invoke(x.clone(), "rshift", 1).tolist() == [0, 8, 10]
    assert lua.invoke(D(3), "lshift", 2).tolist() == [12]         # floats: times 2^v
    with pytest.raises(TypeError, match="integer type"):
        lua.invoke(D(3), "bitand", 1)


def test_pow_cpow_clamp_cmax_cmin_lerp():
    x = D(2, 5, 3)
    assert T.pow(x, 2).tolist() == [4, 25, 9]
    assert T.pow(2, x).tolist() == [4, 32, 8]
    assert T.pow(2, 3) == 8
    assert T.cpow(x, D(2, 3, 1)).tolist() == [4, 125, 3]
    assert T.clamp(D(-3, 0, 3), -1, 2).tolist() == [-1, 0, 2]
    assert T.cmax(D(-4, 8), D(-7, 9)).tolist() == [-4, 9]
    assert T.cmin(D(-4, 8), 0).tolist() == [-4, 0]
    y = D(-1, 3)
    lua.invoke(y, "cmax", 0)
    assert y.tolist() == [0, 3]
    assert T.lerp(D(0, 10), D(10, 20), 0.5).tolist() == [5, 15]


def test_addcmul_addcdiv_and_products():
    x = D(1, 1)
    lua.invoke(x, "addcmul", 2, D(1, 2), D(3, 4))                  # x + 2 * t1 * t2
    assert x.tolist() == [7, 17]
    assert T.addcdiv(D(1, 1), D(6, 8), D(3, 4)).tolist() == [3, 3]
    m = D(1, 2, 3, 4).view(2, 2)
    v = D(1, 1)
    r = torch.empty(0, dtype=torch.float64)
    lua.invoke(r, "mv", m, v)
    assert r.tolist() == [3, 7]
    lua.invoke(r, "mm", m, m)
    assert r.tolist() == [[7, 10], [15, 22]]
    assert T.mm(m, m).tolist() == [[7, 10], [15, 22]]
    assert T.ger(D(1, 2), D(3, 4)).tolist() == [[3, 4], [6, 8]]
    e = torch.eye(2, dtype=torch.float64)
    assert T.addmm(e, m, m).tolist() == [[8, 10], [15, 23]]
    assert T.addmm(2, e, m, m).tolist() == [[9, 10], [15, 24]]     # beta before M
    assert T.addmm(e, 3, m, m).tolist() == [[22, 30], [45, 67]]    # alpha after M
    y = e.clone()
    lua.invoke(y, "addmm", 3, m, m)                                # one number: alpha
    assert y.tolist() == [[22, 30], [45, 67]]
    y = e.clone()
    lua.invoke(y, "addmm", 2, 3, m, m)                             # beta, alpha
    assert y.tolist() == [[23, 30], [45, 68]]
    assert lua.mul(D(1, 2), D(3, 4)) == 11                          # 1-D * 1-D: a number


def test_cross_defaults_to_the_first_dimension_of_size_3():
    assert T.cross(D(1, 0, 0), D(0, 1, 0)).tolist() == [0, 0, 1]
    a = D(1, 0, 0, 1, 0, 0).view(3, 2)
    b = D(0, 0, 1, 0, 0, 1).view(3, 2)
    assert T.cross(a, b).tolist() == [[0, 1], [0, 0], [1, 0]]        # columns: e1 x e2, e2 x e3
    assert lua.invoke(a.t(), "cross", b.t()).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert lua.invoke(D(5, -8, -9), "cross", D(-6, -5, -1), 1).tolist() == [-37, 59, -73]


# ------------------------------------------------------------------------------ comparisons
def test_comparisons_give_byte_tensors_or_fill_the_result():
    x = D(4, -7, -5, 8)
    m = lua.invoke(x, "gt", 0)
    assert m.dtype == torch.uint8 and m.tolist() == [1, 0, 0, 1]
    assert lua.torch.type(m) == "torch.ByteTensor"
    assert T.le(x, D(4, 0, -6, 9)).tolist() == [1, 1, 0, 1]
    assert lua.invoke(m, "sum") == 2
    d = torch.empty(0, dtype=torch.float64)
    lua.invoke(d, "gt", x, -1)
    assert d.dtype == torch.float64 and d.tolist() == [1, 0, 0, 1]
    T.le(d, x, -1)
    assert d.tolist() == [0, 1, 1, 0]
    assert T.lt(torch.LongTensor([1, 2]), 1.5).tolist() == [0, 0]   # 1.5 read as 1 for a LongTensor
    assert lua.invoke(torch.IntTensor([-1, 0]), "eq", -1.5).tolist() == [1, 0]
    assert lua.invoke(torch.ByteTensor([1, 0]), "any") is True
    assert lua.invoke(torch.ByteTensor([1, 0]), "all") is False


# ------------------------------------------------------------------------------ reductions
def test_float_reductions_accumulate_in_double():
    f = torch.FloatTensor([0.1, 0.2, 0.7])
    exact = as_float(0.1) + as_float(0.2) + as_float(0.7)           # Lua numbers are doubles
    assert lua.invoke(f, "sum") == exact
    assert lua.invoke(f, "mean") == exact / 3
    assert lua.invoke(f, "max") == as_float(0.7)
    running = lua.invoke(torch.FloatTensor([0.1, 0.2, 0.7, 1e8, -1e8, 0.3]), "cumsum")
    # In double the 1.0 survives adding and removing 1e8; a float running sum would end at 0.3.
    assert running[-1].item() == as_float(exact + 1e8 - 1e8 + as_float(0.3))


def test_std_var_biased_flag_and_dims():
    x = D(1, 2, 3, 4)
    assert lua.invoke(x, "var") == pytest.approx(5 / 3)
    assert lua.invoke(x, "var", True) == pytest.approx(1.25)       # x:var(true): biased
    assert lua.invoke(x, "std", True) == pytest.approx(math.sqrt(1.25))
    m = D(1, 3, 2, 6).view(2, 2)
    assert lua.invoke(m, "var", 2).tolist() == [[2], [8]]
    assert lua.invoke(m, "var", 2, True).tolist() == [[1], [4]]
    assert lua.invoke(m, "sum", 1).tolist() == [[3, 9]]
    assert lua.invoke(m, "mean", 2).tolist() == [[2], [4]]
    assert T.cumsum(D(1, 2, 3)).tolist() == [1, 3, 6]
    assert T.cumprod(m, 2).tolist() == [[1, 3], [2, 12]]
    assert T.norm(D(3, 4)) == 5 and T.norm(D(3, -4), 1) == 7
    assert T.dist(D(0, 0), D(3, 4)) == 5
    assert T.trace(m) == 7
    assert T.prod(D(2, 3, 4)) == 24


def test_max_min_keep_the_dimension_with_1_based_indices():
    m = D(1, 9, 4, 7, 2, 8).view(2, 3)
    v, i = T.max(m, 2)
    assert v.tolist() == [[9], [8]] and i.tolist() == [[2], [3]]
    v, i = lua.invoke(m, "min", 1)
    assert v.tolist() == [[1, 2, 4]] and i.tolist() == [[1, 2, 1]]
    assert T.max(m) == 9
    assert T.max(D(3, 5)) == 5
    v, i = T.max(D(3, 5), 1)                        # 1-D along dim 1: size 1
    assert v.tolist() == [5] and i.tolist() == [2]


def test_renorm_scales_slices_over_maxnorm():
    m = D(3, 4, 0, 1).view(2, 2)
    out = T.renorm(m, 2, 1, 1)                       # rows (dim 1): norms 5 and 1
    assert out[0].tolist() == pytest.approx([0.6, 0.8])
    assert out[1].tolist() == [0, 1]
    assert m.tolist() == [[3, 4], [0, 1]]            # torch.renorm: a new tensor
    lua.invoke(m, "renorm", 2, 1, 1)
    assert m[0].tolist() == pytest.approx([0.6, 0.8])


def test_histc_and_equal():
    assert T.histc(D(1, 2, 1), 2).tolist() == [2, 1]               # min = max = 0: the data's range
    assert T.histc(D(0.5, 1.5, 9), 2, 0, 2).tolist() == [1, 1]
    # Torch7's bin is (int)((v - min) / (max - min) * nbins): 0.3 / 0.9 * 3 is 1.0
    # (bin 2 of 3), where (v - min) * nbins / (max - min) gives 0.9999999999999999 (bin 1).
    assert 0.3 / 0.9 * 3 == 1 > 0.3 * 3 / 0.9
    assert T.histc(D(0.3, 0.9), 3, 0, 0.9).tolist() == [0, 1, 1]
    assert T.histc(D(5, 5), 2).tolist() == [0, 2]                   # one value: the range 4..6
    assert T.bhistc(D(1, 2, 3, 3).view(2, 2), 2, 1, 3).tolist() == [[1, 1], [0, 2]]
    r = torch.empty(0, dtype=torch.float64)
    lua.invoke(r, "match", D(0, 0, 1, 1).view(2, 2), D(1, 0).view(1, 2), 2)
    assert r.tolist() == [[2], [2]]                                  # 2 * |(0,0)-(1,0)|^2, 2 * |(1,1)-(1,0)|^2
    assert T.equal(D(1, 2), D(1, 2)) is True
    assert T.equal(D(1, 2), D(1, 3)) is False
    assert T.equal(D(1, 2), D(1, 2, 3)) is False


# ------------------------------------------------------------------------------ sorting
def test_sort_descending_flag_and_dims():
    x = D(5, -0.75, -3.25, -3.75, -1)
    s, i = T.sort(x)
    assert s.tolist() == [-3.75, -3.25, -1, -0.75, 5] and i.tolist() == [4, 3, 5, 2, 1]
    s, i = lua.invoke(x, "sort", True)
    assert s.tolist() == [5, -0.75, -1, -3.25, -3.75] and i.tolist() == [1, 2, 5, 3, 4]
    m = D(3, 1, 2, 0).view(2, 2)
    s, i = T.sort(m, 1, True)
    assert s.tolist() == [[3, 1], [2, 0]] and i.tolist() == [[1, 1], [2, 2]]


def test_sort_ties_follow_torch7_insertion_sort_on_short_slices():
    # Up to 11 elements Torch7 only runs its insertion sort, which keeps equal values in order.
    s, i = T.sort(D(2, 1, 2, 1))
    assert s.tolist() == [1, 1, 2, 2] and i.tolist() == [2, 4, 1, 3]
    s, i = T.sort(D(2, 1, 2, 1), True)
    assert s.tolist() == [2, 2, 1, 1] and i.tolist() == [1, 3, 2, 4]


def test_sort_ties_on_long_slices_give_a_consistent_permutation():
    x = D(*([3, 1, 2] * 6))
    s, i = T.sort(x)
    assert s.tolist() == sorted(x.tolist())
    assert sorted(i.tolist()) == list(range(1, 19))
    assert [x[j - 1].item() for j in i.tolist()] == s.tolist()


def test_kthvalue_median_mode_keep_a_dimension_on_1d():
    v, i = lua.invoke(D(9, -1, 2, -2, 0), "kthvalue", 4)
    assert v.tolist() == [2] and i.tolist() == [3] and i.dtype == torch.int64
    # Torch7's quickselect on {3, 1, 2, 1} leaves the 1 that was second in place 1 (worked by hand).
    v, i = T.kthvalue(D(3, 1, 2, 1), 1)
    assert v.tolist() == [1] and i.tolist() == [2]
    v, i = T.median(D(2, 6, -8, -6, -7))                            # lower median of 5: the 3rd
    assert v.tolist() == [-6] and i.tolist() == [4]
    v, i = T.median(D(4, 1, 3, 2))                                  # of 4: the 2nd smallest
    assert v.tolist() == [2] and i.tolist() == [4]
    mv, mi = lua.invoke(D(-8, 9, -1, -7, -5, -4).view(2, 3), "median", 2)
    assert mv.tolist() == [[-1], [-5]] and mi.tolist() == [[3], [2]]
    v, i = T.mode(D(3, 3, 5, 3, 9))                                  # the last 3 after the sort
    assert v.tolist() == [3] and i.tolist() == [4]
    v, i = T.mode(D(7, 2, 7, 2))                                     # equal counts: the smaller
    assert v.tolist() == [2] and i.tolist() == [4]


def test_topk_smallest_by_default_largest_with_dir():
    v, i = T.topk(D(5, 1, 4, 2, 3), 2)
    assert v.tolist() == [1, 2] and i.tolist() == [2, 4]
    v, i = T.topk(D(5, 1, 4, 2, 3), 2, 1, True, True)
    assert v.tolist() == [5, 4] and i.tolist() == [1, 3]


# ------------------------------------------------------------------------------ indexing
def test_index_forms_and_their_torch7_return_values():
    x = D(-2, 3, -4, -3, -1, 5, 0, 1, -6, 2, 7, -8).view(3, 4)
    assert lua.invoke(x, "index", 1, torch.LongTensor([3, 1])).tolist() == [[-6, 2, 7, -8], [-2, 3, -4, -3]]
    assert lua.invoke(x, "index", 2, torch.LongTensor([4, 1]))[:, 0].tolist() == [-3, 1, -8]
    r = torch.Tensor().double()
    idx = torch.LongTensor([2])
    assert lua.invoke(r, "index", x, 1, idx) is idx                 # the C method returns its last argument
    assert r.tolist() == [[-1, 5, 0, 1]]
    y = torch.zeros(3, 2, dtype=torch.float64)
    src = D(1, 2, 3, 4).view(2, 2)
    assert lua.invoke(y, "indexCopy", 1, torch.LongTensor([3, 1]), src) is src
    assert y.tolist() == [[3, 4], [0, 0], [1, 2]]
    assert lua.invoke(y, "indexFill", 2, torch.LongTensor([2]), -1) == -1
    assert y.tolist() == [[3, -1], [0, -1], [1, -1]]
    lua.invoke(y, "indexAdd", 1, torch.LongTensor([2, 2]), src)
    assert y[1].tolist() == [4, 5]


def test_masks_gather_scatter_nonzero():
    x = D(1, -2, 3, -4)
    mask = lua.invoke(x, "lt", 0)
    assert lua.invoke(x, "maskedSelect", mask).tolist() == [-2, -4]
    assert lua.invoke(x.clone(), "maskedFill", mask, 0) == 0
    y = x.clone()
    lua.invoke(y, "maskedCopy", mask, D(10, 20))
    assert y.tolist() == [1, 10, 3, 20]
    lua.setindex(y, mask, 7)
    assert y.tolist() == [1, 7, 3, 7]
    m = D(1, 2, 3, 4).view(2, 2)
    assert T.gather(m, 2, torch.LongTensor([[2], [1]])).tolist() == [[2], [3]]
    z = torch.zeros(2, 2, dtype=torch.float64)
    lua.invoke(z, "scatter", 2, torch.LongTensor([[2], [1]]), 9)
    assert z.tolist() == [[0, 9], [9, 0]]
    assert T.nonzero(D(0, 5, 0, 6)).tolist() == [[2], [4]]
    assert lua.index(D(4, 5, 6), torch.ByteTensor([3])[0].item()) == 6


def test_map_map2_apply_take_lua_functions():
    x = D(1, 2, 3)
    lua.invoke(x, "apply", lambda v: v * 10)
    assert x.tolist() == [10, 20, 30]
    lua.invoke(x, "map", D(1, 1, 1), lambda a, b: a + b)
    assert x.tolist() == [11, 21, 31]
    lua.invoke(x, "map2", D(1, 2, 3), D(0, 0, 1), lambda a, b, c: a - b + c)
    assert x.tolist() == [10, 19, 29]
    lua.invoke(x, "apply", lambda v: None)                           # nil keeps the value
    assert x.tolist() == [10, 19, 29]


# ------------------------------------------------------------------------------ convolutions, linear algebra
def test_conv2_is_a_convolution_and_xcorr2_a_correlation():
    img = D(1, 2, 3, 4, 5, 6, 7, 8, 9).view(3, 3)
    k = D(1, 0, 0, -1).view(2, 2)
    assert T.xcorr2(img, k).tolist() == [[-4, -4], [-4, -4]]         # img[i][j] - img[i+1][j+1]
    assert T.conv2(img, k).tolist() == [[4, 4], [4, 4]]              # the kernel flipped
    full = T.conv2(img, k, "F")
    assert full.shape == (4, 4) and full[0, 0].item() == 1 and full[3, 3].item() == -9
    with pytest.raises(ValueError, match="'V'"):
        T.conv2(img, k, "X")


def test_inverse_gesv_symeig():
    inv = T.inverse(D(6, 0, 0, 5).view(2, 2))
    assert inv.tolist() == [[pytest.approx(1 / 6), 0], [0, 0.2]]
    assert math.copysign(1, inv[0, 1].item()) == -1                  # LAPACK's getri leaves -0 there
    assert T.inverse(D(4, 7, 2, 6).view(2, 2)).tolist() == [[pytest.approx(0.6), pytest.approx(-0.7)],
                                                            [pytest.approx(-0.2), pytest.approx(0.4)]]
    p = T.inverse(D(0, 1, 1, 0).view(2, 2))                          # needs a row swap
    assert p.tolist() == [[0, 1], [1, 0]]
    x, lu = T.gesv(D(4, 2).view(2, 1), D(6, 0, 0, 5).view(2, 2))
    assert x.view(-1).tolist() == [pytest.approx(2 / 3), pytest.approx(0.4)]
    e, _ = T.symeig(D(2, 1, 1, 2).view(2, 2))
    assert e.tolist() == [pytest.approx(1), pytest.approx(3)]


def test_invoke_on_a_parameter_changes_it_as_plain_data():
    w = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    lua.invoke(w, "add", D(1, 2))
    assert w.tolist() == [2, 3]


def test_bad_forms_name_the_call():
    with pytest.raises(TypeError, match="torch.add"):
        T.add(D(1), D(1), D(1), D(1), D(1))
