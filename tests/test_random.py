"""compat.torch_random: Torch7's generator. Expected values are computed here from NumPy's legacy
``RandomState(seed)`` (MT19937 seeded with init_genrand, the stream Torch7 uses) and Torch7's formulas
written out by hand (THRandom.c, THTensorRandom.c, TensorMath.lua), or are numbers the real Torch7
and LuaJIT printed (the transcript suite)."""
import bisect
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from compat import lua, nn
from compat import torch as ctorch
from compat import torch_random as tr


def words(seed, n):
    """The first n 32-bit MT19937 words after init_genrand(seed & 0xffffffff)."""
    return [int(w) for w in np.random.RandomState(seed & 0xFFFFFFFF).randint(0, 2 ** 32, n, dtype=np.uint32)]


def uniforms(seed, n):
    return [w / 4294967296.0 for w in words(seed, n)]


def box_muller(seed, n):
    """Torch7's normal(0, 1) sequence: cos then sin of each pair of uniforms (x, y)."""
    u = uniforms(seed, n + 1)
    out = []
    for x, y in zip(u[0::2], u[1::2]):
        rho = math.sqrt(-2.0 * math.log(1.0 - y))
        out += [rho * math.cos(2.0 * math.pi * x), rho * math.sin(2.0 * math.pi * x)]
    return out[:n]


pytestmark = pytest.mark.usefixtures("double_default")


@pytest.mark.parametrize("seed", [0, 1, 26500, 2597912917, 2 ** 32 + 7, -3])
def test_words_are_mt19937_seeded_with_init_genrand(seed):
    g = tr.Generator(seed)
    assert g.words(1500).tolist() == words(seed, 1500)     # crosses two regenerations of the 624 words
    assert g.initialSeed() == seed                         # Torch7 returns the seed as a long


def test_manual_seed_uniform_rand_and_float_rounding():
    ctorch.manualSeed(649952)
    assert ctorch.rand(5).tolist() == uniforms(649952, 5)
    assert ctorch.initialSeed() == 649952
    ctorch.manualSeed(7)
    u = uniforms(7, 7)
    assert ctorch.uniform() == u[0]
    assert ctorch.uniform(-3, 1) == u[1] * 4 - 3
    x = ctorch.rand(torch.Size([2, 2]), dtype=torch.float32)                   # LongStorage-like sizes
    assert x.dtype == torch.float32
    assert x.reshape(-1).tolist() == [float(np.float32(v)) for v in u[2:6]]   # double, then rounded
    assert ctorch.rand(2, 3).shape == (2, 3)
    # a Float tensor's bounds are read as floats first (Torch7's `real` arguments)
    ctorch.manualSeed(8)
    f = lua.invoke(torch.empty(1, dtype=torch.float32), "uniform", -0.1, 0.1)
    a, b = float(np.float32(-0.1)), float(np.float32(0.1))
    assert f.item() == float(np.float32(uniforms(8, 1)[0] * (b - a) + a))


def test_normal_uses_the_cached_pair_across_calls():
    ctorch.manualSeed(297016)
    z = box_muller(297016, 6)
    assert [ctorch.normal() for _ in range(3)] == z[:3]
    assert ctorch.normal(-1, 3) == z[3] * 3 - 1                  # the cached sine, scaled by this call
    ctorch.manualSeed(442472)
    z = box_muller(442472, 6)
    a, b = ctorch.randn(3), ctorch.randn(3)                       # odd counts: the 4th value is cached
    assert a.tolist() + b.tolist() == z
    x = lua.invoke(torch.empty(2, 2), "normal", 2, 1.5)
    assert x.reshape(-1).tolist() == [v * 1.5 + 2 for v in box_muller(442472, 10)[6:]]


def test_manual_seed_forgets_the_cached_normal():
    ctorch.manualSeed(5)
    ctorch.normal()
    ctorch.manualSeed(5)
    assert ctorch.normal() == box_muller(5, 1)[0]
    with pytest.raises(ValueError, match="standard deviation must be strictly positive"):
        ctorch.normal(0, 0)


