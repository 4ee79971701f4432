"""Hostile .t7 input: mutated versions of the Torch7 fixture files, ascii and binary.

Properties checked for every mutated input handed to ``compat.t7.load`` (as an in-memory file):
- the only exception that may escape is ``compat.t7.T7FormatError`` (a clean load is fine too);
- it returns within 1 s (a hang detector with a wide margin: the fixtures load in < 0.2 s);
- its Python-heap peak (tracemalloc, which sees numpy buffers) stays within a fixed multiple of
  the input size plus a constant, and, for a sample, a load under ``RLIMIT_AS`` in a subprocess
  neither fails to allocate nor dies.

Mutations: bit flips, truncations, insertions of bytes, duplicated chunks and tweaks of number
fields (binary: an int32/int64/double overwritten with an edge value; ascii: a number token
replaced). Positions are drawn mostly from the file's first bytes, where the headers are.
Crashers found are minimised into tests/t7_corpus/ and re-loaded by ``test_corpus``.
"""
import io
import os
import re
import struct
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compat.nn.t7_checks import overlaps
from compat.t7 import T7FormatError, T7Object, T7Table, load, save
from compat.t7.api import sniff
from compat.t7.reader import MAX_EXPANDED_ELEMENTS
from tests.conftest import T7_FIXTURES

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "t7_corpus"
SKIP = {"more_modules_reference.t7"}  # 3.8 MB: too slow to mutate thousands of times
HEAP_FACTOR, HEAP_CONSTANT = 32, 32 << 20


FILES = sorted(p for p in T7_FIXTURES.rglob("*.t7") if p.name not in SKIP)
DATA = {p.relative_to(T7_FIXTURES).as_posix(): p.read_bytes() for p in FILES}


def own_format(data):
    return "ascii" if sniff(data[:16]) == "ascii" else "binary"


# --- mutations ---------------------------------------------------------------------------------

EDGE_INTS = [0, 1, -1, 2, 7, 8, 9, 255, 256, 65535, 2**31 - 1, -2**31, 2**32 - 1, 2**53 + 1,
             2**62, 2**63 - 1, -2**63]
EDGE_DOUBLES = [float("nan"), float("inf"), -float("inf"), -0.0, 1e308, 5e-324, 2.0**53 + 2]
EDGE_TOKENS = [b"0", b"-1", b"1", b"2", b"9", b"4294967296", b"2147483648", b"-2147483649",
               b"9223372036854775807", b"-9223372036854775808", b"99999999999999999999999",
               b"1e308", b"-1e400", b"nan", b"-nan", b"inf", b"0.5", b"-0", b"0x10", b"", b"x"]
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _at(pos, data):
    return pos % (len(data) + 1)


def apply(data, mutations):
    """Apply a list of mutation tuples (see ``mutation``) to ``data``; returns new bytes."""
    b = bytearray(data)
    for m in mutations:
        kind = m[0]
        if kind == "flip" and b:
            i = m[1] % len(b)
            b[i] ^= 1 << m[2]
        elif kind == "truncate":
            del b[_at(m[1], b):]
        elif kind == "insert":
            i = _at(m[1], b)
            b[i:i] = m[2]
        elif kind == "duplicate" and b:
            i = m[1] % len(b)
            chunk = b[i:i + m[2]]
            j = _at(m[3], b)
            b[j:j] = chunk
        elif kind == "delete" and b:
            i = m[1] % len(b)
            del b[i:i + m[2]]
        elif kind == "int" and b:
            i = m[1] % len(b)
            width, value = m[2], m[3]
            packed = struct.pack("<q", value)[:width] if width == 8 else struct.pack("<q", value)[:4]
            b[i:i + width] = packed
        elif kind == "double" and b:
            i = m[1] % len(b)
            b[i:i + 8] = struct.pack("<d", m[2])
        elif kind == "token":
            spans = [mt.span() for mt in NUMBER.finditer(bytes(b[:4096]))]
            if spans:
                s, e = spans[m[1] % len(spans)]
                b[s:e] = m[2]
    return bytes(b)


position = st.one_of(st.integers(0, 64), st.integers(0, 512), st.integers(0, 2**31))
mutation = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=16)
              | st.sampled_from([b"\0" * 4, b"\xff" * 8, b"4 ", b"\n", b"3\n1\n"])),
    st.tuples(st.just("duplicate"), position, st.integers(1, 256), position),
    st.tuples(st.just("delete"), position, st.integers(1, 64)),
    st.tuples(st.just("int"), position, st.sampled_from([4, 8]), st.sampled_from(EDGE_INTS)),
    st.tuples(st.just("double"), position, st.sampled_from(EDGE_DOUBLES)),
    st.tuples(st.just("token"), st.integers(0, 2**16), st.sampled_from(EDGE_TOKENS)),
)


