"""optim.lswolfe ends on a point satisfying the strong Wolfe conditions; optim.polyinterp finds the minima
of known polynomials (closed-form cubic step and the general bounded least-squares path)."""
import pytest
import torch

from compat import optim

from ._optim_problems import quadratic, rosenbrock


@pytest.mark.parametrize("t", [1e-3, 1.0, 30.0])
def test_lswolfe_satisfies_the_strong_wolfe_conditions(t):
    x = torch.tensor([-1.2, 1.0, 0.5, -0.5], dtype=torch.float64)
    f, g = rosenbrock(x)
    d = -g / g.norm()
    gtd = float(g.dot(d))
    start = x.clone()
    f_new, g_new, x_new, t_new, evals = optim.lswolfe(rosenbrock, x, t, d, f, g, gtd)
    assert x_new is x
    torch.testing.assert_close(x, start + t_new * d)
    assert (f_new, g_new.tolist()) == (rosenbrock(x)[0], rosenbrock(x)[1].tolist())
    assert f_new <= f + 1e-4 * t_new * gtd                      # sufficient decrease
    assert abs(float(g_new.dot(d))) <= -0.9 * gtd               # curvature
    assert 1 <= evals <= 20


def test_lswolfe_on_a_quadratic_accepts_the_exact_minimiser_neighbourhood():
    f, x0, _ = quadratic()
    fx, g = f(x0)
    d = -g
    _, g_new, _, _, _ = optim.lswolfe(f, x0.clone(), 1.0, d, fx, g, float(g.dot(d)), {"c2": 0.1})
    assert abs(float(g_new.dot(d))) <= 0.1 * abs(float(g.dot(d)))


def test_polyinterp_closed_form_cubic():
    # f(x) = x^3 - 3x (minimum at 1) from its values and slopes at 0 and 2
    points = [[0.0, 0.0, -3.0], [2.0, 2.0, 9.0]]
    assert optim.polyinterp(torch.tensor(points, dtype=torch.float64)) == pytest.approx(1.0, rel=1e-12)
    assert optim.polyinterp(points[::-1]) == pytest.approx(1.0, rel=1e-12)


def test_polyinterp_general_path_with_bounds():
    # f(x) = (x - 2)^2 from x = 0 and 3, searched in [0, 5]: the cubic fit is the quadratic itself
    assert optim.polyinterp([[0.0, 4.0, -4.0], [3.0, 1.0, 2.0]], 0.0, 5.0) == pytest.approx(2.0, rel=1e-9)
    # the minimum lies beyond the bound: the bound is returned
    assert optim.polyinterp([[0.0, 4.0, -4.0], [3.0, 1.0, 2.0]], 0.0, 1.5) == pytest.approx(1.5)
    # no real minimum of the cubic inside: the interval's lowest end point (f = x^3 on [1, 2])
    assert optim.polyinterp([[1.0, 1.0, 3.0], [2.0, 8.0, 12.0]], 1.0, 2.0) == pytest.approx(1.0)


def test_polyinterp_rejects_malformed_points():
    with pytest.raises(ValueError, match=r"polyinterp: points must be N triplets \(x, f, g\), got shape \(2, 2\)"):
        optim.polyinterp([[0.0, 1.0], [1.0, 2.0]])
