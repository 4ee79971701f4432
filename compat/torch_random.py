"""Torch7's random-number generator: after ``torch.manualSeed(s)`` every function here gives the
numbers Torch7 gave for the same seed (torch7 ``lib/TH/THRandom.c``, ``generic/THTensorRandom.c``,
the ``TensorMath.lua`` / ``random.lua`` wrappers).

The stream is MT19937 seeded with ``init_genrand(seed & 0xffffffff)``; NumPy's ``MT19937`` bit
generator, given that state, produces the same 32-bit words (``random_raw``), so every draw is
vectorised. Torch7's transforms of one word ``u``:

- uniform(a, b) = ``u / 2^32 * (b - a) + a``; bernoulli(p) = ``uniform(0, 1) <= p``;
- normal(mean, stdv): Box-Muller on a pair of uniforms (x, y), ``rho = sqrt(-2 log(1 - y))``; the
  first call returns ``rho cos(2 pi x) stdv + mean``, the next one ``rho sin(2 pi x) stdv + mean``
  (the pair is cached between calls, and ``manualSeed`` forgets it);
- exponential(l) = ``-1/l log(1 - uniform)``; cauchy(m, s) = ``m + s tan(pi (uniform - 1/2))``;
  logNormal(m, s) = ``exp(normal(m, s))``; geometric(p) = ``int(log(1 - uniform) / log(p)) + 1``;
- random() = u; random(b) = ``u % b + 1``; random(a, b) = ``u % (b + 1 - a) + a`` (in unsigned 64-bit
  arithmetic, as Torch7's C: a negative ``a`` wraps, which a Float/Double tensor shows as a huge value);
- randperm(n): Fisher-Yates, position i swapped with ``i + u % (n - i)``;
- multinomial: one uniform per sample, searched in the normalised cumulative sums (kept in double).

A tensor is filled in its logical (row-major) element order, each value computed in double and then
rounded to the tensor's type (Torch7's ``(real)`` cast); a Float tensor's parameters are rounded to
float first, as Torch7's wrappers read them as ``real``.

``log``, ``exp``, ``sin``, ``cos`` and ``tan`` are the C library's (Python's ``math``) for draws of up
to :data:`EXACT_SIZE` values, so they are bit for bit Torch7's where Torch7 used the same C library;
larger draws use NumPy's vectorised functions, which may differ from the C library in the last bit
for a few values in a thousand (see docs/api.md, "The Torch7 generator").

How this stream relates to PyTorch's: :func:`manualSeed` and :func:`seed` seed both this generator
and PyTorch's (``torch.manual_seed``). The functions of ``compat.torch`` and the tensor methods of
translated code (``lua.invoke(x, 'uniform')``) and every ``compat.nn`` ``reset()`` draw from this
one; PyTorch's own functions (``torch.rand`` of PyTorch, ``x.uniform_()``, ``torch.nn.init``,
``torch.nn.Dropout``) keep drawing from PyTorch's generator. Importing this module changes nothing:
the default generator is created, seeded from ``os.urandom`` as Torch7 seeds it at start-up, on
first use.
"""
import contextlib
import math
import os

import numpy as np
import torch

from compat.t7.objects import TORCH_CLASSES

__all__ = [
    "EXACT_SIZE", "Generator", "STATE_SIZE", "bernoulli", "cauchy", "default_generator", "exponential", "fork_rng",
    "geometric", "getRNGState", "initialSeed", "logNormal", "manualSeed", "multinomial", "normal",
    "rand", "randn", "random", "randperm", "seed", "setRNGState", "uniform", "TENSOR_METHODS",
]

#: Draws of at most this many values use the C library's log/exp/sin/cos/tan (exact), larger ones NumPy's.
EXACT_SIZE = 1 << 14

_N = 624                     # MT19937 words (THRandom.h _MERSENNE_STATE_N)
_U64 = (1 << 64) - 1
_TWO_PI = 2.0 * math.pi      # C's 2.*M_PI, folded exactly
_INV_2_32 = 1.0 / 4294967296.0

