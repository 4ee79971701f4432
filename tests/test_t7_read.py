"""compat.t7.load against the Torch7-written fixtures (values from the fixture README)."""
import math

import numpy as np
import pytest
import torch

from compat.t7 import T7Object, T7Storage, T7Table, load, register_loader, registry
from tests.test_t7_common import (
    all_fixture_names,
    assert_matches_torchfile,
    assert_same,
    fixture,
    fixture_format,
    fixtures_dir,
    nan_sign,
)


@pytest.fixture
def no_loaders(monkeypatch):
    """Registry emptied and the lazy compat.nn import disabled: nn.* objects load generically."""
    monkeypatch.setattr(registry, "_loaders", {})
    monkeypatch.setattr(registry, "_nn_import_tried", True)


@pytest.mark.parametrize("name", all_fixture_names())
def test_every_fixture_loads(name, no_loaders):
    path = fixtures_dir() / name
    obj = load(path, fixture_format(path))
    assert isinstance(obj, (T7Table, T7Object))


@pytest.mark.parametrize("folder", ["cifar_like_ascii", "cifar_like_binary"])
def test_cifar_like(folder):
    fmt = "ascii" if folder.endswith("ascii") else "binary"
    train = load(fixture(f"{folder}/data_batch_1.t7"), fmt)
    test = load(fixture(f"{folder}/test_batch.t7"), fmt)
    assert isinstance(train, T7Table)
    assert train.data.dtype == torch.uint8 and train.data.shape == (3072, 64)
    assert train.labels.dtype == torch.uint8 and train.labels.shape == (1, 64)
    assert train.data.sum().item() == 25088420
    assert train.labels.sum().item() == 278
    assert train.labels[0, :10].tolist() == [0, 9, 3, 2, 9, 7, 2, 4, 6, 3]
    assert test.data.sum().item() == 25095441
    assert test.labels.sum().item() == 306


def test_cifar_ascii_holds_newline_bytes():
    # README: ascii Byte storages are raw bytes, so 0x0A occurs inside the pixel data.
    data = load(fixture("cifar_like_ascii/data_batch_1.t7"), "ascii").data
    assert (data == 10).any()


@pytest.fixture(scope="module", params=["binary", "ascii"])
def tensors(request):
    return load(fixture(f"tensors_{request.param}.t7"), request.param)


def test_tensor_dtypes_and_values(tensors):
    t = tensors
    assert len(t) == 38
    assert t.byte.dtype == torch.uint8 and t.byte.shape == (3, 5)
    assert t.char.tolist() == [[-128, -1, 0], [1, 65, 127]] and t.char.dtype == torch.int8
    assert t.short.tolist() == [-32768, -2, -1, 0, 1, 1234, 32767] and t.short.dtype == torch.int16
    assert t.int.shape == (3, 1, 2) and t.int.dtype == torch.int32
    assert t.int.flatten().tolist() == [-2147483648, -5, 0, 7, 100000, 2147483647]
    assert t.long.tolist() == [-3, 0, 5, 123456789, -987654321] and t.long.dtype == torch.int64
    expected = np.linspace(-1, 1, 9).astype(np.float32) + np.float32(0.1)  # float32 arithmetic, as TH
    assert t.float.dtype == torch.float32 and t.float.shape == (3, 3)
    assert np.array_equal(t.float.flatten().numpy(), expected)
    assert t.double.dtype == torch.float64 and t.double.shape == (2, 3, 5)


def test_views_share_one_storage(tensors):
    t = tensors
    assert t.mat34.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert t.mat34_t.stride() == (1, 4) and t.mat34_t.shape == (4, 3)
    assert t.mat34_narrow.stride() == (4, 1) and t.mat34_narrow.storage_offset() == 1  # Lua offset 2
    assert t.mat34_narrow.tolist() == [[2, 3], [6, 7], [10, 11]]
    assert t.mat34_select.shape == (4,) and t.mat34_select.storage_offset() == 4  # Lua offset 5
    assert t.mat34_select.tolist() == [5, 6, 7, 8]
    ptr = t.mat34.untyped_storage().data_ptr()
    for name in ("mat34_t", "mat34_narrow", "mat34_select"):
        assert t[name].untyped_storage().data_ptr() == ptr, name


