"""Objectives with known minima for the compat.optim tests (independent of the code under test)."""
import torch


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
