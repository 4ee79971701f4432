"""Cases for automatedparallelization.datamodule (data parallelism) on 1, 2 and 3 real ranks.

Expected values come from independent computations: a single process training on the union of
the ranks' mini-batches (plain PyTorch / a compat.nn clone fed the whole batch), the mean of the
ranks' pre-synchronization tensors gathered with comm.allgather, and schedule arithmetic.
"""

import torch

from automatedparallelization import comm
from automatedparallelization import datamodule as automation
from compat import nn
from compat import torch as ctorch
from tests.mpi_cases import needs_ranks
from tests.mpi_cases._union import check_autograd_path_equals_union, check_lua_path_equals_union, flat, union

R, P = comm.rank(), comm.size()


def _native(seed, dtype=torch.float32):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)).to(dtype)


def _compat(seed, dtype=torch.float64):
    ctorch.manualSeed(seed)                     # compat.nn draws from Torch7's stream
    m = nn.Sequential()
    m.add(nn.Linear(5, 7))
    m.add(nn.Tanh())
    m.add(nn.Linear(7, 3))
    return m.type(dtype)


def _data(n, dtype, seed=1234):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g).to(dtype), torch.randn(n, 3, generator=g).to(dtype)


def _gathered(t):
    """Every rank's copy of 1-D ``t`` as a (P, n) tensor."""
    return comm.allgather(t.reshape(1, -1))


def case_sharding_partitions_exactly():
    for n in range(P, 51):
        shard, k = automation.data_parallel(torch.arange(n), n)
        assert k == shard.numel()
        whole = comm.allgather(shard)
        assert torch.equal(whole, torch.arange(n)), (n, whole)
        sizes = comm.allgather_object(k)
        assert max(sizes) - min(sizes) <= 1 and sum(sizes) == n, sizes


def _native_gradients_run(dtype, tol, set_to_none, path, bucket_bytes=None):
    """Synchronous SGD on ``path`` ('shared-memory', 'mpi-overlap' or 'mpi', named explicitly and
    checked: one rank has nothing to share, so 'shared-memory' is then the plain MPI overlap path)."""
    B, steps = 2, 3
    X, Y = _data(P * B * steps, dtype)
    model = _native(100 + R, dtype)              # different on every rank: parallelize broadcasts rank 0's
    comm.configure(shared_memory=path == "shared-memory")
    try:
        x, y, n = automation.parallelize(X, Y, model, X.shape[0], batchSize=1, sync="gradients",
                                         samples_per_backward=B, overlap=path != "mpi",
                                         bucket_bytes=bucket_bytes)
    finally:
        comm.configure(shared_memory=True)
    expected = "mpi-overlap" if path == "shared-memory" and P == 1 else path
    assert automation.handle(model).path == expected, (automation.handle(model).path, expected)
    assert n == B * steps
    ref = _native(100, dtype)
    assert torch.equal(flat(model), flat(ref))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for s in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        torch.nn.functional.mse_loss(model(x[s * B:(s + 1) * B]), y[s * B:(s + 1) * B]).backward()
        opt.step()
        # reference: one process, the union of the ranks' step-s mini-batches
        idx = union(n, s, B)
        ref_opt.zero_grad()
        torch.nn.functional.mse_loss(ref(X[idx]), Y[idx]).backward()
        ref_opt.step()
        assert torch.allclose(flat(model), flat(ref), atol=tol, rtol=0), (s, (flat(model) - flat(ref)).abs().max())
    assert automation.handle(model).syncs == steps


def case_gradients_native_path_shared_memory():
    _native_gradients_run(torch.float32, 1e-6, set_to_none=True, path="shared-memory")
    _native_gradients_run(torch.float64, 1e-12, set_to_none=False, path="shared-memory")


class _WithSpare(torch.nn.Module):
    """The model of _native plus a layer the forward pass never uses (its gradient stays None)."""

    def __init__(self, seed, dtype):
        super().__init__()
        torch.manual_seed(seed)
        self.body = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)).to(dtype)
        self.spare = torch.nn.Linear(3, 2).to(dtype)

    def forward(self, x):
        return self.body(x)