def test_views_write_through():
    t = load(fixture("tensors_binary.t7"))
    t.mat34[1, 2] = -100.0  # Lua mat34[2][3]
    assert t.mat34_t[2, 1] == -100.0 and t.mat34_narrow[1, 1] == -100.0 and t.mat34_select[2] == -100.0


def test_same_tensor_twice_is_one_object(tensors):
    t = tensors
    assert t.shared_a is t.shared_b
    assert t.shared_a.tolist() == [1.5, 2.5, 3.5, 4.5]
    assert t.shared_view.tolist() == [2.5, 3.5] and t.shared_view.storage_offset() == 1
    assert t.shared_view.untyped_storage().data_ptr() == t.shared_a.untyped_storage().data_ptr()


def test_empty_tensors_keep_dtype(tensors):
    assert tensors.empty.numel() == 0 and tensors.empty.dtype == torch.float64
    assert tensors.empty_long.numel() == 0 and tensors.empty_long.dtype == torch.int64


def test_bare_storage(tensors):
    s = tensors.float_storage
    assert isinstance(s, T7Storage) and s.torch_typename == "torch.FloatStorage"
    assert s.dtype == torch.float32 and s.tolist() == [0.25, -1.0, 3.0] and len(s) == 3


def test_tables_strings_booleans(tensors):
    t = tensors
    assert isinstance(t.nested, T7Table) and t.nested.level1.level2.level3 == "deep"
    assert t.nested.level1.level2.n == 3 and t.nested.level1.list == [10, 20]
    assert t.list == [1, 2, 3]
    assert t.str == "hello world" and t.str_empty == "" and t.str_numeric == "12345"
    assert t.str_multiline == "line1\nline2 with  spaces\tand tab"
    assert t.yes is True and t.no is False


def test_numbers_exact(tensors):
    t = tensors
    assert type(t.int_pos) is int and t.int_pos == 42
    assert type(t.int_neg) is int and t.int_neg == -7
    assert type(t.zero) is int and t.zero == 0
    assert t.frac == 3.25 and t.frac_neg == -0.1 and t.third == 1 / 3 and t.tiny == 1e-300
    assert type(t.big) is int and t.big == 2 ** 53
    assert type(t.big_neg) is float and t.big_neg == -(2.0 ** 53) - 2
    assert math.isnan(t.nan) and nan_sign(t.nan) == -1.0  # 0/0 on x86 has the sign bit set
    assert t.inf == math.inf and t.ninf == -math.inf


def test_mixed_keys(tensors):
    mk = tensors.mixed_keys
    assert isinstance(mk, T7Table)
    assert mk == {1: "one", 2: "two", 10: "ten", -1: "minus one", 2.5: "two and half", "key": "value"}
    assert all(type(k) is int for k in (1, 2, 10, -1) if k in mk)
    assert mk.key == "value"


@pytest.mark.parametrize("pair", [
    ("tensors_binary.t7", "tensors_ascii.t7"),
    ("cifar_like_binary/data_batch_1.t7", "cifar_like_ascii/data_batch_1.t7"),
    ("cifar_like_binary/test_batch.t7", "cifar_like_ascii/test_batch.t7"),
    ("linear_model_binary.t7", "linear_model_ascii.t7"),
    ("modules_reference.t7", "modules_reference_ascii.t7"),
])
def test_ascii_equals_binary(pair, no_loaders):
    binary, ascii_ = pair
    assert_same(load(fixture(binary), "binary"), load(fixture(ascii_), "ascii"))


@pytest.mark.parametrize("name", [n for n in all_fixture_names() if "ascii" not in n])
def test_binary_equals_torchfile(name, no_loaders):
    torchfile = pytest.importorskip("torchfile")
    path = fixtures_dir() / name
    theirs = torchfile.load(str(path), use_list_heuristic=False, use_int_heuristic=False)
    assert_matches_torchfile(load(path), theirs)