def test_large_draws_agree_with_small_ones():
    ctorch.manualSeed(11)
    big = ctorch.randn(tr.EXACT_SIZE * 2 + 1)                     # the vectorised path
    ctorch.manualSeed(11)
    small = torch.cat([ctorch.randn(tr.EXACT_SIZE) for _ in range(2)] + [ctorch.randn(1)])
    assert torch.allclose(big, small, rtol=1e-15, atol=0)         # equal up to libm's last bit
    ctorch.manualSeed(11)
    assert ctorch.rand(100000).tolist() == uniforms(11, 100000)    # uniforms are always exact


def test_random_forms():
    ctorch.manualSeed(630970)
    w = words(630970, 3)
    assert ctorch.random() == w[0]
    assert ctorch.random(71) == w[1] % 71 + 1
    assert ctorch.random(1, 18) == w[2] % 18 + 1
    ctorch.manualSeed(3)
    w = words(3, 12)
    assert lua.invoke(torch.empty(4), "random", 3, 7).tolist() == [v % 5 + 3 for v in w[:4]]
    long = lua.invoke(torch.empty(4, dtype=torch.int64), "random", 86)
    assert long.dtype == torch.int64 and long.tolist() == [v % 86 + 1 for v in w[4:8]]
    assert lua.invoke(torch.empty(2, dtype=torch.uint8), "random").tolist() == [v % 256 for v in w[8:10]]
    # a negative lower bound: unsigned arithmetic, which an integer type wraps back and a Double shows
    ctorch.manualSeed(4)
    w = words(4, 4)
    ints = lua.invoke(torch.empty(2, dtype=torch.int32), "random", -5, 5)
    assert ints.tolist() == [v % 11 - 5 for v in w[:2]]
    doubles = lua.invoke(torch.empty(2), "random", -5, 5).tolist()
    assert doubles == [float((v % 11 - 5) % 2 ** 64) for v in w[2:]]
    assert ctorch.random(-5, 5) in range(-5, 6)
    with pytest.raises(ValueError, match="upper bound must be strictly positive"):
        ctorch.random(0)
    with pytest.raises(ValueError, match="upper bound must be larger than lower bound"):
        ctorch.random(3, 2)


def test_randperm_is_torch7s_fisher_yates():
    ctorch.manualSeed(38694)
    perm = list(range(1, 9))
    for i, w in enumerate(words(38694, 7)):
        j = i + w % (8 - i)
        perm[i], perm[j] = perm[j], perm[i]
    p = ctorch.randperm(8)
    assert p.dtype == torch.float64 and p.tolist() == perm        # Torch7 prints the transcript's 4 3 6 8 1 7 2 5
    assert perm == [4, 3, 6, 8, 1, 7, 2, 5]
    assert ctorch.randperm(3, "torch.LongTensor").dtype == torch.int64
    assert ctorch.randperm(1).tolist() == [1]
    for n, seed in ((2, 1), (3, 2), (1000, 3), (4097, 4)):     # long chains of swaps into one position
        ctorch.manualSeed(seed)
        perm = list(range(1, n + 1))
        for i, w in enumerate(words(seed, n - 1)):
            j = i + w % (n - i)
            perm[i], perm[j] = perm[j], perm[i]
        assert ctorch.randperm(n).tolist() == perm


