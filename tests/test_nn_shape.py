"""compat.nn shape modules (shape.py: Narrow, Select, Transpose, Replicate, Squeeze, Unsqueeze,
Padding, Contiguous, Copy, Index; View/Reshape options; Dropout) beyond the Torch7 reference cases
of test_nn_torch7_cases.py, and the modules of the Torch7-written twobranch/text models rebuilt from
their .t7 fields, run on the inputs Torch7 ran them on."""
from pathlib import Path

import numpy as np
import pytest
import torch
import torchfile

from compat import nn, t7
from tests._nn_grad import check_gradients
from tests._nn_t7 import assert_t7_round_trip

MODELS = Path(__file__).parent / "fixtures" / "t7" / "wave2" / "models"


def _r(*size):
    return torch.randn(*size, dtype=torch.float64)


@pytest.mark.parametrize("make, input", [
    (lambda: nn.Narrow(1, 2, 2), lambda: _r(4)),
    (lambda: nn.Narrow(-1, 1, -2), lambda: _r(2, 5)),
    (lambda: nn.Narrow(2, -2, 2), lambda: _r(2, 5)),
    (lambda: nn.Select(-1, 2), lambda: _r(2, 3)),
    (lambda: nn.Select(1, 3), lambda: _r(4)),
    (lambda: nn.Transpose([1, 3]), lambda: _r(2, 3, 4)),
    (lambda: nn.Transpose([1, 2]).setNumInputDims(2), lambda: _r(2, 3, 4)),
    (lambda: nn.Replicate(3), lambda: _r(2, 4)),
    (lambda: nn.Replicate(2, 1, 1), lambda: _r(3, 4)),
    (lambda: nn.Replicate(2, 3), lambda: _r(3, 4)),
    (lambda: nn.Squeeze(2), lambda: _r(3, 1, 4)),
    (lambda: nn.Squeeze(None, 2), lambda: _r(1, 1, 4)),
    (lambda: nn.Unsqueeze(1, 1), lambda: _r(3, 4)),
    (lambda: nn.Unsqueeze(3), lambda: _r(3, 4)),
    (lambda: nn.Padding(1, -2, 1, 5.0), lambda: _r(3, 4)),
    (lambda: nn.Padding(1, 2, None, 0, 2), lambda: _r(3, 4)),
    (lambda: nn.Padding(2, -1, None, 0, 3), lambda: _r(3, 4)),
    (lambda: nn.Contiguous(), lambda: _r(4, 3)),
    (lambda: nn.Index(2), lambda: [_r(3, 4), torch.tensor([4, 1, 4])]),
    (lambda: nn.View(-1).setNumInputDims(2), lambda: _r(3, 2, 2)),
    (lambda: nn.Reshape(6, True), lambda: _r(1, 3, 2)),
], ids=lambda v: None)
def test_gradients(make, input):
    torch.manual_seed(1)
    check_gradients(make(), input())


def test_lua_shapes_and_values():
    x = torch.arange(10.0).view(2, 5)
    assert nn.Narrow(2, 2, -2).forward(x).tolist() == [[1, 2, 3], [6, 7, 8]]       # length -2: to one before the end
    assert nn.Narrow(2, -1, 2).forward(x).tolist() == [[0, 1, 2], [5, 6, 7]]       # negative offset: first size-length
    assert nn.Select(1, -1).forward(x).tolist() == [5, 6, 7, 8, 9]
    assert nn.Padding(2, 2, None, -1).forward(x)[0].tolist() == [0, 1, 2, 3, 4, -1, -1]
    assert nn.Padding(2, -1, None, 9, 3).forward(x)[1].tolist() == [5, 6, 9, 7, 8, 9]
    r = nn.Replicate(3, 2).forward(x)
    assert r.shape == (2, 3, 5) and r.stride(1) == 0                               # a view, as Lua's set()
    assert nn.Squeeze(None, 2).forward(torch.zeros(1, 1, 4)).shape == (1, 4)      # batch of one kept
    assert nn.Reshape(6, True).forward(torch.zeros(1, 3, 2)).shape == (1, 6)
    assert nn.Reshape(6).forward(torch.zeros(1, 3, 2)).shape == (1, 6)
    assert nn.Index(1).forward([x, torch.tensor([2, 2])]).tolist() == [[5, 6, 7, 8, 9]] * 2
    assert nn.Contiguous().forward(x) is x
    xt = x.t()
    assert nn.Contiguous().forward(xt).is_contiguous() and torch.equal(nn.Contiguous().forward(xt), xt)
    assert str(nn.Unsqueeze(2)) == "nn.Unsqueeze(dim 2)" and str(nn.Transpose([1, 2])) == "nn.Transpose"


def test_copy_converts_types():
    x = torch.randn(2, 3, dtype=torch.float64)
    m = nn.Copy('torch.DoubleTensor', 'torch.FloatTensor')
    y = m.forward(x)
    assert y.dtype == torch.float32 and torch.equal(y, x.float())
    assert m.backward(x, torch.ones(2, 3, dtype=torch.float32)).dtype == torch.float64
    same = nn.Copy('torch.DoubleTensor', 'torch.DoubleTensor')
    assert same.forward(x) is x
    forced = nn.Copy('torch.DoubleTensor', 'torch.DoubleTensor', True)
    assert forced.forward(x) is not x and torch.equal(forced.forward(x), x)
    for dont_cast in (False, True):                  # dontCast: type() leaves the module alone
        c = nn.Copy('torch.DoubleTensor', 'torch.FloatTensor', False, dont_cast)
        c.forward(x)
        c.type('torch.DoubleTensor')
        assert c.output.dtype == (torch.float32 if dont_cast else torch.float64)
    with pytest.raises(ValueError, match="Copy: expecting a Lua tensor type name"):
        nn.Copy('torch.Foo')