def case_gradients_accumulate_between_synchronizations():
    """batchSize=2: two backward calls per synchronization, then one optimizer step. With
    set_to_none=True the first call's gradients are fresh tensors that the second call accumulates
    into (on the shared-memory path they are averaged where they are, not claimed first); the
    unused layer contributes zeros. Equals one process accumulating the union's two mini-batches,
    and afterwards every .grad is its view of the reduction buffer. Run with every gradient
    deferred (DEFER_MIN_NUMEL 1) and with the small ones claimed as they arrive (threshold 8)."""
    from automatedparallelization import reduction
    saved = reduction.DEFER_MIN_NUMEL
    try:
        for reduction.DEFER_MIN_NUMEL in (1, 8):
            _accumulate_between_synchronizations()
    finally:
        reduction.DEFER_MIN_NUMEL = saved


def _accumulate_between_synchronizations():
    for path in ("shared-memory", "mpi-overlap"):
        for set_to_none, dtype, tol in ((True, torch.float32, 1e-6), (False, torch.float64, 1e-12)):
            B, steps = 2, 3
            X, Y = _data(P * B * 2 * steps, dtype)
            model = _WithSpare(100 + R, dtype)
            comm.configure(shared_memory=path == "shared-memory")
            try:
                x, y, n = automation.parallelize(X, Y, model, X.shape[0], batchSize=2, sync="gradients",
                                                 samples_per_backward=B)
            finally:
                comm.configure(shared_memory=True)
            handle = automation.handle(model)
            assert handle.path == ("mpi-overlap" if P == 1 else path), handle.path
            ref = _WithSpare(100, dtype)
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
            for s in range(steps):
                opt.zero_grad(set_to_none=set_to_none)
                ref_opt.zero_grad()
                for k in (2 * s, 2 * s + 1):
                    torch.nn.functional.mse_loss(model(x[k * B:(k + 1) * B]), y[k * B:(k + 1) * B]).backward()
                    idx = union(n, k, B)
                    torch.nn.functional.mse_loss(ref(X[idx]), Y[idx]).backward()
                assert handle.syncs == s + 1
                views = {id(p): v for f in handle.grads for p, v in zip(f.params, f.views)}
                assert all(p.grad is views[id(p)] for p in model.parameters())
                assert not model.spare.weight.grad.any()
                opt.step()
                ref_opt.step()
                assert torch.allclose(flat(model), flat(ref), atol=tol, rtol=0), (path, s)