def test_nn_objects_load_generically(no_loaders):
    model = load(fixture("linear_model_binary.t7"))
    assert isinstance(model, T7Object) and model.torch_typename == "nn.Sequential"
    names = [m.torch_typename for m in model.modules]
    assert names == ["nn.Linear", "nn.Tanh", "nn.Linear", "nn.LogSoftMax"]
    lin = model.modules[0]
    assert lin.weight.shape == (5, 6) and lin.bias.shape == (5,) and lin.weight.dtype == torch.float64
    assert lin.gradWeight.abs().sum().item() == 0.0  # README: zeros right after construction
    assert model.output.numel() == 0


def test_registered_loader_builds_objects(no_loaders):
    built = []

    def make_linear(table):
        built.append(table)
        return ("Linear", tuple(table.weight.shape))

    register_loader("nn.Linear", make_linear)
    model = load(fixture("linear_model_ascii.t7"), "ascii")
    assert model.modules[0] == ("Linear", (5, 6)) and model.modules[2] == ("Linear", (3, 5))
    assert len(built) == 2 and isinstance(built[0], T7Table)


def test_nn_import_is_tried_once(monkeypatch):
    calls = []
    monkeypatch.setattr(registry, "_loaders", {})
    monkeypatch.setattr(registry, "_nn_import_tried", False)
    monkeypatch.setattr(registry, "_import_module", lambda name: calls.append(name))
    load(fixture("linear_model_binary.t7"))
    assert calls == ["compat.nn"]


def test_reference_numbers():
    fwd = load(fixture("linear_model_forward.t7"))
    assert fwd.output.shape == (4, 3) and fwd.input.shape == (4, 6)
    assert fwd.output[0].tolist() == pytest.approx([-1.1866417884463, -0.90151184370652, -1.2420211322146], abs=1e-13)
    sgd = load(fixture("sgd_reference.t7"))
    assert sgd.errors == [1.0869553315755416, 1.0618700886034431, 1.0396574625693007]
    # README says "48 values", but its own layout W1 5x6, b1 5, W2 3x5, b2 3 adds up to 53.
    assert sgd.initial_params.shape == (5 * 6 + 5 + 3 * 5 + 3,) and sgd.shuffleIndices is False and sgd.seed == 7
    assert sgd.targets.tolist() == [((i - 1) % 3) + 1 for i in range(1, 21)]
    decay = load(fixture("sgd_reference_decay.t7"))
    assert decay.learningRateDecay == 0.1 and decay.errors[2] == 1.0422868795480389


def test_optim_and_confusion_references():
    opt = load(fixture("optim_reference.t7"))
    assert len(opt.runs) == 6 and opt.nsteps == 5
    f_final = {r.name: r.f_final for r in opt.runs}
    assert f_final["lr"] == 2.2940637470492611 and f_final["nesterov"] == 1.7037732066578484
    assert opt.lr is opt.runs[0] or opt["lr"].name == "lr"
    assert all(isinstance(x, torch.Tensor) and x.shape == (4,) for x in opt.lr.xs)
    assert opt.lr.fs[0] == 2.3863026602078969
    cm = load(fixture("confusion_reference.t7"))
    assert cm.totalValid == 0.5083333333333333 and cm.averageValid == 0.50988498330116272
    assert cm.mat.dtype == torch.int64 and cm.mat.sum().item() == 240 and cm.valids.dtype == torch.float32
    assert cm.classes[0] == "airplane" and len(cm.classes) == 10
    printed = fixture("confusion_print.txt").read_text()
    assert cm.print + "\n" == printed


def test_scn_and_big_model_references(no_loaders):
    scn = load(fixture("scn_reference.t7"))
    assert scn.kernel_raw[:4].tolist() == [0.23006629899380912, 0.52045012102070209, 0.84936581656831245, 1.0]
    assert scn.seed == 13
    more = load(fixture("more_modules_reference.t7"))
    cifar = more.cifar_model
    assert cifar.params.numel() == 114838
    assert cifar.params.sum().item() == pytest.approx(5.5589927207639382, rel=1e-12)
    assert cifar.output[0, 0].item() == -2.2515864031002142


def test_pytorch_file_is_handed_to_torch(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.arange(3.0)}, path)
    obj = load(path)
    assert torch.equal(obj["w"], torch.arange(3.0))


def test_file_object(tmp_path):
    with open(fixture("tensors_ascii.t7"), "rb") as f:
        t = load(f, "ascii")
    assert t.str == "hello world"
