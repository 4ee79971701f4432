"""Shared helpers for the test_t7_* files: fixture location and exact deep comparison.

(No tests here; pytest collects the module and finds none.)
"""
import math
import struct
from pathlib import Path

import numpy as np
import torch

from compat.t7 import LuaFunction, T7Object, T7Storage
from tests.conftest import T7_FIXTURES, t7_fixture


def fixtures_dir() -> Path:
    """The Torch7 fixtures (resolved once, in tests/conftest.py)."""
    return T7_FIXTURES


def fixture(name: str) -> Path:
    return t7_fixture(name)


def fixture_format(path: Path) -> str:
    """Per the fixture README: *_ascii.t7 and cifar_like_ascii/ are ascii, the rest binary."""
    return "ascii" if path.name.endswith("_ascii.t7") or path.parent.name == "cifar_like_ascii" else "binary"


def all_fixture_names():
    return sorted(str(p.relative_to(T7_FIXTURES)) for p in T7_FIXTURES.rglob("*.t7"))


def same_float(a: float, b: float) -> bool:
    """Bit-exact equality (nan == nan with the same sign bit, -0.0 != 0.0)."""
    return struct.pack("<d", a) == struct.pack("<d", b)


def tensors_identical(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.is_floating_point():
        bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[a.element_size()]
        return torch.equal(a.contiguous().view(bits), b.contiguous().view(bits))
    return torch.equal(a, b)


def assert_same(a, b, path="<root>"):
    """Exact structural equality of loaded objects (types, dtypes, shapes, bits)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), f"{path}: tensor vs {type(b).__name__}"
        assert tensors_identical(a, b), f"{path}: tensors differ ({a.dtype} {tuple(a.shape)} vs {b.dtype} {tuple(b.shape)})"
    elif isinstance(a, T7Storage):
        assert isinstance(b, T7Storage), f"{path}: storage vs {type(b).__name__}"
        assert tensors_identical(a.tensor, b.tensor), f"{path}: storages differ"
    elif isinstance(a, T7Object):
        assert isinstance(b, T7Object) and a.torch_typename == b.torch_typename, f"{path}: {a!r} vs {b!r}"
        assert_same(a.table, b.table, f"{path}<{a.torch_typename}>")
    elif isinstance(a, LuaFunction):
        assert isinstance(b, LuaFunction) and a.dumped == b.dumped, f"{path}: functions differ"
        assert_same(a.upvalues, b.upvalues, f"{path}.upvalues")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
        assert set(a) == set(b), f"{path}: keys {sorted(map(repr, a))} vs {sorted(map(repr, b))}"
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: list vs {type(b).__name__}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert type(b) is float and same_float(a, b), f"{path}: {a!r} vs {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} vs {b!r}"


def assert_matches_torchfile(ours, theirs, path="<root>"):
    """Compare our object with python-torchfile's reading of the same binary file
    (torchfile.load(path, use_list_heuristic=False, use_int_heuristic=False): byte-string keys,
    float numbers, dicts for every table, numpy arrays for tensors and storages)."""
    import torchfile

    if isinstance(ours, torch.Tensor):
        assert isinstance(theirs, np.ndarray), f"{path}: tensor vs {type(theirs).__name__}"
        if ours.numel() == 0:
            assert theirs.size == 0 and theirs.dtype == ours.numpy().dtype, path
            return
        assert theirs.shape == tuple(ours.shape) and theirs.dtype == ours.numpy().dtype, path
        assert theirs.strides == tuple(s * ours.element_size() for s in ours.stride()), f"{path}: strides"
        assert np.array_equal(ours.numpy(), theirs, equal_nan=ours.is_floating_point()), f"{path}: values"
    elif isinstance(ours, T7Storage):
        assert np.array_equal(ours.tensor.numpy(), theirs, equal_nan=ours.tensor.is_floating_point()), path
    elif isinstance(ours, T7Object):
        assert isinstance(theirs, torchfile.TorchObject), f"{path}: {type(theirs).__name__}"
        assert theirs.torch_typename().decode() == ours.torch_typename, path
        assert_matches_torchfile(ours.table, theirs._obj, f"{path}<{ours.torch_typename}>")
    elif isinstance(ours, (dict, list)):
        assert isinstance(theirs, dict), f"{path}: {type(theirs).__name__}"
        items = ours.items() if isinstance(ours, dict) else [(i + 1, v) for i, v in enumerate(ours)]
        theirs_by_key = {(k.decode() if isinstance(k, bytes) else float(k)): v for k, v in theirs.items()}
        assert len(theirs_by_key) == len(theirs) == len(items), f"{path}: sizes"
        for k, v in items:
            tk = float(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else k
            assert tk in theirs_by_key, f"{path}: key {k!r} missing in torchfile output"
            assert_matches_torchfile(v, theirs_by_key[tk], f"{path}[{k!r}]")
    elif isinstance(ours, bool):
        assert theirs is ours, path
    elif isinstance(ours, (int, float)):
        assert isinstance(theirs, float) and (same_float(float(ours), theirs)), f"{path}: {ours!r} vs {theirs!r}"
    elif isinstance(ours, str):
        assert theirs == ours.encode(), path
    else:
        assert ours == theirs, path


def nan_sign(x: float) -> float:
    return math.copysign(1.0, x)