def case_shared_memory_reduction_takes_any_gradient():
    """SharedMemoryReduction.reduce: a fresh contiguous gradient, a non-contiguous one, a missing
    one (zeros) and one already in the buffer all count, to the bit, as the mean of the ranks'
    values in rank order; afterwards each .grad is its view."""
    from automatedparallelization import reduction
    shapes = [(3, 4), (5,), (2, 3), (4,)]
    dtype = torch.float64
    red = comm.shared_reducer(sum(torch.Size(s).numel() for s in shapes), dtype, "cpu")
    if P == 1:
        assert red is None
        return
    params = [torch.nn.Parameter(torch.zeros(s, dtype=dtype)) for s in shapes]
    saved = reduction.DEFER_MIN_NUMEL
    reduction.DEFER_MIN_NUMEL = 5                                # params 0-2 (12, 5, 6 elements) are deferred
    try:
        buffers = reduction.gradient_buffers([params[::-1]], 1 << 20, [red])   # (laid out reversed)
        r = reduction.SharedMemoryReduction(comm.resolve(None), buffers, None, [red])
    finally:
        reduction.DEFER_MIN_NUMEL = saved
    f = r.grads[0]
    assert all(a is b for a, b in zip(f.params, params)) and f.deferred == [True, True, True, False]
    g = torch.Generator().manual_seed(R)
    values = [torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    values[2] = torch.zeros(shapes[2], dtype=dtype)
    params[0].grad = values[0].clone()                           # fresh, contiguous
    params[1].grad = torch.stack([values[1], values[1]], 1)[:, 0]  # not contiguous
    params[2].grad = None                                        # no gradient: zeros
    params[3].grad = values[3].clone()                           # fresh but small: claimed ...
    r.claim(include_deferred=False)
    assert params[3].grad is f.views[3] and params[0].grad is not f.views[0]
    assert torch.equal(f.views[3], values[3])                    # ... so already in the buffer
    r.reduce(P)
    mine = torch.cat([v.reshape(-1) for v in values])
    everyone = comm.allgather(mine.reshape(1, -1))
    expected = everyone[0].reshape(-1).clone()
    for q in range(1, P):
        expected += everyone[q].reshape(-1)
    expected /= P
    assert all(p.grad is v for p, v in zip(params, f.views))
    assert torch.equal(torch.cat([p.grad.reshape(-1) for p in params]), expected)


def case_gradients_native_path_mpi_blocking():
    _native_gradients_run(torch.float32, 1e-6, set_to_none=True, path="mpi")
    _native_gradients_run(torch.float64, 1e-12, set_to_none=False, path="mpi", bucket_bytes=64)


def case_gradients_native_path_mpi_overlap_small_buckets():
    _native_gradients_run(torch.float64, 1e-12, set_to_none=True, path="mpi-overlap", bucket_bytes=64)
    _native_gradients_run(torch.float32, 1e-6, set_to_none=False, path="mpi-overlap")


def case_gradients_compat_update_parameters_equals_union():
    for dtype, tol in ((torch.float32, 1e-6), (torch.float64, 1e-12)):
        B, steps = 3, 3
        X, Y = _data(P * B * steps, dtype, seed=7)
        model, ref = _compat(300 + R, dtype), _compat(300, dtype)
        check_lua_path_equals_union(model, ref, nn.MSECriterion(), nn.MSECriterion(), X, Y, B, steps, 0.05, tol)


def case_model_mode_averages_parameters_and_gradients():
    every, N = 2, 6 * P
    X, Y = _data(N, torch.float64, seed=3)
    model = _native(500 + R, torch.float64)
    x, y, n = automation.parallelize(X, Y, model, N, batchSize=every, sync="model")
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    params = list(model.parameters())
    for c in range(1, n + 1):
        opt.zero_grad()
        before = flat(model).clone()
        # this rank's own gradient, computed apart from the model (no hooks involved)
        leaves = [p.detach().clone().requires_grad_() for p in params]
        names = [k for k, _ in model.named_parameters()]
        out = torch.func.functional_call(model, dict(zip(names, leaves)), (x[c - 1:c],))
        local_grad = torch.cat([g.reshape(-1) for g in torch.autograd.grad(
            torch.nn.functional.mse_loss(out, y[c - 1:c]), leaves)])
        torch.nn.functional.mse_loss(model(x[c - 1:c]), y[c - 1:c]).backward()
        grad = torch.cat([p.grad.reshape(-1) for p in params])
        if c % every == 0 or c == n:
            assert torch.allclose(flat(model), _gathered(before).mean(0), atol=1e-12, rtol=0)
            assert torch.allclose(grad, _gathered(local_grad).mean(0), atol=1e-12, rtol=0)
            assert torch.equal(_gathered(flat(model)), flat(model).expand(P, -1))
        else:
            assert torch.equal(flat(model), before) and torch.allclose(grad, local_grad, atol=1e-12, rtol=0)
        opt.step()
    assert automation.handle(model).syncs == sum(1 for c in range(1, n + 1) if c % every == 0 or c == n)


def case_stochastic_gradient_syncs_on_schedule():
    N, every, epochs = 4 * P + (1 if P > 1 else 0), 3, 2
    X, Y = _data(N, torch.float64, seed=5)
    model = _compat(700 + R)
    x, y, n = automation.parallelize(X, Y, model, N, None, None, every)
    L = max(comm.allgather_object(n))
    trainer = nn.StochasticGradient(model, nn.MSECriterion())
    trainer.maxIteration, trainer.verbose, trainer.learningRate = epochs, False, 0.05
    trainer.train([(x[i], y[i]) for i in range(n)])
    expected = epochs * sum(1 for c in range(1, L + 1) if c % every == 0 or c == L)
    assert automation.handle(model).syncs == expected, (automation.handle(model).syncs, expected)
    # the last synchronization of an epoch ends it on every rank: all models are equal
    assert torch.equal(_gathered(flat(model)), flat(model).expand(P, -1))


def case_uneven_shards_no_hang_and_exact():
    """N = 7 samples, one per backward call: shards of 3, 2, 2 on 3 ranks (4, 3 on 2)."""
    N = 7
    X, Y = _data(N, torch.float64, seed=11)
    for every in (2, 3):
        model = _native(900 + R, torch.float64)
        x, y, n = automation.parallelize(X, Y, model, N, batchSize=every, sync="model")
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(2):
            for i in range(n):
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(x[i:i + 1]), y[i:i + 1]).backward()
                opt.step()
            assert torch.equal(_gathered(flat(model)), flat(model).expand(P, -1)), (every, epoch)
    # gradients mode, batchSize 1: step k averages the ranks that have a k-th sample
    model = _native(950 + R, torch.float64)
    x, y, n = automation.parallelize(X, Y, model, N, batchSize=1, sync="gradients")
    ref = _native(950, torch.float64)
    opt, ref_opt = torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(ref.parameters(), lr=0.1)
    starts = [automation.shard_range(N, P, r) for r in range(P)]
    for i in range(n):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[i:i + 1]), y[i:i + 1]).backward()
        opt.step()
    for k in range(max(b - a for a, b in starts)):
        idx = torch.tensor([a + k for a, b in starts if a + k < b])
        ref_opt.zero_grad()
        torch.nn.functional.mse_loss(ref(X[idx]), Y[idx]).backward()   # mean over those ranks
        ref_opt.step()
    assert torch.allclose(flat(model), flat(ref), atol=1e-12, rtol=0)


