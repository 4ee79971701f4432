"""compat.optim.sgd and ConfusionMatrix against Torch7 (optim_reference.t7, confusion_reference.t7,
confusion_print.txt; see the fixture README) and hand arithmetic."""
import math

import numpy as np
import pytest
import torch
import torchfile

from compat import optim
from tests.conftest import t7_fixture


def _plain(obj):
    """torchfile objects -> str keys, tensors, Lua lists (1..n keys) as Python lists."""
    if isinstance(obj, dict):
        d = {(k.decode() if isinstance(k, bytes) else k): _plain(v) for k, v in obj.items()}
        if d and all(isinstance(k, int) for k in d) and sorted(d) == list(range(1, len(d) + 1)):
            return [d[i] for i in range(1, len(d) + 1)]
        return d
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    return obj.decode() if isinstance(obj, bytes) else obj


def _load(name):
    return _plain(torchfile.load(t7_fixture(name), use_list_heuristic=False))


# ------------------------------------------------------------------ sgd
@pytest.fixture(scope="module")
def optim_ref():
    return _load("optim_reference.t7")


def _opfunc(A, b):
    def f(x):  # the fixture's objective: 0.5 |tanh(Ax - b)|^2, a fresh gradient each call
        t = torch.tanh(A @ x - b)
        return 0.5 * float(t @ t), A.t() @ (t * (1 - t * t))
    return f


@pytest.mark.parametrize("name", ["lr", "momentum", "nesterov", "weightDecay", "learningRateDecay",
                                  "momentum_dampening"])
def test_sgd_matches_torch7(optim_ref, name):
    run = next(r for r in optim_ref["runs"] if r["name"] == name)
    opfunc = _opfunc(optim_ref["A"], optim_ref["b"])
    x, state = optim_ref["x0"].clone(), {}
    for k in range(optim_ref["nsteps"]):
        x_out, fs = optim.sgd(opfunc, x, dict(run["config"]), state)
        assert x_out is x
        assert abs(fs[0] - run["fs"][k]) < 1e-12
        torch.testing.assert_close(x, run["xs"][k], rtol=0, atol=1e-12)
    assert abs(opfunc(x)[0] - run["f_final"]) < 1e-12
    assert state["evalCounter"] == run["state_evalCounter"] == 5
    if "state_dfdx" in run:
        torch.testing.assert_close(state["dfdx"], run["state_dfdx"], rtol=0, atol=1e-12)
    else:
        assert "dfdx" not in state


def test_sgd_config_is_the_state_without_state(optim_ref):
    run = next(r for r in optim_ref["runs"] if r["name"] == "momentum")
    opfunc = _opfunc(optim_ref["A"], optim_ref["b"])
    x, config = optim_ref["x0"].clone(), dict(run["config"])
    for _ in range(5):
        optim.sgd(opfunc, x, config)
    torch.testing.assert_close(x, run["xs"][4], rtol=0, atol=1e-12)
    assert config["evalCounter"] == 5
    torch.testing.assert_close(config["dfdx"], run["state_dfdx"], rtol=0, atol=1e-12)


def test_sgd_per_parameter_rates_and_decays():
    # f(x) = 0 with gradient g = (1, 2): x <- x - lr * lrs * (g + wds * x)
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    config = {"learningRate": 0.5, "learningRates": torch.tensor([1.0, 0.1], dtype=torch.float64),
              "weightDecays": torch.tensor([0.2, 0.0], dtype=torch.float64)}
    optim.sgd(lambda v: (0.0, torch.tensor([1.0, 2.0], dtype=torch.float64)), x, config, {})
    expected = torch.tensor([1.0 - 0.5 * 1.0 * (1 + 0.2 * 1.0), -2.0 - 0.5 * 0.1 * 2.0], dtype=torch.float64)
    torch.testing.assert_close(x, expected, rtol=0, atol=1e-15)


def test_sgd_default_learning_rate_is_1e_3():
    x = torch.tensor([1.0], dtype=torch.float64)
    optim.sgd(lambda v: (0.0, torch.tensor([1.0], dtype=torch.float64)), x)
    assert x.item() == 1.0 - 1e-3