def test_dropout_evaluate_is_identity_and_training_scales():
    torch.manual_seed(2)
    x = torch.ones(200, 50, dtype=torch.float64)
    m = nn.Dropout(0.4).double()
    m.evaluate()
    assert torch.equal(m.forward(x), x)
    assert torch.equal(m.backward(x, 2 * x), 2 * x)
    m.training()
    y = m.forward(x)
    kept = y != 0
    assert torch.allclose(y[kept], torch.full_like(y[kept], 1 / 0.6))
    assert float(kept.double().mean()) == pytest.approx(0.6, abs=0.02)
    assert torch.equal(m.backward(x, x), y)


@pytest.mark.parametrize("make, input, match", [
    (lambda: nn.Narrow(2, 4, 3), _r(2, 5), r"Narrow: cannot take 3 elements from 4 \(1-based\) in dimension 2"),
    (lambda: nn.Narrow(3, 1), _r(2, 5), r"Narrow: dimension 3 out of range for a 2-D input"),
    (lambda: nn.Select(2, 6), _r(2, 5), r"Select: index 6 out of range for size 5 in dimension 2"),
    (lambda: nn.Transpose([1, 4]), _r(2, 5), r"Transpose: cannot swap dimensions 1 and 4"),
    (lambda: nn.Replicate(2, 4), _r(2, 5), r"Replicate: not enough input dimensions to replicate along dimension 4"),
    (lambda: nn.Unsqueeze(4), _r(2, 5), r"Unsqueeze: invalid position 4"),
    (lambda: nn.Padding(3, 1), _r(2, 5), r"Padding: dimension 3 out of range"),
    (lambda: nn.Index(1), [_r(2, 5), torch.tensor([3])], r"Index: indices must lie in \[1, 2\]"),
])
def test_bad_input(make, input, match):
    with pytest.raises(ValueError, match=match):
        make().forward(input)


def _children(model):
    """The Lua children of a loaded container (a generic object until its class is provided)."""
    if isinstance(model, torch.nn.Module):
        return list(model._modules.values())
    return list(model.table['modules'])


def _np(x):
    return torch.from_numpy(np.ascontiguousarray(x))


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_twobranch_modules_rerun_torch7(fmt):
    """Narrow, Replicate, Transpose, Sum, PReLU and Normalize of the Torch7-written twobranch
    model load from their fields and reproduce, from the JoinTable output Torch7 stored, every
    stored output and the model's evaluate-mode output."""
    mods = _children(t7.load(str(MODELS / f"twobranch_{fmt}.t7"), fmt))
    x = mods[2].output if isinstance(mods[2], torch.nn.Module) else mods[2].table['output']
    tail = mods[3:]
    assert [type(m).__name__ for m in tail] == ['Narrow', 'Replicate', 'Transpose', 'Sum', 'PReLU', 'Normalize']
    want = {m: m.output.clone() for m in tail}
    for m in tail:
        m.evaluate()
        x = m.forward(x)
        assert torch.allclose(x, want[m], rtol=0, atol=1e-12), type(m).__name__
    final = torchfile.load(str(MODELS / "models_forward.t7"), utf8_decode_strings=True)['twobranch']
    assert torch.allclose(x, _np(final['output']), rtol=0, atol=1e-12)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_text_model_lookup_and_max_rerun_torch7(fmt):
    mods = _children(t7.load(str(MODELS / f"text_{fmt}.t7"), fmt))
    lut, mx = mods[0], mods[3]
    assert isinstance(lut, nn.LookupTable) and isinstance(mx, nn.Max)
    final = torchfile.load(str(MODELS / "models_forward.t7"), utf8_decode_strings=True)['text']
    stored = lut.output.clone()
    assert torch.equal(lut.forward(_np(final['input'])), stored)
    tanh_out = mods[2].output
    stored = mx.output.clone()
    assert torch.equal(mx.forward(tanh_out), stored)



def test_t7_round_trip(tmp_path):
    model = nn.Sequential().add(nn.Narrow(2, 2, 3)).add(nn.Padding(1, -1, 1, 7.0)).add(nn.Replicate(2, 1, 1)) \
        .add(nn.Transpose([2, 3])).add(nn.Squeeze()).add(nn.Unsqueeze(1, 2)).add(nn.Select(2, 1)).double()
    assert_t7_round_trip(tmp_path, model, _r(3, 5))


def test_integral_float_arguments_and_unsqueeze_memory():
    assert nn.View(2.0, 3).forward(torch.zeros(6)).shape == (2, 3)
    assert nn.Reshape(3.0, 2).forward(torch.zeros(6)).shape == (3, 2)
    assert nn.Narrow(2.0, 1, 2.0).forward(torch.zeros(2, 4)).shape == (2, 2)
    with pytest.raises(ValueError, match="View: expecting size to be an integer, got 2.5"):
        nn.View(2.5)
    u = nn.Unsqueeze(2)
    assert u.forward(torch.zeros(3, 4)).shape == (3, 1, 4)
    assert u.forward(torch.zeros(5, 3, 4)).shape == (5, 3, 1, 4)     # rank 2 remembered: a batch
