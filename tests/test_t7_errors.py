"""compat.t7 on bad input: T7FormatError naming where and what, never a hang or a huge allocation."""
import io
import random
import struct
import sys

import pytest
import torch

from compat.t7 import T7FormatError, T7Table, load, registry, save
from compat.t7.reader import MAX_EXPANDED_ELEMENTS
from tests.test_t7_common import fixture


@pytest.fixture(autouse=True)
def no_loaders(monkeypatch):
    monkeypatch.setattr(registry, "_loaders", {})
    monkeypatch.setattr(registry, "_nn_import_tried", True)


def load_bytes(data: bytes, fmt="binary"):
    return load(io.BytesIO(data), fmt)


def ints(*values):
    return struct.pack(f"<{len(values)}i", *values)


def string(s: bytes):
    return ints(len(s)) + s


def torch_header(index, name: bytes):
    return ints(4, index) + string(b"V 1") + string(name)


def test_format_argument_is_checked(tmp_path):
    with pytest.raises(ValueError, match="'binary' or 'ascii'.*'b64'"):
        load(fixture("tensors_binary.t7"), "b64")
    with pytest.raises(ValueError, match="got 'text'"):
        save(tmp_path / "x.t7", {}, "text")
    assert not (tmp_path / "x.t7").exists()


def test_ascii_file_read_as_binary_says_so():
    with pytest.raises(T7FormatError, match=r"unknown object type id 170986035.*byte offset 0.*format='ascii'"):
        load(fixture("tensors_ascii.t7"))


def test_binary_file_read_as_ascii_says_so():
    with pytest.raises(T7FormatError, match=r"line 1.*format='binary'"):
        load(fixture("tensors_binary.t7"), "ascii")


def test_text_and_empty_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, this is not torch\n")
    with pytest.raises(T7FormatError, match="text file"):
        load(tmp_path / "notes.txt")
    with pytest.raises(T7FormatError, match="text file"):
        load(tmp_path / "notes.txt", "ascii")
    (tmp_path / "empty.t7").write_bytes(b"")
    with pytest.raises(T7FormatError, match="empty"):
        load(tmp_path / "empty.t7")


