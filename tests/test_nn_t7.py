"""compat.nn modules through .t7 files: fixtures load as working modules, and saved models load
back with the Lua field set (checked on the raw field tables) and the same numbers."""
import torch

import compat.nn as nn
from compat import t7
from tests.conftest import load_fixture


def cifar_like():
    torch.manual_seed(5)
    return (nn.Sequential()
            .add(nn.SpatialConvolutionMM(3, 4, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(3, 3, 3, 3))
            .add(nn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1)).add(nn.Sigmoid())
            .add(nn.View(4 * 4 * 4)).add(nn.Dropout(0.5)).add(nn.Linear(64, 10)).add(nn.Tanh())
            .add(nn.Reshape(10)).add(nn.Identity()).add(nn.SoftMax()).add(nn.LogSoftMax())).double()


def test_save_load_roundtrip(tmp_path):
    m = cifar_like()
    m.evaluate()
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64)
    out = m.forward(x)
    for fmt in ('binary', 'ascii'):
        path = str(tmp_path / f'm_{fmt}.t7')
        t7.save(path, m, fmt)
        m2 = t7.load(path, fmt)
        assert isinstance(m2, nn.Sequential) and m2.size() == 13
        assert torch.equal(m2.forward(x), out)
        g = torch.randn_like(out)
        m.zeroGradParameters()
        m2.zeroGradParameters()
        assert torch.allclose(m2.backward(x, g), m.backward(x, g))
        assert torch.equal(m2.getParameters()[1], m.getParameters()[1])


def test_saved_fields_are_lua_fields(tmp_path):
    """Read the file back with the generic loader (no compat.nn classes) to see the Lua tables."""
    from compat.t7 import registry
    m = nn.Sequential().add(nn.SpatialConvolutionMM(3, 4, 5, 5, 2, 1, 1, 0)).add(nn.View(-1)).add(nn.Dropout(0.2))
    path = str(tmp_path / 'f.t7')
    t7.save(path, m)
    saved = dict(registry._loaders)
    try:
        registry._loaders.clear()
        raw = t7.load(path)
    finally:
        registry._loaders.update(saved)
    assert isinstance(raw, t7.T7Object) and raw.torch_typename == 'nn.Sequential'
    conv, view, drop = raw.table['modules']
    assert conv.torch_typename == 'nn.SpatialConvolutionMM'
    for f, v in dict(nInputPlane=3, nOutputPlane=4, kW=5, kH=5, dW=2, dH=1, padW=1, padH=0).items():
        assert conv.table[f] == v
    assert conv.table['weight'].shape == (4, 75) and conv.table['gradBias'].shape == (4,)
    assert conv.table['_type'] == 'torch.DoubleTensor' or conv.table['_type'] == 'torch.FloatTensor'
    assert view.table['size'].tolist() == [-1] and view.table['numElements'] == 1
    assert drop.table['p'] == 0.2 and drop.table['v2'] is True and drop.table['train'] is True


def test_criterion_roundtrip(tmp_path):
    ref = load_fixture('modules_reference.t7')['nn.CrossEntropyCriterion']
    path = str(tmp_path / 'c.t7')
    t7.save(path, nn.CrossEntropyCriterion())
    c = t7.load(path)
    assert abs(c.forward(ref['input'], ref['target']) - ref['output']) < 1e-12


def test_loaded_fixture_model_trains_with_lua_methods():
    m = load_fixture('linear_model_binary.t7')
    x = torch.randn(4, 6, dtype=torch.float64)
    crit = nn.ClassNLLCriterion()
    y = torch.tensor([1, 2, 3, 1])
    before = crit.forward(m.forward(x), y)
    for _ in range(20):
        m.zeroGradParameters()
        m.backward(x, crit.backward(m.forward(x), y))
        m.updateParameters(0.1)
    assert crit.forward(m.forward(x), y) < before
