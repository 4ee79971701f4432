"""Containers of compat.nn (containers.py, table_containers.py): Lua behaviours the Torch7 reference
cases do not reach (printout nesting, reset, MapTable's shared clones, .t7 round trips, errors)."""
import io
from pathlib import Path

import pytest
import torch as T

from compat import nn
from compat import torch as ctorch


def _roundtrip(m, fmt):
    buf = io.BytesIO()
    ctorch.save(buf, m, fmt)
    buf.seek(0)
    return ctorch.load(buf, fmt)


def test_nested_printout_is_torch7s_tree():
    """Concat.__tostring__'s rule (torch/nn Concat.lua): a child's lines are indented by the
    branch's continuation ('  |    ' between branches, '       ' on the last one)."""
    inner = nn.ConcatTable().add(nn.Linear(2, 2)).add(nn.Identity())
    m = nn.Concat(1).add(nn.Sequential().add(nn.Linear(2, 3)).add(inner)).add(nn.Tanh())
    assert str(m) == (
        "nn.Concat {\n"
        "  input\n"
        "    |`-> (1): nn.Sequential {\n"
        "    |      [input -> (1) -> (2) -> output]\n"
        "    |      (1): nn.Linear(2 -> 3)\n"
        "    |      (2): nn.ConcatTable {\n"
        "    |        input\n"
        "    |          |`-> (1): nn.Linear(2 -> 2)\n"
        "    |           `-> (2): nn.Identity\n"
        "    |           ... -> output\n"
        "    |      }\n"
        "    |    }\n"
        "     `-> (2): nn.Tanh\n"
        "     ... -> output\n"
        "}")
    assert str(nn.MapTable()) == "nn.MapTable { }"
    assert str(nn.Bottle(nn.Sequential().add(nn.Tanh()))) == (
        "nn.Bottle @ nn.Sequential {\n  [input -> (1) -> output]\n  (1): nn.Tanh\n}")


def test_reset_recurses_and_honours_stdv():
    m = nn.Sequential().add(nn.Concat(2).add(nn.Linear(50, 40)).add(nn.Tanh())).add(nn.Linear(80, 30))
    before = [p.clone() for p in m.parameters()[0]]
    assert m.reset(0.01) is m
    for p, old in zip(m.parameters()[0], before):
        assert not T.equal(p, old)
        assert float(p.detach().abs().max()) <= 0.01 * 3 ** 0.5         # Lua: uniform(-stdv*sqrt(3), stdv*sqrt(3))
    tanh = nn.Tanh()
    assert tanh.reset() is tanh                                    # Module:reset() of a module without weights


def test_integral_floats_are_accepted_as_in_lua():
    x = T.randn(2, 5)
    m = nn.Concat(2.0).add(nn.Linear(5, 3)).add(nn.Linear(5, 4))
    assert m.forward(x).shape == (2, 7)
    assert nn.Parallel(1.0, 1.0).inputDimension == 1
    with pytest.raises(ValueError, match=r"Concat: expecting dimension to be an integer >= 1, got 2.5"):
        nn.Concat(2.5)


def test_map_table_clones_share_weights_and_gradients():
    lin = nn.Linear(3, 2)
    m = nn.MapTable(lin)
    xs = [T.randn(4, 3) for _ in range(3)]
    gs = [T.randn(4, 2) for _ in range(3)]
    out = m.forward(xs)
    for x, y in zip(xs, out):
        assert T.allclose(y, x @ lin.weight.detach().t() + lin.bias.detach())
    m.zeroGradParameters()
    m.backward(xs, gs)
    want = sum(g.t() @ x for x, g in zip(xs, gs))                 # the one shared gradWeight
    assert T.allclose(lin.gradWeight, want)
    w, gw = m.parameters()
    assert len(w) == 6 and all(p is lin.weight for p in w[::2])    # Lua lists them per clone
    assert all(g is lin.gradWeight for g in gw[::2])
    flat, _ = m.getParameters()
    assert flat.numel() == 3 * 2 + 2                               # stored once
    old = lin.weight.detach().clone()
    m.updateParameters(0.1)
    assert T.allclose(lin.weight.detach(), old - 0.1 * want)       # applied once, not per clone
    assert m.clearState().size() == 1