@needs_ranks(2, 3)
def case_architecture_mismatch_raises_on_every_rank():
    model = torch.nn.Linear(3, 5 if R == P - 1 else 4)
    try:
        automation.parallelize(torch.zeros(6, 3), torch.zeros(6), model, 6)
    except ValueError as exc:
        text = str(exc)
        assert "differs between ranks" in text and f"rank {P - 1}" in text and "weight" in text, text
    else:
        raise AssertionError("no error for different architectures")


def case_bad_arguments():
    m = _native(1)
    X, Y = _data(6, torch.float32)
    bad = [dict(batchSize=0), dict(batchSize="10"), dict(batchSize=-2), dict(sync="params"),
           dict(samples_per_backward=0)]
    for kwargs in bad:
        try:
            automation.parallelize(X, Y, m, 6, **kwargs)
        except ValueError as exc:
            key = next(iter(kwargs))
            assert key in str(exc), (kwargs, str(exc))
        else:
            raise AssertionError(f"no error for {kwargs}")
    for args, word in (((X, Y, "model", 6), "model"), ((X, Y, m, 7), "size"), ((X, Y, m, -1), "size")):
        try:
            automation.parallelize(*args)
        except (TypeError, ValueError) as exc:
            assert word in str(exc), str(exc)
        else:
            raise AssertionError(f"no error for {args[2:]}")
    # one rank alone passing a bad value: every rank raises, none hangs
    try:
        automation.parallelize(X, Y, m, 6, batchSize=0 if R == 0 else 2)
    except ValueError as exc:
        assert "batchSize" in str(exc) or "rank 0" in str(exc), str(exc)
    else:
        raise AssertionError("no error")
    if P > 1:
        try:
            automation.parallelize(X, Y, m, 6, batchSize=1 + R)
        except ValueError as exc:
            assert "same backward_passes_per_step (Lua: batchSize)" in str(exc), str(exc)
        else:
            raise AssertionError("no error for different batchSize on the ranks")


def case_python_and_lua_forms_agree():
    """parallelize / optimize_sync in the keyword form and in Lua's positional order: the same
    shards, interval, schedule and path; and bad keywords of the Python form are refused."""
    X, Y = _data(5 * P + 1, torch.float64)
    a, b = _native(3, torch.float64), _native(3, torch.float64)
    got_a = automation.parallelize(a, X, Y, size=5 * P, backward_passes_per_step=2, sync="gradients")
    got_b = automation.parallelize(X, Y, b, 5 * P, None, None, 2, sync="gradients")
    assert got_a[2] == got_b[2] == 5 and torch.equal(got_a[0], got_b[0]) and torch.equal(got_a[1], got_b[1])
    ha, hb = automation.handle(a), automation.handle(b)
    assert ha.schedule.state_dict() == hb.schedule.state_dict() and ha.path == hb.path
    whole = automation.parallelize(a, X, Y)                       # size: every sample
    assert whole[2] == sum(automation.shard_sizes(5 * P + 1, P)[R:R + 1])
    assert automation.optimize_sync(a, shard_size=4, backward_passes_per_step=None) == 1
    assert automation.optimize_sync(None, 4, b, None, None, 3) == 3     # Lua: speed, size, model, mpinn, mpi, batchSize
    assert automation.handle(b).schedule.every == 3
    for call in (lambda: automation.parallelize(a, X, Y, batchSize=1),
                 lambda: automation.optimize_sync(a, 4)):
        try:
            call()
        except TypeError:
            pass
        else:
            raise AssertionError("the Python form took a Lua argument")