def test_bernoulli_exponential_geometric_cauchy_lognormal():
    ctorch.manualSeed(897437)
    u = uniforms(897437, 9)
    assert lua.invoke(torch.empty(3), "exponential", 0.5).tolist() == [-1 / 0.5 * math.log(1 - v) for v in u[:3]]
    assert lua.invoke(torch.empty(3), "geometric", 0.5).tolist() == [
        int(math.log(1 - v) / math.log(0.5)) + 1 for v in u[3:6]]
    assert lua.invoke(torch.empty(3), "cauchy").tolist() == [math.tan(math.pi * (v - 0.5)) for v in u[6:9]]
    ctorch.manualSeed(21)
    z = box_muller(21, 2)
    x = lua.invoke(torch.empty(2), "logNormal", 1, 0.5)
    expected = [math.exp(v * 0.5 + 1) for v in z]
    assert x.tolist() == expected
    ctorch.manualSeed(630247)
    u = uniforms(630247, 7)
    assert (ctorch.bernoulli(0.7), ctorch.bernoulli()) == (int(u[0] <= 0.7), int(u[1] <= 0.5))
    assert lua.invoke(torch.empty(5), "bernoulli", 0.7).tolist() == [float(v <= 0.7) for v in u[2:7]]
    ctorch.manualSeed(9)
    p = torch.tensor([0.0, 1.0, 0.5, 0.25])
    assert lua.invoke(torch.empty(4), "bernoulli", p).tolist() == [
        float(v <= q) for v, q in zip(uniforms(9, 4), p.tolist())]
    with pytest.raises(ValueError, match="p must be >= 0 and <= 1"):
        ctorch.bernoulli(1.5)
    with pytest.raises(ValueError, match="p must be > 0 and < 1"):
        ctorch.geometric(1)


def _search(cum, u):
    return bisect.bisect_left(cum, u)          # first slot whose cumulative sum is >= u


def test_multinomial_with_and_without_replacement():
    probs = [0.5, 0.25, 0.25]
    ctorch.manualSeed(370712)
    u = uniforms(370712, 7)
    cum = [0.5, 0.75, 1.0]
    with_rep = ctorch.multinomial(torch.tensor(probs), 5, True)
    assert with_rep.dtype == torch.int64 and with_rep.tolist() == [_search(cum, v) + 1 for v in u[:5]]
    # without replacement: the drawn slot's mass leaves the cumulative sums, which are renormalised
    first = _search(cum, u[5])
    mass = cum[first] - (cum[first - 1] if first else 0.0)
    cum2 = [(c - mass if k >= first else c) / (1 - mass) for k, c in enumerate(cum)]
    cum2[-1] = 1.0
    second = _search(cum2, u[6])
    assert ctorch.multinomial(torch.tensor(probs), 2).tolist() == [first + 1, second + 1]
    two_rows = ctorch.multinomial(torch.tensor([[1.0, 0.0], [0.0, 3.0]]), 3, True)
    assert two_rows.tolist() == [[1, 1, 1], [2, 2, 2]]
    with pytest.raises(ValueError, match="without replacement"):
        ctorch.multinomial(torch.tensor(probs), 4)
    with pytest.raises(ValueError, match="sum of probabilities"):
        ctorch.multinomial(torch.zeros(3), 1)


def test_rng_state_bytes_round_trip():
    ctorch.manualSeed(12131)
    fresh = ctorch.getRNGState()
    assert fresh.dtype == torch.uint8 and fresh.numel() == tr.STATE_SIZE == 5048
    head = np.frombuffer(fresh.numpy().tobytes()[:24], dtype="<u8")
    assert head[0] == 12131 and int(np.frombuffer(fresh.numpy().tobytes()[8:12], "<i4")[0]) == 1   # left = 1
    assert int(head[2]) == 0                                                                          # next = 0
    ctorch.normal()                                        # leaves a cached sine in the state
    state = ctorch.getRNGState()
    a = (ctorch.normal(), ctorch.rand(700).tolist())
    ctorch.manualSeed(1)
    ctorch.setRNGState(state)
    assert (ctorch.normal(), ctorch.rand(700).tolist()) == a
    ctorch.setRNGState(fresh)
    assert torch.equal(ctorch.getRNGState(), fresh)
    assert ctorch.rand(3).tolist() == uniforms(12131, 3)
    with pytest.raises(ValueError, match="wrong size"):
        ctorch.setRNGState(torch.zeros(10, dtype=torch.uint8))
    with pytest.raises(ValueError, match="Invalid RNG state"):
        ctorch.setRNGState(torch.zeros(tr.STATE_SIZE, dtype=torch.uint8))
    with pytest.raises(TypeError, match="ByteTensor"):
        ctorch.setRNGState(torch.zeros(tr.STATE_SIZE))


