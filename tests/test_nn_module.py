"""The Lua Module contract and its PyTorch side (compat/nn/module.py, containers.py)."""
import pytest
import torch
import torch.nn.functional as F

import compat.nn as nn


def mlp():
    torch.manual_seed(1)
    return nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax()).double()


def dense_reference(model, x, y):
    """Independent computation: plain functional PyTorch with autograd on copies of the weights."""
    w1, b1 = model.get(1).weight.detach().clone().requires_grad_(), model.get(1).bias.detach().clone().requires_grad_()
    w2, b2 = model.get(3).weight.detach().clone().requires_grad_(), model.get(3).bias.detach().clone().requires_grad_()
    out = F.log_softmax(torch.tanh(x @ w1.t() + b1) @ w2.t() + b2, 1)
    F.nll_loss(out, y - 1).backward()
    return out.detach(), [w1.grad, b1.grad, w2.grad, b2.grad]


def test_parameters_lua_semantics():
    m = mlp()
    w, g = m.parameters()
    assert [t.shape for t in w] == [(5, 4), (5,), (3, 5), (3,)]
    assert g[0] is m.get(1).gradWeight and g[0] is m.get(1).weight.grad
    assert nn.ReLU().parameters() == ([], [])
    assert all(x.abs().sum() == 0 for x in g)        # gradients start at zero


def test_backward_accumulates_until_zeroed_and_matches_autograd():
    m = mlp()
    x = torch.randn(3, 4, dtype=torch.float64)
    y = torch.tensor([1, 3, 2])
    crit = nn.ClassNLLCriterion()
    out_ref, grads_ref = dense_reference(m, x, y)
    for k in (1, 2):
        out = m.forward(x)
        assert out.grad_fn is None                   # the Lua path builds no graph
        crit.forward(out, y)
        m.backward(x, crit.backward(out, y))
        assert torch.allclose(out, out_ref, atol=1e-14)
        for g, r in zip(m.parameters()[1], grads_ref):
            assert torch.allclose(g, k * r, atol=1e-14)
    m.zeroGradParameters()
    assert all(g.abs().sum() == 0 for g in m.parameters()[1])


def test_pytorch_autograd_path_fills_gradWeight():
    m = mlp()
    x = torch.randn(3, 4, dtype=torch.float64)
    y = torch.tensor([1, 3, 2])
    out_ref, grads_ref = dense_reference(m, x, y)
    out = m(x)                                       # torch __call__: differentiable
    F.nll_loss(out, y - 1).backward()
    assert torch.allclose(out.detach(), out_ref, atol=1e-14)
    for g, r in zip(m.parameters()[1], grads_ref):
        assert torch.allclose(g, r, atol=1e-14)
    loss = nn.ClassNLLCriterion()(m(x), y)           # criterion __call__ is differentiable too
    assert loss.requires_grad


def test_torch_optimizer_and_getParameters_alias():
    m = mlp()
    flat, flat_grad = m.getParameters()
    assert flat.numel() == 5 * 4 + 5 + 3 * 5 + 3
    opt = torch.optim.SGD(m.named_parameters(), lr=0.1)
    x = torch.randn(3, 4, dtype=torch.float64)
    y = torch.tensor([1, 3, 2])
    before = flat.clone()
    opt.zero_grad()                                  # sets .grad to None
    F.nll_loss(m(x), y - 1).backward()
    g = m.get(1).gradWeight                          # re-attached to the flat buffer
    assert g.data_ptr() == flat_grad.data_ptr()
    opt.step()
    assert torch.allclose(flat, before - 0.1 * flat_grad, atol=1e-15)
    assert m.get(1).weight.data_ptr() == flat.data_ptr()   # weights still alias the flat tensor
    opt2 = torch.optim.SGD(m.torch_parameters(), lr=0.1)
    assert len(opt2.param_groups[0]['params']) == 4


def test_getParameters_twice_and_updateParameters():
    m = mlp()
    p1, g1 = m.getParameters()
    p2, g2 = m.getParameters()
    assert torch.equal(p1, p2)
    p2.fill_(0.5)
    assert m.get(3).bias.detach().eq(0.5).all()
    g2.fill_(1.0)
    m.updateParameters(0.1)
    assert torch.allclose(p2, torch.full_like(p2, 0.4))


def test_training_flag_descriptor():
    m = mlp().add(nn.Dropout(0.5))
    assert bool(m.training) and m.training == True  # noqa: E712
    m.evaluate()
    assert not m.training and not m.get(5).training
    m.training()
    assert m.get(5).training
    m.eval()                                          # PyTorch spelling works too
    assert not m.get(5).training
    x = torch.randn(2, 4, dtype=torch.float64)
    assert torch.equal(m.forward(x), m.get(4).output)