def case_no_sync_backward_calls_do_not_count():
    """Inside handle(model).no_sync() a backward call is no step of the schedule and touches no
    buffer; the next one outside is step 1 again and synchronizes (batchSize 1)."""
    X, Y = _data(2 * P, torch.float64)
    model = _native(4, torch.float64)
    x, y, _ = automation.parallelize(model, X, Y, backward_passes_per_step=1, sync="gradients")
    h = automation.handle(model)
    with h.no_sync():
        torch.nn.functional.mse_loss(model(x[:1]), y[:1]).backward()
    assert h.syncs == 0 and h.schedule.position == 0
    local = [p.grad.clone() for p in model.parameters()]
    mean = [comm.allgather(g.reshape(1, -1)).mean(0).reshape(g.shape) for g in local]
    model.zero_grad(set_to_none=False)
    torch.nn.functional.mse_loss(model(x[:1]), y[:1]).backward()      # the same sample: the same gradients
    assert h.syncs == 1
    for p, m in zip(model.parameters(), mean):
        assert torch.allclose(p.grad, m, atol=1e-12, rtol=0)


def case_manual_synchronize_model_and_unparallelize():
    N = 4 * P
    X, Y = _data(N, torch.float64, seed=9)
    from compat import torchmpi as mpi  # TorchMPI handles, as a migrated Lua script passes them
    mpi.start(withCuda=False)
    model = _compat(1100 + R)
    x, y, n = automation.parallelize(X, Y, model, N, mpi, mpi.nn, -1)
    crit = nn.MSECriterion()
    out = model.forward(x[:1])
    crit.forward(out, y[:1])
    model.backward(x[:1], crit.backward(out, y[:1]))
    model.updateParameters(0.1)                      # local step: no synchronization
    assert automation.handle(model).syncs == 0
    w, g = model.parameters()
    before_w = torch.cat([t.reshape(-1) for t in w]).clone()
    before_g = torch.cat([t.reshape(-1) for t in g]).clone()
    automation.synchronizeModel(model, mpi)
    assert torch.allclose(torch.cat([t.reshape(-1) for t in w]), _gathered(before_w).mean(0), atol=1e-12, rtol=0)
    assert torch.allclose(torch.cat([t.reshape(-1) for t in g]), _gathered(before_g).mean(0), atol=1e-12, rtol=0)
    # automatic mode, then back to plain single-process behaviour
    model = _compat(1200 + R)
    automation.parallelize(X, Y, model, N, None, None, 1)
    assert "backward" in model.__dict__
    h = automation.handle(model)
    assert automation.unparallelize(model) and automation.handle(model) is None
    assert "backward" not in model.__dict__ and type(model) is nn.Sequential
    if R == 0:                                       # only rank 0 trains: it must not communicate
        out = model.forward(x[:1])
        model.backward(x[:1], torch.ones_like(out))
        model(x[:1]).sum().backward()
    assert h.syncs == 0
    assert not automation.unparallelize(model)


def case_comm_speed_returns_seconds_and_keeps_gradients():
    X, Y = _data(4, torch.float64)
    model = _compat(1300)
    model.zeroGradParameters()
    speed = automation.comm_speed(X, Y, model, None, None, criterion=nn.MSECriterion(), steps=3)
    assert isinstance(speed, float) and speed > 0
    assert all(float(g.abs().sum()) == 0 for g in model.parameters()[1])


def case_gradients_compat_autograd_path_equals_union():
    """A compat.nn model trained the PyTorch way (model(x), loss.backward(), torch.optim.SGD)."""
    B, steps = 2, 3
    X, Y = _data(P * B * steps, torch.float64, seed=13)
    model, ref = _compat(1400 + R), _compat(1400)
    check_autograd_path_equals_union(model, ref, torch.nn.functional.mse_loss, X, Y, B, steps)
    assert automation.handle(model).syncs == steps


def _poisoned_step(model, x, y, poison):
    out = model(x)
    if poison:
        out = out * float("nan")
    torch.nn.functional.mse_loss(out, y).backward()