# The bytes of Torch7's THGenerator struct on a 64-bit Linux (what getRNGState gives, 5048 bytes).
_STATE_DTYPE = np.dtype([
    ("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
    ("state", "<u8", (_N,)), ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"),
    ("normal_is_valid", "<i4"), ("pad", "<i4")])
#: Size in bytes of the state tensor of :func:`getRNGState` (Torch7's ``sizeof(THGenerator)``).
STATE_SIZE = _STATE_DTYPE.itemsize


def _init_genrand(seed32):
    """MT19937's ``init_genrand``: the 624 words of a freshly seeded generator (THRandom_manualSeed)."""
    words = [seed32]
    for j in range(1, _N):
        prev = words[-1]
        words.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return np.array(words, dtype=np.uint32)


def _libm(name, x, out=None):
    """``name`` (log, exp, sin, cos, tan) of a float64 array, into ``out`` when given: the C library's
    for small arrays (exact), NumPy's vectorised one for large ones."""
    if x.size <= EXACT_SIZE:
        f = getattr(math, name)
        try:
            values = np.fromiter(map(f, x.tolist()), np.float64, x.size)
        except (ValueError, OverflowError):        # C gives inf/nan where Python's math raises
            pass
        else:
            if out is None:
                return values
            out[...] = values
            return out
    with np.errstate(all="ignore"):
        return getattr(np, name)(x, out=out)


def _integer(name, value):
    """A Lua number read as a C ``long`` (Torch7's wrappers truncate towards zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return int(value)


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    return float(value)


class Generator:
    """One Torch7 random stream (a ``THGenerator``): MT19937 plus Box-Muller's cached pair.

    ``Generator(seed)`` is seeded like ``torch.manualSeed(seed)``; ``Generator()`` from ``os.urandom``
    as Torch7 seeds its default generator.
    """

    def __init__(self, seed=None):
        self._bits = np.random.MT19937(0)
        if seed is None:
            self.seed()
        else:
            self.manualSeed(seed)

    # ----------------------------------------------------------------------------- seeding
    def manualSeed(self, seed):
        """Torch7 ``THRandom_manualSeed``: reset everything, the Box-Muller pair included."""
        initial = _integer("seed", seed) & _U64
        self._set_words(_init_genrand(initial & 0xFFFFFFFF), _N)
        self._initial = initial
        self._fresh = True                       # Torch7 keeps next = 0 until the first draw
        self._pair = (0.0, 0.0, 0.0)             # Box-Muller's last (x, y, rho)
        self._pending = False                    # its sine not yet returned (normal_is_valid)
        return self

    def seed(self):
        """Torch7 ``THRandom_seed``: a seed read from ``os.urandom`` (Torch7 reads /dev/urandom),
        applied with :meth:`manualSeed`; returns it as Torch7 does (a signed long)."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manualSeed(value)
        return self.initialSeed()

    def initialSeed(self):
        """The seed last given (as Torch7's ``long``: values of 2^63 and more come back negative)."""
        return self._initial - (1 << 64) if self._initial >= 1 << 63 else self._initial

    def _set_words(self, key, pos):
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": int(pos)}}

    # ----------------------------------------------------------------------------- state bytes
    def getState(self):
        """Torch7's state bytes (``getRNGState``): a uint8 tensor laid out as ``THGenerator``."""
        st = self._bits.state["state"]
        record = np.zeros((), dtype=_STATE_DTYPE)
        pos = int(st["pos"])
        record["the_initial_seed"] = self._initial
        record["left"] = _N + 1 - pos
        record["seeded"] = 1
        record["next"] = 0 if self._fresh else pos
        record["state"] = st["key"]
        record["normal_x"], record["normal_y"], record["normal_rho"] = self._pair
        record["normal_is_valid"] = int(self._pending)
        return torch.from_numpy(np.frombuffer(record.tobytes(), dtype=np.uint8).copy())

    def setState(self, state):
        """Restore bytes made by :meth:`getState` (or by Torch7's ``getRNGState``)."""
        if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
            raise TypeError(f"state must be a torch.ByteTensor (uint8) from getRNGState, got "
                            f"{getattr(state, 'dtype', type(state).__name__)}")
        if state.numel() != STATE_SIZE:
            raise ValueError(f"RNG state is wrong size: expecting {STATE_SIZE} bytes, got {state.numel()}")
        record = np.frombuffer(state.contiguous().cpu().numpy().tobytes(), dtype=_STATE_DTYPE)[0]
        left, nxt = int(record["left"]), int(record["next"])
        if int(record["seeded"]) != 1 or not 0 < left <= _N or nxt > _N:
            raise ValueError(f"Invalid RNG state: seeded={int(record['seeded'])}, left={left}, next={nxt} "
                             f"(expecting seeded=1, 0 < left <= {_N}, next <= {_N})")
        self._set_words(record["state"].astype(np.uint32), _N + 1 - left)
        self._initial = int(record["the_initial_seed"])
        self._fresh = nxt == 0 and left == 1
        self._pair = (float(record["normal_x"]), float(record["normal_y"]), float(record["normal_rho"]))
        self._pending = bool(int(record["normal_is_valid"]))
        return state

    # ----------------------------------------------------------------------------- raw streams
    def words(self, n):
        """The next ``n`` 32-bit words (THRandom_random), as uint64."""
        self._fresh = self._fresh and n == 0
        return self._bits.random_raw(n)

    def uniforms(self, n, out=None):
        """The next ``n`` values of ``__uniform__`` (word / 2^32) in [0, 1), written into ``out`` (a
        float64 array) when given."""
        return np.multiply(self.words(n), _INV_2_32, out=out)

    def normals(self, n, mean=0.0, stdv=1.0, out=None):
        """The next ``n`` values of THRandom_normal(mean, stdv), the cached pair included, written
        into ``out`` (a float64 array) when given."""
        if not stdv > 0:
            raise ValueError(f"normal: standard deviation must be strictly positive, got {stdv!r}")
        out = np.empty(n, dtype=np.float64) if out is None else out
        start = 0
        if n and self._pending:                 # the pending sine of the last pair
            x, _, rho = self._pair
            out[0] = rho * math.sin(_TWO_PI * x)
            self._pending = False
            start = 1
        rest = n - start
        if rest:
            pairs = (rest + 1) // 2
            direct = rest % 2 == 0                  # the pairs fill out[start:] exactly
            both = out[start:] if direct else np.empty(2 * pairs, dtype=np.float64)
            self.uniforms(2 * pairs, out=both)
            x, y = both[0::2], both[1::2]
            rho = np.subtract(1.0, y)
            rho = np.sqrt(np.multiply(-2.0, _libm("log", rho, rho), out=rho), out=rho)
            theta = np.multiply(_TWO_PI, x)
            self._pair = (float(x[-1]), float(y[-1]), float(rho[-1]))
            self._pending = bool(rest % 2)
            np.multiply(rho, _libm("cos", theta, x), out=x)      # x and y are no longer needed
            np.multiply(rho, _libm("sin", theta, y), out=y)
            if not direct:
                out[start:] = both[:rest]
        if stdv != 1.0:                          # z * 1.0 is z: the multiplication can be skipped
            np.multiply(out, stdv, out=out)
        return np.add(out, mean, out=out)        # not skipped for 0: -0.0 + 0.0 is 0.0 in C too

    def permutation(self, n):
        """Torch7's randperm(n): the 0-based permutation as int64 (one word per swap).

        Torch7 swaps position i with ``j_i = i + u_i % (n - i)`` for i = 0 .. n-2 (Fisher-Yates). Step i
        puts at position i the value position ``j_i`` holds then, and position i is never touched
        again, so the result follows from the indices alone, without replaying the swaps: the value at
        position p just before step p is the one the last earlier step into p (``j_k = p``) carried
        there, i.e. what position k held just before step k (a chain, followed by pointer jumping),
        or p itself when no step reached it; likewise for ``j_i`` before step i."""
        if n == 1:
            return np.zeros(1, dtype=np.int64)
        step = np.arange(n - 1, dtype=np.int64)
        j = step + (self.words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        into = np.full(n, -1, dtype=np.int64)           # the last step k < p with j_k = p
        moved = j != step
        np.maximum.at(into, j[moved], step[moved])
        before = np.where(into >= 0, into, np.arange(n))  # position p just before step p holds ...
        while True:                                      # ... the value of the chain's first step
            jumped = before[before]
            if np.array_equal(jumped, before):
                break
            before = jumped
        order = np.argsort(j, kind="stable")             # the previous step with the same j_i
        earlier = np.full(n - 1, -1, dtype=np.int64)
        repeated = j[order[1:]] == j[order[:-1]]
        earlier[order[1:]] = np.where(repeated, order[:-1], -1)
        perm = np.empty(n, dtype=np.int64)
        perm[:-1] = np.where(earlier >= 0, before[np.maximum(earlier, 0)], j)
        perm[-1] = before[-1]
        return perm


_default = None


def default_generator():
    """The generator ``torch.manualSeed`` seeds and every function here draws from (created, seeded
    from ``os.urandom``, on first use)."""
    global _default
    if _default is None:
        _default = Generator()
    return _default


# --------------------------------------------------------------------------------- seeding
def manualSeed(seed):
    """Lua ``torch.manualSeed(seed)``: seed Torch7's stream (this module) and PyTorch's generators with
    the same seed. Lua numbers are doubles: an integral float is accepted; a non-integral one is refused
    (Torch7 silently truncated it)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, float, np.integer)) or seed != int(seed):
        raise TypeError(f"seed must be an integer, got {seed!r} ({type(seed).__name__})")
    default_generator().manualSeed(seed)
    torch.manual_seed(int(seed) & _U64)


def seed():
    """Lua ``torch.seed()``: a new random seed (from ``os.urandom``) for both streams; returns it."""
    value = default_generator().seed()
    torch.manual_seed(value & _U64)
    return value


def initialSeed():
    """Lua ``torch.initialSeed()``: the seed of the last ``manualSeed``/``seed``."""
    return default_generator().initialSeed()


def getRNGState():
    """Lua ``torch.getRNGState()``: the Torch7 stream's state, a ByteTensor of :data:`STATE_SIZE`
    bytes laid out as Torch7's ``THGenerator`` (64-bit Linux)."""
    return default_generator().getState()


def setRNGState(state):
    """Lua ``torch.setRNGState(state)``: restore a state from :func:`getRNGState`; returns it."""
    return default_generator().setState(state)


@contextlib.contextmanager
def fork_rng():
    """A block whose draws from the Torch7 stream are undone when it ends (the stream continues as if
    the block had drawn nothing), as ``torch.random.fork_rng`` does for PyTorch's generator."""
    state = getRNGState()
    try:
        yield
    finally:
        setRNGState(state)


# --------------------------------------------------------------------------------- tensor filling
_FLOATING = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def _real(x, value):
    """A parameter as Torch7's wrapper reads it for ``x``'s type (``real``): rounded to float for a
    Float tensor."""
    if x.dtype == torch.float64:
        return float(value)
    if x.dtype in _FLOATING:
        return float(torch.tensor(float(value), dtype=x.dtype))
    return float(int(value))


def _need_floating(x, what):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what}: expecting a tensor to fill, got {type(x).__name__}")
    if x.dtype not in _FLOATING:
        raise TypeError(f"{what}: Torch7 defines it for Float and Double tensors only, got a {x.dtype} tensor")


def _fill(x, values):
    """Write ``values`` (float64 or integer array, logical element order) into ``x``; returns ``x``."""
    src = torch.from_numpy(values)
    if src.dtype.is_floating_point and not x.dtype.is_floating_point:
        src = src.to(torch.int64)
    with torch.no_grad():
        x.copy_(src.view(x.shape))
    return x


def _target(x):
    """A flat float64 NumPy view of ``x``'s memory where draws can be written directly (a contiguous
    CPU Double tensor outside autograd), else None."""
    if x.dtype == torch.float64 and x.device.type == "cpu" and x.is_contiguous() and not x.requires_grad:
        return x.numpy().reshape(-1)
    return None


def _fill_uniform(x, a=0.0, b=1.0):
    _need_floating(x, "uniform")
    a, b = _real(x, a), _real(x, b)
    target = _target(x)
    values = default_generator().uniforms(x.numel(), out=target)
    if (a, b) != (0.0, 1.0):                     # u * 1.0 + 0.0 is u
        np.add(np.multiply(values, b - a, out=values), a, out=values)
    return x if target is not None else _fill(x, values)


def _fill_normal(x, mean=0.0, stdv=1.0):
    _need_floating(x, "normal")
    target = _target(x)
    values = default_generator().normals(x.numel(), _real(x, mean), _real(x, stdv), out=target)
    return x if target is not None else _fill(x, values)


def _fill_exponential(x, lambd=None):
    _need_floating(x, "exponential")
    if lambd is None:
        raise TypeError("exponential: expecting the rate lambda (Torch7's x:exponential(lambda))")
    lambd = _real(x, lambd)
    return _fill(x, -1.0 / lambd * _libm("log", 1.0 - default_generator().uniforms(x.numel())))


def _fill_cauchy(x, median=0.0, sigma=1.0):
    _need_floating(x, "cauchy")
    median, sigma = _real(x, median), _real(x, sigma)
    return _fill(x, median + sigma * _libm("tan", math.pi * (default_generator().uniforms(x.numel()) - 0.5)))


def _fill_log_normal(x, mean=1.0, stdv=2.0):
    _need_floating(x, "logNormal")
    return _fill(x, _libm("exp", default_generator().normals(x.numel(), _real(x, mean), _real(x, stdv))))


def _geometric_values(n, p):
    p = _number("p", p)
    if not 0 < p < 1:
        raise ValueError(f"geometric: p must be > 0 and < 1, got {p!r}")
    with np.errstate(all="ignore"):
        ratio = _libm("log", 1.0 - default_generator().uniforms(n)) / math.log(p)
    return np.trunc(ratio) + 1.0


def _fill_geometric(x, p):
    return _fill(x, _geometric_values(x.numel(), p))


def _check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError(f"bernoulli: p must be >= 0 and <= 1, got {p!r}")


def _fill_bernoulli(x, p=0.5):
    if isinstance(p, torch.Tensor):        # one probability per element (Float or Double tensor)
        if p.numel() != x.numel():
            raise ValueError(f"bernoulli: the probabilities hold {p.numel()} values for {x.numel()} elements")
        probs = p.detach().reshape(-1).to(torch.float64).cpu().numpy()
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            _check_probability(float(probs[~((probs >= 0) & (probs <= 1))][0]))
    else:
        probs = _number("p", p)
        _check_probability(probs)
    return _fill(x, (default_generator().uniforms(x.numel()) <= probs).astype(np.float64))


# Torch7's x:random() without bounds: the word modulo a per-type range (THTensor_(random)).
_RANDOM_MODULUS = {
    torch.uint8: 1 << 8, torch.int8: 1 << 7, torch.int16: 1 << 15, torch.int32: 1 << 31,
    torch.int64: 1 << 63, torch.float32: (1 << 24) + 1, torch.float64: (1 << 53) + 1,
}


def _cast_words(x, values):
    """Unsigned 64-bit results as C assigns them to ``x``'s type (wrapping for integers)."""
    if x.dtype.is_floating_point:
        return values.astype(np.float64 if x.dtype == torch.float64 else np.float32)
    return values.view(np.int64)


def _random_words(n, bounds):
    """The unsigned 64-bit values of random() / random(b) / random(a, b) for ``n`` draws."""
    if len(bounds) > 2:
        raise TypeError(f"random: expecting at most two bounds (random(), random(b), random(a, b)), got {bounds!r}")
    if len(bounds) == 1:
        b = _integer("b", bounds[0])
        if b <= 0:
            raise ValueError(f"random: upper bound must be strictly positive, got {b}")
        return default_generator().words(n) % np.uint64(b) + np.uint64(1)
    a, b = _integer("a", bounds[0]), _integer("b", bounds[1])
    if b < a:
        raise ValueError(f"random: upper bound must be larger than lower bound, got a={a}, b={b}")
    span = np.uint64((b + 1 - a) & _U64)
    with np.errstate(over="ignore"):
        return default_generator().words(n) % span + np.uint64(a & _U64)


def _fill_random(x, *bounds):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"random: expecting a tensor to fill, got {type(x).__name__}")
    if bounds:
        return _fill(x, _cast_words(x, _random_words(x.numel(), bounds)))
    modulus = _RANDOM_MODULUS.get(x.dtype)
    if modulus is None:
        raise TypeError(f"random: no Torch7 tensor type for {x.dtype}")
    return _fill(x, _cast_words(x, default_generator().words(x.numel()) % np.uint64(modulus)))


