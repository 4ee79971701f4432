"""compat.nn against Torch7, case by case: the 140 module and 22 criterion cases of
``fixtures/torch7_refs/spec.py``, whose outputs, gradients and printouts real Torch7 wrote into
``fixtures/t7/wave2/nn_optim_reference.t7`` (read with torchfile, independent of the project).

The procedure is that of ``fixtures/torch7_refs/check_references.py`` (see ``fixtures/t7/wave2/README.md``):
build the module from its Lua constructor, convert to double, set the mode, copy Torch7's initial
flat parameters into ``getParameters()``, then compare forward, backward, gradients, a second
forward and the printout to 1e-9 relative.
"""
import re

import numpy as np
import pytest
import torch as T
import torchfile

from compat import nn
from compat import torch as ctorch
from tests.conftest import T7_FIXTURES

REFS = T7_FIXTURES / "wave2" / "nn_optim_reference.t7"
MODELS = T7_FIXTURES / "wave2" / "models"
TOL = 1e-9


def _conv(x):
    """torchfile value -> tensors, lists (Lua sequences) and numbers."""
    if isinstance(x, np.ndarray):
        return T.from_numpy(np.ascontiguousarray(x))
    if isinstance(x, dict):
        keys = list(x.keys())
        if not keys:
            return []
        if all(isinstance(k, (int, float)) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [_conv(x[k]) for k in range(1, len(keys) + 1)]
        return {k: _conv(v) for k, v in x.items()}
    return x


_REFS = torchfile.load(str(REFS), utf8_decode_strings=True, use_list_heuristic=False)
MODULE_CASES = sorted(_REFS["modules"])
CRITERION_CASES = sorted(_REFS["criteria"])


def _case(part, name):
    raw = _REFS[part][name]
    return {k: (v if k in ("ctor", "mode", "str") else _conv(v)) for k, v in raw.items()}


def _close(a, b):
    if isinstance(b, list):
        a = list(a) if isinstance(a, tuple) else a
        return isinstance(a, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(b, T.Tensor):
        if not isinstance(a, T.Tensor) or a.numel() != b.numel():
            return False
        if tuple(a.shape) != tuple(b.shape) and a.numel() > 0:
            return False
        a, b = a.detach().double().reshape(-1), b.double().reshape(-1)
        return a.numel() == 0 or bool(((a - b).abs() <= TOL * (1 + b.abs())).all())
    return abs(float(a) - float(b)) <= TOL * (1 + abs(float(b)))


def _python(ctor):
    """The spec's Lua constructor as Python (the mechanical translation the spec promises)."""
    s = ctor.replace(":", ".").replace("{", "[").replace("}", "]")
    s = re.sub(r"\btrue\b", "True", s)
    s = re.sub(r"\bfalse\b", "False", s)
    s = re.sub(r"\bnil\b", "None", s)
    s = s.replace("math.huge", "float('inf')")
    return re.sub(r"torch\.Tensor\[([^\]]*)\]", r"torch.Tensor([\1])", s)


def build(ctor):
    return eval(_python(ctor), {"nn": nn, "torch": ctorch})


def _double(x):
    if isinstance(x, list):
        return [_double(v) for v in x]
    return x.double() if isinstance(x, T.Tensor) and x.is_floating_point() else x


@pytest.mark.parametrize("name", MODULE_CASES)
def test_module_matches_torch7(name):
    r = _case("modules", name)
    m = build(r["ctor"]).double()
    m.evaluate() if r["mode"] == "evaluate" else m.training()
    if "params" in r:
        p, _ = m.getParameters()
        assert p.numel() == r["params"].numel(), "getParameters() size differs from Torch7's"
        with T.no_grad():
            p.copy_(r["params"])
    inp = _double(r["input"])
    assert _close(m.forward(inp), r["output"]), "output"
    m.zeroGradParameters()
    assert _close(m.backward(inp, _double(r["gradOutput"])), r["gradInput"]), "gradInput"
    if "gradParams" in r:
        assert _close(m.getParameters()[1], r["gradParams"]), "gradParameters"
    assert _close(m.forward(inp), r["output2"]), "second forward"
    for f in ("running_mean", "running_var"):
        if f in r:
            assert _close(getattr(m, f), r[f]), f


@pytest.mark.parametrize("name", MODULE_CASES)
def test_module_prints_as_torch7(name):
    r = _case("modules", name)
    m = build(r["ctor"])
    assert str(m) == r["str"]


@pytest.mark.parametrize("name", CRITERION_CASES)
def test_criterion_matches_torch7(name):
    r = _case("criteria", name)
    c = build(r["ctor"]).double()
    inp, tgt = _double(r["input"]), _double(r["target"])
    loss = c.forward(inp, tgt)
    assert _close(loss, r["loss"]), f"loss {loss} vs Torch7 {r['loss']}"
    assert _close(c.backward(inp, tgt), r["gradInput"]), "gradInput"
    assert str(c) == r["str"]


_FORWARD = torchfile.load(str(MODELS / "models_forward.t7"), utf8_decode_strings=True)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
@pytest.mark.parametrize("name", sorted(_FORWARD))
def test_torch7_model_loads_and_runs(name, fmt, tmp_path):
    """A Torch7-written model loads into working modules, runs as Torch7 did, prints as Torch7,
    and saved back in the same format loads again to the same output."""
    r = _FORWARD[name]
    m = ctorch.load(str(MODELS / f"{name}_{fmt}.t7"), fmt)
    m.evaluate()
    x = T.from_numpy(np.ascontiguousarray(r["input"]))
    x = x if x.dtype == T.int64 else x.double()
    want = T.from_numpy(np.ascontiguousarray(r["output"]))
    y = m.forward(x)
    assert tuple(y.shape) == tuple(want.shape)
    assert float((y.double() - want).abs().max()) <= 1e-9
    assert str(m) == r["str"]
    path = tmp_path / f"{name}.t7"
    ctorch.save(str(path), m, fmt)
    again = ctorch.load(str(path), fmt)
    again.evaluate()
    assert T.equal(again.forward(x), y)


def _saved_and_loaded(obj, fmt, tmp_path):
    path = tmp_path / f"obj_{fmt}.t7"
    ctorch.save(str(path), obj, fmt)
    return ctorch.load(str(path), fmt)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
@pytest.mark.parametrize("name", MODULE_CASES)
def test_module_round_trips_through_t7(name, fmt, tmp_path):
    """Saved with compat.torch.save and loaded back, a module is the same class, prints the same
    and computes the same output (the saved form carries what torch/nn's Lua code reads)."""
    r = _case("modules", name)
    m = build(r["ctor"]).double()
    m.evaluate()           # deterministic forwards (RReLU, Dropout), running statistics for BN
    inp = _double(r["input"])
    want = _clone_out(m.forward(inp))
    again = _saved_and_loaded(m, fmt, tmp_path)
    assert type(again) is type(m) and str(again) == str(m)
    assert _close(again.forward(inp), want)


@pytest.mark.parametrize("name", CRITERION_CASES)
def test_criterion_round_trips_through_t7(name, tmp_path):
    r = _case("criteria", name)
    c = build(r["ctor"]).double()
    inp, tgt = _double(r["input"]), _double(r["target"])
    again = _saved_and_loaded(c, "binary", tmp_path)
    assert type(again) is type(c) and str(again) == str(c)
    assert _close(again.forward(inp, tgt), c.forward(inp, tgt))


def _clone_out(x):
    return [_clone_out(v) for v in x] if isinstance(x, list) else x.clone()