def random_mutations(rng):
    """The same kinds of mutation, from a seeded ``random.Random`` (for the subprocess sample)."""
    def pos():
        return rng.choice([rng.randrange(65), rng.randrange(513), rng.randrange(2**31)])
    out = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["flip", "truncate", "insert", "duplicate", "delete", "int", "double", "token"])
        out.append({
            "flip": lambda: ("flip", pos(), rng.randrange(8)),
            "truncate": lambda: ("truncate", pos()),
            "insert": lambda: ("insert", pos(), bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))),
            "duplicate": lambda: ("duplicate", pos(), rng.randint(1, 256), pos()),
            "delete": lambda: ("delete", pos(), rng.randint(1, 64)),
            "int": lambda: ("int", pos(), rng.choice([4, 8]), rng.choice(EDGE_INTS)),
            "double": lambda: ("double", pos(), rng.choice(EDGE_DOUBLES)),
            "token": lambda: ("token", rng.randrange(2**16), rng.choice(EDGE_TOKENS)),
        }[kind]())
    return out


# --- the property ------------------------------------------------------------------------------

def load_checked(data, format):
    """Load ``data``; fail on any exception but T7FormatError, or on an unbounded heap peak. (Time is
    not asserted: parse cost is checked as a count in test_t7_errors, timed in benchmarks/bench_t7.py.)"""
    tracemalloc.start()
    try:
        load(io.BytesIO(data), format)
    except T7FormatError:
        pass
    except BaseException as exc:
        raise AssertionError(f"{type(exc).__name__} escaped compat.t7.load({format!r}) on a "
                             f"{len(data)}-byte input: {exc}") from exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    bound = HEAP_FACTOR * len(data) + HEAP_CONSTANT
    assert peak <= bound, f"heap peak {peak} bytes > {bound} for a {len(data)}-byte input"


def _fuzz(names):
    @settings(max_examples=1500, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(names), mutations=st.lists(mutation, min_size=1, max_size=4),
           other_format=st.integers(0, 9))
    def run(name, mutations, other_format):
        data = DATA[name]
        format = own_format(data)
        if other_format == 0:  # now and then, read it as the other format
            format = "ascii" if format == "binary" else "binary"
        load_checked(apply(data, mutations), format)
    run()


def test_fuzz_binary_fixtures():
    _fuzz(sorted(n for n, d in DATA.items() if own_format(d) == "binary"))


def test_fuzz_ascii_fixtures():
    _fuzz(sorted(n for n, d in DATA.items() if own_format(d) == "ascii"))