def test_sgd_bad_input():
    x = torch.zeros(2)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.sgd(lambda v: (0.0, torch.zeros(2)), x, {"nesterov": True, "momentum": 0.9})
    with pytest.raises(ValueError, match="df/dx"):
        optim.sgd(lambda v: (0.0, torch.zeros(3)), x, {})
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        optim.sgd(lambda v: (0.0, v), [0.0, 1.0], {})
    with pytest.raises(TypeError, match="learningRate"):
        optim.sgd(lambda v: (0.0, torch.zeros(2)), x, {"learningRate": "0.1"})


# ------------------------------------------------------------------ ConfusionMatrix
FIELDS = ("mat", "valids", "unionvalids", "totalValid", "averageValid", "averageUnionValid", "print")


def _check_fields(cm, ref):
    text = str(cm)  # tostring refreshes the statistics (updateValids), as in Lua
    assert text == ref["print"]
    assert torch.equal(cm.mat, ref["mat"].to(torch.int64))
    assert cm.valids.dtype == torch.float32 and torch.equal(cm.valids, ref["valids"])
    assert torch.equal(cm.unionvalids, ref["unionvalids"])
    for field in ("totalValid", "averageValid", "averageUnionValid"):
        assert abs(getattr(cm, field) - ref[field]) < 1e-15, field


def test_confusion_matrix_matches_torch7():
    ref = _load("confusion_reference.t7")
    cm = optim.ConfusionMatrix(ref["classes"])
    for i in range(ref["scores"].shape[0]):
        cm.add(ref["scores"][i], int(ref["targets"][i]))
    _check_fields(cm, ref["after_add"])
    cm.batchAdd(ref["batch_scores"], ref["batch_targets"])
    _check_fields(cm, ref)
    with open(t7_fixture("confusion_print.txt"), encoding="utf-8") as f:
        assert str(cm) + "\n" == f.read()


def test_confusion_matrix_counts_and_statistics_by_hand():
    cm = optim.ConfusionMatrix(3)
    cm.add(1, 1)
    cm.add(torch.tensor([0.1, 0.7, 0.2]), 1)           # argmax 2
    cm.add(torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, 0.0, 1.0]))  # one-hot target 3
    cm.add(2, 0)                                         # missing label: ignored
    cm.batchAdd(torch.tensor([2, 2, 1]), torch.tensor([2, 3, 0]))
    assert cm.mat.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 1]]
    cm.updateValids()
    torch.testing.assert_close(cm.valids, torch.tensor([0.5, 1.0, 0.5]))
    torch.testing.assert_close(cm.unionvalids, torch.tensor([0.5, 1 / 3, 0.5]))
    assert cm.totalValid == 3 / 5
    assert cm.averageValid == pytest.approx(2 / 3)
    text = str(cm)
    assert text.splitlines()[1] == "[[       1       1       0]   50.000% "
    assert text.endswith(" + global correct: 60%")
    cm.zero()
    assert cm.mat.sum() == 0 and cm.totalValid == 0


def test_confusion_matrix_empty_row_is_nan_and_skipped():
    cm = optim.ConfusionMatrix(2)
    cm.add(1, 1)
    cm.updateValids()
    assert math.isnan(cm.valids[1].item())
    assert cm.averageValid == 1.0


def test_confusion_matrix_bad_input():
    cm = optim.ConfusionMatrix(["a", "b"])
    with pytest.raises(ValueError, match="1..2"):
        cm.add(3, 1)
    with pytest.raises(ValueError, match="1..2"):
        cm.add(1, 5)
    with pytest.raises(ValueError, match="size 2"):
        cm.add(torch.zeros(3), 1)
    with pytest.raises(ValueError, match="1..2"):
        cm.batchAdd(torch.tensor([1, 3]), torch.tensor([1, 1]))
    with pytest.raises(ValueError, match="nclasses"):
        optim.ConfusionMatrix(0)
