"""The criterions of criterions_pointwise.py, criterions_margin.py, and the composites of
criterions.py: Torch7's choices at the kinks, number targets, .t7 round trips and bad input."""
import io

import pytest
import torch as T

from compat import nn
from compat import torch as ctorch


def test_abs_criterion_gradient_at_equality_is_positive():
    """THNN AbsCriterion: gradInput = (x - y) >= 0 ? norm : -norm."""
    x = T.tensor([1.0, 2.0, 3.0, 4.0])
    y = T.tensor([1.0, 3.0, 3.0, 0.0])
    c = nn.AbsCriterion()
    assert c.forward(x, y) == pytest.approx(5.0 / 4)
    assert T.equal(c.backward(x, y), T.tensor([0.25, -0.25, 0.25, 0.25]))


def test_margin_ranking_with_a_number_target_and_the_hinge_mask():
    c = nn.MarginRankingCriterion(0.5)
    a, b = T.tensor([1.0]), T.tensor([0.2])
    assert c.forward([a, b], -1) == pytest.approx(1.3)          # max(0, -(-1)(0.8) + 0.5)
    g1, g2 = c.backward([a, b], -1)
    assert T.equal(g1, T.tensor([1.0])) and T.equal(g2, T.tensor([-1.0]))
    # the mask is dist >= 0, so the hinge's corner (dist == 0) still passes the gradient
    a, b = T.tensor([1.0, 3.0]), T.tensor([0.5, 1.0])
    g1, _ = c.backward([a, b], T.tensor([1.0, 1.0]))
    assert T.equal(g1, T.tensor([-0.5, 0.0]))


def test_hinge_embedding_with_a_number_target():
    c = nn.HingeEmbeddingCriterion(2)
    assert c.forward(T.tensor([0.5]), -1) == pytest.approx(1.5)
    assert T.equal(c.backward(T.tensor([3.0]), -1), T.tensor([0.0]))


def test_multi_criterion_and_parallel_criterion_weights():
    x, y = T.randn(3, 4), T.randn(3, 4)
    m = nn.MultiCriterion().add(nn.MSECriterion(), 0.5).add(nn.AbsCriterion())
    want = 0.5 * ((x - y) ** 2).mean() + (x - y).abs().mean()
    assert m.forward(x, y) == pytest.approx(float(want))
    assert T.allclose(m.backward(x, y), 0.5 * 2 * (x - y) / 12 + T.sign(x - y) / 12)
    p = nn.ParallelCriterion(True).add(nn.MSECriterion()).add(nn.AbsCriterion(), 2)
    assert p.forward([x, x], y) == pytest.approx(float(((x - y) ** 2).mean() + 2 * (x - y).abs().mean()))
    g = p.backward([x, x], y)
    assert isinstance(g, list) and T.allclose(g[1], 2 * T.sign(x - y) / 12)


@pytest.mark.parametrize("fmt", ["binary", "ascii"])
def test_criterions_round_trip_through_t7(fmt):
    x, t = T.rand(3, 4) * 0.9 + 0.05, (T.rand(3, 4) > 0.5).double()
    for c in (nn.BCECriterion(T.tensor([1.0, 2.0, 0.5, 1.0])), nn.SmoothL1Criterion(False),
              nn.MultiCriterion().add(nn.MSECriterion(), 0.5).add(nn.AbsCriterion()),
              nn.MultiMarginCriterion(2, None, 0.5)):
        buf = io.BytesIO()
        ctorch.save(buf, c, fmt)
        buf.seek(0)
        again = ctorch.load(buf, fmt)
        assert type(again) is type(c) and str(again) == str(c)
        tt = T.tensor([1, 3, 4]) if isinstance(c, nn.MultiMarginCriterion) else t
        assert again.double().forward(x.double(), tt) == c.double().forward(x.double(), tt)


def test_bad_input_names_the_criterion():
    with pytest.raises(ValueError, match=r"BCECriterion: input values should be between 0 and 1"):
        nn.BCECriterion().forward(T.tensor([0.5, 1.5]), T.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"AbsCriterion: expecting target with as many elements as input \(2, 3\), "
                                         r"got size \(5,\)"):
        nn.AbsCriterion().forward(T.randn(2, 3), T.randn(5))
    with pytest.raises(ValueError, match=r"MultiMarginCriterion: target out of range; expecting 1-based class "
                                         r"indices in \[1, 5\]"):
        nn.MultiMarginCriterion().forward(T.randn(2, 5), T.tensor([1, 6]))
    with pytest.raises(ValueError, match=r"MultiMarginCriterion: only p=1 and p=2 are supported, got p=3"):
        nn.MultiMarginCriterion(3)
    with pytest.raises(ValueError, match=r"MultiLabelMarginCriterion: expecting a target of size \(2, 4\)"):
        nn.MultiLabelMarginCriterion().forward(T.randn(2, 4), T.tensor([[1, 0, 0]]))
    with pytest.raises(ValueError, match=r"SpatialClassNLLCriterion: expecting input to be 3-D or 4-D"):
        nn.SpatialClassNLLCriterion().forward(T.randn(2, 3), T.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"ParallelCriterion: expecting input to be a table of 2 entries"):
        nn.ParallelCriterion().add(nn.MSECriterion()).add(nn.MSECriterion()).forward(T.randn(3), [T.randn(3)])