def test_training_and_evaluate_reach_the_children():
    drop = nn.Dropout(0.5)
    m = nn.ConcatTable().add(nn.Sequential().add(drop)).add(nn.Identity())
    m.evaluate()
    assert not drop.training
    m.training()
    assert drop.training


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_containers_round_trip_through_t7(fmt):
    T.manual_seed(0)
    m = (nn.Sequential()
         .add(nn.ConcatTable().add(nn.Linear(4, 4)).add(nn.Identity()))
         .add(nn.ParallelTable().add(nn.Tanh()).add(nn.Bottle(nn.Linear(4, 4))))
         .add(nn.MapTable(nn.Sigmoid()))
         .add(nn.JoinTable(2)))
    x = T.randn(3, 4)
    again = _roundtrip(m, fmt)
    assert str(again) == str(m)
    assert T.equal(again.forward(x), m.forward(x))
    assert isinstance(again.get(3), nn.MapTable) and again.get(3).module is again.get(3).get(1)
    m2 = nn.Sequential().add(nn.Concat(2).add(nn.Linear(4, 3)).add(nn.Identity())).add(nn.Tanh())
    m3 = _roundtrip(m2, fmt)
    assert str(m3) == str(m2)
    assert T.equal(m3.forward(x), m2.forward(x))


def test_errors_name_the_container_and_the_sizes():
    with pytest.raises(ValueError, match=r"In 2 module of nn.ConcatTable: Linear: expecting input of size 3"):
        nn.ConcatTable().add(nn.Identity()).add(nn.Linear(3, 2)).forward(T.randn(2, 4))
    with pytest.raises(ValueError, match=r"Concat: child outputs of sizes \[\(2, 3\), \(1, 3\)\] cannot be "
                                         r"concatenated along dimension 2"):
        _concat_mismatch()
    with pytest.raises(ValueError, match=r"Parallel: expecting input of size at most 2 \(one slice per module\) in "
                                         r"dimension 2, got size \(3, 4\)"):
        nn.Parallel(2, 1).add(nn.Identity()).add(nn.Identity()).forward(T.randn(3, 4))
    with pytest.raises(TypeError, match=r"ParallelTable: expecting input to be a table \(a list\), got Tensor"):
        nn.ParallelTable().add(nn.Identity()).forward(T.randn(3))
    with pytest.raises(ValueError, match=r"ParallelTable: expecting input to be a table of at least 2 entries, got 1"):
        nn.ParallelTable().add(nn.Identity()).add(nn.Identity()).forward([T.randn(3)])
    with pytest.raises(ValueError, match=r"Bottle: expecting an input of at least 2 dimensions, got size \(4,\)"):
        nn.Bottle(nn.Linear(4, 3)).forward(T.randn(4))
    with pytest.raises(ValueError, match=r"MapTable: a single module is required"):
        nn.MapTable(nn.Tanh()).add(nn.Tanh())


def _concat_mismatch():
    """Two children whose outputs differ outside the concatenation dimension."""
    class Half(nn.Identity):
        def updateOutput(self, input):
            self.output = input[:1]
            return self.output
    nn.Concat(2).add(nn.Linear(2, 3)).add(nn.Sequential().add(nn.Linear(2, 3)).add(Half())).forward(T.randn(2, 2))


def test_lua_fields_a_class_does_not_use_are_written_back(tmp_path):
    """A Torch7-written module keeps the Lua fields compat.nn does not use (buffers such as
    Normalize's 'norm'), so a resave holds what Torch7 wrote; clearState drops them, as Lua's."""
    from compat.t7 import load, registry
    model = ctorch.load(str(Path(__file__).parent / "fixtures" / "t7" / "wave2" / "models" / "twobranch_binary.t7"))
    path = tmp_path / "again.t7"

    def raw_fields():
        ctorch.save(str(path), model)
        saved, registry._loaders = registry._loaders, {}
        try:
            return set(load(str(path)).table['modules'][-1].table)
        finally:
            registry._loaders = saved
    assert {'norm', 'normp', 'buffer'} <= raw_fields()
    model.clearState()
    assert not {'norm', 'normp', 'buffer'} & raw_fields()