def test_dropout_training_scales():
    torch.manual_seed(0)
    d = nn.Dropout(0.25)
    x = torch.ones(1000, dtype=torch.float64)
    out = d.forward(x)
    kept = out != 0
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.75))
    g = d.backward(x, torch.ones_like(x))
    assert torch.equal(g, out)


def test_clone_is_deep_and_keeps_gradients():
    m = mlp()
    m.get(1).gradWeight.fill_(2.0)
    c = m.clone()
    assert c.get(1).gradWeight is c.get(1).weight.grad
    assert torch.equal(c.get(1).gradWeight, m.get(1).gradWeight)
    with torch.no_grad():
        c.get(1).weight.add_(1)
    assert not torch.equal(c.get(1).weight, m.get(1).weight)


def test_type_conversions():
    m = mlp()
    assert m.type() == 'torch.DoubleTensor'
    m.float()
    assert m.type() == 'torch.FloatTensor' and m.get(1).gradWeight.dtype == torch.float32
    m.type('torch.DoubleTensor')
    assert m.get(3).weight.dtype == torch.float64 and m.get(3).weight.grad.dtype == torch.float64
    with pytest.raises(ValueError, match='torch.FloatTensor'):
        m.type('torch.BogusTensor')


def test_sequential_lua_list_operations():
    m = nn.Sequential()
    assert m.add(nn.ReLU()) is m
    m.add(nn.Tanh()).insert(nn.Sigmoid(), 1)
    assert [type(x).__name__ for x in m.modules] == ['Sigmoid', 'ReLU', 'Tanh']
    assert m.size() == 3 and isinstance(m.get(1), nn.Sigmoid)
    m.remove(2)
    assert [type(x).__name__ for x in m.modules] == ['Sigmoid', 'Tanh']
    m.remove()
    assert m.size() == 1
    assert len(list(m.modules())) == 2               # PyTorch's recursive modules() still works
    assert list(m.state_dict().keys()) == []
    with pytest.raises(IndexError, match=r'\[1, 1\]'):
        m.get(0)
    with pytest.raises(IndexError):
        m.insert(nn.ReLU(), 5)


def test_state_dict_and_to():
    m = mlp()
    sd = m.state_dict()
    assert set(sd) == {'0.weight', '0.bias', '2.weight', '2.bias'}
    m2 = mlp()
    with torch.no_grad():
        m2.get(1).weight.zero_()
    m2.load_state_dict(sd)
    assert torch.equal(m2.get(1).weight, m.get(1).weight)
    m.to(torch.float32)
    assert m.get(1).weight.dtype == torch.float32


def test_default_init_bounds():
    torch.manual_seed(0)
    lin = nn.Linear(16, 200)
    assert lin.weight.abs().max() <= 0.25 and lin.weight.abs().max() > 0.24
    conv = nn.SpatialConvolutionMM(3, 64, 5, 5)
    bound = 1 / (3 * 25) ** 0.5
    assert conv.weight.shape == (64, 75) and conv.weight.abs().max() <= bound
    assert conv.bias.abs().max() <= bound


def test_spatial_single_image_and_ceil_mode():
    torch.manual_seed(0)
    conv = nn.SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 0).double()   # kW=3, kH=2, dW=2, dH=1, padW=1
    x = torch.randn(2, 7, 8, dtype=torch.float64)
    out = conv.forward(x)
    ref = F.conv2d(x.unsqueeze(0), conv.weight, conv.bias, (1, 2), (0, 1))[0]
    assert out.shape == (3, 6, 4) and torch.allclose(out, ref)
    gi = conv.backward(x, torch.ones_like(out))
    assert gi.shape == x.shape
    pool = nn.SpatialMaxPooling(2, 2, 2, 2).ceil()
    assert pool.forward(torch.randn(1, 5, 5)).shape == (1, 3, 3)
    assert pool.floor().forward(torch.randn(1, 5, 5)).shape == (1, 2, 2)


def test_view_and_reshape_batch_rules():
    v = nn.View(-1, 2)
    assert v.forward(torch.zeros(3, 4)).shape == (6, 2)
    assert nn.View(4).forward(torch.zeros(3, 2, 2)).shape == (3, 4)
    assert nn.View(2, 2).setNumInputDims(2).forward(torch.zeros(5, 2, 2)).shape == (5, 2, 2)
    assert nn.Reshape(4).forward(torch.zeros(1, 4)).shape == (1, 4)     # first dim 1: batch
    assert nn.Reshape(4).forward(torch.zeros(2, 2)).shape == (4,)
    assert nn.Reshape(2, 2, False).forward(torch.zeros(1, 4)).shape == (2, 2)