SAMPLE = textwrap.dedent("""
    import io, random, resource, sys
    sys.path.insert(0, {repo!r})
    from tests.test_t7_fuzz import DATA, apply, own_format, random_mutations
    from compat.t7 import T7FormatError, load
    rng = random.Random(20240601)
    names = sorted(DATA)
    inputs = []
    for _ in range({n}):
        name = rng.choice(names)
        inputs.append((name, apply(DATA[name], random_mutations(rng))))
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    limit = used + {headroom}
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for i, (name, data) in enumerate(inputs):
        try:
            load(io.BytesIO(data), own_format(DATA[name]))
        except T7FormatError:
            pass
        except BaseException as exc:
            sys.stdout.write(f"input {{i}} from {{name}}: {{type(exc).__name__}}: {{exc}}\\n")
            sys.exit(3)
    print("ok", len(inputs))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux only")
def test_sample_under_address_space_limit():
    """A sample loaded with the address space capped at current use + 256 MB (torch allocations
    included, which tracemalloc cannot see): an unbounded allocation would fail there."""
    script = SAMPLE.format(repo=str(HERE.parent), n=400, headroom=256 << 20)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0 and "ok 400" in proc.stdout, proc.stdout + proc.stderr[-3000:]


CORPUS_FILES = sorted(CORPUS.glob("*.t7")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_corpus(path):
    """Regression inputs (mutated fixtures, and any crashers found): T7FormatError or a clean load;
    a name starting with 'refused_' must give T7FormatError. A name containing 'ascii' is read as
    ascii, else as binary."""
    format = "ascii" if "ascii" in path.name else "binary"
    load_checked(path.read_bytes(), format)
    if path.name.startswith("refused_"):
        with pytest.raises(T7FormatError):
            load(io.BytesIO(path.read_bytes()), format)


def _nested_tables(depth):
    """A binary .t7 file: ``{[1] = {[1] = ... {} ...}}``, ``depth`` tables deep (File.lua layout)."""
    head = struct.Struct("<iiiid")  # type 3, object index, 1 entry, key: type 1 + the number 1
    body = b"".join(head.pack(3, i + 1, 1, 1, 1.0) for i in range(depth))
    return body + struct.pack("<iii", 3, depth + 1, 0)


@pytest.mark.parametrize("depth", [10, 100_000])
def test_deeply_nested_tables(depth):
    """Nesting beyond Python's recursion limit is refused with T7FormatError, not a RecursionError."""
    data = _nested_tables(depth)
    if depth == 10:
        value = load(io.BytesIO(data))
        for _ in range(depth):
            value = value[0]
        assert value == {}
    else:
        with pytest.raises(T7FormatError, match="nested too deeply"):
            load(io.BytesIO(data))


# --- structured hostile values: tensor headers and module fields ---------------------------------

SIZES = st.one_of(st.integers(0, 5), st.sampled_from([2**20, 2**24, 2**31, 2**40, 2**62, 2**63 - 1]))
STRIDES = st.one_of(st.integers(0, 5), st.sampled_from([2**20, 2**31, 2**62]))


def _tensor_file(sizes, strides, offset, stored):
    """A binary torch.DoubleTensor over a torch.DoubleStorage of ``stored`` elements (Tensor.c layout)."""
    head = struct.pack("<ii", 4, 1) + struct.pack("<i3s", 3, b"V 1") + struct.pack("<i18s", 18, b"torch.DoubleTensor")
    nd = len(sizes)
    body = struct.pack(f"<i{nd}q{nd}qq", nd, *sizes, *strides, offset)
    storage = (struct.pack("<ii", 4, 2) + struct.pack("<i3s", 3, b"V 1") + struct.pack("<i19s", 19, b"torch.DoubleStorage")
               + struct.pack(f"<q{stored}d", stored, *range(stored)))
    return head + body + storage


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(dims=st.lists(st.tuples(SIZES, STRIDES), min_size=1, max_size=4), offset=st.integers(-1, 9),
       stored=st.integers(0, 8))
def test_tensor_headers(dims, offset, stored):
    """Any sizes, strides and offset over a small storage: T7FormatError, or a view every element of
    which lies in the storage (checked by arithmetic) and no more than MAX_EXPANDED_ELEMENTS larger."""
    sizes, strides = [d[0] for d in dims], [d[1] for d in dims]
    try:
        t = load(io.BytesIO(_tensor_file(sizes, strides, offset, stored)))
    except T7FormatError:
        return
    numel = 1
    for n in sizes:
        numel *= n
    if numel == 0:  # an empty tensor keeps its sizes
        assert t.numel() == 0
        return
    first = offset - 1  # Lua's 1-based offset
    last = first + sum((n - 1) * s for n, s in zip(sizes, strides))
    assert 0 <= first <= last < stored and numel <= stored + MAX_EXPANDED_ELEMENTS
    assert list(t.shape) == sizes and list(t.stride()) == strides
    assert t[(0,) * len(sizes)].item() == float(first) and t[tuple(n - 1 for n in sizes)].item() == float(last)


FIELD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**53), st.floats(allow_nan=True), st.text(max_size=5),
    st.sampled_from([torch.zeros(0), torch.ones(3, 4), torch.ones(1).expand(3, 4), torch.ones(2),
                     torch.ones(1).expand(1000, 1000), [1, 2], {"a": 1}]))
MODULE_FIELDS = st.dictionaries(
    st.sampled_from(["weight", "bias", "gradWeight", "gradBias", "output", "gradInput", "train", "nInputPlane",
                     "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH", "p", "inplace", "threshold", "val",
                     "size", "nelement", "numInputDims", "batchMode", "modules", "sizeAverage", "weights",
                     "ceil_mode", "v2", "noise", "lsm", "nll", "ignoreIndex"]),
    FIELD_VALUES, max_size=8)
CLASSES = ["nn.Linear", "nn.SpatialConvolutionMM", "nn.SpatialConvolution", "nn.SpatialMaxPooling", "nn.ReLU",
           "nn.View", "nn.Reshape", "nn.Dropout", "nn.Sequential", "nn.Tanh", "nn.ClassNLLCriterion",
           "nn.CrossEntropyCriterion", "nn.MSECriterion"]


@settings(max_examples=800, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(class_name=st.sampled_from(CLASSES), fields=MODULE_FIELDS, fmt=st.sampled_from(["binary", "ascii"]))
def test_module_fields(class_name, fields, fmt):
    """compat.nn's loaders on fields of any type: T7FormatError or a module, never another
    exception; a loaded module's parameters never overlap (so their gradients are true buffers)."""
    buf = io.BytesIO()
    save(buf, T7Object(class_name, T7Table(fields)), fmt)
    try:
        m = load(io.BytesIO(buf.getvalue()), fmt)
    except T7FormatError:
        return
    for p in getattr(m, "_parameters", {}).values():
        if p is not None:
            assert not overlaps(p) and not overlaps(p.grad) and p.grad.shape == p.shape
