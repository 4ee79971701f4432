"""Bad input to compat.nn gives clear errors naming the module and the expected shape."""
import pytest
import torch

import compat.nn as nn


def test_linear_wrong_size():
    with pytest.raises(ValueError, match=r'Linear.*size 4.*\(2, 5\)'):
        nn.Linear(4, 3).forward(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r'Linear.*1-D or 2-D'):
        nn.Linear(4, 3).forward(torch.randn(2, 2, 4))


def test_non_tensor_input():
    with pytest.raises(TypeError, match=r'Linear: expecting input to be a torch.Tensor, got list'):
        nn.Linear(4, 3).forward([1, 2, 3, 4])
    with pytest.raises(TypeError, match='ReLU'):
        nn.ReLU().forward(3.0)


def test_conv_wrong_planes_and_small_image():
    conv = nn.SpatialConvolutionMM(3, 4, 5, 5)
    with pytest.raises(ValueError, match=r'SpatialConvolutionMM.*size 3.*N x 3 x H x W'):
        conv.forward(torch.randn(2, 4, 8, 8))
    with pytest.raises(ValueError, match='smaller than the kernel'):
        conv.forward(torch.randn(3, 4, 4))
    with pytest.raises(ValueError, match='3-D or 4-D'):
        conv.forward(torch.randn(3, 8))


def test_pooling_too_small():
    with pytest.raises(ValueError, match='SpatialMaxPooling'):
        nn.SpatialMaxPooling(3, 3).forward(torch.randn(1, 2, 2))


def test_view_mismatch():
    with pytest.raises(ValueError, match=r'View: input view \(2x5\) and desired view \(4\)'):
        nn.View(4).forward(torch.randn(2, 5))


def test_class_nll_targets_out_of_range():
    crit = nn.ClassNLLCriterion()
    x = torch.log_softmax(torch.randn(2, 5), 1)
    with pytest.raises(ValueError, match=r'target 0 out of range.*\[1, 5\]'):
        crit.forward(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'target 6 out of range'):
        crit.forward(x, torch.tensor([6, 1]))
    with pytest.raises(ValueError, match=r'expecting 2 target'):
        crit.forward(x, torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match='target'):
        crit.forward(x, 'a')
    with pytest.raises(ValueError, match=r'target 6'):
        crit.forward(x[0], 6)


def test_sequential_error_names_position():
    m = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r'In 2 module of nn.Sequential: Linear'):
        m.forward(torch.randn(1, 4))
    with pytest.raises(TypeError, match='expecting a module'):
        m.add('relu')


def test_bad_constructor_args():
    with pytest.raises(ValueError, match='inputSize'):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match='illegal percentage'):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match='pad should be smaller'):
        nn.SpatialMaxPooling(2, 2, 2, 2, 2, 2)


def test_mse_size_mismatch():
    with pytest.raises(ValueError, match='MSECriterion'):
        nn.MSECriterion().forward(torch.randn(3), torch.randn(4))


def test_stochastic_gradient_bad_dataset():
    with pytest.raises(TypeError, match='size\\(\\) and 1-based'):
        nn.StochasticGradient(nn.Linear(2, 2), nn.MSECriterion()).train(42)