def case_nonfinite_guard_acts_alike_on_every_rank():
    """Only one rank produces NaN gradients: with 'skip' every rank zeroes and skips alike, with
    'raise' every rank raises -- never one rank alone (which would desynchronize or hang the job)."""
    X, Y = _data(P * 4, torch.float64)
    bad = 1 if P > 1 else 0
    model = _native(7, torch.float64)
    x, y, n = automation.parallelize(X, Y, model, X.shape[0], batchSize=1, sync="gradients",
                                     samples_per_backward=2, nonfinite="skip")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = flat(model).clone()
    opt.zero_grad()
    _poisoned_step(model, x[:2], y[:2], poison=(R == bad))
    assert all(torch.equal(p.grad, torch.zeros_like(p)) for p in model.parameters())
    opt.step()
    assert torch.equal(flat(model), before) and automation.handle(model).skipped == 1
    opt.zero_grad()
    _poisoned_step(model, x[2:4], y[2:4], poison=False)           # a finite step goes through
    opt.step()
    after = _gathered(flat(model))
    assert not torch.equal(after[R], before) and (after == after[0]).all()
    for sync in ("gradients", "model"):
        model = _native(7, torch.float64)
        x, y, n = automation.parallelize(X, Y, model, X.shape[0], batchSize=1, sync=sync,
                                         samples_per_backward=2, nonfinite="raise")
        try:
            _poisoned_step(model, x[:2], y[:2], poison=(R == bad))
        except FloatingPointError as exc:
            assert "NaN" in str(exc) and (sync == "gradients" or f"[{bad}]" in str(exc)), str(exc)
        else:
            raise AssertionError(f"{sync} mode: expected FloatingPointError on rank {R}")
        automation.unparallelize(model)
    try:
        automation.parallelize(X, Y, _native(7), X.shape[0], sync="model", nonfinite="skip")
    except ValueError as exc:
        assert "nonfinite" in str(exc) and "gradients" in str(exc)
    else:
        raise AssertionError("nonfinite='skip' with sync='model' accepted")


def case_path_policy_is_reported():
    """The path each model gets, per the documented policy: shared memory for a torch.nn model's
    float gradients on one machine (overlap does not apply there), the MPI collectives for
    compat.nn models and when shared memory is off, blocking for nonfinite in model mode."""
    X, Y = _data(P * 2, torch.float64)
    cases = [(_native, dict(), True, "shared-memory" if P > 1 else "mpi-overlap"),
             (_native, dict(overlap=False), True, "shared-memory" if P > 1 else "mpi"),
             (_native, dict(), False, "mpi-overlap"),
             (_native, dict(overlap=False), False, "mpi"),
             (_native, dict(sync="model", nonfinite="raise"), False, "mpi"),
             (_compat, dict(), True, "mpi")]
    for build, kwargs, shared, expected in cases:
        comm.configure(shared_memory=shared)
        try:
            model = build(7, torch.float64)
            automation.parallelize(X, Y, model, P * 2, batchSize=1, **dict(dict(sync="gradients"), **kwargs))
        finally:
            comm.configure(shared_memory=True)
        got = automation.handle(model).path
        assert got == expected, (build.__name__, kwargs, shared, got, expected)
        reduction = automation.handle(model).reduction
        kinds = {"shared-memory": "SharedMemoryReduction", "mpi-overlap": "OverlapReduction",
                 "mpi": "BlockingReduction"}
        assert type(reduction).__name__ == kinds[got], (got, reduction)
        reducers = getattr(reduction, "reducers", [None])
        assert all((r is not None) == (got == "shared-memory") for r in reducers), (got, reducers)


def _shm_mappings():
    with open("/proc/self/maps") as maps:
        return {line.split(None, 5)[-1].strip() for line in maps if "/dev/shm/torchad-" in line}


def case_dropped_model_is_freed_with_its_shared_memory():
    """A parallelized model that the user drops is freed (weakref dead after del + gc.collect()),
    and so is its shared-memory mapping (the torch.nn model's gradient slot); for both a torch.nn
    and a compat.nn model (whose Lua flat gradient buffer is averaged through MPI)."""
    import gc
    import weakref
    for build, dtype, mapped in ((_native, torch.float32, P > 1), (_compat, torch.float64, False)):
        before = _shm_mappings()
        model = build(7, dtype)
        X, Y = _data(P * 4, dtype)
        automation.parallelize(X, Y, model, X.shape[0], batchSize=2, sync="gradients")
        if build is _native:
            torch.nn.functional.mse_loss(model(X[:2]), Y[:2]).backward()
        else:
            model.forward(X[:2])
            model.backward(X[:2], torch.ones(2, 3, dtype=dtype))
        added = _shm_mappings() - before
        assert len(added) == int(mapped), (build.__name__, added, P)
        ref = weakref.ref(model)
        del model
        gc.collect()
        assert ref() is None, f"{build.__name__}: the model survived del + gc.collect()"
        assert not (_shm_mappings() & added), f"{build.__name__}: its shared mapping survived"
