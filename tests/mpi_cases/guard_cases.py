"""automatedparallelization.guard under a real mpiexec: one rank's NaN makes every rank act alike."""
import torch

from automatedparallelization import comm, guard

R, P = comm.rank(), comm.size()
BAD = min(1, P - 1)  # the rank that produces the non-finite value (rank 1; rank 0 when alone)


def _model():
    torch.manual_seed(0)  # the same init on every rank
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))


def _backward(model, poison=None):
    torch.manual_seed(10 + R)  # each rank its own batch
    x = torch.randn(6, 4)
    if poison is not None and R == BAD:
        x[2, 1] = poison
    model(x).pow(2).mean().backward()


def _flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _same_on_every_rank(t):
    return torch.equal(comm.allgather(t.unsqueeze(0)), t.expand(P, *t.shape))


def case_all_finite_agrees_on_every_rank():
    ok = [torch.ones(3), torch.arange(4), None, torch.empty(0)]
    assert guard.all_finite(ok) is True
    assert guard.nonfinite_ranks(ok) == []
    for bad in (float("nan"), float("inf"), -float("inf")):
        mine = [torch.ones(3), torch.tensor([1.0, bad if R == BAD else 2.0], dtype=torch.float64)]
        assert guard.all_finite(mine) is False, bad
        assert guard.nonfinite_ranks(mine) == [BAD]
    assert guard.nonfinite_ranks(torch.tensor([float("nan")])) == list(range(P))
    # after a gradient allreduce the buffers are identical: the local check is everyone's answer
    g = torch.tensor([1.0, float("nan") if R == BAD else 0.0])
    comm.allreduce_(g, "mean")
    assert guard.all_finite(g, synchronized=True) is False


def case_skip_policy_skips_on_every_rank():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _flat(model).clone()
    _backward(model, poison=float("nan"))
    for p in model.parameters():  # the NaN reaches only rank BAD's gradients (no allreduce yet)
        assert bool(torch.isfinite(p.grad).all()) == (R != BAD)
    assert guard.skip_nonfinite_step(opt, model) is False
    assert torch.equal(_flat(model), before), "parameters moved on a skipped step"
    assert _same_on_every_rank(_flat(model))
    assert all(torch.equal(p.grad, torch.zeros_like(p)) for p in model.parameters())
    # the next, finite step is taken everywhere, with gradients averaged by hand
    opt.zero_grad()
    _backward(model)
    grads = [p.grad.clone() for p in model.parameters()]
    for g in grads:
        comm.allreduce_(g, "mean")
    expected = [p.detach() - 0.1 * g for p, g in zip(model.parameters(), grads)]
    for p in model.parameters():
        comm.allreduce_(p.grad, "mean")
    assert guard.skip_nonfinite_step(opt, model) is True
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p, e, rtol=0, atol=1e-7)
    assert _same_on_every_rank(_flat(model))


def case_skip_after_the_gradient_allreduce():
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=0.1)  # no optimizer state may appear either
    before = _flat(model).clone()
    _backward(model, poison=float("inf"))
    for p in model.parameters():
        comm.allreduce_(p.grad, "mean")
    assert guard.skip_nonfinite_step(opt, comm=None) is False  # grads from the optimizer's groups
    assert torch.equal(_flat(model), before) and not opt.state


def case_raise_policy_raises_on_every_rank():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _flat(model).clone()
    _backward(model, poison=float("nan"))
    try:
        guard.skip_nonfinite_step(opt, model, policy="raise")
    except FloatingPointError as exc:
        assert f"rank(s) [{BAD}] of {P}" in str(exc), str(exc)
        assert ("0.weight" in str(exc)) == (R == BAD), str(exc)
    else:
        raise AssertionError(f"rank {R}: expected FloatingPointError")
    assert torch.equal(_flat(model), before)


def _outcome(fn):
    try:
        fn()
    except Exception as exc:
        return type(exc), str(exc)
    return None, ""


def case_raise_on_every_rank():
    """One rank's error becomes every rank's: its own exception there, elsewhere one of the same
    class for TypeError/ValueError families (an importable subclass kept), else RuntimeError."""
    from automatedparallelization.checkpoint import CheckpointError
    assert _outcome(lambda: guard.raise_on_every_rank(None, None, "nothing")) == (None, "")
    for error, others in ((CheckpointError("file x is damaged"), CheckpointError),
                          (TypeError("size: expected an int"), TypeError),
                          (FileNotFoundError("no such file"), RuntimeError),
                          (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ValueError)):
        mine = error if R == BAD else None
        cls, text = _outcome(lambda: guard.raise_on_every_rank(mine, None, "loading"))
        if R == BAD:
            assert cls is type(error) and text == str(error), (cls, text)
        else:
            assert cls is others, (cls, others)
            assert text == f"loading failed on rank(s) [{BAD}] of {P}: rank {BAD}: {type(error).__name__}: {error}"