@pytest.mark.parametrize("name,fmt,where", [
    ("tensors_binary.t7", "binary", "byte offset"),
    ("tensors_ascii.t7", "ascii", "line"),
    ("linear_model_binary.t7", "binary", "byte offset"),
    ("cifar_like_ascii/test_batch.t7", "ascii", "line"),
])
def test_truncated_files(name, fmt, where):
    data = fixture(name).read_bytes()
    rng = random.Random(0)
    # ascii: a cut inside the final number (or of the final "\n") still reads, as with fscanf; cut before it
    last = len(data) - 1 if fmt == "binary" else data.rindex(b"\n", 0, len(data) - 1)
    cuts = sorted({1, 3, 4, 7, 50, len(data) // 2, last} | {rng.randrange(1, last + 1) for _ in range(25)})
    for cut in cuts:
        with pytest.raises(T7FormatError, match=where):
            load_bytes(data[:cut], fmt)


def test_ascii_final_newline_is_optional():
    data = fixture("tensors_ascii.t7").read_bytes()
    assert data.endswith(b"\n") and load_bytes(data[:-1], "ascii").str == "hello world"


@pytest.mark.parametrize("name,fmt", [("tensors_binary.t7", "binary"), ("tensors_ascii.t7", "ascii"),
                                      ("modules_reference.t7", "binary")])
def test_corrupted_files_fail_cleanly(name, fmt):
    """Random byte flips: either a value comes back or T7FormatError - nothing else, and quickly."""
    data = bytearray(fixture(name).read_bytes())
    rng = random.Random(1)
    for _ in range(150):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            bad[rng.randrange(len(bad))] = rng.randrange(256)
        try:
            load_bytes(bytes(bad), fmt)
        except T7FormatError:
            pass


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.load's remarks on random "pickles"
def test_garbage():
    rng = random.Random(2)
    for _ in range(100):
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
        for fmt in ("binary", "ascii"):
            try:
                load_bytes(blob, fmt)
            except T7FormatError:
                pass


def test_unknown_type_id():
    with pytest.raises(T7FormatError, match="unknown object type id 42 .*byte offset 0"):
        load_bytes(ints(42, 0, 0))
    with pytest.raises(T7FormatError, match=r"unknown object type id 9 \(expected 0-8\) at line 1"):
        load_bytes(b"9\n1\n", "ascii")


def test_sizes_beyond_the_file_are_refused_before_allocating():
    huge_storage = torch_header(1, b"torch.DoubleStorage") + struct.pack("<q", 2 ** 40) + b"\0" * 64
    with pytest.raises(T7FormatError, match=r"claims 1099511627776 elements .* only 64 bytes are left at byte offset"):
        load_bytes(huge_storage)
    with pytest.raises(T7FormatError, match="string length 2000000000 is impossible"):
        load_bytes(ints(2, 2_000_000_000) + b"abc")
    with pytest.raises(T7FormatError, match="table size 1000000000 is impossible"):
        load_bytes(ints(3, 1, 1_000_000_000))
    with pytest.raises(T7FormatError, match="claims 5000000 numbers"):
        load_bytes(b"4\n1\n3\nV 1\n19\ntorch.DoubleStorage\n5000000\n1 2 3\n", "ascii")
    with pytest.raises(T7FormatError, match="string length -5"):
        load_bytes(ints(2, -5))


def test_tensor_reaching_past_its_storage():
    storage = torch_header(2, b"torch.FloatStorage") + struct.pack("<q", 3) + struct.pack("<3f", 1, 2, 3)
    tensor = torch_header(1, b"torch.FloatTensor") + ints(1) + struct.pack("<qqq", 4, 1, 1) + storage
    with pytest.raises(T7FormatError, match="reaches past its storage of 3 elements"):
        load_bytes(tensor)
    wrong_type = torch_header(1, b"torch.DoubleTensor") + ints(1) + struct.pack("<qqq", 3, 1, 1) + storage
    with pytest.raises(T7FormatError, match="torch.FloatStorage as its storage"):
        load_bytes(wrong_type)
    ok = torch_header(1, b"torch.FloatTensor") + ints(1) + struct.pack("<qqq", 2, 1, 2) + storage
    assert load_bytes(ok).tolist() == [2.0, 3.0]


def test_deep_nesting_is_an_error_not_a_crash():
    depth = 20000
    data = b"".join(ints(3, i + 1, 1, 1) + struct.pack("<d", 1.0) for i in range(depth)) + ints(0)
    with pytest.raises(T7FormatError, match="nested too deeply"):
        load_bytes(data)


def test_lua_functions_load_as_opaque_objects():
    upvalues = ints(3, 2, 0)  # an empty table
    data = ints(3, 1, 1) + ints(2) + string(b"f") + ints(8, 3) + string(b"\x1bLJbytecode") + upvalues
    obj = load_bytes(data)
    fn = obj["f"]
    assert fn.dumped == b"\x1bLJbytecode" and fn.upvalues == T7Table()


def test_save_refuses_what_lua_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match=r"torch.bool.*\.to\(torch.uint8\)"):
        save(io.BytesIO(), torch.zeros(2, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"int 9007199254740993 at <root>\['n'\].*doubles"):
        save(io.BytesIO(), {"n": 2 ** 53 + 1})
    with pytest.raises(TypeError, match=r"type object at <root>\['a'\]\[2\]"):
        save(io.BytesIO(), {"a": [1, object()]})
    with pytest.raises(ValueError, match="key None"):
        save(io.BytesIO(), {None: 1})
    path = tmp_path / "partial.t7"
    with pytest.raises(TypeError):
        save(path, [torch.zeros(1000), object()])
    assert not path.exists()


def save_bytes(obj, fmt="binary") -> bytes:
    buf = io.BytesIO()
    save(buf, obj, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_expanded_views_beyond_the_bound_are_refused(fmt):
    """A view may name more elements than its storage holds (stride 0) only up to
    MAX_EXPANDED_ELEMENTS more: a 2^40-element stride-0 tensor over one element is refused."""
    one = torch.tensor([7.0])
    with pytest.raises(T7FormatError, match=r"torch.FloatTensor of size \[1099511627776\], strides \[0\] views "
                                            r"1099511627776 elements over a storage of 1.*expanded"):
        load_bytes(save_bytes(one.expand(2 ** 40), fmt), fmt)
    with pytest.raises(T7FormatError, match=r"size \[32768, 32768\], strides \[0, 0\].*expanded"):
        load_bytes(save_bytes({"w": one.expand(32768, 32768)}, fmt), fmt)
    within = load_bytes(save_bytes(one.expand(MAX_EXPANDED_ELEMENTS + 1), fmt), fmt)  # 1 stored + the bound
    assert within.shape == (MAX_EXPANDED_ELEMENTS + 1,) and within.stride() == (0,) and within[-1].item() == 7.0
    with pytest.raises(T7FormatError, match="expanded"):
        load_bytes(save_bytes(one.expand(MAX_EXPANDED_ELEMENTS + 2), fmt), fmt)
    # overlapping without a zero stride: 4 stored elements seen as 2^25 windows of 2
    four = torch.arange(4.0)
    with pytest.raises(T7FormatError, match=r"strides \[0, 1\].*expanded"):
        load_bytes(save_bytes(four.as_strided((2 ** 25, 2), (0, 1)), fmt), fmt)


def test_sizes_whose_product_is_absurd_are_refused_before_multiplying():
    """Thousands of huge sizes: refused once the product passes 2^63, never multiplied out."""
    nd = 20000
    storage = torch_header(2, b"torch.FloatStorage") + struct.pack("<q", 1) + struct.pack("<f", 1)
    tensor = (torch_header(1, b"torch.FloatTensor") + ints(nd) + struct.pack(f"<{nd}q", *[2 ** 40] * nd)
              + struct.pack(f"<{nd}q", *[0] * nd) + struct.pack("<q", 1) + storage)
    with pytest.raises(T7FormatError, match=r"size \[1099511627776, .* \(20000 entries\)\] has more than 2\^63"):
        load_bytes(tensor)


@pytest.mark.parametrize("version", [b"V 1e999", b"V -1e999", b"V nan", b"V 1x"])
def test_bad_class_versions(version):
    data = ints(4, 1) + string(version) + string(b"nn.Foo") + ints(3, 2, 0)
    with pytest.raises(T7FormatError, match=r"bad class version string .* at byte offset 8"):
        load_bytes(data)


def _pickle_that_writes(target):
    class Writes:
        def __reduce__(self):
            return (open, (str(target), "w"))
    return Writes()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("fmt", ["binary", "ascii"])
@pytest.mark.parametrize("container", ["pickle", "zip"])
def test_pytorch_files_never_run_pickled_code(tmp_path, monkeypatch, fmt, container):
    """A pickled callable (here ``open(target, 'w')``) is refused, even with PyTorch's
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 set; plain tensors still load."""
    import pickle
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    target = tmp_path / "written_by_the_file"
    path = tmp_path / "hostile.pt"
    if container == "pickle":
        path.write_bytes(pickle.dumps({"x": _pickle_that_writes(target)}, protocol=2))
    else:
        torch.save({"x": _pickle_that_writes(target)}, path)
    with pytest.raises(T7FormatError, match=r"looks like a PyTorch file, but torch.load\(weights_only=True\)"):
        load(path, fmt)
    assert not target.exists()
    torch.save({"w": torch.arange(3.0)}, tmp_path / "plain.pt")
    assert load(tmp_path / "plain.pt", fmt)["w"].tolist() == [0.0, 1.0, 2.0]


def test_pytorch_files_have_the_same_bound_on_expanded_views(tmp_path):
    one = torch.ones(1)
    torch.save({"a": [(1, one.expand(2 ** 40))]}, tmp_path / "bomb.pt")
    with pytest.raises(T7FormatError, match=r"bomb.pt: a PyTorch tensor of size \[1099511627776\], strides \[0\]"):
        load(tmp_path / "bomb.pt")
    torch.save({"a": one.expand(MAX_EXPANDED_ELEMENTS + 1)}, tmp_path / "within.pt")
    assert load(tmp_path / "within.pt")["a"].stride() == (0,)


def _repeated_keys_table(n):
    """A binary table of 2n entries: the integer keys 1..n, then the same keys again."""
    entry = struct.Struct("<idid")  # key: number, value: number
    body = b"".join(entry.pack(1, float(k), 1, float(-k)) for k in list(range(1, n + 1)) * 2)
    return ints(3, 1, 2 * n) + body


def _calls(fn) -> int:
    """Python and C function calls (generator resumptions included) made while ``fn`` runs."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_tables_with_repeated_keys_load_in_linear_work():
    """N integer keys then the same N keys again: linear work, not O(N^2). Counted in calls, not seconds:
    four times the entries must take about four times the calls (quadratic work gives 16)."""
    small, large = (_repeated_keys_table(n) for n in (1000, 4000))
    assert load_bytes(large) == [-k for k in range(1, 4001)]
    ratio = _calls(lambda: load_bytes(large)) / _calls(lambda: load_bytes(small))
    assert ratio < 5, f"4x the entries took {ratio:.1f}x the calls"


def test_true_and_one_are_still_told_apart_in_linear_time():
    number_key = ints(1) + struct.pack("<d", 1.0)
    true_key = ints(5, 1)
    value = ints(1) + struct.pack("<d", 2.0)
    for first, second in ((number_key, true_key), (true_key, number_key)):
        with pytest.raises(T7FormatError, match="both keys true and 1"):
            load_bytes(ints(3, 1, 2) + first + value + second + value)
    repeated = load_bytes(ints(3, 1, 2) + true_key + value + true_key + value)
    assert repeated == {True: 2} and type(next(iter(repeated))) is bool
    with pytest.raises(T7FormatError, match="both keys true and 1"):
        load_bytes(ints(3, 1, 3) + true_key + value + true_key + value + number_key + value)


def test_ascii_numbers_longer_than_any_torch7_writes_are_refused():
    """Torch7 writes at most 24 characters a number (%.17g); a 1 MB "number" among n others would
    make numpy hold n copies of its width."""
    header = b"4\n1\n3\nV 1\n19\ntorch.DoubleStorage\n3\n"
    assert load_bytes(header + b"-1.2345678901234567e-300 2 3\n", "ascii").tolist() == [-1.2345678901234567e-300, 2, 3]
    with pytest.raises(T7FormatError, match="torch.DoubleStorage: a number of 100000 characters.* at line 8"):
        load_bytes(header + b"1 " + b"1" * 100_000 + b" 3\n", "ascii")
    # an array spread over several lines (not how Torch7 writes it, but fscanf reads it) still loads
    assert load_bytes(header + b"1\n2\n\n3\n", "ascii").tolist() == [1.0, 2.0, 3.0]
