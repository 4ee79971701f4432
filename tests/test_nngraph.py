"""nngraph: a gModule equals the same network built from containers, forward and backward; its
walks follow nngraph's rules (checked on a graph whose creation order differs from them); shared
clones; .t7 round trips in Torch7's layout."""
import pytest
import torch

from compat import nn, nngraph
from compat import torch as ctorch

pytestmark = pytest.mark.usefixtures("double_default")


def _copy_params(dst, src):
    for p, q in zip(dst.parameters()[0], src.parameters()[0]):
        p.data.copy_(q)


def _fanout_graph():
    """y = Linear2(Tanh(Linear1(x))) + x * 2, as nodes."""
    x = nn.Identity()()
    h = nn.Tanh()(nn.Linear(3, 4)(x))
    y = nn.CAddTable()([nn.Linear(4, 3)(h), nn.MulConstant(2)(x)])
    return nn.gModule([x], [y])


def _fanout_containers():
    branch = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 3))
    return nn.Sequential().add(nn.ConcatTable().add(branch).add(nn.MulConstant(2))).add(nn.CAddTable())


def test_a_gmodule_equals_the_container_network_forward_and_backward():
    g, c = _fanout_graph(), _fanout_containers()
    _copy_params(g, c)
    x, go = torch.randn(3), torch.randn(3)
    assert torch.allclose(g.forward(x), c.forward(x))
    g.zeroGradParameters()
    c.zeroGradParameters()
    assert torch.allclose(g.backward(x, go), c.backward(x, go))
    for a, b in zip(g.parameters()[1], c.parameters()[1]):
        assert torch.allclose(a, b)
    g.updateParameters(0.1)
    c.updateParameters(0.1)
    assert torch.allclose(g.forward(x), c.forward(x))


def test_walk_order_follows_nngraph_not_creation_order():
    x = nn.Identity()()
    late = nn.Linear(2, 2)
    early = nn.Sigmoid()
    a = early(x)                      # created first ...
    b = late(x)
    out = nn.CSubTable()([b, a])      # ... but the output reads b first: depth-first visits b's side first
    g = nn.gModule([x], [out])
    names = [type(m).__name__ for m in g.modules]
    assert names == ["Identity", "Linear", "Sigmoid", "CSubTable"]
    assert len(g.forwardnodes) == 6 and len(g.backwardnodes) == 6
    assert g.forwardnodes[0] is g.innode and g.forwardnodes[-1] is g.outnode
    assert g.backwardnodes[0] is g.outnode and g.backwardnodes[-1] is g.innode
    v = torch.tensor([0.5, -1.0])
    assert torch.allclose(g.forward(v), late.forward(v) - torch.sigmoid(v))


def test_several_inputs_outputs_split_and_chaining():
    a, b = nn.Identity()(), nn.Identity()()
    pair = nn.Identity()([a, b])
    first, second = pair.split(2)
    y = nn.CMulTable()([first, second]) - nn.MulConstant(3)
    g = nn.gModule([a, b], [y, a])
    u, v = torch.randn(4), torch.randn(4)
    out = g.forward([u, v])
    assert isinstance(out, list) and torch.allclose(out[0], 3 * u * v) and torch.equal(out[1], u)
    gu, gv = g.backward([u, v], [torch.ones(4), torch.ones(4)])
    assert torch.allclose(gu, 3 * v + 1) and torch.allclose(gv, 3 * u)
    with pytest.raises(TypeError, match="expecting a table of 2 inputs"):
        g.forward(u)


def test_node_syntax_errors_are_named():
    with pytest.raises(TypeError, match="expecting an nngraph node, got Tensor"):
        nn.gModule([torch.ones(2)], [nn.Identity()()])
    x = nn.Identity()()
    with pytest.raises(ValueError, match="same input twice"):
        nn.CAddTable()([x, x])


def test_clone_shares_the_named_fields():
    g = _fanout_graph()
    shared = g.clone("weight", "bias", "gradWeight", "gradBias")
    copy = g.clone()
    x = torch.randn(3)
    g.modules[1].weight.data.mul_(-1)
    assert torch.allclose(shared.forward(x), g.forward(x))
    assert not torch.allclose(copy.forward(x), g.forward(x))
    assert shared.modules[1].weight.data_ptr() == g.modules[1].weight.data_ptr()
    g.zeroGradParameters()
    shared.backward(x, torch.ones(3))
    assert g.parameters()[1][0].abs().sum() > 0            # the gradient is shared too


def test_annotate_and_annotate_nodes():
    x = nn.Identity()()
    hidden = nn.Tanh()(x)
    named = nn.Sigmoid()(hidden).annotate({"name": "gate"})
    nngraph.annotateNodes()
    assert (x.data.annotations.name, hidden.data.annotations.name) == ("x", "hidden")
    assert named.data.annotations.name == "gate"


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_t7_round_trip(tmp_path, fmt):
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.CAddTable()([nn.Linear(2, 2)(a), b])
    g = nn.gModule([a, b], [nn.Tanh()(s), s])
    inputs = [torch.randn(2), torch.randn(2)]
    expected = g.forward(inputs)
    path = str(tmp_path / "g.t7")
    ctorch.save(path, g, fmt)
    back = ctorch.load(path, fmt)
    assert isinstance(back, nn.gModule) and back.nInputs == 2
    assert [type(m).__name__ for m in back.modules] == [type(m).__name__ for m in g.modules]
    assert len(back.forwardnodes) == len(g.forwardnodes) and len(back.backwardnodes) == len(g.backwardnodes)
    got = back.forward(inputs)
    assert all(torch.allclose(p, q) for p, q in zip(got, expected))
    gi = back.backward(inputs, [torch.ones(2), torch.ones(2)])
    assert len(gi) == 2
    back.getParameters()
    raw = ctorch.load(path, fmt)                 # saved twice: the layout is stable
    ctorch.save(path, raw, fmt)
    assert isinstance(ctorch.load(path, fmt), nn.gModule)
