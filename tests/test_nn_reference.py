"""compat.nn against Torch7's own numbers (modules_reference.t7, more_modules_reference.t7,
linear_model_*.t7): output, gradInput, gradWeight, gradBias to 1e-12 in double precision."""
import pytest
import torch

import compat.nn as nn
from tests.conftest import load_fixture

TOL = 1e-12

MODULES = ['nn.Linear', 'nn.SpatialConvolutionMM', 'nn.SpatialMaxPooling', 'nn.ReLU', 'nn.Tanh',
           'nn.LogSoftMax', 'nn.View', 'nn.Reshape']
MORE = ['nn.SpatialConvolution', 'nn.Sigmoid', 'nn.SoftMax', 'nn.Identity', 'nn.Dropout_evaluate',
        'nn.Linear_1d', 'nn.SpatialMaxPooling_overlap', 'nn.Reshape_1d', 'nn.View_1d']


def close(a, b, tol=TOL):
    assert a.shape == b.shape, (a.shape, b.shape)
    assert (a.double() - b.double()).abs().max().item() <= tol


def _check_module(entry):
    m = entry['module']
    assert isinstance(m, nn.Module)
    out = m.forward(entry['input'])
    close(out, entry['output'])
    m.zeroGradParameters()
    gi = m.backward(entry['input'], entry['gradOutput'])
    close(gi, entry['gradInput'])
    if 'gradWeight' in entry:
        close(m.gradWeight, entry['gradWeight'])
        close(m.gradBias, entry['gradBias'])
        close(m.weight, entry['weight'])


@pytest.mark.parametrize('name', MODULES)
def test_modules_reference(name):
    _check_module(load_fixture('modules_reference.t7')[name])


@pytest.mark.parametrize('name', MORE)
def test_more_modules_reference(name):
    _check_module(load_fixture('more_modules_reference.t7')[name])


def test_ascii_fixture_gives_same_modules():
    e = load_fixture('modules_reference_ascii.t7')['nn.SpatialConvolutionMM']
    _check_module(e)


def test_module_built_from_weights_matches():
    """The same numbers from a module built by the constructor, with the fixture's weights."""
    e = load_fixture('modules_reference.t7')['nn.SpatialConvolutionMM']
    m = nn.SpatialConvolutionMM(3, 4, 5, 5).double()
    with torch.no_grad():
        m.weight.copy_(e['weight'])
        m.bias.copy_(e['bias'])
    close(m.forward(e['input']), e['output'])
    m.zeroGradParameters()
    close(m.backward(e['input'], e['gradOutput']), e['gradInput'])
    close(m.gradWeight, e['gradWeight'])
    close(m.gradBias, e['gradBias'])


@pytest.mark.parametrize('name', ['nn.ClassNLLCriterion', 'nn.CrossEntropyCriterion', 'nn.MSECriterion'])
def test_criterions_reference(name):
    e = load_fixture('modules_reference.t7')[name]
    c = e['module']
    assert isinstance(c, nn.Criterion)
    loss = c.forward(e['input'], e['target'])
    assert isinstance(loss, float)
    assert abs(loss - e['output']) <= TOL
    close(c.backward(e['input'], e['target']), e['gradInput'])


def test_criterions_built_fresh():
    ref = load_fixture('modules_reference.t7')
    for name, c in (('nn.ClassNLLCriterion', nn.ClassNLLCriterion()),
                    ('nn.CrossEntropyCriterion', nn.CrossEntropyCriterion()),
                    ('nn.MSECriterion', nn.MSECriterion(True))):
        e = ref[name]
        assert abs(c.forward(e['input'], e['target']) - e['output']) <= TOL
        close(c.backward(e['input'], e['target']), e['gradInput'])


def test_linear_accUpdateGradParameters():
    e = load_fixture('more_modules_reference.t7')['nn.Linear_accUpdateGradParameters']
    m = e['module']
    close(m.weight, e['weight_before'])
    close(m.forward(e['input']), e['output'])
    m.zeroGradParameters()
    close(m.updateGradInput(e['input'], e['gradOutput']), e['gradInput'])
    m.accUpdateGradParameters(e['input'], e['gradOutput'], e['lr'])
    close(m.weight, e['weight_after'])
    close(m.bias, e['bias_after'])
    assert m.gradWeight.abs().max().item() == 0 and m.gradBias.abs().max().item() == 0


def test_cifar_model():
    e = load_fixture('more_modules_reference.t7')['cifar_model']
    m = e['module']
    assert isinstance(m, nn.Sequential) and m.size() == 12
    assert not bool(m.get(8).training)          # saved after :evaluate()
    params, grads = m.getParameters()
    assert params.numel() == 114838
    close(params, e['params'])
    close(m.forward(e['input']), e['output'])
    m.zeroGradParameters()
    close(m.backward(e['input'], e['gradOutput']), e['gradInput'])
    close(grads, e['gradParams'], 1e-10)        # sums of up to 1600 products of O(1) terms
    assert abs(grads.sum().item() - 793.34934712599659) < 1e-9


def test_linear_model_forward():
    for fname in ('linear_model_binary.t7', 'linear_model_ascii.t7'):
        m = load_fixture(fname)
        f = load_fixture('linear_model_forward.t7')
        close(m.forward(f['input']), f['output'])
    assert abs(f['output'][0, 0].item() - (-1.1866417884463)) < 1e-12


def test_float32_tolerance():
    """Float32 works; against the double reference it agrees to ~1e-5 relative (documented)."""
    e = load_fixture('more_modules_reference.t7')['cifar_model']
    m = e['module'].float()
    out = m.forward(e['input'].float())
    assert out.dtype == torch.float32
    close(out, e['output'], 1e-4)