def _fill_multinomial(x, probs, n, replacement=False):
    result = multinomial(probs, n, replacement)
    with torch.no_grad():
        x.resize_(result.shape).copy_(result)
    return x


#: Torch7's in-place tensor methods ``x:name(...)`` drawing from this stream (for ``lua.invoke``).
TENSOR_METHODS = {
    "uniform": _fill_uniform, "normal": _fill_normal, "exponential": _fill_exponential,
    "cauchy": _fill_cauchy, "logNormal": _fill_log_normal, "geometric": _fill_geometric,
    "bernoulli": _fill_bernoulli, "random": _fill_random, "multinomial": _fill_multinomial,
}

# in-place forms for Python callers (``uniform_(x, -s, s)``), used by compat.nn's reset()
uniform_ = _fill_uniform
normal_ = _fill_normal
bernoulli_ = _fill_bernoulli


# --------------------------------------------------------------------------------- torch.<name>
def _pytorch(name, args, kwargs):
    """PyTorch's namesake, for a call that only PyTorch's form takes (``generator=``, ``out=``...)."""
    function = getattr(torch, name, None)
    if function is None or not callable(function):
        raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)} (Torch7's {name} takes none)")
    return function(*args, **kwargs)


def _scalar_or_fill(name, fill, scalar):
    def function(*args, **kwargs):
        if kwargs or (name == "normal" and any(isinstance(a, torch.Tensor) for a in args[1:])):
            return _pytorch(name, args, kwargs)              # PyTorch's form: PyTorch's stream
        if args and isinstance(args[0], torch.Tensor):      # torch.uniform(x, a, b) fills x
            return fill(*args)
        return scalar(*args)
    function.__name__ = name
    return function


def _uniform_scalar(a=0.0, b=1.0):
    a, b = _number("a", a), _number("b", b)
    return float(default_generator().uniforms(1)[0] * (b - a) + a)


def _normal_scalar(mean=0.0, stdv=1.0):
    return float(default_generator().normals(1, _number("mean", mean), _number("stdv", stdv))[0])


def _exponential_scalar(lambd):
    return float(-1.0 / _number("lambda", lambd) * math.log(1.0 - default_generator().uniforms(1)[0]))


def _cauchy_scalar(median=0.0, sigma=1.0):
    median, sigma = _number("median", median), _number("sigma", sigma)
    return float(median + sigma * math.tan(math.pi * (default_generator().uniforms(1)[0] - 0.5)))


def _log_normal_scalar(mean=1.0, stdv=2.0):
    return float(_libm("exp", default_generator().normals(1, _number("mean", mean), _number("stdv", stdv)))[0])


def _geometric_scalar(p):
    return int(_geometric_values(1, p)[0])


def _bernoulli_scalar(p=0.5):
    p = _number("p", p)
    _check_probability(p)
    return int(default_generator().uniforms(1)[0] <= p)


def _random_scalar(*bounds):
    if not bounds:
        return int(default_generator().words(1)[0])
    value = int(_random_words(1, bounds)[0])
    return value - (1 << 64) if value >= 1 << 63 else value   # returned as a C long


uniform = _scalar_or_fill("uniform", _fill_uniform, _uniform_scalar)
uniform.__doc__ = """Lua ``torch.uniform([a=0, b=1])``: a number in [a, b); ``torch.uniform(x, a, b)`` fills x."""
normal = _scalar_or_fill("normal", _fill_normal, _normal_scalar)
normal.__doc__ = """Lua ``torch.normal([mean=0, stdv=1])``: a number; ``torch.normal(x, mean, stdv)`` fills x."""
exponential = _scalar_or_fill("exponential", _fill_exponential, _exponential_scalar)
exponential.__doc__ = """Lua ``torch.exponential(lambda)``; ``torch.exponential(x, lambda)`` fills x."""
cauchy = _scalar_or_fill("cauchy", _fill_cauchy, _cauchy_scalar)
cauchy.__doc__ = """Lua ``torch.cauchy([median=0, sigma=1])``; ``torch.cauchy(x, ...)`` fills x."""
logNormal = _scalar_or_fill("logNormal", _fill_log_normal, _log_normal_scalar)
logNormal.__doc__ = """Lua ``torch.logNormal([mean=1, stdv=2])`` = exp(normal(mean, stdv)); with a tensor first,
fills it."""
geometric = _scalar_or_fill("geometric", _fill_geometric, _geometric_scalar)
geometric.__doc__ = """Lua ``torch.geometric(p)``: an integer >= 1; ``torch.geometric(x, p)`` fills x."""
bernoulli = _scalar_or_fill("bernoulli", _fill_bernoulli, _bernoulli_scalar)
bernoulli.__doc__ = """Lua ``torch.bernoulli([p=0.5])``: 1 with probability p, else 0; with a tensor first, fills it."""
random = _scalar_or_fill("random", _fill_random, _random_scalar)
random.__doc__ = """Lua ``torch.random()`` (a 32-bit word), ``random(b)`` (1..b), ``random(a, b)`` (a..b);
with a tensor first, fills it."""


def _sizes(args):
    """Torch7's LongArg: numbers, or one LongStorage / torch.Size / list / 1-D tensor of sizes."""
    if len(args) == 1 and not isinstance(args[0], (int, float, np.integer)):
        (only,) = args
        if isinstance(only, torch.Tensor):
            args = tuple(only.reshape(-1).tolist())
        else:
            try:
                args = tuple(only)
            except TypeError:
                raise TypeError(f"sizes must be numbers or one LongStorage/list of numbers, got {only!r}") from None
    sizes = tuple(_integer("size", s) for s in args)
    if any(s < 0 for s in sizes):
        raise ValueError(f"sizes must be >= 0, got {sizes}")
    return sizes


def _creator(name, fill):
    def create(*args, dtype=None, device=None, **kwargs):
        if kwargs:                                        # generator=, out=, ...: PyTorch's own function
            return _pytorch(name, args, dict(kwargs, dtype=dtype, device=device))
        if args and isinstance(args[0], torch.Tensor) and args[0].dim() > 0 and len(args) > 1:
            out, args = args[0], args[1:]                 # torch.rand(res, sizes): fills res
            with torch.no_grad():
                out.resize_(_sizes(args))
            return fill(out)
        sizes = _sizes(args)
        out = torch.empty(sizes if sizes else (0,), dtype=dtype or torch.get_default_dtype())   # no size: empty
        fill(out)
        return out if device is None else out.to(device)
    create.__name__ = name
    return create


rand = _creator("rand", _fill_uniform)
rand.__doc__ = """Lua ``torch.rand(sizes)``: uniform in [0, 1), default tensor type (``dtype=`` to choose).
PyTorch-only keywords (``generator=``, ``out=``, ``requires_grad=``) make it PyTorch's ``torch.rand``."""
randn = _creator("randn", _fill_normal)
randn.__doc__ = """Lua ``torch.randn(sizes)``: standard normal, default tensor type (``dtype=`` to choose).
PyTorch-only keywords (``generator=``, ``out=``, ``requires_grad=``) make it PyTorch's ``torch.randn``."""


_TYPE_NAMES = {name: dtype for name, (dtype, what) in TORCH_CLASSES.items()
               if what == "tensor" and not name.startswith("torch.Cuda")}


def randperm(n, typename=None):
    """Lua ``torch.randperm(n [, typename])``: a permutation of **1..n** (1-based, as in Lua) drawn as
    Torch7 draws it, in the default tensor type (Double under a translated script, as in Lua) or the
    Torch7 type named by ``typename`` (``'torch.LongTensor'``...)."""
    if isinstance(n, bool) or not isinstance(n, (int, float, np.integer)) or n != int(n):
        raise TypeError(f"n must be an integer, got {n!r} ({type(n).__name__})")
    if n < 1:
        raise ValueError(f"n must be >= 1 (randperm: must be strictly positive), got {n!r}")
    if typename is None:
        dtype = torch.get_default_dtype()
    elif typename in _TYPE_NAMES:
        dtype = _TYPE_NAMES[typename]
    else:
        raise ValueError(f"typename must be one of {sorted(_TYPE_NAMES)} or None, got {typename!r}")
    perm = default_generator().permutation(int(n)) + 1          # the one 0-based -> 1-based shift
    return torch.from_numpy(perm).to(dtype)


def multinomial(probs, n, replacement=False):
    """Lua ``torch.multinomial(probs, n [, replacement=false])``: a LongTensor of **1-based** category
    indices, n per row of ``probs`` (1-D: n values; 2-D: rows x n). Each sample is one uniform
    searched in the row's cumulative sums divided by their total (double precision, the last set
    to 1); without replacement the drawn category's mass is removed and the sums renormalised."""
    if not isinstance(probs, torch.Tensor) or probs.dim() not in (1, 2):
        raise TypeError(f"multinomial: probs must be a 1-D or 2-D tensor, got "
                        f"{getattr(probs, 'shape', type(probs).__name__)}")
    n = _integer("n", n)
    rows = probs.detach().reshape(-1 if probs.dim() == 1 else probs.shape[0], probs.shape[-1])
    rows = rows.reshape(1, -1) if probs.dim() == 1 else rows
    categories = rows.shape[1]
    if n <= 0:
        raise ValueError(f"multinomial: cannot sample n_sample <= 0 samples, got {n}")
    if not replacement and n > categories:
        raise ValueError(f"multinomial: cannot sample n_sample > prob_dist:size(1) samples without "
                         f"replacement: n={n}, {categories} categories")
    table = rows.to(torch.float64).cpu().numpy()
    out = np.empty((table.shape[0], n), dtype=np.int64)
    for i, row in enumerate(table):
        cum = np.cumsum(row)
        total = cum[-1] if categories else 0.0
        if not total > 0:
            raise ValueError(f"multinomial: invalid distribution in row {i + 1} (sum of probabilities <= 0)")
        cum = cum / total
        if replacement:
            cum[-1] = 1.0
            out[i] = np.searchsorted(cum, default_generator().uniforms(n), side="left")
            continue
        for j in range(n):                    # each draw changes the sums the next one searches
            u = default_generator().uniforms(1)[0]
            cum[-1] = 1.0
            k = int(np.searchsorted(cum, u, side="left"))
            out[i, j] = k
            mass = cum[k] - (cum[k - 1] if k else 0.0)
            cum[k:] -= mass
            cum /= 1.0 - mass
    result = torch.from_numpy(out + 1)                          # the one 0-based -> 1-based shift
    return result.reshape(n) if probs.dim() == 1 else result