def test_seed_picks_a_new_seed_for_both_streams():
    s = ctorch.seed()
    assert ctorch.initialSeed() == s
    g = tr.Generator(s)
    assert ctorch.rand(3).tolist() == g.uniforms(3).tolist()


def test_nn_reset_draws_in_torch7s_order():
    ctorch.manualSeed(366744)
    m = nn.Linear(3, 2)
    s = 1 / math.sqrt(3)
    u = uniforms(366744, 8)
    assert m.weight.reshape(-1).tolist() == [v * (2 * s) - s for v in u[:6]]     # u * (b - a) + a
    assert m.bias.tolist() == [v * (2 * s) - s for v in u[6:8]]
    assert m.weight[0, 0].item() == -0.49878678000694521                        # what Torch7 printed
    ctorch.manualSeed(2)
    conv = nn.SpatialConvolution(2, 3, 3, 3)
    s = 1 / math.sqrt(3 * 3 * 2)
    u = uniforms(2, 54 + 3)
    assert conv.weight.reshape(-1).tolist() == [v * (2 * s) - s for v in u[:54]]
    assert conv.bias.tolist() == [v * (2 * s) - s for v in u[54:]]
    ctorch.manualSeed(6)                            # per connection s = 1/sqrt(kW kH fan-in of its output plane)
    conv_map = nn.SpatialConvolutionMap(torch.tensor([[1.0, 1.0], [2.0, 1.0], [2.0, 2.0]]), 2, 1)
    u = uniforms(6, 8)
    s1, s2 = 1 / math.sqrt(2 * 2), 1 / math.sqrt(2)
    bounds = [s1] * 4 + [s2] * 2                   # kernels of 2: two connections into plane 1, one into 2
    assert conv_map.weight.reshape(-1).tolist() == [v * (2 * b) - b for v, b in zip(u[:6], bounds)]
    assert conv_map.bias.tolist() == [v * (2 * b) - b for v, b in zip(u[6:8], (s1, s2))]
    ctorch.manualSeed(3)
    lookup = nn.LookupTable(2, 2)
    assert lookup.weight.reshape(-1).tolist() == box_muller(3, 4)


def test_pytorch_keywords_go_to_pytorch():
    g = torch.Generator().manual_seed(0)
    assert torch.equal(ctorch.rand(3, generator=g), torch.rand(3, generator=torch.Generator().manual_seed(0)))
    mean = torch.zeros(2)
    assert ctorch.normal(mean, torch.ones(2)).shape == (2,)        # PyTorch's normal(means, stds)


def test_luajit_math_random():
    lua.math.randomseed(865)
    first = lua.math.random()
    assert "%.14g" % first == "0.57465265470324"                   # what LuaJIT printed
    assert (lua.math.random(5), lua.math.random(4, 17)) == (2, 6)
    lua.math.randomseed(865)
    assert lua.math.random() == first
    with pytest.raises(TypeError, match="number expected"):
        lua.math.random("x")


def test_importing_compat_changes_no_random_state():
    code = ("import numpy, random, torch; t = torch.get_rng_state(); n = numpy.random.get_state()[1].copy(); "
            "p = random.getstate(); import compat, compat.torch, compat.nn, compat.lua; "
            "from compat import torch_random; assert torch_random._default is None; "
            "assert torch.equal(t, torch.get_rng_state()); assert (n == numpy.random.get_state()[1]).all(); "
            "assert p == random.getstate()")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
