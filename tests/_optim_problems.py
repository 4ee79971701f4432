"""Objectives with known minima for the compat.optim tests (independent of the code under test), and
the side-by-side run of a compat.optim algorithm and its torch.optim peer."""
import pytest
import torch

from compat import optim


def quadratic(n=6, seed=0):
    """f = 0.5 x'Ax - b'x with a random SPD A; returns (f, x0, x_star) with x_star = A^-1 b (LAPACK)."""
    gen = torch.Generator().manual_seed(seed)
    m = torch.randn(n, n, generator=gen, dtype=torch.float64)
    a = m @ m.T + n * torch.eye(n, dtype=torch.float64)
    b = torch.randn(n, generator=gen, dtype=torch.float64)

    def f(x):
        ax = a @ x
        return float(0.5 * x.dot(ax) - b.dot(x)), ax - b
    return f, torch.randn(n, generator=gen, dtype=torch.float64), torch.linalg.solve(a, b)


def rosenbrock(x):
    """The n-D Rosenbrock function (minimum 0 at all ones) and its gradient, vectorised."""
    a, b = 1 - x[:-1], x[1:] - x[:-1] ** 2
    g = torch.zeros_like(x)
    g[:-1] = -2 * a - 400 * x[:-1] * b
    g[1:] += 200 * b
    return float((a * a + 100 * b * b).sum()), g


N = 257


def smooth_problem(seed=0):
    """A smooth non-quadratic objective: sum log cosh(x - c) + 0.5 w x^2; gradient tanh(x - c) + w x."""
    gen = torch.Generator().manual_seed(seed)
    c = torch.randn(N, generator=gen, dtype=torch.float64)
    w = torch.rand(N, generator=gen, dtype=torch.float64)
    x0 = torch.randn(N, generator=gen, dtype=torch.float64) * 2

    def f(x):
        return float((torch.log(torch.cosh(x - c)) + 0.5 * w * x * x).sum()), torch.tanh(x - c) + w * x
    return f, x0


def against_torch(algo, config, make_torch_optim, steps=25):
    """Run compat.optim.<algo> and a torch.optim optimizer side by side on smooth_problem; the
    trajectories and returned f must agree; returns the compat state."""
    f, x0 = smooth_problem()
    x, state = x0.clone(), {}
    p = torch.nn.Parameter(x0.clone())
    reference = make_torch_optim([p])
    for step in range(steps):
        fx_expected = f(p.detach())[0]
        x, fx = getattr(optim, algo)(f, x, config, state)
        p.grad = f(p.detach())[1]
        reference.step()
        assert fx == [pytest.approx(fx_expected, rel=1e-12)]
        torch.testing.assert_close(x, p.detach(), rtol=1e-10, atol=1e-12, msg=f"{algo}: step {step + 1}")
    return state
